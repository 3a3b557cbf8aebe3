"""The ``notifications`` source: OpenStack notifications from RabbitMQ (oslo.messaging).

Enabled in the daemon config with::

    sources:
      notifications:
        type: notifications
        transport_url_env: OSMON_TRANSPORT_URL   # rabbit://osmon:SECRET@ctl1:5672,.../
        # exchanges: default: those of the inventory's services (followed on SIGHUP)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from osmon.notifications.convert import Converter
from osmon.notifications.event_definitions import EventDefinitions
from osmon.notifications.event_definitions import load_definitions as load_events
from osmon.notifications.exchanges import exchanges_from_inventory
from osmon.notifications.meters import MeterSet, load_definitions
from osmon.notifications.metrics import metrics_for
from osmon.redact import has_password
from osmon.sources.notifications.config import NotificationOptions
from osmon.sources.notifications.listener import PRIORITIES
from osmon.sources.notifications.source import HANDLED, REQUEUE, NotificationSource

if TYPE_CHECKING:
    from osmon.components import Context

log = logging.getLogger(__name__)

__all__ = [
    "HANDLED",
    "PRIORITIES",
    "REQUEUE",
    "NotificationOptions",
    "NotificationSource",
    "build",
]


def _meters(paths: Sequence[Path], cache: dict[tuple[Path, ...], MeterSet] = {}) -> MeterSet:  # noqa: B006
    key = tuple(paths)
    if key not in cache:
        cache[key] = load_definitions(paths)
    return cache[key]


def _events(
    paths: Sequence[Path],
    cache: dict[tuple[Path, ...], EventDefinitions] = {},  # noqa: B006
) -> EventDefinitions:
    key = tuple(paths)
    if key not in cache:
        cache[key] = load_events(paths)
    return cache[key]


def build(name: str, options: Mapping[str, Any], ctx: Context) -> NotificationSource:
    opts = NotificationOptions.model_validate(dict(options))
    for url in opts.transport_urls:
        # RabbitMQ's loopback-only guest account is the one password a config may show.
        if has_password(url) and "//guest:guest@" not in url:
            log.warning(
                "%s: a transport URL in the config has a password: use transport_url_env", name
            )
    exchanges = opts.exchanges or exchanges_from_inventory(ctx.inventory)
    dead_letter = opts.dead_letter or ctx.state_dir / "deadletter" / f"notifications-{name}.jsonl"
    converter = Converter(
        _meters(opts.meter_definitions),
        events=_events(opts.event_definitions),
        max_payload_bytes=opts.max_payload_bytes,
        accept_unknown_exchange=opts.unknown_exchange == "accept",
        raw_priorities=opts.raw_priorities,
    )
    metrics = metrics_for(ctx.registry)
    metrics.definitions.watch(converter)
    return NotificationSource(
        name,
        opts,
        exchanges=exchanges,
        dead_letter=dead_letter,
        converter=converter,
        metrics=metrics,
    )
