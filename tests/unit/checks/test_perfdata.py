"""Nagios performance data as the Monitoring Plugins guidelines write it."""

from __future__ import annotations

import math

from osmon.checks.perfdata import PerfValue, format_perfdata


def test_values_units_and_ranges() -> None:
    assert str(PerfValue("response_time", 0.1234567, "s", "0:1", "0:5")) == (
        "response_time=0.123457s;0:1;0:5"
    )
    assert str(PerfValue("cluster_size", 3.0, "", "", "3:")) == "cluster_size=3;;3:"
    assert str(PerfValue("memory", 1024.0, "bytes")) == "memory=1024B"
    assert str(PerfValue("ratio", 0.5, "ratio")) == "ratio=0.5"  # no such UOM: base units


def test_labels_are_safe_and_odd_values_are_undetermined() -> None:
    assert str(PerfValue("agents up", 2.0)) == "'agents up'=2"
    assert str(PerfValue("a='b'", 1.0)) == "a__b_=1"
    assert str(PerfValue("x", math.nan)) == "x=U"
    assert str(PerfValue("x", math.inf)) == "x=U"
    assert format_perfdata([PerfValue("a", 1.0), PerfValue("b", -2.5, "s")]) == "a=1 b=-2.5s"


def test_labelled_series_are_named_in_label_key_order() -> None:
    """One naming for plugins and the daemon: values ordered by label key, not by value."""
    from osmon.checks.perfdata import perf_label

    assert perf_label("queue_messages", {"vhost": "/", "queue": "q"}) == "queue_messages[q,/]"
    assert perf_label("up", {}) == "up"
