"""YAML to plain data, remembering the line of every key and list item: the one YAML loader
of the inventory, the daemon config and the meter definitions.

PyYAML's ``compose`` keeps node marks; walking the node graph ourselves lets us report duplicate
keys (which ``safe_load`` silently lets the last one win) and map a validation error's location
back to a line in the file.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["Document", "KeyPath", "parse"]

KeyPath = tuple[Hashable, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAX_NODES = 200_000


class _Abort(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(slots=True)
class Document:
    """Plain data (dicts, lists, scalars), the line of each key path, and the problems seen."""

    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)

    def locate(self, loc: Sequence[Hashable]) -> tuple[KeyPath, int]:
        """The longest prefix of ``loc`` that names data in the file, and its line.

        Parts that do not name data (a validator's union branch label, say) are skipped.
        """
        path: KeyPath = ()
        line = 1
        for part in loc:
            candidate = (*path, part)
            if candidate in self.lines:
                path = candidate
                line = self.lines[candidate]
        return path, line


class _Walker:
    def __init__(self, loader: yaml.SafeLoader, doc: Document) -> None:
        self.loader = loader
        self.doc = doc
        self.flattened: set[int] = set()
        self.nodes = 0

    def walk(self, node: Node, path: KeyPath, active: frozenset[int]) -> Any:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise _Abort(_line(node), f"document too large (more than {_MAX_NODES} nodes)")
        if id(node) in active:
            raise _Abort(_line(node), "recursive alias: a node contains itself")
        if isinstance(node, MappingNode):
            return self._mapping(node, path, active | {id(node)})
        if isinstance(node, SequenceNode):
            inner = active | {id(node)}
            items = []
            for index, item in enumerate(node.value):
                self.doc.lines.setdefault((*path, index), _line(item))
                items.append(self.walk(item, (*path, index), inner))
            return items
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: MappingNode, path: KeyPath, active: frozenset[int]) -> dict[Any, Any]:
        if id(node) not in self.flattened:
            self.flattened.add(id(node))
            seen: dict[Hashable, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG or not isinstance(key_node, ScalarNode):
                    continue
                key = self._key(key_node)
                if key in seen:
                    message = f"duplicate key '{key}' (first given at line {seen[key]})"
                    self.doc.problems.append((_line(key_node), message))
                else:
                    seen[key] = _line(key_node)
            self.loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.doc.problems.append((_line(key_node), "a key must be a plain scalar"))
                continue
            key = self._key(key_node)
            key_path = (*path, key)
            self.doc.lines[key_path] = _line(key_node)
            result[key] = self.walk(value_node, key_path, active)
        return result

    def _key(self, node: ScalarNode) -> str:
        """Keys are names: keep the text the operator wrote (``on``, ``8774``), not a bool/int."""
        value = self.loader.construct_object(node)
        return value if isinstance(value, str) else str(node.value)


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _yaml_problem(exc: yaml.YAMLError, text: str | bytes) -> tuple[int, str]:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else 1
        context = exc.context or ""
        if context and exc.context_mark is not None and exc.context_mark.line + 1 != line:
            context += f" (line {int(exc.context_mark.line) + 1})"
        parts = [part for part in (context, exc.problem) if part]
        return line, "YAML syntax error: " + (", ".join(parts) or str(exc).splitlines()[0])
    if isinstance(exc, yaml.reader.ReaderError):
        before = text[: exc.position]
        newline: Any = b"\n" if isinstance(before, bytes) else "\n"
        line = before.count(newline) + 1
        if exc.encoding != "unicode":
            return line, f"cannot decode the file as {exc.encoding}: {exc.reason}"
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        return line, f"unacceptable character #x{code:04x}: {exc.reason}"
    return 1, "YAML error: " + " ".join(str(exc).split())


def parse(text: str | bytes) -> Document:
    """Compose one YAML document; syntax errors become problems instead of exceptions."""
    doc = Document(data=None)
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:
        doc.problems.append(_yaml_problem(exc, text))
        return doc
    try:
        root = loader.get_single_node()
        if root is not None:
            doc.data = _Walker(loader, doc).walk(root, (), frozenset())
    except yaml.YAMLError as exc:
        doc.data = None
        doc.problems.append(_yaml_problem(exc, text))
    except _Abort as exc:
        doc.data = None
        doc.problems.append((exc.line, exc.message))
    except RecursionError:
        doc.data = None
        doc.problems.append((1, "YAML nesting too deep"))
    finally:
        loader.dispose()
    return doc
