"""Active checks with the Monitoring Plugins (Debian's monitoring-plugins) for probe services.

With ``osmon generate nagios --active`` Nagios runs a plugin for each probe instead of waiting
for the daemon's passive result; this table says which C plugin stands in for which probe type
and with which arguments. ``agent`` (a Keystone token would have to be on the command line)
stays passive; HAProxy stats that need a login get ``check_tcp`` on their port instead.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from osmon.inventory import Probe

__all__ = ["ACTIVE_COMMANDS", "ActiveCheck", "active_check"]

_HTTP = (
    "$USER1$/check_http -H '$ARG1$' -p $ARG2$ -u '$ARG3$' -e '$ARG4$' -w $ARG5$ -c $ARG6$ -t $ARG7$"
)

#: ``define command`` lines for the active checks (``$USER1$`` is the plugin directory).
ACTIVE_COMMANDS: Mapping[str, str] = {
    "osmon-mp-http": _HTTP,
    "osmon-mp-https": _HTTP + " --ssl --sni",
    "osmon-mp-tcp": "$USER1$/check_tcp -H '$ARG1$' -p $ARG2$ -w $ARG3$ -c $ARG4$ -t $ARG5$",
    "osmon-mp-tls": (
        "$USER1$/check_http -H '$ARG1$' -p $ARG2$ --ssl --sni -C $ARG3$,$ARG4$ -t $ARG5$"
    ),
    "osmon-mp-memcached": (
        "$USER1$/check_tcp -H '$ARG1$' -p $ARG2$ -E -s 'version\\r\\n' -e VERSION "
        "-q 'quit\\r\\n' -w $ARG3$ -c $ARG4$ -t $ARG5$"
    ),
    "osmon-mp-mysql": "$USER1$/check_mysql -H '$ARG1$' -P $ARG2$ -f '$ARG3$'",
}


@dataclass(frozen=True, slots=True)
class ActiveCheck:
    """A command name and its ``$ARGn$`` values."""

    command: str
    args: tuple[str, ...]


# The range forms a C plugin's plain -w/-c numbers can express (the inventory already checked
# every range; others fall back to the default): "N", "0:N", "~:N" (an upper bound) and "N:".
_UPPER = re.compile(r"(?:~:|0:)?(\d+(?:\.\d+)?)")
_LOWER = re.compile(r"(\d+):")


def _bound(probe: Probe, metric: str, which: str, form: re.Pattern[str], default: str) -> str:
    threshold = probe.thresholds.get(metric)
    text = getattr(threshold, which) if threshold is not None else None
    match = form.fullmatch(text.strip()) if text is not None else None
    return match.group(1) if match else default


def _upper(probe: Probe, metric: str, which: str, default: float) -> str:
    """The upper bound of a ``N``/``0:N``/``~:N`` threshold, in the plugin's seconds."""
    return _bound(probe, metric, which, _UPPER, f"{default:g}")


def _lower(probe: Probe, metric: str, which: str, default: int) -> str:
    """The lower bound of a ``N:`` threshold (TLS days left)."""
    return _bound(probe, metric, which, _LOWER, str(default))


def _target(probe: Probe) -> tuple[str, str, int, str]:
    """Scheme, host, port and path the probe reaches."""
    if probe.url is not None:
        parts = urlsplit(probe.url)
        scheme = parts.scheme or "http"
        port = parts.port or (443 if scheme == "https" else 80)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return scheme, parts.hostname or "", port, path
    return "tcp", probe.address or "", probe.port or 0, "/"


def _times(probe: Probe) -> tuple[str, str, str]:
    timeout = str(max(1, math.ceil(probe.timeout)))
    warning = _upper(probe, "response_time", "warning", probe.timeout)
    critical = _upper(probe, "response_time", "critical", probe.timeout)
    return warning, critical, timeout


def _http(probe: Probe) -> ActiveCheck | None:
    scheme, host, port, path = _target(probe)
    if scheme not in ("http", "https"):
        return None
    expect = ",".join(str(s) for s in probe.expected_status) or "200"
    return ActiveCheck(f"osmon-mp-{scheme}", (host, str(port), path, expect, *_times(probe)))


def _tcp(probe: Probe) -> ActiveCheck:
    _, host, port, _ = _target(probe)
    return ActiveCheck("osmon-mp-tcp", (host, str(port), *_times(probe)))


def _tls(probe: Probe) -> ActiveCheck:
    _, host, port, _ = _target(probe)
    warning = _lower(probe, "days_left", "warning", 30)
    critical = _lower(probe, "days_left", "critical", 7)
    timeout = _times(probe)[2]
    return ActiveCheck("osmon-mp-tls", (host, str(port), warning, critical, timeout))


def _memcached(probe: Probe) -> ActiveCheck:
    _, host, port, _ = _target(probe)
    return ActiveCheck("osmon-mp-memcached", (host, str(port), *_times(probe)))


def _galera(probe: Probe, macros: Mapping[str, str]) -> ActiveCheck:
    login = probe.credentials
    if login is not None and login.option_file is not None:
        macro = macros[login.option_file]
        return ActiveCheck("osmon-mp-mysql", (probe.address or "", str(probe.port), macro))
    return _tcp(probe)


def _login_free_http(probe: Probe) -> ActiveCheck | None:
    return _http(probe) if probe.credentials is None else _tcp(probe)


_SIMPLE: Mapping[str, Callable[[Probe], ActiveCheck | None]] = {
    "http": _http,
    "tcp": _tcp,
    "tls": _tls,
    "memcached": _memcached,
    "haproxy": _login_free_http,
    "gnocchi": _http,
    "aodh": _http,
    # The management API's index page answers without a login: the node and plugin are up.
    "rabbitmq": lambda probe: _http(dataclasses.replace(probe, url=_root(probe.url))),
}


def _root(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def active_check(probe: Probe, macros: Mapping[str, str]) -> ActiveCheck | None:
    """The C plugin check for a probe, or None when it stays passive.

    ``macros`` maps credential file paths to their ``$USERn$`` macro.
    """
    if probe.type == "galera":
        return _galera(probe, macros)
    make = _SIMPLE.get(probe.type)
    return make(probe) if make is not None else None
