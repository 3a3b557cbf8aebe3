"""Apache, uwsgi, RabbitMQ (both eras), MariaDB/Galera, syslog-prefixed oslo, and auto."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from osmon.logs.parser import Entry, LogParser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "logs"


def parse(lines: list[str], fmt: str, **kw: Any) -> list[Entry]:
    parser = LogParser(fmt, **kw)
    out: list[Entry] = []
    offset = 0
    for line in lines:
        out += parser.feed(line, offset)
        offset += len(line.encode()) + 1
    return out + parser.flush()


def docs(name: str, fmt: str, **kw: Any) -> list[dict[str, Any]]:
    return [e.doc for e in parse((FIXTURES / name).read_text().splitlines(), fmt, **kw)]


def test_apache_access_combined_and_kolla_keystone() -> None:
    plain, kolla, no_xff, v6, garbage = docs("apache_access.log", "apache_access")
    assert plain["@timestamp"] == "2024-02-14T16:46:00+01:00"
    assert plain["source"] == {"ip": "10.0.0.15"}
    assert plain["http"] == {
        "request": {"method": "GET"},
        "version": "1.1",
        "response": {"status_code": 200, "body": {"bytes": 8043}},
    }
    assert plain["url"] == {"path": "/v3/auth/tokens"}
    assert plain["user_agent"] == {"original": "python-keystoneclient"}
    assert "duration" not in plain["event"]
    assert kolla["source"] == {"ip": "10.0.0.16"}
    assert kolla["event"]["duration"] == 21_873_000
    assert kolla["http"]["response"]["status_code"] == 201
    assert kolla["user_agent"]["original"].startswith("openstacksdk/1.0.1")
    assert "source" not in no_xff
    assert no_xff["event"]["duration"] == 1_163_000
    assert v6["source"] == {"ip": "2001:db8::15"}
    assert v6["user"] == {"name": "admin"}
    assert v6["url"] == {"path": "/dashboard/project/instances/", "query": "page=2"}
    assert "bytes" not in v6["http"]["response"].get("body", {})
    assert v6["http"]["request"]["referrer"] == "https://cloud.example.org/dashboard/"
    assert "tags" not in garbage
    assert garbage["http"]["response"]["status_code"] == 400
    assert "method" not in garbage["http"].get("request", {})
    assert all(d["message"] == d["event"]["original"] for d in (plain, kolla, garbage))


def test_apache_error_24_and_22() -> None:
    wsgi, tb, notice, old = docs("apache_error.log", "apache_error", timezone="UTC")
    assert wsgi["@timestamp"] == "2024-02-14T16:46:00.123456+00:00"
    assert wsgi["log"]["level"] == "ERROR"
    assert wsgi["apache"] == {"error": {"module": "wsgi"}}
    assert wsgi["process"] == {"pid": 1021, "thread": {"id": 140231}}
    assert wsgi["source"] == {"ip": "10.0.0.15", "port": 51234}
    assert wsgi["message"].startswith("mod_wsgi (pid=1021): Exception occurred")
    assert tb["message"] == "Traceback (most recent call last):"
    assert notice["log"]["level"] == "NOTICE"
    assert notice["message"].startswith("AH00489: Apache/2.4.52")
    assert old["@timestamp"] == "2024-02-14T16:46:02+00:00"
    assert old["source"] == {"ip": "10.0.0.20"}
    assert old["message"] == "File does not exist: /var/www/favicon.ico"


def test_uwsgi_requests_and_tagged_banner() -> None:
    banner, get, post = docs("uwsgi.log", "uwsgi")
    assert banner["tags"] == ["_grokparsefailure"]
    assert get["process"] == {"pid": 3121}
    assert get["@timestamp"] == "2024-02-14T16:46:00+00:00"
    assert get["url"] == {"path": "/compute/v2.1/servers/detail", "query": "limit=21"}
    assert get["http"] == {
        "request": {"method": "GET"},
        "version": "1.1",
        "response": {"status_code": 200, "body": {"bytes": 1845}},
    }
    assert get["event"]["duration"] == 233_000_000
    assert post["@timestamp"] == "2024-02-07T09:05:01+00:00"
    assert post["event"]["duration"] == 9_123_000
    assert post["http"]["response"]["status_code"] == 201


def test_rabbitmq_39_and_38() -> None:
    accept, closing, channel, old = docs("rabbitmq.log", "rabbitmq", timezone="Europe/Paris")
    assert accept["@timestamp"] == "2024-02-14T16:46:00.118297+00:00"
    assert accept["log"]["level"] == "INFO"
    assert accept["rabbitmq"] == {"log": {"pid": "<0.1234.0>"}}
    assert closing["message"] == (
        "closing AMQP connection <0.1250.0> (10.0.0.16:40600 -> 10.0.0.2:5672, vhost: '/', "
        "user: 'openstack'):\nclient unexpectedly closed TCP connection"
    )
    assert closing["log"]["level"] == "WARNING"
    assert channel["message"].endswith("no queue 'reply_abc' in vhost '/'")
    assert old["@timestamp"] == "2019-05-01T10:00:00.321+02:00"


def test_rabbitmq_report_blocks() -> None:
    info, warning, error = docs("rabbitmq_old.log", "rabbitmq")
    assert info["@timestamp"] == "2016-02-14T16:46:00+00:00"
    assert info["log"]["level"] == "INFO"
    assert (
        info["message"] == "accepting AMQP connection <0.1234.0> (10.0.0.15:40544 -> 10.0.0.2:5672)"
    )
    assert warning["message"] == (
        "closing AMQP connection <0.1250.0> (10.0.0.16:40600 -> 10.0.0.2:5672):\n"
        "connection_closed_abruptly"
    )
    assert error["log"]["level"] == "ERROR"
    assert error["message"].startswith("Mnesia(rabbit@ctl1)")


def test_mariadb_galera_all_date_forms() -> None:
    d = docs("mariadb.log", "mariadb")
    shifting, member, aborted, view, old, safe, mysql8 = d
    assert shifting["@timestamp"] == "2024-02-14T16:46:00+00:00"
    assert shifting["log"]["level"] == "NOTE"
    assert shifting["process"] == {"thread": {"id": 0}}
    assert shifting["message"].startswith("WSREP: Shifting SYNCED -> DONOR/DESYNCED")
    assert member["process"]["thread"]["id"] == 2
    assert aborted["@timestamp"] == "2017-05-01T09:05:03+00:00"
    assert aborted["log"]["level"] == "WARNING"
    assert view["message"].splitlines()[1] == "\t1a2b3c4d,0"
    assert view["message"].endswith("})")
    assert old["@timestamp"] == "2017-05-01T09:05:03+00:00"
    assert old["message"].startswith("WSREP: Read nil XID")
    assert safe["process"] == {"name": "mysqld_safe"}
    assert safe["@timestamp"] == "2024-02-14T16:45:59+00:00"
    assert safe["message"].startswith("Starting mysqld daemon")
    assert mysql8["@timestamp"] == "2024-02-14T16:46:03.123456+00:00"
    assert mysql8["log"]["level"] == "ERROR"
    assert all("tags" not in x for x in d)


def test_syslog_prefixed_oslo_devstack() -> None:
    debug, error, sudo, neutron = docs("syslog_oslo.log", "syslog_oslo", host="collector")
    assert debug["host"] == {"name": "devstack"}
    assert debug["process"] == {"name": "nova-compute", "pid": 31337}
    assert debug["service"] == {"name": "nova-compute"}
    assert debug["log"]["level"] == "DEBUG"
    assert debug["log"]["origin"]["function"] == "_get_power_state"
    assert debug["log"]["origin"]["file"] == {
        "name": "/opt/stack/nova/nova/compute/manager.py",
        "line": 1789,
    }
    assert debug["message"] == "Checking state"
    assert debug["openstack"] == {
        "request_id": "req-5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b11",
        "project_name": "demo",
        "user_name": "admin",
        "instance_id": "0f8e2d7c-3b4a-4c5d-8e9f-1a2b3c4d5e6f",
    }
    assert error["error"]["type"] == "nova.exception.PortBindingFailed"
    assert error["error"]["stack_trace"].splitlines()[0] == "Traceback (most recent call last):"
    assert error["error"]["stack_trace"].splitlines()[-1] == (
        "nova.exception.PortBindingFailed: Binding failed for port 1"
    )
    assert sudo["process"] == {"name": "sudo", "pid": 4100}
    assert sudo["message"].startswith("stack : PWD=/opt/stack")
    assert "log" not in sudo or "level" not in sudo["log"]
    assert neutron["@timestamp"] == "2024-02-14T16:46:03.000000+01:00"
    assert neutron["http"]["response"]["status_code"] == 200
    assert neutron["event"]["duration"] == 81_133_400


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("oslo_eras.log", "oslo"),
        ("oslo_traceback.log", "oslo"),
        ("apache_access.log", "apache_access"),
        ("apache_error.log", "apache_error"),
        ("uwsgi.log", "uwsgi"),
        ("rabbitmq.log", "rabbitmq"),
        ("rabbitmq_old.log", "rabbitmq"),
        ("mariadb.log", "mariadb"),
        ("syslog_oslo.log", "syslog_oslo"),
    ],
)
def test_auto_detects_and_matches_the_explicit_format(name: str, expected: str) -> None:
    lines = (FIXTURES / name).read_text().splitlines()
    parser = LogParser("auto")
    auto: list[Entry] = []
    offset = 0
    for line in lines:
        auto += parser.feed(line, offset)
        offset += len(line.encode()) + 1
    auto += parser.flush()
    assert parser.format_name == expected

    def comparable(entries: list[Entry]) -> list[dict[str, Any]]:
        # a record with no timestamp of its own gets the time it was read
        return [
            {k: v for k, v in e.doc.items() if "tags" not in e.doc or k != "@timestamp"}
            for e in entries
        ]

    assert comparable(auto) == comparable(parse(lines, expected))


def test_unknown_format_and_timezone_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown log format 'nginx'"):
        LogParser("nginx")
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        LogParser("oslo", timezone="Mars/Olympus")


def test_to_record_and_counters() -> None:
    from osmon.logs.parser import to_record

    lines = ["2024-02-14 16:46:00.101 4242 INFO a.b [-] fine", "2024-02-14 junk"]
    parser = LogParser("oslo", service="nova-api")
    entries = [*parser.feed(lines[0], 0), *parser.feed(lines[1], 48), *parser.flush()]
    assert (parser.parsed, parser.unparsed, parser.format_name) == (1, 1, "oslo")
    rec = to_record(entries[0], "host-fp-0")
    assert rec.doc_id == "host-fp-0"
    assert rec.service == "nova-api"
    assert rec.doc is entries[0].doc
