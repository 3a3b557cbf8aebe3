"""Field mappings of the protocol double: which field types exist and which values they accept.

Modelled on Elasticsearch 8.x / OpenSearch 2.x behaviour: numbers coerce from numeric strings,
keywords take any scalar, an object where a leaf is mapped (or the reverse) is a parsing error,
unmapped fields are mapped dynamically from their first value (honouring ``dynamic_templates``
with ``path_match``/``match``/``match_mapping_type``).
"""

from __future__ import annotations

import copy
import fnmatch
import ipaddress
import math
from datetime import datetime
from typing import Any

INTEGERS = {"long", "integer", "short", "byte", "unsigned_long"}
FLOATS = {"double", "float", "half_float", "scaled_float"}
STRINGS = {"keyword", "text", "match_only_text", "wildcard", "constant_keyword"}
OBJECTS = {"object", "nested"}
ANYTHING = {"flattened", "flat_object", "binary", "geo_point"}
DATES = {"date", "date_nanos"}

ES_TYPES = (
    INTEGERS
    | FLOATS
    | STRINGS
    | OBJECTS
    | DATES
    | {"boolean", "ip", "flattened", "binary", "geo_point"}
)
OS_BASE_TYPES = (
    (INTEGERS - {"unsigned_long"})
    | FLOATS
    | {"keyword", "text"}
    | OBJECTS
    | DATES
    | {"boolean", "ip", "binary", "geo_point"}
)


def opensearch_types(version: tuple[int, ...]) -> set[str]:
    """Field types an OpenSearch version knows (newer ones are rejected by older servers)."""
    types = set(OS_BASE_TYPES)
    if version >= (2, 7):
        types.add("flat_object")
    if version >= (2, 12):
        types.add("match_only_text")
    if version >= (2, 15):
        types.add("wildcard")
    return types


class FieldError(Exception):
    """A value the mapping cannot take; ``path`` and ``ftype`` describe the clash."""

    def __init__(self, path: str, ftype: str, preview: str, cause: str) -> None:
        super().__init__(cause)
        self.path = path
        self.ftype = ftype
        self.preview = preview
        self.cause = cause


class ObjectClash(Exception):
    def __init__(self, path: str) -> None:
        super().__init__(
            f"object mapping for [{path}] tried to parse field [{path}] as object, "
            "but found a concrete value"
        )


def validate_mappings(mappings: dict[str, Any], known: set[str], prefix: str = "") -> None:
    """Raise ValueError("No handler for type ...") for field types the server does not know."""
    for name, spec in (mappings.get("properties") or {}).items():
        path = f"{prefix}{name}"
        ftype = spec.get("type", "object")
        if ftype not in known:
            raise ValueError(f"No handler for type [{ftype}] declared on field [{path}]")
        if ftype in OBJECTS:
            validate_mappings(spec, known, path + ".")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, dict):
        return "object"
    return "string"


