"""Gates, A/B, Blue/Green, kubernetes provider and skipAnalysis: flagger-scenarios §4-§7."""

from __future__ import annotations

from tests.reducers.scenarios.base import (
    COPYING,
    SCALING_UP,
    START,
    STARTING,
    SUCCEEDED,
    TEST_START,
    Expect,
    Scenario,
    canary,
    hook,
    in_test,
)


def _confirm_rollout() -> Scenario:
    doc = canary({"webhooks": [hook("gate", "confirm-rollout")]}, namespace="test")
    script = [{"webhooks": {"gate": 403}}, TEST_START[1], {}, {"webhooks": {"gate": 200}}]
    expect = {
        2: Expect(
            "Waiting",
            0,
            0,
            0,
            events=("Halt podinfo.test advancement waiting for approval gate",),
            alerts=(("warn", "Canary is waiting for approval."),),
        ),
        3: Expect("Waiting", events=(), alerts=()),
        4: Expect(
            "Progressing",
            0,
            0,
            0,
            events=("Confirm-rollout check gate passed", in_test(SCALING_UP)),
        ),
    }
    return Scenario("S4.1 confirm-rollout closed then opened", doc, script, expect)


def _confirm_promotion(mute: bool = False) -> Scenario:
    gate = hook("gate", "confirm-promotion", **({"muteAlert": True} if mute else {}))
    doc = canary({"maxWeight": 20, "webhooks": [gate]}, namespace="test")
    script = [
        {"webhooks": {"gate": 403}},
        TEST_START[1],
        {"repeat": 4},
        {"webhooks": {"gate": 200}},
    ]
    script.append({"repeat": 2})
    halt = "Halt podinfo.test advancement waiting for promotion approval gate"
    expect = {
        3: Expect("Progressing", 10, routes=(90, 10, False)),
        4: Expect("Progressing", 20, routes=(80, 20, False)),
        # fix 4: the status keeps the weight the canary serves (Flagger: 0 and iterations -1).
        5: Expect(
            "WaitingPromotion",
            20,
            0,
            0,
            (80, 20, False),
            (halt,),
            alerts=() if mute else (("warn", "Canary promotion is waiting for approval."),),
        ),
        6: Expect("WaitingPromotion", 20, 0, 0, (80, 20, False), (), alerts=()),
        7: Expect(
            "Promoting",
            20,
            events=("Confirm-promotion check gate passed", in_test(COPYING)),
        ),
        8: Expect("Finalising", 0, 0, 0, (100, 0, False), ("Routing all traffic to primary",)),
        9: Expect("Succeeded", 0, events=(in_test(SUCCEEDED),)),
    }
    name = "S4.5 muteAlert" if mute else "S4.2 confirm-promotion closed (fix 4)"
    return Scenario(name, doc, script, expect)


def _blue_green_gate() -> Scenario:
    analysis = {
        "interval": "1m",
        "threshold": 5,
        "iterations": 3,
        "webhooks": [hook("gate", "confirm-promotion")],
    }
    doc = canary(analysis, replace_analysis=True, namespace="test")
    script = [
        {"webhooks": {"gate": 403}},
        TEST_START[1],
        {"repeat": 5},
        {"webhooks": {"gate": 200}},
    ]
    script.append({"repeat": 3})
    it = "Advance podinfo.test canary iteration"
    expect = {
        3: Expect("Progressing", 0, 0, 1, (100, 0, False), (in_test(STARTING), f"{it} 1/3")),
        4: Expect("Progressing", 0, 0, 2, events=(f"{it} 2/3",)),
        5: Expect("Progressing", 0, 0, 3, events=(f"{it} 3/3",)),
        # fix 4: iterations stay 3 and the gate is asked every tick (Flagger oscillates 2/3).
        6: Expect(
            "WaitingPromotion",
            0,
            0,
            3,
            events=("Halt podinfo.test advancement waiting for promotion approval gate",),
        ),
        7: Expect("WaitingPromotion", 0, 0, 3, events=()),
        8: Expect(
            "WaitingPromotion",
            100,  # fix 5: Blue/Green records the weight it switched to
            0,
            4,
            (0, 100, False),
            ("Confirm-promotion check gate passed", "Routing all traffic to canary"),
        ),
        9: Expect("Promoting", events=("Confirm-promotion check gate passed", in_test(COPYING))),
        10: Expect("Finalising", 0, routes=(100, 0, False)),
        11: Expect("Succeeded"),
    }
    return Scenario("S4.3 confirm-promotion closed, Blue/Green", doc, script, expect)


