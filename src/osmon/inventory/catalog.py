"""What every OpenStack deployment shares, so that an inventory only says what is particular.

One entry per service type: default port and URL scheme, version-document path, the statuses and
body (regex) it answers with, log files and their format, process names, notification exchange and
topics, the Keystone catalog ``service_type``, the agent binary name in its API's service list,
the default probes and the Nagios check kinds. Paths follow the Debian/Ubuntu packages; every
value can be overridden per service in the inventory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

__all__ = [
    "ALIASES",
    "CATALOG",
    "DEFAULT_MULTILINE",
    "DEFAULT_THRESHOLDS",
    "LOG_FORMATS",
    "PROBE_METRICS",
    "PROBE_TYPES",
    "PROBE_UP_METRIC",
    "Category",
    "LogDefault",
    "LogFormat",
    "NagiosCheck",
    "ProbeDefault",
    "ProbeType",
    "ServiceType",
    "lookup",
]

ProbeType: TypeAlias = Literal[
    "http",
    "tcp",
    "tls",
    "process",
    "rabbitmq",
    "galera",
    "memcached",
    "haproxy",
    "agent",
    "gnocchi",
    "aodh",
]
PROBE_TYPES: Final[tuple[str, ...]] = (
    "http", "tcp", "tls", "process", "rabbitmq", "galera", "memcached", "haproxy", "agent",
    "gnocchi", "aodh",
)  # fmt: skip

LogFormat: TypeAlias = Literal[
    "oslo",
    "apache_access",
    "apache_error",
    "rabbitmq",
    "mariadb",
    "uwsgi",
    "syslog",
    "postgresql",
    "redis",
    "nagios",
    "json",
    "plain",
]
LOG_FORMATS: Final[tuple[str, ...]] = (
    "oslo", "apache_access", "apache_error", "rabbitmq", "mariadb", "uwsgi", "syslog",
    "postgresql", "redis", "nagios", "json", "plain",
)  # fmt: skip

#: Formats whose entries span lines (oslo tracebacks, RabbitMQ reports, PostgreSQL DETAIL lines).
DEFAULT_MULTILINE: Final[frozenset[str]] = frozenset({"oslo", "rabbitmq", "postgresql"})

Category: TypeAlias = Literal["openstack", "infrastructure"]

#: Nagios check kinds beyond the probes (which each become a passive Nagios service).
NagiosCheck: TypeAlias = Literal["process"]

#: Metrics each probe type reports and that thresholds may name.
PROBE_METRICS: Final[dict[str, tuple[str, ...]]] = {
    "http": ("response_time",),
    "process": ("process_count",),
    "tcp": ("response_time",),
    "tls": ("days_left",),
    "rabbitmq": (
        "response_time",
        "connections",
        "queue_messages",
        "queue_messages_unacked",
        "queue_consumers",
    ),
    "galera": ("response_time", "cluster_size", "flow_control_paused"),
    "memcached": ("response_time", "evictions", "connections", "hit_ratio", "uptime"),
    "haproxy": ("response_time", "backends_down"),
    "agent": ("agents_down", "agents_disabled"),
    "gnocchi": ("measures_waiting", "metrics_waiting", "metricd_processors"),
    "aodh": ("alarms_stuck", "alarms_insufficient_data"),
}

#: Default (warning, critical) Nagios ranges per metric; ``cluster_size`` is derived per cloud.
DEFAULT_THRESHOLDS: Final[dict[str, tuple[str | None, str | None]]] = {
    "response_time": ("2", "10"),
    "process_count": (None, "1:"),
    "days_left": ("30:", "7:"),
    "backends_down": ("0", None),
    "agents_down": (None, "0"),
    "agents_disabled": ("0", None),
    "measures_waiting": ("10000", "100000"),
    "metricd_processors": (None, "1:"),
    "alarms_stuck": ("0", None),
}

#: The gauge every probe exports (1 up, 0 down); the default "down" alarms watch it.
PROBE_UP_METRIC: Final = "osmon_probe_up"


@dataclass(frozen=True, slots=True)
class LogDefault:
    """A log file (glob) a service writes, and the parser format for it."""

    path: str
    format: LogFormat


@dataclass(frozen=True, slots=True)
class ProbeDefault:
    """A probe every instance of the service gets; ``path``/``port`` override the service's."""

    name: str
    type: ProbeType
    path: str | None = None
    port: int | None = None


@dataclass(frozen=True, slots=True)
class ServiceType:
    """Everything osmon knows about one kind of service."""

    name: str
    project: str
    category: Category
    default_roles: tuple[str, ...]
    port: int | None = None
    scheme: Literal["http", "https"] = "http"
    version_path: str | None = None
    expected_status: tuple[int, ...] = (200,)
    body_pattern: str | None = None
    probes: tuple[ProbeDefault, ...] = ()
    logs: tuple[LogDefault, ...] = ()
    processes: tuple[str, ...] = ()
    exchange: str | None = None
    topics: tuple[str, ...] = ("notifications",)
    keystone_service_type: str | None = None
    agent_binary: str | None = None
    agent_api: str | None = None
    nagios_checks: tuple[NagiosCheck, ...] = ("process",)


