"""Fixtures for probe tests: the fleet of local endpoints, its certificates, and targets."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from osmon.inventory import Probe, Threshold
from osmon.probes import ProbeContext
from tests.fleet import Fleet, Pki, make_pki

BASE = Probe(
    id="svc/probe@ctl1",
    service="svc",
    service_type="svc",
    name="probe",
    type="http",
    host="ctl1",
    address="127.0.0.1",
    port=None,
    url=None,
    interval=30.0,
    timeout=5.0,
    expected_status=(200,),
    tls_verify=True,
    ca_file=None,
    server_name=None,
    thresholds={"response_time": Threshold("2", "10")},
    contacts=(),
)


def target(kind: str, url: str | None = None, **changes: Any) -> Probe:
    """A target of ``kind``; ``url`` also sets address and port, as the expansion does."""
    if url is not None:
        parts = urlsplit(url)
        changes = {"address": parts.hostname, "port": parts.port, **changes}
        if kind == "http":
            changes["url"] = url
    return dataclasses.replace(BASE, type=kind, id=f"svc/{kind}@ctl1", **changes)


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
