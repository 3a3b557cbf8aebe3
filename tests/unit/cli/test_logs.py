"""``osmon logs parse``: one JSON document per entry, tagged failures, exit status."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from osmon.cli.logs import logs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "logs"


def test_parse_prints_one_document_per_entry() -> None:
    path = FIXTURES / "oslo_traceback.log"
    result = CliRunner().invoke(logs, ["parse", "--service", "nova", str(path)])
    assert result.exit_code == 0, result.output
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(docs) == 5
    assert docs[0]["service"] == {"name": "nova"}
    assert docs[0]["log"]["file"] == {"path": str(path)}
    assert "Traceback" in docs[0]["error"]["stack_trace"]
    assert result.stderr == ""


def test_unparsed_lines_keep_exit_zero_and_are_reported() -> None:
    text = "2024-02-14 16:46:00.101 4242 INFO a.b [-] fine\n2024-02-14 garbage\n"
    result = CliRunner().invoke(
        logs, ["parse", "--format", "oslo", "--timezone", "Asia/Tokyo", "-"], input=text
    )
    assert result.exit_code == 0
    good, bad = (json.loads(line) for line in result.stdout.splitlines())
    assert good["@timestamp"] == "2024-02-14T16:46:00.101+09:00"
    assert bad["tags"] == ["_grokparsefailure"]
    assert bad["event"]["original"] == "2024-02-14 garbage"
    assert "-:2" in result.stderr
    assert "log" not in bad


def test_several_files_and_auto(tmp_path: Path) -> None:
    files = [str(FIXTURES / "uwsgi.log"), str(FIXTURES / "rabbitmq_old.log")]
    result = CliRunner().invoke(logs, ["parse", *files])
    assert result.exit_code == 0
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(docs) == 6
    assert f"{files[0]}:1" in result.stderr


def test_user_errors_are_messages_not_tracebacks(tmp_path: Path) -> None:
    missing = tmp_path / "nope.log"
    result = CliRunner().invoke(logs, ["parse", str(missing)])
    assert result.exit_code == 1
    assert f"cannot read {missing}" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    result = CliRunner().invoke(logs, ["parse", "--timezone", "Nowhere/City", "-"], input="")
    assert result.exit_code == 2
    assert "unknown timezone 'Nowhere/City'" in result.stderr
    result = CliRunner().invoke(logs, ["parse", "--format", "nginx", "-"], input="")
    assert result.exit_code == 2


def test_invalid_utf8_is_replaced(tmp_path: Path) -> None:
    f = tmp_path / "bad.log"
    f.write_bytes(b"2024-02-14 16:46:00.101 4242 INFO a.b [-] caf\xe9\n")
    result = CliRunner().invoke(logs, ["parse", str(f)])
    assert result.exit_code == 0
    (doc,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert doc["message"] == "caf\ufffd"
