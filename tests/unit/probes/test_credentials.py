"""Reading a probe's login when it runs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from osmon.checks.state import State
from osmon.inventory.expansion import Credentials, Probe
from osmon.probes import ProbeFailed
from osmon.probes.credentials import Login, login

TARGET = Probe(
    id="galera/galera@ctl1",
    service="galera",
    service_type="galera",
    name="galera",
    type="galera",
    host="ctl1",
    address="127.0.0.1",
    port=3306,
    url=None,
    interval=30.0,
    timeout=5.0,
    expected_status=(),
    tls_verify=True,
    ca_file=None,
    server_name=None,
    thresholds={},
    contacts=(),
)


def with_login(**kwargs: str | None) -> Probe:
    fields = {"username": "osmon", "password_env": None, "password_file": None, "option_file": None}
    fields.update(kwargs)
    return dataclasses.replace(TARGET, credentials=Credentials(**fields))


def test_none_without_credentials() -> None:
    assert login(TARGET) is None


def test_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PW", "s3cret")
    assert login(with_login(password_env="PW")) == Login("osmon", "s3cret")
    monkeypatch.delenv("PW")
    with pytest.raises(ProbeFailed) as info:
        login(with_login(password_env="PW"))
    assert (info.value.state, info.value.summary) == (
        State.UNKNOWN,
        "password variable PW is not set",
    )


def test_from_file_first_line(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret\nignored\n")
    assert login(with_login(password_file=str(secret))) == Login("osmon", "s3cret")
    with pytest.raises(ProbeFailed) as info:
        login(with_login(password_file=str(tmp_path / "absent")))
    assert info.value.state == State.UNKNOWN
    assert (
        info.value.summary
        == f"cannot read password file {tmp_path}/absent: No such file or directory"
    )


def test_option_file_is_passed_on_when_readable(tmp_path: Path) -> None:
    cnf = tmp_path / "x.cnf"
    cnf.write_text("[client]\nuser=u\n")
    assert login(with_login(username=None, option_file=str(cnf))) == Login(None, None, str(cnf))
    with pytest.raises(ProbeFailed) as info:
        login(with_login(username=None, option_file=str(tmp_path / "none.cnf")))
    assert info.value.summary == f"cannot read option file {tmp_path}/none.cnf"
