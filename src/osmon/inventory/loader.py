"""Read an inventory file: YAML, then schema, then cross-references; every mistake at its line."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from osmon import yamldoc
from osmon.inventory import crossrefs, schema_errors
from osmon.inventory.model import Inventory
from osmon.inventory.problems import InventoryError, Problem

__all__ = ["load", "load_text"]


def load(path: str | Path) -> Inventory:
    """Load and check an inventory file; raise ``InventoryError`` listing every problem."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InventoryError([Problem(name, 1, f"cannot read: {exc.strerror or exc}")]) from None
    return load_text(data, name)


def load_text(text: str | bytes, filename: str = "<inventory>") -> Inventory:
    """Load and check an inventory given as text; ``filename`` is used in the problems."""
    try:
        return _load(text, filename)
    except InventoryError:
        raise
    except Exception as exc:  # a bug must still read as one line, not a traceback
        detail = " ".join(str(exc).split())
        message = f"internal error while loading ({type(exc).__name__}: {detail}); please report it"
        raise InventoryError([Problem(filename, 1, message)]) from exc


def _load(text: str | bytes, filename: str) -> Inventory:
    doc = yamldoc.parse(text)
    problems = [Problem(filename, line, message) for line, message in doc.problems]
    if doc.data is None:
        if not problems:
            message = "the inventory is empty (it needs 'cloud' and 'hosts')"
            problems.append(Problem(filename, 1, message))
        raise InventoryError(problems)
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        message = f"the top level must be a mapping (cloud, hosts, ...), not {kind}"
        raise InventoryError([*problems, Problem(filename, 1, message)])

    try:
        inventory = Inventory.model_validate(doc.data)
    except ValidationError as exc:
        problems += [
            Problem(filename, line, message) for line, message in schema_errors.translate(exc, doc)
        ]
        raise InventoryError(problems) from None

    def line_of(path: yamldoc.KeyPath) -> int:
        return doc.locate(path)[1]

    for path, message in crossrefs.check(inventory, line_of):
        problems.append(Problem(filename, line_of(path), message))
    if problems:
        raise InventoryError(problems)
    return inventory
