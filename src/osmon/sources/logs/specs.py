"""Which files the ``logs`` source tails: the inventory's log files placed on this host."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from osmon.logs.tail import WatchSpec
from osmon.sources.logs.config import known_format

if TYPE_CHECKING:
    from osmon.inventory import Inventory

log = logging.getLogger(__name__)


def _short(host: str) -> str:
    return host.split(".", 1)[0].lower()


def inventory_specs(inventory: Inventory, host: str, source: str = "logs") -> list[WatchSpec]:
    """The log files the inventory places on ``host`` (compared by short host name).

    A format the parser lacks falls back to ``auto`` (with a warning naming ``source``): the
    lines are kept either way.
    """
    from osmon.inventory import expand

    me = _short(host)
    specs: list[WatchSpec] = []
    for src in expand(inventory).log_sources:
        spec = _parseable(source, WatchSpec(src.path, src.format, src.service_name or src.service))
        if _short(src.host) == me and spec not in specs:
            specs.append(spec)
    return specs


def inventory_timezone(inventory: Inventory) -> str:
    from osmon.inventory import expand

    return expand(inventory).log_timezone or "UTC"


def _parseable(name: str, spec: WatchSpec) -> WatchSpec:
    """An inventory format the parser lacks falls back to ``auto``: lines are kept either way."""
    if known_format(spec.format):
        return spec
    log.warning(
        "%s: %s: no parser for format %r, using auto-detection", name, spec.pattern, spec.format
    )
    return WatchSpec(spec.pattern, "auto", spec.service)
