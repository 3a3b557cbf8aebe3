"""Event definitions: Ceilometer's ``event_definitions.yaml`` syntax, compiled once.

Each definition names ``event_type`` patterns (shell-style, a list, ``!pattern`` excludes) and
``traits``: ``name: {fields: PATH | [PATH, ...], type: text|int|float|datetime, plugin: ...}``
(or ``name: PATH``). Paths are JSONPaths over ``{ctxt, publisher_id, event_type, payload,
metadata}``; of a list, the first non-null match wins. Every definition also gets Ceilometer's
default traits (``service``, ``request_id``, ``project_id``, ``user_id``, ``tenant_id``) unless it
defines them itself. As in Ceilometer, the *last* matching definition in the file wins, and a
catch-all ``*`` definition (default traits only) is added when the file has none.

A definition Ceilometer could not build (bad type, unknown plugin, bad path ...) is skipped with a
``FILE:LINE`` warning, kept in ``problems``; the others load.
"""

from __future__ import annotations

import fnmatch
import functools
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from types import MappingProxyType
from typing import Any, Final

from osmon import packaged, yamldoc
from osmon.notifications.paths import JsonPath, PathError, PathEvalError
from osmon.notifications.trait_plugins import TraitPlugin, make_plugin
from osmon.notifications.traits import TRAIT_TYPES, TraitType, convert

log = logging.getLogger(__name__)

PACKAGED: Final = "event_definitions.yaml"

DEFAULT_TRAITS: Final[Mapping[str, Mapping[str, Any]]] = {
    "service": {"type": "text", "fields": "publisher_id"},
    "request_id": {"type": "text", "fields": "ctxt.request_id"},
    "project_id": {"type": "text", "fields": ["payload.tenant_id", "ctxt.project_id"]},
    "user_id": {"type": "text", "fields": ["payload.user_id", "ctxt.user_id"]},
    "tenant_id": {"type": "text", "fields": ["payload.tenant_id", "ctxt.project_id"]},
}


class EventDefinitionError(ValueError):
    """A file that holds no definitions at all (not a list, unreadable, bad YAML)."""


@functools.lru_cache(maxsize=4096)
def _compiled(text: str) -> JsonPath:
    """Paths repeat across definitions (the default traits in every one); jsonpath-ng's parser
    is slow, so each text is compiled once per process, as Ceilometer caches its getters."""
    return JsonPath(text)


class TraitDefinition:
    """One trait: its paths, type and optional plugin."""

    __slots__ = ("constant", "dropped", "name", "paths", "plugin", "type")

    def __init__(self, name: str, cfg: Any) -> None:
        self.name = name
        self.dropped = 0
        """Values that did not convert (exported as ``osmon_event_traits_dropped_total``)."""
        self.plugin: TraitPlugin | None = None
        self.constant: int | None = None
        type_name: Any = "text"
        if isinstance(cfg, Mapping):
            if "fields" not in cfg:
                raise ValueError(f"trait {name}: the field 'fields' is required")
            type_name = cfg.get("type", "text")
            if "plugin" in cfg:
                try:
                    self.plugin = make_plugin(cfg["plugin"])
                except ValueError as exc:
                    raise ValueError(f"trait {name}: {exc}") from None
            fields = cfg["fields"]
        else:
            fields = cfg
        if type_name not in TRAIT_TYPES:
            raise ValueError(
                f"invalid trait type {type_name!r} for trait {name} "
                f"(expected one of {', '.join(TRAIT_TYPES)})"
            )
        self.type: TraitType = type_name
        if isinstance(fields, int) and not isinstance(fields, bool):
            self.constant, fields = fields, []
        elif isinstance(fields, str):
            fields = [fields]
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise ValueError(f"trait {name}: fields must be a path or a list of paths")
        if not fields and self.constant is None:
            raise ValueError(f"trait {name}: fields is empty")
        try:
            self.paths = tuple(_compiled(f) for f in fields)
        except PathError as exc:
            raise ValueError(f"trait {name}: {exc}") from None

    def raw_value(self, doc: Mapping[str, Any]) -> Any:
        if self.constant is not None:
            return self.constant
        if self.plugin is None:
            for path in self.paths:
                for value in path.all(doc):
                    if value is not None:
                        return value
            return None
        matches = [
            (where, value)
            for path in self.paths
            for where, value in path.matches(doc)
            if value is not None
        ]
        return next((v for v in self.plugin.values(matches) if v is not None), None)

    def value(self, doc: Mapping[str, Any], event_type: str) -> Any:
        """The converted value, or None (absent, empty, or not convertible: counted, and
        warned the first time; later ones are logged at DEBUG, not to flood the log)."""
        try:
            raw = self.raw_value(doc)
            if raw is None:
                return None
            return convert(self.type, raw)
        except (PathEvalError, ValueError) as exc:
            self.dropped += 1
            level = logging.WARNING if self.dropped == 1 else logging.DEBUG
            log.log(level, "%s: trait %s dropped: %s", event_type, self.name, exc)
            return None


