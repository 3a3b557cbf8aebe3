"""Fuzzing the grok engine: any pattern text compiles or raises GrokError; any input text
matches to a document or to None. Never another exception."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from osmon.grok import GrokError, PatternLibrary, default_library

LIB = PatternLibrary({"NUM": "[0-9]+", "W": r"\w+", "R": "%{R}", "N": "%{W:[a][b]} %{NUM:c:int}"})
PIECES = st.sampled_from(
    [
        "%{",
        "}",
        "%{NUM}",
        "%{W:x}",
        "%{NUM:n:int}",
        "%{NUM:n:float}",
        "%{N}",
        "%{R}",
        "%{X=[a-z]}",
        "%{W:[a][b]}",
        "%{W:a.b}",
        "(?<g>",
        "(?'h'",
        "(?m)",
        "(?i-m:",
        "(",
        ")",
        "[",
        "]",
        "[[:alpha:]",
        "\\",
        "\\h",
        "\\z",
        "\\k<g>",
        "|",
        "*",
        "+",
        "?",
        "{2}",
        "a",
        " ",
        ".",
        ":",
        "=",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES | st.text(max_size=3), max_size=12).map("".join), st.text(max_size=40))
def test_any_pattern_compiles_or_fails_cleanly(pattern: str, text: str) -> None:
    try:
        g = LIB.compile(pattern)
    except GrokError:
        return
    result = g.search(text)
    assert result is None or isinstance(result, dict)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_shipped_patterns_never_raise_on_any_input(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    lib = default_library()
    for name in ("OSLO_LINE", "APACHE_ACCESS", "SYSLOG_OSLO_LINE", "OSLO_WSGI_ACCESS"):
        result = lib.compile("%{" + name + "}").match(text)
        assert result is None or isinstance(result, dict)
