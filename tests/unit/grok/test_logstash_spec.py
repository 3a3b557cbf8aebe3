"""logstash-patterns-core's own spec examples, run through osmon's grok as Logstash runs them.

The cases are in ``fixtures/logstash_spec.yaml`` (written from the upstream spec); the pattern
files are read from the shared upstream copy. As the spec's helper does, the pattern is
``%{NAME}`` searched in an event whose ``message`` is the line, so a captured ``message``
turns the field into ``[line, captured]`` (Logstash's array promotion); ``@version`` is set as
on every Logstash event, and a line that does not match keeps its message and gets the
``_grokparsefailure`` tag.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from osmon.grok import PatternLibrary, load_pattern_dir

HERE = Path(__file__).resolve().parent
UPSTREAM = HERE.parents[2] / ".." / "shared" / "data" / "logstash-patterns-core" / "patterns"
CASES: list[dict[str, Any]] = yaml.safe_load((HERE / "fixtures" / "logstash_spec.yaml").read_text())


@cache
def library(mode: str) -> PatternLibrary:
    return PatternLibrary(load_pattern_dir(UPSTREAM / mode))


def grok_event(case: dict[str, Any]) -> dict[str, Any]:
    mode, pattern, message = case["mode"], case["pattern"], case["message"]
    grok = case.get("grok") or (
        "^%{" + pattern + "}$" if case.get("exact") else "%{" + pattern + "}"
    )
    doc = library(mode).compile(grok).search(message)
    event: dict[str, Any] = {"message": message, "@version": "1"}
    if doc is None:
        event["tags"] = ["_grokparsefailure"]
        return event
    for key, value in doc.items():
        if key == "message":
            event[key] = [message, *(value if isinstance(value, list) else [value])]
        else:
            event[key] = value
    return event


def matches(actual: Any, expected: Any) -> bool:
    """rspec equality, where ``{hash_including: {...}}`` checks only the keys it lists."""
    if isinstance(expected, dict) and set(expected) == {"hash_including"}:
        partial = expected["hash_including"]
        return isinstance(actual, dict) and all(
            k in actual and matches(actual[k], v) for k, v in partial.items()
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and set(actual) == set(expected)
            and all(matches(actual[k], v) for k, v in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(matches(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return type(actual) is type(expected) and actual == expected


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c['mode']}:{c['pattern']}:{i}" for i, c in enumerate(CASES)]
)
def test_spec_example(case: dict[str, Any]) -> None:
    event = grok_event(case)
    expected = case.get("matches", None if case.get("include") or case.get("absent") else True)
    if expected is not None:
        assert ("tags" not in event) is expected, f"{case['spec']}: matched {'tags' not in event}"
    for key, value in (case.get("include") or {}).items():
        assert matches(event.get(key), value), f"{case['spec']}: {key}: {event.get(key)!r}"
    for key in case.get("absent") or []:
        assert key not in event, f"{case['spec']}: {key} is set"
