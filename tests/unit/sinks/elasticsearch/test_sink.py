"""Elasticsearch/OpenSearch sink tests.

All of them run against the protocol double in ``tests/esdouble`` (a strict HTTP stand-in),
because no Elasticsearch or OpenSearch server can be installed on this machine (see
COMPONENTS.md §7). The real client libraries (elasticsearch-py, opensearch-py) do the talking.
"""

from __future__ import annotations

import json
import logging
import math
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from elasticsearch import AsyncElasticsearch
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from osmon.components import Context
from osmon.records import Event, LogRecord, Sample
from osmon.sinks.base import PermanentError, TransientError
from osmon.sinks.elasticsearch import build, encode_action, event_document, log_document
from osmon.sinks.elasticsearch.sink import ElasticsearchSink
from tests.esdouble import EsDouble
from tests.esdouble.store import index_name_problem

Factory = Callable[..., EsDouble]
NOVA = "logs-openstack.nova_api-default"
EVENTS = "events-openstack.notifications-default"


def ctx(tmp: Path = Path("/nonexistent")) -> Context:
    return Context(inventory=cast(Any, None), state_dir=tmp, registry=CollectorRegistry())


def make_sink(double: EsDouble, **options: Any) -> ElasticsearchSink:
    opts = {"hosts": [double.url], "initial_backoff": 0.001, "max_backoff": 0.002, **options}
    return build("es", opts, ctx())


def line(i: int, service: str = "nova-api", **fields: Any) -> LogRecord:
    doc: dict[str, Any] = {
        "@timestamp": f"2024-05-01T12:00:{i % 60:02d}.000Z",
        "message": f"GET /v2.1/servers status: 200 line {i}",
        "log": {"level": "INFO", "logger": "nova.api.openstack"},
        "process": {"pid": 4242},
        "host": {"name": "ctl1"},
        "service": {"name": service},
        "openstack": {"request_id": f"req-{i}"},
        "event": {"original": f"raw line {i}"},
    }
    doc.update(fields)
    return LogRecord(doc=doc, doc_id=f"ctl1:ino42:{i * 120}", service=service)


def notification(i: int) -> Event:
    return Event(
        event_type="compute.instance.create.end",
        timestamp=1714564800.5 + i,
        message_id=f"msg-{i}",
        traits={"tenant_id": "p1", "user_id": "u1", "instance_id": f"vm-{i}", "memory_mb": 512},
        raw={"publisher_id": "compute.ctl1", "priority": "INFO", "payload": {"x": i}},
    )


