"""The inventory's alarm: a threshold on a metric, an event, a composite of alarms, or PromQL.

``type`` says which: ``threshold`` (the default) is a metric threshold that becomes both an Aodh
``gnocchi_aggregation_by_resources_threshold`` alarm and a Prometheus alerting rule; the three
``gnocchi_*`` types are exactly Aodh's; ``event`` fires on a notification (Aodh's event alarm);
``composite`` combines other alarms of the inventory by name; ``prometheus`` is a PromQL
expression for the Prometheus rules only. An Aodh alarm's granularity and aggregation method must
be kept by an archive policy the Gnocchi sink creates (``osmon.archive_policies``): Aodh would
accept them and then never leave ``insufficient data``.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from osmon.archive_policies import aggregation_methods, granularities
from osmon.inventory.fields import MetricName, Name, Seconds, TimeZone

__all__ = [
    "AODH_TYPES",
    "GNOCCHI_TYPES",
    "Alarm",
    "AlarmType",
    "Composite",
    "CompositeRule",
    "TimeConstraint",
    "article",
]

AlarmType: TypeAlias = Literal[
    "threshold",
    "gnocchi_resources_threshold",
    "gnocchi_aggregation_by_resources_threshold",
    "gnocchi_aggregation_by_metrics_threshold",
    "event",
    "composite",
    "prometheus",
]

#: Types whose Aodh rule reads Gnocchi measures (granularity and aggregation are checked).
GNOCCHI_TYPES = frozenset(
    {
        "threshold",
        "gnocchi_resources_threshold",
        "gnocchi_aggregation_by_resources_threshold",
        "gnocchi_aggregation_by_metrics_threshold",
    }
)
#: Types that become an Aodh alarm (``prometheus`` goes to the Prometheus rules only).
AODH_TYPES = GNOCCHI_TYPES | {"event", "composite"}

# Keys that only some types use: a key given to another type is a mistake, said so.
_ONLY_FOR: dict[str, frozenset[str]] = {
    "resource_id": frozenset({"gnocchi_resources_threshold"}),
    "resource_type": frozenset(
        {"threshold", "gnocchi_resources_threshold", "gnocchi_aggregation_by_resources_threshold"}
    ),
    "resource_query": frozenset({"threshold", "gnocchi_aggregation_by_resources_threshold"}),
    "metrics": frozenset({"gnocchi_aggregation_by_metrics_threshold"}),
    "metric": GNOCCHI_TYPES - {"gnocchi_aggregation_by_metrics_threshold"},
    "comparison": GNOCCHI_TYPES,
    "threshold": GNOCCHI_TYPES,
    "event_type": frozenset({"event"}),
    "traits": frozenset({"event"}),
    "composite": frozenset({"composite"}),
    "expr": frozenset({"prometheus"}),
    "repeat_actions": AODH_TYPES,
    "time_constraints": AODH_TYPES,
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "threshold": ("metric", "comparison", "threshold"),
    "gnocchi_resources_threshold": ("metric", "comparison", "threshold", "resource_id"),
    "gnocchi_aggregation_by_resources_threshold": ("metric", "comparison", "threshold"),
    "gnocchi_aggregation_by_metrics_threshold": ("metrics", "comparison", "threshold"),
    "event": ("event_type",),
    "composite": ("composite",),
    "prometheus": ("expr",),
}


def article(word: str) -> str:
    """``a threshold``, ``an event``."""
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TimeConstraint(_Model):
    """When an Aodh alarm is evaluated (outside every constraint it is not): a cron start and a
    duration."""

    name: Name = Field(description="Name of the constraint.")
    start: str = Field(description="Cron expression of the start, e.g. '0 8 * * 1-5'.")
    duration: Seconds = Field(description="How long each window lasts (e.g. '10h').")
    timezone: TimeZone = Field("UTC", description="IANA time zone of ``start``.")
    description: str | None = Field(None, description="What the window is for.")

    @field_validator("start")
    @classmethod
    def _cron(cls, value: str) -> str:
        if len(value.split()) not in (5, 6):
            raise ValueError(f"{value!r} is not a cron expression (5 fields: 'M H DoM Mon DoW')")
        return value


class Composite(_Model):
    """A node of a composite rule: all (``and``) or any (``or``) of its members, each an alarm
    name of the inventory or another node."""

    and_: tuple[CompositeRule, ...] | None = Field(
        None, alias="and", min_length=2, description="Fires when every member fires."
    )
    or_: tuple[CompositeRule, ...] | None = Field(
        None, alias="or", min_length=2, description="Fires when any member fires."
    )

    @model_validator(mode="after")
    def _one(self) -> Composite:
        if (self.and_ is None) == (self.or_ is None):
            raise ValueError("give exactly one of 'and' or 'or'")
        return self

    @property
    def operator(self) -> str:
        return "and" if self.and_ is not None else "or"

    @property
    def members(self) -> tuple[CompositeRule, ...]:
        return self.and_ if self.and_ is not None else self.or_ or ()


CompositeRule: TypeAlias = Name | Composite


class Alarm(_Model):
    """A condition that alarms: a metric threshold (Aodh and Prometheus), an Aodh Gnocchi rule, an
    event, a composite of other alarms, or a PromQL expression."""

    name: Name = Field(description="Unique alarm name across the inventory.")
    type: AlarmType = Field(
        "threshold",
        description="threshold (Aodh and Prometheus), an Aodh gnocchi_* rule, event, composite, "
        "prometheus (PromQL, Prometheus only).",
    )
    metric: MetricName | None = Field(
        None, description="Metric to watch (Prometheus/Gnocchi name); threshold types."
    )
    comparison: Literal["gt", "ge", "lt", "le", "eq", "ne"] | None = Field(
        None, description="How the aggregated value compares to ``threshold`` to fire."
    )
    threshold: float | None = Field(
        None, allow_inf_nan=False, description="Value compared against."
    )
    severity: Literal["info", "warning", "critical"] = Field(
        "warning", description="Severity (Aodh: info→low, warning→moderate, critical→critical)."
    )
    for_: Seconds = Field(
        300.0, alias="for", description="How long the condition must hold before firing."
    )
    granularity: Seconds = Field(
        60.0, description="Aggregation period in seconds (Aodh); an archive policy must keep it."
    )
    evaluation_periods: int | None = Field(
        None, ge=1, description="Aodh evaluation periods (default: for / granularity, rounded up)."
    )
    aggregation: Literal["mean", "max", "min", "sum", "last", "count"] = Field(
        "mean", description="Aggregation over each period (Aodh: an archive policy must keep it)."
    )
    labels: dict[str, str] = Field(
        default_factory=dict, description="Label matchers selecting the series (Prometheus)."
    )
    resource_type: str | None = Field(
        None, description="Gnocchi resource type of the watched resources (default: generic)."
    )
    resource_id: str | None = Field(
        None, description="gnocchi_resources_threshold: the one resource watched."
    )
    resource_query: dict[str, Any] | None = Field(
        None,
        description="Gnocchi search filter selecting the resources, e.g. "
        "{'=': {'host_name': 'cmp1'}} (default for a service: its probe targets).",
    )
    metrics: tuple[str, ...] | None = Field(
        None, min_length=1, description="gnocchi_aggregation_by_metrics_threshold: metric ids."
    )
    event_type: str | None = Field(
        None, description="event: notification type, e.g. compute.instance.create.error."
    )
    traits: dict[str, str | int | float] = Field(
        default_factory=dict, description="event: traits the event must have (equality)."
    )
    composite: CompositeRule | None = Field(
        None, description="composite: {and: [...]} / {or: [...]} of alarm names or nodes."
    )
    expr: str | None = Field(None, description="prometheus: the PromQL expression that fires.")
    repeat_actions: bool = Field(
        False, description="Aodh: notify again at every evaluation while in the state."
    )
    time_constraints: tuple[TimeConstraint, ...] = Field(
        (), description="Aodh: evaluate only inside these windows."
    )
    description: str | None = Field(None, description="Human explanation shown when it fires.")
    contacts: tuple[Name, ...] | None = Field(
        None, description="Contacts to notify (default: the service's)."
    )
    enabled: bool = Field(True, description="Set false to keep the alarm but disable it.")

    @field_validator("granularity")
    @classmethod
    def _kept_granularity(cls, value: float, info: ValidationInfo) -> float:
        if info.data.get("type", "threshold") not in GNOCCHI_TYPES:
            return value
        kept = granularities()
        if value not in kept:
            known = ", ".join(f"{g:g}s ({'/'.join(p)})" for g, p in kept.items())
            raise ValueError(
                f"granularity {value:g}s is kept by no archive policy of the Gnocchi sink "
                f"(kept: {known})"
            )
        return value

    @field_validator("aggregation")
    @classmethod
    def _kept_aggregation(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("type", "threshold") not in GNOCCHI_TYPES:
            return value
        kept = aggregation_methods()
        if value not in kept:
            known = ", ".join(m for m in kept if ":" not in m)
            raise ValueError(
                f"aggregation {value!r} is kept by no archive policy of the Gnocchi sink "
                f"(kept: {known})"
            )
        return value

    @model_validator(mode="after")
    def _fits_type(self) -> Alarm:
        for key, types in _ONLY_FOR.items():
            if key in self.model_fields_set and self.type not in types:
                raise ValueError(f"'{key}' does not apply to {article(self.type)} alarm")
        missing = [k for k in _REQUIRED[self.type] if getattr(self, k) is None]
        if missing:
            raise ValueError(
                f"{article(self.type)} alarm needs {', '.join(repr(k) for k in missing)}"
            )
        return self

    def composite_names(self) -> list[str]:
        """Every alarm name the composite rule refers to, in order."""
        names: list[str] = []
        stack: list[CompositeRule] = [self.composite] if self.composite is not None else []
        while stack:
            node = stack.pop(0)
            if isinstance(node, str):
                names.append(node)
            else:
                stack[:0] = node.members
        return names


Composite.model_rebuild()
Alarm.model_rebuild()
