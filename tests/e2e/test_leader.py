"""Two ``roost run`` replicas electing a leader on a Lease, sharing one ledger: the leader is
killed (``kill -9``) mid-rollout, the standby takes the Lease over and finishes the release.

Only the leader writes; the standby has the ledger open from the start and folds it when it
leads. The Lease is made short so the takeover comes soon; nothing asserts how soon.
"""

from __future__ import annotations

from pathlib import Path

from reducers.canary.replaying import replay
from reducers.events import RunStarted, Succeeded
from tests.e2e.conftest import (
    NS,
    Cluster,
    assert_cluster_matches_ledger,
    canary,
    deployment,
    verify_ledger,
)

LEASE_SECONDS = 3.0
ELECTION = (
    "-enable-leader-election",
    "-leader-election-namespace", NS,
    "-leader-election-lease-duration", str(LEASE_SECONDS),
    "-leader-election-renew-deadline", "2",
    "-leader-election-retry-period", "0.5",
)  # fmt: skip
REPLICAS = ("roost-a", "roost-b")


def test_the_standby_takes_over_a_rollout_when_the_leader_is_killed(
    cluster: Cluster, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.db"
    # four analysis steps: the rollout is still under way when the leader dies
    cluster.create(deployment("podinfo:1"), canary(maxWeight=80, stepWeight=20))
    replicas = {
        identity: cluster.operator(ledger, *ELECTION, "-leader-election-id", identity)
        for identity in REPLICAS
    }
    cluster.wait_for("a leader", lambda: cluster.lease_holder() in REPLICAS)
    cluster.wait_phase("Initialized")
    cluster.release("podinfo:2")

    def under_way() -> bool:
        status = cluster.status()
        return status.get("phase") == "Progressing" and int(status.get("canaryWeight", 0)) > 0

    cluster.wait_for("the rollout under way", under_way)
    leader = cluster.lease_holder()
    (standby,) = set(REPLICAS) - {leader}
    cluster.stop(replicas[leader], kill=True)
    assert replicas[leader].returncode == -9

    # the Lease runs out (the dead leader released nothing) and the standby takes it
    cluster.wait_for(
        f"{standby} holding the Lease",
        lambda: cluster.lease_holder() == standby,
        timeout=LEASE_SECONDS + 30,
    )
    cluster.wait_for(
        "v2 promoted",
        lambda: (
            cluster.status().get("phase") == "Succeeded" and cluster.primary_image() == "podinfo:2"
        ),
    )
    cluster.stop(replicas[standby])
    assert cluster.lease_holder() == ""  # a replica that stops gracefully hands the Lease back

    events = assert_cluster_matches_ledger(cluster, ledger, "podinfo:2")
    assert sum(isinstance(e, RunStarted) for e in events) == 1
    assert sum(isinstance(e, Succeeded) for e in events) == 1
    assert replay(events) == []
    verify_ledger(ledger)
    # both replicas led, one after the other
    logs = [(tmp_path / f"operator-{i}.log").read_text() for i in range(len(REPLICAS))]
    assert all("leading: holding lease" in log for log in logs)
