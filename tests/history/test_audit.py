"""``roost audit``: runs, failures, approvals, changes and events over a simulated SQLite ledger."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from controller.histories import canary_streams, load_histories
from controller.loadtester import GateStore
from ledger import Ledger
from ledger import audit as queries
from ledger import audit_trail as trail
from ledger.audit import Filters
from tests.history.audit_ledgers import build
from tests.history.conftest import Invoke

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("audit") / "ledger.db")


def test_runs_cover_every_outcome_numbered_per_canary(recorded: Path) -> None:
    with Ledger.open(str(recorded)) as ledger:
        rows = queries.runs(ledger)
    got = [(r.canary, r.run, r.outcome, r.reason, r.max_weight, r.failed_checks) for r in rows]
    promotion_error = (
        'podinfo-primary.prod not ready: deployment "podinfo-primary" exceeded its progress '
        "deadline"
    )
    assert got == [
        ("prod/aborted", 1, "failed", "aborted", 20, 0),
        ("prod/deleted", 1, "terminated", "", 20, 0),
        ("prod/promotion", 1, "failed", promotion_error, 100, 0),
        ("prod/tuned", 1, "succeeded", "", 30, 0),
        ("test/failing", 1, "failed", "failed-checks", 30, 5),
        ("test/gated", 1, "succeeded", "", 50, 0),
        ("test/healthy", 1, "succeeded", "", 50, 0),
        ("test/ongoing", 1, "running", "", 20, 0),
        ("test/restarted", 1, "superseded", "", 20, 0),
        ("test/restarted", 2, "succeeded", "", 50, 0),
        ("test/twice", 1, "succeeded", "", 50, 0),
        ("test/twice", 2, "failed", "failed-checks", 20, 5),
    ]
    restarted = [r for r in rows if r.canary == "test/restarted"]
    # A superseded run ends where the next begins, with the next revision.
    assert restarted[0].ended == restarted[1].started == at(2)
    assert restarted[0].revision != restarted[1].revision
    ongoing = next(r for r in rows if r.canary == "test/ongoing")
    assert (ongoing.ended, ongoing.duration) == (None, None)
    failing = next(r for r in rows if r.canary == "test/failing")
    assert (failing.started, failing.ended, failing.duration) == (at(0.5), at(5), timedelta(0, 270))


def test_runs_agree_with_the_folded_history_of_every_canary(recorded: Path) -> None:
    """The SQL reading of runs and the fold-based one (replay, explain) are the same runs."""
    with Ledger.open(str(recorded)) as ledger:
        histories = load_histories(ledger, canary_streams(ledger))
        rows = queries.runs(ledger)
    folded = [
        (h.stream.removeprefix("canary/"), r.number, r.outcome.value, r.revision)
        + (r.started_at, r.ended_at)
        for h in histories
        for r in h.runs
    ]
    assert [(r.canary, r.run, r.outcome, r.revision, r.started, r.ended) for r in rows] == folded
    assert len(folded) == 12


def test_runs_filters_by_namespace_canary_outcome_and_time(recorded: Path) -> None:
    with Ledger.open(str(recorded)) as ledger:
        prod = queries.runs(ledger, Filters(namespace="prod"))
        twice = queries.runs(ledger, Filters(canary="test/twice"))
        failed = queries.runs(ledger, outcome="failed")
        late = queries.runs(ledger, Filters(since=at(1)))
        early = queries.runs(ledger, Filters(until=at(1)))
    assert {r.canary for r in prod} == {
        "prod/aborted",
        "prod/deleted",
        "prod/promotion",
        "prod/tuned",
    }
    assert [(r.run, r.outcome) for r in twice] == [(1, "succeeded"), (2, "failed")]
    assert {(r.canary, r.run) for r in failed} == {
        ("prod/aborted", 1), ("prod/promotion", 1), ("test/failing", 1), ("test/twice", 2),
    }  # fmt: skip
    # Numbers do not depend on the filters: the second run of a canary stays run 2.
    assert [(r.canary, r.run) for r in late] == [("test/restarted", 2), ("test/twice", 2)]
    assert len(early) == 10


def test_runs_command_prints_a_table_json_and_csv(recorded: Path, invoke: Invoke) -> None:
    table = invoke("audit", "runs", "--ledger", str(recorded), "--namespace", "test")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split() == [
        "CANARY", "RUN", "REVISION", "STARTED", "ENDED", "DURATION", "OUTCOME", "REASON", "MAX",
        "WEIGHT", "FAILED", "CHECKS",
    ]  # fmt: skip
    failing = next(line for line in lines if line.startswith("test/failing"))
    assert failing.split()[7:] == ["4m30s", "failed", "failed-checks", "30", "5"]
    # Aligned: each value starts under its heading.
    column = lines[0].index("OUTCOME")
    outcomes = [line[column:].split()[0] for line in lines[1:]]
    assert outcomes == ["failed", "succeeded", "succeeded", "running", "superseded", "succeeded",
                        "succeeded", "failed"]  # fmt: skip

    as_json = invoke("audit", "runs", "--ledger", str(recorded), "--canary", "test/restarted",
                     "--json")  # fmt: skip
    assert as_json.exit_code == 0, as_json.output
    runs = json.loads(as_json.stdout)
    revisions = [r.pop("revision") for r in runs]
    assert revisions[0] != revisions[1]
    assert runs == [
        {
            "canary": "test/restarted", "run": 1, "started": "2026-01-01T00:00:30Z",
            "ended": "2026-01-01T00:02:00Z", "duration_s": 90.0, "outcome": "superseded",
            "reason": "", "max_weight": 20, "failed_checks": 0,
        },
        {
            "canary": "test/restarted", "run": 2, "started": "2026-01-01T00:02:00Z",
            "ended": "2026-01-01T00:06:00Z", "duration_s": 240.0, "outcome": "succeeded",
            "reason": "", "max_weight": 50, "failed_checks": 0,
        },
    ]  # fmt: skip

    as_csv = invoke("audit", "runs", "--ledger", str(recorded), "--outcome", "running", "--csv")
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["canary"], r["outcome"], r["ended"], r["duration_s"]) for r in rows] == [
        ("test/ongoing", "running", "", "")
    ]


def test_failures_are_grouped_by_reason(recorded: Path, invoke: Invoke) -> None:
    with Ledger.open(str(recorded)) as ledger:
        found = queries.failures(ledger)
    assert [(f.reason, f.count, f.canaries, f.last_seen) for f in found][:2] == [
        ("failed-checks", 2, ("test/failing", "test/twice"), at(10)),
        ("aborted", 1, ("prod/aborted",), at(2)),
    ]
    assert len(found) == 3
    result = invoke("audit", "failures", "--ledger", str(recorded), "--json", "--since",
                    "2026-01-01T00:06:00Z")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"reason": "failed-checks", "count": 1, "canaries": ["test/twice"],
         "last_seen": "2026-01-01T00:10:00Z"},
    ]  # fmt: skip


def test_approvals_show_gate_answers_and_who_gave_commands(recorded: Path) -> None:
    with Ledger.open(str(recorded)) as ledger:
        gated = trail.approvals(ledger, Filters(canary="test/gated"))
        aborted = trail.approvals(ledger, Filters(canary="prod/aborted"))
    assert [(a.run, a.at, a.last, a.calls, a.gate, a.name, a.answer) for a in gated] == [
        (1, at(3.5), at(4.5), 3, "confirm-promotion", "approve-promotion", "closed"),
        (1, at(5), at(5), 1, "confirm-promotion", "approve-promotion", "open"),
    ]
    assert gated[0].detail == "http://flagger-loadtester.test/gate/approve HTTP 403"
    assert [(a.gate, a.name, a.answer, a.who) for a in aborted] == [
        ("command", "abort", "accepted", "alice")
    ]


def test_approvals_name_who_switched_a_gate_from_the_load_testers_gate_log(
    recorded: Path, tmp_path: Path, invoke: Invoke
) -> None:
    times = iter([at(4.75), at(5.5)])
    store = GateStore(tmp_path / "gates.sqlite", clock=lambda: next(times))
    try:
        store.set("gated.test", open=True, actor="bob")
        store.set("gated.test", open=False, actor="carol")
    finally:
        store.close()
    result = invoke("audit", "approvals", "--ledger", str(recorded), "--canary", "test/gated",
                    "--gate-log", str(tmp_path / "gates.sqlite"), "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    # Closed at first by default (nobody closed it), then opened by bob before the next ask.
    assert [(r["answer"], r["who"], r["at"]) for r in rows] == [
        ("closed", "", "2026-01-01T00:03:30Z"),
        ("open", "bob", "2026-01-01T00:05:00Z"),
    ]
    missing = invoke("audit", "approvals", "--ledger", str(recorded), "--gate-log",
                     str(tmp_path / "nope.sqlite"))  # fmt: skip
    assert missing.exit_code == 2
    assert "cannot read the gate log" in missing.stderr


def test_changes_list_spec_paths_and_revisions(recorded: Path, invoke: Invoke) -> None:
    result = invoke("audit", "changes", "--ledger", str(recorded), "--canary", "prod/tuned",
                    "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["run"], r["at"], r["kind"], r["what"]) for r in rows] == [
        (0, "2026-01-01T00:00:00Z", "spec", []),
        (0, "2026-01-01T00:00:00Z", "revision", "v1"),
        (0, "2026-01-01T00:00:30Z", "revision", "v2"),
        (1, "2026-01-01T00:02:00Z", "spec", ["analysis.maxWeight", "analysis.threshold"]),
    ]
    assert rows[2]["from"] == rows[1]["to"] != rows[2]["to"]
    with Ledger.open(str(recorded)) as ledger:
        restarted = trail.changes(ledger, Filters(canary="test/restarted"))
    assert [(c.run, c.kind, c.label) for c in restarted if c.kind == "revision"] == [
        (0, "revision", "v1"), (0, "revision", "v2"), (1, "revision", "v3"),
    ]  # fmt: skip


def test_changed_paths_compare_objects_key_by_key() -> None:
    before = '{"a":{"b":1,"c":[1,2]},"d":"x"}'
    after = '{"a":{"b":2,"c":[1,2,3]},"e":true}'
    assert trail.changed_paths(before, after) == ["a.b", "a.c", "d", "e"]
    assert trail.changed_paths("", after) == []
    assert trail.changed_paths(after, after) == []


def test_events_lists_raw_events_with_filters(recorded: Path, invoke: Invoke) -> None:
    result = invoke("audit", "events", "--ledger", str(recorded), "--canary", "test/failing",
                    "--type", "halted", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 5
    assert {r["type"] for r in rows} == {"canary.halted"}
    assert all(r["payload"]["counts"] is True for r in rows)
    assert [r["position"] for r in rows] == sorted(r["position"] for r in rows)
    limited = invoke("audit", "events", "--ledger", str(recorded), "--limit", "3", "--until",
                     "2026-01-01T00:00:01Z", "--csv")  # fmt: skip
    lines = list(csv.reader(io.StringIO(limited.stdout)))
    assert lines[0] == ["position", "canary", "version", "at", "type", "payload"]
    assert [line[0] for line in lines[1:]] == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["runs", "--canary", "test/nope"], "no canary test/nope in"),
        (["runs", "--canary", "nope"], "--canary 'nope': expected NS/NAME"),
        (["runs", "--since", "yesterday"], "--since 'yesterday': not an ISO 8601 time"),
        (["runs", "--outcome", "great"], "--outcome 'great': one of"),
        (["events", "--json", "--csv"], "--json and --csv exclude each other"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    recorded: Path, invoke: Invoke, args: list[str], message: str
) -> None:
    result = invoke("audit", *args, "--ledger", str(recorded))
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_missing_ledger_is_an_error_not_a_new_ledger(tmp_path: Path, invoke: Invoke) -> None:
    result = invoke("audit", "runs", "--ledger", str(tmp_path / "none.db"))
    assert result.exit_code == 2
    assert "no ledger at" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_the_gate_log_can_be_read_from_the_load_tester_over_http(
    recorded: Path, httpserver: HTTPServer, invoke: Invoke
) -> None:
    httpserver.expect_request("/gate/log").respond_with_json(
        [{"id": 1, "key": "gated.test", "action": "open", "actor": "dave",
          "at": "2026-01-01T00:04:50+00:00"}]
    )  # fmt: skip
    result = invoke("audit", "approvals", "--ledger", str(recorded), "--canary", "test/gated",
                    "--gate-log", httpserver.url_for("/gate/log"), "--csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["answer"], r["who"]) for r in rows] == [("closed", ""), ("open", "dave")]


def test_the_bench_runs_end_to_end_on_a_small_ledger(tmp_path: Path) -> None:
    bench = Path(__file__).resolve().parents[2] / "bench" / "audit.py"
    done = subprocess.run(
        [sys.executable, str(bench), "--events", "3000", "--repeat", "1",
         "--ledger", str(tmp_path / "bench.db")],
        capture_output=True, text=True, timeout=100, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "hash chain intact" in done.stdout
    assert re.search(r"^audit runs +[\d.]+ ms", done.stdout, re.M)
