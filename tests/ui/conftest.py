"""Dashboard tests: ledgers written by real simulations, served by the real HTTP server.

``ui_ledger`` holds four canaries, recorded once per module (a few hundred ms): ``test/podinfo``
succeeded, ``test/podinfo-failing`` rolled back (halts, then the rollback), ``prod/frontend``
with two runs (one succeeded, one open mid-analysis), and ``edge/<hostile>`` whose name and
Kubernetes event carry markup, copied event by event from a real stream.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from controller.simulation import load_script, simulate
from controller.ui.serving import Dashboard, DashboardServer
from controller.ui.sources import LedgerSource, open_read_only
from ledger import Ledger, NewEvent
from reducers.spec import Canary

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
HOSTILE = '<script>alert("x")</script>&<b>'
HOSTILE_NS = "edge"


def _example(name: str) -> Any:
    return yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))


def _canary(namespace: str, name: str) -> Canary:
    doc = copy.deepcopy(_example("podinfo-canary.yaml"))
    doc["metadata"] = {"name": name, "namespace": namespace}
    return Canary.model_validate(doc)


TWO_RUNS = {
    "ticks": [
        {},
        {"target": {"revision": "v2"}},
        {"repeat": 12},
        {"target": {"revision": "v3"}},
        {"repeat": 3},
    ]
}


def _copy_hostile(ledger: Ledger, source: str) -> None:
    """The events of ``source`` under a stream named with markup (names the API would refuse,
    but a ledger is a file anyone can write)."""
    batch = []
    for stored in ledger.read_stream(source):
        payload = stored.payload
        if payload.get("name") == "podinfo":
            payload["name"] = HOSTILE
        if payload.get("namespace") == "test":
            payload["namespace"] = HOSTILE_NS
        if stored.type == "canary.kube-event":
            payload["message"] = f"{HOSTILE} {payload['message']}"
        batch.append(NewEvent(stored.type, payload, stored.occurred_at, stored.schema_version))
    ledger.append(f"canary/{HOSTILE_NS}/{HOSTILE}", batch, expected_version=0)


@pytest.fixture(scope="module")
def ui_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ui") / "ledger.db"
    failing = load_script(_example("podinfo-failing-script.yaml"))
    with Ledger.open(str(path)) as ledger:
        simulate(_canary("test", "podinfo"), None, ledger=ledger)
        simulate(_canary("test", "podinfo-failing"), failing, ledger=ledger)
        simulate(_canary("prod", "frontend"), load_script(TWO_RUNS), ledger=ledger)
        _copy_hostile(ledger, "canary/test/podinfo")
    return path


@pytest.fixture
def server(ui_ledger: Path) -> Iterator[DashboardServer]:
    """The dashboard over ``ui_ledger`` on a free loopback port, stopped after the test."""
    running = DashboardServer(Dashboard(LedgerSource(open_read_only(str(ui_ledger)))), port=0)
    running.start()
    try:
        yield running
    finally:
        running.stop()
