"""Operator commands end to end: ``roost promote`` and friends write the Canary's command
annotation through a kubeconfig, the operator (ticked by hand, as in ``test_ticks``) acts on it
once, records who asked, and removes it; the ledger still replays exactly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from controller.cli import app
from controller.operator.commands import COMMAND_ANNOTATION
from controller.operator.running import stream_of
from controller.sandbox.kubeconfig import CONTEXT, write_kubeconfig
from controller.ticking import Tick
from ledger import EventRegistry, Ledger
from reducers.base import Event
from reducers.canary import INITIAL
from reducers.canary.replaying import replay
from reducers.events import (
    ALL_EVENTS,
    CommandHandled,
    CommandObserved,
    RollbackReason,
    RolledBack,
    RunSuspended,
)
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


def roost(kubeconfig: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--kubeconfig", str(kubeconfig)])
    return result.exit_code, result.output


def events(harness: Harness) -> list[Event]:
    registry = EventRegistry(ALL_EVENTS)
    return [registry.decode(e) for e in harness.ledger.read_stream(stream_of(NS, "podinfo"))]


def annotations(harness: Harness) -> dict[str, Any]:
    obj = harness.custom.get_namespaced_custom_object(
        "flagger.app", "v1beta1", NS, "canaries", "podinfo"
    )
    found: dict[str, Any] = obj["metadata"].get("annotations") or {}
    return found


def primary_image(harness: Harness) -> str:
    primary = harness.apps.read_namespaced_deployment("podinfo-primary", NS)
    return str(primary.spec.template.spec.containers[0].image)


def start_run(harness: Harness, iterations: int = 10) -> None:
    canary = _canary(iterations=iterations)
    harness.custom.create_namespaced_custom_object("flagger.app", "v1beta1", NS, "canaries", canary)
    harness.until(Phase.INITIALIZED)
    _new_revision(harness, "podinfo:2")
    harness.until(Phase.PROGRESSING)
    harness.tick()
    harness.tick()
    assert harness.canary_status()["iterations"] == 2


def test_promote_mid_analysis_ends_early_and_is_recorded(
    harness: Harness, kubeconfig: Path
) -> None:
    start_run(harness)
    code, out = roost(kubeconfig, "promote", f"{NS}/podinfo", "--as", "alice")
    assert code == 0, out
    assert "promote of test/podinfo requested by alice" in out
    assert "next tick" in out
    command = json.loads(annotations(harness)[COMMAND_ANNOTATION])
    assert command["command"] == "promote" and command["by"] == "alice"

    assert harness.tick() is Phase.PROMOTING
    assert COMMAND_ANNOTATION not in annotations(harness)  # handled, so removed
    phases = harness.until(Phase.SUCCEEDED)
    assert len(phases) <= 4  # 8 iterations were left: the analysis was skipped
    assert primary_image(harness) == "podinfo:2"

    recorded = events(harness)
    observed = [e for e in recorded if isinstance(e, CommandObserved)]
    assert [(e.command.value, e.by, e.id) for e in observed] == [
        ("promote", "alice", command["id"])
    ]
    handled = [e for e in recorded if isinstance(e, CommandHandled)]
    assert [(h.by, h.accepted) for h in handled] == [("alice", True)]
    assert replay(recorded) == []
    assert harness.ledger.verify().ok
    kube_events = harness.api.objects("events", NS)
    assert any("requested by alice" in str(e.get("message")) for e in kube_events)
    assert any(e.get("reason") == "CommandAccepted" for e in kube_events)


def test_abort_rolls_back_and_retry_runs_the_revision_again(
    harness: Harness, kubeconfig: Path
) -> None:
    start_run(harness, iterations=3)
    code, out = roost(kubeconfig, "abort", f"{NS}/podinfo", "--as", "bob")
    assert code == 0, out
    assert harness.tick() is Phase.FAILED
    assert primary_image(harness) == "podinfo:1"
    assert harness.apps.read_namespaced_deployment("podinfo", NS).spec.replicas == 0
    rolled = [e for e in events(harness) if isinstance(e, RolledBack)]
    assert [r.reason for r in rolled] == [RollbackReason.ABORTED]
    assert harness.tick() is Phase.FAILED  # a failed revision stays failed on its own

    code, out = roost(kubeconfig, "retry", f"{NS}/podinfo", "--as", "carol")
    assert code == 0, out
    assert harness.tick() is Phase.PROGRESSING
    harness.until(Phase.SUCCEEDED)
    assert primary_image(harness) == "podinfo:2"
    recorded = events(harness)
    handled = [
        (h.command.value, h.by, h.accepted) for h in recorded if isinstance(h, CommandHandled)
    ]
    assert handled == [("abort", "bob", True), ("retry", "carol", True)]
    assert replay(recorded) == []


def test_pause_skips_ticks_until_resume(harness: Harness, kubeconfig: Path) -> None:
    start_run(harness)
    code, out = roost(kubeconfig, "pause", f"{NS}/podinfo")
    assert code == 0, out
    assert "spec.suspend is now true" in out
    for _ in range(3):
        harness.tick()
    assert harness.canary_status()["iterations"] == 2
    suspended = [e for e in events(harness) if isinstance(e, RunSuspended)]
    assert len(suspended) == 3

    code, out = roost(kubeconfig, "resume", f"{NS}/podinfo")
    assert code == 0, out
    harness.tick()
    assert harness.canary_status()["iterations"] == 3
    recorded = events(harness)
    # the kubeconfig's user is who asked when --as is not given
    who = [(e.command.value, e.by) for e in recorded if isinstance(e, CommandHandled)]
    assert who == [("pause", CONTEXT), ("resume", CONTEXT)]
    assert replay(recorded) == []


def test_a_command_outside_a_run_is_ignored_with_a_warning(
    harness: Harness, kubeconfig: Path
) -> None:
    harness.custom.create_namespaced_custom_object(
        "flagger.app", "v1beta1", NS, "canaries", _canary()
    )
    harness.until(Phase.INITIALIZED)
    assert roost(kubeconfig, "promote", f"{NS}/podinfo", "--as", "dan")[0] == 0
    assert harness.tick() is Phase.INITIALIZED
    handled = [e for e in events(harness) if isinstance(e, CommandHandled)]
    assert [(h.accepted, h.reason) for h in handled] == [
        (False, "no run in progress that can be promoted (phase Initialized)")
    ]
    warnings = [e for e in harness.api.objects("events", NS) if e.get("type") == "Warning"]
    assert any(e.get("reason") == "CommandIgnored" for e in warnings)


def test_a_malformed_command_annotation_is_ignored(harness: Harness) -> None:
    harness.custom.create_namespaced_custom_object(
        "flagger.app", "v1beta1", NS, "canaries", _canary()
    )
    harness.until(Phase.INITIALIZED)
    patch = {"metadata": {"annotations": {COMMAND_ANNOTATION: "{not json"}}}
    harness.custom.patch_namespaced_custom_object(
        "flagger.app", "v1beta1", NS, "canaries", "podinfo", patch
    )
    assert harness.tick() is Phase.INITIALIZED
    assert not [e for e in events(harness) if isinstance(e, CommandObserved)]
    assert annotations(harness)[COMMAND_ANNOTATION] == "{not json"


def test_a_newer_command_is_not_removed_with_the_handled_one(
    harness: Harness, kubeconfig: Path
) -> None:
    start_run(harness)
    assert roost(kubeconfig, "promote", f"{NS}/podinfo", "--as", "erin")[0] == 0
    first = json.loads(annotations(harness)[COMMAND_ANNOTATION])
    # a second command arrives before the operator clears the first: it must stay
    assert roost(kubeconfig, "abort", f"{NS}/podinfo", "--as", "frank")[0] == 0
    doc = harness.custom.get_namespaced_custom_object(
        "flagger.app", "v1beta1", NS, "canaries", "podinfo"
    )
    handled = CommandHandled(
        at=harness.now, id=first["id"], command=first["command"], by="erin", accepted=True
    )
    harness.operator.clear_command(doc, Tick((), (handled,), (), INITIAL))
    second = json.loads(annotations(harness)[COMMAND_ANNOTATION])
    assert second["by"] == "frank"
    # the handled command itself is removed
    handled = handled.model_copy(update={"id": second["id"]})
    harness.operator.clear_command(doc, Tick((), (handled,), (), INITIAL))
    assert COMMAND_ANNOTATION not in annotations(harness)
