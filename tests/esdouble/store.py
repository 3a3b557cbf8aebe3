"""Cluster state of the protocol double: index templates, indices, data streams, documents.

Every method returns ``(status, body)`` exactly as the HTTP layer sends it, so the wire
behaviour lives in one place. Documents become searchable only after a refresh (explicit
``_refresh`` or ``?refresh=true`` on ``_bulk``), as on a real cluster with a refresh interval:
a test that forgets to refresh fails here instead of passing by luck.
"""

from __future__ import annotations

import copy
import fnmatch
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .mapping import FieldError, Mapping, ObjectClash, validate_mappings

Reply = tuple[int, Any]

_INVALID_NAME = re.compile(r'[\\/*?"<>| ,#:]')


def error(status: int, etype: str, reason: str, **extra: Any) -> Reply:
    cause = {"type": etype, "reason": reason, **extra}
    root = {k: v for k, v in cause.items() if k != "caused_by"}
    return status, {"error": {"root_cause": [root], **cause}, "status": status}


def index_name_problem(name: str) -> str | None:
    if name != name.lower():
        return "must be lowercase"
    if _INVALID_NAME.search(name):
        return "must not contain the following characters [\\, /, *, ?, \", <, >, |, ' ', ,, #, :]"
    if name.startswith(("-", "_", "+")):
        return "must not start with '_', '-', or '+'"
    if name in (".", ".."):
        return "must not be '.' or '..'"
    if len(name.encode()) > 255:
        return "index name is too long"
    return None


@dataclass
class Index:
    name: str
    mapping: Mapping
    data_stream: str | None = None
    uuid: str = field(default_factory=lambda: uuid.uuid4().hex[:22])
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    searchable: dict[str, dict[str, Any]] = field(default_factory=dict)
    seq_no: int = 0

    def refresh(self) -> None:
        self.searchable = dict(self.docs)


@dataclass
class DataStream:
    name: str
    template: str
    backing: list[str]


