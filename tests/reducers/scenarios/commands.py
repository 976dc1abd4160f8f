"""Operator commands (``roost promote``, ``abort``, ``retry``, ``pause``, ``resume``) as scenarios.

Roost's own, not Flagger's: each command is a script step (``command: {command, by}``), observed
until a tick handles it; every expectation names who asked, as the events and alerts must.
"""

from __future__ import annotations

from typing import Any

from tests.reducers.scenarios.base import (
    COPYING,
    FAIL_METRIC,
    STARTING,
    SUCCEEDED,
    TEST_START,
    Expect,
    Scenario,
    advance,
    canary,
    hook,
    in_test,
)

SCALING_UP = "New revision detected! Scaling up podinfo.test"
PROMOTE_TEXT = "Promotion of podinfo.test requested by alice: skipping the remaining analysis"
PROMOTE_ALERT = ("info", "Promotion requested by alice, skipping the remaining analysis.")


def command(name: str, by: str = "alice", **step: Any) -> dict[str, Any]:
    return {"command": {"command": name, "by": by}, **step}


def _promote_mid_analysis() -> Scenario:
    script = [*TEST_START, {}, {}, command("promote"), {"repeat": 3}]
    expect = {
        4: Expect("Progressing", 20, routes=(80, 20, False)),
        5: Expect(
            "Promoting",
            20,
            0,
            routes=(80, 20, False),
            events=(PROMOTE_TEXT, in_test(COPYING)),
            alerts=(PROMOTE_ALERT,),
        ),
        6: Expect("Finalising", 0, routes=(100, 0, False)),
        7: Expect("Succeeded", 0, events=(in_test(SUCCEEDED),)),
        8: Expect("Succeeded", events=(), alerts=()),
    }
    return Scenario("C1 promote mid-analysis", canary(namespace="test"), script, expect)


def _promote_past_the_promotion_gate() -> Scenario:
    doc = canary(
        {"maxWeight": 20, "webhooks": [hook("gate", "confirm-promotion")]}, namespace="test"
    )
    script = [{"webhooks": {"gate": 403}}, TEST_START[1], {"repeat": 3}, command("promote")]
    script.append({"repeat": 2})
    expect = {
        5: Expect("WaitingPromotion", 20),
        6: Expect("Promoting", 20, events=(PROMOTE_TEXT, in_test(COPYING))),
        8: Expect("Succeeded"),
    }
    # the closed gate is asked once (T5) and never again: the command skips it
    hooks = {"confirm-promotion": ["Progressing"]}
    return Scenario("C2 promote past a closed confirm-promotion gate", doc, script, expect, hooks)


def _promote_past_the_rollout_gate() -> Scenario:
    doc = canary({"webhooks": [hook("gate", "confirm-rollout")]}, namespace="test")
    script = [{"webhooks": {"gate": 403}}, TEST_START[1], command("promote"), {"repeat": 2}]
    expect = {
        2: Expect("Waiting"),
        3: Expect(
            "Promoting",
            0,
            events=(PROMOTE_TEXT, SCALING_UP, in_test(COPYING)),
            alerts=(PROMOTE_ALERT, ("info", "New revision detected, progressing canary analysis.")),
        ),
        5: Expect("Succeeded"),
    }
    return Scenario("C3 promote a run waiting for confirm-rollout", doc, script, expect)


def _abort() -> Scenario:
    script = [*TEST_START, {}, command("abort", by="bob"), {"repeat": 2}]
    expect = {
        4: Expect(
            "Failed",
            0,
            0,
            routes=(100, 0, False),
            events=(
                "Rolling back podinfo.test: abort requested by bob",
                "Canary failed! Scaling down podinfo.test",
            ),
            alerts=(("warn", "Rolling back, abort requested by bob."),),
        ),
        # the command is handled once; the failed revision does not run again by itself
        5: Expect("Failed", events=(), alerts=()),
        6: Expect("Failed", events=()),
    }
    return Scenario("C4 abort mid-analysis", canary(namespace="test"), script, expect)


def _retry() -> Scenario:
    doc = canary({"threshold": 1, "metrics": [FAIL_METRIC]}, namespace="test")
    script = [
        {"metrics": {"fail": 100}},
        TEST_START[1],
        {"repeat": 3},
        {"metrics": {"fail": 10}},
        command("retry", by="dave"),
        {"repeat": 9},
    ]
    expect = {
        5: Expect("Failed"),
        6: Expect("Failed", events=(), alerts=()),
        7: Expect(
            "Progressing",
            0,
            0,
            events=(
                "Retry of podinfo.test requested by dave: running the failed revision again",
                SCALING_UP,
            ),
        ),
        8: Expect("Progressing", 10, events=(in_test(STARTING), advance(10, "test"))),
        15: Expect("Succeeded", events=(in_test(SUCCEEDED),)),
    }
    return Scenario("C5 retry a failed revision", doc, script, expect)


def _refused() -> list[Scenario]:
    ignoring = "Ignoring {} of podinfo.test requested by alice: {}"
    after_success = [*TEST_START, {"repeat": 9}, command("promote"), command("retry")]
    found = [
        Scenario(
            "C6 promote and retry after a success are ignored",
            canary({"maxWeight": 10}, namespace="test"),
            after_success,
            {
                12: Expect(
                    "Succeeded",
                    events=(
                        ignoring.format(
                            "promote", "no run in progress that can be promoted (phase Succeeded)"
                        ),
                    ),
                    alerts=(),
                ),
                13: Expect(
                    "Succeeded",
                    events=(
                        ignoring.format("retry", "the last run did not fail (phase Succeeded)"),
                    ),
                ),
            },
        ),
        Scenario(
            "C7 retry after the target moved back is ignored",
            canary(namespace="test"),
            [
                *TEST_START,
                command("abort"),
                {"target": {"revision": "v1"}},
                command("retry"),
            ],
            {
                3: Expect("Failed"),
                5: Expect(
                    "Failed",
                    events=(
                        ignoring.format("retry", "the target no longer runs the failed revision"),
                    ),
                ),
            },
        ),
        Scenario(
            "C8 promote while suspended is ignored",
            canary(namespace="test"),
            [*TEST_START, {"spec": {"suspend": True}}, command("promote")],
            {
                4: Expect(
                    "Progressing",
                    0,
                    events=(
                        ignoring.format("promote", "the canary is suspended (roost resume first)"),
                        "skipping canary run as object is suspended",
                    ),
                ),
            },
        ),
    ]
    return found


def _pause_and_resume() -> Scenario:
    script = [
        *TEST_START,
        {},
        command("pause", by="carol", spec={"suspend": True}),
        {},
        command("resume", by="carol", spec={"suspend": False}),
    ]
    suspended = "skipping canary run as object is suspended"
    expect = {
        4: Expect(
            "Progressing", 10, events=("Pause of podinfo.test requested by carol", suspended)
        ),
        5: Expect("Progressing", 10, events=(suspended,)),
        6: Expect(
            "Progressing",
            20,
            events=("Resume of podinfo.test requested by carol", advance(20, "test")),
        ),
    }
    return Scenario("C9 pause and resume record who", canary(namespace="test"), script, expect)


def command_scenarios() -> list[Scenario]:
    return [
        _promote_mid_analysis(),
        _promote_past_the_promotion_gate(),
        _promote_past_the_rollout_gate(),
        _abort(),
        _retry(),
        *_refused(),
        _pause_and_resume(),
    ]
