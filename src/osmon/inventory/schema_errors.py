"""Turn pydantic validation errors into one-line messages at the line of the offending key."""

from __future__ import annotations

import types
from collections.abc import Hashable, Iterator, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from osmon.inventory.crossrefs import did_you_mean
from osmon.inventory.model import Inventory
from osmon.yamldoc import Document, KeyPath

__all__ = ["render_path", "translate"]

_SECRET_WORDS = ("password", "secret", "token", "credential")


def render_path(path: Sequence[Hashable]) -> str:
    """``services.nova-api.hosts[0]``: keys joined by dots, list indexes in brackets."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _model_at(path: KeyPath) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``path`` (None if it is not a model)."""
    tp: Any = Inventory
    for part in path:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fields = {(info.alias or name): info for name, info in tp.model_fields.items()}
            if part not in fields:
                return None
            tp = fields[part].annotation
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        elif get_origin(tp) in (tuple, list):
            tp = get_args(tp)[0]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _keys(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _unknown_key(key: str, parent: KeyPath) -> str:
    where = f" in {render_path(parent)}" if parent else ""
    if any(word in key.lower() for word in _SECRET_WORDS):
        return (
            f"'{key}'{where} is not allowed: secrets never go in the inventory; "
            "name an environment variable with 'password_env' or a clouds.yaml entry with 'cloud'"
        )
    keys = _keys(_model_at(parent))
    hint = did_you_mean(key, keys) or (f" (expected one of: {', '.join(keys)})" if keys else "")
    return f"unknown key '{key}'{where}{hint}"


_FRIENDLIER = {
    "tuple_type": "expected a list",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "string_type": "expected a string",
}


def _message(error: ErrorDetails) -> str:
    friendlier = _FRIENDLIER.get(error["type"])
    if friendlier is not None:
        return f"{friendlier}, got {_describe(error.get('input'))}"
    msg = str(error.get("msg", "invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return msg


def _describe(value: object) -> str:
    if value is None:
        return "nothing (null)"
    kinds = {str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    kinds.update({dict: "a mapping", list: "a list"})
    return kinds.get(type(value), type(value).__name__)


def translate(exc: ValidationError, doc: Document) -> Iterator[tuple[int, str]]:
    """``(line, message)`` for each pydantic error, located through the document's line map."""
    for error in exc.errors(include_url=False):
        loc: tuple[Hashable, ...] = tuple(error["loc"])
        kind = error["type"]
        path, line = doc.locate(loc)
        if kind == "extra_forbidden" and loc:
            yield line, _unknown_key(str(loc[-1]), path[:-1] if path[-1:] == loc[-1:] else path)
        elif kind == "missing" and loc:
            where = f" in {render_path(path)}" if path else " at the top level"
            yield line, f"missing required key '{loc[-1]}'{where}"
        else:
            where = render_path(path)
            yield line, f"{where}: {_message(error)}" if where else _message(error)
