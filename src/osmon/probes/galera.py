"""MariaDB/Galera: ``SHOW GLOBAL STATUS LIKE 'wsrep_%'`` over a fresh PyMySQL connection.

PyMySQL blocks, so each run connects in a worker thread (``asyncio.to_thread``) with connect,
read and write timeouts equal to the probe's timeout: the thread ends by itself even when the
runner has already reported the timeout. The login is the service's ``credentials`` (a user
with ``USAGE`` only is enough), with the password from a variable, a file, or a MySQL option
file::

    infrastructure:
      galera:
        credentials: {option_file: /etc/osmon/galera.cnf}   # [client] user=… password=…

Metrics take mysqld_exporter's names, so its Galera alert rules apply:
``mysql_global_status_wsrep_cluster_size`` (threshold key ``cluster_size``; the inventory's
default wants every Galera host: WARNING below that, CRITICAL below a majority),
``mysql_global_status_wsrep_ready`` and ``…_wsrep_cluster_status`` (1 = ON / Primary),
``…_wsrep_local_state`` (4 = Synced) and ``…_wsrep_flow_control_paused`` (threshold key
``flow_control_paused``), plus ``osmon_probe_response_time_seconds``.

Verdicts: ``wsrep_ready`` OFF or a non-Primary component → CRITICAL; local state Synced → OK,
Donor/Desynced or Joined (the node serves, or catches up by itself) → WARNING, anything else
(Joining, Initialized …) → CRITICAL. A server without wsrep (``wsrep_on`` OFF or absent) is
plain MariaDB: OK ``not a Galera node`` for a ``mariadb`` service, CRITICAL for a ``galera``
one (the inventory says it should replicate). Refused, reset, unreachable and a peer that does
not speak the MySQL protocol are CRITICAL; a refused login is UNKNOWN (osmon's credentials are
wrong, not the server).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import pymysql

from osmon.checks.state import State
from osmon.inventory import Probe
from osmon.probes.base import Metric, Observation, ProbeContext, ProbeFailed
from osmon.probes.credentials import Login, login
from osmon.probes.failures import connection_failed

__all__ = ["probe"]

_DEFAULT_PORT = 3306
_ACCESS_DENIED = frozenset({1044, 1045, 1698})
_CANNOT_CONNECT = frozenset({2002, 2003, 2005, 2006})
_LOST = frozenset({2013, 2014})
_WARN_STATES = frozenset({"Donor/Desynced", "Joined"})
_SERIES = "mysql_global_status_wsrep_"


@dataclass(frozen=True, slots=True)
class _Status:
    version: str
    wsrep_on: bool
    status: dict[str, str]


async def probe(target: Probe, ctx: ProbeContext) -> Observation:
    user = login(target)
    started = time.monotonic()
    found = await asyncio.to_thread(_query, target, user)
    elapsed = time.monotonic() - started
    metrics = [Metric("response_time", elapsed, "s", series="osmon_probe_response_time_seconds")]
    if not found.wsrep_on:
        text = f"not a Galera node (wsrep off); MariaDB {found.version} answers"
        state = State.CRITICAL if target.service_type == "galera" else State.OK
        return Observation(tuple(metrics), state, text)
    return _verdict(found.status, metrics)


def _verdict(status: dict[str, str], metrics: list[Metric]) -> Observation:
    size = _number(status.get("wsrep_cluster_size"))
    ready = status.get("wsrep_ready", "")
    component = status.get("wsrep_cluster_status", "")
    comment = status.get("wsrep_local_state_comment", "")
    local = _number(status.get("wsrep_local_state"))
    paused = _number(status.get("wsrep_flow_control_paused"))
    for name, value in (
        ("cluster_size", size),
        ("ready", _flag(ready, "ON")),
        ("cluster_status", _flag(component, "Primary")),
        ("local_state", local),
        ("flow_control_paused", paused),
    ):
        if value is not None:
            metrics.append(Metric(name, value, series=_SERIES + name))
    size_text = f"cluster size {size:g}" if size is not None else "cluster size unknown"
    text = f"{comment or 'state unknown'}, {component or 'component unknown'}, {size_text}"
    problems: list[str] = []
    if ready != "ON":
        problems.append(f"wsrep_ready {ready or 'missing'}")
    if component != "Primary":
        problems.append(f"cluster status {component or 'missing'}")
    if problems:
        return Observation(tuple(metrics), State.CRITICAL, f"{'; '.join(problems)} ({text})")
    if comment == "Synced":
        return Observation(tuple(metrics), State.OK, f"{text}, ready ON")
    if comment in _WARN_STATES:
        return Observation(tuple(metrics), State.WARNING, f"node is {text}")
    return Observation(tuple(metrics), State.CRITICAL, f"node is {text}")


def _query(target: Probe, user: Login | None) -> _Status:
    host = target.address or "127.0.0.1"
    port = target.port or _DEFAULT_PORT
    timeout = target.timeout
    try:
        conn = pymysql.connect(
            host=host,
            port=port,
            user=user.username if user is not None else None,
            password=(user.password or "") if user is not None else "",
            read_default_file=user.option_file if user is not None else None,
            connect_timeout=timeout,
            read_timeout=timeout,
            write_timeout=timeout,
        )
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'")
                variables = {str(k): str(v) for k, v in cur.fetchall()}
                cur.execute("SHOW GLOBAL STATUS LIKE 'wsrep\\_%'")
                status = {str(k): str(v) for k, v in cur.fetchall()}
            version = str(getattr(conn, "server_version", "?"))
        finally:
            conn.close()
    except pymysql.err.MySQLError as exc:
        raise _failed(exc, f"{host}:{port}") from None
    except OSError as exc:
        raise connection_failed(exc, f"{host}:{port}") from None
    return _Status(version, variables.get("wsrep_on", "OFF") == "ON", status)


def _failed(exc: pymysql.err.MySQLError, where: str) -> ProbeFailed:
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
    message = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
    cause = exc.__cause__ or exc.__context__
    if code in _CANNOT_CONNECT and isinstance(cause, OSError):
        return connection_failed(cause, where)
    if code in _CANNOT_CONNECT:
        return ProbeFailed(State.CRITICAL, f"cannot connect to {where}: {message}")
    if code in _ACCESS_DENIED:
        return ProbeFailed(State.UNKNOWN, f"login refused: {message}")
    if code == 0:  # no server error number: the peer does not speak the MySQL protocol
        return ProbeFailed(State.CRITICAL, f"not a MySQL/MariaDB server at {where}: {message}")
    if code in _LOST:
        return ProbeFailed(State.CRITICAL, f"connection lost: {message}")
    return ProbeFailed(State.CRITICAL, f"MySQL error {code}: {message}")


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def _flag(text: str, on: str) -> float | None:
    return (1.0 if text == on else 0.0) if text else None
