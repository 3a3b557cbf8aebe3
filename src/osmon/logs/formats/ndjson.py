"""One JSON object per line: ECS loggers pass through, oslo.log's JSONFormatter is mapped to ECS.

What has no ECS equivalent is kept under ``json`` (Filebeat's name for decoded fields), as is
anything of the wrong shape for the ECS fields the pipeline relies on (``log``, ``event``,
``service.name`` ...). A line that is not a JSON object is an unparsed line like in any format.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any, Final

from osmon.logs.formats.base import LineFormat, Pending, set_original

_OBJECTS: Final = ("event", "log", "host", "service", "process", "error", "user", "url", "http")
_STRINGS: Final = (("service", "name"), ("process", "name"), ("log", "level"), ("host", "name"))
_ECS_KEYS: Final = frozenset({"@timestamp", "ecs", "ecs.version"})

_OSLO: Final[dict[str, tuple[tuple[str, ...], type]]] = {
    "message": (("message",), str),
    "levelname": (("log", "level"), str),
    "name": (("log", "logger"), str),
    "process": (("process", "pid"), int),
    "thread": (("process", "thread", "id"), int),
    "thread_name": (("process", "thread", "name"), str),
    "pathname": (("log", "origin", "file", "name"), str),
    "lineno": (("log", "origin", "file", "line"), int),
    "funcname": (("log", "origin", "function"), str),
    "funcName": (("log", "origin", "function"), str),
    "hostname": (("host", "name"), str),
    "error_summary": (("error", "message"), str),
}
"""oslo.log JSONFormatter (and python-json-logger) keys with an ECS field."""
_CONTEXT: Final = {
    "request_id": "request_id",
    "global_request_id": "global_request_id",
    "user_id": "user_id",
    "user": "user_id",
    "project_id": "project_id",
    "project": "project_id",
    "tenant": "project_id",
    "user_name": "user_name",
    "project_name": "project_name",
}
"""Request context keys, named as the oslo grok patterns name them (``openstack.*``)."""
_SECRET_CONTEXT: Final = frozenset({"auth_token", "auth_token_info"})


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON a search engine accepts")


def _put(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> bool:
    node = doc
    for part in path[:-1]:
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        elif not isinstance(nxt, dict):
            return False
        node = nxt
    if path[-1] in node:
        return False
    node[path[-1]] = value
    return True


def _extra(doc: dict[str, Any]) -> dict[str, Any]:
    extra = doc.get("json")
    if not isinstance(extra, dict):
        doc["json"] = extra = {} if extra is None else {"json": extra}
    return extra


def _expand_dotted(obj: dict[str, Any]) -> dict[str, Any]:
    """``{"log.level": "info"}`` -> ``{"log": {"level": "info"}}`` (ECS loggers write both)."""
    doc: dict[str, Any] = {}
    for key, value in obj.items():
        parts = tuple(key.split(".")) if "." in key and key != "@timestamp" else (key,)
        if not all(parts):
            parts = (key,)
        node = doc
        for part in parts[:-1]:
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            elif not isinstance(nxt, dict):
                break
            node = nxt
        else:
            old = node.get(parts[-1])
            if isinstance(old, dict) and isinstance(value, dict):
                for k, v in value.items():
                    old.setdefault(k, v)
            else:
                node[parts[-1]] = value
            continue
        _extra(doc)[key] = value
    return doc


class JsonFormat(LineFormat):
    name = "json"
    multiline = False
    auto = False
    upper_level = False

    def begin(self, line: str) -> Pending | None:
        if not line.lstrip().startswith("{"):
            return None
        try:
            obj = json.loads(line, parse_constant=_reject_constant)
            if not isinstance(obj, dict):
                return None
            doc = self._document(obj)
        except (ValueError, RecursionError):
            return None
        return Pending(self, doc, line)

    def _document(self, obj: dict[str, Any]) -> dict[str, Any]:
        if _ECS_KEYS.intersection(obj):
            doc = _expand_dotted(obj)
            ts = doc.get("@timestamp")
            doc["@timestamp"] = self.clock.parse(ts) if isinstance(ts, str) else None
        elif "levelname" in obj:
            doc = self._oslo(obj)
        else:
            doc = {"@timestamp": None, "json": obj}
            for key in ("message", "msg"):
                if isinstance(obj.get(key), str):
                    doc["message"] = obj[key]
                    break
            for key in ("timestamp", "time", "asctime"):
                if isinstance(obj.get(key), str):
                    doc["@timestamp"] = self.clock.parse(obj[key])
                    break
        _sanitize(doc)
        return doc

    def _oslo(self, obj: dict[str, Any]) -> dict[str, Any]:
        doc: dict[str, Any] = {"@timestamp": None}
        rest: dict[str, Any] = {}
        for key, value in obj.items():
            target = _OSLO.get(key)
            if (
                target is not None
                and isinstance(value, target[1])
                and not isinstance(value, bool)
                and _put(doc, target[0], value)
            ):
                continue
            if value is not None:
                rest[key] = value
        created = obj.get("created")
        if isinstance(created, int | float) and not isinstance(created, bool):
            with contextlib.suppress(ValueError, OverflowError, OSError):
                doc["@timestamp"] = datetime.fromtimestamp(created, UTC).isoformat()
        if doc["@timestamp"] is None and isinstance(obj.get("asctime"), str):
            doc["@timestamp"] = self.clock.parse(obj["asctime"])
        trace = obj.get("traceback") or obj.get("exc_info")
        if isinstance(trace, list) and all(isinstance(t, str) for t in trace):
            trace = "".join(trace)
        if isinstance(trace, str) and trace.strip():
            _put(doc, ("error", "stack_trace"), trace.rstrip("\n"))
            rest.pop("traceback", None)
            rest.pop("exc_info", None)
        extra = obj.get("extra")
        for ctx in (obj.get("context"), extra.get("context") if isinstance(extra, dict) else None):
            if isinstance(ctx, dict):
                for secret in _SECRET_CONTEXT.intersection(ctx):
                    del ctx[secret]
                for key, field in _CONTEXT.items():
                    value = ctx.get(key)
                    if isinstance(value, str) and value:
                        _put(doc, ("openstack", field), value)
        if rest:
            doc["json"] = rest
        return doc

    def complete(self, p: Pending) -> dict[str, Any]:
        doc = p.doc
        log = doc.get("log")
        if log is not None and "level" in log:
            log["level"] = log["level"].upper()
        set_original(doc, p.original)
        return doc


def _sanitize(doc: dict[str, Any]) -> None:
    """Move what would break the pipeline's ECS fields (or the index mapping) under ``json``."""
    for key in _OBJECTS:
        value = doc.get(key)
        if value is not None and not isinstance(value, dict):
            _extra(doc)[key] = doc.pop(key)
    for key, sub in _STRINGS:
        obj = doc.get(key)
        if obj is not None and sub in obj and not isinstance(obj[sub], str):
            _extra(doc)[key] = doc.pop(key)
    service = doc.get("service")
    if service is not None and "name" not in service:
        _extra(doc)["service"] = doc.pop("service")
    tags = doc.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        _extra(doc)["tags"] = doc.pop("tags")
    message = doc.get("message")
    if message is not None and not isinstance(message, str):
        doc["message"] = json.dumps(message, ensure_ascii=False)
