"""The README is part of the product: its generated reference and its example must be current."""

from __future__ import annotations

import re
from pathlib import Path

from osmon.inventory import load_text
from osmon.inventory.readme import END, EXAMPLE, START, render

README = Path(__file__).resolve().parents[2] / "README.md"


def test_inventory_reference_is_current() -> None:
    text = README.read_text()
    block = text.split(START, 1)[1].split(END, 1)[0].strip("\n")
    assert block == render(), "run: python -m osmon.inventory.readme --write README.md"


def test_reference_example_is_a_valid_inventory() -> None:
    yaml_text = re.search(r"```yaml\n(.*?)```", EXAMPLE, re.S)
    assert yaml_text is not None
    inv = load_text(yaml_text.group(1), "README.md")
    assert inv.cloud.name == "prod" and "nova-api" in inv.services


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = (README.parent / ".ci" / "run").read_text()
    assert "make test" in README.read_text() and "exec make test" in ci
