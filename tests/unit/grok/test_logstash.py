"""Logstash compatibility: every logstash-patterns-core pattern compiles; grok filter semantics."""

from __future__ import annotations

from pathlib import Path

import pytest

from osmon.grok import PatternLibrary, load_pattern_dir

UPSTREAM = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "logstash-patterns-core"
MODES = ("legacy", "ecs-v1")


def library(mode: str) -> PatternLibrary:
    return PatternLibrary(load_pattern_dir(UPSTREAM / "patterns" / mode))


def test_all_678_upstream_patterns_compile() -> None:
    names = 0
    for mode in MODES:
        lib = library(mode)
        for name in lib.names():
            lib.compile("%{" + name + "}")
            names += 1
    assert names == 678


LIB = PatternLibrary({"NUM": "[0-9.]+", "WORD": r"\w+", "ANY": ".*", "SP": r"[^ ]*"})


def test_dot_matches_newlines_in_multiline_events() -> None:
    g = LIB.compile("%{WORD:level} %{ANY:message}")
    assert g.match("ERROR boom\n  at x\n  at y") == {
        "level": "ERROR",
        "message": "boom\n  at x\n  at y",
    }


def test_repeated_captures_become_arrays_in_logstash_order() -> None:
    g = LIB.compile("%{WORD:a} %{NUM:a} %{WORD:a}")
    assert g.match("x 1 y") == {"a": ["x", "y", "1"]}
    h = LIB.compile("%{NUM:n:int} %{WORD:n}")
    assert h.match("3 z") == {"n": 3}


def test_empty_captures_are_dropped_converted_ones_kept() -> None:
    g = LIB.compile("%{SP:a}-%{SP:b}-%{SP:c:int}")
    assert g.match("--") == {"c": 0}


@pytest.mark.parametrize(
    ("text", "conv", "value"),
    [
        ("12abc", "int", 12),
        ("abc", "int", 0),
        (" -7", "int", -7),
        ("1_000", "int", 1000),
        ("3.9", "int", 3),
        ("0.001\t-x", "float", 0.001),
        ("1e3x", "float", 1000.0),
        ("inf", "float", 0.0),
        ("abc", "float", 0.0),
    ],
)
def test_numeric_conversion_is_rubys(text: str, conv: str, value: float) -> None:
    g = LIB.compile(f"%{{ANY:v:{conv}}}")
    assert g.match(text) == {"v": value}
    assert type(g.match(text)["v"]) is type(value)  # type: ignore[index]


def test_reference_text_after_the_name_is_ignored() -> None:
    g = LIB.compile("%{NUM:[a][b]?} %{WORD note} %{WORD:c:string}")
    assert g.match("1 x y") == {"a": {"b": "1"}, "c": "y"}


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("(?<p>[[[:alnum:]]_/]+)", "/é_1/x", {"p": "/é_1/x"}),
        ("(?<p>[[:^digit:]]+)", "ab1", {"p": "ab"}),
        ("(?<p>[a-z&&[^aeiou]]+)", "bcde", {"p": "bcd"}),
        ("(?<p>[a[^b-z]]+)", "a1b", {"p": "a1"}),
        (r"(?<p>\p{Lu}+)\P{Lu}", "ÉAb", {"p": "ÉA"}),
        ("(?<p>a.?*b)", "aXYb", {"p": "aXYb"}),
        ("(?<p>(?:ab){1}+)", "ababx", {"p": "abab"}),
        ("(?<p>a++)", "aaa", {"p": "aaa"}),
        ("(?<p>(?>a|ab)c)", "abc", None),
        ("(?<q>')?(?<p>(?(<q>)[^']*'|\\w+))", "'a b'", {"q": "'", "p": "a b'"}),
    ],
)
def test_oniguruma_constructs(pattern: str, text: str, expected: dict[str, str] | None) -> None:
    assert LIB.compile(pattern).match(text) == expected
