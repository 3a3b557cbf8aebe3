"""osmon's Nagios plugins (``check_<name>`` modules) and their Nagios command definitions.

``COMMANDS`` maps each command name to its Nagios ``command_line``; ``osmon generate nagios``
writes one ``define command`` per entry. Trailing ``$ARGn$`` take extra options (ranges,
``--expect`` …). ``USER_MACROS`` says what each ``$USERn$`` must hold in ``resource.cfg``:
paths and names only, the secrets stay in the files they point to. Stdlib only: every plugin
run imports this package.
"""

from __future__ import annotations

__all__ = ["COMMANDS", "PLUGINS", "USER_MACROS"]

PLUGINS = (
    "check_galera",
    "check_gnocchi_backlog",
    "check_haproxy",
    "check_memcached",
    "check_openstack_api",
    "check_openstack_services",
    "check_osmon",
    "check_rabbitmq",
)
"""Every plugin: a module ``osmon.checks.plugins.<name>``, a console script, ``checks/<name>``."""

USER_MACROS = {
    "USER1": "directory of the plugins (the console scripts' bin/, or checks/)",
    "USER2": "clouds.yaml entry (OS_CLOUD) the Keystone plugins authenticate with",
    "USER3": "file holding the RabbitMQ monitoring user's password (first line)",
    "USER4": "file holding the HAProxy stats password (first line)",
    "USER5": "MySQL option file ([client] user=, password=) for Galera",
}
"""The ``$USERn$`` macros the command lines use, for ``resource.cfg``."""

COMMANDS: dict[str, str] = {
    "check_osmon": "$USER1$/check_osmon -H $ARG1$ --target '$ARG2$' -t 10",
    "check_osmon_health": "$USER1$/check_osmon -H $ARG1$ -t 10 $ARG2$",
    "check_openstack_api": "$USER1$/check_openstack_api -u '$ARG1$' -t 10 $ARG2$",
    "check_openstack_services": (
        "$USER1$/check_openstack_services --os-cloud '$USER2$' -s $ARG1$ -t 20 $ARG2$"
    ),
    "check_rabbitmq": (
        "$USER1$/check_rabbitmq -H $HOSTADDRESS$ -P $ARG1$ -u $ARG2$ "
        "--password-file '$USER3$' -t 10 $ARG3$"
    ),
    "check_galera": (
        "$USER1$/check_galera -H $HOSTADDRESS$ -P $ARG1$ --option-file '$USER5$' -t 10 $ARG2$"
    ),
    "check_memcached": "$USER1$/check_memcached -H $HOSTADDRESS$ -P $ARG1$ -t 10 $ARG2$",
    "check_haproxy": "$USER1$/check_haproxy -H $HOSTADDRESS$ -P $ARG1$ -t 10 $ARG2$",
    "check_gnocchi_backlog": "$USER1$/check_gnocchi_backlog --url '$ARG1$' -t 10 $ARG2$",
}
"""Nagios command name → ``command_line`` (``$HOSTADDRESS$``, ``$ARGn$``, ``$USERn$``)."""