def _confirm_traffic(mute: bool = False) -> Scenario:
    gate = hook("gate", "confirm-traffic-increase", **({"muteAlert": True} if mute else {}))
    doc = canary({"webhooks": [gate]}, namespace="test")
    halt = "Halt podinfo.test advancement waiting for traffic increase approval gate"
    alerts = () if mute else (("warn", "Canary traffic increase is waiting for approval."),)
    script = [{"webhooks": {"gate": 403}}, TEST_START[1], {"repeat": 3}]
    expect = {
        t: Expect("Progressing", 0, 0, 0, (100, 0, False), (in_test(STARTING), halt), alerts=alerts)
        for t in (3, 4, 5)
    }
    name = "S4.5 muteAlert traffic" if mute else "S4.4 confirm-traffic-increase closed"
    return Scenario(name, doc, script, expect)


# ------------------------------------------------------------------ A/B and Blue/Green (§5, §6)


def _ab_testing() -> Scenario:
    analysis = {
        "interval": "1m",
        "threshold": 10,
        "iterations": 10,
        "match": [{"headers": {"x-user-type": {"exact": "test"}}}],
        "metrics": [
            {
                "name": "request-success-rate",
                "thresholdRange": {"min": 99, "max": 100},
                "interval": "1m",
            },
            {"name": "request-duration", "threshold": 500000, "interval": "1m"},
        ],
    }
    doc = canary(analysis, replace_analysis=True)
    expect = {
        t: Expect(
            "Progressing",
            0,
            0,
            t - 3,
            (0, 100, False),
            contains=(f"Advance podinfo.default canary iteration {t - 3}/10",),
        )
        for t in range(4, 14)
    }
    expect[14] = Expect("Promoting", 0, events=(COPYING,))
    expect[15] = Expect("Finalising", 0, routes=(100, 0, False))
    expect[16] = Expect("Succeeded", 0)
    return Scenario("S5.1 A/B testing", doc, [*START, {"repeat": 13}], expect)


def _blue_green_one() -> Scenario:
    doc = canary({"interval": "1m", "threshold": 0, "iterations": 1}, replace_analysis=True)
    expect = {
        3: Expect("Progressing", 0),
        4: Expect(
            "Progressing",
            0,
            0,
            1,
            (100, 0, False),
            (STARTING, "Advance podinfo.default canary iteration 1/1"),
        ),
        5: Expect("Progressing", 100, 0, 2, (0, 100, False), ("Routing all traffic to canary",)),
        6: Expect("Promoting", events=(COPYING,)),
        7: Expect(
            "Finalising", 0, routes=(100, 0, False), events=("Routing all traffic to primary",)
        ),
        8: Expect("Succeeded", 0),
    }
    return Scenario("S6.1 Blue/Green (fix 5)", doc, [*START, {"repeat": 5}], expect)


def _blue_green_mirror() -> Scenario:
    analysis = {"interval": "1m", "threshold": 5, "iterations": 3, "mirror": True}
    doc = canary(analysis, replace_analysis=True)
    expect = {
        4: Expect("Progressing", 0, 0, 1, (100, 0, True)),
        5: Expect("Progressing", 0, 0, 2, (100, 0, True)),
        6: Expect("Progressing", 0, 0, 3, (100, 0, True)),
        7: Expect(
            "Progressing",
            100,
            0,
            4,
            (0, 100, False),
            ("Stop traffic mirroring and route all traffic to canary",),
        ),
        8: Expect("Promoting"),
        9: Expect("Finalising", routes=(100, 0, False)),
        10: Expect("Succeeded"),
    }
    return Scenario("S6.2 Blue/Green mirroring", doc, [*START, {"repeat": 7}], expect)


def _kubernetes_blue_green() -> Scenario:
    analysis = {
        "interval": "15s",
        "threshold": 10,
        "iterations": 5,
        "webhooks": [
            hook("gate", "confirm-rollout"),
            hook("acceptance", "pre-rollout"),
            hook("load"),
        ],
    }
    doc = canary(analysis, replace_analysis=True, namespace="test", provider="kubernetes")
    it = "Advance podinfo.test canary iteration"
    expect = {
        2: Expect("Progressing", 0, 0, 0, (100, 0, False)),
        3: Expect("Progressing", 0, 0, 1, (0, 100, False), contains=(f"{it} 1/5",)),
        **{2 + i: Expect("Progressing", 0, 0, i, (0, 100, False)) for i in range(2, 6)},
        8: Expect("Progressing", 0, 0, 6, (0, 100, False), events=()),
        9: Expect("Promoting", events=(in_test(COPYING),)),
        10: Expect("Finalising", 0, 0, 0, (100, 0, False), ()),
        11: Expect("Succeeded"),
    }
    return Scenario(
        "S6.3 kubernetes provider Blue/Green", doc, [*TEST_START, {"repeat": 9}], expect
    )


