"""``roost replay``: runs and ticks rebuilt from simulated ledgers, ``--verify``, bad input."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from controller.simulation import load_script, simulate
from ledger import EventRegistry, Ledger
from ledger.reading import read_events
from reducers.canary import INITIAL, evolve, fold
from reducers.canary.history import Outcome, build_history, verify
from reducers.events import (
    ALL_EVENTS,
    RunRestarted,
    RunStarted,
    SpecObserved,
    Succeeded,
    TickStarted,
    WeightAdvanced,
)
from reducers.spec import Canary
from tests.history.conftest import Invoke, example, history_of, record
from tests.reducers.scenarios import Scenario, all_scenarios, canary

PODINFO = "canary/test/podinfo"
FAILING = example("podinfo-failing-script.yaml")
RESTART = [{}, {"target": {"revision": "v2"}}, {}, {}, {"target": {"revision": "v3"}}, {}, {}]


def test_a_healthy_run_is_one_succeeded_run_after_the_initialisation(ledger_path: Path) -> None:
    record(ledger_path, example("podinfo-canary.yaml"))
    history = history_of(ledger_path, PODINFO)
    assert [t.number for t in history.preamble] == [1]
    (run,) = history.runs
    assert run.outcome is Outcome.SUCCEEDED
    assert run.ticks[0].number == 2
    assert isinstance(run.end, Succeeded) and any(e is run.end for e in run.ticks[-1].events)
    weights = [t.after.canary_weight for t in run.ticks[1:6]]
    assert weights == [10, 20, 30, 40, 50]
    assert run.final.phase.value == "Succeeded"
    # The per-tick states are the fold of everything up to the tick.
    events = [e for t in history.ticks for e in t.events]
    assert fold(events) == history.state


def test_replay_json_shows_observations_decisions_routes_and_status(
    ledger_path: Path, invoke: Invoke
) -> None:
    record(ledger_path, example("podinfo-canary.yaml"), FAILING)
    result = invoke("replay", "--ledger", str(ledger_path), "--json")
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)["canaries"]
    assert entry["canary"] == "test/podinfo"
    (run,) = entry["runs"]
    assert (run["run"], run["outcome"], run["end"]) == (1, "failed", "rolled back: failed-checks")
    halted = next(t for t in run["timeline"] if t["tick"] == 6)
    assert {"type": "canary.halted"}.items() <= halted["decisions"][-1].items()
    metric = [o for o in halted["observations"] if o["type"] == "canary.metric-result"]
    assert [(m["name"], m["value"], m["verdict"]) for m in metric] == [
        ("request-success-rate", 100.0, "pass"),
        ("request-duration", 1515.0, "fail"),
    ]
    assert halted["status"] == {
        "phase": "Progressing",
        "canaryWeight": 30,
        "failedChecks": 1,
        "iterations": 0,
        "routes": {"primary": 70, "canary": 30, "mirrored": False},
    }
    advanced = next(t for t in run["timeline"] if t["tick"] == 4)
    assert advanced["routesSet"] == {"primary": 80, "canary": 20, "mirrored": False}


def test_replay_text_is_a_readable_timeline(ledger_path: Path, invoke: Invoke) -> None:
    record(ledger_path, example("podinfo-canary.yaml"), FAILING)
    result = invoke("replay", "--ledger", str(ledger_path), "--canary", "test/podinfo")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.splitlines()[0] == "canary test/podinfo: 1 run(s), 11 ticks"
    assert "  run 1  revision " in out and "failed (rolled back: failed-checks)" in out
    assert "metric request-duration = 1515 (<= 500) fail" in out
    assert "Warning: Halt podinfo.test advancement request duration 1.515s > 500ms" in out


def test_a_new_revision_mid_run_supersedes_the_run(ledger_path: Path, invoke: Invoke) -> None:
    record(ledger_path, canary(), RESTART)
    history = history_of(ledger_path, "canary/default/podinfo")
    first, second = history.runs
    assert first.outcome is Outcome.SUPERSEDED
    assert second.ticks[0].number == 5 and second.outcome is Outcome.RUNNING
    assert first.ended_at == second.started_at
    result = invoke("replay", "--ledger", str(ledger_path), "--run", "2", "--json")
    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.stdout)["canaries"][0]["runs"]
    assert (run["run"], run["outcome"]) == (2, "running")


def test_verify_every_canary_of_a_ledger(ledger_path: Path, invoke: Invoke) -> None:
    record(ledger_path, example("podinfo-canary.yaml"), FAILING)
    record(ledger_path, canary(), RESTART)
    result = invoke("replay", "--ledger", str(ledger_path), "--verify")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{11 + len(RESTART)} ticks of 2 canaries replay exactly"


def test_verify_reports_a_decision_the_reducers_would_not_make(
    ledger_path: Path, invoke: Invoke
) -> None:
    record(ledger_path, example("podinfo-canary.yaml"))
    registry = EventRegistry(ALL_EVENTS)
    last = history_of(ledger_path, PODINFO).ticks[-1]
    tick = last.number + 1
    at = last.events[0].at + timedelta(seconds=30)
    # An honest new tick: the same observations, one tick later, and a decision that does not
    # follow from them (a Succeeded canary does not move its weight).
    observations = [e.model_copy(update={"at": at}) for e in last.observations]
    observations[0] = TickStarted(at=at, tick=tick)
    batch = [*observations, WeightAdvanced(at=at, weight=77)]
    with Ledger.open(str(ledger_path)) as ledger:
        version = ledger.stream_version(PODINFO)
        ledger.append(PODINFO, [registry.encode(e) for e in batch], expected_version=version)
    result = invoke("replay", "--ledger", str(ledger_path), "--verify")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"DIVERGED: test/podinfo run 1 tick {tick} ({at.isoformat()}), decision #1",
        "  recorded: weight 77",
        "  replayed: (nothing)",
    ]
    as_json = invoke("replay", "--ledger", str(ledger_path), "--verify", "--json")
    assert as_json.exit_code == 1
    found = json.loads(as_json.stdout)["divergence"]
    assert (found["run"], found["tick"], found["recorded"]) == (1, tick, "weight 77")


def test_bad_input_is_one_line_and_exit_2(
    ledger_path: Path, invoke: Invoke, tmp_path: Path
) -> None:
    record(ledger_path, example("podinfo-canary.yaml"))
    cases = [
        (["--canary", "test/nope"], "no canary test/nope"),
        (["--canary", "podinfo"], "expected NS/NAME"),
        (["--canary", "test/podinfo", "--run", "3"], "has no run 3 (runs 1-1)"),
    ]
    for args, text in cases:
        result = invoke("replay", "--ledger", str(ledger_path), *args)
        assert result.exit_code == 2, result.output
        assert text in result.stderr and len(result.stderr.strip().splitlines()) == 1
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    result = invoke("replay", "--ledger", str(garbage))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot open ledger")


def test_reading_a_stream_gives_the_events_decoding_every_row_gives(ledger_path: Path) -> None:
    record(ledger_path, example("podinfo-canary.yaml"), FAILING)
    registry = EventRegistry(ALL_EVENTS)
    with Ledger.open(str(ledger_path)) as ledger:
        fast = list(read_events(ledger, registry, PODINFO))
        plain = [e for p in ledger.read_stream_payloads(PODINFO) for e in registry.decode_rows(p)]
    assert fast == plain
    assert [registry.encode(e) for e in fast] == [registry.encode(e) for e in plain]
    specs = [e for e in fast if isinstance(e, SpecObserved)]
    assert len({id(e) for e in specs}) == len(specs) == 11
    assert len({e.at for e in specs}) == 11


SCENARIOS = all_scenarios()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_every_scenario_splits_into_runs_and_replays_exactly(scenario: Scenario) -> None:
    reports = simulate(Canary.model_validate(scenario.canary), load_script(scenario.script))
    events = [e for report in reports for e in report.recorded]
    history = build_history("canary/default/podinfo", events)
    # The ticks hold every event once, in order, each with the state folding them gives.
    assert [e for t in history.ticks for e in t.events] == events
    state = INITIAL
    for tick, report in zip(history.ticks, reports, strict=True):
        for event in tick.events:
            state = evolve(state, event)
        assert tick.after == state == report.state
    # The runs and what lies before and between them cover every tick exactly once.
    placed = [*history.preamble, *(t for r in history.runs for t in (*r.ticks, *r.after))]
    assert [t.index for t in placed] == [t.index for t in history.ticks]
    for run in history.runs:
        starts = [e for e in run.ticks[0].events if isinstance(e, RunStarted | RunRestarted)]
        assert starts and starts[0].revision == run.revision
        assert (run.end is None) == (run.outcome is Outcome.RUNNING)
    assert verify(history) is None
