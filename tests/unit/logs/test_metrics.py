"""Log-derived metrics: counted from delivered entries only, with bounded label values."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry

from osmon.logs.metrics import LogMetrics, log_metrics_for
from tests.unit.fakeparser import single_factory
from tests.unit.sources.logs.test_source import Harness, lines


def value(reg: CollectorRegistry, name: str, **labels: str) -> float:
    return reg.get_sample_value(name, labels) or 0.0


def test_levels_requests_and_latency() -> None:
    reg = CollectorRegistry()
    m = LogMetrics(reg)
    m.observe("nova", {"log": {"level": "INFO"}})
    m.observe("nova", {"log": {"level": "ERROR"}, "message": "boom"})
    access = {
        "log": {"level": "INFO"},
        "http": {"request": {"method": "GET"}, "response": {"status_code": 503}},
        "event": {"duration": 250_000_000},
    }
    m.observe("nova", access)
    assert value(reg, "openstack_log_messages_total", service="nova", level="INFO") == 2
    assert value(reg, "openstack_log_messages_total", service="nova", level="ERROR") == 1
    assert (
        value(reg, "openstack_api_requests_total", service="nova", method="GET", status_class="5xx")
        == 1
    )
    assert (
        value(reg, "openstack_api_request_duration_seconds_sum", service="nova", method="GET")
        == 0.25
    )
    assert (
        value(
            reg,
            "openstack_api_request_duration_seconds_bucket",
            service="nova",
            method="GET",
            le="0.25",
        )
        == 1
    )


def test_garbage_cannot_create_series() -> None:
    reg = CollectorRegistry()
    m = LogMetrics(reg)
    m.observe(
        "",
        {
            "log": {"level": "x" * 50},
            "http": {"request": {"method": "FOO" * 9}, "response": {"status_code": 999}},
        },
    )
    m.observe("svc", {"log": "not a mapping", "http": ["nope"]})
    assert value(reg, "openstack_log_messages_total", service="unknown", level="OTHER") == 1
    assert value(reg, "openstack_log_messages_total", service="svc", level="UNKNOWN") == 1
    assert (
        value(
            reg,
            "openstack_api_requests_total",
            service="unknown",
            method="OTHER",
            status_class="other",
        )
        == 1
    )


def test_one_instance_per_registry() -> None:
    reg = CollectorRegistry()
    assert log_metrics_for(reg) is log_metrics_for(reg)


async def test_counted_on_ack_not_on_nack(tmp_path: Path) -> None:
    reg = CollectorRegistry()
    h = Harness(tmp_path, parser=single_factory)
    h.src.metrics = LogMetrics(reg)
    (tmp_path / "a.log").write_text(lines("a", 0, 4))
    h.accept = False
    await h.start()
    await h.settle()
    assert value(reg, "openstack_log_messages_total", service="svc", level="UNKNOWN") == 0
    h.accept = True
    await h.settle()
    assert value(reg, "openstack_log_messages_total", service="svc", level="UNKNOWN") == 4


def test_shared_holders_are_per_registry_and_per_type() -> None:
    from osmon.notifications.metrics import metrics_for

    a, b = CollectorRegistry(), CollectorRegistry()
    assert log_metrics_for(a) is log_metrics_for(a)
    assert log_metrics_for(a) is not log_metrics_for(b)
    assert metrics_for(a) is metrics_for(a)
