"""A log backend the test holds: an Elasticsearch double that answers a set number of ``_bulk``
requests, then stores the next one but keeps its answer back until the test releases it.

A kill -9 test waits for ``held`` and kills then: the daemon has had exactly ``answer`` batches
accepted, and exactly one more is written at the backend without the daemon knowing it. Every
run lands at the same point, so the test can assert exact counts instead of "the kill landed
somewhere in the middle".
"""

from __future__ import annotations

import json
import threading
from collections import Counter

from tests.esdouble import EsDouble, Recorded
from tests.esdouble.store import Reply


class HeldEsDouble(EsDouble):
    def __init__(self, answer: int) -> None:
        super().__init__()
        self.answer = answer
        self.held = threading.Event()
        self._released = threading.Event()
        self._bulks = 0

    def handle(self, rec: Recorded) -> Reply | None:
        reply = super().handle(rec)
        if rec.path.endswith("/_bulk"):
            with self.lock:
                self._bulks += 1
                hold = self._bulks > self.answer and not self._released.is_set()
            if hold:
                self.held.set()
                self._released.wait()
        return reply

    def release(self) -> None:
        """Answer from now on (a held answer goes to a connection that is gone by then)."""
        self._released.set()

    def bulk_ids(self) -> list[list[str]]:
        """The ``_id`` of every document of every ``_bulk`` request, in arrival order."""
        out = []
        for rec in self.bulk_requests():
            actions = [json.loads(line) for line in rec.body.splitlines()[0::2]]
            out.append([str(a["create"]["_id"]) for a in actions])
        return out

    def receipts(self) -> Counter[str]:
        """How many times each document id reached the backend."""
        return Counter(i for ids in self.bulk_ids() for i in ids)
