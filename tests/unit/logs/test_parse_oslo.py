"""oslo.log files: every context era, instance markers, DEBUG suffix, error summaries, WSGI
access messages, and tracebacks kept whole (including lines written by oslo.log itself)."""

from __future__ import annotations

import logging
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from osmon.logs.parser import Entry, LogParser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "logs"


def parse(lines: list[str], fmt: str = "oslo", **kw: Any) -> list[Entry]:
    parser = LogParser(fmt, **kw)
    out: list[Entry] = []
    offset = 0
    for line in lines:
        out += parser.feed(line, offset)
        offset += len(line.encode()) + 1
    return out + parser.flush()


def docs(name: str, fmt: str = "oslo", **kw: Any) -> list[dict[str, Any]]:
    return [e.doc for e in parse((FIXTURES / name).read_text().splitlines(), fmt, **kw)]


def test_every_context_era() -> None:
    d = docs("oslo_eras.log")
    assert len(d) == 7
    assert all("tags" not in x for x in d)
    kilo, liberty, pike, queens, glob, none, neutron = d
    assert kilo["openstack"] == {"request_id": "req-3c9c0e1e-1c4a-4b8a-9f71-2a9b0c7a3f11"}
    assert liberty["openstack"]["user_id"] == "4c1f8e0e2b0a4a6f9d6a4b1c2d3e4f50"
    assert liberty["openstack"]["project_id"] == "8a9b0c1d2e3f40516273849a5b6c7d8e"
    assert pike["openstack"]["request_id"] == "req-0b6bd1f1-5a3e-4a3b-8b7e-2c4f3d9b2e33"
    assert queens["openstack"] == {
        "request_id": "req-2f3d9a0b-7c6e-4d5f-8a9b-0c1d2e3f4a55",
        "user_id": "4c1f8e0e2b0a4a6f9d6a4b1c2d3e4f50",
        "project_id": "8a9b0c1d2e3f40516273849a5b6c7d8e",
        "instance_id": "6d1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a44",
    }
    assert queens["message"] == "Took 4.21 seconds to spawn the instance on the hypervisor."
    assert glob["openstack"]["global_request_id"] == "req-aa11bb22-cc33-4d44-8e55-ff6677889900"
    assert glob["openstack"]["request_id"] == "req-2f3d9a0b-7c6e-4d5f-8a9b-0c1d2e3f4a55"
    assert glob["message"] == "Terminating instance"
    assert "openstack" not in none
    assert none["message"] == "Running periodic task ComputeManager._sync_power_states"
    assert neutron["openstack"] == {"request_id": "req-9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c66"}
    assert queens["@timestamp"] == "2023-11-08T08:00:00.001+00:00"
    assert queens["process"] == {"pid": 45021}
    assert queens["log"]["level"] == "INFO"
    assert queens["log"]["logger"] == "nova.compute.manager"
    assert queens["event"]["original"].startswith("2023-11-08 08:00:00.001 45021 INFO")


def test_access_in_old_eras() -> None:
    liberty, pike = docs("oslo_eras.log")[1:3]
    assert liberty["http"] == {
        "request": {"method": "GET"},
        "version": "1.1",
        "response": {"status_code": 200, "body": {"bytes": 1893}},
    }
    assert liberty["event"]["duration"] == 239_136_000
    assert pike["url"] == {"path": "/v2.1/servers/detail", "query": "all_tenants=True"}
    assert pike["openstack"]["microversion"] == "2.1"
    assert pike["source"] == {"ip": "10.0.0.15"}
    assert pike["event"]["duration"] == 412_345_000


def test_tracebacks_are_one_record() -> None:
    d = docs("oslo_traceback.log", service="nova-compute", host="cmp1", path="/var/log/n.log")
    assert [x["log"]["level"] for x in d] == ["ERROR", "INFO", "ERROR", "ERROR", "INFO"]
    spawn, terminate, rpc, juno, done = d
    assert spawn["message"] == (
        "Instance failed to spawn: libvirt.libvirtError: internal error: "
        "process exited while connecting to monitor"
    )
    assert spawn["error"]["stack_trace"].splitlines() == [
        "Traceback (most recent call last):",
        '  File "/usr/lib/python3/dist-packages/nova/compute/manager.py", line 2764, in '
        "_build_resources",
        "    yield resources",
        '  File "/usr/lib/python3/dist-packages/libvirt.py", line 1385, in createWithFlags',
        "    raise libvirtError('virDomainCreateWithFlags() failed')",
        "libvirt.libvirtError: internal error: process exited while connecting to monitor",
    ]
    assert spawn["error"]["type"] == "libvirt.libvirtError"
    assert spawn["openstack"]["instance_id"] == "0f8e2d7c-3b4a-4c5d-8e9f-1a2b3c4d5e6f"
    assert spawn["openstack"]["user_id"] == "admin-user"
    assert spawn["event"]["original"].count("\n") == 7
    assert spawn["host"] == {"name": "cmp1"}
    assert spawn["service"] == {"name": "nova-compute"}
    assert spawn["log"]["file"] == {"path": "/var/log/n.log"}
    # same timestamp and pid, but a context bracket: a new record
    assert terminate["message"] == "Terminating instance"
    assert "error" not in terminate
    assert rpc["error"]["type"] == "oslo_messaging.exceptions.MessagingTimeout"
    assert rpc["error"]["stack_trace"].startswith("Traceback (most recent call last):\n")
    assert rpc["error"]["stack_trace"].endswith("reply to message ID 1f2e3d")
    # Juno: TRACE lines
    assert juno["error"]["stack_trace"].splitlines()[-1] == (
        "MessagingTimeout: Timed out waiting for a reply"
    )
    assert done["message"] == "Done"


