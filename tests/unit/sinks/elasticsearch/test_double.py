"""The Elasticsearch/OpenSearch protocol double itself: it must refuse what a real server
refuses, or the sink tests that use it (ES/OpenSearch cannot run here) would prove nothing."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch, BadRequestError

from tests.esdouble import EsDouble

Factory = Callable[..., EsDouble]
ND = "application/x-ndjson"


def call(
    double: EsDouble,
    method: str,
    path: str,
    body: bytes | None = None,
    ctype: str = ND,
    accept: str | None = None,
) -> tuple[int, Any]:
    req = urllib.request.Request(double.url + path, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", ctype)
    if accept:
        req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else None


def nd(*lines: Any) -> bytes:
    return b"".join(json.dumps(x).encode() + b"\n" for x in lines)


def template(double: EsDouble, pattern: str = "logs-t.*-*", **mappings: Any) -> None:
    body = {
        "index_patterns": [pattern],
        "data_stream": {},
        "priority": 300,
        "template": {"mappings": {"properties": mappings}},
    }
    status, _ = call(
        double, "PUT", "/_index_template/t", json.dumps(body).encode(), "application/json"
    )
    assert status == 200


def test_bulk_wire_format_is_enforced(esdouble: EsDouble) -> None:
    ok = nd({"index": {"_index": "plain"}}, {"a": 1})
    assert call(esdouble, "POST", "/_bulk", ok)[0] == 200
    assert call(esdouble, "PUT", "/_bulk", ok)[0] == 200
    status, body = call(esdouble, "POST", "/_bulk", ok[:-1])
    assert status == 400 and "terminated by a newline" in body["error"]["reason"]
    status, body = call(esdouble, "POST", "/_bulk", nd({"upsert": {"_index": "x"}}, {}))
    assert status == 400 and "Malformed action/metadata line [1]" in body["error"]["reason"]
    status, body = call(esdouble, "POST", "/_bulk", nd({"create": {"_id": "1"}}, {}))
    assert body["error"]["type"] == "action_request_validation_exception"
    status, body = call(esdouble, "POST", "/_bulk", nd({"create": {"_index": "x", "typo": 1}}, {}))
    assert "unknown parameter [typo]" in body["error"]["reason"]
    assert call(esdouble, "POST", "/_bulk", ok, ctype="text/plain")[0] == 406
    status, body = call(esdouble, "POST", "/_bulk?refersh=true", ok)
    assert status == 400 and "unrecognized parameter" in body["error"]["reason"]
    status, body = call(
        esdouble, "POST", "/_bulk", nd({"create": {"_index": "x", "_id": "i" * 513}}, {})
    )
    assert status == 400 and "too long" in body["error"]["reason"]


def test_data_stream_rules(esdouble: EsDouble) -> None:
    template(esdouble, n={"type": "long"})
    ts = "2024-01-01T00:00:00Z"
    body = nd(
        {"create": {"_index": "logs-t.a-default", "_id": "1"}},
        {"@timestamp": ts, "n": 1},
        {"create": {"_index": "logs-t.a-default", "_id": "1"}},
        {"@timestamp": ts, "n": 1},
        {"index": {"_index": "logs-t.a-default", "_id": "2"}},
        {"@timestamp": ts},
        {"create": {"_index": "logs-t.a-default", "_id": "3"}},
        {"n": 3},
        {"create": {"_index": "logs-t.a-default", "_id": "4"}},
        {"@timestamp": ts, "n": "four"},
        {"create": {"_index": "logs-t.a-default", "_id": "5"}},
        {"@timestamp": ts, "n": "5"},
        {"create": {"_index": "Logs-Upper", "_id": "6"}},
        {"@timestamp": ts},
    )
    status, resp = call(esdouble, "POST", "/_bulk", body)
    assert status == 200 and resp["errors"] is True
    got = [
        (
            i["create" if "create" in i else "index"]["status"],
            (i.get("create") or i.get("index"))["error"]["type"]
            if "error" in (i.get("create") or i.get("index"))
            else None,
        )
        for i in resp["items"]
    ]
    assert got == [
        (201, None),
        (409, "version_conflict_engine_exception"),
        (400, "illegal_argument_exception"),
        (400, "document_parsing_exception"),
        (400, "document_parsing_exception"),
        (201, None),
        (400, "invalid_index_name_exception"),
    ]
    assert resp["items"][0]["create"]["_index"].startswith(".ds-logs-t.a-default-")
    (ds,) = call(esdouble, "GET", "/_data_stream/logs-t.a-default")[1]["data_streams"]
    assert ds["template"] == "t"
    assert call(esdouble, "GET", "/_data_stream/logs-none-default")[0] == 404
    assert call(esdouble, "PUT", "/_data_stream/metrics-x-y")[0] == 400


def test_refresh_count_and_term_search(esdouble: EsDouble) -> None:
    template(esdouble, k={"type": "keyword"})
    ts = "2024-01-01T00:00:00Z"
    lines = []
    for i in range(5):
        lines += [
            {"create": {"_index": "logs-t.a-default", "_id": str(i)}},
            {"@timestamp": ts, "k": "even" if i % 2 == 0 else "odd"},
        ]
    assert call(esdouble, "POST", "/_bulk", nd(*lines))[0] == 200
    assert call(esdouble, "GET", "/logs-t.a-default/_count")[1]["count"] == 0
    assert call(esdouble, "POST", "/logs-t.a-default/_refresh")[0] == 200
    assert call(esdouble, "GET", "/logs-t.a-default/_count")[1]["count"] == 5
    q = json.dumps({"query": {"term": {"k": {"value": "even"}}}}).encode()
    status, res = call(esdouble, "POST", "/logs-t.*/_search", q, "application/json")
    assert status == 200
    assert res["hits"]["total"]["value"] == 3
    assert {h["_id"] for h in res["hits"]["hits"]} == {"0", "2", "4"}
    assert call(esdouble, "GET", "/missing/_count")[0] == 404


def test_templates_are_validated(esdouble_factory: Factory) -> None:
    es = esdouble_factory()
    same_priority = {"index_patterns": ["logs-x-*"], "data_stream": {}, "priority": 100}
    status, body = call(
        es, "PUT", "/_index_template/clash", json.dumps(same_priority).encode(), "application/json"
    )
    assert status == 400 and "same priority [100]" in body["error"]["reason"]
    old_os = esdouble_factory("opensearch", "2.11.1")
    wildcard = {
        "index_patterns": ["x-*"],
        "template": {"mappings": {"properties": {"f": {"type": "wildcard"}}}},
    }
    status, body = call(
        old_os, "PUT", "/_index_template/w", json.dumps(wildcard).encode(), "application/json"
    )
    assert status == 400 and "No handler for type [wildcard]" in body["error"]["reason"]


def test_product_header_and_media_types(esdouble_factory: Factory) -> None:
    es8 = esdouble_factory("elasticsearch", "8.15.0")
    os2 = esdouble_factory("opensearch")
    status, body = call(
        es8, "GET", "/", accept="application/vnd.elasticsearch+json; compatible-with=9"
    )
    assert status == 400 and body["error"]["type"] == "media_type_header_exception"
    with urllib.request.urlopen(es8.url + "/") as resp:
        assert resp.headers["X-Elastic-Product"] == "Elasticsearch"
    with urllib.request.urlopen(os2.url + "/") as resp:
        assert resp.headers["X-Elastic-Product"] is None
        assert json.loads(resp.read())["version"]["distribution"] == "opensearch"
    vnd = "application/vnd.elasticsearch+x-ndjson; compatible-with=8"
    assert call(os2, "POST", "/_bulk", nd({"index": {"_index": "a"}}, {}), ctype=vnd)[0] == 406


async def test_real_9x_client_is_refused_by_an_8x_double(esdouble: EsDouble) -> None:
    async with AsyncElasticsearch(esdouble.url) as es:
        with pytest.raises(BadRequestError, match="media_type_header_exception"):
            await es.info()


def test_faults(esdouble: EsDouble) -> None:
    ok = nd({"index": {"_index": "plain", "_id": "a"}}, {"a": 1})
    esdouble.faults.reject_bulk(429)
    esdouble.faults.max_body_bytes = 10_000
    assert call(esdouble, "POST", "/_bulk", ok)[0] == 429
    assert call(esdouble, "POST", "/_bulk", ok + b" " * 10_000)[0] == 413
    esdouble.faults.reject_items("a", 429)
    status, body = call(esdouble, "POST", "/_bulk", ok)
    assert status == 200 and body["items"][0]["index"]["status"] == 429
    esdouble.faults.bulk_close = 1
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        call(esdouble, "POST", "/_bulk", ok)
    assert call(esdouble, "POST", "/_bulk", ok)[0] == 200
    assert [r.status for r in esdouble.bulk_requests()] == [429, 413, 200, -1, 200]