def http(double: EsDouble, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(double.url + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read())


@pytest.mark.parametrize(
    ("flavor", "version", "ctype"),
    [
        ("elasticsearch", "8.15.0", "application/vnd.elasticsearch+x-ndjson; compatible-with=8"),
        ("elasticsearch", "9.1.0", "application/vnd.elasticsearch+x-ndjson; compatible-with=9"),
        ("opensearch", "2.11.1", "application/x-ndjson"),
        ("opensearch", "2.17.0", "application/x-ndjson"),
    ],
)
async def test_happy_path_logs_and_events(
    esdouble_factory: Factory, flavor: str, version: str, ctype: str
) -> None:
    """Against the protocol double (ES/OpenSearch cannot run here): flavor auto-detected, logs
    and events land in their data streams with the template mappings, searchable after refresh."""
    double = esdouble_factory(flavor, version)
    sink = make_sink(double)
    await sink.start()
    batch: list[LogRecord | Event] = [line(i) for i in range(5)]
    batch += [line(i, service="keystone") for i in range(5, 8)]
    batch += [notification(i) for i in range(3)]
    result = await sink.write(batch)
    assert result.ok
    assert sink.status()["flavor"] == flavor
    assert sink.status()["server_version"] == version
    assert sink.counts["created"] == 11

    bulks = double.bulk_requests()
    assert len(bulks) == 1 and bulks[0].status == 200
    assert bulks[0].headers["content-type"] == ctype
    streams = {
        d["name"]: d["template"] for d in http(double, "GET", "/_data_stream")["data_streams"]
    }
    assert streams == {
        NOVA: "osmon-logs-openstack",
        "logs-openstack.keystone-default": "osmon-logs-openstack",
        EVENTS: "osmon-events-openstack-default",
    }
    http(double, "POST", "/_refresh")
    assert http(double, "GET", f"/{NOVA}/_count")["count"] == 5
    found = http(
        double, "POST", f"/{NOVA}/_search", {"query": {"term": {"openstack.request_id": "req-3"}}}
    )
    (hit,) = found["hits"]["hits"]
    assert hit["_id"] == "ctl1:ino42:360"
    assert hit["_source"]["data_stream"] == {
        "type": "logs",
        "dataset": "openstack.nova_api",
        "namespace": "default",
    }
    mapping = next(iter(http(double, "GET", f"/{NOVA}/_mapping").values()))["mappings"]
    assert mapping["properties"]["process"]["properties"]["pid"]["type"] == "long"
    ev = http(double, "POST", f"/{EVENTS}/_search", {"query": {"term": {"event.id": "msg-1"}}})[
        "hits"
    ]["hits"][0]["_source"]
    assert ev["event"]["action"] == "compute.instance.create.end"
    assert ev["openstack"]["notification"]["traits"]["int"]["memory_mb"] == 512
    await sink.close()


async def test_count_and_search_with_the_real_client(esdouble_factory: Factory) -> None:
    """Protocol double (no ES here): what the sink stored reads back through elasticsearch-py."""
    double = esdouble_factory("elasticsearch", "9.1.0")
    sink = make_sink(double, flavor="elasticsearch")
    await sink.start()
    assert (await sink.write([line(i) for i in range(4)])).ok
    await sink.close()
    async with AsyncElasticsearch(double.url) as es:
        assert (await es.count(index=NOVA))["count"] == 0, "not visible before a refresh"
        await es.indices.refresh(index=NOVA)
        assert (await es.count(index=NOVA))["count"] == 4
        res = await es.search(index="logs-openstack.*", query={"term": {"log.level": "INFO"}})
        assert res["hits"]["total"]["value"] == 4


@pytest.mark.parametrize(
    ("flavor", "version", "message", "stack"),
    [
        ("elasticsearch", "8.15.0", "match_only_text", "wildcard"),
        ("opensearch", "2.11.1", "text", "keyword"),
        ("opensearch", "2.5.0", "text", "keyword"),
        ("opensearch", "2.17.0", "match_only_text", "wildcard"),
    ],
)
async def test_templates_use_types_the_server_has(
    esdouble_factory: Factory, flavor: str, version: str, message: str, stack: str
) -> None:
    """Protocol double (no ES/OpenSearch here); it rejects field types the version lacks, so a
    successful start proves the template fits."""
    double = esdouble_factory(flavor, version)
    sink = make_sink(double)
    await sink.start()
    logs = double.store.templates["osmon-logs-openstack"]
    props = logs["template"]["mappings"]["properties"]
    assert logs["index_patterns"] == ["logs-openstack.*-*"] and logs["data_stream"] == {}
    assert props["message"]["type"] == message
    assert props["error"]["properties"]["stack_trace"]["type"] == stack
    assert props["source"]["properties"]["ip"]["type"] == "ip"
    assert props["event"]["properties"]["original"]["index"] is False
    events = double.store.templates["osmon-events-openstack-default"]
    ev_props = events["template"]["mappings"]["properties"]
    traits = ev_props["openstack"]["properties"]["notification"]["properties"]["traits"]
    assert set(traits["properties"]) == {"int", "float", "datetime", "text"}
    assert events["index_patterns"] == [EVENTS]
    assert (await sink.write([line(1), notification(1)])).ok
    await sink.close()


async def test_replay_yields_409_counted_as_success(esdouble: EsDouble) -> None:
    """Protocol double (no ES here): the same batch twice → 409s, reported as accepted."""
    sink = make_sink(esdouble)
    batch = [line(i) for i in range(6)] + [notification(1)]
    assert (await sink.write(batch)).ok
    again = await sink.write(batch)
    assert again.ok
    assert sink.counts["created"] == 7 and sink.counts["duplicates"] == 7
    items = json.loads(esdouble.requests[-1].body.split(b"\n")[0])
    assert "create" in items
    assert len(esdouble.docs(NOVA)) == 6
    await sink.close()


async def test_item_429_is_retried_alone(esdouble: EsDouble) -> None:
    """Protocol double (no ES here): an item rejected twice with 429 is re-sent alone, then ok."""
    sink = make_sink(esdouble)
    batch = [line(i) for i in range(4)]
    esdouble.faults.reject_items(batch[2].doc_id, 429, 503)
    result = await sink.write(batch)
    assert result.ok
    bulks = esdouble.bulk_requests()
    assert len(bulks) == 3
    assert [b.body.count(b"\n") // 2 for b in bulks] == [4, 1, 1]
    assert set(esdouble.docs(NOVA)) == {r.doc_id for r in batch}
    assert sink.counts["retries"] == 2
    await sink.close()


async def test_item_429_exhausted_becomes_transient(esdouble: EsDouble) -> None:
    """Protocol double (no ES here): past max_retries the item is reported transient."""
    sink = make_sink(esdouble, max_retries=2)
    batch = [line(i) for i in range(3)]
    esdouble.faults.reject_items(batch[1].doc_id, 429, 429, 429)
    result = await sink.write(batch)
    assert result.transient == [1] and not result.permanent
    assert len(esdouble.docs(NOVA)) == 2
    await sink.close()


async def test_whole_request_429_and_5xx_are_retried(esdouble: EsDouble) -> None:
    """Protocol double (no ES here): whole-request 429 then 503, third attempt succeeds."""
    sink = make_sink(esdouble)
    await sink.start()
    esdouble.faults.reject_bulk(429, 503)
    assert (await sink.write([line(i) for i in range(3)])).ok
    assert [b.status for b in esdouble.bulk_requests()] == [429, 503, 200]
    await sink.close()


async def test_413_splits_the_chunk(esdouble: EsDouble) -> None:
    """Protocol double (no ES here): a body over the server's limit is halved until it fits; a
    single document over the limit is permanent."""
    sink = make_sink(esdouble)
    await sink.start()
    batch = [line(i) for i in range(8)]
    one = len(b"".join(sink._encode(r) for r in batch[:1]))
    esdouble.faults.max_body_bytes = one * 2 + 10
    big = line(99, message="x" * (one * 3))
    result = await sink.write([*batch, big])
    assert result.permanent and result.permanent[0][0] == 8
    assert "413" in result.permanent[0][1]
    assert not result.transient
    assert len(esdouble.docs(NOVA)) == 8
    ok_bodies = [b for b in esdouble.bulk_requests() if b.status == 200]
    assert all(len(b.body) <= one * 2 + 10 for b in ok_bodies)
    assert sink.counts["splits"] >= 2
    await sink.close()


@pytest.mark.parametrize(
    ("flavor", "etype"),
    [("elasticsearch", "document_parsing_exception"), ("opensearch", "mapper_parsing_exception")],
)
async def test_mapping_error_is_permanent(
    esdouble_factory: Factory, flavor: str, etype: str
) -> None:
    """Protocol double (no ES/OpenSearch here): a string into the ``long`` process.pid is
    refused per item; the reason is kept for the dead-letter file, the rest is stored."""
    double = esdouble_factory(flavor)
    sink = make_sink(double)
    batch = [line(0), line(1, process={"pid": "not-a-pid"}), line(2)]
    result = await sink.write(batch)
    assert not result.transient
    ((pos, reason),) = result.permanent
    assert pos == 1
    assert etype in reason and "process.pid" in reason
    assert len(double.bulk_requests()) == 1, "permanent errors are not retried"
    assert len(double.docs(NOVA)) == 2
    await sink.close()


async def test_backend_down_raises_transient_then_recovers(esdouble_factory: Factory) -> None:
    """Protocol double (no ES here): nothing listening → TransientError from write (which also
    retries the start); connections dropped mid-run → TransientError; then delivery resumes."""
    gone = esdouble_factory()
    url = gone.url
    gone.stop()
    sink = build("es", {"hosts": [url], "initial_backoff": 0.001, "max_retries": 1}, ctx())
    with pytest.raises(TransientError):
        await sink.start()
    with pytest.raises(TransientError):
        await sink.write([line(1)])

    double = esdouble_factory()
    sink = make_sink(double, max_retries=2)
    await sink.start()
    double.faults.bulk_close = 3
    with pytest.raises(TransientError, match="no answer"):
        await sink.write([line(1), line(2)])
    assert (await sink.write([line(1), line(2)])).ok
    assert len(double.docs(NOVA)) == 2
    await sink.close()


async def test_chunks_are_bounded_by_bytes(esdouble: EsDouble) -> None:
    """Protocol double (no ES here): no bulk body exceeds max_chunk_bytes; order is kept."""
    sink = make_sink(esdouble, max_chunk_bytes=4096)
    batch = [line(i) for i in range(60)]
    total = sum(len(sink._encode(r)) for r in batch)
    assert (await sink.write(batch)).ok
    bulks = esdouble.bulk_requests()
    assert all(len(b.body) <= 4096 for b in bulks)
    assert len(bulks) >= math.ceil(total / 4096)
    sent = [json.loads(ln)["create"]["_id"] for b in bulks for ln in b.body.split(b"\n")[0:-1:2]]
    assert sent == [r.doc_id for r in batch]
    await sink.close()


async def test_templates_installed_once(esdouble: EsDouble) -> None:
    """Protocol double (no ES here): start() is idempotent and writes never re-install."""
    sink = make_sink(esdouble)
    await sink.start()
    await sink.start()
    for i in range(3):
        assert (await sink.write([line(i), notification(i)])).ok
    puts = [r.path for r in esdouble.requests if r.path.startswith("/_index_template/")]
    assert sorted(puts) == [
        "/_index_template/osmon-events-openstack-default",
        "/_index_template/osmon-logs-openstack",
    ]
    assert sink.status()["templates_installed"] == 2
    await sink.close()


async def test_lazy_start_installs_templates_on_first_write(esdouble: EsDouble) -> None:
    """Protocol double (no ES here): a sink whose start() never ran still sets up first."""
    sink = make_sink(esdouble)
    assert (await sink.write([line(1)])).ok
    assert "osmon-logs-openstack" in esdouble.store.templates
    paths = [r.path for r in esdouble.requests]
    assert paths.index("/_index_template/osmon-logs-openstack") < paths.index("/_bulk")
    await sink.close()


async def test_secrets_never_logged(
    esdouble_factory: Factory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Protocol double (no ES/OpenSearch here) requiring auth: the API key and the password
    reach the server but never a log line, a repr or the status document."""
    key = "c2VjcmV0LWtleS1kby1ub3QtbG9n"
    password = "hunter2-very-secret"
    monkeypatch.setenv("OSMON_ES_KEY", key)
    monkeypatch.setenv("OSMON_OS_PASSWORD", password)
    caplog.set_level(logging.DEBUG)
    es = esdouble_factory(auth=("apikey", key))
    sink = make_sink(es, api_key_env="OSMON_ES_KEY", max_retries=1)
    es.faults.reject_bulk(429)
    es.faults.reject_items(line(2).doc_id, 429, 429)
    result = await sink.write([line(1), line(2), line(3, process={"pid": "x"})])
    assert result.transient == [1] and result.permanent[0][0] == 2
    assert es.requests[-1].headers["authorization"] == f"ApiKey {key}"
    opensearch = esdouble_factory("opensearch", auth=("basic", "osmon", password))
    sink2 = make_sink(opensearch, username="osmon", password_env="OSMON_OS_PASSWORD")
    assert (await sink2.write([line(1)])).ok
    wrong = esdouble_factory(auth=("apikey", "another-key"))
    sink3 = make_sink(wrong, api_key_env="OSMON_ES_KEY")
    with pytest.raises(TransientError) as err:
        await sink3.start()
    assert "401" in str(err.value) and key not in str(err.value)
    texts = [
        caplog.text,
        repr(sink),
        repr(sink2),
        repr(sink.__dict__),
        repr(sink2.__dict__),
        json.dumps(sink.status()),
        json.dumps(sink2.status()),
    ]
    for text in texts:
        assert key not in text and password not in text
    await sink.close()
    await sink2.close()


async def test_flavor_mismatch_is_permanent(esdouble_factory: Factory) -> None:
    """Protocol double (no OpenSearch here): flavor elasticsearch against OpenSearch fails
    clearly instead of being retried forever; auto picks opensearch-py."""
    double = esdouble_factory("opensearch")
    with pytest.raises(PermanentError, match="not Elasticsearch"):
        await make_sink(double, flavor="elasticsearch").start()
    auto = make_sink(double)
    await auto.start()
    assert auto.status()["flavor"] == "opensearch"
    await auto.close()
    keyed = build(
        "es", {"hosts": [double.url], "flavor": "opensearch", "api_key_env": "HOME"}, ctx()
    )
    with pytest.raises(PermanentError, match="API keys"):
        await keyed.start()


async def test_names_and_ids_are_made_valid(esdouble: EsDouble) -> None:
    """Protocol double (no ES here; it enforces index-name rules and the 512-byte _id limit)."""
    sink = make_sink(esdouble)
    long_id = "ctl1:" + "f" * 600 + ":42"
    rec = LogRecord(doc=line(1).doc, doc_id=long_id, service="Nova-API (wsgi)")
    assert (await sink.write([rec, LogRecord(doc=line(2).doc, service="")])).ok
    assert set(esdouble.store.data_streams) == {
        "logs-openstack.nova_api_wsgi-default",
        "logs-openstack.unknown-default",
    }
    (doc_id,) = esdouble.docs("logs-openstack.nova_api_wsgi-default")
    assert len(doc_id) == 64
    assert (await sink.write([rec])).ok and sink.counts["duplicates"] == 1, "hash is stable"
    await sink.close()


async def test_records_that_cannot_be_sent_are_permanent(esdouble: EsDouble) -> None:
    """Protocol double (no ES here): samples and non-JSON values are refused before sending."""
    sink = make_sink(esdouble)
    bad = line(2, value=float("nan"))
    result = await sink.write([line(1), cast(Any, Sample("x", 1.0, 0.0)), bad])
    assert [p for p, _ in result.permanent] == [1, 2]
    assert len(esdouble.docs(NOVA)) == 1
    await sink.close()


def test_event_document_shape() -> None:
    stream, doc_id, doc = event_document(notification(2), EVENTS, "default")
    assert (stream, doc_id) == (EVENTS, "msg-2")
    assert doc["@timestamp"] == "2024-05-01T12:00:02.500Z"
    assert doc["event"]["action"] == "compute.instance.create.end"
    assert doc["openstack"]["project_id"] == "p1"
    assert doc["openstack"]["instance_id"] == "vm-2"
    assert doc["openstack"]["notification"]["publisher_id"] == "compute.ctl1"
    assert json.loads(doc["event"]["original"])["payload"] == {"x": 2}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"hosts": ["http://u:p@es:9200"]}, "credentials"),
        ({"hosts": ["es:9200"]}, "http"),
        ({"api_key_env": "A", "username": "u", "password_env": "B"}, "either"),
        ({"username": "u"}, "together"),
        ({"namespace": "Prod-1"}, "namespace"),
        ({"events_data_stream": "Bad Name"}, "data stream"),
        ({"password": "literal"}, "password"),
        ({"api_key_env": "OSMON_TEST_UNSET_VARIABLE"}, "OSMON_TEST_UNSET_VARIABLE"),
    ],
)
def test_bad_options_are_refused_clearly(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message) as err:
        build("es", options, ctx())
    assert "literal" not in str(err.value), "option values are not echoed (could be secrets)"


@given(
    service=st.text(max_size=300),
    doc_id=st.text(max_size=700),
    traits=st.dictionaries(st.text(max_size=20), st.one_of(st.text(), st.integers(), st.none())),
)
def test_any_record_encodes_to_two_valid_ndjson_lines(
    service: str, doc_id: str, traits: dict[str, Any]
) -> None:
    """Arbitrary service names, ids and traits always give a valid stream name, an _id within
    the 512-byte limit and exactly two JSON lines."""
    stream, rid, doc = log_document(
        LogRecord({"@timestamp": "2024-01-01T00:00:00Z"}, doc_id, service), "default"
    )
    assert index_name_problem(stream) is None
    assert stream.count("-") == 2
    assert 0 < len(rid.encode()) <= 512
    for payload in (
        encode_action(stream, rid, doc),
        encode_action(*event_document(Event("e", 0.0, doc_id, traits), EVENTS, "default")),
    ):
        meta, source, end = payload.split(b"\n")
        assert end == b""
        assert json.loads(meta)["create"]["_index"]
        assert isinstance(json.loads(source), dict)


async def test_trait_types_map_to_typed_fields(esdouble: EsDouble) -> None:
    """Protocol double (no ES here): each Ceilometer trait type gets its own field type, and one
    trait name used with two types in two event types does not clash."""
    sink = make_sink(esdouble)
    await sink.start()
    typed = Event(
        event_type="compute.instance.create.end",
        timestamp=1714564800.5,
        message_id="typed-1",
        traits={
            "instance_type_id": "2",
            "memory_mb": 2048,
            "launched_at": "2026-11-20T10:00:37",
            "ratio": 0.5,
            "size": 10,
        },
        trait_types={
            "instance_type_id": "text",
            "memory_mb": "int",
            "launched_at": "datetime",
            "ratio": "float",
            "size": "int",
            "absent": "int",
        },
    )
    other = Event(
        event_type="share.create.end",
        timestamp=1714564801.5,
        message_id="typed-2",
        traits={"size": "large", "details": {"a": [1]}, "big": 2**70},
    )
    assert (await sink.write([typed, other])).ok
    mapping = next(iter(http(esdouble, "GET", f"/{EVENTS}/_mapping").values()))["mappings"]
    traits = mapping["properties"]["openstack"]["properties"]["notification"]["properties"][
        "traits"
    ]["properties"]
    assert traits["int"]["properties"]["memory_mb"]["type"] == "long"
    assert traits["int"]["properties"]["size"]["type"] == "long"
    assert traits["float"]["properties"]["ratio"]["type"] == "double"
    assert traits["datetime"]["properties"]["launched_at"]["type"] == "date"
    assert traits["text"]["properties"]["instance_type_id"]["type"] == "keyword"
    assert traits["text"]["properties"]["size"]["type"] == "keyword"
    http(esdouble, "POST", f"/{EVENTS}/_refresh")
    hit = http(esdouble, "POST", f"/{EVENTS}/_search", {"query": {"term": {"event.id": "typed-2"}}})
    source = hit["hits"]["hits"][0]["_source"]["openstack"]["notification"]["traits"]
    assert source == {"text": {"size": "large", "details": '{"a": [1]}', "big": 2**70}}
    await sink.close()
