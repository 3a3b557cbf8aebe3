"""A probes source on a test inventory, with fake probe kinds and a collecting router."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from osmon import components
from osmon.batch import Batch
from osmon.checks.latest import LatestState
from osmon.components import Context
from osmon.inventory import Inventory, load_text
from osmon.records import Sample
from osmon.sources.probes import ProbesSource, build

INVENTORY = """
version: 1
cloud: {name: test}
defaults: {interval: 0.1, timeout: 1}
hosts:
  h1: {address: 127.0.0.1}
  h2: {address: 127.0.0.2}
services:
  keystone: {hosts: [h1, h2], probes: {process: {enabled: false}}}
infrastructure:
  redis: {hosts: [h1], probes: {process: {enabled: false}}}
"""
"""Targets: keystone/api@h1, keystone/api@h2 (http) and redis/redis@h1 (tcp); the process
probes are turned off (one per host and service otherwise)."""

FAKES = "tests.unit.sources.probes.fakeprobes"


def inventory(text: str = INVENTORY) -> Inventory:
    return load_text(text)


@pytest.fixture
def kinds(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``kinds(http="ok", tcp=None)``: a fake per type (a name in ``fakeprobes`` or a whole
    ``module:function``); None: a kind with no module."""

    def set_kinds(**by_type: str | None) -> None:
        for type_name, fn in by_type.items():
            target = f"{FAKES}:{fn}" if fn else f"osmon.probes.not_written_{type_name}:probe"
            if fn and ":" in fn:
                target = fn
            monkeypatch.setitem(components.PROBES, type_name, target)

    return set_kinds


class Collector:
    """The router's ``submit``: records every batch and acks it (or holds them all)."""

    def __init__(self, hold: bool = False) -> None:
        self.batches: list[Batch] = []
        self.release = asyncio.Event()
        if not hold:
            self.release.set()

    async def __call__(self, batch: Batch) -> None:
        self.batches.append(batch)
        await self.release.wait()
        batch.ack()

    @property
    def samples(self) -> list[Sample]:
        return [r for b in self.batches for r in b.records if isinstance(r, Sample)]


@pytest.fixture
def make_source(tmp_path: Path) -> Iterator[Callable[..., ProbesSource]]:
    def make(
        options: dict[str, Any] | None = None,
        text: str = INVENTORY,
        hostname: str = "h1",
        latest: LatestState | None = None,
        **extra: Any,
    ) -> ProbesSource:
        ctx = Context(
            inventory=inventory(text),
            state_dir=tmp_path,
            registry=CollectorRegistry(),
            latest=latest if latest is not None else LatestState(tmp_path / "latest-state.json"),
            extra={"hostname": hostname, **extra},
        )
        return build("probes", options or {}, ctx)

    yield make
