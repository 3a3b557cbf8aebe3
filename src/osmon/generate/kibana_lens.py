"""Lens visualisation attributes in the shape Kibana 8.0.0 saves them.

Objects are declared as 8.0.0 documents (``migrationVersion``) so that every Kibana 8.x imports
them and runs its own migrations up to its version (``Records`` → ``___records___`` in 8.1, the
``indexpattern`` → ``formBased`` datasource in 8.6 ...); a newer shape would be refused by older
8.x releases. One layer per visualisation, always named ``layer1``; the breakdown (terms)
column is the outer aggregation, before the date histogram, as Lens orders them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LAYER = "layer1"
_X = "x"
_Y = "y"
_SPLIT = "split"


@dataclass(frozen=True, slots=True)
class Lens:
    title: str
    attributes: dict[str, Any]


def _date_histogram() -> dict[str, Any]:
    return {
        "label": "@timestamp",
        "dataType": "date",
        "operationType": "date_histogram",
        "sourceField": "@timestamp",
        "isBucketed": True,
        "scale": "interval",
        "params": {"interval": "auto"},
    }


def _count(label: str, time_scale: str | None = None) -> dict[str, Any]:
    col: dict[str, Any] = {
        "label": label,
        "customLabel": True,
        "dataType": "number",
        "operationType": "count",
        "isBucketed": False,
        "scale": "ratio",
        "sourceField": "Records",
    }
    if time_scale:
        col["timeScale"] = time_scale
    return col


def _terms(field: str, order_by: str, size: int) -> dict[str, Any]:
    return {
        "label": f"Top values of {field}",
        "dataType": "string",
        "operationType": "terms",
        "scale": "ordinal",
        "sourceField": field,
        "isBucketed": True,
        "params": {
            "size": size,
            "orderBy": {"type": "column", "columnId": order_by},
            "orderDirection": "desc",
            "otherBucket": True,
            "missingBucket": False,
        },
    }


def _percentile(field: str, pct: int) -> dict[str, Any]:
    return {
        "label": f"p{pct} {field}",
        "customLabel": True,
        "dataType": "number",
        "operationType": "percentile",
        "sourceField": field,
        "isBucketed": False,
        "scale": "ratio",
        "params": {"percentile": pct},
    }


def _xy(
    title: str,
    description: str,
    query: str,
    columns: dict[str, dict[str, Any]],
    accessors: list[str],
    series: str,
    split: bool,
) -> Lens:
    layer: dict[str, Any] = {
        "layerId": LAYER,
        "layerType": "data",
        "seriesType": series,
        "xAccessor": _X,
        "accessors": accessors,
    }
    if split:
        layer["splitAccessor"] = _SPLIT
    attributes = {
        "title": title,
        "description": description,
        "visualizationType": "lnsXY",
        "state": {
            "datasourceStates": {
                "indexpattern": {
                    "layers": {
                        LAYER: {
                            "columnOrder": list(columns),
                            "columns": columns,
                            "incompleteColumns": {},
                        }
                    }
                }
            },
            "visualization": {
                "legend": {"isVisible": True, "position": "right"},
                "valueLabels": "hide",
                "fittingFunction": "None",
                "preferredSeriesType": series,
                "layers": [layer],
            },
            "query": {"query": query, "language": "kuery"},
            "filters": [],
        },
    }
    return Lens(title, attributes)


def messages_by_level(service: str, description: str) -> Lens:
    """Log entries per level over time for one service (stacked bars)."""
    columns = {
        _SPLIT: _terms("log.level", _Y, 10),
        _X: _date_histogram(),
        _Y: _count("Messages"),
    }
    return _xy(
        f"[osmon] {service}: messages by level",
        description,
        f'service.name : "{service}"',
        columns,
        [_Y],
        "bar_stacked",
        split=True,
    )


def latency_percentiles(description: str) -> Lens:
    """p50/p95/p99 of ``event.duration`` (ns; the data view formats it as milliseconds)."""
    columns = {_X: _date_histogram()}
    accessors = []
    for pct in (50, 95, 99):
        col = f"p{pct}"
        columns[col] = _percentile("event.duration", pct)
        accessors.append(col)
    return _xy(
        "[osmon] API latency percentiles",
        description,
        "event.duration : * and http.response.status_code : *",
        columns,
        accessors,
        "line",
        split=False,
    )


def error_rate(description: str) -> Lens:
    """HTTP 5xx responses per minute, by service."""
    columns = {
        _SPLIT: _terms("service.name", _Y, 10),
        _X: _date_histogram(),
        _Y: _count("5xx responses per minute", time_scale="m"),
    }
    return _xy(
        "[osmon] HTTP 5xx rate",
        description,
        "http.response.status_code >= 500",
        columns,
        [_Y],
        "line",
        split=True,
    )
