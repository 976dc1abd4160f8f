"""Canary-strategy scenarios: flagger-scenarios §2 (ladders, restarts, mirroring) and §3."""

from __future__ import annotations

from typing import Any

from tests.reducers.scenarios.base import (
    COPYING,
    FAIL_METRIC,
    PRIMARY_WAIT,
    PROVIDERS,
    SCALING_UP,
    START,
    STARTING,
    SUCCEEDED,
    Expect,
    Scenario,
    advance,
    canary,
    hook,
    ladder,
)


def _happy_path() -> Scenario:
    expect = {
        1: Expect("Initializing", events=(PROVIDERS, PRIMARY_WAIT)),
        2: Expect("Initialized", events=(PROVIDERS, "Initialization done! podinfo.default")),
        3: Expect("Progressing", 0, 0, 0, (100, 0, False), (SCALING_UP,)),
        4: Expect("Progressing", 10, 0, 0, (90, 10, False), (STARTING, advance(10))),
        **ladder({5: 20, 6: 30, 7: 40, 8: 50}),
        9: Expect("Promoting", 50, 0, 0, (50, 50, False), (COPYING,)),
        10: Expect("Finalising", 0, 0, 0, (100, 0, False), ("Routing all traffic to primary",)),
        11: Expect("Succeeded", 0, 0, 0, (100, 0, False), (SUCCEEDED,)),
    }
    return Scenario("S2.1 happy path", canary(), [*START, {"repeat": 8}], expect)


def _step_weight_promotion() -> Scenario:
    analysis = {"interval": "1m", "threshold": 0, "stepWeight": 100, "stepWeightPromotion": 50}
    primary = "Advance podinfo.default primary weight"
    expect = {
        2: Expect("Initialized"),
        3: Expect("Progressing", 0),
        4: Expect("Progressing", 100, routes=(0, 100, False)),
        5: Expect("Promoting", 100),
        6: Expect("Promoting", 50, routes=(50, 50, False), events=(f"{primary} 50",)),
        7: Expect("Finalising", 0, routes=(100, 0, False), events=(f"{primary} 100",)),
        8: Expect("Succeeded", 0),
    }
    doc = canary(analysis, replace_analysis=True)
    return Scenario("S2.2 stepWeightPromotion", doc, [*START, {"repeat": 5}], expect)


def _every_hook() -> Scenario:
    hooks = [
        hook("pre-rollout-webhook", "pre-rollout"),
        hook("rollout-webhook", "rollout"),
        hook("confirm-promotion-webhook", "confirm-promotion"),
        hook("confirm-rollout-webhook", "confirm-rollout"),
        hook("post-rollout-webhook", "post-rollout"),
        hook("confirm-traffic-increase-webhook", "confirm-traffic-increase"),
        hook("event-webhook", "event"),
    ]
    analysis = {"stepWeight": 100, "stepWeightPromotion": 50, "webhooks": hooks}
    cti = "Confirm-traffic-increase check confirm-traffic-increase-webhook passed"
    expect = {
        1: Expect("Initializing", events=(PROVIDERS, PRIMARY_WAIT)),
        2: Expect("Initialized", events=(PROVIDERS, "Initialization done! podinfo.default")),
        3: Expect(
            "Progressing",
            events=("Confirm-rollout check confirm-rollout-webhook passed", SCALING_UP),
        ),
        4: Expect(
            "Progressing",
            events=(
                STARTING,
                "Pre-rollout check pre-rollout-webhook passed",
                cti,
                advance(100),
            ),
        ),
        5: Expect(
            "Promoting",
            events=(cti, "Confirm-promotion check confirm-promotion-webhook passed", COPYING),
        ),
        6: Expect("Promoting", events=("Advance podinfo.default primary weight 50",)),
        7: Expect("Finalising", events=("Advance podinfo.default primary weight 100",)),
        8: Expect(
            "Succeeded", events=("Post-rollout check post-rollout-webhook passed", SUCCEEDED)
        ),
    }
    calls = {
        "confirm-rollout": ["Initialized"],
        "pre-rollout": ["Progressing"],
        "rollout": ["Progressing"],
        "confirm-traffic-increase": ["Progressing", "Progressing"],
        "confirm-promotion": ["Progressing"],
        "post-rollout": ["Succeeded"],
        "event": [],
    }
    return Scenario("S2.3 every hook", canary(analysis), [*START, {"repeat": 5}], expect, calls)


