"""``osmon notifications convert`` and ``check`` on Ceilometer's files and foreign exchanges."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from osmon.cli.notifications import notifications

CEILOMETER = Path(__file__).parents[3] / ".." / "shared" / "data" / "ceilometer"


def test_convert_any_exchange_keeps_the_notifications_metadata(tmp_path: Path) -> None:
    note = {
        "event_type": "l3.meter",
        "publisher_id": "somewhere-unknown.h1",
        "priority": "INFO",
        "payload": {"label_id": "l1", "tenant_id": "p", "bytes": 10},
        "metadata": {"message_id": "m-42", "timestamp": "2026-11-30 10:00:00.5"},
    }
    path = tmp_path / "n.json"
    path.write_text(json.dumps(note))
    result = CliRunner().invoke(notifications, ["convert", str(path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    [sample] = out["samples"]
    assert sample[0] == "bandwidth" and sample[2] == 1796032800.5
    event = out["event"]
    assert event[2] == "m-42" and event[1] == 1796032800.5


def test_check_ceilometers_meters_yaml_and_a_file_with_one_bad_definition(tmp_path: Path) -> None:
    ok = CliRunner().invoke(notifications, ["check", str(CEILOMETER / "meters.yaml")])
    assert ok.exit_code == 0 and "38 meter definitions OK" in ok.output
    bad = tmp_path / "m.yaml"
    bad.write_text(
        "metric:\n"
        "  - {name: a, event_type: e, type: gauge, unit: B, volume: 1, resource_id: r}\n"
        "  - {name: b, event_type: '(', type: gauge, unit: B, volume: 1, resource_id: r}\n"
    )
    result = CliRunner().invoke(notifications, ["check", str(bad)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{bad}:3: definition skipped: event_type: invalid regex" in result.output
    assert "1 meter definitions OK, 1 skipped" in result.output