_CTL: Final = ("controller",)
_NOVA_TOPICS: Final = ("notifications", "versioned_notifications")
_API_PROBES: Final = (ProbeDefault("api", "http"),)
#: What every OpenStack version document holds: ``{"version": …}`` or ``{"versions": …}``.
_VERSIONS: Final = r'"versions?"\s*:'


def _oslo(project: str, *names: str) -> tuple[LogDefault, ...]:
    return tuple(LogDefault(f"/var/log/{project}/{n}.log", "oslo") for n in names)


def _api(
    name: str,
    project: str,
    port: int,
    keystone_type: str | None,
    *,
    path: str = "/",
    status: tuple[int, ...] = (200,),
    exchange: str | None = None,
    process: str | None = None,
) -> ServiceType:
    topics = _NOVA_TOPICS if project == "nova" else ("notifications",)
    return ServiceType(
        name=name,
        project=project,
        category="openstack",
        default_roles=_CTL,
        port=port,
        version_path=path,
        expected_status=status,
        body_pattern=_VERSIONS,
        probes=_API_PROBES,
        logs=_oslo(project, name),
        processes=(process or name,),
        exchange=exchange,
        topics=topics,
        keystone_service_type=keystone_type,
    )


def _worker(
    name: str,
    project: str,
    *,
    roles: tuple[str, ...] = _CTL,
    agent_api: str | None = None,
    exchange: str | None = None,
) -> ServiceType:
    topics = _NOVA_TOPICS if project == "nova" else ("notifications",)
    return ServiceType(
        name=name,
        project=project,
        category="openstack",
        default_roles=roles,
        logs=_oslo(project, name),
        processes=(name,),
        exchange=exchange,
        topics=topics,
        agent_binary=name if agent_api else None,
        agent_api=agent_api,
    )


def _infra(
    name: str,
    roles: tuple[str, ...],
    *,
    port: int | None,
    probes: tuple[ProbeDefault, ...],
    logs: tuple[LogDefault, ...],
    processes: tuple[str, ...],
    path: str | None = None,
    body: str | None = None,
) -> ServiceType:
    return ServiceType(
        name=name,
        project=name,
        category="infrastructure",
        default_roles=roles,
        port=port,
        version_path=path,
        body_pattern=body,
        probes=probes,
        logs=logs,
        processes=processes,
    )


_NET_ROLES: Final = ("network", "controller")
_ALL_NEUTRON: Final = ("network", "controller", "compute")
_MON: Final = ("monitoring",)
_MARIADB_LOG: Final = (LogDefault("/var/log/mysql/error.log", "mariadb"),)

