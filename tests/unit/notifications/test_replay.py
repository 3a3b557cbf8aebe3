"""Loading and pacing of notification files for replay; the notifications CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from osmon.cli.notifications import notifications
from osmon.notifications.replay import (
    LEGACY_TOPIC,
    VERSIONED_TOPIC,
    Notification,
    Publisher,
    ReplayError,
    load_notifications,
    replay,
)

ROOT = Path(__file__).resolve().parents[3]
LEGACY = ROOT / "tests" / "fixtures" / "notifications" / "legacy"
SAMPLES = Path("/work/shared/data/nova-notification-samples")
if not SAMPLES.is_dir():
    SAMPLES = ROOT.parent / "shared" / "data" / "nova-notification-samples"


def test_load_single_list_and_directories(tmp_path: Path) -> None:
    many = tmp_path / "many.json"
    many.write_text(
        json.dumps(
            [
                {"event_type": "a.b", "publisher_id": "compute.h", "payload": {}},
                {
                    "event_type": "c.d",
                    "publisher_id": "compute.h",
                    "payload": {},
                    "priority": "WARNING",
                },
            ]
        )
    )
    found = load_notifications([many, LEGACY / "glance-image.upload.json"])
    assert [n.event_type for n in found] == ["a.b", "c.d", "image.upload"]
    assert found[1].priority == "warn" and found[0].priority == "info"
    assert found[1].origin.endswith("many.json[1]")
    assert len(load_notifications([LEGACY])) == 22
    assert len(load_notifications([SAMPLES])) == 140


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"event_type": "a", "payload": {}}, "missing publisher_id"),
        ({"publisher_id": "p", "payload": {}, "priority": "LOUD"}, "unknown priority"),
        ({"publisher_id": "p", "payload": {}, "ctxt": "x"}, "ctxt must be an object"),
        (["text"], r"\[0\]: expected a JSON object"),
    ],
)
def test_bad_files_name_the_file(tmp_path: Path, doc: Any, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ReplayError, match=message):
        load_notifications([path])


class FakePublisher(Publisher):
    def __init__(self) -> None:
        super().__init__("rabbit://127.0.0.1:1/")
        self.sent: list[tuple[str, str, Notification]] = []

    def publish(self, n: Notification) -> None:
        exchange, topic = self.route(n)
        self.sent.append((exchange, topic, n))


def test_routing_topics_and_exchanges() -> None:
    pub = FakePublisher()
    versioned = load_notifications([SAMPLES / "instance-create-end.json"])[0]
    legacy = load_notifications([LEGACY / "cinder-volume.create.end.json"])[0]
    assert pub.route(versioned) == ("nova", VERSIONED_TOPIC)
    assert pub.route(legacy) == ("cinder", LEGACY_TOPIC)
    with pytest.raises(ReplayError, match="cannot tell the exchange"):
        pub.route(Notification("m.x", "mystery.h", "info", {}))
    pub.exchange, pub.topic = "nova", "t"
    assert pub.route(Notification("m.x", "mystery.h", "info", {})) == ("nova", "t")
    pub.close()


def test_replay_paces_and_repeats() -> None:
    pub = FakePublisher()
    notes = load_notifications(
        [LEGACY / "glance-image.upload.json", LEGACY / "glance-image.delete.json"]
    )
    slept: list[float] = []
    sent = replay(notes, pub, rate=1000.0, repeat=3, sleep=slept.append)
    assert sent == 6 and len(pub.sent) == 6
    assert slept and all(0 < s <= 6 * 0.001 for s in slept)  # the fake sleep does not advance time
    bad = [*notes, Notification("m.x", "mystery.h", "info", {})]
    with pytest.raises(ReplayError):
        replay(bad, pub)
    assert len(pub.sent) == 6, "nothing is sent when one notification cannot be routed"
    pub.close()


def test_cli_check_and_convert(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(notifications, ["check"])
    assert ok.exit_code == 0 and "meter definitions OK" in ok.output
    bad = tmp_path / "m.yaml"
    bad.write_text("metric:\n  - name: a\n")
    failed = runner.invoke(notifications, ["check", str(bad)])
    assert failed.exit_code == 1
    assert f"{bad}:2:" in failed.output and "Traceback" not in failed.output
    conv = runner.invoke(notifications, ["convert", str(LEGACY / "glance-image.upload.json")])
    assert conv.exit_code == 0
    line = json.loads(conv.output)
    assert line["exchange"] == "glance" and line["samples"][0][0] == "image.size"


def test_cli_replay_reports_bad_input_without_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "x.json"
    broken.write_text("{nope")
    result = CliRunner().invoke(notifications, ["replay", str(broken)])
    assert result.exit_code == 1
    assert "invalid JSON" in result.output and "Traceback" not in result.output
