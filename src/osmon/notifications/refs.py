"""Resolve the ``$ref`` + deep-merge format of Nova's published notification samples.

A sample writes ``{"$ref": "common_payloads/X.json#", "nova_object.data": {...}}``: load X (paths
are relative to the file holding the reference, fragments are JSON pointers), resolve its own
references, then merge the sibling keys over it, recursing into mappings and replacing anything
else. JSON-reference libraries (jsonref) replace the referencing object or merge shallowly, which
would drop most of Nova's overrides, hence this small resolver.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class RefError(ValueError):
    """A broken reference; the message names the file and the reference."""


def deep_merge(base: Any, override: Any) -> Any:
    """``override`` over ``base``: mappings merge key by key, everything else is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return override


def _pointer(doc: Any, fragment: str, where: str) -> Any:
    if fragment in ("", "/"):
        return doc
    cur = doc
    for token in fragment.lstrip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        try:
            cur = cur[int(token)] if isinstance(cur, list) else cur[token]
        except (KeyError, IndexError, ValueError, TypeError):
            raise RefError(f"{where}: JSON pointer #{fragment} not found") from None
    return cur


class RefResolver:
    """Loads each referenced file once; detects reference cycles."""

    def __init__(self) -> None:
        self._files: dict[Path, Any] = {}

    def load(self, path: Path) -> Any:
        path = path.resolve()
        if path not in self._files:
            try:
                self._files[path] = json.loads(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise RefError(f"{path}: cannot read: {exc.strerror}") from None
            except json.JSONDecodeError as exc:
                raise RefError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
        return self._files[path]

    def resolve_file(self, path: Path) -> Any:
        return self.resolve(self.load(path), path.resolve().parent, (path.resolve(),))

    def resolve(self, node: Any, base: Path, stack: tuple[Path, ...] = ()) -> Any:
        if isinstance(node, list):
            return [self.resolve(item, base, stack) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        siblings = {k: self.resolve(v, base, stack) for k, v in node.items() if k != "$ref"}
        if ref is None:
            return siblings
        if not isinstance(ref, str):
            raise RefError(f"{stack[-1] if stack else base}: $ref must be a string, got {ref!r}")
        target_name, _, fragment = ref.partition("#")
        target = (base / target_name).resolve() if target_name else stack[-1]
        where = f"{stack[-1] if stack else base}: $ref {ref!r}"
        if target in stack and target_name:
            raise RefError(f"{where}: reference cycle")
        if not target.is_file():
            raise RefError(f"{where}: {target} does not exist")
        referenced = _pointer(self.load(target), fragment, where)
        resolved = self.resolve(referenced, target.parent, (*stack, target))
        return deep_merge(resolved, siblings)