class Store:
    def __init__(
        self, flavor: str, version: tuple[int, ...], field_types: set[str], auto_create_index: bool
    ) -> None:
        self.flavor = flavor
        self.version = version
        self.field_types = field_types
        self.auto_create_index = auto_create_index
        self.templates: dict[str, dict[str, Any]] = {}
        self.indices: dict[str, Index] = {}
        self.data_streams: dict[str, DataStream] = {}

    @property
    def parse_error_type(self) -> str:
        if self.flavor == "elasticsearch" and self.version >= (8, 8):
            return "document_parsing_exception"
        return "mapper_parsing_exception"

    # -- index templates -------------------------------------------------------------------

    def put_template(self, name: str, body: Any, create: bool) -> Reply:
        if not isinstance(body, dict):
            return error(400, "parse_exception", "request body is required")
        if create and name in self.templates:
            return error(
                400, "illegal_argument_exception", f"index template [{name}] already exists"
            )
        allowed = {
            "index_patterns",
            "template",
            "composed_of",
            "priority",
            "version",
            "_meta",
            "data_stream",
            "allow_auto_create",
            "ignore_missing_component_templates",
            "deprecated",
        }
        unknown = set(body) - allowed
        if unknown:
            return error(
                400,
                "x_content_parse_exception",
                f"[index_template] unknown field [{sorted(unknown)[0]}]",
            )
        patterns = body.get("index_patterns")
        if isinstance(patterns, str):
            patterns = [patterns]
        if not patterns:
            return error(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: index patterns are missing;",
            )
        if body.get("composed_of"):
            return error(
                400,
                "illegal_argument_exception",
                f"index template [{name}] specifies component templates "
                f"{body['composed_of']} that do not exist",
            )
        ds = body.get("data_stream")
        if ds is not None and not isinstance(ds, dict):
            return error(400, "x_content_parse_exception", "[data_stream] expected an object")
        mappings = (body.get("template") or {}).get("mappings") or {}
        try:
            validate_mappings(mappings, self.field_types)
        except ValueError as exc:
            return error(
                400,
                "mapper_parsing_exception",
                f"Failed to parse mapping: {exc}",
                caused_by={"type": "mapper_parsing_exception", "reason": str(exc)},
            )
        if ds is not None:
            ts = (mappings.get("properties") or {}).get("@timestamp")
            if ts is not None and ts.get("type") not in ("date", "date_nanos"):
                return error(
                    400,
                    "illegal_argument_exception",
                    "data stream timestamp field [@timestamp] is of type "
                    f"[{ts.get('type')}], but [date,date_nanos] is expected",
                )
        priority = int(body.get("priority", 0))
        for other_name, other in self.templates.items():
            if other_name == name or int(other.get("priority", 0)) != priority:
                continue
            if _patterns_overlap(patterns, other["index_patterns"]):
                return error(
                    400,
                    "illegal_argument_exception",
                    f"index template [{name}] has index patterns {patterns} matching patterns "
                    f"from existing templates [{other_name}] with patterns ({other_name} => "
                    f"{other['index_patterns']}) that have the same priority [{priority}], "
                    "multiple index templates may not match during index creation, please "
                    "use a different priority",
                )
        stored = copy.deepcopy(body)
        stored["index_patterns"] = list(patterns)
        self.templates[name] = stored
        return 200, {"acknowledged": True}

    def get_templates(self, name: str | None) -> Reply:
        names = [n for n in self.templates if name is None or fnmatch.fnmatchcase(n, name)]
        if name is not None and not names:
            return error(
                404, "resource_not_found_exception", f"index template matching [{name}] not found"
            )
        return 200, {
            "index_templates": [
                {"name": n, "index_template": copy.deepcopy(self.templates[n])} for n in names
            ]
        }

    def delete_template(self, name: str) -> Reply:
        if name not in self.templates:
            return error(404, "resource_not_found_exception", f"index_template [{name}] missing")
        del self.templates[name]
        return 200, {"acknowledged": True}

    def matching_template(self, index: str) -> tuple[str, dict[str, Any]] | None:
        best: tuple[str, dict[str, Any]] | None = None
        for name, tpl in self.templates.items():
            if any(fnmatch.fnmatchcase(index, p) for p in tpl["index_patterns"]) and (
                best is None or tpl.get("priority", 0) > best[1].get("priority", 0)
            ):
                best = (name, tpl)
        return best

    # -- indices and data streams -----------------------------------------------------------

    def _new_index(self, name: str, tpl: dict[str, Any] | None, ds: str | None) -> Index:
        mappings = copy.deepcopy(((tpl or {}).get("template") or {}).get("mappings") or {})
        if ds is not None:
            mappings.setdefault("properties", {}).setdefault("@timestamp", {"type": "date"})
        idx = Index(name, Mapping(mappings), data_stream=ds)
        self.indices[name] = idx
        return idx

    def create_data_stream(self, name: str) -> Reply:
        if name in self.data_streams:
            return error(
                400, "resource_already_exists_exception", f"data_stream [{name}] already exists"
            )
        problem = index_name_problem(name)
        if problem:
            return error(
                400,
                "invalid_index_name_exception",
                f"Invalid index name [{name}], {problem}",
                index=name,
            )
        found = self.matching_template(name)
        if found is None or found[1].get("data_stream") is None:
            return error(
                400,
                "illegal_argument_exception",
                f"no matching index template found for data stream [{name}]",
            )
        backing = f".ds-{name}-{time.strftime('%Y.%m.%d', time.gmtime())}-000001"
        self._new_index(backing, found[1], ds=name)
        self.data_streams[name] = DataStream(name, found[0], [backing])
        return 200, {"acknowledged": True}

    def get_data_streams(self, expr: str | None) -> Reply:
        names = self._expand(expr or "*", self.data_streams)
        if names is None:
            return error(
                404,
                "index_not_found_exception",
                f"no such index [{expr}]",
                **{"resource.type": "index_or_alias", "resource.id": expr, "index": expr},
            )
        out = []
        for n in names:
            ds = self.data_streams[n]
            out.append(
                {
                    "name": n,
                    "timestamp_field": {"name": "@timestamp"},
                    "indices": [
                        {"index_name": b, "index_uuid": self.indices[b].uuid} for b in ds.backing
                    ],
                    "generation": len(ds.backing),
                    "status": "GREEN",
                    "template": ds.template,
                    "hidden": False,
                    "system": False,
                    "allow_custom_routing": False,
                    "replicated": False,
                }
            )
        return 200, {"data_streams": out}

    def delete_data_stream(self, name: str) -> Reply:
        ds = self.data_streams.pop(name, None)
        if ds is None:
            return error(404, "index_not_found_exception", f"no such index [{name}]")
        for b in ds.backing:
            self.indices.pop(b, None)
        return 200, {"acknowledged": True}

    @staticmethod
    def _expand(expr: str, names: Any) -> list[str] | None:
        out: list[str] = []
        for part in expr.split(","):
            if "*" in part:
                out.extend(n for n in names if fnmatch.fnmatchcase(n, part))
            elif part in names:
                out.append(part)
            else:
                return None
        return sorted(set(out))

    def resolve(self, expr: str) -> list[Index] | Reply:
        """Concrete indices behind a search/count/refresh target (data streams expand)."""
        out: dict[str, Index] = {}
        for part in expr.split(","):
            if part in ("_all", "*"):
                part = "*"
            if "*" in part:
                for n, ds in self.data_streams.items():
                    if fnmatch.fnmatchcase(n, part):
                        out.update({b: self.indices[b] for b in ds.backing})
                for n, idx in self.indices.items():
                    if not n.startswith(".") and fnmatch.fnmatchcase(n, part):
                        out[n] = idx
            elif part in self.data_streams:
                out.update({b: self.indices[b] for b in self.data_streams[part].backing})
            elif part in self.indices:
                out[part] = self.indices[part]
            else:
                return error(
                    404,
                    "index_not_found_exception",
                    f"no such index [{part}]",
                    **{"resource.type": "index_or_alias", "resource.id": part, "index": part},
                )
        return list(out.values())

    # -- document writes --------------------------------------------------------------------

    def write(self, op: str, meta: dict[str, Any], source: Any) -> tuple[int, dict[str, Any]]:
        """One bulk item; returns (status, item body without the op wrapper)."""
        target = meta["_index"]
        doc_id = meta.get("_id")
        ds_name: str | None = None
        if target in self.data_streams:
            ds_name = target
        elif target not in self.indices:
            found = self.matching_template(target)
            if found is not None and found[1].get("data_stream") is not None:
                ds_name = target
            else:
                problem = index_name_problem(target)
                if problem:
                    return self._item_error(
                        400,
                        target,
                        doc_id,
                        "invalid_index_name_exception",
                        f"Invalid index name [{target}], {problem}",
                    )
        if ds_name is not None:
            if op != "create":
                return self._item_error(
                    400,
                    target,
                    doc_id,
                    "illegal_argument_exception",
                    "only write ops with an op_type of create are allowed in data streams",
                )
            if ds_name not in self.data_streams:
                status, body = self.create_data_stream(ds_name)
                if status != 200:
                    err = body["error"]
                    return self._item_error(status, target, doc_id, err["type"], err["reason"])
            index = self.indices[self.data_streams[ds_name].backing[-1]]
        elif target in self.indices:
            index = self.indices[target]
        else:
            if not self.auto_create_index:
                return self._item_error(
                    404,
                    target,
                    doc_id,
                    "index_not_found_exception",
                    f"no such index [{target}] and [action.auto_create_index] is [false]",
                )
            found = self.matching_template(target)
            index = self._new_index(target, found[1] if found else None, None)

        if doc_id is None:
            doc_id = uuid.uuid4().hex[:20]
        if op == "delete":
            if index.docs.pop(doc_id, None) is None:
                return 404, self._ok(index, doc_id, "not_found")
            return 200, self._ok(index, doc_id, "deleted")
        if op == "update":
            if not isinstance(source, dict) or not isinstance(source.get("doc"), dict):
                return self._item_error(
                    400,
                    index.name,
                    doc_id,
                    "illegal_argument_exception",
                    "[update] requires a [doc] object in this double",
                )
            current = index.docs.get(doc_id)
            if current is None:
                return self._item_error(
                    404,
                    index.name,
                    doc_id,
                    "document_missing_exception",
                    f"[{doc_id}]: document missing",
                )
            source = {**current, **source["doc"]}
        if not isinstance(source, dict):
            return self._item_error(
                400,
                index.name,
                doc_id,
                self.parse_error_type,
                "failed to parse",
                caused_by={
                    "type": "not_x_content_exception",
                    "reason": "Compressor detection can only be called on some xcontent bytes",
                },
            )
        if op == "create" and doc_id in index.docs:
            return self._item_error(
                409,
                index.name,
                doc_id,
                "version_conflict_engine_exception",
                f"[{doc_id}]: version conflict, document already exists (current version [1])",
                index_uuid=index.uuid,
                shard="0",
                index=index.name,
            )
        if index.data_stream is not None and "@timestamp" not in _flatten_keys(source):
            return self._item_error(
                400,
                index.name,
                doc_id,
                self.parse_error_type,
                "data stream timestamp field [@timestamp] is missing",
            )
        try:
            index.mapping.parse(source)
        except FieldError as exc:
            return self._item_error(
                400,
                index.name,
                doc_id,
                self.parse_error_type,
                f"failed to parse field [{exc.path}] of type [{exc.ftype}] in document with id "
                f"'{doc_id}'. Preview of field's value: '{exc.preview}'",
                caused_by={"type": "illegal_argument_exception", "reason": exc.cause},
            )
        except ObjectClash as exc:
            return self._item_error(400, index.name, doc_id, self.parse_error_type, str(exc))
        existed = doc_id in index.docs
        index.docs[doc_id] = source
        index.seq_no += 1
        if existed:
            return 200, self._ok(index, doc_id, "updated")
        return 201, self._ok(index, doc_id, "created")

    @staticmethod
    def _ok(index: Index, doc_id: str, result: str) -> dict[str, Any]:
        return {
            "_index": index.name,
            "_id": doc_id,
            "_version": 1,
            "result": result,
            "_shards": {"total": 2, "successful": 1, "failed": 0},
            "_seq_no": index.seq_no,
            "_primary_term": 1,
        }

    @staticmethod
    def _item_error(
        status: int, target: str, doc_id: str | None, etype: str, reason: str, **extra: Any
    ) -> tuple[int, dict[str, Any]]:
        item: dict[str, Any] = {
            "_index": target,
            "status": status,
            "error": {"type": etype, "reason": reason, **extra},
        }
        if doc_id is not None:
            item["_id"] = doc_id
        return status, item

    # -- reads ------------------------------------------------------------------------------

    def search(
        self, expr: str, query: dict[str, Any] | None
    ) -> list[tuple[Index, str, Any]] | Reply:
        resolved = self.resolve(expr)
        if isinstance(resolved, tuple):
            return resolved
        try:
            matcher = compile_query(query or {"match_all": {}})
        except ValueError as exc:
            return error(400, "parsing_exception", str(exc))
        return [
            (idx, doc_id, src)
            for idx in resolved
            for doc_id, src in idx.searchable.items()
            if matcher(src)
        ]


