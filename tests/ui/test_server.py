"""The dashboard over real HTTP (httpx) on a ledger written by real simulations."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from controller.ui.serving import DashboardServer, is_loopback
from controller.ui.sources import SourceError, open_read_only
from tests.ui.conftest import HOSTILE, HOSTILE_NS

ROOST = Path(sys.executable).parent / "roost"


def get(server: DashboardServer, path: str) -> httpx.Response:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        return client.get(path)


def test_the_list_shows_every_canary_with_phase_weight_and_outcome(
    server: DashboardServer,
) -> None:
    rows = {(c["namespace"], c["name"]): c for c in get(server, "/api/canaries").json()["canaries"]}
    assert set(rows) == {
        ("test", "podinfo"), ("test", "podinfo-failing"), ("prod", "frontend"),
        (HOSTILE_NS, HOSTILE),
    }  # fmt: skip
    assert (rows["test", "podinfo"]["phase"], rows["test", "podinfo"]["lastOutcome"]) == (
        "Succeeded", "succeeded",
    )  # fmt: skip
    assert rows["test", "podinfo-failing"]["phase"] == "Failed"
    assert rows["test", "podinfo-failing"]["lastOutcome"] == "failed"
    frontend = rows["prod", "frontend"]
    assert (frontend["phase"], frontend["runs"], frontend["lastOutcome"]) == (
        "Progressing", 2, "running",
    )  # fmt: skip
    assert frontend["weight"] > 0 and frontend["provider"] == "istio"
    page = get(server, "/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for name in ("podinfo-failing", "frontend", "Progressing", "Failed", "succeeded"):
        assert name in page.text


def test_a_canary_page_has_runs_events_explanation_and_yaml(server: DashboardServer) -> None:
    data = get(server, "/api/canary/test/podinfo-failing").json()
    [run] = data["runs"]
    assert (run["outcome"], run["end"]) == ("failed", "rolled back: failed-checks")
    assert (run["maxWeight"], run["durationSeconds"], run["ticks"]) == (30, 270.0, 10)
    assert any("Rolling back" in e["message"] or "rolling back" in e["message"].lower()
               for e in data["events"])  # fmt: skip
    assert data["explain"]["ending"]["reason"] == "failed-checks"
    assert data["manifest"]["metadata"] == {"name": "podinfo-failing", "namespace": "test"}
    page = get(server, "/canary/test/podinfo-failing").text
    assert 'href="/canary/test/podinfo-failing/run/1"' in page
    assert "run 1 of 1: failed" in page  # the explain text, as `roost explain` prints it
    assert "kind: Canary" in page and "stepWeight: 10" in page


def test_a_run_page_charts_weights_and_metrics_with_halts_and_the_rollback(
    server: DashboardServer,
) -> None:
    page = get(server, "/canary/test/podinfo-failing/run/1").text
    assert page.count("<svg") == 3  # weight, request-success-rate, request-duration
    assert page.count('class="marker marker-halt"') == 3 * 5  # five failed checks, each chart
    assert page.count('class="marker marker-rollback"') == 3
    assert "rolled back at" in page and "failed-checks" in page
    assert 'id="ticks"' in page and "weight 30" in page
    charts = get(server, "/api/canary/test/podinfo-failing/run/1").json()["charts"]
    assert [y for _, y in charts["weight"]] == [0, 10, 20, 30, 30, 30, 30, 30, 30, 0]
    assert [m["x"] for m in charts["markers"]] == [120, 150, 180, 210, 240, 270]
    assert max(y for _, y in charts["metrics"]["request-duration"]["request-duration"]) == 1515


def test_unknown_canaries_runs_and_pages_are_clear_404s(server: DashboardServer) -> None:
    for path, words in [
        ("/canary/test/nope", "no canary test/nope"),
        ("/canary/test/podinfo/run/7", "no run 7 (runs 1-1)"),
        ("/canary/test/podinfo/run/x", "is not a run number"),
        ("/elsewhere", "no page at /elsewhere"),
    ]:
        answer = get(server, path)
        assert answer.status_code == 404 and words in answer.text, path
        assert "Traceback" not in answer.text
    missing = get(server, "/api/canary/prod/nope")
    assert missing.status_code == 404 and missing.json() == {
        "error": "no canary prod/nope in the ledger"
    }


def test_a_hostile_name_is_text_everywhere(server: DashboardServer) -> None:
    index = get(server, "/").text
    link = f"/canary/{HOSTILE_NS}/{quote(HOSTILE, safe='')}"
    assert "<script>" not in index and "&lt;script&gt;" in index
    page = get(server, link)
    assert page.status_code == 200
    assert "<script>" not in page.text and "&lt;script&gt;alert(&quot;x&quot;)" in page.text
    assert "<script>" not in get(server, link + "/run/1").text


def test_nothing_is_ever_written(server: DashboardServer, ui_ledger: Path) -> None:
    before = hashlib.sha256(ui_ledger.read_bytes()).hexdigest()
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for path in ["/", "/canary/test/podinfo", "/canary/prod/frontend/run/2", "/api/canaries"]:
            assert client.get(path).status_code == 200
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            assert client.request(method, "/api/canaries").status_code == 405
    assert hashlib.sha256(ui_ledger.read_bytes()).hexdigest() == before
    # The database itself refuses a write on the dashboard's connections.
    engine = server.dashboard.ledger.ledger.engine
    with (
        engine.connect() as conn,
        pytest.raises(OperationalError, match="attempt to write a readonly database"),
    ):
        conn.exec_driver_sql("DELETE FROM events")
    assert hashlib.sha256(ui_ledger.read_bytes()).hexdigest() == before


def test_a_missing_or_unmigrated_ledger_is_refused_without_creating_it(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no ledger at"):
        open_read_only(str(tmp_path / "none.db"))
    assert not (tmp_path / "none.db").exists()
    (tmp_path / "empty.db").write_bytes(b"")
    with pytest.raises(SourceError, match="schema revision none"):
        open_read_only(str(tmp_path / "empty.db"))


def test_loopback_addresses() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "::1", "localhost", "127.1.2.3"]))
    assert not any(map(is_loopback, ["0.0.0.0", "192.168.1.4", "example.org"]))


def test_the_command_serves_until_interrupted_and_warns_off_loopback(ui_ledger: Path) -> None:
    proc = subprocess.Popen(
        [str(ROOST), "ui", "--ledger", str(ui_ledger), "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        line = proc.stdout.readline()
        assert "(read-only) at http://0.0.0.0:" in line, line
        port = int(line.rsplit(":", 1)[1].strip(" /\n"))
        answer = httpx.get(f"http://127.0.0.1:{port}/api/canaries", timeout=10)
        assert len(answer.json()["canaries"]) == 4
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "warning: listening on 0.0.0.0, reachable from other machines" in err


def test_the_command_reports_a_missing_ledger(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(ROOST), "ui", "--ledger", str(tmp_path / "no.db")], capture_output=True, text=True
    )
    assert done.returncode == 2 and "error: no ledger at" in done.stderr
