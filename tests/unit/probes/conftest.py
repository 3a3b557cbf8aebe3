"""Fixtures for probe tests: the fleet of local endpoints, its certificates, and targets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from osmon.inventory import Probe, Threshold
from osmon.probes import ProbeContext
from tests.fleet import Fleet, Pki, make_pki
from tests.unit.probes.targets import target as make_target


def target(kind: str, url: str | None = None, **changes: Any) -> Probe:
    """A ``kind`` target; ``url`` also sets address and port, as the expansion does."""
    fields: dict[str, Any] = {
        "type": kind,
        "port": None,
        "timeout": 5.0,
        "thresholds": {"response_time": Threshold("2", "10")},
    }
    if url is not None:
        parts = urlsplit(url)
        fields.update(address=parts.hostname, port=parts.port, url=url if kind == "http" else None)
    return make_target(f"svc/{kind}@ctl1", **{**fields, **changes})


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(Path(tmp_path_factory.mktemp("pki")))


@pytest.fixture
async def fleet(pki: Pki) -> AsyncIterator[Fleet]:
    started = await Fleet(pki).start()
    yield started
    await started.stop()


@pytest.fixture
async def ctx() -> AsyncIterator[ProbeContext]:
    context = ProbeContext(hostname="ctl1")
    yield context
    await context.close()
