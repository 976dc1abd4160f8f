"""Leader election on a ``coordination.k8s.io/v1`` Lease, so only one replica writes.

Several replicas of the operator may run; only the one holding the Lease appends to the ledger
and writes to the cluster. :class:`LeaderElector` owns that Lease on a daemon thread
``roost-leader`` and tells the operator when it gains (``on_started``) and loses
(``on_stopped``) the lead; it decides nothing about canaries and touches no other object.

The protocol is client-go's, spoken through the official client's ``V1Lease`` model:

- A candidate creates the Lease when it is missing, or takes it over when it has no holder or its
  ``renewTime + leaseDurationSeconds`` is past. Every write is a replace carrying the
  ``resourceVersion`` that was read, so of two candidates racing for the same Lease the API server
  lets one through and answers the other 409 Conflict: that one simply lost.
- A takeover sets ``acquireTime`` and increments ``leaseTransitions``; the holder then renews
  ``renewTime`` every ``retry_period``.
- A leader that cannot renew for ``renew_deadline`` steps down. The deadline is shorter than the
  lease, so a leader cut off from the API server stops writing before any standby may take over.
- :meth:`LeaderElector.stop` releases the Lease (no holder, one-second duration) so a standby
  takes over at its next attempt instead of waiting for the lease to run out.

Expiry is judged on the ``renewTime`` written in the Lease against this replica's clock, as the
protocol is usually described; replicas are assumed to have roughly synchronised clocks.
"""

from __future__ import annotations

import enum
import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import kubernetes.client
from kubernetes.client.exceptions import ApiException

log = logging.getLogger("roost.operator.leader")

Clock = Callable[[], datetime]
Callback = Callable[[], None]

THREAD_NAME = "roost-leader"
_JOIN_TIMEOUT = 30.0
_SHORTEST_CALL = 0.01  # seconds; below this a call cannot succeed, so it is not made


def utc_now() -> datetime:
    return datetime.now(UTC)


def micro_time(at: datetime) -> datetime:
    """``at`` as a Lease MicroTime: UTC, and never on a whole second.

    The client writes datetimes with ``isoformat()``, which drops the fraction when it is zero,
    while the API server parses MicroTime with exactly six fractional digits; a one-microsecond
    nudge keeps every timestamp we write parseable.
    """
    at = at.astimezone(UTC)
    return at.replace(microsecond=1) if at.microsecond == 0 else at


class _Attempt(enum.Enum):
    HELD = "held"  # created, taken over or renewed by this replica just now
    HELD_BY_ANOTHER = "held by another"  # another holder whose lease has not run out
    FAILED = "failed"  # lost a race (409) or could not reach the API server


