"""The one retry policy: how many tries, how long to wait between them, how long one may take.

Used by the router (a sink's whole batch) and by sinks that retry parts of a request themselves
(the Elasticsearch bulk loop retries the items a ``_bulk`` answer refused).
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    """Tries in all, the first included."""
    initial: float = 0.2
    """Wait after the first failure (seconds); doubled after each further one."""
    maximum: float = 30.0
    """Longest wait (seconds)."""
    timeout: float = 30.0
    """Time limit of one try (seconds), for callers that bound it."""
    jitter: bool = False
    """Spread waits ("equal jitter": half fixed, half random) so many clients do not retry in
    step against a recovering backend."""

    def delay(self, failures: int) -> float:
        """The wait after ``failures`` consecutive failures (1 = after the first)."""
        base = float(min(self.maximum, self.initial * 2.0 ** max(0, failures - 1)))
        return base / 2 + random.uniform(0, base / 2) if self.jitter else base

    def gives_up(self, failures: int) -> bool:
        return failures >= self.attempts
