"""The ``logs`` source: tailed files → parser → LogRecord batches, checkpointed on ack.

Enabled in the daemon config with::

    sources:
      logs: {type: logs}                 # the inventory's log files on this host
      extra: {type: logs, files: [{path: /var/log/app/*.log, format: oslo, service: app}]}
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from osmon.logs.metrics import log_metrics_for
from osmon.logs.tail import WatchSpec
from osmon.sources.logs.config import FileOptions, LogsOptions, known_format, known_formats
from osmon.sources.logs.parsers import EntryParser, ParserFactory, RecordMaker, default_parsers
from osmon.sources.logs.source import LogsSource
from osmon.sources.logs.specs import inventory_specs, inventory_timezone
from osmon.sources.logs.work import LogStats

if TYPE_CHECKING:
    from osmon.components import Context

__all__ = [
    "EntryParser",
    "FileOptions",
    "LogStats",
    "LogsOptions",
    "LogsSource",
    "ParserFactory",
    "RecordMaker",
    "build",
    "default_parsers",
    "inventory_specs",
    "inventory_timezone",
    "known_format",
    "known_formats",
]

log = logging.getLogger(__name__)


def build(name: str, options: Mapping[str, Any], ctx: Context) -> LogsSource:
    opts = LogsOptions.model_validate(dict(options))
    host = opts.host or str(ctx.extra.get("hostname") or socket.gethostname())
    timezone = opts.timezone or inventory_timezone(ctx.inventory)
    if opts.files is None:
        specs = inventory_specs(ctx.inventory, host, name)
        if not specs:
            log.warning("%s: the inventory places no log file on host %r", name, host)
    else:
        specs = [WatchSpec(f.path, f.format, f.service) for f in opts.files]
    make_parser, to_record = default_parsers(host, timezone)
    return LogsSource(
        name,
        specs,
        opts.checkpoints or ctx.state_dir / "checkpoints.db",
        host=host,
        parser_factory=make_parser,
        record_maker=to_record,
        options=opts,
        metrics=log_metrics_for(ctx.registry),
    )