def test_entry_offsets_cover_the_file() -> None:
    lines = (FIXTURES / "oslo_traceback.log").read_text().splitlines()
    entries = parse(lines)
    assert entries[0].offset == 0
    for a, b in pairwise(entries):
        assert a.end == b.offset
    assert entries[-1].end == sum(len(x.encode()) + 1 for x in lines)


def test_debug_suffix_summary_access_and_multiline_message() -> None:
    debug, warning, eventlet, neutron, guest, placement = docs("oslo_messages.log")
    assert debug["message"] == (
        'Lock "compute_resources" acquired by "nova.compute.resource_tracker.ResourceTracker.'
        '_update_available_resource" :: waited 0.000s'
    )
    assert debug["log"]["origin"] == {
        "function": "inner",
        "file": {
            "name": "/usr/lib/python3/dist-packages/oslo_concurrency/lockutils.py",
            "line": 404,
        },
    }
    assert warning["error"] == {
        "type": "ConnectionRefusedError",
        "message": "[Errno 111] ECONNREFUSED",
    }
    assert warning["message"].endswith(": ConnectionRefusedError: [Errno 111] ECONNREFUSED")
    assert eventlet["source"] == {"ip": "192.168.10.4"}
    assert eventlet["url"] == {"path": "/v2/images", "query": "limit=20"}
    assert eventlet["http"]["response"] == {"status_code": 200, "body": {"bytes": 2378}}
    assert eventlet["event"]["duration"] == 45_811_000
    assert neutron["http"]["request"]["method"] == "GET"
    assert neutron["event"]["duration"] == 44_129_400
    assert neutron["openstack"]["project_id"] == "8a9b0c1d2e3f40516273849a5b6c7d8e"
    assert guest["message"] == (
        'Guest config:\n<domain type="kvm">\n  <name>instance-0000001a</name>\n</domain>'
    )
    assert placement["openstack"]["microversion"] == "1.0"
    assert placement["url"]["path"] == "/resource_providers/6d1a2b3c/allocations"
    assert "duration" not in placement["event"]


def test_timezone_applies_to_oslo_times() -> None:
    d = docs("oslo_eras.log", timezone="Europe/Paris")
    assert d[0]["@timestamp"] == "2015-03-02T14:01:07.514+01:00"
    assert d[3]["@timestamp"] == "2023-11-08T08:00:00.001+01:00"
    assert docs("oslo_eras.log", timezone="America/New_York")[2]["@timestamp"] == (
        "2017-06-20T11:40:02.330-04:00"
    )


def test_unparsed_lines_are_tagged_not_dropped() -> None:
    lines = [
        "2024-13-45 99:00:00.000 1 INFO x [-] impossible date",
        "2024-02-14 16:46:00 not oslo at all",
        "2024-02-14 16:46:00.101 4242 INFO a.b [-] fine",
    ]
    d = [e.doc for e in parse(lines)]
    assert len(d) == 3
    assert d[0]["tags"] == ["_dateparsefailure"]
    assert d[1]["tags"] == ["_grokparsefailure"]
    assert d[1]["message"] == d[1]["event"]["original"] == lines[1]
    assert "tags" not in d[2]


def test_flush_returns_the_pending_entry() -> None:
    p = LogParser("oslo")
    line = "2024-02-14 16:46:00.101 4242 INFO a.b [-] fine"
    assert p.feed(line, 0) == []
    (e,) = p.flush()
    assert (e.offset, e.end) == (0, len(line) + 1)
    assert p.flush() == []
    assert (p.parsed, p.unparsed) == (1, 0)


@pytest.fixture
def oslo_log_file(tmp_path: Path) -> Path:
    """Lines written by oslo.log itself (current release), with a request context."""
    from oslo_config import cfg
    from oslo_context import context
    from oslo_log import formatters
    from oslo_log import log as oslo_log

    conf = cfg.ConfigOpts()
    oslo_log.register_options(conf)
    conf([], project="osmontest")
    out = tmp_path / "service.log"
    handler = logging.FileHandler(out)
    handler.setFormatter(
        formatters.ContextFormatter(project="osmontest", config=conf, datefmt=conf.log_date_format)
    )
    logger = logging.getLogger("osmontest.compute.manager")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    ctx = context.RequestContext(
        user_id="u-1", project_id="p-1", request_id="req-5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b11"
    )
    try:
        logger.info("Starting instance", extra={"context": ctx})
        logger.debug("Checking state", extra={"context": ctx})
        try:
            raise RuntimeError("disk full")
        except RuntimeError:
            logger.exception("Build failed", extra={"context": ctx})
        logger.warning("no context here")
    finally:
        logger.removeHandler(handler)
        handler.close()
    return out


def test_lines_written_by_oslo_log(oslo_log_file: Path) -> None:
    d = [e.doc for e in parse(oslo_log_file.read_text().splitlines())]
    assert [x["log"]["level"] for x in d] == ["INFO", "DEBUG", "ERROR", "WARNING"]
    assert all("tags" not in x for x in d)
    info, debug, error, warning = d
    assert info["openstack"]["request_id"] == "req-5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b11"
    assert info["openstack"]["user_id"] == "u-1"
    assert info["openstack"]["project_id"] == "p-1"
    assert debug["message"] == "Checking state"
    assert debug["log"]["origin"]["function"] == "oslo_log_file"
    assert debug["log"]["origin"]["file"]["name"] == __file__
    assert error["message"] == "Build failed: RuntimeError: disk full"
    assert error["error"]["type"] == "RuntimeError"
    assert error["error"]["stack_trace"].startswith("Traceback (most recent call last):")
    assert error["error"]["stack_trace"].endswith("RuntimeError: disk full")
    assert warning["message"] == "no context here"
