"""Passive-result lines: Nagios 4's parsing rules, and never more than PIPE_BUF bytes."""

from __future__ import annotations

import pytest

from osmon.nagios.commands import (
    PIPE_BUF,
    InvalidResult,
    host_check_result,
    service_check_result,
)


def test_service_line() -> None:
    line = service_check_result("ctl1", "nova-api api", 2, "refused", "time=0.1s", 1700000000.9)
    assert line == (
        b"[1700000000] PROCESS_SERVICE_CHECK_RESULT;ctl1;nova-api api;2;refused|time=0.1s\n"
    )


def test_host_line() -> None:
    line = host_check_result("ctl1", 1, "down", timestamp=5)
    assert line == b"[5] PROCESS_HOST_CHECK_RESULT;ctl1;1;down\n"


def test_output_escapes_backslashes_newlines_and_pipes() -> None:
    line = service_check_result("h", "s", 0, "a|b\\c; d\nsecond\r\nthird", "x=1", 1)
    assert line == b"[1] PROCESS_SERVICE_CHECK_RESULT;h;s;0;ab\\\\c; d|x=1\\nsecond\\nthird\n"


@pytest.mark.parametrize("name", ["", "a;b", "a\nb", " a", "a\r", "a\x00"])
def test_names_nagios_cannot_parse_are_refused(name: str) -> None:
    with pytest.raises(InvalidResult):
        service_check_result(name, "s", 0, "x")
    with pytest.raises(InvalidResult):
        service_check_result("h", name, 0, "x")


@pytest.mark.parametrize("state", [-1, 4, True, 1.0])
def test_service_codes_are_0_to_3(state: object) -> None:
    with pytest.raises(InvalidResult):
        service_check_result("h", "s", state, "x")  # type: ignore[arg-type]


def test_host_codes_are_0_to_2() -> None:
    with pytest.raises(InvalidResult):
        host_check_result("h", 3, "x")


def test_long_output_is_cut_to_one_atomic_write() -> None:
    perf = " ".join(f"'queue {i}'=5;10;20" for i in range(300))
    line = service_check_result("h", "s", 1, "é" * 3000 + "\nlong", perf, 1)
    assert len(line) <= PIPE_BUF
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    line.decode()  # never cut inside a character


def test_perfdata_values_are_kept_whole() -> None:
    perf = " ".join(f"'queue {i}'=5;10;20" for i in range(400))
    line = service_check_result("h", "s", 0, "ok", perf, 1)
    assert len(line) <= PIPE_BUF
    kept = line.decode().rstrip("\n").split("|", 1)[1]
    assert perf.startswith(kept)
    assert kept.endswith("=5;10;20")


def test_a_cut_never_leaves_half_an_escape() -> None:
    line = service_check_result("h", "s", 0, "\\" * 5000, "", 1)
    body = line.decode().rstrip("\n").split(";", 4)[4]
    assert len(body) % 2 == 0 and set(body) == {"\\"}


def test_names_too_long_for_one_write() -> None:
    with pytest.raises(InvalidResult):
        service_check_result("h" * 4100, "s", 0, "x")
