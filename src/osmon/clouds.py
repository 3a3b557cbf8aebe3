"""Read one cloud from ``clouds.yaml`` (+ ``secure.yaml``) into a keystoneauth1 auth plugin.

openstacksdk does this too, but pulls in ~40 MB of SDK for a lookup of a few keys; the subset
here (search path, ``secure.yaml`` merge, ``auth_type``/``auth``/``region_name``/``interface``/
``verify``/``cacert``) is what the Gnocchi sink and the Keystone-authenticated probes need;
both use it, so it sits below sinks and probes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from keystoneauth1 import exceptions as ksa_exc
from keystoneauth1 import loading


class CloudConfigError(ValueError):
    """clouds.yaml is missing, unreadable, or does not describe the named cloud usably."""


@dataclass(frozen=True, slots=True)
class Cloud:
    name: str
    auth_type: str
    auth: Mapping[str, Any]
    region_name: str | None = None
    interface: str | None = None
    verify: bool = True
    cacert: str | None = None
    source: Path | None = field(default=None, compare=False)


def default_paths() -> list[Path]:
    """Where openstackclient and openstacksdk look, in their order."""
    env = os.environ.get("OS_CLIENT_CONFIG_FILE")
    paths = [Path(env)] if env else []
    paths += [
        Path.cwd() / "clouds.yaml",
        Path.home() / ".config" / "openstack" / "clouds.yaml",
        Path("/etc/openstack/clouds.yaml"),
    ]
    return paths


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise CloudConfigError(f"{path}: cannot read: {e}") from e
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("clouds", {}), dict):
        raise CloudConfigError(f"{path}: expected a mapping with a 'clouds' mapping")
    return data


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def load_cloud(name: str, paths: Sequence[Path] | None = None) -> Cloud:
    """The cloud ``name`` from the first existing clouds.yaml, merged with its secure.yaml."""
    candidates = list(paths) if paths is not None else default_paths()
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        where = ", ".join(str(p) for p in candidates)
        raise CloudConfigError(f"no clouds.yaml found (looked in {where})")
    clouds = _read(found).get("clouds", {})
    if name not in clouds or not isinstance(clouds[name], dict):
        known = ", ".join(sorted(clouds)) or "none"
        raise CloudConfigError(f"{found}: no cloud named {name!r} (clouds: {known})")
    entry: dict[str, Any] = clouds[name]
    secure = found.with_name("secure.yaml")
    if secure.is_file():
        secret = _read(secure).get("clouds", {}).get(name)
        if isinstance(secret, Mapping):
            entry = _merge(entry, secret)
    auth = entry.get("auth")
    if not isinstance(auth, dict) or not auth:
        raise CloudConfigError(f"{found}: cloud {name!r} has no 'auth' mapping")
    verify = entry.get("verify", True)
    return Cloud(
        name=name,
        auth_type=str(entry.get("auth_type", "password")),
        auth=auth,
        region_name=entry.get("region_name"),
        interface=entry.get("interface"),
        verify=bool(verify),
        cacert=entry.get("cacert"),
        source=found,
    )


def auth_plugin(cloud: Cloud) -> Any:
    """A keystoneauth1 plugin for ``cloud`` (no network traffic until first use)."""
    try:
        loader: Any = loading.get_plugin_loader(cloud.auth_type)
    except ksa_exc.NoMatchingPlugin as e:
        raise CloudConfigError(
            f"{cloud.source}: cloud {cloud.name!r}: unknown auth_type {cloud.auth_type!r}"
        ) from e
    known = {o.dest for o in loader.get_options()}
    unknown = sorted(set(cloud.auth) - known)
    if unknown:
        raise CloudConfigError(
            f"{cloud.source}: cloud {cloud.name!r}: auth keys not valid for "
            f"{cloud.auth_type}: {', '.join(unknown)}"
        )
    try:
        return loader.load_from_options(**cloud.auth)
    except ksa_exc.MissingRequiredOptions as e:
        names = ", ".join(o.dest for o in e.options)
        raise CloudConfigError(
            f"{cloud.source}: cloud {cloud.name!r}: missing auth keys: {names}"
        ) from e