class LeaderElector:
    """Campaigns for one Lease and reports gaining and losing it.

    ``on_started`` runs on the elector's thread when this replica becomes the leader;
    ``on_stopped`` runs when it stops being the leader, on the elector's thread after a failed
    renewal or on the caller's thread in :meth:`stop`. They never overlap and alternate strictly.
    A replica that stepped down keeps campaigning and may lead again.
    """

    def __init__(
        self,
        api_client: kubernetes.client.ApiClient,
        *,
        namespace: str,
        name: str = "roost-leader",
        identity: str,
        lease_duration: float = 15.0,
        renew_deadline: float = 10.0,
        retry_period: float = 2.0,
        on_started: Callback,
        on_stopped: Callback,
        clock: Clock = utc_now,
    ) -> None:
        if not identity:
            raise ValueError("a leader election identity must not be empty")
        if not 0 < retry_period < renew_deadline < lease_duration:
            raise ValueError(
                "expected 0 < retry_period < renew_deadline < lease_duration, got "
                f"{retry_period}, {renew_deadline}, {lease_duration}"
            )
        self._api = kubernetes.client.CoordinationV1Api(api_client)
        self.namespace, self.name, self.identity = namespace, name, identity
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self._on_started, self._on_stopped = on_started, on_stopped
        self._clock = clock
        # The Lease holds whole seconds; rounding up never lets a standby in early.
        self._lease_seconds = max(1, math.ceil(lease_duration))
        # A call may not outlast the time left to renew, or a hung request would keep a
        # deposed leader believing it still leads.
        self._request_timeout = max(retry_period, renew_deadline / 2)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._leading = False
        self._renewed_at: datetime | None = None
        self._transition = threading.Lock()
        self._calls_end = 0.0  # time.monotonic() by which the current attempt's calls must end

    @property
    def is_leader(self) -> bool:
        return self._leading

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the leader elector was already started")
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def stop(self, *, release: bool = True) -> None:
        """Stop campaigning; if leading, release the Lease (unless told not to) and step down.

        ``release=False`` leaves the Lease to run out, as a crashed process would: a standby
        takes over only after ``lease_duration``.
        """
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(_JOIN_TIMEOUT)
            if self._thread.is_alive():
                log.error("the leader elector thread did not stop in %s s", _JOIN_TIMEOUT)
        if self._leading:
            if release:
                self._release()
            self._step_down("stopped")

    # ------------------------------------------------------------------ the loop

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                if self._leading:
                    self._renew_or_step_down()
                elif self._attempt() is _Attempt.HELD:
                    self._step_up()
            except Exception:  # a bug here must not end the campaign silently
                log.exception("leader election attempt failed unexpectedly")
            self._stopping.wait(self.retry_period)

    def _renew_or_step_down(self) -> None:
        deadline = timedelta(seconds=self.renew_deadline)
        renewed_at = self._renewed_at or datetime.min.replace(tzinfo=UTC)
        left = (renewed_at + deadline - self._clock()).total_seconds()
        # No call may end after the deadline: a renewal the server accepts late could let a
        # standby take over while this replica still acts as the leader.
        outcome = self._attempt(budget=left) if left > 0 else _Attempt.FAILED
        if outcome is _Attempt.HELD:
            return
        if outcome is _Attempt.HELD_BY_ANOTHER:
            self._step_down("another replica holds the lease")
        elif self._clock() - renewed_at >= deadline:
            self._step_down("could not renew the lease within the renew deadline")

    def _step_up(self) -> None:
        with self._transition:
            if self._leading:
                return
            self._leading = True
            log.info("leading: holding lease %s/%s as %s", self.namespace, self.name, self.identity)
            self._on_started()

    def _step_down(self, why: str) -> None:
        with self._transition:
            if not self._leading:
                return
            self._leading = False
            log.warning("no longer leading (%s)", why)
            self._on_stopped()

    # ------------------------------------------------------------------ the Lease

    def _attempt(self, budget: float | None = None) -> _Attempt:
        """One attempt to acquire or renew the Lease, its calls ending within ``budget`` s."""
        now = micro_time(self._clock())
        self._calls_end = time.monotonic() + (self._request_timeout if budget is None else budget)
        try:
            lease = self._read()
            if lease is None:
                self._create(now)
            else:
                spec = lease.spec or kubernetes.client.V1LeaseSpec()
                holder = spec.holder_identity or ""
                if holder != self.identity:
                    if holder and not self._expired(spec, now):
                        return _Attempt.HELD_BY_ANOTHER
                    spec.acquire_time = now
                    spec.lease_transitions = (spec.lease_transitions or 0) + 1
                    log.info("taking over lease %s/%s from %r", self.namespace, self.name, holder)
                spec.holder_identity = self.identity
                spec.renew_time = now
                spec.lease_duration_seconds = self._lease_seconds
                lease.spec = spec
                self._replace(lease)
        except ApiException as e:
            if e.status == 409:
                log.info("lost the race for lease %s/%s", self.namespace, self.name)
            else:
                log.warning("lease %s/%s: %s", self.namespace, self.name, _short(e))
            return _Attempt.FAILED
        except Exception as e:  # connection refused, timeouts: the API server is unreachable
            log.warning("lease %s/%s: %s", self.namespace, self.name, _short(e))
            return _Attempt.FAILED
        self._renewed_at = now
        return _Attempt.HELD

    def _expired(self, spec: kubernetes.client.V1LeaseSpec, now: datetime) -> bool:
        if spec.renew_time is None:
            return True
        duration = timedelta(seconds=spec.lease_duration_seconds or 0)
        return bool(spec.renew_time + duration < now)

    def _release(self) -> None:
        """Give the Lease up if this replica still holds it; a failure only delays a standby."""
        self._calls_end = time.monotonic() + 2 * self._request_timeout
        try:
            lease = self._read()
            if lease is None or lease.spec is None or lease.spec.holder_identity != self.identity:
                return
            now = micro_time(self._clock())
            lease.spec.holder_identity = ""
            lease.spec.lease_duration_seconds = 1
            lease.spec.renew_time = now
            self._replace(lease)
            log.info("released lease %s/%s", self.namespace, self.name)
        except Exception as e:
            log.warning("could not release lease %s/%s: %s", self.namespace, self.name, _short(e))

    def _timeout(self) -> float:
        """The time the next call may take: what is left of the attempt's budget."""
        left = min(self._request_timeout, self._calls_end - time.monotonic())
        if left < _SHORTEST_CALL:
            raise TimeoutError("no time left for another call to the API server")
        return left

    def _read(self) -> kubernetes.client.V1Lease | None:
        try:
            lease: kubernetes.client.V1Lease = self._api.read_namespaced_lease(
                self.name, self.namespace, _request_timeout=self._timeout()
            )
        except ApiException as e:
            if e.status == 404:
                return None
            raise
        return lease

    def _create(self, now: datetime) -> None:
        body = kubernetes.client.V1Lease(
            metadata=kubernetes.client.V1ObjectMeta(name=self.name, namespace=self.namespace),
            spec=kubernetes.client.V1LeaseSpec(
                holder_identity=self.identity,
                acquire_time=now,
                renew_time=now,
                lease_duration_seconds=self._lease_seconds,
                lease_transitions=0,
            ),
        )
        self._api.create_namespaced_lease(self.namespace, body, _request_timeout=self._timeout())

    def _replace(self, lease: kubernetes.client.V1Lease) -> None:
        # ``lease`` still carries the resourceVersion it was read at: a compare-and-swap.
        self._api.replace_namespaced_lease(
            self.name, self.namespace, lease, _request_timeout=self._timeout()
        )


def _short(error: Exception, limit: int = 300) -> str:
    if isinstance(error, ApiException):  # its str() carries every header and the whole body
        return f"API error {error.status} {error.reason}"
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= limit else text[:limit] + "..."
