"""Initialisation alerts and the derived scenarios of flagger-scenarios §14 (and §10.4)."""

from __future__ import annotations

from typing import Any

from tests.reducers.scenarios.base import (
    FAIL_METRIC,
    SCALING_UP,
    START,
    TEST_START,
    Expect,
    Scenario,
    advance,
    canary,
    hook,
)

# ------------------------------------------------------------------ initialisation and §14


def _init_alerts() -> Scenario:
    alerts = [
        {
            "name": "slack-dev",
            "severity": "info",
            "providerRef": {"name": "slack", "namespace": "default"},
        },
        {"name": "slack-prod", "severity": "info", "providerRef": {"name": "slack"}},
    ]
    doc = canary({"alerts": alerts})
    expect = {
        2: Expect(
            "Initialized",
            alerts=(("info", "New Deployment detected, initialization completed."),),
        )
    }
    return Scenario("S1.5 alerts at initialisation", doc, START[:2], expect)


SUSPENDED = "skipping canary run as object is suspended"


def _suspend(new_revision: bool) -> Scenario:
    doc = canary(namespace="test")
    during: dict[str, Any] = {"target": {"revision": "v3"}} if new_revision else {}
    script = [
        *TEST_START,
        {},
        {},
        {"spec": {"suspend": True}},
        during,
        {"spec": {"suspend": False}},
    ]
    frozen = Expect("Progressing", 20, 0, 0, (80, 20, False), (SUSPENDED,))
    after = (
        Expect(
            "Progressing",
            0,
            0,
            0,
            (100, 0, False),
            ("New revision detected! Restarting analysis for podinfo.test",),
        )
        if new_revision
        else Expect(
            "Progressing", 30, 0, 0, (70, 30, False), ("Advance podinfo.test canary weight 30",)
        )
    )
    expect = {4: Expect("Progressing", 20), 5: frozen, 6: frozen, 7: after}
    name = "S14.1 suspend, new revision meanwhile" if new_revision else "S14.1 suspend"
    return Scenario(name, doc, script, expect)


def _revision_while_promoting() -> Scenario:
    script = [*START, {"repeat": 6}, {"target": {"revision": "v3"}}, {}, {}]
    expect = {
        9: Expect("Promoting"),
        10: Expect("Finalising"),
        11: Expect("Succeeded"),
        12: Expect("Progressing", events=(SCALING_UP,)),
    }
    return Scenario("S14.4 new revision while Promoting", canary(), script, expect)


def _revert_mid_run() -> Scenario:
    script = [*START, {}, {"target": {"revision": "v1"}}, {"repeat": 7}]
    expect = {
        5: Expect("Progressing", 20, events=(advance(20),)),
        11: Expect("Succeeded"),
        12: Expect("Progressing", events=(SCALING_UP,)),
    }
    return Scenario("S14.5 target reverted to the primary's spec", canary(), script, expect)


def _failed_then_new_revision() -> Scenario:
    doc = canary({"threshold": 1})
    doc["spec"]["analysis"]["metrics"].append(FAIL_METRIC)
    script = [*START, {}, {"metrics": {"fail": 100}}, {}, {}, {"target": {"revision": "v3"}}]
    expect = {
        6: Expect("Failed", 0, 0, 0, (100, 0, False)),
        7: Expect("Failed", events=()),
        8: Expect("Progressing", 0, 0, 0, events=(SCALING_UP,)),
    }
    return Scenario("S14.6 Failed, then a new revision", doc, script, expect)


def _threshold_while_waiting_promotion() -> Scenario:
    gate = hook("gate", "confirm-promotion")
    doc = canary({"maxWeight": 20, "threshold": 2, "webhooks": [gate]}, namespace="test")
    doc["spec"]["analysis"]["metrics"].append(FAIL_METRIC)
    script = [{"webhooks": {"gate": 403}}, TEST_START[1], {}, {}, {}, {"metrics": {"fail": 100}}]
    script += [{}, {}]
    expect = {
        5: Expect("WaitingPromotion", 20, 0),
        6: Expect("WaitingPromotion", 20, 1),
        7: Expect("WaitingPromotion", 20, 2),
        8: Expect(
            "Failed",
            0,
            0,
            contains=("Rolling back podinfo.test failed checks threshold reached 2",),
        ),
    }
    return Scenario("S14.7 threshold applies in WaitingPromotion", doc, script, expect)


def _delete(revert: bool) -> Scenario:
    extra = {"revertOnDeletion": True} if revert else {}
    doc = canary(namespace="test", **extra)
    script = [{}, {"delete": True}, {}]
    if revert:
        expect = {
            2: Expect(
                "Terminated",
                events=("Terminating canary podinfo.test", "Terminated canary podinfo.test"),
            ),
            3: Expect("Terminated", events=()),
        }
        return Scenario("S10.4 deletion with revertOnDeletion (fix 13)", doc, script, expect)
    expect = {2: Expect("Initialized", events=()), 3: Expect("Initialized", events=())}
    return Scenario("S14.8 deletion without revertOnDeletion", doc, script, expect)


def _short_circuit() -> Scenario:
    hooks = [hook("a"), hook("b"), hook("c")]
    doc = canary({"webhooks": hooks})
    doc["spec"]["analysis"]["metrics"].insert(0, FAIL_METRIC)
    script = [*START, {}, {"webhooks": {"b": 500}, "metrics": {"fail": 100}}]
    halt = (
        "Halt podinfo.default advancement external check b failed "
        "POST http://flagger-loadtester.test/b giving up after 1 attempt(s)"
    )
    expect = {5: Expect("Progressing", 10, 1, events=(halt,))}
    calls = {"rollout": ["Progressing"] * 2}
    return Scenario("S14.10 rollout hooks and metrics short-circuit", doc, script, expect, calls)


def scenarios_part_three() -> list[Scenario]:
    return [
        _init_alerts(),
        _suspend(False),
        _suspend(True),
        _revision_while_promoting(),
        _revert_mid_run(),
        _failed_then_new_revision(),
        _threshold_while_waiting_promotion(),
        _delete(False),
        _delete(True),
        _short_circuit(),
    ]
