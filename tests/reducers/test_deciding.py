"""The decider's building blocks, one behaviour per test: needs, continuity, thresholds, alerts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from controller.simulation import load_script, simulate
from reducers.base import Event
from reducers.canary import (
    INITIAL,
    CanaryFold,
    CanaryState,
    MetricNeeded,
    ProvidersCheckNeeded,
    StreamContinuityError,
    WebhookNeeded,
    checks,
    decide,
    evolve,
    evolve_at,
    fold,
    has_changed,
    revision_of,
)
from reducers.canary.alerts import receives
from reducers.events import (
    AlertDecided,
    KubeEventRecorded,
    MetricProvidersChecked,
    MetricSource,
    MetricVerdict,
    RolledBack,
    RoutesObserved,
    Severity,
    SpecObserved,
    TargetRevisionObserved,
    TickStarted,
    WebhookResult,
    WebhookVerdict,
)
from reducers.spec import AlertSeverity, Canary, CanaryMetric, Phase, Strategy, validate_document
from tests.reducers.scenarios import FAIL_METRIC, canary, hook

AT = datetime(2026, 1, 1, tzinfo=UTC)


def observations(doc: dict[str, Any], revision: str = "r1", **routes: int) -> list[Event]:
    return [
        TickStarted(at=AT, tick=1),
        SpecObserved(at=AT, name="podinfo", namespace="default", spec=doc["spec"]),
        TargetRevisionObserved(at=AT, revision=revision),
        RoutesObserved(at=AT, primary=routes.get("primary", 100), canary=routes.get("canary", 0)),
    ]


def messages(events: tuple[Event, ...]) -> list[str]:
    return [e.message for e in events if isinstance(e, KubeEventRecorded)]


# ------------------------------------------------------------------ the need protocol


def test_first_tick_needs_the_provider_probe_then_completes() -> None:
    obs = observations(canary())
    first = decide(INITIAL, obs)
    assert first.need == ProvidersCheckNeeded() and first.events == ()
    done = decide(INITIAL, [*obs, MetricProvidersChecked(at=AT, ok=True)])
    assert done.complete
    assert fold(done.events).phase is Phase.INITIALIZED


def test_a_failed_provider_probe_warns_but_never_blocks() -> None:  # S1.6
    obs = [*observations(canary()), MetricProvidersChecked(at=AT, ok=False, error="boom")]
    events = decide(INITIAL, obs).events
    assert messages(events)[0] == "Error checking metric providers: boom"
    assert fold(events).phase is Phase.INITIALIZED


def progressing(**changes: Any) -> CanaryState:
    base = replace(
        INITIAL,
        phase=Phase.PROGRESSING,
        last_applied_spec="r1",
        last_promoted_spec="r0",
        primary_exists=True,
    )
    return replace(base, **changes)


def test_hooks_and_metrics_are_needed_one_at_a_time_in_order() -> None:
    doc = canary({"webhooks": [hook("load")]})
    obs = observations(doc, canary=10, primary=90)
    assert decide(progressing(), obs).need == WebhookNeeded(
        "load", "rollout", "http://flagger-loadtester.test/load", "Progressing"
    )
    answered = WebhookResult(
        at=AT,
        name="load",
        type="rollout",
        url="http://flagger-loadtester.test/load",
        phase="Progressing",
        status=200,
        verdict=WebhookVerdict.SUCCESS,
    )
    need = decide(progressing(), [*obs, answered]).need
    assert need == MetricNeeded("request-success-rate", MetricSource.BUILTIN)


def test_rollback_when_failed_checks_already_at_threshold() -> None:  # S3.1
    doc = canary()
    doc["spec"]["analysis"]["metrics"].append(FAIL_METRIC)
    events = decide(progressing(failed_checks=10), observations(doc, canary=10, primary=90)).events
    assert messages(events) == [
        "Rolling back podinfo.default failed checks threshold reached 10",
        "Canary failed! Scaling down podinfo.default",
    ]
    alerts = [(e.severity, e.message) for e in events if isinstance(e, AlertDecided)]
    assert alerts == [(Severity.ERROR, "Failed checks threshold reached 10")]
    after = fold(events, progressing(failed_checks=10))
    assert (after.phase, after.canary_weight, after.failed_checks, after.iterations) == (
        Phase.FAILED,
        0,
        0,
        0,
    )
    assert any(isinstance(e, RolledBack) for e in events)


# ------------------------------------------------------------------ folding


def test_evolve_at_refuses_a_version_that_does_not_follow() -> None:
    tick = TickStarted(at=AT, tick=1)
    state = evolve_at(INITIAL, tick, 1)
    assert state.version == 1
    with pytest.raises(StreamContinuityError, match="version 3 does not follow state version 1"):
        evolve_at(state, tick, 3)
    with pytest.raises(StreamContinuityError):
        evolve_at(state, tick, 1)


def test_canary_fold_snapshot_round_trips() -> None:
    model = validate_document(
        canary({"sessionAffinity": {"cookieName": "c", "primaryCookieName": "p"}})
    )
    assert isinstance(model, Canary)
    reports = simulate(model, load_script({"ticks": [{}, {"target": {"revision": "v2"}}, {}]}))
    state = reports[-1].state
    assert state.session_affinity_cookie.startswith("c=")
    assert state.primary_session_affinity_cookie.startswith("p=")
    fold_ = CanaryFold()
    assert fold_.load(fold_.dump(state)) == state
    assert fold_.evolve(fold_.initial(), TickStarted(at=AT, tick=7)).tick == 7


def test_cookies_move_to_previous_when_canary_traffic_ends() -> None:
    doc = canary({"stepWeight": 50, "sessionAffinity": {"cookieName": "c"}})
    model = validate_document(doc)
    assert isinstance(model, Canary)
    reports = simulate(model)
    final = reports[-1].state
    assert final.phase is Phase.SUCCEEDED
    assert final.session_affinity_cookie == ""
    assert final.previous_session_affinity_cookie.startswith("c=")


# ------------------------------------------------------------------ revisions (§2.2.1)


def test_revision_fingerprint_sees_every_template_and_config_change() -> None:
    template = {"spec": {"containers": [{"name": "a", "image": "a:1"}]}}
    same = revision_of(template, {"configmap/x": "1"})
    assert same == revision_of({**template, "metadata": {}}, {"configmap/x": "1"})
    assert same != revision_of(template, {"configmap/x": "2"})
    other = {"spec": {"containers": [{"name": "a", "image": "a:2"}]}}
    assert same != revision_of(other, {"configmap/x": "1"})


def test_going_back_to_the_promoted_revision_is_not_a_change() -> None:
    state = replace(INITIAL, last_applied_spec="B", last_promoted_spec="A")
    assert not has_changed(state, "A")
    assert not has_changed(state, "B")
    assert has_changed(state, "C")
    assert has_changed(INITIAL, "A")


# ------------------------------------------------------------------ metric checks (§3.2, S9.3)


def metric(**fields: Any) -> CanaryMetric:
    return CanaryMetric.model_validate(fields)


RATE_MIN_99 = metric(name="request-success-rate", thresholdRange={"min": 99})
DURATION_MAX_500 = metric(name="request-duration", thresholdRange={"max": 500})
B = MetricSource.BUILTIN


@pytest.mark.parametrize(
    ("m", "source", "value", "verdict", "text"),
    [
        (RATE_MIN_99, B, 98.6912, "fail", "success rate 98.69% < 99%"),
        (RATE_MIN_99, B, 99, "pass", None),
        (metric(name="request-success-rate"), B, 50, "pass", None),
        (DURATION_MAX_500, B, 1515, "fail", "request duration 1.515s > 500ms"),
        (metric(name="request-duration"), B, 100, "fail", "request duration 100ms > 0s"),
        (metric(name="request-duration", thresholdRange={"max": 0.5}), B, 0.4, "pass", None),
        (
            metric(name="custom", query="q", thresholdRange={"max": 5}),
            MetricSource.INLINE,
            12.345,
            "fail",
            "custom 12.35 > 5",
        ),
        (metric(name="custom", query="q"), MetricSource.INLINE, 0, "pass", None),
        (RATE_MIN_99, B, None, "no-data", None),
        (RATE_MIN_99, B, float("nan"), "no-data", None),
    ],
)
def test_threshold_edge_cases(
    m: CanaryMetric, source: MetricSource, value: float | None, verdict: str, text: str | None
) -> None:
    from reducers.canary.messages import Names
    from reducers.events import MetricResult

    judged = checks.judge(m, source, value)
    assert judged is MetricVerdict(verdict)
    if text is not None:
        result = MetricResult(
            at=AT, name=m.name, source=source, provider="istio", value=value, verdict=judged
        )
        names = Names("x", "ns", "x", "Deployment")
        assert checks.halt_message(names, m, result) == f"Halt x.ns advancement {text}"


def test_no_values_messages_name_the_provider_and_target() -> None:
    from reducers.canary.messages import Names
    from reducers.events import MetricResult

    result = MetricResult(
        at=AT,
        name="request-success-rate",
        source=B,
        provider="istio",
        verdict=MetricVerdict.NO_DATA,
        error="no values found",
    )
    text = checks.halt_message(
        Names("podinfo", "test", "podinfo", "Deployment"), RATE_MIN_99, result
    )
    assert text == (
        "Halt advancement no values found for istio metric request-success-rate probably "
        "podinfo.test is not receiving traffic: no values found"
    )


@pytest.mark.parametrize(
    ("ms", "text"),
    [(0, "0s"), (500, "500ms"), (1515, "1.515s"), (60000, "1m0s"), (3723000, "1h2m3s")],
)
def test_go_duration_text(ms: float, text: str) -> None:
    assert checks.go_duration_ms(ms) == text


@pytest.mark.parametrize(
    ("status", "ok"),
    [
        (200, True),
        (202, True),
        (204, True),
        (301, False),
        (403, False),
        (500, False),
        (None, False),
    ],
)
def test_webhook_success_is_any_2xx(status: int | None, ok: bool) -> None:  # fix 11
    assert checks.webhook_succeeded(status) is ok


# ---------------------------------------------------------- strategy (S10.2), alerts (S14.2)


@pytest.mark.parametrize(
    ("analysis", "strategy"),
    [
        ({"maxWeight": 30, "stepWeight": 10}, Strategy.CANARY),
        ({"stepWeights": [10, 20, 30]}, Strategy.CANARY),
        ({"iterations": 5}, Strategy.BLUE_GREEN),
        (
            {"iterations": 10, "match": [{"headers": {"x-canary": {"exact": "insider"}}}]},
            Strategy.AB_TESTING,
        ),
    ],
)
def test_strategy_detection(analysis: dict[str, Any], strategy: Strategy) -> None:
    doc = canary({"interval": "1m", "threshold": 1, **analysis}, replace_analysis=True)
    model = validate_document(doc)
    assert isinstance(model, Canary)
    assert model.spec.analysis.strategy() is strategy


@pytest.mark.parametrize(
    ("entry", "info", "warn", "error"),
    [
        (AlertSeverity.INFO, True, True, True),
        (AlertSeverity.WARN, False, True, True),
        (AlertSeverity.ERROR, False, False, True),
        (AlertSeverity.UNSET, True, True, True),  # fix 1: Flagger delivers nothing
        (None, True, True, True),
    ],
)
def test_alert_severity_routing(
    entry: AlertSeverity | None, info: bool, warn: bool, error: bool
) -> None:
    assert [receives(entry, s) for s in Severity] == [info, warn, error]


def test_a_successful_run_sends_a_warn_entry_nothing() -> None:
    alerts = [{"name": "pager", "severity": "warn", "providerRef": {"name": "p"}}]
    model = validate_document(canary({"alerts": alerts}))
    assert isinstance(model, Canary)
    reports = simulate(model)
    assert reports[-1].state.phase is Phase.SUCCEEDED
    sent = [a for r in reports for a in r.alerts]
    assert sent and all(a.recipients == () and not a.global_notifier for a in sent)


def test_without_entries_every_alert_goes_to_the_global_notifier() -> None:
    model = validate_document(canary())
    assert isinstance(model, Canary)
    sent = [a for r in simulate(model) for a in r.alerts]
    assert sent and all(a.global_notifier for a in sent)


# ------------------------------------------------------------------ interval (S14.3)


@pytest.mark.parametrize(("interval", "seconds"), [("5s", 10), ("2m", 120), ("1m30s", 90)])
def test_ticks_follow_the_effective_interval(interval: str, seconds: int) -> None:
    model = validate_document(canary({"interval": interval}))
    assert isinstance(model, Canary)
    reports = simulate(model, load_script({"ticks": [{}, {}, {}]}))
    gaps = {b.time - a.time for a, b in pairwise(reports)}
    assert gaps == {timedelta(seconds=seconds)}


def test_evolve_ignores_nothing_it_does_not_know() -> None:
    assert evolve(INITIAL, TickStarted(at=AT, tick=3)).version == 1
