"""Grok semantics as document paths, and the generated function that fills a nested document.

``[log][level]``, ``log.level`` and ``level`` are all accepted (the first is Logstash's field
reference syntax, the second the ECS spelling). Filling a nested dict from match groups is the
hot path of the log parser, so the filler is generated once per pattern as straight-line Python
(one ``if v is not None`` per capture, intermediate objects attached only when non-empty)
instead of walking paths per line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from osmon.grok.errors import GrokSyntaxError

METADATA = "@metadata"

_BRACKETS = re.compile(r"\[([^\[\]]+)\]")

Path = tuple[str, ...]
Filler = Callable[[Sequence[str | None], dict[str, Any]], dict[str, Any]]


def field_path(semantic: str) -> Path:
    """``[a][b]`` / ``a.b`` / ``a`` -> ``("a", "b")``.

    A malformed bracket reference (upstream ecs-v1 has ``[source][user][name?]``, of which
    Logstash reads ``[source][user][name``) is kept as one literal top-level key rather than
    refusing the whole pattern; an empty dotted part is an error."""
    if semantic.startswith("["):
        parts = _BRACKETS.findall(semantic)
        if "".join(f"[{p}]" for p in parts) != semantic:
            return (semantic,)
        return tuple(parts)
    if "[" in semantic or "]" in semantic:
        return (semantic,)
    parts = semantic.split(".")
    if any(not p for p in parts):
        raise GrokSyntaxError(f"malformed field name {semantic!r}")
    return tuple(parts)


_RUBY_INT = re.compile(r"[ \t\n\v\f\r]*[+-]?\d+(?:_\d+)*", re.ASCII)
_RUBY_FLOAT = re.compile(
    r"[ \t\n\v\f\r]*[+-]?(?:\d+(?:_\d+)*(?:\.\d+(?:_\d+)*)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+)?",
    re.ASCII,
)


def ruby_to_i(v: str) -> int:
    """Ruby's ``String#to_i`` (Logstash's ``:int``): the leading integer, else 0."""
    m = _RUBY_INT.match(v)
    return int(m.group().replace("_", "")) if m else 0


def ruby_to_f(v: str) -> float:
    """Ruby's ``String#to_f`` (Logstash's ``:float``): the leading decimal number, else 0.0."""
    m = _RUBY_FLOAT.match(v)
    if m is None:
        return 0.0
    try:
        return float(m.group().replace("_", ""))
    except OverflowError:
        return 0.0


def _float(v: str) -> float:
    try:
        f = float(v) if v.isascii() else ruby_to_f(v)
    except ValueError:
        return ruby_to_f(v)
    return f if f - f == 0 else ruby_to_f(v)


def make_filler(
    fields: Sequence[tuple[int, Path, str | None]],
    *,
    merge: bool = True,
    groups: int | None = None,
) -> Filler:
    """Generate ``fill(groups, doc) -> metadata``.

    ``fields`` holds (group index in ``groups``, path, conversion). Paths under ``@metadata``
    go to the returned flat dict (keyed by the rest of the path joined with dots) rather than
    into ``doc``. As Logstash's grok filter does: a group that did not take part or captured
    ``""`` sets nothing (a converted field gets 0: Ruby's ``"".to_i``); ``int``/``float``
    convert like Ruby's ``to_i``/``to_f`` (leading number, else 0); a path captured again
    turns a text value into a list of the values, in ``fields`` order (a converted first
    value is kept alone). With ``merge``, top-level
    objects already in ``doc`` are updated, not replaced, so a second pattern can refine a
    document the first one built; without it ``doc`` must not hold them yet (a little
    faster). ``groups`` (the length of the groups tuple) lets the filler unpack the tuple at
    once when every group is a field.
    """
    leaves: set[Path] = set()
    nodes: dict[Path, str] = {(): "doc"}
    for _, path, _ in fields:
        if path[0] == METADATA:
            continue
        for k in range(1, len(path)):
            if path[:k] in leaves:
                raise GrokSyntaxError(f"field {'.'.join(path[:k])!r} is both a value and an object")
            nodes.setdefault(path[:k], f"n{len(nodes)}")
        if path in nodes:
            raise GrokSyntaxError(f"field {'.'.join(path)!r} is both a value and an object")
        leaves.add(path)
    used = {gi for gi, _, _ in fields}
    lines = ["def fill(g, doc):", "    meta = {}"]
    if groups is not None and used == set(range(groups)) and groups > 1:
        lines.append(f"    {', '.join(f'v{i}' for i in range(groups))} = g")
    else:
        lines += [f"    v{i} = g[{i}]" for i in sorted(used)]
    lines += [f"    {var} = {{}}" for p, var in nodes.items() if p]
    counts = Counter(path for _, path, _ in fields)
    for gi, path, conv in fields:
        if path[0] == METADATA:
            target, key = "meta", ".".join(path[1:]) or METADATA
        else:
            target, key = nodes[path[:-1]], path[-1]
        v = f"v{gi}"
        lines.append(f"    if {v} is not None:" if conv else f"    if {v}:")
        if conv == "int":
            lines += ["        try:", f"            {v} = int({v})", "        except ValueError:"]
            lines.append(f"            {v} = _int({v})")
        elif conv == "float":
            lines.append(f"        {v} = _float({v})")
        if counts[path] == 1:
            lines.append(f"        {target}[{key!r}] = {v}")
            continue
        lines += [
            f"        x = {target}.get({key!r})",
            "        if x is None:",
            f"            {target}[{key!r}] = {v}",
            "        elif type(x) is list:",
            f"            x.append({v})",
            "        elif type(x) is str:",
            f"            {target}[{key!r}] = [x, {v}]",
        ]
    for path in sorted((p for p in nodes if p), key=len, reverse=True):
        parent = nodes[path[:-1]]
        var = nodes[path]
        lines.append(f"    if {var}:")
        if parent == "doc" and merge:
            lines.append(f"        x = doc.get({path[-1]!r})")
            lines.append("        if isinstance(x, dict):")
            lines.append(f"            x.update({var})")
            lines.append("        else:")
            lines.append(f"            doc[{path[-1]!r}] = {var}")
        else:
            lines.append(f"        {parent}[{path[-1]!r}] = {var}")
    lines.append("    return meta")
    namespace: dict[str, Any] = {"_int": ruby_to_i, "_float": _float}
    exec(compile("\n".join(lines), "<grok filler>", "exec"), namespace)
    fill: Filler = namespace["fill"]
    return fill
