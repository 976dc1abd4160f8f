"""``roost whatif``: a recorded run re-decided under a changed spec, never past its data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from reducers.canary.history import Outcome
from reducers.canary.redeciding import SettingError, redecide, with_settings
from tests.history.conftest import Invoke, example, history_of, record
from tests.reducers.scenarios import canary, hook

PODINFO = "canary/test/podinfo"
FAILING = example("podinfo-failing-script.yaml")


def _whatif(invoke: Invoke, ledger: Path, *args: str) -> dict[str, Any]:
    result = invoke("whatif", "--ledger", str(ledger), "--canary", "test/podinfo", *args, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_an_unchanged_spec_decides_every_tick_as_recorded(ledger_path: Path) -> None:
    record(ledger_path, example("podinfo-canary.yaml"), FAILING)
    record(ledger_path, canary(), [{}, {"target": {"revision": "v2"}}, {}, {}, {}])
    for stream in (PODINFO, "canary/default/podinfo"):
        run = history_of(ledger_path, stream).run()
        result = redecide(run, lambda spec: spec)
        assert result.missing is None
        assert [t.decisions for t in result.ticks] == [t.decisions for t in run.ticks]
        assert result.final == run.final.evolved(version=result.final.version)


def test_a_lower_threshold_rolls_back_earlier(ledger_path: Path, invoke: Invoke) -> None:
    record(ledger_path, example("podinfo-canary.yaml"), FAILING)
    data = _whatif(invoke, ledger_path, "--set", "analysis.threshold=2")
    assert data["firstDivergence"] == 8
    assert data["recordedOutcome"] == "failed" and data["missing"] is None
    assert data["whatifOutcome"].startswith("failed (Failed")
    eighth = next(row for row in data["ticks"] if row["tick"] == 8)
    assert eighth["recorded"]["decision"] == "halted metric-failed (counts)"
    assert eighth["whatif"]["decision"] == "routes -> 100/0, rolled back: failed-checks"
    assert all(row["whatif"] is None for row in data["ticks"] if row["tick"] > 8)
    # The alert metadata quotes the threshold, so the texts differ from the run's first tick.
    assert data["firstMessageDifference"] == 2


def test_the_side_by_side_text(ledger_path: Path, invoke: Invoke) -> None:
    record(ledger_path, example("podinfo-canary.yaml"), FAILING)
    args = ["whatif", "--ledger", str(ledger_path), "--canary", "test/podinfo"]
    result = invoke(*args, "--set", "analysis.threshold=2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    row = next(line for line in lines if line.startswith("T8 "))
    assert "Progressing w30 f3: halted metric-failed (counts)" in row
    assert "≠" in row and "Failed w0 f0: routes -> 100/0, rolled back: failed-checks" in row
    assert "first divergence: tick 8 (2026-01-01 00:03:30)" in lines
    assert "recorded outcome: failed (Failed, weight 0)" in lines
    assert "what-if outcome:  failed (Failed, weight 0)" in lines


def test_a_higher_threshold_stops_where_no_webhook_answer_was_recorded(
    ledger_path: Path, invoke: Invoke
) -> None:
    record(ledger_path, example("podinfo-canary.yaml"), FAILING)
    data = _whatif(invoke, ledger_path, "--set", "analysis.threshold=10")
    assert data["firstDivergence"] is None  # identical up to tick 10; tick 11 cannot be decided
    assert data["missing"]["tick"] == 11
    assert data["missing"]["detail"].startswith(
        "webhook load-test (rollout, http://flagger-loadtester.test/, phase Progressing) at tick 11"
    )
    assert data["missing"]["detail"].endswith("never called in this tick")
    assert data["missing"]["need"] == {
        "kind": "WebhookNeeded",
        "name": "load-test",
        "type": "rollout",
        "url": "http://flagger-loadtester.test/",
        "phase": "Progressing",
    }
    assert data["whatifStatus"]["failedChecks"] == 5


def test_a_weight_never_reached_is_missing_not_invented(ledger_path: Path, invoke: Invoke) -> None:
    record(ledger_path, example("podinfo-canary.yaml"), FAILING)
    data = _whatif(invoke, ledger_path, "--set", "analysis.stepWeight=20")
    assert data["firstDivergence"] == 3
    third = next(row for row in data["ticks"] if row["tick"] == 3)
    assert third["whatif"]["status"]["canaryWeight"] == 20
    assert data["missing"]["tick"] == 4
    assert "metric request-success-rate (builtin) at tick 4" in data["missing"]["detail"]
    assert "measured at traffic 90/10 (canary weight 10)" in data["missing"]["detail"]


def test_a_wider_range_judges_the_recorded_values_again(ledger_path: Path, invoke: Invoke) -> None:
    record(ledger_path, example("podinfo-canary.yaml"), FAILING)
    path = "analysis.metrics.request-duration.thresholdRange.max=2000"
    data = _whatif(invoke, ledger_path, "--set", path)
    sixth = next(row for row in data["ticks"] if row["tick"] == 6)
    assert sixth["whatif"]["decision"] == "routes -> 60/40, weight 40"
    assert data["firstDivergence"] == 6
    assert data["missing"]["tick"] == 7  # recorded at 70/30, the what-if serves 60/40


def test_a_gate_never_asked_is_missing(ledger_path: Path, invoke: Invoke) -> None:
    record(ledger_path, example("podinfo-canary.yaml"))
    data = _whatif(invoke, ledger_path, "--set", "analysis.maxWeight=30")
    assert data["missing"]["tick"] == 6
    assert data["missing"]["detail"].startswith("webhook approve-promotion (confirm-promotion")


def test_a_whole_spec_from_a_file(ledger_path: Path, invoke: Invoke, tmp_path: Path) -> None:
    record(ledger_path, example("podinfo-canary.yaml"), FAILING)
    doc = example("podinfo-canary.yaml")
    doc["spec"]["analysis"]["threshold"] = 1
    spec = tmp_path / "canary.yaml"
    spec.write_text(yaml.safe_dump(doc), encoding="utf-8")
    data = _whatif(invoke, ledger_path, "--spec", str(spec))
    assert data["firstDivergence"] == 7
    assert data["whatifOutcome"].startswith("failed")


def test_a_new_revision_mid_run_what_if_per_run(ledger_path: Path, invoke: Invoke) -> None:
    hooks = {"webhooks": [hook("gate", "confirm-promotion")]}
    script = [{}, {"target": {"revision": "v2"}}, {}, {}, {"target": {"revision": "v3"}}, {}, {}]
    record(ledger_path, canary(hooks), script)
    args = ["--canary", "default/podinfo", "--run", "1", "--set", "analysis.stepWeight=5"]
    result = invoke("whatif", "--ledger", str(ledger_path), *args, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["run"] == 1 and data["recordedOutcome"] == Outcome.SUPERSEDED.value
    assert data["missing"]["tick"] == 4


def test_bad_settings_exit_2(ledger_path: Path, invoke: Invoke) -> None:
    record(ledger_path, example("podinfo-canary.yaml"), FAILING)
    base = ["whatif", "--ledger", str(ledger_path), "--canary", "test/podinfo"]
    cases = [
        (["--set", "analysis.threshold=abc"], "spec.analysis.threshold"),
        (["--set", "analysis.metrics.nope.max=1"], "no item named 'nope'"),
        (["--set", "analysis.threshold"], "expected PATH=VALUE"),
        ([], "nothing to change"),
        (["--set", "analysis.threshold=2", "--run", "2"], "has no run 2"),
    ]
    for extra, text in cases:
        result = invoke(*base, *extra)
        assert result.exit_code == 2, (extra, result.output)
        assert text in result.stderr, (extra, result.stderr)


def test_with_settings_paths() -> None:
    spec = {"analysis": {"threshold": 5, "metrics": [{"name": "a", "interval": "1m"}]}}
    changed = with_settings(spec, [("analysis.metrics.0.interval", "2m"), ("analysis.x.y", 1)])
    assert changed["analysis"]["metrics"][0]["interval"] == "2m"
    assert changed["analysis"]["x"] == {"y": 1}
    assert spec["analysis"]["metrics"][0]["interval"] == "1m"  # the recorded spec is untouched
    for bad in ("analysis.threshold.x", "analysis.metrics.3.name", ""):
        try:
            with_settings(spec, [(bad, 1)])
        except SettingError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def test_a_spec_patched_mid_run_gets_the_change_too(ledger_path: Path, invoke: Invoke) -> None:
    patched = {"metrics": {"request-duration": 1515}, "spec": {"analysis": {"threshold": 4}}}
    script = [{}, {"target": {"revision": "v2"}}, {"repeat": 3}, {**patched, "repeat": 6}]
    record(ledger_path, example("podinfo-canary.yaml"), script)
    replayed = invoke("replay", "--ledger", str(ledger_path), "--canary", "test/podinfo")
    assert "spec changed" in replayed.stdout
    recorded = history_of(ledger_path, PODINFO).run()
    assert recorded.end is not None and recorded.ticks[-1].number == 10
    data = _whatif(invoke, ledger_path, "--set", "analysis.threshold=2")
    assert data["firstDivergence"] == 8 and data["whatifOutcome"].startswith("failed")
    bad = invoke(
        "whatif", "--ledger", str(ledger_path), "--canary", "test/podinfo", "--set",
        "analysis.stepWeight=abc",
    )  # fmt: skip
    assert bad.exit_code == 2 and "spec.analysis.stepWeight" in bad.stderr
