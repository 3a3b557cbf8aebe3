"""HAProxy stats CSV parsing and server states (transitional statuses, no check)."""

from __future__ import annotations

import pytest

from osmon.checks.state import State
from osmon.probes import ProbeFailed
from osmon.probes.haproxy import _observation, parse_csv, server_state

CSV = """\
# pxname,svname,qcur,status,act,type,
fe,FRONTEND,,OPEN,,0,
be,a,0,UP 1/2,1,2,
be,b,0,no check,1,2,
be,c,0,MAINT (via be2/x),0,2,
be,BACKEND,0,UP,2,1,
be2,x,0,DOWN 1/2,0,2,
be2,BACKEND,0,DOWN,0,1,
"""


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("UP", "UP"),
        ("UP 1/2", "UP"),
        ("no check", "UP"),
        ("DOWN", "DOWN"),
        ("DOWN 1/2", "DOWN"),
        ("MAINT", "MAINT"),
        ("MAINT (resolution)", "MAINT"),
        ("DRAIN", "DRAIN"),
        ("NOLB", "NOLB"),
        ("weird", "DOWN"),
    ],
)
def test_server_state(status: str, state: str) -> None:
    assert server_state(status) == state


def test_observation() -> None:
    obs = _observation(parse_csv(CSV), 0.01)
    assert obs.state == State.CRITICAL
    assert obs.summary == "backend be2: no server UP (x DOWN 1/2)"
    down = [m.value for m in obs.metrics if m.name == "backends_down"]
    assert down == [1.0]
    current = {
        (m.labels["proxy"], m.labels["server"]): m.labels["state"]
        for m in obs.metrics
        if m.name == "server_status" and m.value == 1.0
    }
    assert current == {
        ("be", "a"): "UP",
        ("be", "b"): "UP",
        ("be", "c"): "MAINT",
        ("be2", "x"): "DOWN",
    }


def test_no_check_is_named_in_the_summary() -> None:
    obs = _observation(parse_csv(CSV.replace("be2,x,0,DOWN 1/2", "be2,x,0,UP")), 0.01)
    assert obs.state == State.OK
    assert obs.summary == "2 backends, 4 servers, no check: be/b"


def test_not_csv() -> None:
    with pytest.raises(ProbeFailed) as info:
        parse_csv("<html>stats</html>")
    assert info.value.state == State.CRITICAL
    assert info.value.summary == "not HAProxy CSV stats: '<html>stats</html>'"


def test_short_rows_read_as_empty_fields() -> None:
    obs = _observation(parse_csv("# pxname,svname,status,type,act\nbe,a\nbe,BACKEND,UP,1,x\n"), 0.0)
    assert obs.state == State.CRITICAL and obs.summary == "backend be: no server UP (a )"
