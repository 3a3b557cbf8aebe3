"""Nagios 4 object configuration, ``resource.cfg`` and NRPE files from the inventory.

``nagios.cfg`` includes the ``objects/`` folder with ``cfg_dir`` and ``resource.cfg`` with
``resource_file``. Every probe becomes a *passive* service fed by the daemon's results (the
description is ``NagiosService.description``, found by ``probe_id``), with a freshness check:
a result older than 3 x the probe interval + ``freshness_slack`` turns UNKNOWN through
``osmon-stale`` (``check_dummy 3``). With ``active=True`` the probes a Monitoring Plugin can
check run actively instead (``osmon.generate.nagios_active``), every probe interval (in minutes:
``interval_length=60``). Process checks run on the node through NRPE.
Secrets never appear: ``resource.cfg`` names the credential *files* as ``$USERn$`` macros.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from osmon.generate.nagios_active import ACTIVE_COMMANDS, active_check
from osmon.generate.nagios_objects import Definition, render
from osmon.generate.nrpe import command_name, nrpe_files
from osmon.generate.output import header
from osmon.inventory import Alarm, Expansion, Inventory, NagiosService, Probe, expand

__all__ = ["NagiosSettings", "alarm_description", "freshness_threshold", "generate_nagios"]

COMMAND = "osmon generate nagios"
_MACRO = re.compile(r"\$USER\d+\$")
PERIOD = "osmon-24x7"
NOBODY = "osmon-nobody"

_BASE_COMMANDS: Mapping[str, str] = {
    "osmon-check-host": "$USER1$/check_ping -H $HOSTADDRESS$ -w 3000.0,80% -c 5000.0,100% -p 5",
    "osmon-host-passive": "$USER1$/check_dummy 0 'results come from osmon'",
    "osmon-stale": "$USER1$/check_dummy 3 'no result from osmon within $ARG1$ s (stale)'",
    "check_nrpe": "$USER1$/check_nrpe -H $HOSTADDRESS$ -p $_HOSTNRPE_PORT$ -t 30 -c $ARG1$",
    "osmon-notify-host-by-email": (
        '/usr/bin/printf "%b" "Host $HOSTNAME$ is $HOSTSTATE$: $HOSTOUTPUT$\\n" | '
        '/usr/bin/mail -s "$NOTIFICATIONTYPE$ $HOSTNAME$ is $HOSTSTATE$" $CONTACTEMAIL$'
    ),
    "osmon-notify-service-by-email": (
        '/usr/bin/printf "%b" "$HOSTNAME$/$SERVICEDESC$ is $SERVICESTATE$: $SERVICEOUTPUT$\\n" | '
        '/usr/bin/mail -s "$NOTIFICATIONTYPE$ $HOSTNAME$/$SERVICEDESC$ is $SERVICESTATE$" '
        "$CONTACTEMAIL$"
    ),
}


@dataclass(frozen=True, slots=True)
class NagiosSettings:
    """What varies between installations, not between clouds."""

    plugins: Mapping[str, str]
    """osmon's plugin commands (``osmon.checks.plugins.COMMANDS``): name → command_line."""
    active: bool = False
    nrpe_port: int = 5666
    plugin_dir: str = "/usr/lib/nagios/plugins"
    freshness_slack: int = 60
    """Seconds added to three probe intervals before a passive result counts as stale."""


def freshness_threshold(interval: float, slack: int = 60) -> int:
    """Seconds after which a passive result is stale: three missed runs plus ``slack``."""
    return math.ceil(3 * interval) + slack


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 4)