def _service_ladder(name: str, analysis: dict[str, Any], primaries: list[int]) -> Scenario:
    doc = canary(
        {"interval": "1m", "threshold": 10, **analysis},
        replace_analysis=True,
        targetRef={"apiVersion": "v1", "kind": "Service", "name": "podinfo"},
    )
    doc["spec"]["analysis"]["metrics"] = [
        {"name": "request-success-rate", "threshold": 99, "interval": "1m"},
        {"name": "request-duration", "threshold": 500000, "interval": "1m"},
    ]
    expect = {
        2 + i: Expect("Progressing", routes=(p, 100 - p, False)) for i, p in enumerate(primaries)
    }
    last = 1 + len(primaries)
    expect[last + 1] = Expect("Promoting")
    expect[last + 2] = Expect("Finalising", routes=(100, 0, False))
    expect[last + 3] = Expect("Succeeded", routes=(100, 0, False))
    script = [{}, {"target": {"revision": "v2"}}, {"repeat": len(primaries) + 2}]
    return Scenario(name, doc, script, expect)


def _ladders() -> list[Scenario]:
    return [
        _service_ladder("S2.4a", {"stepWeight": 20, "maxWeight": 50}, [100, 80, 60, 40]),
        _service_ladder("S2.4b", {"stepWeight": 50, "maxWeight": 100}, [100, 50, 0]),
        _service_ladder("S2.4c", {"stepWeights": [1, 2, 10, 80]}, [100, 99, 98, 90, 20]),
        _service_ladder("S2.4d", {"stepWeights": [1, 2, 10, 200]}, [100, 99, 98, 90, 0]),
        _service_ladder(
            "S2.5 stepWeights past maxWeight",
            {"stepWeights": [10, 20, 30, 40, 50, 60], "maxWeight": 50},
            [100, 90, 80, 70, 60, 50, 40],
        ),
        # fix 10: maxWeight above 100 promotes once the weight reaches 100.
        _service_ladder(
            "S2.5 maxWeight 150 (fix 10)",
            {"stepWeight": 60, "maxWeight": 150},
            [
                100,
                40,
                0,
            ],
        ),
    ]


def _no_step() -> Scenario:
    doc = canary({"stepWeight": 0})
    stuck = "Halt podinfo.default advancement stepWeight is 0: the canary weight can never increase"
    expect = {
        4: Expect("Progressing", 0, routes=(100, 0, False), events=(STARTING, stuck)),
        5: Expect("Progressing", 0, events=(STARTING, stuck)),  # pre-rollout repeats
    }
    return Scenario("S2.5 stepWeight 0 (named halt)", doc, [*START, {"repeat": 2}], expect)


def _restart() -> Scenario:
    restart = "New revision detected! Restarting analysis for podinfo.default"
    expect = {
        4: Expect("Progressing", 10, routes=(90, 10, False)),
        5: Expect("Progressing", 0, 0, 0, (100, 0, False), (restart,)),
        6: Expect("Progressing", 10, routes=(90, 10, False), events=(STARTING, advance(10))),
    }
    script = [*START, {}, {"target": {"revision": "v3"}}, {}]
    return Scenario("S2.6 new revision restarts", canary(), script, expect)


def _mirror() -> Scenario:
    expect = {
        4: Expect("Progressing", 0, routes=(100, 0, True), events=(STARTING, advance(0))),
        5: Expect("Progressing", 10, routes=(90, 10, False), events=(advance(10),)),
        **{t: Expect("Progressing", w) for t, w in {6: 20, 7: 30, 8: 40, 9: 50}.items()},
        10: Expect("Promoting", 50),
    }
    return Scenario("S2.8 mirroring", canary({"mirror": True}), [*START, {"repeat": 7}], expect)


