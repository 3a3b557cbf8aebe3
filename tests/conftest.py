"""Shared pytest fixtures (keep minimal: each helper adds only its own fixture)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.esdouble import EsDouble


@pytest.fixture
def esdouble_factory() -> Iterator[Callable[..., EsDouble]]:
    """Start Elasticsearch/OpenSearch protocol doubles (``EsDouble(...)`` arguments); each is
    stopped at teardown and must not have hit an internal error."""
    started: list[EsDouble] = []

    def make(*args: object, **kwargs: object) -> EsDouble:
        double = EsDouble(*args, **kwargs).start()  # type: ignore[arg-type]
        started.append(double)
        return double

    yield make
    for double in started:
        double.stop()
    for double in started:
        assert not double.internal_errors, double.internal_errors[0]


@pytest.fixture
def esdouble(esdouble_factory: Callable[..., EsDouble]) -> EsDouble:
    """An Elasticsearch 8.x protocol double on 127.0.0.1 (no real ES can run here)."""
    return esdouble_factory()