def _kubernetes_forces_blue_green() -> Scenario:
    analysis = {"match": [{"headers": {"x-canary": {"exact": "insider"}}}]}
    doc = canary(analysis, namespace="test", provider="kubernetes")
    expect = {
        3: Expect(
            "Progressing",
            0,
            0,
            1,
            events=(
                in_test(STARTING),
                "A/B testing is not supported when using the kubernetes provider",
                "Progressive traffic is not supported when using the kubernetes provider",
                "Setting canaryAnalysis.iterations: 10",
                "Advance podinfo.test canary iteration 1/10",
            ),
        ),
        12: Expect("Progressing", 0, 0, 10),
        13: Expect("Progressing", 0, 0, 11),
        14: Expect("Promoting"),
        16: Expect("Succeeded"),
    }
    return Scenario("S6.4 kubernetes forces Blue/Green", doc, [*TEST_START, {"repeat": 14}], expect)


def _autoscaler_promoted() -> Scenario:
    ref = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "name": "podinfo"}
    doc = canary({"stepWeight": 50}, autoscalerRef=ref)
    expect = {5: Expect("Promoting"), 6: Expect("Finalising"), 7: Expect("Succeeded")}
    return Scenario("S6.6 autoscaler", doc, [*START, {"repeat": 4}], expect)


# ------------------------------------------------------------------ skip analysis (§7)


def _skip_analysis() -> Scenario:
    hooks = [
        hook("pre-rollout-webhook", "pre-rollout"),
        hook("rollout-webhook", "rollout"),
        hook("confirm-promotion-webhook", "confirm-promotion"),
        hook("confirm-rollout-webhook", "confirm-rollout"),
        hook("post-rollout-webhook", "post-rollout"),
        hook("confirm-traffic-increase-webhook", "confirm-traffic-increase"),
    ]
    doc = canary({"webhooks": hooks})
    script = [*START[:2], {"target": {"revision": "v2"}, "spec": {"skipAnalysis": True}}, {}]
    expect = {
        3: Expect(
            "Progressing",
            events=("Confirm-rollout check confirm-rollout-webhook passed", SCALING_UP),
        ),
        4: Expect(
            "Succeeded",
            0,
            routes=(100, 0, False),
            events=(
                COPYING,
                "Post-rollout check post-rollout-webhook passed",
                "Promotion completed! Canary analysis was skipped for podinfo.default",
            ),
            alerts=(("info", "Canary analysis was skipped, promotion finished."),),
        ),
    }
    calls = {"confirm-rollout": ["Initialized"], "post-rollout": ["Succeeded"], "rollout": []}
    calls |= {"pre-rollout": [], "confirm-promotion": [], "confirm-traffic-increase": []}
    return Scenario("S7.1 skipAnalysis", doc, script, expect, calls)


def _skip_analysis_bad_image() -> Scenario:
    doc = canary(namespace="test", skipAnalysis=True)
    script = [
        {},
        {"target": {"revision": "6.0.1"}},
        {},
        {"target": {"revision": "potato"}},
        {"canary": {"deadlineExceeded": True}},
    ]
    expect = {3: Expect("Succeeded"), 4: Expect("Progressing"), 5: Expect("Failed", 0)}
    return Scenario("S7.2 skipAnalysis with a bad image", doc, script, expect)


def scenarios_part_two() -> list[Scenario]:
    return [
        _confirm_rollout(),
        _confirm_promotion(),
        _confirm_promotion(mute=True),
        _blue_green_gate(),
        _confirm_traffic(),
        _confirm_traffic(mute=True),
        _ab_testing(),
        _blue_green_one(),
        _blue_green_mirror(),
        _kubernetes_blue_green(),
        _kubernetes_forces_blue_green(),
        _autoscaler_promoted(),
        _skip_analysis(),
        _skip_analysis_bad_image(),
    ]
