"""Compiled JSONPath getters: the fast path must agree with jsonpath-ng."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonpath_ng.ext.parser import parse

from osmon.notifications.paths import JsonPath, PathError

KEYS = st.sampled_from(["a", "b", "payload", "nova_object.data", "x"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=12,
)
steps = st.lists(st.one_of(KEYS, st.integers(min_value=0, max_value=3)), min_size=1, max_size=4)


def _render(path_steps: list[Any]) -> str:
    out = "$"
    for step in path_steps:
        out += f"[{step}]" if isinstance(step, int) else f'."{step}"'
    return out


@given(doc=json_values, path_steps=steps)
def test_plain_paths_agree_with_jsonpath_ng(doc: Any, path_steps: list[Any]) -> None:
    text = _render(path_steps)
    compiled = JsonPath(text)
    assert compiled.is_plain
    assert compiled.all(doc) == [d.value for d in parse(text).find(doc)]


def test_rich_expressions_fall_back_to_jsonpath_ng() -> None:
    doc = {"payload": {"metrics": [{"name": "cpu", "value": 3}], "host": "h", "node": "n"}}
    assert not JsonPath("$.payload.metrics[?(@.name='cpu')].value").is_plain
    assert JsonPath("$.payload.metrics[?(@.name='cpu')].value * 100").first(doc) == 300
    assert JsonPath('$.payload.host + "_" + $.payload.node').first(doc) == "h_n"
    assert JsonPath("$.payload.metrics[*].name").all(doc) == ["cpu"]


def test_missing_and_null_are_told_apart_by_all() -> None:
    doc = {"payload": {"a": None}}
    assert JsonPath("$.payload.a").all(doc) == [None]
    assert JsonPath("$.payload.b").all(doc) == []
    assert JsonPath("$.payload.b").first(doc) is None


def test_invalid_expression_is_a_path_error() -> None:
    with pytest.raises(PathError, match="invalid JSONPath"):
        JsonPath("$.payload.[[")