def _threshold() -> Scenario:
    doc = canary()
    doc["spec"]["analysis"]["metrics"].append(FAIL_METRIC)
    halt = "Halt podinfo.default advancement fail 100.00 > 50"
    expect: dict[int, Expect] = {4: Expect("Progressing", 10, 0)}
    for n in range(1, 11):
        expect[4 + n] = Expect("Progressing", 10, n, routes=(90, 10, False), events=(halt,))
    expect[15] = Expect(
        "Failed",
        0,
        0,
        0,
        (100, 0, False),
        (
            "Rolling back podinfo.default failed checks threshold reached 10",
            "Canary failed! Scaling down podinfo.default",
        ),
        alerts=(("error", "Failed checks threshold reached 10"),),
    )
    script = [{**START[0], "metrics": {"fail": 100}}, *START[1:], {"repeat": 12}]
    return Scenario("S3.2 threshold counting", doc, script, expect)


def _cumulative() -> Scenario:
    doc = canary({"threshold": 3})
    doc["spec"]["analysis"]["metrics"].append(FAIL_METRIC)
    bad, good = {"metrics": {"fail": 100}}, {"metrics": {"fail": 10}}
    script = [*START, {}, bad, good, bad, good, bad, good]
    expect = {
        5: Expect("Progressing", 10, 1),
        6: Expect("Progressing", 20, 1),
        7: Expect("Progressing", 20, 2),
        8: Expect("Progressing", 30, 2),
        9: Expect("Progressing", 30, 3),
        10: Expect("Failed", 0, 0),
    }
    return Scenario("S3.3 failedChecks cumulative", doc, script, expect)


def _survives_success() -> Scenario:
    doc = canary()
    doc["spec"]["analysis"]["metrics"].append(FAIL_METRIC)
    script = [*START, {}, {"metrics": {"fail": 100}}, {"metrics": {"fail": 0}, "repeat": 7}]
    script.append({"target": {"revision": "v3"}})
    expect = {
        5: Expect("Progressing", 10, 1),
        10: Expect("Promoting", 50, 1),
        12: Expect("Succeeded", 0, 1, 0),
        13: Expect(
            "Progressing", 0, 0, 0, events=("New revision detected! Scaling up podinfo.default",)
        ),
    }
    return Scenario("S3.4 failedChecks survives success", doc, script, expect)


def _pre_rollout_failure(status: int, error: str) -> Scenario:
    doc = canary({"threshold": 2, "webhooks": [hook("pre", "pre-rollout")]})
    halt = f"Halt podinfo.default advancement pre-rollout check pre failed {error}"
    script = [{**START[0], "webhooks": {"pre": status}}, *START[1:], {"repeat": 3}]
    expect = {
        4: Expect("Progressing", 0, 1, events=(STARTING, halt)),
        5: Expect("Progressing", 0, 2, events=(STARTING, halt)),
        6: Expect("Failed", 0, 0, routes=(100, 0, False)),
    }
    return Scenario(f"S3.5 pre-rollout {status}", doc, script, expect)


def _rollout_hook_failure() -> Scenario:
    doc = canary({"webhooks": [hook("load")]})
    halt = "Halt podinfo.default advancement external check load failed Forbidden"
    script = [*START, {}, {}, {"webhooks": {"load": 403}}]
    expect = {
        5: Expect("Progressing", 20, 0),
        6: Expect("Progressing", 20, 1, routes=(80, 20, False), events=(halt,)),
    }
    return Scenario("S3.6 rollout hook failure", doc, script, expect)


PRIMARY_DEAD = 'podinfo-primary.default not ready: deployment "podinfo-primary" exceeded its '
PRIMARY_DEAD += "progress deadline"


def _primary_dies(phase_tick: int, name: str) -> Scenario:
    script = [*START, {"repeat": phase_tick - 3}, {"primary": {"deadlineExceeded": True}}]
    failed = f"Promotion of podinfo.default failed, primary not ready: {PRIMARY_DEAD}"
    expect = {
        phase_tick + 1: Expect(
            "Failed",
            100,
            0,
            routes=(0, 100, False),
            events=(PRIMARY_DEAD, failed),
            alerts=(("error", f"Promotion failed, primary not ready: {PRIMARY_DEAD}"),),
        )
    }
    return Scenario(name, canary(), script, expect)


