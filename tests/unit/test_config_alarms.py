"""The config's ``alarms`` section and the listener's exposure rule (TLS off loopback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from osmon.config import ConfigError, is_loopback, load_config
from osmon.records import Kind


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "osmon.yaml"
    path.write_text("inventory: inventory.yaml\n" + text)
    return path


@pytest.mark.parametrize("listen", ["0.0.0.0", "10.0.0.11", "::", "ctl1.example.org"])
def test_non_loopback_without_tls_is_refused_with_its_line(tmp_path: Path, listen: str) -> None:
    path = write(tmp_path, f"http:\n  listen: '{listen}'\n  port: 9790\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    [problem] = info.value.problems
    assert problem.startswith(f"{path}:2: http: ")
    assert "not a loopback address" in problem and "allow_insecure" in problem


@pytest.mark.parametrize(
    "extra",
    ["  allow_insecure: true\n", "  tls: {cert: /etc/osmon/cert.pem, key: /etc/osmon/key.pem}\n"],
)
def test_non_loopback_with_tls_or_said_insecure_is_accepted(tmp_path: Path, extra: str) -> None:
    cfg = load_config(write(tmp_path, "http:\n  listen: 0.0.0.0\n" + extra))
    assert cfg.http.listen == "0.0.0.0"


@pytest.mark.parametrize("address", ["127.0.0.1", "127.1.2.3", "::1", "localhost"])
def test_loopback_addresses(address: str) -> None:
    assert is_loopback(address)


def test_alarms_requires_the_secret_variable_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "alarms: {max_body_bytes: 4096}\n"))
    assert "alarms.webhook_secret_env: Field required" in info.value.problems[0]


def test_forward_targets_are_parsed_not_routed(tmp_path: Path) -> None:
    """The daemon builds their sinks behind a router of its own (``build_forward``)."""
    cfg = load_config(
        write(
            tmp_path,
            "sinks: {archive: {type: jsonl, path: a.jsonl}}\n"
            "routes: {event: [archive]}\n"
            "alarms:\n"
            "  webhook_secret_env: OSMON_ALARM_SECRET\n"
            "  forward:\n"
            "    - {url: 'http://127.0.0.1:1/hook', headers_env: {X-Token: HOOK_TOKEN}}\n",
        )
    )
    assert cfg.alarms is not None
    [hook] = cfg.alarms.forward
    assert (hook.url, hook.headers_env) == ("http://127.0.0.1:1/hook", {"X-Token": "HOOK_TOKEN"})
    assert set(cfg.sinks) == {"archive"} and cfg.routes[Kind.EVENT] == ["archive"]


def test_unknown_forward_key_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "alarms:\n  webhook_secret_env: S\n  forward:\n    - {url: 'http://h/', token: x}\n",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [
        f"{path}:5: alarms.forward.0.token: Extra inputs are not permitted"
    ]
