"""The ``type: gnocchi`` sink: samples to Gnocchi as batch measures, resources kept up to date.

``config`` holds the options, ``sink`` the runtime, ``api`` the gnocchiclient facade and
``connect``, ``clouds`` the clouds.yaml reader, ``schema`` what must exist in Gnocchi first,
``catalog`` its definitions, ``plan`` the request bodies, ``attributes`` the change cache and
``coalesce`` the merging of concurrent writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from osmon.sinks.gnocchi.api import GnocchiAPI, GnocchiRefused, connect
from osmon.sinks.gnocchi.config import GnocchiOptions
from osmon.sinks.gnocchi.sink import GnocchiSink

if TYPE_CHECKING:
    from osmon.components import Context

__all__ = ["GnocchiAPI", "GnocchiOptions", "GnocchiRefused", "GnocchiSink", "build", "connect"]


def build(name: str, options: Mapping[str, Any], ctx: Context) -> GnocchiSink:
    """Factory registered as sink type ``gnocchi``."""
    opts = GnocchiOptions.model_validate(dict(options))
    return GnocchiSink(name, opts, connect(opts))
