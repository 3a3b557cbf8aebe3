"""Batch planning: samples grouped by resource and metric, ids, chunks, ended_at."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from osmon.records import Sample
from osmon.sinks.gnocchi.plan import (
    END_MARGIN,
    batch_body,
    chunked,
    gnocchi_resource_id,
    plan_samples,
)


def test_plan_groups_by_resource_and_metric() -> None:
    samples = [
        Sample("a", 1.0, 10.0, unit="B", resource_id="r1", resource_attributes={"x": 1}),
        Sample("a", 2.0, 5.0, resource_id="r1", resource_attributes={"x": 2, "y": 3}),
        Sample("b", 3.0, 7.0, resource_id="r2", resource_type="instance"),
    ]
    plan = plan_samples(samples, lambda s: "p")
    assert plan.rejected == []
    r1 = plan.groups["r1"]
    assert r1.attributes == {"x": 2, "y": 3}
    assert r1.first_timestamp == 5.0
    assert r1.indices == [0, 1]
    assert batch_body(plan.groups.values()) == {
        "r1": {
            "a": {
                "archive_policy_name": "p",
                "unit": "B",
                "measures": [{"timestamp": 10.0, "value": 1.0}, {"timestamp": 5.0, "value": 2.0}],
            }
        },
        "r2": {"b": {"archive_policy_name": "p", "measures": [{"timestamp": 7.0, "value": 3.0}]}},
    }


def test_chunks_never_split_a_resource() -> None:
    samples = [Sample("m", 1.0, float(i), resource_id=f"r{i % 3}") for i in range(9)]
    plan = plan_samples(samples, lambda s: None)
    chunks = chunked(plan.groups.values(), 4)
    assert [[g.resource_id for g in c] for c in chunks] == [["r0"], ["r1"], ["r2"]]
    assert len(chunked(plan.groups.values(), 100)) == 1


def test_resource_ids_follow_ceilometer_and_gnocchi_limits() -> None:
    assert gnocchi_resource_id("a/b") == "a_b"
    assert gnocchi_resource_id("") is None
    assert gnocchi_resource_id("x" * 289) == "x" * 289
    assert gnocchi_resource_id("x" * 290) is None


floats = st.one_of(st.floats(), st.integers(-(10**12), 10**12))


@given(
    st.lists(
        st.builds(
            Sample,
            name=st.text(max_size=8),
            value=floats,
            timestamp=floats,
            resource_id=st.text(max_size=300),
            resource_type=st.sampled_from(["generic", "instance", ""]),
            resource_attributes=st.dictionaries(st.text(max_size=5), st.text(max_size=5)),
        ),
        max_size=30,
    )
)
def test_plan_accounts_for_every_record_exactly_once(samples: list[Sample]) -> None:
    plan = plan_samples(samples, lambda s: "p")
    placed = [i for g in plan.groups.values() for i in g.indices]
    rejected = [i for i, _ in plan.rejected]
    assert sorted(placed + rejected) == list(range(len(samples)))
    for g in plan.groups.values():
        assert "/" not in g.resource_id
        for name, m in g.metrics.items():
            assert name and "/" not in name
            assert all(math.isfinite(x["value"]) for x in m.measures)


@pytest.mark.parametrize(
    ("ended_at", "sent"),
    [
        (110.0, 110.0 + END_MARGIN),  # the deletion's own measure: same instant
        ("1970-01-01T00:01:50Z", 110.0 + END_MARGIN),
        (100.0, 110.0 + END_MARGIN),  # a measure after the end
        (110.0 + END_MARGIN / 2, 110.0 + END_MARGIN),
        (120.0, 120.0),
        ("1970-01-01T00:02:00Z", "1970-01-01T00:02:00Z"),
        ("not a date", "not a date"),
    ],
)
def test_ended_at_is_put_after_the_last_measure(ended_at: Any, sent: Any) -> None:
    def sample(ts: float, **attrs: Any) -> Sample:
        return Sample("m", 1.0, ts, resource_id="r", resource_attributes=attrs)

    plan = plan_samples([sample(110.0), sample(100.0, ended_at=ended_at)], lambda s: None)
    assert plan.groups["r"].attributes["ended_at"] == sent


def test_no_ended_at_is_left_alone() -> None:
    plan = plan_samples([Sample("m", 1.0, 5.0, resource_id="r")], lambda s: None)
    assert "ended_at" not in plan.groups["r"].attributes
