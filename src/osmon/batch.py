"""A batch of records travelling from one source to the router, with its acknowledgement handle.

The source decides what ack and nack mean (RabbitMQ: ack/requeue; tailer: advance the checkpoint
or not). The router calls exactly one of them, exactly once, after every sink accepted the batch or
the spool holds it durably.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from osmon.records import Record


def _noop() -> None:
    return None


@dataclass(slots=True)
class Batch:
    source: str
    records: Sequence[Record]
    on_ack: Callable[[], None] = field(default=_noop, repr=False)
    on_nack: Callable[[], None] = field(default=_noop, repr=False)
    settled: bool = field(default=False, init=False)

    def ack(self) -> None:
        if not self.settled:
            self.settled = True
            self.on_ack()

    def nack(self) -> None:
        if not self.settled:
            self.settled = True
            self.on_nack()

    def __len__(self) -> int:
        return len(self.records)