@dataclass(slots=True)
class EventDefinition:
    included: re.Pattern[str] | None
    excluded: re.Pattern[str] | None
    traits: tuple[TraitDefinition, ...]
    types: Mapping[str, str]
    origin: str
    catch_all: bool

    def matches(self, event_type: str) -> bool:
        return (
            self.included is not None
            and self.included.match(event_type) is not None
            and (self.excluded is None or self.excluded.match(event_type) is None)
        )

    def traits_of(self, doc: Mapping[str, Any], event_type: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for trait in self.traits:
            value = trait.value(doc, event_type)
            if value is not None:
                out[trait.name] = value
        return out


def _patterns(patterns: Sequence[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


def compile_definition(raw: Any, origin: str) -> EventDefinition:
    """One definition from its YAML mapping; ValueError says why Ceilometer would refuse it."""
    if not isinstance(raw, Mapping):
        raise ValueError("an event definition must be a mapping")
    for key in ("event_type", "traits"):
        if key not in raw:
            raise ValueError(f"required field {key} not specified")
    event_types = raw["event_type"]
    if isinstance(event_types, str):
        event_types = [event_types]
    if not isinstance(event_types, list) or not all(isinstance(t, str) for t in event_types):
        raise ValueError("event_type must be a pattern or a list of patterns")
    traits_cfg = raw["traits"]
    if traits_cfg is None:
        traits_cfg = {}
    if not isinstance(traits_cfg, Mapping):
        raise ValueError("traits must be a mapping of trait name to definition")
    included = [t for t in event_types if not t.startswith("!")]
    excluded = [t[1:] for t in event_types if t.startswith("!")]
    if excluded and not included:
        included = ["*"]
    merged: dict[str, Any] = dict(DEFAULT_TRAITS)
    merged.update(traits_cfg)
    traits = tuple(TraitDefinition(str(name), cfg) for name, cfg in merged.items())
    return EventDefinition(
        included=_patterns(included),
        excluded=_patterns(excluded),
        traits=traits,
        types=MappingProxyType({t.name: t.type for t in traits}),
        origin=origin,
        catch_all="*" in included and not excluded,
    )


@dataclass(slots=True)
class EventDefinitions:
    """Definitions in match order (the file's last first); ``problems`` are the skipped ones."""

    definitions: list[EventDefinition]
    problems: list[str] = field(default_factory=list)
    _by_type: dict[str, EventDefinition | None] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.definitions)

    def matching(self, event_type: str) -> EventDefinition | None:
        if event_type in self._by_type:
            return self._by_type[event_type]
        found = next((d for d in self.definitions if d.matches(event_type)), None)
        if len(self._by_type) < 10_000:
            self._by_type[event_type] = found
        return found


def parse_definitions(
    text: str, source: str = "<string>", *, drop_unmatched: bool = False, warn: bool = True
) -> EventDefinitions:
    """Compile a document; a definition that cannot be built is skipped with a warning (logged
    unless ``warn`` is false: a caller that reports ``problems`` itself)."""
    doc = yamldoc.parse(text)
    if doc.data is None and doc.problems:
        line, message = doc.problems[0]
        raise EventDefinitionError(f"{source}:{line}: invalid YAML: {message}")
    if not isinstance(doc.data, list):
        raise EventDefinitionError(f"{source}:1: expected a list of event definitions")
    problems = [f"{source}:{line}: {message}" for line, message in doc.problems]
    compiled: list[EventDefinition] = []
    for i, raw in enumerate(doc.data):
        origin = f"{source}:{doc.lines.get((i,), 1)}"
        try:
            compiled.append(compile_definition(raw, origin))
        except ValueError as exc:
            problems.append(f"{_trait_line(doc, i, str(exc), source) or origin}: {exc}")
    for problem in problems if warn else ():
        log.warning("event definition skipped: %s", problem)
    compiled.reverse()
    if not drop_unmatched and not any(d.catch_all for d in compiled):
        compiled.append(compile_definition({"event_type": "*", "traits": {}}, f"{source}:*"))
    return EventDefinitions(compiled, problems)


def _trait_line(doc: yamldoc.Document, index: int, message: str, source: str) -> str | None:
    """``source:line`` of the trait a message names, when it names one."""
    found = re.match(r"(?:trait |invalid trait type .* for trait )(\S+?):?(?: |$)", message)
    if found is None:
        return None
    line = doc.lines.get((index, "traits", found.group(1)))
    return None if line is None else f"{source}:{line}"


def load_definitions(
    paths: Sequence[FsPath] = (), *, drop_unmatched: bool = False
) -> EventDefinitions:
    """The shipped definitions, or the given files (the later file's definitions win)."""
    if not paths:
        return parse_definitions(
            packaged.read_text(PACKAGED), f"osmon/data/{PACKAGED}", drop_unmatched=drop_unmatched
        )
    texts: list[EventDefinitions] = []
    for p in paths:
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise EventDefinitionError(f"{p}: cannot read: {exc.strerror}") from None
        texts.append(parse_definitions(text, str(p), drop_unmatched=True))
    merged = [d for loaded in reversed(texts) for d in loaded.definitions]
    if not drop_unmatched and not any(d.catch_all for d in merged):
        merged.append(compile_definition({"event_type": "*", "traits": {}}, "<catch-all>"))
    return EventDefinitions(merged, [p for loaded in texts for p in loaded.problems])
