"""``roost simulate``: the scenario table via ``--json``, the timeline, the ledger, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ledger import EventRegistry, Ledger
from ledger.snapshots import load_state
from reducers.canary import CanaryFold, replay
from reducers.events import ALL_EVENTS
from tests.reducers.scenarios import Scenario, all_scenarios, canary, hook, mismatches
from tests.simulate.conftest import Invoke

Write = Callable[[str, Any], Path]
SCENARIOS = all_scenarios()
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def ticks_of(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario_through_the_cli(scenario: Scenario, invoke: Invoke, write: Write) -> None:
    canary_file = write("canary.yaml", scenario.canary)
    script_file = write("script.yaml", {"ticks": scenario.script})
    result = invoke(str(canary_file), "--script", str(script_file), "--json")
    assert result.exit_code == 0, result.output
    assert mismatches(scenario, ticks_of(result.stdout)) == []


def test_json_lines_have_the_documented_shape(invoke: Invoke, write: Write) -> None:
    result = invoke(str(write("c.yaml", canary(namespace="test"))), "--json")
    assert result.exit_code == 0, result.output
    third = ticks_of(result.stdout)[2]
    assert third == {
        "tick": 3,
        "time": "2026-01-01T00:02:00Z",
        "phase": "Progressing",
        "canaryWeight": 10,
        "failedChecks": 0,
        "iterations": 0,
        "routes": {"primary": 90, "canary": 10, "mirrored": False},
        "events": [
            "Starting canary analysis for podinfo.test",
            "Advance podinfo.test canary weight 10",
        ],
        "webhooks": [],
        "alerts": [],
    }


def test_without_a_script_the_run_goes_to_its_end(invoke: Invoke) -> None:
    result = invoke(str(EXAMPLES / "podinfo-canary.yaml"), "--json")
    assert result.exit_code == 0, result.output
    ticks = ticks_of(result.stdout)
    assert [t["phase"] for t in ticks[:2]] == ["Initialized", "Progressing"]
    assert ticks[-1]["phase"] == "Succeeded"
    assert [t["canaryWeight"] for t in ticks[2:7]] == [10, 20, 30, 40, 50]


def test_the_failing_example_script_rolls_back(invoke: Invoke) -> None:
    result = invoke(
        str(EXAMPLES / "podinfo-canary.yaml"),
        "--script",
        str(EXAMPLES / "podinfo-failing-script.yaml"),
        "--json",
    )
    assert result.exit_code == 0, result.output
    last = ticks_of(result.stdout)[-1]
    assert last["phase"] == "Failed"
    assert last["alerts"] == [
        {
            "severity": "error",
            "message": "Failed checks threshold reached 5",
            "to": ["on-call", "team-channel"],
        }
    ]


def test_timeline_shows_ticks_phases_weights_and_events(invoke: Invoke) -> None:
    result = invoke(str(EXAMPLES / "podinfo-canary.yaml"))
    assert result.exit_code == 0, result.output
    assert "T3   2026-01-01 00:01:00  Progressing" in result.stdout
    assert "90/10" in result.stdout
    assert "Advance podinfo.test canary weight 10" in result.stdout
    assert "Promotion completed! Scaling down podinfo.test" in result.stdout


def test_ledger_records_a_run_that_verifies_and_replays(
    invoke: Invoke, write: Write, tmp_path: Path
) -> None:
    location = str(tmp_path / "ledger.db")
    doc = canary({"webhooks": [hook("load")]}, namespace="test")
    result = invoke(str(write("c.yaml", doc)), "--ledger", location, "--json")
    assert result.exit_code == 0, result.output
    final = ticks_of(result.stdout)[-1]
    registry = EventRegistry(ALL_EVENTS)
    with Ledger.open(location) as ledger:
        assert ledger.verify().ok
        assert ledger.streams() == ["canary/test/podinfo"]
        events = [registry.decode(s) for s in ledger.read_stream("canary/test/podinfo")]
        state, version = load_state(ledger, registry, "canary/test/podinfo", CanaryFold())
    assert replay(events) == []
    assert version == len(events) == state.version
    assert (state.phase.value, state.canary_weight) == (final["phase"], final["canaryWeight"])


def test_a_second_run_into_the_same_ledger_is_refused(
    invoke: Invoke, write: Write, tmp_path: Path
) -> None:
    location = str(tmp_path / "ledger.db")
    path = str(write("c.yaml", canary()))
    assert invoke(path, "--ledger", location).exit_code == 0
    again = invoke(path, "--ledger", location)
    assert again.exit_code == 2
    assert "canary/default/podinfo" in again.stderr


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            {"ticks": [{}, {"metrics": {"latency": 5}}]},
            "ticks[1].metrics.latency: the canary has no metric named 'latency'",
        ),
        (
            {"ticks": [{"webhooks": {"approve": 403}}]},
            "ticks[0].webhooks.approve: the canary has no webhook named 'approve'",
        ),
        ({"ticks": [{"repeat": "x"}]}, "script ticks[0].repeat: Input should be a valid integer"),
        ({"ticks": [{"canary": {"ready": "no"}}]}, "script ticks[0].canary.ready"),
        ({"ticks": [{"surprise": 1}]}, "script ticks[0].surprise: Extra inputs are not permitted"),
        ("ticks: [\n  - {", "script.yaml:"),
        ({"ticks": [{"spec": {"analysis": {"stepWeight": -1}}}]}, "ticks[0].spec"),
    ],
)
def test_bad_scripts_exit_2_naming_the_place(
    invoke: Invoke, write: Write, script: Any, message: str
) -> None:
    result = invoke(str(write("c.yaml", canary())), "--script", str(write("script.yaml", script)))
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == "" or "T1" in result.stdout


def test_an_invalid_canary_exits_2_naming_the_field(invoke: Invoke, write: Write) -> None:
    doc = canary()
    doc["spec"]["analysis"]["stepWeight"] = "ten"
    result = invoke(str(write("bad.yaml", doc)))
    assert result.exit_code == 2
    assert "bad.yaml: invalid canary: Canary/podinfo: spec.analysis.stepWeight" in result.stderr


def test_a_file_without_a_canary_exits_2(invoke: Invoke, write: Write) -> None:
    result = invoke(str(write("none.yaml", {"kind": "ConfigMap"})))
    assert result.exit_code == 2
    assert "expected exactly one Canary document, found 0" in result.stderr


def test_a_missing_file_exits_2(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke(str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "nope.yaml: cannot read canary" in result.stderr
