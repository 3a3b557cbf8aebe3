"""Whatever the text, loading raises InventoryError or returns an Inventory; nothing else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osmon.inventory import Inventory, InventoryError, expand, load_text

VALID = """\
cloud: {name: c}
hosts:
  ctl1: {address: 10.0.0.1, roles: [controller]}
services:
  nova-api: {hosts: [ctl1], thresholds: {response_time: {warning: 1}}}
infrastructure:
  rabbitmq: {}
"""

# Pieces that make text YAML-ish and inventory-ish, so the fuzzing reaches deep into the schema.
TOKENS = st.sampled_from(
    [
        "\n", "  ", "- ", ": ", "{", "}", "[", "]", ",", "&a ", "*a", "<<: ", "!!str ", "!x ",
        "'", '"', "#", "---\n", "~", "@", "1", "-5", "1.5e3", "true", "null", "cloud", "name",
        "hosts", "ctl1", "address", "roles", "services", "nova-api", "thresholds", "warning",
        "10:5", "infrastructure", "alarms", "contacts", "auth", "password", "probes", "type",
        "interval", "5m", "endpoint", "url", "https://x", "logs", "path", "/var/log/x",
        "format", "oslo", "\t", "\x00", "\ufeff", "é",
    ]
)  # fmt: skip


def _load(text: str) -> None:
    try:
        inv = load_text(text, "fuzz.yaml")
    except InventoryError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file == "fuzz.yaml" and problem.line >= 0
            assert "\n" not in problem.message
            assert "internal error" not in problem.message
        return
    assert isinstance(inv, Inventory)
    expand(inv)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TOKENS, max_size=60).map("".join))
def test_yamlish_token_soup(text: str) -> None:
    _load(text)


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    _load(text)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(VALID)), st.integers(0, 12), st.lists(TOKENS, max_size=4).map("".join))
def test_mutations_of_a_valid_inventory(at: int, cut: int, insert: str) -> None:
    _load(VALID[:at] + insert + VALID[at + cut :])
