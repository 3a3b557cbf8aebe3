"""One instance of a metrics holder per Prometheus registry.

Several sources of the same type share a daemon's registry; registering the same metric names
twice would fail, so each holder class is built once per registry and then shared.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry

T = TypeVar("T")

_SHARED: weakref.WeakKeyDictionary[CollectorRegistry, dict[Any, Any]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def shared(registry: CollectorRegistry, factory: Callable[[CollectorRegistry], T]) -> T:
    """``factory(registry)``, built on the first call for this registry and factory."""
    with _LOCK:
        per_registry = _SHARED.setdefault(registry, {})
        found = per_registry.get(factory)
        if found is None:
            found = per_registry[factory] = factory(registry)
        result: T = found
        return result
