"""Alarms: Aodh alarms from the inventory, and the webhook that brings their transitions back.

``desired`` turns ``Expansion.alarms`` into Aodh bodies (names ``osmon-<cloud>-<id>``, the
ownership marker, the webhook actions); ``plan`` diffs them with Aodh's list; ``aodh`` talks to
Aodh (aodhclient, imported on use); ``report`` prints a plan with the secret redacted;
``actions`` builds the webhook URL and reads its secret. ``webhook`` is the daemon's receiver
of those actions and ``effects`` what a transition does (imported by the daemon, not here).
"""

from __future__ import annotations

from osmon.alarms.actions import SecretError, action_url, read_secret, redact
from osmon.alarms.aodh import AodhAPI, AodhError, NoAuth, connect
from osmon.alarms.aodh import apply as apply_plan
from osmon.alarms.desired import alarm_id, aodh_name, desired, is_owned, owner_marker
from osmon.alarms.plan import Change, FieldChange, Plan, plan
from osmon.alarms.report import to_json, to_text

__all__ = [
    "AodhAPI",
    "AodhError",
    "Change",
    "FieldChange",
    "NoAuth",
    "Plan",
    "SecretError",
    "action_url",
    "alarm_id",
    "aodh_name",
    "apply_plan",
    "connect",
    "desired",
    "is_owned",
    "owner_marker",
    "plan",
    "read_secret",
    "redact",
    "to_json",
    "to_text",
]