def _templates(settings: NagiosSettings) -> Iterator[Definition]:
    days = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
    period = {"timeperiod_name": PERIOD, "alias": "always"} | dict.fromkeys(days, "00:00-24:00")
    yield Definition("timeperiod", period)
    common = {"register": 0, "check_period": PERIOD, "notification_period": PERIOD}
    yield Definition(
        "host",
        {"name": "osmon-host", **common, "check_command": "osmon-check-host"}
        | {"max_check_attempts": 3, "check_interval": 5, "retry_interval": 1}
        | {"notification_interval": 60, "notification_options": "d,u,r"}
        | {"_NRPE_PORT": settings.nrpe_port},
        "Every host; _NRPE_PORT is the port check_nrpe asks.",
    )
    yield Definition(
        "service",
        {"name": "osmon-service", **common, "max_check_attempts": 3}
        | {"check_interval": 1, "retry_interval": 1}
        | {"notification_interval": 60, "notification_options": "w,u,c,r"},
        "Active checks.",
    )
    yield Definition(
        "service",
        {"name": "osmon-passive-service", "use": "osmon-service", "register": 0}
        | {"active_checks_enabled": 0, "passive_checks_enabled": 1, "max_check_attempts": 1}
        | {"check_freshness": 1, "check_command": "osmon-stale!3600", "freshness_threshold": 3600},
        "Results from the osmon daemon; a stale one turns UNKNOWN (osmon-stale: check_dummy 3).",
    )
    yield Definition(
        "contact",
        {"name": "osmon-contact", "register": 0}
        | {"host_notification_period": PERIOD, "service_notification_period": PERIOD}
        | {"host_notification_options": "d,u,r", "service_notification_options": "w,u,c,r"}
        | {"host_notification_commands": "osmon-notify-host-by-email"}
        | {"service_notification_commands": "osmon-notify-service-by-email"},
    )


def _commands(settings: NagiosSettings) -> Iterator[Definition]:
    table = {**_BASE_COMMANDS, **ACTIVE_COMMANDS, **settings.plugins}
    for name in sorted(table):
        yield Definition("command", {"command_name": name, "command_line": table[name]})


def _contacts(inv: Inventory, needs_nobody: bool) -> Iterator[Definition]:
    groups: dict[str, list[str]] = {}
    for name, spec in sorted(inv.contacts.items()):
        for group in spec.contact_groups:
            groups.setdefault(group, []).append(name)
        yield Definition(
            "contact",
            {"contact_name": name, "use": "osmon-contact", "alias": spec.full_name or name}
            | {"email": spec.email, "pager": spec.pager}
            | {"contactgroups": sorted(spec.contact_groups) or None},
        )
    if needs_nobody:
        yield Definition(
            "contact",
            {"contact_name": NOBODY, "use": "osmon-contact", "alias": "no contact in inventory"}
            | {"host_notifications_enabled": 0, "service_notifications_enabled": 0},
            "For objects the inventory gives no contact (Nagios needs one).",
        )
    for group, members in sorted(groups.items()):
        yield Definition(
            "contactgroup", {"contactgroup_name": group, "alias": group, "members": members}
        )


def _who(contacts: tuple[str, ...]) -> str:
    return ",".join(sorted(contacts)) or NOBODY


def _hosts(inv: Inventory, exp: Expansion, alarm_host: bool) -> Iterator[Definition]:
    contacts = _who(inv.defaults.contacts)
    roles: set[str] = set()
    for host in exp.nagios_hosts:
        spec = inv.hosts.get(host.id)
        roles.update(host.hostgroups)
        yield Definition(
            "host",
            {"host_name": host.id, "use": "osmon-host", "alias": host.id, "address": host.address}
            | {"parents": sorted(spec.parents) if spec is not None else None}
            | {"hostgroups": list(host.hostgroups) or None, "contacts": contacts},
        )
    if alarm_host:
        yield Definition(
            "host",
            {"host_name": exp.cloud, "use": "osmon-host", "alias": f"cloud {exp.cloud}"}
            | {"check_command": "osmon-host-passive", "active_checks_enabled": 0}
            | {"passive_checks_enabled": 1, "contacts": contacts},
            "The cloud itself: its alarms' results come from osmon.",
        )
    for role in sorted(roles):
        yield Definition("hostgroup", {"hostgroup_name": role, "alias": f"{role} hosts"})


def _argument(value: str) -> str:
    """A literal ``$ARGn$`` value: ``$`` and ``!`` escaped; a ``$USERn$`` macro kept as is."""
    if _MACRO.fullmatch(value):
        return value
    return value.replace("$", "$$").replace("!", "\\!")


