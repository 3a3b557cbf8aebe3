"""Galera verdicts from wsrep status values (the states a single real node cannot show)."""

from __future__ import annotations

import pytest

from osmon.checks.state import State
from osmon.probes.galera import _verdict

SYNCED = {
    "wsrep_cluster_size": "3",
    "wsrep_ready": "ON",
    "wsrep_cluster_status": "Primary",
    "wsrep_local_state_comment": "Synced",
    "wsrep_local_state": "4",
    "wsrep_flow_control_paused": "0.000125",
}


@pytest.mark.parametrize(
    ("changes", "state", "summary"),
    [
        ({}, State.OK, "Synced, Primary, cluster size 3, ready ON"),
        (
            {"wsrep_local_state_comment": "Joined", "wsrep_local_state": "3"},
            State.WARNING,
            "node is Joined, Primary, cluster size 3",
        ),
        (
            {"wsrep_local_state_comment": "Joining: receiving State Transfer"},
            State.CRITICAL,
            "node is Joining: receiving State Transfer, Primary, cluster size 3",
        ),
        (
            {
                "wsrep_ready": "OFF",
                "wsrep_cluster_status": "non-Primary",
                "wsrep_local_state_comment": "Initialized",
                "wsrep_cluster_size": "1",
            },
            State.CRITICAL,
            "wsrep_ready OFF; cluster status non-Primary "
            "(Initialized, non-Primary, cluster size 1)",
        ),
        (
            {"wsrep_ready": ""},
            State.CRITICAL,
            "wsrep_ready missing (Synced, Primary, cluster size 3)",
        ),
    ],
)
def test_states(changes: dict[str, str], state: State, summary: str) -> None:
    obs = _verdict({**SYNCED, **changes}, [])
    assert (obs.state, obs.summary) == (state, summary)


def test_metrics_follow_mysqld_exporter() -> None:
    obs = _verdict({**SYNCED, "wsrep_ready": "OFF", "wsrep_cluster_status": "non-Primary"}, [])
    values = {m.series_name: m.value for m in obs.metrics}
    assert values == {
        "mysql_global_status_wsrep_cluster_size": 3.0,
        "mysql_global_status_wsrep_ready": 0.0,
        "mysql_global_status_wsrep_cluster_status": 0.0,
        "mysql_global_status_wsrep_local_state": 4.0,
        "mysql_global_status_wsrep_flow_control_paused": 0.000125,
    }
    names = {m.name for m in obs.metrics}
    assert {"cluster_size", "flow_control_paused"} <= names
