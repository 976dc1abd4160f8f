"""Ledgers for the audit tests, written by real simulations of the podinfo example.

Several canaries in two namespaces, covering every run outcome: succeeded, failed (failed checks,
an operator's abort, a promotion that failed), superseded by a new revision, terminated by
deletion, and one still running; a gate held closed then opened; a spec change; a canary with a
second run after a success.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from controller.simulation import load_script, simulate
from ledger import Ledger
from reducers.spec import Canary
from tests.history.conftest import example

FAILING = example("podinfo-failing-script.yaml")["ticks"]
START = [{}, {"target": {"revision": "v2"}}]

SCRIPTS: dict[str, tuple[str, list[Any] | None, dict[str, Any]]] = {
    "healthy": ("test", None, {}),
    "failing": ("test", FAILING, {}),
    "restarted": ("test", [*START, {}, {}, {"target": {"revision": "v3"}}, {"repeat": 12}], {}),
    "gated": (
        "test",
        [
            *START,
            {"webhooks": {"approve-promotion": 403}, "repeat": 8},
            {"webhooks": {"approve-promotion": 200}, "repeat": 4},
        ],
        {},
    ),
    "promotion": (
        "prod",
        [*START, {"repeat": 7}, {"primary": {"ready": False, "deadlineExceeded": True}}]
        + [{"repeat": 4}],
        {},
    ),
    "tuned": (
        "prod",
        [*START, {"repeat": 2}, {"spec": {"analysis": {"threshold": 2, "maxWeight": 30}}}]
        + [{"repeat": 10}],
        {},
    ),
    "aborted": (
        "prod",
        [*START, {"repeat": 2}, {"command": {"command": "abort", "by": "alice"}}, {"repeat": 3}],
        {},
    ),
    "deleted": (
        "prod",
        [*START, {"repeat": 2}, {"delete": True}, {"repeat": 3}],
        {"revertOnDeletion": True},
    ),
    "ongoing": ("test", [*START, {"repeat": 2}], {}),
    "twice": (
        "test",
        [*START, {"repeat": 10}, {"target": {"revision": "v3"}}, {"repeat": 2}]
        + [{"metrics": {"request-duration": 1515}, "repeat": 7}],
        {},
    ),
}


def canary(name: str, namespace: str, spec: dict[str, Any]) -> Canary:
    doc = copy.deepcopy(example("podinfo-canary.yaml"))
    doc["metadata"] = {"name": name, "namespace": namespace}
    doc["spec"].update(spec)
    return Canary.model_validate(doc)


def fill(location: str) -> None:
    """Simulate every scripted canary into the ledger at ``location``."""
    with Ledger.open(location) as ledger:
        for name, (namespace, script, spec) in SCRIPTS.items():
            simulate(
                canary(name, namespace, spec),
                None if script is None else load_script(script),
                ledger=ledger,
            )


def build(path: Path) -> Path:
    fill(str(path))
    return path
