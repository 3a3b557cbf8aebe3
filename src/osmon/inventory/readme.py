"""The README's inventory reference, generated from the model so the two cannot drift apart.

``python -m osmon.inventory.readme`` prints it; ``--write README.md`` replaces the block between
the ``inventory-reference`` markers (a unit test fails when the README is stale).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from osmon.inventory import infra, model

START, END = "<!-- inventory-reference:start -->", "<!-- inventory-reference:end -->"

SECTIONS: tuple[tuple[str, type[BaseModel]], ...] = (
    ("top level", model.Inventory),
    ("`cloud`", model.Cloud),
    ("`auth`", model.Auth),
    ("`defaults`", model.Defaults),
    ("`contacts.<name>`", model.Contact),
    ("`hosts.<name>`", model.Host),
    ("`services.<name>` and `infrastructure.<name>`", model.Service),
    ("`…endpoint`", model.Endpoint),
    ("`…probes.<name>`", model.Probe),
    ("`…thresholds.<metric>`", model.Threshold),
    ("`…logs[]`", model.LogFile),
    ("`…notifications`", model.Notifications),
    ("`alarms[]` and `…alarms[]`", model.Alarm),
    ("`…tls`", model.TLS),
    ("`…credentials`", infra.Credentials),
    ("`…probes.<name>.queues`", infra.QueueSelection),
)

EXAMPLE = """\
```yaml
version: 1
cloud: {name: prod, region: RegionOne, log_timezone: Europe/Paris}
auth: {cloud: prod-admin}                # credentials stay in clouds.yaml
contacts:
  oncall: {email: oncall@example.org, contact_groups: [admins]}
defaults: {interval: 30s, timeout: 5s, contacts: [oncall]}
hosts:
  ctl1: {address: 10.0.0.11, roles: [controller]}
  ctl2: {address: 10.0.0.12, roles: [controller]}
  cmp1: {address: 10.0.1.21, roles: [compute]}
services:
  keystone: {endpoint: {url: "https://cloud.example.org:5000/v3"}}
  nova-api: {hosts: [ctl1, ctl2], thresholds: {response_time: {warning: "0:1", critical: "0:5"}}}
  nova-compute: {}                       # placed on the catalog's role: compute
infrastructure:
  rabbitmq: {}
  galera: {probes: {galera: {thresholds: {cluster_size: {critical: "3:"}}}}}
alarms:
  - {name: api-slow, metric: osmon_probe_duration_seconds, comparison: gt, threshold: 2,
     severity: warning, for: 5m}
```"""


def _type_name(annotation: Any) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _type_name(args[0])
    if origin in (Union, UnionType):
        return " or ".join(_type_name(a) for a in args if a is not type(None))
    if origin is Literal:
        return " / ".join(f"`{a}`" for a in args)
    if origin is dict:
        return f"map of {_type_name(args[1])}"
    if origin in (tuple, list):
        return f"list of {_type_name(args[0])}"
    if isinstance(annotation, type):
        return {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}.get(
            annotation.__name__, annotation.__name__
        )
    return str(annotation)


def _default(info: Any) -> str:
    if info.default is not PydanticUndefined:
        value = info.default
        if value is None:
            return ""
        if isinstance(value, tuple | list | dict) and not value:
            return "empty"
        return f"`{value}`".replace("|", "\\|")  # escaped inside a table cell
    if info.default_factory is not None:
        return "empty" if info.default_factory in (dict, list, tuple) else "its defaults"
    return "**required**"


def render() -> str:
    parts = [
        "Every key, generated from `osmon.inventory.model` (`python -m osmon.inventory.readme`)."
        " Unknown keys are errors (with a suggestion); durations accept `30s`, `5m`, `1h`;"
        " ranges are Nagios ranges (`[@]start:end`, `~` for minus infinity). Defaults not given"
        " here come from the service catalog (`osmon.inventory.catalog`).",
        "",
        EXAMPLE,
    ]
    for title, cls in SECTIONS:
        doc = " ".join((cls.__doc__ or "").split())
        parts += ["", f"### {title}", "", doc, ""]
        parts += ["| key | type | default | meaning |", "|---|---|---|---|"]
        for name, info in cls.model_fields.items():
            key = info.alias or name
            parts.append(
                f"| `{key}` | {_type_name(info.annotation)} | {_default(info)} "
                f"| {(info.description or '').replace('|', '/')} |"
            )
    return "\n".join(parts)


def replace_block(text: str, block: str) -> str:
    head, sep, rest = text.partition(START)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError(f"markers {START} / {END} not found")
    return f"{head}{START}\n{block}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write", type=Path, help="update the block in this Markdown file")
    args = ap.parse_args(argv)
    block = render()
    if args.write:
        args.write.write_text(replace_block(args.write.read_text(), block))
    else:
        sys.stdout.write(block + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
