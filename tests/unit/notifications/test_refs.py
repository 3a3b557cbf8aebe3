"""The $ref + deep-merge resolver of Nova's notification samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from osmon.notifications.refs import RefError, RefResolver, deep_merge

SAMPLES = Path("/work/shared/data/nova-notification-samples")
if not SAMPLES.is_dir():
    SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "data" / "nova-notification-samples"


def _write(path: Path, doc: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def test_deep_merge_recurses_into_mappings_and_replaces_the_rest() -> None:
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 1}
    assert deep_merge(base, {"a": {"y": [3]}, "c": 2}) == {"a": {"x": 1, "y": [3]}, "b": 1, "c": 2}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 1}


def test_ref_relative_to_the_referencing_file_with_overrides(tmp_path: Path) -> None:
    _write(tmp_path / "common" / "Base.json", {"data": {"a": 1, "b": 2}, "name": "Base"})
    _write(tmp_path / "common" / "Child.json", {"$ref": "Base.json", "data": {"b": 3}})
    sample = _write(
        tmp_path / "s.json",
        {
            "payload": {"$ref": "common/Child.json#", "data": {"c": 4}},
            "list": [{"$ref": "common/Base.json#/data"}],
        },
    )
    doc = RefResolver().resolve_file(sample)
    assert doc["payload"] == {"data": {"a": 1, "b": 3, "c": 4}, "name": "Base"}
    assert doc["list"] == [{"a": 1, "b": 2}]


def test_broken_references_are_reported(tmp_path: Path) -> None:
    with pytest.raises(RefError, match="does not exist"):
        RefResolver().resolve_file(_write(tmp_path / "a.json", {"$ref": "missing.json"}))
    _write(tmp_path / "x.json", {"$ref": "y.json"})
    _write(tmp_path / "y.json", {"$ref": "x.json"})
    with pytest.raises(RefError, match="cycle"):
        RefResolver().resolve_file(tmp_path / "x.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": \n nope}')
    with pytest.raises(RefError, match=r"bad.json:2: invalid JSON"):
        RefResolver().resolve_file(bad)
    with pytest.raises(RefError, match="not found"):
        RefResolver().resolve_file(_write(tmp_path / "p.json", {"$ref": "y.json#/nope"}))


def test_every_nova_sample_resolves_without_leftover_refs() -> None:
    resolver = RefResolver()
    files = sorted(SAMPLES.glob("*.json"))
    assert len(files) == 140
    for f in files:
        text = json.dumps(resolver.resolve_file(f))
        assert "$ref" not in text, f
    create = resolver.resolve_file(SAMPLES / "instance-create-end.json")
    data = create["payload"]["nova_object.data"]
    assert data["flavor"]["nova_object.data"]["memory_mb"] == 512
    assert data["keypairs"][0]["nova_object.data"]["name"] == "my-key"
    assert data["instance_name"] == "instance-00000001"
    assert data["uuid"] == "178b0921-8f85-4257-88b6-2e743b5a975c"
