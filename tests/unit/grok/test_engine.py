"""The grok engine: Logstash syntax compiled to Python re, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from osmon.grok import (
    GrokSyntaxError,
    PatternFileError,
    PatternLibrary,
    RecursivePatternError,
    UndefinedPatternError,
    default_library,
    load_pattern_dir,
    parse_pattern_text,
)

LIB = PatternLibrary(
    {
        "NUM": r"[0-9]+",
        "WORD": r"\w+",
        "PAIR": "%{WORD:[kv][key]}=%{NUM:[kv][value]:int}",
        "LOOP_A": "x%{LOOP_B}",
        "LOOP_B": "y%{LOOP_C}",
        "LOOP_C": "%{LOOP_A}",
        "SELF": "a%{SELF}",
        "BROKEN": "%{NOPE}",
    }
)


def test_semantics_types_and_nesting() -> None:
    g = LIB.compile("%{PAIR} %{NUM:ratio:float} %{WORD} %{WORD:log.level}")
    assert g.match("pid=42 3 skipped INFO") == {
        "kv": {"key": "pid", "value": 42},
        "ratio": 3.0,
        "log": {"level": "INFO"},
    }
    assert g.match("pid=x 3 a b") is None
    assert [f.semantic for f in g.fields] == ["[kv][key]", "[kv][value]", "ratio", "log.level"]


def test_oniguruma_named_groups_inline_definitions_and_backrefs() -> None:
    g = LIB.compile(r"(?<quote>['\"])%{Q:[q][text]=[a-z]{2,3}}\k<quote> (?'tail'\h+)")
    assert g.match("'abc' beef") == {"quote": "'", "q": {"text": "abc"}, "tail": "beef"}
    assert g.match("'abc\" beef") is None


def test_dot_matches_newlines_as_in_logstash_unless_turned_off() -> None:
    g = LIB.compile(r"%{WORD:a} (?m)%{GREEDYDATA:rest=.*}\z")
    assert g.match("head line one\nline two") == {"a": "head", "rest": "line one\nline two"}
    assert g.regex.pattern.count("(?s:") == 1
    h = LIB.compile(r"x(?-m:.)|y.")
    assert h.regex.match("y\n") and not h.regex.match("x\n")


def test_metadata_is_set_apart() -> None:
    g = LIB.compile("%{NUM:[@metadata][ts]} %{WORD:msg}")
    m = g.regex.match("12 hi")
    assert m is not None
    doc: dict[str, object] = {}
    assert g.fill(m, doc) == {"ts": "12"}
    assert doc == {"msg": "hi"}
    assert g.match("12 hi", metadata=True) == {"msg": "hi", "@metadata": {"ts": "12"}}


def test_alternatives_share_a_field() -> None:
    g = LIB.compile("(?:a%{NUM:n:int}|b%{NUM:n:int})")
    assert g.match("b7") == {"n": 7}
    assert g.groups_for("n") == (1, 2)


def test_search_is_unanchored_match_is_anchored() -> None:
    g = LIB.compile("%{NUM:n:int}")
    assert g.match("abc 12") is None
    assert g.search("abc 12") == {"n": 12}


def test_compiled_once() -> None:
    assert LIB.compile("%{PAIR}") is LIB.compile("%{PAIR}")
    assert LIB.compile("%{PAIR}") is not LIB.compile("%{PAIR}", {"NUM": "[0-7]+"})


@pytest.mark.parametrize(
    ("pattern", "error", "text"),
    [
        ("%{NOPE:x}", UndefinedPatternError, "pattern %{NOPE} is not defined"),
        ("%{BROKEN}", UndefinedPatternError, "referenced in %{BROKEN}"),
        ("%{LOOP_A}", RecursivePatternError, "LOOP_A -> LOOP_B -> LOOP_C -> LOOP_A"),
        ("%{SELF}", RecursivePatternError, "SELF -> SELF"),
        ("%{NUM:a} %{NUM:a.b}", GrokSyntaxError, "both a value and an object"),
        ("(unclosed", GrokSyntaxError, "missing ')'"),
        ("closed)", GrokSyntaxError, "unbalanced ')'"),
        (r"\p{Han}", GrokSyntaxError, "Unicode property \\p{Han} has no Python re equivalent"),
        ("(?~abc)", GrokSyntaxError, "absent operator (?~...)"),
        (r"(?<a>x)\g<a>", GrokSyntaxError, "subexpression calls"),
        ("(?(1)a|b)", GrokSyntaxError, "numbered conditionals"),
        ("[[:nope:]]", GrokSyntaxError, "unknown POSIX class [:nope:]"),
        ("%{", GrokSyntaxError, "missing pattern name"),
        ("a{2,1}", GrokSyntaxError, "does not compile"),
    ],
)
def test_clear_errors(pattern: str, error: type[Exception], text: str) -> None:
    with pytest.raises(error, match=None) as exc:
        LIB.compile(pattern)
    assert text in str(exc.value)


def test_pattern_files(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("# comment\n\nGREETING hello %{WHO}\nWHO [a-z]+\n")
    (tmp_path / "b").write_text("WHO world\n")
    defs = load_pattern_dir(tmp_path)
    assert defs["WHO"].regex == "world"
    assert defs["GREETING"].source == f"{tmp_path / 'a'}:3"
    assert PatternLibrary(defs).compile("%{GREETING:g}").match("hello world") == {
        "g": "hello world"
    }
    with pytest.raises(PatternFileError, match=r"bad:2: expected 'NAME regex'"):
        parse_pattern_text("OK x\nno-regex-here\n", "bad")
    with pytest.raises(PatternFileError, match="not a patterns directory"):
        load_pattern_dir(tmp_path / "missing")


def test_posix_classes_and_hex_escapes() -> None:
    g = LIB.compile(r"(?<w>[[:alpha:]_]+)\x{41}(?<h>\h\H)")
    assert g.match("ab_A0z") == {"w": "ab_", "h": "0z"}


def test_every_shipped_pattern_compiles() -> None:
    lib = default_library()
    for name in lib.names():
        lib.compile("%{" + name + "}")
