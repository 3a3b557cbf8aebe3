"""The ``fake`` fixture: a fresh in-memory Gnocchi per test."""

from __future__ import annotations

import pytest

from tests.unit.sinks.gnocchi.fakegnocchi import FakeGnocchi


@pytest.fixture
def fake() -> FakeGnocchi:
    return FakeGnocchi()