def _service(
    svc: NagiosService, probe: Probe | None, settings: NagiosSettings, macros: Mapping[str, str]
) -> Definition:
    base: dict[str, object] = {"host_name": svc.host, "service_description": svc.description}
    tail: dict[str, object] = {"servicegroups": svc.service, "contacts": _who(svc.contacts)}
    if probe is None:  # node-local: NRPE
        check = {"use": "osmon-service", "check_command": f"check_nrpe!{command_name(svc)}"}
        return Definition("service", base | check | tail)
    active = active_check(probe, macros) if settings.active else None
    if active is not None:
        args = "".join("!" + _argument(a) for a in active.args)
        check = {"use": "osmon-service", "check_command": active.command + args}
        interval = {"check_interval": _minutes(probe.interval), "retry_interval": 1}
        return Definition("service", base | check | interval | tail)
    fresh = freshness_threshold(probe.interval, settings.freshness_slack)
    passive = {"use": "osmon-passive-service", "check_command": f"osmon-stale!{fresh}"}
    return Definition("service", base | passive | {"freshness_threshold": fresh} | tail)


def _services(
    exp: Expansion, settings: NagiosSettings, macros: Mapping[str, str]
) -> Iterator[Definition]:
    probes = {probe.id: probe for probe in exp.probes}
    groups: set[str] = set()
    for svc in exp.nagios_services:
        probe = probes.get(svc.probe_id) if svc.probe_id is not None else None
        if probe is None and not svc.processes:
            continue
        groups.add(svc.service)
        yield _service(svc, probe, settings, macros)
    for alarm in exp.alarms:
        if _reported(alarm):
            groups.update([alarm.service] if alarm.service else [])
            yield Definition(
                "service",
                {"host_name": exp.cloud, "service_description": alarm_description(alarm.name)}
                | {"use": "osmon-passive-service", "check_freshness": 0}
                | {"servicegroups": alarm.service or None, "contacts": _who(alarm.contacts)},
            )
    for group in sorted(groups):
        yield Definition("servicegroup", {"servicegroup_name": group, "alias": group})


def alarm_description(name: str) -> str:
    """The passive service an alarm's state is submitted to (on the cloud's host)."""
    return f"alarm: {name}"


def _credential_files(exp: Expansion) -> dict[str, str]:
    """Credential file → what it is for; variables become files the nagios user can read."""
    files: dict[str, str] = {}
    for probe in exp.probes:
        login = probe.credentials
        if login is None:
            continue
        if login.option_file:
            files[login.option_file] = f"MySQL option file for {probe.service}'s probes"
        if login.password_file:
            files[login.password_file] = f"password file for {probe.service}'s probes"
        if login.password_env:
            path = f"/etc/nagios4/osmon/{login.password_env}"
            files[path] = f"file holding ${login.password_env} ({probe.service}), mode 0640"
    return files


def _resource(head: str, settings: NagiosSettings, files: Mapping[str, str]) -> str:
    lines = [
        head,
        "# Nagios resource macros: paths, never secrets; keep this file mode 0640, root:nagios.\n",
        "# $USER1$: the plugin directory (Monitoring Plugins and osmon's check_* plugins).\n",
        f"$USER1$={settings.plugin_dir}\n",
    ]
    for index, path in enumerate(sorted(files), start=2):
        lines.append(f"# $USER{index}$: {files[path]}\n$USER{index}$={path}\n")
    return "".join(lines)


def _reported(alarm: Alarm) -> bool:
    """Aodh's webhook is what reports an alarm to Nagios: a Prometheus-only alarm never would."""
    return alarm.enabled and "aodh" in alarm.backends


def generate_nagios(inv: Inventory, settings: NagiosSettings) -> dict[str, str]:
    """``{relative path: text}``: objects/*.cfg, resource.cfg and nrpe.d/<host>/osmon.cfg."""
    exp = expand(inv)
    head = header(COMMAND, exp.cloud)
    files = _credential_files(exp)
    macros = {path: f"$USER{i}$" for i, path in enumerate(sorted(files), start=2)}
    known_hosts = {host.id for host in exp.nagios_hosts}
    alarm_host = any(_reported(a) for a in exp.alarms) and exp.cloud not in known_hosts
    services = list(_services(exp, settings, macros))
    nobody = not inv.defaults.contacts or any(
        d.directives.get("contacts") == NOBODY for d in services
    )
    return {
        "objects/templates.cfg": render(head, _templates(settings)),
        "objects/commands.cfg": render(head, _commands(settings)),
        "objects/contacts.cfg": render(head, _contacts(inv, nobody)),
        "objects/hosts.cfg": render(head, _hosts(inv, exp, alarm_host)),
        "objects/services.cfg": render(head, services),
        "resource.cfg": _resource(head, settings, files),
        **nrpe_files(exp.nagios_services, head, settings.plugin_dir),
    }
