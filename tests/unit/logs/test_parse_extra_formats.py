"""The infrastructure formats: PostgreSQL, Redis, Nagios, JSON lines and plain text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from osmon.logs.parser import DATE_FAILURE, PARSE_FAILURE, LogParser

LOGS = Path(__file__).resolve().parents[1] / "fixtures" / "logs"


def parse(fmt: str, lines: list[str], timezone: str = "UTC") -> list[dict[str, Any]]:
    p = LogParser(fmt, host="ctl1", timezone=timezone, path=f"/var/log/{fmt}.log")
    docs: list[dict[str, Any]] = []
    offset = 0
    for line in lines:
        docs += [e.doc for e in p.feed(line, offset)]
        offset += len(line.encode()) + 1
    return docs + [e.doc for e in p.flush()]


# --- postgresql -------------------------------------------------------------------------------


def test_postgresql_session_line() -> None:
    line = (
        "2026-11-23 21:00:00.123 UTC [1234] nova@nova LOG:  duration: 0.123 ms  statement: SELECT 1"
    )
    (doc,) = parse("postgresql", [line])
    assert doc["@timestamp"] == "2026-11-23T21:00:00.123+00:00"
    assert doc["process"]["pid"] == 1234
    assert doc["user"]["name"] == "nova"
    assert doc["postgresql"]["log"]["database"] == "nova"
    assert doc["log"]["level"] == "LOG"
    assert doc["message"] == "duration: 0.123 ms  statement: SELECT 1"
    assert doc["event"]["duration"] == 123_000
    assert doc["event"]["original"] == line
    assert doc["host"]["name"] == "ctl1"
    assert "tags" not in doc


def test_postgresql_background_process_line() -> None:
    (doc,) = parse(
        "postgresql", ["2026-11-23 21:00:00.123 UTC [1234] LOG:  checkpoint starting: time"]
    )
    assert doc["process"]["pid"] == 1234
    assert doc["message"] == "checkpoint starting: time"
    assert "user" not in doc and "postgresql" not in doc
    assert "duration" not in doc["event"]


@pytest.mark.parametrize(
    ("zone", "want"),
    [
        ("UTC", "2026-11-23T21:00:00.123+00:00"),
        ("CET", "2026-11-23T21:00:00.123+01:00"),
        ("+03", "2026-11-23T21:00:00.123+03:00"),
        ("-0530", "2026-11-23T21:00:00.123-05:30"),
        ("CEST", "2026-11-23T21:00:00.123-05:00"),
    ],
)
def test_postgresql_zone_written_in_the_line(zone: str, want: str) -> None:
    line = f"2026-11-23 21:00:00.123 {zone} [1] LOG:  x"
    (doc,) = parse("postgresql", [line], timezone="America/New_York")
    assert doc["@timestamp"] == want


@pytest.mark.parametrize(
    "level", ["LOG", "WARNING", "ERROR", "FATAL", "PANIC", "DEBUG1", "DEBUG5", "INFO", "NOTICE"]
)
def test_postgresql_levels(level: str) -> None:
    (doc,) = parse("postgresql", [f"2026-11-23 21:00:00.123 UTC [1] {level}:  x"])
    assert doc["log"]["level"] == level


def test_postgresql_detail_lines_and_statement_continuations_join_the_entry() -> None:
    docs = parse("postgresql", (LOGS / "postgresql.log").read_text().splitlines())
    assert [d["log"]["level"] for d in docs] == [
        "LOG", "LOG", "LOG", "LOG", "LOG", "ERROR", "ERROR", "LOG", "LOG", "FATAL", "WARNING"
    ]  # fmt: skip
    err = docs[6]
    assert err["user"]["name"] == "gnocchi"
    assert err["postgresql"]["log"]["database"] == "gnocchi"
    assert err["message"].splitlines() == [
        'duplicate key value violates unique constraint "resource_pkey"',
        "DETAIL:  Key (id)=(0343728d-d901-55cb-80c5-77646d7d9f13) already exists.",
        "STATEMENT:  INSERT INTO resource (id, creator, type)",
        "\tVALUES ('0343728d-d901-55cb-80c5-77646d7d9f13'::UUID, 'admin',",
        "\t        'generic')",
    ]
    assert err["event"]["original"].count("\n") == 4
    unknown = docs[8]
    assert "user" not in unknown and "postgresql" not in unknown
    assert docs[10]["message"].endswith("\nHINT:  Start a transaction with BEGIN.")
    assert not any("tags" in d for d in docs)


def test_postgresql_detail_of_another_backend_does_not_join() -> None:
    lines = [
        "2026-11-23 21:00:00.123 UTC [1] a@b ERROR:  boom",
        "2026-11-23 21:00:00.124 UTC [2] a@b DETAIL:  not mine",
    ]
    first, second = parse("postgresql", lines)
    assert first["message"] == "boom"
    assert second["tags"] == [PARSE_FAILURE]


def test_postgresql_is_detected_by_auto() -> None:
    p = LogParser("auto")
    entries = p.feed("2026-11-23 21:00:00.123 UTC [1] LOG:  x", 0) + p.flush()
    assert p.format_name == "postgresql"
    assert entries[0].doc["process"]["pid"] == 1


# --- redis ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("char", "level", "role_char", "role"),
    [(".", "DEBUG", "X", "sentinel"), ("-", "VERBOSE", "C", "child"),
     ("*", "NOTICE", "S", "slave"), ("#", "WARNING", "M", "master")],
)  # fmt: skip
def test_redis_line(char: str, level: str, role_char: str, role: str) -> None:
    line = f"1234:{role_char} 23 Nov 2026 21:00:00.123 {char} Ready to accept connections"
    (doc,) = parse("redis", [line])
    assert doc["@timestamp"] == "2026-11-23T21:00:00.123+00:00"
    assert doc["process"]["pid"] == 1234
    assert doc["redis"]["log"]["role"] == role
    assert doc["log"]["level"] == level
    assert doc["message"] == "Ready to accept connections"
    assert doc["event"]["original"] == line


def test_redis_old_form_has_no_year_and_no_role() -> None:
    (doc,) = parse("redis", ["[1234] 3 Jan 21:00:00.123 # Server started"], timezone="Europe/Paris")
    assert doc["@timestamp"].endswith("-01-03T21:00:00.123+01:00")
    assert doc["process"]["pid"] == 1234
    assert doc["log"]["level"] == "WARNING"
    assert "redis" not in doc
    assert doc["message"] == "Server started"


def test_redis_is_detected_by_auto() -> None:
    p = LogParser("auto")
    p.feed("2203:M 23 Nov 2026 21:08:19.173 * Ready to accept connections", 0)
    assert p.format_name == "redis"


# --- nagios ---------------------------------------------------------------------------------


def test_nagios_service_alert() -> None:
    line = "[1700000000] SERVICE ALERT: ctl1;nova-api;CRITICAL;HARD;1;CRITICAL - refused; port 8774"
    (doc,) = parse("nagios", [line])
    assert doc["@timestamp"] == "2023-11-14T22:13:20+00:00"
    n = doc["nagios"]["log"]
    assert n == {
        "event_type": "SERVICE ALERT",
        "host": "ctl1",
        "service": "nova-api",
        "state": "CRITICAL",
        "state_type": "HARD",
        "attempt": 1,
        "output": "CRITICAL - refused; port 8774",
    }
    assert doc["message"] == line[13:]
    assert doc["host"]["name"] == "ctl1"
    assert "tags" not in doc


def test_nagios_host_alert_notification_and_external_command() -> None:
    alert, note, cmd, free = parse(
        "nagios",
        [
            "[1700000001] HOST ALERT: cmp1;DOWN;SOFT;2;PING CRITICAL - Packet loss = 100%",
            "[1700000002] SERVICE NOTIFICATION: ops;ctl1;nova-api;CRITICAL;notify-by-email;x",
            "[1700000003] EXTERNAL COMMAND: PROCESS_SERVICE_CHECK_RESULT;ctl1;smoke;1;WARN | x=1",
            "[1700000004] qh: core query handler registered",
        ],
    )
    assert alert["nagios"]["log"] == {
        "event_type": "HOST ALERT",
        "host": "cmp1",
        "state": "DOWN",
        "state_type": "SOFT",
        "attempt": 2,
        "output": "PING CRITICAL - Packet loss = 100%",
    }
    assert note["nagios"]["log"]["contact"] == "ops"
    assert note["nagios"]["log"]["notification_command"] == "notify-by-email"
    assert cmd["nagios"]["log"] == {
        "event_type": "EXTERNAL COMMAND",
        "command": "PROCESS_SERVICE_CHECK_RESULT",
        "command_args": "ctl1;smoke;1;WARN | x=1",
    }
    assert free["message"] == "qh: core query handler registered"
    assert "nagios" not in free
    assert free["@timestamp"] == "2023-11-14T22:13:24+00:00"


def test_nagios_unparseable_line_is_tagged() -> None:
    (doc,) = parse("nagios", ["not a nagios line"])
    assert doc["tags"] == [PARSE_FAILURE]


# --- json -----------------------------------------------------------------------------------

OSLO_JSON = {
    "message": "Instance spawned",
    "asctime": "2026-11-23 21:00:00,123",
    "name": "nova.compute.manager",
    "msg": "Instance spawned",
    "args": [],
    "levelname": "INFO",
    "levelno": 20,
    "pathname": "/usr/lib/python3/dist-packages/nova/compute/manager.py",
    "filename": "manager.py",
    "module": "manager",
    "lineno": 2512,
    "funcname": "_build_and_run_instance",
    "created": 1795467600.123,
    "msecs": 123.0,
    "thread": 140000,
    "thread_name": "MainThread",
    "process_name": "MainProcess",
    "process": 4242,
    "traceback": None,
    "hostname": "cmp1",
    "error_summary": "",
    "context": {
        "request_id": "req-1",
        "global_request_id": "req-0",
        "user": "u1",
        "project": "p1",
        "auth_token": "secret-token",
    },
    "extra": {"project": "p1"},
}


def test_json_oslo_formatter_maps_to_ecs() -> None:
    (doc,) = parse("json", [json.dumps(OSLO_JSON)])
    assert doc["@timestamp"] == "2026-11-23T21:00:00.123000+00:00"
    assert doc["message"] == "Instance spawned"
    assert doc["log"]["level"] == "INFO"
    assert doc["log"]["logger"] == "nova.compute.manager"
    assert doc["log"]["origin"] == {
        "file": {"name": OSLO_JSON["pathname"], "line": 2512},
        "function": "_build_and_run_instance",
    }
    assert doc["process"] == {"pid": 4242, "thread": {"id": 140000, "name": "MainThread"}}
    assert doc["host"]["name"] == "cmp1"
    assert doc["openstack"] == {
        "request_id": "req-1",
        "global_request_id": "req-0",
        "user_id": "u1",
        "project_id": "p1",
    }
    assert doc["json"]["levelno"] == 20
    assert "auth_token" not in doc["json"]["context"]
    assert "tags" not in doc


def test_json_oslo_traceback_becomes_stack_trace() -> None:
    obj = dict(OSLO_JSON, levelname="ERROR", error_summary="ValueError: x")
    obj["traceback"] = ["Traceback (most recent call last):\n", "ValueError: x\n"]
    (doc,) = parse("json", [json.dumps(obj)])
    assert doc["error"] == {
        "message": "ValueError: x",
        "stack_trace": "Traceback (most recent call last):\nValueError: x",
    }


def test_json_ecs_object_passes_through() -> None:
    line = json.dumps(
        {
            "@timestamp": "2026-11-23T21:00:00.123Z",
            "log.level": "info",
            "message": "hello",
            "ecs.version": "1.6.0",
            "log": {"logger": "app"},
            "process": {"pid": 7},
            "labels": {"a": "b"},
        }
    )
    (doc,) = parse("json", [line])
    assert doc["@timestamp"] == "2026-11-23T21:00:00.123+00:00"
    assert doc["log"]["level"] == "INFO"
    assert doc["log"]["logger"] == "app"
    assert doc["ecs"] == {"version": "1.6.0"}
    assert doc["process"]["pid"] == 7
    assert doc["labels"] == {"a": "b"}
    assert doc["message"] == "hello"
    assert doc["event"]["original"] == line


def test_json_wrong_shapes_are_kept_under_json() -> None:
    line = json.dumps({"@timestamp": "x", "log": "str", "service": {"n": 1}, "message": {"a": 1}})
    (doc,) = parse("json", [line])
    assert doc["json"] == {"log": "str", "service": {"n": 1}}
    assert doc["message"] == '{"a": 1}'
    assert doc["tags"] == [DATE_FAILURE]
    assert doc["log"]["file"]["path"] == "/var/log/json.log"


@pytest.mark.parametrize("line", ["not json", "[1, 2]", '{"a": NaN}', '{"a": 1', "{" * 5000])
def test_json_invalid_line_is_a_tagged_raw_record(line: str) -> None:
    (doc,) = parse("json", [line])
    assert doc["tags"] == [PARSE_FAILURE]
    assert doc["message"] == line


# --- plain ----------------------------------------------------------------------------------


def test_plain_every_line_is_a_record_at_read_time() -> None:
    lines = ["starting memcached", "  indented", "", "2026-11-23 21:00:00 not parsed"]
    docs = parse("plain", lines)
    assert [d["message"] for d in docs] == ["starting memcached", "  indented", lines[3]]
    for d, line in zip(docs, [lines[0], lines[1], lines[3]], strict=True):
        assert d["event"]["original"] == line
        assert "tags" not in d
        assert d["@timestamp"].startswith("20")
    assert docs[2]["@timestamp"] != "2026-11-23T21:00:00+00:00"
