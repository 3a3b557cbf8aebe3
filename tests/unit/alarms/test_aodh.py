"""The Aodh side without a server: pagination, errors as one safe line, apply going on."""

from __future__ import annotations

from typing import Any

import pytest

from osmon.alarms import AodhAPI, AodhError, Change, Plan, apply_plan


class FakeAlarms:
    def __init__(self, count: int) -> None:
        self.items = [{"alarm_id": f"id{i:04d}", "name": f"a{i:04d}"} for i in range(count)]
        self.calls: list[dict[str, Any]] = []
        self.created: list[dict[str, Any]] = []

    def list(self, limit: int, marker: str | None, sorts: list[str]) -> list[dict[str, Any]]:
        self.calls.append({"limit": limit, "marker": marker, "sorts": sorts})
        start = 0 if marker is None else int(marker[2:]) + 1
        return self.items[start : start + limit]

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        if body["name"] == "bad":
            raise RuntimeError(
                "Invalid input for field/attribute x. http://h/v1/alarms/aodh/SECRET"
            )
        self.created.append(body)
        return body

    def delete(self, alarm_id: str) -> None:
        raise ConnectionError("Unable to establish connection to http://u:pw@aodh:8042")


class FakeClient:
    def __init__(self, count: int) -> None:
        self.alarm = FakeAlarms(count)


def test_every_page_is_read() -> None:
    client = FakeClient(250)
    got = AodhAPI(client).alarms()
    assert len(got) == 250
    assert [c["marker"] for c in client.alarm.calls] == [None, "id0099", "id0199"]


def test_apply_goes_on_after_a_failure_and_redacts() -> None:
    client = FakeClient(0)
    plan = Plan(
        (
            Change("create", "bad", body={"name": "bad"}),
            Change("create", "good", body={"name": "good"}),
            Change("delete", "old", alarm_id="id-old"),
        )
    )
    outcomes = list(apply_plan(plan, AodhAPI(client)))
    assert [error is None for _c, error in outcomes] == [False, True, False]
    assert client.alarm.created == [{"name": "good"}]
    errors = [error or "" for _c, error in outcomes]
    assert errors[0] == (
        "Aodh: create: RuntimeError: Invalid input for field/attribute x. "
        "http://h/v1/alarms/aodh/***"
    )
    assert errors[2] == (
        "Aodh: delete: ConnectionError: Unable to establish connection to http://u:***@aodh:8042"
    )


def test_a_failed_list_is_an_aodh_error() -> None:
    class Broken:
        class alarm:  # aodhclient's attribute name
            @staticmethod
            def list(**_: Any) -> Any:
                raise OSError("refused")

    with pytest.raises(AodhError, match=r"^Aodh: list alarms: OSError: refused$"):
        AodhAPI(Broken()).alarms()
