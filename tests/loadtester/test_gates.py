"""Gates and rollback switches: Flagger's answers, persistence and the log of who did what."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import pytest

from controller.loadtester import ACTOR_HEADER, LoadTesterThread
from tests.loadtester.conftest import payload, settings_for


def test_health_approve_and_halt(client: httpx.Client) -> None:
    assert (client.get("/healthz").status_code, client.get("/healthz").text) == (200, "OK")
    assert (client.post("/gate/approve").status_code, client.put("/gate/approve").text) == (
        200,
        "OK",
    )
    halted = client.post("/gate/halt", json=payload())
    assert (halted.status_code, halted.text) == (403, "Forbidden")


@pytest.mark.parametrize("kind", ["gate", "rollback"])
def test_switch_opens_and_closes(client: httpx.Client, kind: str) -> None:
    check = client.post(f"/{kind}/check", json=payload())
    assert (check.status_code, check.text) == (403, "Forbidden")
    opened = client.post(f"/{kind}/open", json=payload())
    assert (opened.status_code, opened.text) == (202, "")
    check = client.post(f"/{kind}/check", json=payload())
    assert (check.status_code, check.text) == (200, "Approved")
    assert client.post(f"/{kind}/close", json=payload()).status_code == 202
    assert client.post(f"/{kind}/check", json=payload()).status_code == 403


def test_gate_and_rollback_are_separate(client: httpx.Client) -> None:
    client.post("/rollback/open", json=payload())
    assert client.post("/gate/check", json=payload()).status_code == 403
    assert client.post("/rollback/check", json=payload(namespace="other")).status_code == 403


def test_log_records_who_and_when(client: httpx.Client) -> None:
    client.post("/gate/open", json=payload(), headers={ACTOR_HEADER: "alice"})
    client.post("/gate/close", json=payload(), params={"actor": "bob"})
    client.post("/rollback/open", json=payload())
    log = client.get("/gate/log").json()
    assert [(e["key"], e["action"], e["actor"]) for e in log] == [
        ("podinfo.test", "open", "alice"),
        ("podinfo.test", "close", "bob"),
        ("rollback.podinfo.test", "open", "127.0.0.1"),
    ]
    assert all(datetime.fromisoformat(e["at"]).tzinfo is not None for e in log)
    only = client.get("/gate/log", params={"key": "rollback.podinfo.test"}).json()
    assert [e["actor"] for e in only] == ["127.0.0.1"]
    newer = client.get("/gate/log", params={"after": log[0]["id"]}).json()
    assert [e["id"] for e in newer] == [log[1]["id"], log[2]["id"]]


def test_gates_survive_a_restart(gate_db: Path) -> None:
    with (
        LoadTesterThread(settings_for(gate_db)) as first,
        httpx.Client(base_url=first.url) as c,
    ):
        assert (
            c.post("/gate/open", json=payload(), headers={ACTOR_HEADER: "alice"}).status_code == 202
        )
    with (
        LoadTesterThread(settings_for(gate_db)) as second,
        httpx.Client(base_url=second.url) as c,
    ):
        assert c.post("/gate/check", json=payload()).text == "Approved"
        assert [e["actor"] for e in c.get("/gate/log").json()] == ["alice"]


def test_namespace_restriction(gate_db: Path) -> None:
    with (
        LoadTesterThread(settings_for(gate_db, namespace_regexp="^prod-")) as server,
        httpx.Client(base_url=server.url) as c,
    ):
        denied = c.post("/gate/open", json=payload(namespace="test"))
        assert (denied.status_code, denied.text) == (403, "Forbidden")
        task = c.post("/", json=payload(namespace="test", type="bash", cmd="true"))
        assert task.status_code == 403
        assert c.post("/gate/open", json=payload(namespace="prod-eu")).status_code == 202
        assert c.get("/gate/log").json()[0]["key"] == "podinfo.prod-eu"


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b""])
def test_invalid_payload_is_400(client: httpx.Client, body: bytes) -> None:
    answer = client.post("/gate/check", content=body)
    assert (answer.status_code, answer.text) == (400, "")