_ENTRIES: Final[tuple[ServiceType, ...]] = (
    # Identity
    _api("keystone", "keystone", 5000, "identity", path="/v3", exchange="keystone"),
    # Compute
    _api("nova-api", "nova", 8774, "compute", exchange="nova"),
    _worker("nova-scheduler", "nova", agent_api="compute", exchange="nova"),
    _worker("nova-conductor", "nova", agent_api="compute", exchange="nova"),
    _worker("nova-compute", "nova", roles=("compute",), agent_api="compute", exchange="nova"),
    ServiceType(
        name="nova-novncproxy",
        project="nova",
        category="openstack",
        default_roles=_CTL,
        port=6080,
        probes=(ProbeDefault("port", "tcp"),),
        logs=_oslo("nova", "nova-novncproxy"),
        processes=("nova-novncproxy",),
    ),
    _api("placement-api", "placement", 8778, "placement"),
    # Network
    _api("neutron-server", "neutron", 9696, "network", exchange="neutron"),
    _worker("neutron-openvswitch-agent", "neutron", roles=_ALL_NEUTRON, agent_api="network"),
    _worker("neutron-linuxbridge-agent", "neutron", roles=_ALL_NEUTRON, agent_api="network"),
    _worker("neutron-l3-agent", "neutron", roles=_NET_ROLES, agent_api="network"),
    _worker("neutron-dhcp-agent", "neutron", roles=_NET_ROLES, agent_api="network"),
    _worker("neutron-metadata-agent", "neutron", roles=_NET_ROLES, agent_api="network"),
    _worker("neutron-ovn-metadata-agent", "neutron", roles=("compute",), agent_api="network"),
    # Image, block storage
    _api("glance-api", "glance", 9292, "image", status=(200, 300), exchange="glance"),
    _api("cinder-api", "cinder", 8776, "block-storage", status=(200, 300), exchange="cinder"),
    _worker("cinder-scheduler", "cinder", agent_api="block-storage", exchange="cinder"),
    _worker("cinder-volume", "cinder", agent_api="block-storage", exchange="cinder"),
    _worker("cinder-backup", "cinder", agent_api="block-storage", exchange="cinder"),
    # Orchestration
    _api("heat-api", "heat", 8004, "orchestration", status=(200, 300), exchange="heat"),
    _api("heat-api-cfn", "heat", 8000, "cloudformation", status=(200, 300), exchange="heat"),
    _worker("heat-engine", "heat", agent_api="orchestration", exchange="heat"),
    # Dashboard
    ServiceType(
        name="horizon",
        project="horizon",
        category="openstack",
        default_roles=_CTL,
        port=80,
        version_path="/",
        expected_status=(200, 301, 302),
        probes=(ProbeDefault("dashboard", "http"),),
        logs=(
            LogDefault("/var/log/apache2/access.log", "apache_access"),
            LogDefault("/var/log/apache2/error.log", "apache_error"),
        ),
        processes=("apache2", "httpd"),
    ),
    # Load balancing
    _api("octavia-api", "octavia", 9876, "load-balancer", exchange="octavia"),
    _worker("octavia-worker", "octavia", exchange="octavia"),
    _worker("octavia-health-manager", "octavia"),
    _worker("octavia-housekeeping", "octavia"),
    # Telemetry
    _api("gnocchi-api", "gnocchi", 8041, "metric"),
    _worker("gnocchi-metricd", "gnocchi"),
    _api("aodh-api", "aodh", 8042, "alarming", exchange="aodh"),
    _worker("aodh-evaluator", "aodh"),
    _worker("aodh-notifier", "aodh"),
    _worker("aodh-listener", "aodh"),
    # Infrastructure
    _infra(
        "rabbitmq",
        _CTL,
        port=5672,
        probes=(ProbeDefault("amqp", "rabbitmq", path="/", port=15672),),  # management API
        logs=(LogDefault("/var/log/rabbitmq/rabbit@*.log", "rabbitmq"),),
        processes=("beam.smp",),
    ),
    _infra(
        "mariadb",
        _CTL,
        port=3306,
        probes=(ProbeDefault("mysql", "tcp"),),
        logs=_MARIADB_LOG,
        processes=("mariadbd", "mysqld"),
    ),
    _infra(
        "galera",
        _CTL,
        port=3306,
        probes=(ProbeDefault("galera", "galera"),),
        logs=_MARIADB_LOG,
        processes=("mariadbd", "mysqld"),
    ),
    _infra(
        "memcached",
        _CTL,
        port=11211,
        probes=(ProbeDefault("memcached", "memcached"),),
        logs=(LogDefault("/var/log/memcached.log", "plain"),),
        processes=("memcached",),
    ),
    _infra(
        "haproxy",
        _CTL,
        port=1936,
        path="/;csv",
        probes=(ProbeDefault("stats", "haproxy"),),
        logs=(LogDefault("/var/log/haproxy.log", "syslog"),),
        processes=("haproxy",),
    ),
    _infra(
        "postgresql",
        _CTL,
        port=5432,
        probes=(ProbeDefault("postgresql", "tcp"),),
        logs=(LogDefault("/var/log/postgresql/postgresql-*-main.log", "postgresql"),),
        processes=("postgres",),
    ),
    _infra(
        "redis",
        _CTL,
        port=6379,
        probes=(ProbeDefault("redis", "tcp"),),
        logs=(LogDefault("/var/log/redis/*.log", "redis"),),
        processes=("redis-server",),
    ),
    _infra(
        "prometheus",
        _MON,
        port=9090,
        path="/-/healthy",
        body="Healthy",
        probes=(ProbeDefault("api", "http"),),
        logs=(),
        processes=("prometheus",),
    ),
    _infra(
        "pushgateway",
        _MON,
        port=9091,
        path="/-/healthy",
        probes=(ProbeDefault("api", "http"),),
        logs=(),
        processes=("prometheus-pushgateway", "pushgateway"),
    ),
    _infra(
        "nagios",
        _MON,
        port=None,
        probes=(),
        logs=(LogDefault("/var/log/nagios4/nagios.log", "nagios"),),
        processes=("nagios4", "nagios"),
    ),
)

CATALOG: Final[dict[str, ServiceType]] = {entry.name: entry for entry in _ENTRIES}

#: Other names operators use for a catalog entry.
ALIASES: Final[dict[str, str]] = {"octavia": "octavia-api", "mysql": "mariadb"}


def lookup(type_name: str) -> ServiceType | None:
    """The catalog entry for a service type or one of its aliases."""
    return CATALOG.get(ALIASES.get(type_name, type_name))
