"""Probe results → passive results, under the names of the passive service of each target.

The names come from ``expand(inventory).nagios_services`` (host = ``NagiosService.host``,
service = ``NagiosService.description``, found by ``probe_id``), the same the generated Nagios
objects use; ``follow`` takes a reloaded inventory. A target without a passive service is not
sent.
"""

from __future__ import annotations

from osmon.checks.latest import CheckState
from osmon.inventory import Inventory, expand
from osmon.nagios.passive import PassiveFeed

__all__ = ["ProbeForwarder"]


class ProbeForwarder:
    """A probes-source listener (``ctx.extra["probe_listeners"]``) feeding a ``PassiveFeed``."""

    def __init__(self, feed: PassiveFeed, inventory: Inventory) -> None:
        self.feed = feed
        self._names: dict[str, tuple[str, str]] = {}
        self.follow(inventory)

    def follow(self, inventory: Inventory) -> None:
        self._names = {
            s.probe_id: (s.host, s.description)
            for s in expand(inventory).nagios_services
            if s.passive and s.probe_id
        }

    def __call__(self, state: CheckState) -> None:
        names = self._names.get(state.target)
        if names is not None:
            host, service = names
            self.feed.service_result(
                host, service, int(state.state), state.summary, state.perfdata, state.checked_at
            )

    def __len__(self) -> int:
        return len(self._names)
