"""The ``probes`` source: scheduled probes of the inventory's targets (see ``source``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from osmon.sources.probes.config import ProbesOptions
from osmon.sources.probes.source import ProbesSource

if TYPE_CHECKING:
    from osmon.components import Context

__all__ = ["ProbesOptions", "ProbesSource", "build"]


def build(name: str, options: Mapping[str, Any], ctx: Context) -> ProbesSource:
    return ProbesSource(name, ProbesOptions.model_validate(dict(options)), ctx)
