"""The tooz partition without a backend: options, and safe mode when nothing answers (a port
nobody listens on). The shared cases run against real Redis in
tests/integration/test_coordination.py."""

from __future__ import annotations

import socket

import pytest
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from osmon.probes.coordination import CoordinationOptions, _driver_options, build_partition


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_options_take_durations_and_reject_a_beat_slower_than_the_membership() -> None:
    opts = CoordinationOptions.model_validate({"heartbeat": "500ms", "poll": "2s"})
    assert (opts.heartbeat, opts.poll, opts.membership_timeout) == (0.5, 2.0, 3.0)
    with pytest.raises(ValidationError, match="heartbeat must be shorter"):
        CoordinationOptions.model_validate({"heartbeat": 3, "membership_timeout": 3})
    with pytest.raises(ValidationError, match="extra"):
        CoordinationOptions.model_validate({"lease": 3})


def test_url_query_options_win_over_ours() -> None:
    opts = CoordinationOptions()
    given = _driver_options("redis://h:6379/?namespace=x&membership_timeout=9", opts)
    assert "membership_timeout" not in given
    assert given["timeout"] == "2"
    assert given["socket_connect_timeout"] == "2.0"


def test_member_ids_are_unique_and_the_password_stays_out_of_status() -> None:
    url = "redis://:s3cret@127.0.0.1:1/?namespace=t"
    a = build_partition(url, "ctl1", "g", {})
    b = build_partition(url, "ctl1", "g", {})
    assert a.member != b.member and a.member.startswith("ctl1.")
    assert "s3cret" not in str(a.status())


async def test_no_backend_is_safe_mode_owning_everything_until_stopped() -> None:
    registry = CollectorRegistry()
    url = f"redis://127.0.0.1:{closed_port()}/?namespace=t"
    part = build_partition(url, "ctl1", "g", {"poll": 0.1, "registry": registry})
    await part.start()
    try:
        status = part.status()
        assert status["mode"] == "safe" and status["safe_mode"] is True
        assert "ToozConnectionError" in status["last_error"]
        assert all(part.owns(f"svc/http@h{i}") for i in range(100))
        assert registry.get_sample_value("osmon_coordination_safe_mode") == 1.0
        assert registry.get_sample_value("osmon_coordination_members") == 0.0
        await part.poll()  # and again: still safe, no exception
        assert part.status()["mode"] == "safe"
    finally:
        await part.stop()
    assert part.status()["mode"] == "stopped"
    assert not part.owns("svc/http@h0")
    assert registry.get_sample_value("osmon_coordination_safe_mode") == 0.0