class Mapping:
    """The (mutable) mapping of one index: explicit properties plus dynamically added ones."""

    def __init__(self, mappings: dict[str, Any] | None = None) -> None:
        self.root: dict[str, Any] = copy.deepcopy(mappings or {})
        self.root.setdefault("properties", {})
        self.dynamic_templates: list[dict[str, Any]] = self.root.get("dynamic_templates", [])

    def to_json(self) -> dict[str, Any]:
        return copy.deepcopy(self.root)

    def field_type(self, path: str) -> str | None:
        node: dict[str, Any] = self.root
        parts = path.split(".")
        for i, part in enumerate(parts):
            props = node.get("properties") or {}
            if part not in props:
                return None
            node = props[part]
            ftype = node.get("type", "object")
            if i == len(parts) - 1:
                return str(ftype)
            if ftype not in OBJECTS:
                return str(ftype) if ftype in ANYTHING else None
        return None

    def parse(self, doc: dict[str, Any]) -> None:
        """Check ``doc`` against the mapping, adding dynamic fields; raise on a clash.

        Works on a copy first so that a rejected document leaves no dynamic fields behind.
        """
        trial = copy.deepcopy(self.root)
        self._parse_object(trial, doc, "")
        self.root = trial

    def _parse_object(self, node: dict[str, Any], obj: dict[str, Any], prefix: str) -> None:
        props = node.setdefault("properties", {})
        for raw_key, value in obj.items():
            head, _, rest = raw_key.partition(".")
            if rest:
                value = {rest: value}
            self._parse_field(node, props, head, value, prefix + head)

    def _parse_field(
        self, parent: dict[str, Any], props: dict[str, Any], name: str, value: Any, path: str
    ) -> None:
        if value is None:
            return
        if isinstance(value, list):
            for item in value:
                self._parse_field(parent, props, name, item, path)
            return
        spec = props.get(name)
        if spec is None:
            if parent.get("dynamic") in (False, "false"):
                return
            if parent.get("dynamic") == "strict":
                raise FieldError(
                    path,
                    "object",
                    repr(value),
                    (
                        f"mapping set to strict, dynamic introduction of [{name}] within "
                        f"[{path.rpartition('.')[0] or '_doc'}] is not allowed"
                    ),
                )
            spec = self._dynamic(path, name, value)
            props[name] = spec
        ftype = spec.get("type", "object")
        if ftype in ANYTHING or spec.get("enabled") is False:
            return
        if ftype in OBJECTS:
            if not isinstance(value, dict):
                raise ObjectClash(path)
            self._parse_object(spec, value, path + ".")
            return
        if isinstance(value, dict):
            raise FieldError(
                path, ftype, str(value), (f"Can't get text on a START_OBJECT at field [{path}]")
            )
        if spec.get("ignore_malformed"):
            return
        check_value(path, ftype, value)

    def _dynamic(self, path: str, name: str, value: Any) -> dict[str, Any]:
        jtype = _json_type(value)
        for entry in self.dynamic_templates:
            ((_, tpl),) = entry.items()
            if "path_match" in tpl and not fnmatch.fnmatchcase(path, tpl["path_match"]):
                continue
            if "match" in tpl and not fnmatch.fnmatchcase(name, tpl["match"]):
                continue
            want = tpl.get("match_mapping_type", "*")
            if want not in ("*", jtype):
                continue
            if jtype == "object" and "type" in tpl.get("mapping", {}) and want == "*":
                continue
            return copy.deepcopy(tpl["mapping"])
        if jtype == "object":
            return {"properties": {}}
        if jtype == "string":
            return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
        return {"type": {"long": "long", "double": "float", "boolean": "boolean"}[jtype]}


def check_value(path: str, ftype: str, value: Any) -> None:
    preview = str(value)[:20]
    if ftype in INTEGERS or ftype in FLOATS:
        if isinstance(value, bool):
            raise FieldError(path, ftype, preview, "Current token (VALUE_TRUE) not numeric")
        if isinstance(value, str):
            try:
                num = float(value.strip())
            except ValueError:
                raise FieldError(path, ftype, preview, f'For input string: "{value}"') from None
        else:
            num = float(value)
        if not math.isfinite(num):
            raise FieldError(path, ftype, preview, f"[{ftype}] supports only finite values")
        if ftype in INTEGERS and not -(2**63) <= num < 2**63 and ftype != "unsigned_long":
            raise FieldError(path, ftype, preview, f"Value [{value}] is out of range for a long")
        return
    if ftype in STRINGS:
        return
    if ftype in DATES:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return
        text = str(value)
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise FieldError(
                path,
                ftype,
                preview,
                (
                    f"failed to parse date field [{text}] with format "
                    "[strict_date_optional_time||epoch_millis]"
                ),
            ) from None
        return
    if ftype == "boolean":
        if value in (True, False, "true", "false", ""):
            return
        raise FieldError(
            path,
            ftype,
            preview,
            (f"Failed to parse value [{value}] as only [true] or [false] are allowed."),
        )
    if ftype == "ip":
        try:
            ipaddress.ip_address(str(value))
        except ValueError:
            raise FieldError(
                path, ftype, preview, f"'{value}' is not an IP string literal."
            ) from None
