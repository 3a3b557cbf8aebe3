"""HTTP front of the protocol double: wire-format checks, fault injection, request recording.

A ``ThreadingHTTPServer`` on 127.0.0.1 (random port) rather than aiohttp so that a fault can
drop a connection without answering, exactly what a crashing node does to a client.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import threading
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .mapping import ES_TYPES, opensearch_types
from .store import Reply, Store, error

_COMPAT = re.compile(r"application/vnd\.elasticsearch\+([a-z-]+)\s*;\s*compatible-with=(\d+)")
_GLOBAL_PARAMS = {"pretty", "human", "error_trace", "filter_path", "format"}
_BULK_ACTIONS = ("index", "create", "update", "delete")
_BULK_META = {
    "_index",
    "_id",
    "routing",
    "if_seq_no",
    "if_primary_term",
    "version",
    "version_type",
    "pipeline",
    "require_alias",
    "dynamic_templates",
    "retry_on_conflict",
    "_source",
    "list_executed_pipelines",
    "require_data_stream",
}


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int = 0


@dataclass
class Faults:
    """Scripted misbehaviour; each counter is consumed by the next matching ``_bulk`` request."""

    bulk_status: list[int] = field(default_factory=list)
    bulk_close: int = 0
    item_status: dict[str, list[int]] = field(default_factory=dict)
    max_body_bytes: int | None = None

    def reject_bulk(self, *statuses: int) -> None:
        """The next ``len(statuses)`` bulk requests get these whole-request statuses (429, 5xx)."""
        self.bulk_status.extend(statuses)

    def reject_items(self, doc_id: str, *statuses: int) -> None:
        """The next ``len(statuses)`` times ``doc_id`` is written, answer with these statuses."""
        self.item_status.setdefault(doc_id, []).extend(statuses)


class EsDouble:
    """A strict protocol double of the Elasticsearch 8.x/9.x and OpenSearch 2.x HTTP API.

    Not a search engine: it exists because no Elasticsearch or OpenSearch server can be
    installed on the build machine (see COMPONENTS.md §7). It enforces what a real server
    enforces on the wire (product header, compatible-with media types, NDJSON ``_bulk`` as PUT
    or POST with a final newline and valid action lines, ``create`` into data streams, ``_id``
    uniqueness → 409, data streams created from index templates, ``@timestamp`` required,
    field-type clashes → 400 per item) and can inject faults (whole-request 429/5xx, 413 for
    large bodies, dropped connections, per-item 429/5xx). ``_count``/``_search`` (match_all,
    term, bool) read what was stored after a refresh. Every request is recorded.
    """

    def __init__(
        self,
        flavor: str = "elasticsearch",
        version: str | None = None,
        *,
        auth: tuple[str, ...] | None = None,
        auto_create_index: bool = True,
        builtin_templates: bool = True,
    ) -> None:
        if flavor not in ("elasticsearch", "opensearch"):
            raise ValueError(flavor)
        self.flavor = flavor
        self.version = version or ("8.15.0" if flavor == "elasticsearch" else "2.11.1")
        vtuple = tuple(int(p) for p in self.version.split("."))
        types = ES_TYPES if flavor == "elasticsearch" else opensearch_types(vtuple)
        self.store = Store(flavor, vtuple, set(types), auto_create_index)
        if flavor == "elasticsearch" and builtin_templates:
            self.store.templates["logs"] = {
                "index_patterns": ["logs-*-*"],
                "priority": 100,
                "data_stream": {},
                "template": {"mappings": {"properties": {"@timestamp": {"type": "date"}}}},
                "_meta": {"managed": True, "description": "built-in logs template"},
            }
        self.auth = auth
        self.faults = Faults()
        self.requests: list[Recorded] = []
        self.internal_errors: list[str] = []
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> EsDouble:
        double = self

        class Handler(_Handler):
            owner = double

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"esdouble-{self.flavor}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> EsDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- assertions helpers -----------------------------------------------------------------

    def bulk_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/_bulk")]

    def docs(self, target: str) -> dict[str, dict[str, Any]]:
        """All stored documents (refreshed or not) behind an index or data stream name."""
        with self.lock:
            resolved = self.store.resolve(target)
            if isinstance(resolved, tuple):
                return {}
            return {k: v for idx in resolved for k, v in idx.docs.items()}

    # -- request handling -------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        version: dict[str, Any] = {
            "number": self.version,
            "build_type": "tar",
            "build_hash": "0" * 40,
            "build_date": "2024-01-01T00:00:00Z",
            "build_snapshot": False,
            "lucene_version": "9.11.1",
            "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0",
        }
        if self.flavor == "opensearch":
            version = {"distribution": "opensearch", **version}
            tagline = "The OpenSearch Project: https://opensearch.org/"
        else:
            version = {**version, "build_flavor": "default"}
            tagline = "You Know, for Search"
        return {
            "name": "esdouble-0",
            "cluster_name": "esdouble",
            "cluster_uuid": "esdouble-uuid",
            "version": version,
            "tagline": tagline,
        }

    def handle(self, rec: Recorded) -> Reply | None:
        """Route one request; ``None`` means drop the connection without an answer."""
        problem = self._check_auth(rec) or self._check_media_types(rec)
        if problem:
            return problem
        parts = [unquote(p) for p in rec.path.split("/") if p]
        method = rec.method
        if rec.path.endswith("/_bulk") and method in ("POST", "PUT"):
            return self._bulk(rec, parts[0] if len(parts) == 2 else None)
        with self.lock:
            return self._route(method, parts, rec)

    def _route(self, method: str, parts: list[str], rec: Recorded) -> Reply:
        store = self.store
        body = _json_body(rec.body) if rec.body else None
        if isinstance(body, _BadJson):
            return error(400, "x_content_parse_exception", body.reason)
        if not parts and method in ("GET", "HEAD"):
            return 200, self.info()
        if parts[0] == "_index_template":
            name = parts[1] if len(parts) > 1 else None
            if method in ("PUT", "POST") and name:
                bad = _unknown_params(rec, {"create", "master_timeout", "cause"})
                return bad or store.put_template(name, body, rec.params.get("create") == "true")
            if method in ("GET", "HEAD"):
                return store.get_templates(name)
            if method == "DELETE" and name:
                return store.delete_template(name)
        if parts[0] == "_data_stream":
            name = parts[1] if len(parts) > 1 else None
            if method == "GET":
                return store.get_data_streams(name)
            if method == "PUT" and name:
                return store.create_data_stream(name)
            if method == "DELETE" and name:
                return store.delete_data_stream(name)
        if parts[-1] == "_refresh" and method in ("POST", "GET"):
            resolved = store.resolve(parts[0] if len(parts) == 2 else "*")
            if isinstance(resolved, tuple):
                return resolved
            for idx in resolved:
                idx.refresh()
            n = len(resolved)
            return 200, {"_shards": {"total": 2 * n, "successful": n, "failed": 0}}
        if parts[-1] in ("_count", "_search") and method in ("GET", "POST"):
            return self._read(parts, body, rec)
        if parts[-1] == "_mapping" and len(parts) == 2 and method == "GET":
            resolved = store.resolve(parts[0])
            if isinstance(resolved, tuple):
                return resolved
            return 200, {i.name: {"mappings": i.mapping.to_json()} for i in resolved}
        return 400, {"error": f"no handler found for uri [{rec.path}] and method [{method}]"}

    def _read(self, parts: list[str], body: Any, rec: Recorded) -> Reply:
        target = parts[0] if len(parts) == 2 else "*"
        query = (body or {}).get("query")
        found = self.store.search(target, query)
        if isinstance(found, tuple):
            return found
        shards = {"total": 1, "successful": 1, "skipped": 0, "failed": 0}
        if parts[-1] == "_count":
            return 200, {"count": len(found), "_shards": shards}
        size = int((body or {}).get("size", rec.params.get("size", 10)))
        start = int((body or {}).get("from", rec.params.get("from", 0)))
        hits = [
            {"_index": idx.name, "_id": doc_id, "_score": 1.0, "_source": src}
            for idx, doc_id, src in found[start : start + size]
        ]
        return 200, {
            "took": 1,
            "timed_out": False,
            "_shards": shards,
            "hits": {
                "total": {"value": len(found), "relation": "eq"},
                "max_score": 1.0 if hits else None,
                "hits": hits,
            },
        }

    def _bulk(self, rec: Recorded, path_index: str | None) -> Reply | None:
        bad = _unknown_params(
            rec,
            {
                "refresh",
                "timeout",
                "wait_for_active_shards",
                "routing",
                "pipeline",
                "require_alias",
                "_source",
            },
        )
        if bad:
            return bad
        with self.lock:
            if self.faults.bulk_close:
                self.faults.bulk_close -= 1
                return None
            if (
                self.faults.max_body_bytes is not None
                and len(rec.body) > self.faults.max_body_bytes
            ):
                return 413, None
            if self.faults.bulk_status:
                status = self.faults.bulk_status.pop(0)
                etype = (
                    "es_rejected_execution_exception"
                    if status == 429
                    else "node_not_connected_exception"
                )
                if self.flavor == "opensearch" and status == 429:
                    etype = "rejected_execution_exception"
                return error(status, etype, f"injected whole-request failure [{status}]")
        parsed = _parse_bulk(rec.body, path_index)
        if isinstance(parsed, tuple) and isinstance(parsed[0], int):
            return parsed
        items: list[dict[str, Any]] = []
        touched: set[str] = set()
        with self.lock:
            for op, meta, source in parsed:
                status, item = self._bulk_item(op, meta, source)
                items.append({op: {**item, "status": status}})
                touched.add(item.get("_index", ""))
            if rec.params.get("refresh") in ("true", "", "wait_for"):
                for name in touched:
                    if name in self.store.indices:
                        self.store.indices[name].refresh()
        errors = any("error" in next(iter(i.values())) for i in items)
        return 200, {"errors": errors, "took": 1, "items": items}

    def _bulk_item(self, op: str, meta: dict[str, Any], source: Any) -> tuple[int, dict[str, Any]]:
        doc_id = meta.get("_id")
        scripted = self.faults.item_status.get(doc_id or "")
        if scripted:
            status = scripted.pop(0)
            etype = (
                (
                    "es_rejected_execution_exception"
                    if self.flavor == "elasticsearch"
                    else "rejected_execution_exception"
                )
                if status == 429
                else "unavailable_shards_exception"
            )
            return status, {
                "_index": meta["_index"],
                "_id": doc_id,
                "status": status,
                "error": {"type": etype, "reason": f"injected item failure [{status}]"},
            }
        return self.store.write(op, meta, source)

    def _check_auth(self, rec: Recorded) -> Reply | None:
        if self.auth is None:
            return None
        given = rec.headers.get("authorization", "")
        if self.auth[0] == "apikey":
            want = f"ApiKey {self.auth[1]}"
        else:
            token = base64.b64encode(f"{self.auth[1]}:{self.auth[2]}".encode()).decode()
            want = f"Basic {token}"
        if given == want:
            return None
        return error(
            401,
            "security_exception",
            "missing authentication credentials for REST request [" + rec.path + "]",
            header={"WWW-Authenticate": ['Basic realm="security"', "ApiKey"]},
        )

    def _check_media_types(self, rec: Recorded) -> Reply | None:
        accept = rec.headers.get("accept", "")
        ctype = rec.headers.get("content-type", "")
        if self.flavor == "opensearch":
            if (
                rec.body
                and ctype
                and not re.match(r"application/(json|x-ndjson|smile|cbor|yaml)\b", ctype)
            ):
                return 406, {
                    "error": f"Content-Type header [{ctype}] is not supported",
                    "status": 406,
                }
            return None
        major = int(self.version.split(".")[0])
        versions = {}
        for name, value in (("Accept", accept), ("Content-Type", ctype)):
            m = _COMPAT.search(value)
            if m:
                versions[name] = int(m.group(2))
            elif (
                value
                and name == "Content-Type"
                and rec.body
                and not re.match(r"application/(json|x-ndjson|smile|cbor|yaml)\b", value)
            ):
                return 406, {
                    "error": f"Content-Type header [{value}] is not supported",
                    "status": 406,
                }
        for name, v in versions.items():
            if v not in (major, major - 1):
                return self._media_error(
                    f"{name} version must be either version {major} or {major - 1}, but found "
                    f"{v}. {name}={accept if name == 'Accept' else ctype}"
                )
        if (
            rec.body
            and ctype
            and versions
            and versions.get("Accept") != versions.get("Content-Type")
        ):
            return self._media_error(
                "A compatible version is required on both Content-Type and Accept headers if "
                "either one has requested a compatible version and the compatible versions must "
                f"match. Accept={accept}, Content-Type={ctype}"
            )
        return None

    @staticmethod
    def _media_error(reason: str) -> Reply:
        status, body = error(
            400,
            "media_type_header_exception",
            "Invalid media-type value on headers [Accept, Content-Type]",
            caused_by={"type": "status_exception", "reason": reason},
        )
        return status, body


class _BadJson:
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _json_body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        return _BadJson(f"Failed to parse request body: {exc}")


def _unknown_params(rec: Recorded, allowed: set[str]) -> Reply | None:
    for p in rec.params:
        if p not in allowed and p not in _GLOBAL_PARAMS:
            return error(
                400,
                "illegal_argument_exception",
                f"request [{rec.path}] contains unrecognized parameter: [{p}]",
            )
    return None


def _parse_bulk(
    body: bytes, path_index: str | None
) -> list[tuple[str, dict[str, Any], Any]] | Reply:
    """Split an NDJSON bulk body into (op, meta, source) with the server's validation errors."""
    if not body:
        return error(400, "parse_exception", "request body is required")
    if not body.endswith(b"\n"):
        return error(
            400,
            "illegal_argument_exception",
            "The bulk request must be terminated by a newline [\\n]",
        )
    lines = body.split(b"\n")[:-1]
    out: list[tuple[str, dict[str, Any], Any]] = []
    i = 0
    problems: list[str] = []
    while i < len(lines):
        lineno = i + 1
        try:
            action = json.loads(lines[i])
        except ValueError as exc:
            return error(
                400,
                "x_content_parse_exception",
                f"[{lineno}:1] Malformed action/metadata line [{lineno}]: {exc}",
            )
        if not isinstance(action, dict) or len(action) != 1:
            return error(
                400,
                "illegal_argument_exception",
                f"Malformed action/metadata line [{lineno}], expected START_OBJECT or "
                "END_OBJECT but found [VALUE_STRING]",
            )
        ((op, meta),) = action.items()
        if op not in _BULK_ACTIONS:
            return error(
                400,
                "illegal_argument_exception",
                f"Malformed action/metadata line [{lineno}], expected field [create], "
                f"[delete], [index] or [update] but found [{op}]",
            )
        if not isinstance(meta, dict):
            return error(
                400,
                "illegal_argument_exception",
                f"Malformed action/metadata line [{lineno}], expected a simple value "
                f"for field [{op}] but found [START_ARRAY]",
            )
        for key in meta:
            if key not in _BULK_META:
                return error(
                    400,
                    "illegal_argument_exception",
                    f"Action/metadata line [{lineno}] contains an unknown parameter [{key}]",
                )
        meta = dict(meta)
        if "_index" not in meta:
            if path_index is None:
                problems.append("index is missing")
            else:
                meta["_index"] = path_index
        doc_id = meta.get("_id")
        if doc_id is not None and len(str(doc_id).encode()) > 512:
            problems.append(
                f"id [{doc_id}] is too long, must be no longer than 512 bytes but "
                f"was: {len(str(doc_id).encode())}"
            )
        if op in ("update", "delete") and doc_id is None:
            problems.append("id is missing")
        source: Any = None
        if op != "delete":
            i += 1
            if i >= len(lines):
                return error(
                    400,
                    "illegal_argument_exception",
                    "The bulk request must be terminated by a newline [\\n]",
                )
            try:
                source = json.loads(lines[i])
            except ValueError:
                source = _BadJson("unparseable")
        out.append((op, meta, source))
        i += 1
    if not out:
        problems.append("no requests added")
    if problems:
        reason = "Validation Failed: " + "".join(f"{n}: {p};" for n, p in enumerate(problems, 1))
        return error(400, "action_request_validation_exception", reason)
    return out


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: EsDouble

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            raw = b"".join(chunks)
        else:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            raw = gzip.decompress(raw)
        return raw

    def _serve(self) -> None:
        split = urlsplit(self.path)
        rec = Recorded(
            self.command,
            split.path or "/",
            dict(parse_qsl(split.query, keep_blank_values=True)),
            {k.lower(): v for k, v in self.headers.items()},
            self._read_body(),
        )
        with self.owner.lock:
            self.owner.requests.append(rec)
        try:
            reply = self.owner.handle(rec)
        except Exception:
            self.owner.internal_errors.append(traceback.format_exc())
            reply = error(
                500,
                "double_internal_error",
                "bug in the protocol double; see EsDouble.internal_errors",
            )
        if reply is None:
            rec.status = -1
            self.close_connection = True
            self.connection.shutdown(2)
            return
        status, body = reply
        rec.status = status
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if self.owner.flavor == "elasticsearch":
            self.send_header("X-Elastic-Product", "Elasticsearch")
        if body is not None:
            self.send_header("Content-Type", "application/json")
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="security", ApiKey')
        self.send_header("Content-Length", str(len(payload)))
        if status == 413:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve
