"""Nagios performance data (``'label'=value[UOM];[warn];[crit];[min];[max]``).

Written by the daemon into the latest state with each probe result, so that the Nagios plugins
and passive results pass it on as is. Follows the Monitoring Plugins guidelines: a label with
spaces is single-quoted, ``'`` and ``=`` never appear in one, a unit outside the guidelines' set
is left out (the value stays in base units), and a value that is not a finite number is ``U``.
Stdlib only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

__all__ = ["PerfValue", "format_perfdata", "perf_label"]

_UOM = {"s": "s", "ms": "ms", "us": "us", "%": "%", "B": "B", "bytes": "B", "c": "c"}


class PerfValue:
    """One item; a slotted class, not a dataclass, to keep the plugins' start-up small."""

    __slots__ = ("critical", "label", "maximum", "minimum", "unit", "value", "warning")

    def __init__(
        self,
        label: str,
        value: float,
        unit: str = "",
        warning: str = "",
        critical: str = "",
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> None:
        self.label = label
        self.value = value
        self.unit = unit
        self.warning = warning
        self.critical = critical
        self.minimum = minimum
        self.maximum = maximum

    def __str__(self) -> str:
        label = self.label.replace("'", "_").replace("=", "_")
        if " " in label:
            label = f"'{label}'"
        text = f"{label}={_number(self.value)}{_UOM.get(self.unit, '')}"
        bounds = ("" if b is None else _number(b) for b in (self.minimum, self.maximum))
        extra = ";".join((self.warning or "", self.critical or "", *bounds)).rstrip(";")
        return f"{text};{extra}" if extra else text


def _number(value: float) -> str:
    if not math.isfinite(value):
        return "U"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def perf_label(name: str, labels: Mapping[str, str]) -> str:
    """``name[v1,v2]``: a labelled series as one perfdata label, values in label-key order, so
    a plugin and the daemon's result name the same series the same way."""
    if not labels:
        return name
    return f"{name}[{','.join(str(v) for _, v in sorted(labels.items()))}]"


def format_perfdata(values: Iterable[PerfValue]) -> str:
    return " ".join(str(v) for v in values)
