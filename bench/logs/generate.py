"""A realistic mixed OpenStack control-plane log in oslo.log format, deterministic per seed.

The mix follows what a busy controller's nova/neutron/cinder/keystone logs look like with
``debug = True``: mostly DEBUG lines with the ``funcName path:lineno`` suffix, INFO lines in
every context-bracket era, WSGI access lines (nova requestlog, neutron.wsgi,
eventlet.wsgi.server), warnings with an error summary and a few tracebacks.
"""

from __future__ import annotations

import argparse
import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

LOGGERS = {
    "nova": [
        "nova.compute.manager",
        "nova.scheduler.host_manager",
        "nova.virt.libvirt.driver",
        "oslo_concurrency.lockutils",
        "nova.conductor.manager",
    ],
    "neutron": [
        "neutron.agent.linux.utils",
        "neutron.plugins.ml2.rpc",
        "neutron.db.agents_db",
        "oslo_messaging._drivers.amqpdriver",
    ],
    "cinder": ["cinder.volume.manager", "cinder.scheduler.filter_scheduler"],
    "keystone": ["keystone.server.flask.application", "keystone.common.fernet_utils"],
}
MESSAGES = [
    'Acquiring lock "compute_resources" by "nova.compute.resource_tracker._update_resource"',
    'Lock "compute_resources" acquired by "nova.compute.resource_tracker._update" :: waited 0.000s',
    "Running periodic task ComputeManager._poll_rebooting_instances",
    "Received RPC response for update_device_list",
    "Hypervisor/Node resource view: name=cmp01 free_ram=120345MB free_disk=1024GB free_vcpus=40",
    "Successfully synced instances from host 'cmp01'.",
    "Port 6e3c1f0a-5d1b-4e2f-9a8b-7c6d5e4f3a2b updated. Details: {'device': 'tap6e3c1f0a-5d'}",
    "Took 2.31 seconds to build instance.",
    "Volume a3b4c5d6-e7f8-4a9b-8c7d-6e5f4a3b2c1d: being created as raw with {'status': 'creating'}",
    "Fernet token created successfully",
]
PATHS = [
    "/usr/lib/python3/dist-packages/nova/compute/manager.py",
    "/usr/lib/python3/dist-packages/oslo_concurrency/lockutils.py",
    "/usr/lib/python3/dist-packages/neutron/plugins/ml2/rpc.py",
    "/opt/stack/cinder/cinder/volume/manager.py",
]
URLS = [
    "/v2.1/servers/detail",
    "/v2.1/servers/0f8e2d7c-3b4a-4c5d-8e9f-1a2b3c4d5e6f/os-interface",
    "/v2.0/ports?device_id=0f8e2d7c-3b4a-4c5d-8e9f-1a2b3c4d5e6f&fields=id",
    "/v2.0/networks",
    "/v3/auth/tokens",
    "/v3/volumes/detail?all_tenants=1",
]


def _ids(rng: random.Random) -> tuple[str, str, str]:
    def h(n: int) -> str:
        return f"{rng.getrandbits(4 * n):0{n}x}"

    return f"req-{uuid.UUID(int=rng.getrandbits(128))}", h(32), h(32)


def _context(rng: random.Random) -> str:
    req, user, project = _ids(rng)
    era = rng.random()
    if era < 0.55:
        return f"[None {req} {user} {project} - - default default]"
    if era < 0.70:
        return f"[{_ids(rng)[0]} {req} {user} {project} - - default default]"
    if era < 0.85:
        return f"[{req} {user} {project} - default default]"
    return f"[{req} - - - - -]"


def _access(rng: random.Random) -> str:
    url = rng.choice(URLS)
    status = rng.choice((200, 200, 200, 202, 204, 404))
    size = rng.randint(0, 20000)
    t = rng.random() / 2
    kind = rng.random()
    ip = f"10.0.0.{rng.randint(2, 250)}"
    if kind < 0.5:
        path = url.split("?")[0]
        mv = f"2.{rng.randint(1, 95)}"
        return f'{ip} "GET {path}" status: {status} len: {size} microversion: {mv} time: {t:.6f}'
    if kind < 0.8:
        return f'{ip} "GET {url} HTTP/1.1" status: {status}  len: {size} time: {t:.7f}'
    stamp = "01/May/2024 10:00:00"
    return f'{ip},10.0.1.5 - - [{stamp}] "POST {url} HTTP/1.1" {status} {size} {t:.6f}'


def lines(n: int, seed: int = 42) -> Iterator[str]:
    rng = random.Random(seed)
    t = datetime(2024, 5, 1, 10, 0, 0)
    produced = 0
    while produced < n:
        t += timedelta(microseconds=rng.randint(200, 6000))
        stamp = f"{t:%Y-%m-%d %H:%M:%S}.{t.microsecond // 1000:03d}"
        pid = rng.choice((12034, 12035, 2211, 31337))
        service = rng.choice(list(LOGGERS))
        logger = rng.choice(LOGGERS[service])
        inst = f"[instance: {uuid.UUID(int=rng.getrandbits(128))}] " if rng.random() < 0.15 else ""
        r = rng.random()
        if r < 0.45:
            func = rng.choice(("_update_available_resource", "inner", "_sync_power_states"))
            yield (
                f"{stamp} {pid} DEBUG {logger} {_context(rng)} {inst}{rng.choice(MESSAGES)} "
                f"{func} {rng.choice(PATHS)}:{rng.randint(10, 9999)}"
            )
            produced += 1
        elif r < 0.68:
            yield f"{stamp} {pid} INFO {logger} {_context(rng)} {inst}{rng.choice(MESSAGES)}"
            produced += 1
        elif r < 0.88:
            api = rng.choice(
                ("nova.api.openstack.requestlog", "neutron.wsgi", "eventlet.wsgi.server")
            )
            yield f"{stamp} {pid} INFO {api} {_context(rng)} {_access(rng)}"
            produced += 1
        elif r < 0.955:
            yield f"{stamp} {pid} INFO {logger} [-] {rng.choice(MESSAGES)}"
            produced += 1
        elif r < 0.99:
            yield (
                f"{stamp} {pid} WARNING {logger} {_context(rng)} {inst}Failed to notify neutron: "
                "ConnectionRefusedError: [Errno 111] ECONNREFUSED"
            )
            produced += 1
        else:
            yield (
                f"{stamp} {pid} ERROR {logger} {_context(rng)} {inst}Error during "
                "ComputeManager._run_image_cache_manager_pass: MessagingTimeout: Timed out"
            )
            prefix = f"{stamp} {pid} ERROR {logger} {inst}"
            tb = ["Traceback (most recent call last):"]
            for _ in range(rng.randint(3, 10)):
                tb.append(f'  File "{rng.choice(PATHS)}", line {rng.randint(1, 999)}, in call')
                tb.append("    return self._send(target, ctxt, message)")
            tb += ["oslo_messaging.exceptions.MessagingTimeout: Timed out", ""]
            for line in tb:
                yield prefix + line
            produced += 1 + len(tb)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("output", type=Path)
    ap.add_argument("-n", "--lines", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    with args.output.open("w", encoding="utf-8") as f:
        for line in lines(args.lines, args.seed):
            f.write(line + "\n")


if __name__ == "__main__":
    main()
