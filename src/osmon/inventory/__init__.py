"""The service inventory: one YAML file describing a cloud, and everything it implies.

``load`` reads and checks a file (raising ``InventoryError`` with ``FILE:LINE: message``
problems); ``expand`` turns the model into probes, log sources, alarms, Nagios objects and
notification exchanges, with defaults from ``osmon.inventory.catalog``.

Names are imported lazily, so a command that needs only the loader does not pay for the
expansion and the catalog.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from osmon.inventory.derive import expand
    from osmon.inventory.expansion import (
        Alarm,
        Expansion,
        LogSource,
        NagiosHost,
        NagiosService,
        NotificationExchange,
        Probe,
        Threshold,
    )
    from osmon.inventory.loader import load, load_text
    from osmon.inventory.model import Inventory
    from osmon.inventory.problems import InventoryError, Problem

_EXPORTS = {
    "expand": "osmon.inventory.derive",
    "Alarm": "osmon.inventory.expansion",
    "Expansion": "osmon.inventory.expansion",
    "LogSource": "osmon.inventory.expansion",
    "NagiosHost": "osmon.inventory.expansion",
    "NagiosService": "osmon.inventory.expansion",
    "NotificationExchange": "osmon.inventory.expansion",
    "Probe": "osmon.inventory.expansion",
    "Threshold": "osmon.inventory.expansion",
    "load": "osmon.inventory.loader",
    "load_text": "osmon.inventory.loader",
    "Inventory": "osmon.inventory.model",
    "InventoryError": "osmon.inventory.problems",
    "Problem": "osmon.inventory.problems",
}

__all__ = [
    "Alarm",
    "Expansion",
    "Inventory",
    "InventoryError",
    "LogSource",
    "NagiosHost",
    "NagiosService",
    "NotificationExchange",
    "Probe",
    "Problem",
    "Threshold",
    "expand",
    "load",
    "load_text",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'osmon.inventory' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
