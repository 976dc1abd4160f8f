"""``roost explain``: why a recorded run ended as it did, or what it waits for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.history.conftest import Invoke, example, record
from tests.reducers.scenarios import canary, hook

FAILING = example("podinfo-failing-script.yaml")
START = [{}, {"target": {"revision": "v2"}}]


def _explain(invoke: Invoke, ledger: Path, name: str, *args: str) -> dict[str, Any]:
    result = invoke("explain", "--ledger", str(ledger), "--canary", name, *args, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_a_rollback_with_its_halts_metrics_and_webhooks(ledger_path: Path, invoke: Invoke) -> None:
    record(ledger_path, example("podinfo-canary.yaml"), FAILING)
    data = _explain(invoke, ledger_path, "test/podinfo")
    assert (data["run"], data["outcome"], data["ticks"]) == (1, "failed", 10)
    assert data["ending"]["reason"] == "failed-checks"
    assert data["ending"]["at"] == "2026-01-01T00:05:00+00:00"
    assert data["failedChecks"] == {"max": 5, "threshold": 5}
    assert data["maxWeight"] == 30
    assert [(h["tick"], h["reason"], h["failedChecks"]) for h in data["halts"]] == [
        (tick, "metric-failed", tick - 5) for tick in range(6, 11)
    ]
    assert data["halts"][0]["evidence"].endswith("request duration 1.515s > 500ms")
    duration = next(m for m in data["metrics"] if m["name"] == "request-duration")
    assert (duration["provider"], duration["interval"], duration["max"]) == ("istio", "30s", 500)
    assert duration["verdicts"] == {"pass": 2, "fail": 5}
    assert [f["value"] for f in duration["failures"]] == [1515.0] * 5
    load = next(h for h in data["webhooks"] if h["name"] == "load-test")
    assert (load["url"], load["calls"], load["statuses"]) == (
        "http://flagger-loadtester.test/",
        7,
        {"200": 7},
    )
    assert data["waiting"] is None


def test_the_text_names_the_reason_the_values_and_the_times(
    ledger_path: Path, invoke: Invoke
) -> None:
    record(ledger_path, example("podinfo-canary.yaml"), FAILING)
    result = invoke("explain", "--ledger", str(ledger_path), "--canary", "test/podinfo")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("test/podinfo run 1 of 1: failed")
    assert "ended: rolled back: failed-checks at 2026-01-01T00:05:00+00:00 (tick 11)" in lines
    assert "failed checks: 5 (most reached) of threshold 5; max canary weight 30" in lines
    assert (
        "  ticks 6-10 2026-01-01T00:02:30+00:00 -> 2026-01-01T00:04:30+00:00 (5x): 1515 fail"
        in lines
    )
    assert any(
        line.startswith("metric request-duration (builtin, provider istio") for line in lines
    )


def test_an_open_run_waits_on_its_gate_since_the_first_refusal(
    ledger_path: Path, invoke: Invoke
) -> None:
    record(
        ledger_path,
        example("podinfo-canary.yaml"),
        [*START, {"webhooks": {"approve-promotion": 403}, "repeat": 9}],
    )
    data = _explain(invoke, ledger_path, "test/podinfo")
    assert data["outcome"] == "running" and data["ending"] is None
    waiting = data["waiting"]
    assert waiting["for"] == "gate"
    assert waiting["detail"] == "confirm-promotion webhook approve-promotion"
    first_refusal = data["gates"][0]
    assert waiting["sinceTick"] == first_refusal["sinceTick"]
    assert waiting["since"] == first_refusal["since"]
    assert waiting["lastTick"] == 11 and waiting["nextTickDue"] == "2026-01-01T00:05:30+00:00"
    gate = next(h for h in data["webhooks"] if h["name"] == "approve-promotion")
    assert gate["verdicts"] == {"failure": first_refusal["ticks"]}


def test_an_open_run_waits_for_a_canary_that_is_not_ready(
    ledger_path: Path, invoke: Invoke
) -> None:
    script = [*START, {}, {"canary": {"ready": False, "message": "0 of 1 updated"}, "repeat": 3}]
    record(ledger_path, canary(), script)
    data = _explain(invoke, ledger_path, "default/podinfo")
    assert data["waiting"]["for"] == "readiness"
    assert "0 of 1 updated" in data["waiting"]["detail"]
    assert data["waiting"]["sinceTick"] == 4
    assert [h["reason"] for h in data["halts"]] == ["canary-not-ready"] * 3


def test_failing_webhook_answers_with_status_and_attempts(
    ledger_path: Path, invoke: Invoke
) -> None:
    hooks = {"webhooks": [hook("smoke", "rollout")], "threshold": 2}
    script = [*START, {}, {"webhooks": {"smoke": 500}, "repeat": 3}]
    record(ledger_path, canary(hooks), script)
    data = _explain(invoke, ledger_path, "default/podinfo")
    assert data["outcome"] == "failed"
    smoke = data["webhooks"][0]
    assert smoke["name"] == "smoke" and smoke["url"] == "http://flagger-loadtester.test/smoke"
    assert [f["status"] for f in smoke["failures"]] == [500, 500]
    assert [h["reason"] for h in data["halts"]] == ["rollout-hook-failed"] * 2


def test_an_ab_run_that_succeeds(ledger_path: Path, invoke: Invoke) -> None:
    ab = {
        "iterations": 3,
        "match": [{"headers": {"x-user-type": {"exact": "test"}}}],
        "stepWeight": None,
        "maxWeight": None,
    }
    record(ledger_path, canary(ab))
    data = _explain(invoke, ledger_path, "default/podinfo")
    assert data["outcome"] == "succeeded" and data["halts"] == []
    assert (data["maxIterations"], data["maxWeight"]) == (3, 0)
    assert data["ending"]["event"] == "succeeded"
    replayed = invoke("replay", "--ledger", str(ledger_path), "--verify")
    assert replayed.exit_code == 0, replayed.output


def test_runs_are_chosen_by_number(ledger_path: Path, invoke: Invoke) -> None:
    script = [*START, {}, {}, {"target": {"revision": "v3"}}, {}]
    record(ledger_path, canary(), script)
    assert _explain(invoke, ledger_path, "default/podinfo")["run"] == 2
    first = _explain(invoke, ledger_path, "default/podinfo", "--run", "1")
    assert first["outcome"] == "superseded"
    assert first["ending"]["event"].startswith("run restarted")
    for bad in ("0", "3"):
        result = invoke(
            "explain", "--ledger", str(ledger_path), "--canary", "default/podinfo", "--run", bad
        )
        assert result.exit_code == 2 and "has no run" in result.stderr
