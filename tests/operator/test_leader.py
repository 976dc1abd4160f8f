"""Leader election on a Lease in the API double: two electors in one process, fast settings.

Every wait polls a condition with a generous bound; nothing asserts how long anything took.
Races are made certain, not likely: a kmock reaction holds the first writes until both
candidates have sent theirs, so both carry what they read before either write landed.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import kmock
import pytest

from controller.operator.leader import LeaderElector
from tests.fixtures.apiserver import ApiServerHandle

WAIT = 20.0
NS = "default"
LEASE = "roost-leader"
FAST = {"lease_duration": 1.0, "renew_deadline": 0.6, "retry_period": 0.1}
MICRO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|\+00:00)$")


class Campaign:
    """Electors sharing one Lease, and a log of who started and stopped leading, in order."""

    def __init__(self, apiserver: ApiServerHandle) -> None:
        self.apiserver = apiserver
        self.electors: list[LeaderElector] = []
        self.log: list[tuple[str, str]] = []
        self.most_at_once = 0
        self._leading: set[str] = set()
        self._lock = threading.Lock()

    def elector(self, identity: str, **options: Any) -> LeaderElector:
        settings = FAST | options
        elector = LeaderElector(
            self.apiserver.api_client(),
            namespace=NS,
            identity=identity,
            on_started=lambda: self._started(identity),
            on_stopped=lambda: self._stopped(identity),
            **settings,
        )
        self.electors.append(elector)
        return elector

    def _started(self, identity: str) -> None:
        with self._lock:
            self.log.append(("started", identity))
            self._leading.add(identity)
            self.most_at_once = max(self.most_at_once, len(self._leading))

    def _stopped(self, identity: str) -> None:
        with self._lock:
            self.log.append(("stopped", identity))
            self._leading.discard(identity)

    def leaders(self) -> list[str]:
        return [e.identity for e in self.electors if e.is_leader]

    def one_leader(self) -> str:
        wait_until(lambda: len(self.leaders()) == 1, f"one leader; log {self.log}")
        (leader,) = self.leaders()
        return leader

    def by_identity(self, identity: str) -> LeaderElector:
        (found,) = [e for e in self.electors if e.identity == identity]
        return found

    def lease(self) -> dict[str, Any]:
        lease = self.apiserver.read("leases", LEASE, NS)
        assert lease is not None, "no Lease"
        spec: dict[str, Any] = lease["spec"]
        return spec

    def stop_all(self) -> None:
        for elector in self.electors:
            elector.stop()


@pytest.fixture
def campaign(apiserver: ApiServerHandle) -> Iterator[Campaign]:
    campaign = Campaign(apiserver)
    try:
        yield campaign
    finally:
        campaign.stop_all()
    assert campaign.most_at_once <= 1, f"two leaders at once: {campaign.log}"


def wait_until(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def parse_time(value: str) -> datetime:
    assert MICRO_TIME.match(value), f"not a MicroTime: {value!r}"
    return datetime.fromisoformat(value)


def hold_writes(apiserver: ApiServerHandle, verb: Any, count: int = 2) -> list[int]:
    """Hold the next ``count`` lease writes of ``verb`` until all have arrived, then serve them.

    Returns a list that grows by one per held request, so a test can check the race happened.
    """
    arrived: list[int] = []
    everyone_here = asyncio.Event()

    async def hold(request: Any) -> None:
        if len(arrived) < count:
            arrived.append(len(arrived))
            if len(arrived) == count:
                everyone_here.set()
            # on a timeout, the test's own assertion on ``arrived`` reports it
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(everyone_here.wait(), WAIT)
        raise NotImplementedError  # kmock's signal: go on and serve it

    apiserver.call(
        lambda: apiserver.kmock[verb, kmock.resource("coordination.k8s.io/v1/leases")] << hold
    )
    return arrived


def seed_lease(apiserver: ApiServerHandle, holder: str, renewed: datetime) -> None:
    apiserver.seed(
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": LEASE, "namespace": NS},
            "spec": {
                "holderIdentity": holder,
                "leaseDurationSeconds": 1,
                "acquireTime": renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "renewTime": renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "leaseTransitions": 4,
            },
        }
    )


# ---------------------------------------------------------------------- one leader


def test_exactly_one_of_two_leads_and_keeps_renewing(campaign: Campaign) -> None:
    a, b = campaign.elector("a"), campaign.elector("b")
    a.start()
    b.start()
    leader = campaign.one_leader()
    spec = campaign.lease()
    assert spec["holderIdentity"] == leader
    assert spec["leaseDurationSeconds"] == 1
    assert spec["leaseTransitions"] == 0
    first_renewal = parse_time(spec["renewTime"])
    assert parse_time(spec["acquireTime"]) == first_renewal
    wait_until(
        lambda: parse_time(campaign.lease()["renewTime"]) > first_renewal + timedelta(seconds=1),
        "renewals past the first lease duration",
    )
    assert campaign.leaders() == [leader]
    assert campaign.lease()["holderIdentity"] == leader
    assert campaign.log == [("started", leader)]


def test_threads_are_named_and_stop(campaign: Campaign) -> None:
    a = campaign.elector("a")
    a.start()
    campaign.one_leader()
    assert "roost-leader" in [t.name for t in threading.enumerate()]
    a.stop()
    assert "roost-leader" not in [t.name for t in threading.enumerate()]
    assert not a.is_leader
    assert campaign.log == [("started", "a"), ("stopped", "a")]


def test_settings_that_could_let_two_lead_are_rejected(apiserver: ApiServerHandle) -> None:
    with pytest.raises(ValueError, match="renew_deadline < lease_duration"):
        LeaderElector(
            apiserver.api_client(),
            namespace=NS,
            identity="a",
            lease_duration=1.0,
            renew_deadline=2.0,
            on_started=lambda: None,
            on_stopped=lambda: None,
        )


# ---------------------------------------------------------------------- handover


def test_stopping_the_leader_releases_the_lease_to_the_standby(campaign: Campaign) -> None:
    a, b = campaign.elector("a"), campaign.elector("b")
    a.start()
    campaign.one_leader()
    b.start()
    assert campaign.leaders() == ["a"]
    a.stop()
    assert campaign.lease()["holderIdentity"] in ("", "b")  # released, or taken already
    assert campaign.one_leader() == "b"
    spec = campaign.lease()
    assert spec["holderIdentity"] == "b"
    assert spec["leaseTransitions"] == 1
    assert spec["leaseDurationSeconds"] == 1
    assert campaign.log == [("started", "a"), ("stopped", "a"), ("started", "b")]


def test_a_crashed_leader_is_replaced_only_after_its_lease_expires(campaign: Campaign) -> None:
    a, b = campaign.elector("a"), campaign.elector("b")
    a.start()
    campaign.one_leader()
    b.start()
    a.stop(release=False)  # as if the process died: the Lease still names "a"
    crashed = campaign.lease()
    assert crashed["holderIdentity"] == "a"
    assert campaign.one_leader() == "b"
    spec = campaign.lease()
    assert spec["holderIdentity"] == "b"
    assert spec["leaseTransitions"] == 1
    expiry = parse_time(crashed["renewTime"]) + timedelta(seconds=crashed["leaseDurationSeconds"])
    assert parse_time(spec["acquireTime"]) > expiry


def test_a_live_lease_is_respected_and_an_expired_one_taken_over(campaign: Campaign) -> None:
    renewed = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    seed_lease(campaign.apiserver, "ghost", renewed)
    now = [renewed + timedelta(seconds=0.5)]
    reads = [0]

    def clock() -> datetime:
        reads[0] += 1
        return now[0]

    a = campaign.elector("a", clock=clock)
    a.start()
    wait_until(lambda: reads[0] >= 5, "a few attempts while the lease is live")
    assert not a.is_leader
    assert campaign.lease()["holderIdentity"] == "ghost"
    now[0] = renewed + timedelta(seconds=2)  # a whole second: written with six zero digits
    assert campaign.one_leader() == "a"
    spec = campaign.lease()
    assert spec["leaseTransitions"] == 5
    assert parse_time(spec["acquireTime"]) - now[0] <= timedelta(microseconds=1)
    assert parse_time(spec["renewTime"]) >= now[0]


# ---------------------------------------------------------------------- races


def test_two_candidates_creating_the_lease_at_once_yield_one_leader(
    campaign: Campaign,
) -> None:
    arrived = hold_writes(campaign.apiserver, kmock.action.CREATE)
    a, b = campaign.elector("a"), campaign.elector("b")
    a.start()
    b.start()
    leader = campaign.one_leader()
    assert len(arrived) == 2, "both candidates should have tried to create the Lease"
    assert campaign.lease()["holderIdentity"] == leader
    assert campaign.lease()["leaseTransitions"] == 0
    assert campaign.log == [("started", leader)]


def test_two_candidates_taking_over_at_once_yield_one_leader(campaign: Campaign) -> None:
    seed_lease(campaign.apiserver, "ghost", datetime.now(UTC) - timedelta(hours=1))
    arrived = hold_writes(campaign.apiserver, kmock.method.PUT)
    a, b = campaign.elector("a"), campaign.elector("b")
    a.start()
    b.start()
    leader = campaign.one_leader()
    assert len(arrived) == 2, "both candidates should have tried to take the Lease over"
    spec = campaign.lease()
    assert spec["holderIdentity"] == leader
    assert spec["leaseTransitions"] == 5  # one takeover got through; the other got 409
    assert campaign.log == [("started", leader)]


# ---------------------------------------------------------------------- outages


def test_an_api_outage_makes_the_leader_step_down(campaign: Campaign) -> None:
    a, b = campaign.elector("a"), campaign.elector("b")
    a.start()
    campaign.one_leader()
    b.start()
    campaign.apiserver.fail("*", "leases", code=503, times=None)
    wait_until(lambda: not a.is_leader, "the leader to step down")
    assert campaign.leaders() == []
    assert campaign.log == [("started", "a"), ("stopped", "a")]
    campaign.apiserver.reset()  # the API server is back, empty
    leader = campaign.one_leader()
    assert campaign.lease()["holderIdentity"] == leader


def test_an_unreachable_api_server_makes_the_leader_step_down(campaign: Campaign) -> None:
    a = campaign.elector("a")
    a.start()
    campaign.one_leader()
    campaign.apiserver.delay("*", "leases", seconds=5.0, times=None)  # every call times out
    wait_until(lambda: not a.is_leader, "the leader to step down")
    assert campaign.log == [("started", "a"), ("stopped", "a")]
