"""The webhook URL and its secret: read from the environment or a file, never printed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from osmon.alarms import (
    Change,
    FieldChange,
    Plan,
    SecretError,
    action_url,
    read_secret,
    redact,
    to_json,
    to_text,
)

SECRET = "Zq8-very-secret-token-4711"


def test_action_url_and_redaction() -> None:
    url = action_url("https://osmon.example:9790/", SECRET)
    assert url == f"https://osmon.example:9790/v1/alarms/aodh/{SECRET}"
    assert redact(url) == "https://osmon.example:9790/v1/alarms/aodh/***"
    assert redact(action_url("http://u:pw@h:1", SECRET)) == "http://u:***@h:1/v1/alarms/aodh/***"
    assert action_url("http://h", "a/b c").endswith("/v1/alarms/aodh/a%2Fb%20c")
    with pytest.raises(ValueError, match="not an http"):
        action_url("ftp://h", SECRET)


def test_secret_from_env_or_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK", f" {SECRET}\n")
    assert read_secret("HOOK", None) == SECRET
    path = tmp_path / "secret"
    path.write_text(f"{SECRET}\nignored\n")
    assert read_secret(None, path) == SECRET


@pytest.mark.parametrize(
    ("env", "file", "message"),
    [
        ("UNSET_VAR_X", None, "environment variable UNSET_VAR_X (the webhook secret) is not set"),
        ("SHORT", None, "shorter than 16 characters"),
        (None, "/nonexistent/secret", "cannot read the webhook secret"),
        ("SHORT", "/x", "give the webhook secret through one"),
    ],
)
def test_secret_errors_never_hold_it(
    env: str | None, file: str | None, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHORT", "tiny")
    monkeypatch.delenv("UNSET_VAR_X", raising=False)
    with pytest.raises(SecretError, match=re.escape(message)) as info:
        read_secret(env, file)
    assert "tiny" not in str(info.value)


def test_reports_redact_the_token_and_say_it_changed() -> None:
    old = action_url("http://h:1", "old-token-0123456789")
    new = action_url("http://h:1", SECRET)
    body = {"name": "osmon-c-a", "type": "event", "severity": "low", "alarm_actions": [new]}
    plan = Plan(
        (
            Change("create", "osmon-c-b", body=body),
            Change(
                "update",
                "osmon-c-a",
                alarm_id="id",
                body=body,
                fields=(FieldChange("alarm_actions", [old], [new]),),
            ),
        ),
        unchanged=("osmon-c-x",),
        kept=("osmon-c-old",),
    )
    text = to_text(plan, "c")
    doc = to_json(plan, "c")
    for out in (text, doc):
        assert SECRET not in out and "old-token" not in out
    assert text.splitlines() == [
        "Aodh alarms of cloud 'c' (1 to create, 1 to update, 0 to delete, 1 unchanged)",
        "+ create osmon-c-b (event, low)",
        "~ update osmon-c-a (id)",
        '    alarm_actions: ["http://h:1/v1/alarms/aodh/***"] -> '
        '["http://h:1/v1/alarms/aodh/***"]  (secret changed)',
        "  kept osmon-c-old: not in the inventory any more (--prune deletes it)",
    ]
    parsed = json.loads(doc)
    assert parsed["changes"][1]["fields"][0]["note"] == "secret changed"
    assert parsed["changes"][0]["body"]["alarm_actions"] == ["http://h:1/v1/alarms/aodh/***"]
    assert (parsed["unchanged"], parsed["kept"]) == (["osmon-c-x"], ["osmon-c-old"])
    applied = to_text(plan, "c", [(plan.changes[0], None), (plan.changes[1], f"boom {new}")])
    assert SECRET not in applied and "FAILED: boom http://h:1/v1/alarms/aodh/***" in applied
