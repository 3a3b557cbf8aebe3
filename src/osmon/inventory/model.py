"""The inventory schema: one YAML file describing a cloud.

Every model forbids unknown keys (so typos are caught with a suggestion) and is frozen. Every field
carries a description: the README's inventory reference is generated from them. Defaults come from
``catalog`` so a service can be as short as ``nova-api: {hosts: [ctl1, ctl2]}``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from osmon.inventory.catalog import LogFormat, ProbeType
from osmon.inventory.fields import (
    AbsolutePath,
    Address,
    Email,
    EnvVar,
    MetricName,
    NagiosRangeText,
    Name,
    Port,
    Regex,
    Seconds,
    Status,
    TimeZone,
    Url,
)
from osmon.inventory.infra import Credentials, QueueSelection

__all__ = [
    "TLS",
    "Alarm",
    "Auth",
    "Cloud",
    "Contact",
    "Defaults",
    "Endpoint",
    "Host",
    "Inventory",
    "LogFile",
    "Notifications",
    "Probe",
    "Service",
    "Threshold",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TLS(_Model):
    """TLS client settings for probing an endpoint. Verification is on unless turned off."""

    verify: bool | None = Field(
        None, description="Verify the server certificate and host name (default: true)."
    )
    ca_file: AbsolutePath | None = Field(
        None, description="CA bundle (PEM) to verify against instead of the system store."
    )
    server_name: str | None = Field(
        None, description="Host name to send (SNI) and verify, when probing by IP address."
    )
    client_cert: AbsolutePath | None = Field(
        None, description="Client certificate (PEM) to present; may hold the key too."
    )
    client_key: AbsolutePath | None = Field(
        None, description="Private key (PEM) of the client certificate, if not in it."
    )

    @model_validator(mode="after")
    def _key_needs_cert(self) -> TLS:
        if self.client_key is not None and self.client_cert is None:
            raise ValueError("'client_key' needs 'client_cert'")
        return self


class Threshold(_Model):
    """Nagios ranges (``[@]start:end``, ``~`` = -infinity) for one metric."""

    warning: NagiosRangeText | None = Field(
        None, description="Range outside of which (inside, with '@') the state is WARNING."
    )
    critical: NagiosRangeText | None = Field(
        None, description="Range outside of which (inside, with '@') the state is CRITICAL."
    )

    @model_validator(mode="after")
    def _one_range(self) -> Threshold:
        if self.warning is None and self.critical is None:
            raise ValueError("give 'warning', 'critical' or both")
        return self


Thresholds = dict[MetricName, Threshold]


class Cloud(_Model):
    """Identity of the cloud."""

    name: Name = Field(description="Cloud name; a label on every metric and the Nagios host name")
    region: str = Field("RegionOne", min_length=1, description="Keystone region name.")
    log_timezone: TimeZone = Field(
        "UTC",
        description="IANA time zone of timestamps in log files that carry no offset.",
    )


class Auth(_Model):
    """How osmon authenticates to Keystone. Never holds a password: name an environment variable
    (``password_env``) or a clouds.yaml entry (``cloud``)."""

    cloud: str | None = Field(
        None, description="Entry in clouds.yaml to use (credentials stay in clouds.yaml)."
    )
    auth_url: Url | None = Field(None, description="Keystone URL, e.g. https://vip:5000/v3.")
    username: str | None = Field(None, description="User name to authenticate as.")
    user_domain_name: str = Field("Default", description="Domain of the user.")
    project_name: str | None = Field(None, description="Project to scope the token to.")
    project_domain_name: str = Field("Default", description="Domain of the project.")
    password_env: EnvVar | None = Field(
        None, description="Name of the environment variable holding the password."
    )
    interface: Literal["public", "internal", "admin"] = Field(
        "internal", description="Endpoint interface to pick from the service catalog."
    )
    region_name: str | None = Field(
        None, description="Region to pick endpoints from (default: cloud.region)."
    )
    tls: TLS = Field(default_factory=TLS, description="TLS settings for Keystone.")

    @model_validator(mode="after")
    def _complete(self) -> Auth:
        if self.cloud is None and self.auth_url is None:
            raise ValueError("give 'cloud' (a clouds.yaml entry) or 'auth_url'")
        if self.cloud is None and self.username is not None and self.password_env is None:
            raise ValueError("'username' needs 'password_env' (the password stays out of here)")
        return self


class Contact(_Model):
    """Someone to notify."""

    email: Email = Field(description="E-mail address.")
    full_name: str | None = Field(None, description="Display name (Nagios alias).")
    pager: str | None = Field(None, description="Pager address or number.")
    contact_groups: tuple[Name, ...] = Field(
        (), description="Nagios contact groups this contact belongs to."
    )


class Host(_Model):
    """A machine of the cloud."""

    address: Address = Field(description="IP address or DNS name probes connect to.")
    roles: tuple[Name, ...] = Field(
        (), description="Roles (controller, compute, network, ...); services can be placed on them."
    )
    labels: dict[str, str] = Field(
        default_factory=dict, description="Free-form labels copied to the host's checks."
    )
    parents: tuple[Name, ...] = Field(
        (), description="Hosts it is reached through (Nagios parents: unreachable, not down)."
    )


class Endpoint(_Model):
    """Where a service answers; every key overrides the catalog default."""

    url: Url | None = Field(
        None, description="Public/VIP URL of the service, probed once besides each host."
    )
    scheme: Literal["http", "https"] | None = Field(
        None, description="Scheme for per-host probes (catalog default: http)."
    )
    port: Port | None = Field(None, description="Port for per-host probes (catalog default).")
    path: AbsolutePath | None = Field(None, description="Version-document path (catalog default).")
    expected_status: tuple[Status, ...] | None = Field(
        None, description="HTTP statuses that mean healthy (catalog default)."
    )
    tls: TLS = Field(default_factory=TLS, description="TLS settings for this endpoint.")


class Probe(_Model):
    """Overrides for a default probe (same name), or a new probe (give ``type``)."""

    type: ProbeType | None = Field(None, description="Probe type; required for a new probe.")
    enabled: bool = Field(True, description="Set false to drop a default probe.")
    interval: Seconds | None = Field(None, description="Seconds between runs (or '30s', '5m').")
    timeout: Seconds | None = Field(None, description="Seconds before a run fails.")
    url: str | None = Field(
        None, description="Probe this URL once (not per host); http/haproxy/rabbitmq management."
    )
    port: Port | None = Field(None, description="Port on each host (default: the service's).")
    path: AbsolutePath | None = Field(None, description="HTTP path (default: the service's).")
    body_pattern: Regex | None = Field(
        None, description="Regex the HTTP body must match (default: the catalog's, if any)."
    )
    follow_redirects: bool = Field(False, description="Follow HTTP redirects (3xx).")
    expected_status: tuple[Status, ...] | None = Field(
        None, description="HTTP statuses that mean healthy."
    )
    tls: TLS = Field(default_factory=TLS, description="TLS settings for this probe.")
    queues: QueueSelection | None = Field(None, description="RabbitMQ: the queues to report on.")
    thresholds: Thresholds = Field(
        default_factory=dict, description="Nagios ranges for this probe's metrics."
    )
    stuck_after: Seconds | None = Field(None, description="aodh: insufficient data → stuck after")


class LogFile(_Model):
    """A log file (glob) to tail."""

    path: AbsolutePath = Field(description="Absolute path or glob of the log file(s).")
    format: LogFormat = Field(description="Parser: oslo, apache_access, rabbitmq, syslog, ...")
    multiline: bool | None = Field(
        None, description="Join continuation lines (default: true for oslo/rabbitmq/postgresql)."
    )
    service_name: str | None = Field(
        None, description="ECS service.name for the records (default: the service's name)."
    )


class Alarm(_Model):
    """A condition on a metric; generated as an Aodh alarm and a Prometheus alerting rule."""

    name: Name = Field(description="Unique alarm name across the inventory.")
    metric: MetricName = Field(description="Metric to watch (Prometheus/Gnocchi name).")
    comparison: Literal["gt", "ge", "lt", "le", "eq", "ne"] = Field(
        description="How the aggregated value compares to ``threshold`` to fire."
    )
    threshold: float = Field(allow_inf_nan=False, description="Value compared against.")
    severity: Literal["info", "warning", "critical"] = Field(
        "warning", description="Severity (Aodh: info→low, warning→moderate, critical→critical)."
    )
    for_: Seconds = Field(
        300.0, alias="for", description="How long the condition must hold before firing."
    )
    granularity: Seconds = Field(60.0, description="Aggregation period in seconds (Aodh).")
    evaluation_periods: int | None = Field(
        None, ge=1, description="Aodh evaluation periods (default: for / granularity, rounded up)."
    )
    aggregation: Literal["mean", "max", "min", "sum", "last", "count"] = Field(
        "mean", description="Aggregation over each period."
    )
    labels: dict[str, str] = Field(
        default_factory=dict, description="Label matchers selecting the series (Prometheus)."
    )
    description: str | None = Field(None, description="Human explanation shown when it fires.")
    contacts: tuple[Name, ...] | None = Field(
        None, description="Contacts to notify (default: the service's)."
    )
    enabled: bool = Field(True, description="Set false to keep the alarm but disable it.")


class Notifications(_Model):
    """oslo.messaging notifications a service emits."""

    enabled: bool = Field(True, description="Set false to not consume this service's exchange.")
    exchange: str | None = Field(None, description="Exchange (catalog default: the project).")
    topics: tuple[str, ...] | None = Field(
        None, description="Topics (default: notifications; nova also versioned_notifications)."
    )


class Service(_Model):
    """An OpenStack service or infrastructure component, placed on hosts or roles."""

    type: str | None = Field(
        None, description="Catalog type (default: the service's key), for a second instance."
    )
    hosts: tuple[Name, ...] | None = Field(None, description="Hosts it runs on.")
    roles: tuple[Name, ...] | None = Field(
        None, description="Roles it runs on (default: the catalog's, e.g. controller)."
    )
    endpoint: Endpoint = Field(default_factory=Endpoint, description="Endpoint overrides.")
    probes: dict[Name, Probe] = Field(
        default_factory=dict, description="Probe overrides and extra probes, by probe name."
    )
    thresholds: Thresholds = Field(
        default_factory=dict, description="Nagios ranges per metric, for all its probes."
    )
    logs: tuple[LogFile, ...] | None = Field(
        None, description="Log files; replaces the catalog's list when given."
    )
    processes: tuple[str, ...] | None = Field(
        None, description="Process names for the process check (catalog default)."
    )
    alarms: tuple[Alarm, ...] = Field((), description="Alarms on this service's metrics.")
    notifications: Notifications = Field(
        default_factory=Notifications, description="Notification exchange overrides."
    )
    contacts: tuple[Name, ...] | None = Field(
        None, description="Contacts to notify (default: defaults.contacts)."
    )
    credentials: Credentials | None = Field(None, description="Login for its probes.")


class Defaults(_Model):
    """Settings every service inherits unless it says otherwise."""

    interval: Seconds = Field(60.0, description="Seconds between probe runs.")
    timeout: Seconds = Field(10.0, description="Seconds before a probe fails.")
    contacts: tuple[Name, ...] = Field((), description="Contacts for every service.")
    tls: TLS = Field(default_factory=TLS, description="TLS settings for every endpoint.")
    thresholds: Thresholds = Field(
        default_factory=dict, description="Nagios ranges per metric, overriding the catalog's."
    )
    default_alarms: bool = Field(
        True, description="Generate a '<service>-down' alarm for every probed service."
    )


class Inventory(_Model):
    """A cloud: its hosts, services, infrastructure, contacts, thresholds and alarms."""

    version: Literal[1] = Field(1, description="Inventory format version.")
    cloud: Cloud = Field(description="Cloud name, region and log time zone.")
    auth: Auth | None = Field(
        None, description="Keystone access for authenticated probes (service/agent lists)."
    )
    defaults: Defaults = Field(default_factory=Defaults, description="Inherited settings.")
    contacts: dict[Name, Contact] = Field(default_factory=dict, description="Contacts by name.")
    hosts: dict[Name, Host] = Field(min_length=1, description="Hosts by name.")
    services: dict[Name, Service] = Field(
        default_factory=dict, description="OpenStack services by name."
    )
    infrastructure: dict[Name, Service] = Field(
        default_factory=dict, description="RabbitMQ, MariaDB/Galera, memcached, HAProxy, ..."
    )
    alarms: tuple[Alarm, ...] = Field((), description="Cloud-wide alarms not tied to a service.")

    def all_services(self) -> dict[str, tuple[str, Service]]:
        """Every service by name, with the section it was declared in."""
        merged: dict[str, tuple[str, Service]] = {}
        for section in ("services", "infrastructure"):
            for name, service in getattr(self, section).items():
                merged.setdefault(name, (section, service))
        return merged


def field_help(model: type[BaseModel]) -> dict[str, str | None]:
    """``{key: description}`` for a model (keys as written in YAML), for docs and suggestions."""
    return {(info.alias or name): info.description for name, info in model.model_fields.items()}
