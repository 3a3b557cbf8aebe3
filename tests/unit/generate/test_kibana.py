"""``osmon generate kibana``: saved objects parse, references resolve, ids are stable."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from osmon.cli.generate import generate
from osmon.generate.kibana import generate_kibana, object_id
from osmon.inventory import Expansion, expand, load, load_text
from osmon.records import LogRecord
from osmon.sinks.elasticsearch import ElasticsearchOptions, log_document

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "inventory.yaml"
CHECKED_IN = ROOT / "kibana" / "osmon.ndjson"
REFRESH = "osmon generate kibana -i examples/inventory.yaml -o kibana/osmon.ndjson"


@pytest.fixture(scope="module")
def expansion() -> Expansion:
    return expand(load(EXAMPLE))


@pytest.fixture(scope="module")
def text(expansion: Expansion) -> str:
    return generate_kibana(expansion)


@pytest.fixture(scope="module")
def objects(text: str) -> list[dict[str, Any]]:
    lines = text.splitlines()
    assert text.endswith("\n")
    return [json.loads(line) for line in lines[:-1]]


def _by_type(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["type"] == kind]


def test_every_line_parses_and_ends_with_export_summary(
    text: str, objects: list[dict[str, Any]]
) -> None:
    summary = json.loads(text.splitlines()[-1])
    assert summary == {
        "excludedObjects": [],
        "excludedObjectsCount": 0,
        "exportedCount": len(objects),
        "missingRefCount": 0,
        "missingReferences": [],
    }
    for obj in objects:
        assert set(obj) == {
            "attributes",
            "coreMigrationVersion",
            "id",
            "migrationVersion",
            "references",
            "type",
        }
        assert obj["migrationVersion"] == {obj["type"]: "8.0.0"}


def test_ids_unique_and_every_reference_resolves(objects: list[dict[str, Any]]) -> None:
    ids = [o["id"] for o in objects]
    assert len(ids) == len(set(ids))
    by_id = {o["id"]: o for o in objects}
    for obj in objects:
        names = [r["name"] for r in obj["references"]]
        assert len(names) == len(set(names)), obj["id"]
        for ref in obj["references"]:
            assert ref["id"] in by_id, (obj["id"], ref)
            assert by_id[ref["id"]]["type"] == ref["type"]


def test_ids_stable_across_runs_and_inventories(expansion: Expansion, text: str) -> None:
    assert generate_kibana(expansion) == text
    assert generate_kibana(expand(load(EXAMPLE))) == text
    other = expand(load_text(EXAMPLE.read_text().replace("prod-east", "prod-west"), "x.yaml"))
    first = [json.loads(line).get("id") for line in text.splitlines()]
    second = [json.loads(line).get("id") for line in generate_kibana(other).splitlines()]
    assert first == second
    assert object_id("lens", "x") == object_id("lens", "x") != object_id("lens", "y")


def test_data_views_cover_the_sinks_streams(objects: list[dict[str, Any]]) -> None:
    views = {o["attributes"]["title"]: o for o in _by_type(objects, "index-pattern")}
    assert set(views) == {"logs-openstack.*", "events-openstack.*"}
    stream, _, _ = log_document(LogRecord({}, "x", "nova-api"), "default")
    assert fnmatch.fnmatch(stream, "logs-openstack.*")
    events = ElasticsearchOptions.model_validate({"hosts": ["https://127.0.0.1:9200"]})
    assert fnmatch.fnmatch(events.events_stream, "events-openstack.*")
    for view in views.values():
        assert view["attributes"]["timeFieldName"] == "@timestamp"
        json.loads(view["attributes"]["fieldFormatMap"])
    fmt = json.loads(views["logs-openstack.*"]["attributes"]["fieldFormatMap"])
    assert fmt["event.duration"]["params"]["inputFormat"] == "nanoseconds"


def test_saved_searches(objects: list[dict[str, Any]]) -> None:
    searches = {o["attributes"]["title"]: o for o in _by_type(objects, "search")}
    assert set(searches) == {"[osmon] Errors by service", "[osmon] Trace a request id"}
    for obj in searches.values():
        source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
        assert source["query"]["language"] == "kuery"
        assert source["indexRefName"] in {r["name"] for r in obj["references"]}
    errors = searches["[osmon] Errors by service"]["attributes"]
    assert errors["sort"][0] == ["service.name", "asc"]
    assert (
        "log.level"
        in json.loads(errors["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]["query"]
    )
    trace = searches["[osmon] Trace a request id"]["attributes"]
    assert {"openstack.request_id", "openstack.global_request_id"} <= set(trace["columns"])


def test_lens_visualisations(objects: list[dict[str, Any]], expansion: Expansion) -> None:
    lenses = {o["attributes"]["title"]: o for o in _by_type(objects, "lens")}
    services = {s.service_name for s in expansion.log_sources}
    assert set(lenses) == {
        "[osmon] API latency percentiles",
        "[osmon] HTTP 5xx rate",
        *(f"[osmon] {svc}: messages by level" for svc in services),
    }
    for title, obj in lenses.items():
        attrs = obj["attributes"]
        assert attrs["visualizationType"] == "lnsXY"
        state = attrs["state"]
        layers = state["datasourceStates"]["indexpattern"]["layers"]
        refs = {r["name"] for r in obj["references"]}
        assert "indexpattern-datasource-current-indexpattern" in refs
        for layer_id, layer in layers.items():
            assert f"indexpattern-datasource-layer-{layer_id}" in refs
            assert sorted(layer["columnOrder"]) == sorted(layer["columns"])
            buckets = [c for c in layer["columnOrder"] if layer["columns"][c]["isBucketed"]]
            assert layer["columnOrder"][: len(buckets)] == buckets, title
        for vis_layer in state["visualization"]["layers"]:
            columns = layers[vis_layer["layerId"]]["columns"]
            used = [vis_layer["xAccessor"], *vis_layer["accessors"]]
            if "splitAccessor" in vis_layer:
                used.append(vis_layer["splitAccessor"])
            assert set(used) == set(columns), title
    latency = lenses["[osmon] API latency percentiles"]["attributes"]["state"]
    cols = latency["datasourceStates"]["indexpattern"]["layers"]["layer1"]["columns"]
    assert sorted(
        c["params"]["percentile"]
        for c in cols.values()
        if "params" in c and "percentile" in c["params"]
    ) == [50, 95, 99]
    rate = lenses["[osmon] HTTP 5xx rate"]["attributes"]["state"]
    assert rate["query"]["query"] == "http.response.status_code >= 500"


def test_one_dashboard_references_every_visualisation(objects: list[dict[str, Any]]) -> None:
    (dashboard,) = _by_type(objects, "dashboard")
    panels = json.loads(dashboard["attributes"]["panelsJSON"])
    refs = {r["name"]: r for r in dashboard["references"]}
    shown = {refs[p["panelRefName"]]["id"] for p in panels}
    wanted = {o["id"] for o in objects if o["type"] in ("lens", "search")}
    assert shown == wanted
    assert len(panels) == len(refs)
    cells: set[tuple[int, int]] = set()
    for p in panels:
        g = p["gridData"]
        assert g["i"] == p["panelIndex"]
        assert g["x"] >= 0 and g["x"] + g["w"] <= 48
        area = {
            (x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])
        }
        assert not area & cells, "panels overlap"
        cells |= area
        assert p["type"] == refs[p["panelRefName"]]["type"]


def test_generated_notice_in_descriptions(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        if obj["type"] != "index-pattern":
            assert "Generated by osmon" in obj["attributes"]["description"]


def test_cli_bad_inventory_and_check(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = Path(__file__).resolve().parents[1] / "fixtures" / "inventory" / "unknown_key.yaml"
    out = tmp_path / "k.ndjson"
    result = runner.invoke(generate, ["kibana", "-i", str(bad), "-o", str(out)])
    assert result.exit_code == 1 and result.stderr.startswith(f"{bad}:")
    assert "Traceback" not in result.output and not out.exists()
    args = ["kibana", "-i", str(EXAMPLE), "-o", str(out)]
    assert runner.invoke(generate, [*args, "--check"]).exit_code == 1
    assert runner.invoke(generate, args).exit_code == 0
    assert runner.invoke(generate, [*args, "--check"]).exit_code == 0


def test_checked_in_saved_objects_are_current(tmp_path: Path) -> None:
    out = tmp_path / "osmon.ndjson"
    result = CliRunner().invoke(generate, ["kibana", "-i", str(EXAMPLE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert CHECKED_IN.is_file() and out.read_bytes() == CHECKED_IN.read_bytes(), (
        f"kibana/osmon.ndjson is stale; run: {REFRESH}"
    )
