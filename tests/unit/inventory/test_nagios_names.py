"""Inventory checks for what would make the generated Nagios objects invalid (FILE:LINE)."""

from __future__ import annotations

import pytest

from osmon.inventory import InventoryError, load_text

BASE = "cloud: {name: c}\ncontacts:\n  ops: {email: ops@example.org}\nhosts:\n"


def _problems(text: str) -> list[str]:
    with pytest.raises(InventoryError) as caught:
        load_text(BASE + text, "inv.yaml")
    return [str(p) for p in caught.value.problems]


def test_parents_accepted() -> None:
    inv = load_text(BASE + "  sw: {address: 10.0.0.1}\n  a: {address: 10.0.0.2, parents: [sw]}\n")
    assert inv.hosts["a"].parents == ("sw",)


def test_undefined_parent() -> None:
    problems = _problems("  a: {address: 10.0.0.2, parents: [sw1]}\n")
    assert problems == ["inv.yaml:5: undefined host 'sw1' in parents of 'a'"]


def test_own_parent() -> None:
    problems = _problems("  a: {address: 10.0.0.2, parents: [a]}\n")
    assert problems == ["inv.yaml:5: host 'a' cannot be its own parent"]


def test_parent_loop() -> None:
    problems = _problems(
        "  a: {address: 10.0.0.2, parents: [b]}\n  b:\n    address: 10.0.0.3\n    parents: [a]\n"
    )
    assert "inv.yaml:5: host 'a' is its own ancestor (parents loop)" in problems
    assert "inv.yaml:8: host 'b' is its own ancestor (parents loop)" in problems


def test_contact_text_on_one_line() -> None:
    text = (
        "cloud: {name: c}\ncontacts:\n  ops:\n    email: ops@example.org\n"
        '    full_name: "a\\nb"\nhosts:\n  a: {address: 10.0.0.1}\n'
    )
    with pytest.raises(InventoryError) as caught:
        load_text(text, "inv.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "inv.yaml:5: full_name of contact 'ops' must be one line of printable text"
    ]


@pytest.mark.parametrize("name", ["web(1)", "a,b", "x=y"])
def test_illegal_name_characters_rejected(name: str) -> None:
    problems = _problems(f"  '{name}': {{address: 10.0.0.1}}\n")
    assert len(problems) == 1 and problems[0].startswith("inv.yaml:5: ")
