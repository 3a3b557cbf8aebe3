"""osmon's Nagios plugins (``check_<name>`` modules) and their Nagios command definitions.

``COMMANDS`` maps each command name to its Nagios ``command_line``; ``osmon generate nagios``
writes one ``define command`` per entry. ``$USER1$`` is the plugin directory; credentials are
passed as ``$ARGn$`` values that name a file (the generator's ``$USERn$`` macros from
``resource.cfg``), never a secret; the last ``$ARGn$`` takes extra options (ranges,
``--expect`` …). Stdlib only: every plugin run imports this package.
"""

from __future__ import annotations

__all__ = ["COMMANDS", "PLUGINS"]

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

COMMANDS: dict[str, str] = {
    "check_osmon": "$USER1$/check_osmon -H $ARG1$ --target '$ARG2$' -t 10",
    "check_osmon_health": "$USER1$/check_osmon -H $ARG1$ -t 10 $ARG2$",
    "check_openstack_api": "$USER1$/check_openstack_api -u '$ARG1$' -t 10 $ARG2$",
    "check_openstack_services": (
        "$USER1$/check_openstack_services --os-cloud '$ARG1$' -s $ARG2$ -t 20 $ARG3$"
    ),
    "check_rabbitmq": (
        "$USER1$/check_rabbitmq -H $HOSTADDRESS$ -P $ARG1$ -u '$ARG2$' "
        "--password-file '$ARG3$' -t 10 $ARG4$"
    ),
    "check_galera": (
        "$USER1$/check_galera -H $HOSTADDRESS$ -P $ARG1$ --option-file '$ARG2$' -t 10 $ARG3$"
    ),
    "check_memcached": "$USER1$/check_memcached -H $HOSTADDRESS$ -P $ARG1$ -t 10 $ARG2$",
    "check_haproxy": "$USER1$/check_haproxy -H $HOSTADDRESS$ -P $ARG1$ -t 10 $ARG2$",
    "check_gnocchi_backlog": "$USER1$/check_gnocchi_backlog --url '$ARG1$' -t 10 $ARG2$",
}
"""Nagios command name → ``command_line``. Arguments, in order: ``check_osmon``: daemon
address, target id; ``check_osmon_health``: daemon address, options; ``check_openstack_api``:
URL, options; ``check_openstack_services``: clouds.yaml entry, service (nova, cinder,
neutron), options; ``check_rabbitmq``: management port, user, password file, options;
``check_galera``: port, MySQL option file, options; ``check_memcached``, ``check_haproxy``:
port, options; ``check_gnocchi_backlog``: Gnocchi URL, options."""
