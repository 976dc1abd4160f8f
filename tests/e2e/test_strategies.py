"""``roost run`` in its own process through the other strategies: A/B testing and blue/green,
a confirm-promotion gate held and then opened through ``roost loadtester``, and a new revision
released while a run is under way.

Every test ends on the same check: the ledger says the release was promoted and the cluster
shows it (:func:`assert_cluster_matches_ledger`), the ledger replays exactly and verifies.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import kubernetes.client
import pytest

from reducers.base import Event
from reducers.canary.replaying import replay
from reducers.events import (
    IterationAdvanced,
    PromotionStarted,
    RoutesSet,
    RunRestarted,
    RunStarted,
    Succeeded,
    TickStarted,
    WebhookResult,
    WebhookVerdict,
    WeightAdvanced,
)
from tests.e2e.conftest import (
    NS,
    ROOST,
    Cluster,
    assert_cluster_matches_ledger,
    canary,
    deployment,
    free_port,
    ledger_events,
    verify_ledger,
)

AB_MATCH = [{"headers": {"x-user-type": {"exact": "test"}}}]
NO_WEIGHTS: dict[str, Any] = {"maxWeight": None, "stepWeight": None}


def _count(events: list[Event], kind: type[Event]) -> int:
    return sum(isinstance(e, kind) for e in events)


def _settle(cluster: Cluster) -> None:
    """Stop the operators gracefully, so the ledger is read at rest."""
    for process in cluster.operators:
        cluster.stop(process)


def _replays_and_verifies(events: list[Event], ledger: Path) -> None:
    assert replay(events) == []
    verify_ledger(ledger)


def test_ab_testing_sends_matching_requests_to_the_canary_then_promotes(
    cluster: Cluster, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.db"
    cluster.create(deployment("podinfo:1"), canary(iterations=3, match=AB_MATCH, **NO_WEIGHTS))
    cluster.operator(ledger)
    cluster.wait_phase("Initialized")
    cluster.release("podinfo:2")

    def ab_rules_live() -> bool:
        vs = cluster.virtual_service() or {}
        rules = (vs.get("spec") or {}).get("http") or []
        return cluster.status().get("phase") == "Progressing" and bool(
            rules and rules[0].get("match") and cluster.route_weights() == [0, 100]
        )

    # mid-run, the live VirtualService sends requests with the header to the canary only
    cluster.wait_for("the A/B rules on the VirtualService", ab_rules_live)
    vs = cluster.virtual_service()
    assert vs is not None
    ab, rest = vs["spec"]["http"]
    assert ab["match"] == AB_MATCH
    assert [d["destination"]["host"] for d in ab["route"]] == ["podinfo-primary", "podinfo-canary"]
    assert "match" not in rest
    assert [d["destination"]["host"] for d in rest["route"]] == ["podinfo-primary"]

    cluster.wait_phase("Succeeded")
    _settle(cluster)
    events = assert_cluster_matches_ledger(cluster, ledger, "podinfo:2")
    vs = cluster.virtual_service()
    assert vs is not None and vs["spec"]["http"][0]["match"] == AB_MATCH
    assert [e.iteration for e in events if isinstance(e, IterationAdvanced)][:3] == [1, 2, 3]
    assert not [e for e in events if isinstance(e, WeightAdvanced) and e.weight > 0]
    assert _count(events, Succeeded) == 1
    _replays_and_verifies(events, ledger)


def test_blue_green_switches_all_traffic_at_once_on_istio_and_on_plain_services(
    cluster: Cluster, tmp_path: Path
) -> None:
    """Two canaries under one operator: ``podinfo`` on Istio, ``plain`` with provider
    kubernetes (no router objects: the apex Service follows the workloads)."""
    ledger = tmp_path / "ledger.db"
    plain = canary("plain", iterations=2, **NO_WEIGHTS)
    plain["spec"]["provider"] = "kubernetes"
    cluster.create(
        deployment("podinfo:1"),
        canary(iterations=2, **NO_WEIGHTS),
        deployment("plain:1", name="plain"),
        plain,
    )
    cluster.operator(ledger)
    cluster.wait_phase("Initialized")
    cluster.wait_phase("Initialized", name="plain")
    cluster.release("podinfo:2")
    cluster.release("plain:2", name="plain")

    splits: set[tuple[int, ...]] = set()

    def promoted() -> bool:
        splits.add(tuple(cluster.route_weights()))
        return cluster.status().get("phase") == "Succeeded"

    cluster.wait_for("podinfo promoted", promoted)
    cluster.wait_phase("Succeeded", name="plain")
    _settle(cluster)

    # Istio: all traffic moved to the canary at once after the iterations, never a partial split
    assert splits == {(100, 0), (0, 100)}
    events = assert_cluster_matches_ledger(cluster, ledger, "podinfo:2")
    assert [e.iteration for e in events if isinstance(e, IterationAdvanced)][:2] == [1, 2]
    routes = {(e.primary, e.canary) for e in events if isinstance(e, RoutesSet)}
    assert routes == {(100, 0), (0, 100)}
    assert _count(events, Succeeded) == 1
    _replays_and_verifies(events, ledger)

    # kubernetes: promoted with no VirtualService ever written, the apex on the primary
    plain_events = assert_cluster_matches_ledger(cluster, ledger, "plain:2", "plain", routed=False)
    assert cluster.virtual_service("plain") is None
    apex = kubernetes.client.CoreV1Api(cluster.client).read_namespaced_service("plain", NS)
    assert apex.spec.selector == {"app": "plain-primary"}
    assert [e.iteration for e in plain_events if isinstance(e, IterationAdvanced)][:2] == [1, 2]
    assert _count(plain_events, Succeeded) == 1
    _replays_and_verifies(plain_events, ledger)


@pytest.fixture
def loadtester(tmp_path: Path) -> Iterator[str]:
    """``roost loadtester`` on a free port; its base URL."""
    port = free_port()
    args = [
        str(ROOST), "loadtester", "--host", "127.0.0.1", "--port", str(port),
        "--gate-db", str(tmp_path / "gates.sqlite"),
    ]  # fmt: skip
    with (tmp_path / "loadtester.log").open("ab") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "loadtester.log").read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the load tester did not start"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def test_a_confirm_promotion_gate_holds_the_release_until_opened(
    cluster: Cluster, tmp_path: Path, loadtester: str
) -> None:
    ledger = tmp_path / "ledger.db"
    gate = {"name": "approval", "type": "confirm-promotion", "url": f"{loadtester}/gate/check"}
    cluster.create(deployment("podinfo:1"), canary(maxWeight=20, stepWeight=20, webhooks=[gate]))
    cluster.operator(ledger)
    cluster.wait_phase("Initialized")
    cluster.release("podinfo:2")
    cluster.wait_phase("WaitingPromotion")

    # held: several more ticks run and the release stays where it is
    ticks = _count(ledger_events(ledger), TickStarted)
    cluster.wait_for(
        "three more ticks", lambda: _count(ledger_events(ledger), TickStarted) >= ticks + 3
    )
    assert cluster.status().get("phase") == "WaitingPromotion"
    assert cluster.primary_image() == "podinfo:1"
    assert cluster.route_weights() == [80, 20]
    assert _count(ledger_events(ledger), PromotionStarted) == 0

    who = {"X-Roost-Actor": "e2e"}
    body = {"name": "podinfo", "namespace": NS}
    assert httpx.post(f"{loadtester}/gate/open", json=body, headers=who).status_code == 202
    cluster.wait_phase("Succeeded")
    _settle(cluster)

    events = assert_cluster_matches_ledger(cluster, ledger, "podinfo:2")
    calls = [e for e in events if isinstance(e, WebhookResult) and e.name == "approval"]
    verdicts = [c.verdict for c in calls]
    held = verdicts.index(WebhookVerdict.SUCCESS)
    assert held >= 3, verdicts  # no-go on every held tick ...
    assert set(verdicts[:held]) == {WebhookVerdict.FAILURE}
    assert {c.status for c in calls[:held]} == {403}
    assert set(verdicts[held:]) == {WebhookVerdict.SUCCESS}  # ... then go
    assert calls[held].status == 200
    assert _count(events, Succeeded) == 1
    log = httpx.get(f"{loadtester}/gate/log").json()
    assert [(e["key"], e["action"], e["actor"]) for e in log] == [(f"podinfo.{NS}", "open", "e2e")]
    _replays_and_verifies(events, ledger)


def test_a_new_revision_mid_run_restarts_the_analysis_and_is_promoted(
    cluster: Cluster, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.db"
    # three analysis steps before promotion leave time to release v3 while v2 is analysed
    cluster.create(deployment("podinfo:1"), canary(maxWeight=60, stepWeight=20))
    cluster.operator(ledger)
    cluster.wait_phase("Initialized")
    cluster.release("podinfo:2")

    def v2_has_traffic() -> bool:
        status = cluster.status()
        return status.get("phase") == "Progressing" and int(status.get("canaryWeight", 0)) > 0

    cluster.wait_for("v2 receiving traffic", v2_has_traffic)
    cluster.release("podinfo:3")
    primaries: set[str] = set()

    def v3_promoted() -> bool:
        primaries.add(cluster.primary_image())
        return cluster.status().get("phase") == "Succeeded"

    cluster.wait_for("v3 promoted", v3_promoted)
    _settle(cluster)

    assert "podinfo:2" not in primaries
    events = assert_cluster_matches_ledger(cluster, ledger, "podinfo:3")
    started = [e for e in events if isinstance(e, RunStarted)]
    restarted = [e for e in events if isinstance(e, RunRestarted)]
    assert len(started) == 1 and len(restarted) == 1
    assert started[0].revision != restarted[0].revision
    # the promotion came after the restart, once
    promotions = [i for i, e in enumerate(events) if isinstance(e, PromotionStarted)]
    assert len(promotions) == 1 and promotions[0] > events.index(restarted[0])
    assert _count(events, Succeeded) == 1
    _replays_and_verifies(events, ledger)


def test_a_release_made_while_suspended_never_reaches_the_primary_unanalysed(
    cluster: Cluster, tmp_path: Path
) -> None:
    """Suspended after a promotion, the canary keeps ticking (phase Succeeded); a release made
    then must wait for its own run: the primary keeps the promoted revision until it is
    analysed and promoted after the Canary is resumed."""
    ledger = tmp_path / "ledger.db"
    cluster.create(deployment("podinfo:1"), canary(maxWeight=50, stepWeight=50))
    cluster.operator(ledger)
    cluster.wait_phase("Initialized")
    cluster.release("podinfo:2")
    cluster.wait_for(
        "v2 promoted",
        lambda: (
            cluster.status().get("phase") == "Succeeded" and cluster.primary_image() == "podinfo:2"
        ),
    )
    _suspend(cluster, True)
    cluster.release("podinfo:3")
    ticks = _count(ledger_events(ledger), TickStarted)
    cluster.wait_for(
        "three more ticks", lambda: _count(ledger_events(ledger), TickStarted) >= ticks + 3
    )
    assert cluster.primary_image() == "podinfo:2"
    assert cluster.status().get("phase") == "Succeeded"

    _suspend(cluster, False)
    cluster.wait_for("v3 analysed", lambda: cluster.status().get("phase") == "Progressing")
    cluster.wait_phase("Succeeded")
    _settle(cluster)
    events = assert_cluster_matches_ledger(cluster, ledger, "podinfo:3")
    assert _count(events, RunStarted) == 2
    assert _count(events, Succeeded) == 2
    _replays_and_verifies(events, ledger)


def _suspend(cluster: Cluster, suspend: bool) -> None:
    cluster.custom.patch_namespaced_custom_object(
        "flagger.app", "v1beta1", NS, "canaries", "podinfo", {"spec": {"suspend": suspend}}
    )
