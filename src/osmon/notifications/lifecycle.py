"""Resource lifecycle read from event types: a delete notification ends its resource.

Gnocchi keeps a resource's ``ended_at``; setting it on the delete notification's samples lets the
sink PATCH it, so dashboards and Aodh stop treating a deleted instance or volume as live.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from osmon.records import Sample

_DELETION: Final = re.compile(r"(?:^|\.)delete(?:\.end)?$")


def is_deletion(event_type: str) -> bool:
    """``compute.instance.delete.end``, ``instance.delete.end``, ``image.delete`` … (not .start)."""
    return _DELETION.search(event_type) is not None


def mark_ended(samples: Sequence[Sample], when: float) -> list[Sample]:
    return [
        replace(s, resource_attributes={**s.resource_attributes, "ended_at": when}) for s in samples
    ]
