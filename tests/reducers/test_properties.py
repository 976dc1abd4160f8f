"""Properties of the decider over generated canaries and scripted worlds (hypothesis).

Determinism, fold associativity, weight bounds, failedChecks bounded by the threshold, runs that
end or wait on a named gate, and replay of every recorded decision.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controller.simulation import TickReport, load_script, simulate
from reducers.canary import fold, replay
from reducers.events import (
    DECISIONS,
    Halted,
    IterationAdvanced,
    PromotionStarted,
    RolledBack,
    RunRestarted,
    RunSuspended,
    WaitingForApproval,
    WeightAdvanced,
)
from reducers.spec import Canary, Phase, validate_document
from tests.reducers.scenarios import FAIL_METRIC, canary, hook

IN_FLIGHT = {
    Phase.PROGRESSING,
    Phase.WAITING,
    Phase.WAITING_PROMOTION,
    Phase.PROMOTING,
    Phase.FINALISING,
}
GATES = ("confirm-rollout", "confirm-promotion", "confirm-traffic-increase")


@st.composite
def analyses(draw: st.DrawFn) -> dict[str, Any]:
    mode = draw(st.sampled_from(["stepWeight", "stepWeights", "iterations", "ab"]))
    analysis: dict[str, Any] = {"interval": "1m", "threshold": draw(st.integers(0, 3))}
    if mode == "stepWeight":
        analysis["stepWeight"] = draw(st.integers(5, 60))
        analysis["maxWeight"] = draw(st.integers(1, 150))
    elif mode == "stepWeights":
        rungs = draw(st.lists(st.integers(1, 120), min_size=1, max_size=5, unique=True))
        analysis["stepWeights"] = sorted(rungs)
    else:
        analysis["iterations"] = draw(st.integers(1, 5))
        if mode == "ab":
            analysis["match"] = [{"headers": {"x-canary": {"exact": "insider"}}}]
    analysis["mirror"] = draw(st.booleans())
    analysis["stepWeightPromotion"] = draw(st.sampled_from([0, 0, 30, 100]))
    analysis["metrics"] = [FAIL_METRIC]
    kinds = draw(
        st.lists(
            st.sampled_from([*GATES, "pre-rollout", "rollout", "post-rollout"]),
            unique=True,
            max_size=4,
        )
    )
    analysis["webhooks"] = [hook(kind, kind) for kind in kinds]
    return analysis


def steps(hooks: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    choices: list[st.SearchStrategy[dict[str, Any]]] = [
        st.just({}),
        st.sampled_from([{"target": {"revision": r}} for r in ("v1", "v2", "v3")]),
        st.sampled_from(
            [
                {"canary": {"ready": False}},
                {"canary": {"ready": True}},
                {"canary": {"deadlineExceeded": True}},
                {"primary": {"ready": False}},
                {"primary": {"ready": True}},
                {"primary": {"deadlineExceeded": True}},
            ]
        ),
        st.sampled_from([{"metrics": {"fail": v}} for v in (10, 100, "none", "error")]),
        st.sampled_from([{"spec": {"suspend": True}}, {"spec": {"suspend": False}}]),
        st.integers(2, 4).map(lambda n: {"repeat": n}),
        st.sampled_from(
            [{"command": {"command": c}} for c in ("promote", "abort", "retry", "pause", "resume")]
        ),
    ]
    if hooks:
        choices.append(
            st.builds(
                lambda name, status: {"webhooks": {name: status}},
                st.sampled_from(hooks),
                st.sampled_from([200, 403, 500]),
            )
        )
    return st.one_of(*choices)


@st.composite
def runs(draw: st.DrawFn) -> tuple[Canary, list[dict[str, Any]]]:
    analysis = draw(analyses())
    provider = draw(st.sampled_from([None, None, "kubernetes"]))
    extra = {"provider": provider} if provider else {}
    model = validate_document(canary(analysis, replace_analysis=True, namespace="test", **extra))
    assert isinstance(model, Canary), model
    names = [h["name"] for h in analysis["webhooks"]]
    script = [{}, {"target": {"revision": "v2"}}, *draw(st.lists(steps(names), max_size=25))]
    return model, script


def _run(model: Canary, script: list[dict[str, Any]]) -> list[TickReport]:
    return simulate(model, load_script({"ticks": script}))


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(runs())
def test_simulation_is_deterministic(run: tuple[Canary, list[dict[str, Any]]]) -> None:
    first, second = _run(*run), _run(*run)
    assert [r.as_json() for r in first] == [r.as_json() for r in second]
    assert [r.recorded for r in first] == [r.recorded for r in second]


@PROPERTY
@given(runs(), st.data())
def test_folding_a_prefix_then_the_rest_equals_folding_all(
    run: tuple[Canary, list[dict[str, Any]]], data: st.DataObject
) -> None:
    events = [e for r in _run(*run) for e in r.recorded]
    cut = data.draw(st.integers(0, len(events)))
    assert fold(events[cut:], fold(events[:cut])) == fold(events)


@PROPERTY
@given(runs())
def test_weights_stay_in_bounds_and_add_up(run: tuple[Canary, list[dict[str, Any]]]) -> None:
    for report in _run(*run):
        primary, canary_weight, _ = report.routes
        assert 0 <= primary <= 100 and 0 <= canary_weight <= 100
        assert primary + canary_weight == 100
        assert 0 <= report.state.canary_weight <= 100


@PROPERTY
@given(runs())
def test_replay_reproduces_every_recorded_decision(
    run: tuple[Canary, list[dict[str, Any]]],
) -> None:
    events = [e for r in _run(*run) for e in r.recorded]
    assert any(isinstance(e, DECISIONS) for e in events)
    assert replay(events) == []


@PROPERTY
@given(runs())
def test_failed_checks_never_pass_the_threshold_unanswered(
    run: tuple[Canary, list[dict[str, Any]]],
) -> None:
    model, _ = run
    threshold = model.spec.analysis.effective_threshold()
    reports = _run(*run)
    for before, report in zip([None, *reports], reports, strict=False):
        assert report.state.failed_checks <= threshold
        if before is None or before.state.failed_checks < threshold:
            continue
        advanced = (WeightAdvanced, IterationAdvanced, PromotionStarted)
        assert not any(isinstance(e, advanced) for e in report.recorded)
        if before.state.phase in (Phase.PROGRESSING, Phase.WAITING_PROMOTION):
            stopped = (RolledBack, Halted, RunSuspended)
            assert any(isinstance(e, stopped) for e in report.recorded) or (
                report.state.phase is before.state.phase
            )


@PROPERTY
@given(runs())
def test_every_tick_in_flight_decides_something(run: tuple[Canary, list[dict[str, Any]]]) -> None:
    reports = _run(*run)
    for before, report in pairwise(reports):
        if before.state.phase in IN_FLIGHT:
            decided = [e for e in report.recorded if isinstance(e, DECISIONS)]
            assert decided, f"tick {report.tick} in {before.state.phase} decided nothing"


@PROPERTY
@given(runs())
def test_a_run_ends_once_the_world_is_healthy(run: tuple[Canary, list[dict[str, Any]]]) -> None:
    model, script = run
    names = [h.name for h in model.spec.analysis.webhooks or ()]
    heal = {
        "canary": {"ready": True},
        "primary": {"ready": True},
        "metrics": {"fail": 10},
        "spec": {"suspend": False},
        "webhooks": {name: 200 for name in names if name != "rollback"},
    }
    if not heal["webhooks"]:
        del heal["webhooks"]
    reports = _run(model, [*script, heal, {"repeat": 60}])
    final = reports[-1].state
    # Every gate answers 200 now, so nothing may be left to wait on: the run must have ended.
    assert final.phase in (Phase.SUCCEEDED, Phase.FAILED, Phase.INITIALIZED), final.phase


def _status(report: TickReport) -> tuple[object, ...]:
    s = report.state
    return (s.phase, s.canary_weight, s.failed_checks, s.iterations, s.routes, report.routes)


@PROPERTY
@given(runs())
def test_a_run_never_waits_silently(run: tuple[Canary, list[dict[str, Any]]]) -> None:
    """A tick of a run in flight that does not move it on names what it waits for."""
    reports = _run(*run)
    moving = (WeightAdvanced, IterationAdvanced, PromotionStarted, RolledBack, RunRestarted)
    for before, report in pairwise(reports):
        if before.state.phase not in IN_FLIGHT or report.state.phase is not before.state.phase:
            continue
        named = (WaitingForApproval, Halted, RunSuspended, *moving)
        changed = _status(report) != _status(before)
        assert changed or any(isinstance(e, named) for e in report.recorded), report.tick