def _flatten_keys(doc: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for k, v in doc.items():
        out.add(prefix + k)
        if isinstance(v, dict):
            out |= _flatten_keys(v, prefix + k + ".")
    return out


def field_values(doc: dict[str, Any], path: str) -> list[Any]:
    """Values at a dotted ``path``, whether the source nests objects or uses dotted keys."""
    if path in doc:
        value = doc[path]
        return value if isinstance(value, list) else [value]
    out: list[Any] = []
    for key, value in doc.items():
        if path.startswith(key + ".") and isinstance(value, dict):
            out.extend(field_values(value, path[len(key) + 1 :]))
        elif path.startswith(key + ".") and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    out.extend(field_values(item, path[len(key) + 1 :]))
    return out


def compile_query(query: dict[str, Any]) -> Any:
    if len(query) != 1:
        raise ValueError(f"[_na] query malformed, must start with start_object: {query}")
    ((kind, arg),) = query.items()
    if kind == "match_all":
        return lambda doc: True
    if kind == "term":
        ((fname, spec),) = arg.items()
        want = spec["value"] if isinstance(spec, dict) else spec
        return lambda doc: any(v == want or str(v) == str(want) for v in field_values(doc, fname))
    if kind == "bool":
        clauses = [compile_query(q) for key in ("must", "filter") for q in _as_list(arg.get(key))]
        negs = [compile_query(q) for q in _as_list(arg.get("must_not"))]
        return lambda doc: all(c(doc) for c in clauses) and not any(n(doc) for n in negs)
    raise ValueError(f"unknown query [{kind}] (the protocol double supports match_all, term, bool)")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _patterns_overlap(a: list[str], b: list[str]) -> bool:
    """Approximation of Lucene automaton intersection, good enough for prefix-style patterns."""
    for p in a:
        for q in b:
            if fnmatch.fnmatchcase(p.replace("*", "x"), q) or fnmatch.fnmatchcase(
                q.replace("*", "x"), p
            ):
                return True
    return False
