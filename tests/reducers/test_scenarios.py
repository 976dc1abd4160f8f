"""Every decision scenario of flagger-scenarios.md §1-7 and §14, in process.

Each scenario runs through ``controller.simulation.simulate`` (the real ``decide`` and ``evolve``
against the scripted world); besides the per-tick expectations, the recorded events must replay
to exactly the recorded decisions and fold to the reported state.
"""

from __future__ import annotations

import pytest

from controller.simulation import load_script, simulate
from reducers.canary import fold, replay
from reducers.spec import Canary, validate_document
from tests.reducers.scenarios import Scenario, all_scenarios, mismatches

SCENARIOS = all_scenarios()


def run(scenario: Scenario) -> tuple[Canary, list[dict[str, object]], list[object]]:
    model = validate_document(scenario.canary)
    assert isinstance(model, Canary), model
    reports = simulate(model, load_script({"ticks": scenario.script}))
    recorded = [e for r in reports for e in r.recorded]
    return model, [r.as_json() for r in reports], recorded


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario(scenario: Scenario) -> None:
    _, ticks, recorded = run(scenario)
    assert mismatches(scenario, ticks) == []
    assert replay(recorded) == []  # type: ignore[arg-type]


def test_scenario_ids_are_unique() -> None:
    assert len({s.id for s in SCENARIOS}) == len(SCENARIOS)


def test_a_wrong_expectation_is_reported() -> None:
    scenario = SCENARIOS[0]
    _, ticks, _ = run(scenario)
    ticks[3]["canaryWeight"] = 99
    assert mismatches(scenario, ticks) == ["T4 weight: expected 10, got 99"]


def test_folding_the_recorded_events_gives_the_reported_state() -> None:
    model = validate_document(SCENARIOS[0].canary)
    assert isinstance(model, Canary)
    reports = simulate(model, load_script({"ticks": SCENARIOS[0].script}))
    recorded = [e for r in reports for e in r.recorded]
    assert fold(recorded) == reports[-1].state
