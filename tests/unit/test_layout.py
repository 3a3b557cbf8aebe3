"""The package's shape: no import cycles, and the dependency rules of the architecture.

Imports are read from the source (module level and inside functions), skipping those under
``if TYPE_CHECKING:``: those are for the type checker and never run.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PKG = SRC / "osmon"
MAX_LINES = 420


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(osmon modules imported at module level, every module imported anywhere)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top: set[str] = set()
    anywhere: set[str] = set()
    me = _module(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]

    def visit(node: ast.AST, at_top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for sub in child.orelse:
                    visit(sub, at_top)
                continue
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - child.level + 1])
                    base = f"{base}.{child.module}" if child.module else base
                names = [f"{base}.{a.name}" for a in child.names]  # resolved by _known
            for n in names:
                anywhere.add(n)
                if at_top and n.startswith("osmon"):
                    top.add(n)
            inner = at_top and not isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            visit(child, inner)

    visit(tree, True)
    return top, anywhere


MODULES = {_module(p): p for p in sorted(PKG.rglob("*.py"))}
GRAPH = {m: _imports(p) for m, p in MODULES.items()}


def _known(name: str) -> str | None:
    """The osmon module a dotted import name refers to (``a.b.Name`` → ``a.b``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _edges(module: str, anywhere: bool = False) -> set[str]:
    top, every = GRAPH[module]
    found = {_known(n) for n in (every if anywhere else top) if n.startswith("osmon")}
    return {m for m in found if m and m != module}


def test_no_module_is_far_over_400_lines() -> None:
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_no_import_cycles_at_module_level() -> None:
    sys.setrecursionlimit(10_000)
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def dfs(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(_edges(m)):
            # a package's __init__ importing its own submodules is not a cycle of concepts
            if state.get(n) == 1 and not n.startswith(m + ".") and not m.startswith(n + "."):
                cycles.append([*stack[stack.index(n) :], n])
            elif n not in state:
                dfs(n)
        stack.pop()
        state[m] = 2

    for m in sorted(MODULES):
        if m not in state:
            dfs(m)
    assert cycles == []


def _violations(prefix: str, allowed: tuple[str, ...], anywhere: bool = True) -> list[str]:
    bad = []
    for m in MODULES:
        if m == prefix or m.startswith(prefix + "."):
            for n in _edges(m, anywhere):
                if not any(n == a or n.startswith(a + ".") for a in allowed):
                    bad.append(f"{m} -> {n}")
    return sorted(bad)


PROBING = ("osmon.probes", "osmon.inventory", "osmon.components")
"""What a plugin that runs a probe kind may import, inside functions only (after parsing)."""


@pytest.mark.parametrize(
    ("package", "allowed"),
    [
        ("osmon.checks", ("osmon.checks", *PROBING)),  # probing: see the stdlib test
        ("osmon.grok", ("osmon.grok", "osmon.packaged")),
        ("osmon.packaged", ()),
        ("osmon.records", ()),
        ("osmon.jsonlines", ()),
        ("osmon.retry", ()),
        ("osmon.yamldoc", ()),
        ("osmon.redact", ()),
        ("osmon.archive_policies", ()),
        (
            "osmon.inventory",
            ("osmon.inventory", "osmon.checks", "osmon.yamldoc", "osmon.archive_policies"),
        ),
        (
            "osmon.nagios",
            ("osmon.nagios", "osmon.inventory", "osmon.checks", "osmon.selfmetrics"),
        ),
        (
            "osmon.generate",
            (
                "osmon.generate",
                "osmon.inventory",
                "osmon.grok",
                "osmon.logs.vocabulary",
                "osmon.sinks.elasticsearch.streams",
                "osmon.sinks.elasticsearch.documents",
                "osmon.sinks.elasticsearch.config",
                "osmon.records",
                "osmon.packaged",
            ),
        ),
    ],
)
def test_layers_import_only_what_is_below_them(package: str, allowed: tuple[str, ...]) -> None:
    assert _violations(package, allowed) == []


def test_sources_and_sinks_never_reach_each_other() -> None:
    bad = []
    for m in MODULES:
        parts = m.split(".")
        if len(parts) < 3 or parts[1] not in ("sources", "sinks") or parts[2] == "base":
            continue
        kind, own = parts[1], ".".join(parts[:3])
        for n in _edges(m, anywhere=True):
            np = n.split(".")
            other = len(np) >= 3 and np[1] in ("sources", "sinks") and np[2] != "base"
            if other and ".".join(np[:3]) != own:
                bad.append(f"{m} -> {n}")
            if np[:2] == ["osmon", "cli"] or np[:2] == ["osmon", "daemon"]:
                bad.append(f"{m} -> {n}")
        assert kind in ("sources", "sinks")
    assert bad == []


def test_click_and_rich_only_in_the_cli() -> None:
    users = sorted(
        m
        for m, (_, every) in GRAPH.items()
        if not m.startswith("osmon.cli")
        and any(n.split(".")[0] in ("click", "rich") for n in every)
    )
    assert users == []


PLUGINS = "osmon.checks.plugins"


def _module_level_names(module: str) -> set[str]:
    """Every name imported at module level (outside functions and TYPE_CHECKING)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom) and not child.level:
                found.add(child.module or "")
            visit(child)

    visit(ast.parse(MODULES[module].read_text(encoding="utf-8")))
    return found


def _stdlib_or_checks(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names or name.startswith("osmon.checks")


def test_checks_import_only_the_standard_library() -> None:
    """``osmon.checks`` is stdlib only; a plugin may reach osmon's probes lazily, in functions,
    and ``check_osmon`` (the fast one) never does."""
    bad = []
    for m, (_, every) in GRAPH.items():
        if not m.startswith("osmon.checks"):
            continue
        probing = m.startswith(PLUGINS + ".") and not m.endswith(".check_osmon")
        for n in every:
            if _stdlib_or_checks(n):
                continue
            if probing and n.startswith(PROBING) and n not in _module_level_names(m):
                continue
            bad.append(f"{m} -> {n}")
    for m in MODULES:
        if m.startswith(PLUGINS):
            bad += [
                f"{m} -> {n} (module level)"
                for n in _module_level_names(m)
                if not _stdlib_or_checks(n)
            ]
    assert bad == []
