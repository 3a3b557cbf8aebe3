"""An in-memory double of the Gnocchi API that answers as Gnocchi 4.7 does, and sample helpers.

The double's error bodies are the ones observed on a real Gnocchi (see the integration test);
they make every branch of the sink reachable without a server and let the tests count requests.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from osmon.records import Sample
from osmon.sinks.base import TransientError
from osmon.sinks.gnocchi import GnocchiOptions, GnocchiSink
from osmon.sinks.gnocchi.api import GnocchiRefused

NS = uuid.UUID("0a7a15ff-aa13-4ac2-897c-9bdef30a281f")
GENERIC = {"id", "project_id", "user_id", "started_at", "ended_at"}


def gnocchi_id(rid: str) -> str:
    try:
        return str(uuid.UUID(rid))
    except ValueError:
        return str(uuid.uuid5(NS, rid + "\x00admin"))


class FakeGnocchi:
    """Just enough Gnocchi: policies, types, resources, batch measures, with Gnocchi's errors."""

    def __init__(self) -> None:
        self.policies: dict[str, dict[str, Any]] = {"low": {"name": "low"}}
        self.rules: dict[str, dict[str, Any]] = {}
        self.types: dict[str, dict[str, Any]] = {"generic": {"name": "generic", "attributes": {}}}
        self.resources: dict[str, dict[str, Any]] = {}
        self.measures: dict[tuple[str, str], list[dict[str, float]]] = {}
        self.calls: list[str] = []
        self.down = False
        self.refuse_measures: GnocchiRefused | None = None
        self.bad_value = math.inf

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.down:
            raise TransientError("gnocchi: ConnectFailure: connection refused")

    def count(self, name: str) -> int:
        return self.calls.count(name)

    async def list_archive_policies(self) -> list[dict[str, Any]]:
        self._call("list_archive_policies")
        return list(self.policies.values())

    async def create_archive_policy(self, policy: Mapping[str, Any]) -> None:
        self._call("create_archive_policy")
        if not policy.get("definition"):
            raise GnocchiRefused(400, "Invalid input: definition")
        self.policies[policy["name"]] = dict(policy)

    async def list_archive_policy_rules(self) -> list[dict[str, Any]]:
        self._call("list_archive_policy_rules")
        return list(self.rules.values())

    async def create_archive_policy_rule(self, rule: Mapping[str, Any]) -> None:
        self._call("create_archive_policy_rule")
        self.rules[rule["name"]] = dict(rule)

    async def list_resource_types(self) -> list[dict[str, Any]]:
        self._call("list_resource_types")
        return [dict(t) for t in self.types.values()]

    async def create_resource_type(self, name: str, attributes: Mapping[str, Any]) -> None:
        self._call("create_resource_type")
        if name in self.types:
            raise GnocchiRefused(409, f"Resource type {name} already exists")
        self.types[name] = {"name": name, "attributes": dict(attributes)}

    async def add_resource_type_attributes(self, name: str, attributes: Mapping[str, Any]) -> None:
        self._call("add_resource_type_attributes")
        self.types[name]["attributes"].update(attributes)

    async def post_measures(self, body: Mapping[str, Any]) -> None:
        self._call("post_measures")
        if self.refuse_measures is not None:
            raise self.refuse_measures
        unknown = [
            {"resource_id": gnocchi_id(rid), "original_resource_id": rid}
            for rid in body
            if gnocchi_id(rid) not in self.resources
        ]
        if unknown:
            raise GnocchiRefused(400, {"cause": "Unknown resources", "detail": unknown})
        for rid, metrics in body.items():
            for name, metric in metrics.items():
                for m in metric["measures"]:
                    if m["value"] == self.bad_value:
                        raise GnocchiRefused(
                            400,
                            {
                                "cause": "Invalid input",
                                "reason": "bad value",
                                "detail": [rid, name, "measures"],
                            },
                        )
        for rid, metrics in body.items():
            for name, metric in metrics.items():
                self.measures.setdefault((rid, name), []).extend(metric["measures"])

    async def create_resource(self, resource_type: str, attrs: Mapping[str, Any]) -> None:
        self._call("create_resource")
        if resource_type not in self.types:
            raise GnocchiRefused(404, f"Resource type {resource_type} does not exist")
        known = set(self.types[resource_type]["attributes"]) | GENERIC
        extra = set(attrs) - known
        if extra:
            raise GnocchiRefused(400, {"cause": "Invalid input", "reason": f"extra {extra}"})
        for k, spec in self.types[resource_type]["attributes"].items():
            if spec.get("type") == "uuid" and k in attrs:
                try:
                    uuid.UUID(attrs[k])
                except ValueError:
                    raise GnocchiRefused(
                        400, {"cause": "Invalid input", "reason": f"bad uuid {k}", "detail": [k]}
                    ) from None
        gid = gnocchi_id(attrs["id"])
        if gid in self.resources:
            raise GnocchiRefused(409, f"Resource {gid} already exists")
        self.resources[gid] = {
            **{k: None for k in self.types[resource_type]["attributes"]},
            **dict(attrs),
            "id": gid,
            "original_resource_id": attrs["id"],
            "type": resource_type,
        }

    async def update_resource(
        self, resource_type: str, resource_id: str, attrs: Mapping[str, Any]
    ) -> None:
        self._call("update_resource")
        gid = gnocchi_id(resource_id)
        if gid not in self.resources:
            raise GnocchiRefused(404, f"Resource {resource_id} does not exist")
        self.resources[gid].update(attrs)

    async def find_resources(self, resource_ids: Sequence[str]) -> list[dict[str, Any]]:
        self._call("find_resources")
        out = []
        for rid in resource_ids:
            gid = gnocchi_id(rid)
            if gid in self.resources:
                out.append(dict(self.resources[gid]))
        return out

    async def close(self) -> None:
        self.calls.append("close")

    def resource(self, rid: str) -> dict[str, Any]:
        return self.resources[gnocchi_id(rid)]


def make_sink(fake: FakeGnocchi, **options: Any) -> GnocchiSink:
    opts = GnocchiOptions.model_validate({"endpoint": "http://127.0.0.1:8041", **options})
    return GnocchiSink("gnocchi", opts, fake)  # type: ignore[arg-type]


def vm(rid: str, value: float = 1.0, ts: float = 1_700_000_000.0, **attrs: Any) -> Sample:
    return Sample(
        "memory",
        value,
        ts,
        unit="MB",
        resource_id=rid,
        resource_type="instance",
        resource_attributes=attrs,
    )