def _canary_never_ready() -> Scenario:
    waiting = (
        "canary deployment podinfo.default not ready: waiting for rollout to finish: 0 of 1 "
        "(readyThreshold 100%) updated replicas are available"
    )
    dead = 'canary deployment podinfo.default not ready: deployment "podinfo" exceeded its '
    dead += "progress deadline"
    script = [*START, {"canary": {"ready": False}}, {"canary": {"deadlineExceeded": True}}]
    expect = {
        4: Expect("Progressing", 0, 0, events=(waiting,)),
        5: Expect(
            "Failed",
            0,
            0,
            routes=(100, 0, False),
            events=(
                dead,
                f"Rolling back podinfo.default progress deadline exceeded {dead}",  # fix 3
                "Canary failed! Scaling down podinfo.default",
            ),
            alerts=(("error", f"Progress deadline exceeded {dead}"),),
        ),
    }
    return Scenario("S3.9 canary never ready (fix 3)", canary(), script, expect)


def _manual_rollback() -> Scenario:
    doc = canary({"webhooks": [hook("rb", "rollback")]}, namespace="test")
    quiet = "Rollback hook rb not signaling a rollback"
    script = [
        {"webhooks": {"rb": 403}},
        {"target": {"revision": "v2"}},
        {},
        {},
        {"webhooks": {"rb": 200}},
    ]
    expect = {
        3: Expect(
            "Progressing",
            10,
            events=(
                quiet,
                "Starting canary analysis for podinfo.test",
                "Advance podinfo.test canary weight 10",
            ),
        ),
        4: Expect("Progressing", 20, events=(quiet, "Advance podinfo.test canary weight 20")),
        5: Expect(
            "Failed",
            0,
            routes=(100, 0, False),
            events=(
                "Rollback check rb passed",
                "Rolling back podinfo.test manual webhook invoked",
                "Canary failed! Scaling down podinfo.test",
            ),
            alerts=(("warn", "Rolling back manual webhook invoked"),),
        ),
    }
    return Scenario("S3.10 manual rollback hook", doc, script, expect)


def _retry_failed_revision() -> Scenario:
    analysis = {
        "interval": "10s",
        "threshold": 2,
        "maxWeight": 40,
        "stepWeight": 20,
        "metrics": [
            {"name": "request-success-rate", "thresholdRange": {"min": 1}, "interval": "30s"}
        ],
    }
    doc = canary(analysis, replace_analysis=True, namespace="test")
    broken = {"metrics": {"request-success-rate": 0}}
    script = [
        {},
        {"target": {"revision": "6.0.1"}, **broken},
        {"repeat": 4},
        {"target": {"revision": "v1"}},
        {"repeat": 2},
        {"target": {"revision": "6.0.1"}},
        {"target": {"revision": "6.0.2"}, "metrics": {"request-success-rate": 100}},
        {"repeat": 5},
    ]
    expect = {
        3: Expect("Progressing", 20, 0),
        6: Expect("Failed", 0, 0),
        7: Expect("Failed", events=()),
        9: Expect("Failed", events=()),
        10: Expect("Progressing", 0, 0, events=("New revision detected! Scaling up podinfo.test",)),
        11: Expect(
            "Progressing",
            0,
            0,
            events=("New revision detected! Restarting analysis for podinfo.test",),
        ),
        16: Expect("Succeeded"),
    }
    return Scenario("S3.11 retry of a failed revision", doc, script, expect)


def scenarios_part_one() -> list[Scenario]:
    return [
        _happy_path(),
        _step_weight_promotion(),
        _every_hook(),
        *_ladders(),
        _no_step(),
        _restart(),
        _mirror(),
        _threshold(),
        _cumulative(),
        _survives_success(),
        _pre_rollout_failure(
            500, "POST http://flagger-loadtester.test/pre giving up after 1 attempt(s)"
        ),
        _pre_rollout_failure(403, "Forbidden"),
        _rollout_hook_failure(),
        _primary_dies(9, "S3.7 primary dies while Promoting"),
        _primary_dies(10, "S3.8 primary dies while Finalising"),
        _canary_never_ready(),
        _manual_rollback(),
        _retry_failed_revision(),
    ]
