"""KEDA pause/resume of the target's ScaledObject is decided at the right ticks (flagger-core §2.3).

The target's ScaledObject would scale a parked target back up, so it is paused whenever the target
goes to zero (initialisation, finalising, rollback, skip-analysis) and resumed right before the
target is scaled up for a run and when the Canary is deleted with revertOnDeletion. HPA targets
never get these actions.
"""

from __future__ import annotations

from typing import Any

from controller.simulation import load_script, simulate
from controller.simulation.running import TickReport
from reducers.events import WorkloadAction, WorkloadActionDecided
from reducers.spec import Canary, Phase, validate_document
from tests.reducers.scenarios import FAIL_METRIC, canary
from tests.reducers.scenarios.base import START

KEDA = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "name": "podinfo-so"}
HPA = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "name": "podinfo"}
PAUSE = WorkloadAction.PAUSE_TARGET_AUTOSCALER
RESUME = WorkloadAction.RESUME_TARGET_AUTOSCALER


def _run(doc: dict[str, Any], script: list[dict[str, Any]]) -> list[TickReport]:
    model = validate_document(doc)
    assert isinstance(model, Canary), model
    return simulate(model, load_script({"ticks": script}))


def _actions(report: TickReport) -> list[WorkloadAction]:
    return [e.action for e in report.recorded if isinstance(e, WorkloadActionDecided)]


def _before(actions: list[WorkloadAction], first: WorkloadAction, then: WorkloadAction) -> bool:
    return first in actions and then in actions and actions.index(first) < actions.index(then)


def test_keda_target_is_paused_and_resumed_through_a_run() -> None:
    reports = _run(canary({"stepWeight": 50}, autoscalerRef=KEDA), [*START, {"repeat": 4}])
    assert reports[-1].state.phase is Phase.SUCCEEDED
    init_tick = next(r for r in reports if r.state.phase is Phase.INITIALIZED)
    assert _before(_actions(init_tick), PAUSE, WorkloadAction.SCALE_TARGET_TO_ZERO)
    start = next(a for a in map(_actions, reports) if WorkloadAction.SCALE_TARGET_UP in a)
    assert _before(start, RESUME, WorkloadAction.SCALE_TARGET_UP)
    final = _actions(reports[-1])
    assert _before(final, PAUSE, WorkloadAction.SCALE_TARGET_TO_ZERO)
    everything = [a for r in reports for a in _actions(r)]
    assert everything.count(PAUSE) == 2 and everything.count(RESUME) == 1


def test_keda_target_is_paused_on_rollback() -> None:
    doc = canary({"threshold": 1, "metrics": [FAIL_METRIC]}, autoscalerRef=KEDA)
    reports = _run(doc, [*START, {"metrics": {"fail": 99}}, {"repeat": 3}])
    assert reports[-1].state.phase is Phase.FAILED
    failed = next(r for r in reports if r.state.phase is Phase.FAILED)
    assert _before(_actions(failed), PAUSE, WorkloadAction.SCALE_TARGET_TO_ZERO)


def test_keda_target_is_paused_on_skip_analysis_and_resumed_on_deletion() -> None:
    doc = canary(autoscalerRef=KEDA, revertOnDeletion=True)
    script = [*START[:2], {"target": {"revision": "v2"}, "spec": {"skipAnalysis": True}}, {}]
    reports = _run(doc, [*script, {"delete": True}, {}])
    skipped = next(r for r in reports if r.state.phase is Phase.SUCCEEDED)
    assert _before(_actions(skipped), PAUSE, WorkloadAction.SCALE_TARGET_TO_ZERO)
    deleted = next(a for a in map(_actions, reports) if WorkloadAction.REVERT_TARGET in a)
    assert _before(deleted, RESUME, WorkloadAction.REVERT_TARGET)


def test_hpa_targets_are_never_paused() -> None:
    reports = _run(canary({"stepWeight": 50}, autoscalerRef=HPA), [*START, {"repeat": 4}])
    assert reports[-1].state.phase is Phase.SUCCEEDED
    everything = {a for r in reports for a in _actions(r)}
    assert WorkloadAction.UPDATE_PRIMARY_AUTOSCALER in everything
    assert not everything & {PAUSE, RESUME}
