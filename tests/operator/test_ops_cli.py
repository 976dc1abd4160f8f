"""``roost get`` and ``roost status`` against the API double through a kubeconfig, and the one-line
errors (exit 2) every operating command gives; ``status --watch`` runs as a real process."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from controller.cli import app
from controller.sandbox.kubeconfig import write_kubeconfig
from ledger import Ledger
from reducers.spec import Phase
from tests.fixtures.apiserver import ApiServerHandle
from tests.operator.test_ticks import NS, Harness, _canary, _deployment, _new_revision


@pytest.fixture
def harness(apiserver: ApiServerHandle, tmp_path: Path) -> Iterator[Harness]:
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        h = Harness(apiserver, ledger)
        h.apps.create_namespaced_deployment(NS, _deployment("podinfo:1"))
        yield h
    finally:
        ledger.close()


@pytest.fixture
def kubeconfig(apiserver: ApiServerHandle, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", apiserver.url)


def roost(kubeconfig: Path | str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--kubeconfig", str(kubeconfig)])
    return result.exit_code, result.output


def in_progress(harness: Harness, **analysis: Any) -> None:
    canary = _canary("istio", **analysis)
    harness.custom.create_namespaced_custom_object("flagger.app", "v1beta1", NS, "canaries", canary)
    harness.until(Phase.INITIALIZED)
    _new_revision(harness, "podinfo:2")
    harness.until(Phase.PROGRESSING)
    harness.tick()
    harness.tick()


def test_get_lists_flaggers_columns_and_the_run_progress(
    harness: Harness, kubeconfig: Path
) -> None:
    analysis = {"iterations": None, "stepWeight": 10, "maxWeight": 50}
    in_progress(harness, **analysis)
    code, out = roost(kubeconfig, "get", "-n", NS)
    assert code == 0, out
    header, row = out.splitlines()
    assert header.split() == [
        "NAME",
        "STATUS",
        "WEIGHT",
        "SUSPENDED",
        "FAILEDCHECKS",
        "INTERVAL",
        "MIRROR",
        "STEPWEIGHT",
        "STEPWEIGHTS",
        "MAXWEIGHT",
        "LASTTRANSITIONTIME",
        "PROGRESS",
    ]
    assert row.split()[:4] == ["podinfo", "Progressing", "20", "0"]
    assert row.endswith("weight 20/50")

    code, out = roost(kubeconfig, "get", "-A")
    assert code == 0, out
    assert out.splitlines()[0].startswith("NAMESPACE")
    assert out.splitlines()[1].split()[:2] == [NS, "podinfo"]

    code, out = roost(kubeconfig, "get")  # the context's namespace: default, empty
    assert (code, out) == (0, "No canaries found.\n")


def test_status_shows_phase_checks_conditions_and_events(
    harness: Harness, kubeconfig: Path
) -> None:
    in_progress(harness, iterations=5)
    code, out = roost(kubeconfig, "status", f"{NS}/podinfo")
    assert code == 0, out
    lines = out.splitlines()
    assert "Status:           Progressing" in lines
    assert "Progress:         iteration 2/5" in lines
    assert "Failed checks:    0/2" in lines
    assert any(line.startswith("  Promoted Unknown Progressing: ") for line in lines)
    assert any("Advance podinfo.test canary iteration 2/5" in line for line in lines)
    assert "Pending command:  -" in lines

    assert roost(kubeconfig, "promote", f"{NS}/podinfo", "--as", "alice")[0] == 0
    out = roost(kubeconfig, "status", f"{NS}/podinfo")[1]
    assert "Pending command:  promote by alice at " in out


def test_status_watch_prints_again_on_a_change(harness: Harness, kubeconfig: Path) -> None:
    in_progress(harness, iterations=5)
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from controller.cli import main; main()",
            "status",
            f"{NS}/podinfo",
            "--watch",
            "--timeout",
            "20",
            "--kubeconfig",
            str(kubeconfig),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        seen = []
        for line in process.stdout:
            seen.append(line)
            if line.startswith("Events:"):
                break
        assert any("iteration 2/5" in line for line in seen), seen
        harness.tick()  # the operator moves the run on: the watch prints the new status
        for line in process.stdout:
            seen.append(line)
            if "iteration 3/5" in line:
                break
        assert any(line == "---\n" for line in seen), seen
        assert any("iteration 3/5" in line for line in seen), seen
    finally:
        process.kill()
        process.communicate(timeout=30)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("status", "test/missing"), "roost status: canary test/missing not found"),
        (("promote", "test/missing"), "roost promote: canary test/missing not found"),
        (("abort", "podinfo"), "roost abort: expected NS/NAME, got 'podinfo'"),
        (("retry", "a/b/c"), "roost retry: expected NS/NAME, got 'a/b/c'"),
    ],
)
def test_errors_are_one_line_and_exit_2(
    kubeconfig: Path, args: tuple[str, ...], message: str
) -> None:
    code, out = roost(kubeconfig, *args)
    assert (code, out) == (2, message + "\n")


def test_an_unreachable_cluster_or_missing_kubeconfig_exits_2(tmp_path: Path) -> None:
    dead = write_kubeconfig(tmp_path / "dead", f"http://127.0.0.1:{_closed_port()}")
    code, out = roost(dead, "get", "-A")
    assert code == 2
    assert out.startswith("roost get: cluster unreachable") and out.count("\n") == 1
    code, out = roost(tmp_path / "absent", "pause", "test/podinfo")
    assert code == 2 and "kubeconfig" in out and out.count("\n") == 1
    code, out = roost(dead, "get", "--context", "nowhere")
    assert (code, out.strip()) == (2, f"roost get: kubeconfig {dead} has no context 'nowhere'")
