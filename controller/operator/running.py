"""The operator loop: one scheduled job per Canary, each job one tick.

:class:`Operator` keeps a :class:`CanaryRunner` per Canary it sees (from the Canary informer or a
plain list), schedules its ticks with APScheduler at ``analysis.interval`` on a bounded thread
pool (``max_instances=1``: ticks of one canary never overlap; a slow canary occupies one worker,
never the others), and reschedules when the interval changes. A change to the Canary or its
target asks for a prompt tick.

A runner folds its stream from the ledger on first use (snapshot plus tail), so a restarted
operator resumes every canary where the ledger says it was; its first tick reconciles the
cluster toward that recorded state before observing. Every tick appends with the expected
stream version: a second writer's append fails (``ConcurrencyError``), the runner reloads from
the ledger and the tick is dropped, never half-recorded.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_EXECUTED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from controller.operator.commands import COMMAND_ANNOTATION
from controller.operator.reasons import event_body
from controller.operator.world import (
    CANARY_API,
    ClusterWorld,
    ObservationError,
    OperatorSettings,
    Services,
)
from controller.ticking import Tick, TickError, run_tick
from effects.applying import contains
from effects.kubeapi import ObjectRef, classify
from ledger import EventRegistry, Ledger
from ledger.errors import ConcurrencyError, LedgerError
from ledger.snapshots import load_state
from reducers.base import Event
from reducers.canary import CanaryFold, CanaryState
from reducers.canary.state import rfc3339, status_of
from reducers.events import ALL_EVENTS, CommandHandled, RunRestarted, RunStarted
from reducers.spec import Canary, Phase, SpecError, validate_document
from reducers.spec.durations import parse_go_duration
from reducers.spec.errors import DurationError

log = logging.getLogger("roost.operator")

DEFAULT_INTERVAL = timedelta(minutes=1)
_RUN_STARTS = frozenset({RunStarted.TYPE, RunRestarted.TYPE})
FINALIZER = "finalizer.flagger.app"


def stream_of(namespace: str, name: str) -> str:
    """The ledger stream of a canary."""
    return f"canary/{namespace}/{name}"


@dataclass
class TickReport:
    """What the last tick of a runner did, for logs, metrics and tests."""

    at: datetime
    state: CanaryState
    recorded: int
    error: str = ""
    seconds: float = 0.0
    """Wall time the tick took."""


class CanaryRunner:
    """Ticks of one canary, never two at once."""

    def __init__(
        self,
        operator: Operator,
        namespace: str,
        name: str,
    ) -> None:
        self.operator = operator
        self.namespace = namespace
        self.name = name
        self.stream = stream_of(namespace, name)
        self.lock = threading.Lock()
        self.state: CanaryState | None = None
        self.resumed = False
        self.last: TickReport | None = None
        self.run = 0
        """Runs begun in this stream (for log lines); counted from the ledger on first load."""

    def _load(self) -> CanaryState:
        op = self.operator
        state, version = load_state(op.ledger, op.registry, self.stream, CanaryFold())
        assert state.version == version
        self.run = sum(
            1
            for page in op.ledger.read_stream_payloads(self.stream)
            for row in page
            if row[1] in _RUN_STARTS
        )
        return state

    def _append(self, events: Sequence[Event], version: int) -> None:
        op = self.operator
        started = time.perf_counter()
        op.ledger.append(
            self.stream, [op.registry.encode(e) for e in events], expected_version=version
        )
        op.on_append(time.perf_counter() - started)

    def tick(self, at: datetime | None = None) -> TickReport | None:
        """One tick now; ``None`` when another tick of this canary is still running."""
        if not self.lock.acquire(blocking=False):
            return None
        try:
            return self._tick(at or self.operator.clock())
        finally:
            self.lock.release()

    def _tick(self, at: datetime) -> TickReport | None:
        op = self.operator
        if self.state is None:
            self.state = self._load()
        doc = op.services.kube.get(ObjectRef(CANARY_API, "Canary", self.namespace, self.name))
        if doc is None:
            op.forget(self.namespace, self.name)
            return None
        problem = _invalid(doc)
        if problem:
            op.report_invalid(doc, problem)
            self.last = TickReport(at, self.state, 0, problem)
            return self.last
        state = self.state
        world = ClusterWorld(op.services, op.settings, doc, state, self.stream)
        try:
            if not self.resumed and state.version > 0:
                # restart: bring the cluster back to what the ledger says was decided
                outcomes = world.reconcile(state, at)
                if outcomes:
                    self._append(outcomes, state.version)
                    state = self.state = self._reload()
                    world = ClusterWorld(op.services, op.settings, doc, state, self.stream)
            self.resumed = True
            started = time.perf_counter()
            done: Tick = run_tick(state, world, state.tick + 1, at, self._append)
            took = time.perf_counter() - started
        except ConcurrencyError as e:
            log.warning("another writer appended to %s: %s; reloading", self.stream, e)
            self.state = self._reload()
            self.last = TickReport(at, self.state, 0, str(e))
            return self.last
        except (ObservationError, TickError, LedgerError) as e:
            log.warning("tick stopped: %s", e, extra=self._context(state.tick + 1))
            self.last = TickReport(at, state, 0, str(e))
            op.report_problem(doc, str(e))
            return self.last
        self.state = done.state
        self.run += sum(1 for e in done.decisions if isinstance(e, RunStarted | RunRestarted))
        log.info(
            "tick: phase %s, weight %d, %d events",
            done.state.phase.value or "-",
            done.state.canary_weight,
            len(done.recorded),
            extra=self._context(done.state.tick),
        )
        op.write_status(doc, done.state)
        op.keep_finalizer(doc, done.state)
        op.clear_command(doc, done)
        self.last = TickReport(at, done.state, len(done.recorded), seconds=took)
        op.on_tick(self, doc, done)
        return self.last

    def _context(self, tick: int) -> dict[str, Any]:
        return {"canary": f"{self.name}.{self.namespace}", "run": self.run, "tick": tick}

    def _reload(self) -> CanaryState:
        return self._load()


def _invalid(doc: Mapping[str, Any]) -> str:
    try:
        found = validate_document(dict(doc))
    except SpecError as e:
        return str(e)
    if isinstance(found, list):
        return "; ".join(str(p) for p in found)
    if not isinstance(found, Canary):
        return "not a Canary"
    return ""


@dataclass
class Operator:
    """Schedules one runner per canary; the process-wide state of ``roost run``."""

    services: Services
    settings: OperatorSettings
    ledger: Ledger
    registry: EventRegistry = field(default_factory=lambda: EventRegistry(ALL_EVENTS))
    workers: int = 8
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    on_append: Callable[[float], None] = lambda seconds: None
    on_lag: Callable[[float], None] = lambda seconds: None
    on_tick_done: Callable[[CanaryRunner, Mapping[str, Any], Tick], None] | None = None
    runners: dict[tuple[str, str], CanaryRunner] = field(default_factory=dict)
    intervals: dict[tuple[str, str], timedelta] = field(default_factory=dict)
    scheduler: BackgroundScheduler | None = None

    def start(self) -> None:
        """Start the scheduler (ticks run on a pool of ``workers`` threads)."""
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(self.workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        self.scheduler.add_listener(self._executed, EVENT_JOB_EXECUTED)
        self.scheduler.start()

    def _executed(self, event: Any) -> None:
        """Tick lag: how late a scheduled tick started (a busy pool shows here first)."""
        namespace, _, name = str(event.job_id).partition("/")
        runner = self.runners.get((namespace, name))
        scheduled = getattr(event, "scheduled_run_time", None)
        if runner is None or runner.last is None or scheduled is None:
            return
        lag = (runner.last.at - scheduled).total_seconds()
        if lag >= 0:
            self.on_lag(lag)

    def stop(self) -> None:
        """Stop scheduling and forget every runner: if this process leads again, each canary is
        reloaded from the ledger (another leader may have written it) and reconciled first."""
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None
        self.runners.clear()
        self.intervals.clear()

    # ------------------------------------------------------------------ canaries

    def runner(self, namespace: str, name: str) -> CanaryRunner:
        key = (namespace, name)
        found = self.runners.get(key)
        if found is None:
            found = self.runners[key] = CanaryRunner(self, namespace, name)
        return found

    def sync(self, doc: Mapping[str, Any], *, prompt: bool = True) -> None:
        """A Canary was seen (added or changed): schedule it, tick it soon."""
        meta = doc.get("metadata") or {}
        key = (str(meta.get("namespace") or "default"), str(meta.get("name")))
        runner = self.runner(*key)
        interval = _interval(doc, self.settings.min_interval)
        if self.scheduler is None:
            return
        job_id = f"{key[0]}/{key[1]}"
        if self.intervals.get(key) != interval:
            self.intervals[key] = interval
            # Canaries created together would all be due at the same instants; a jitter of a
            # tenth of the interval spreads their ticks. (An explicit next_run_time of None
            # would add the job paused, so it is only passed for a prompt tick.)
            seconds = interval.total_seconds()
            when = {"next_run_time": self.clock()} if prompt else {}
            self.scheduler.add_job(
                runner.tick,
                "interval",
                seconds=seconds,
                jitter=max(int(seconds / 10), 0) or None,
                id=job_id,
                replace_existing=True,
                **when,
            )
        elif prompt:
            self.scheduler.modify_job(job_id, next_run_time=self.clock())

    def forget(self, namespace: str, name: str) -> None:
        """The Canary is gone: stop scheduling it (its ledger stream stays)."""
        key = (namespace, name)
        self.runners.pop(key, None)
        self.intervals.pop(key, None)
        if self.scheduler is not None:
            try:
                self.scheduler.remove_job(f"{namespace}/{name}")
            except Exception:  # the job may be gone already
                log.debug("no job for %s/%s", namespace, name)

    # ------------------------------------------------------------------ writing back

    def write_status(self, doc: Mapping[str, Any], state: CanaryState) -> None:
        """One merge patch of the status subresource."""
        meta = doc.get("metadata") or {}
        ref = ObjectRef(CANARY_API, "Canary", str(meta.get("namespace")), str(meta.get("name")))
        body = {"status": status_of(state)}
        if contains(doc.get("status") or {}, body["status"]):
            return  # a quiet tick: nothing to write
        try:
            self.services.kube.patch_status(ref, body)
        except Exception as e:
            log.warning("status of %s not written: %s", ref, classify(e).detail)

    def keep_finalizer(self, doc: Mapping[str, Any], state: CanaryState) -> None:
        """``revertOnDeletion`` holds the Canary with a finalizer until its routing and target
        are reverted (phase Terminated); without it, deletion needs no help from the operator."""
        meta = doc.get("metadata") or {}
        finalizers = list(meta.get("finalizers") or [])
        wanted = bool((doc.get("spec") or {}).get("revertOnDeletion"))
        deleting = bool(meta.get("deletionTimestamp"))
        # a deleting object may only lose finalizers: ours goes once the revert is done
        keep = (
            (FINALIZER in finalizers and state.phase is not Phase.TERMINATED)
            if deleting
            else wanted
        )
        if keep == (FINALIZER in finalizers):
            return
        changed = [*finalizers, FINALIZER] if keep else [f for f in finalizers if f != FINALIZER]
        ref = ObjectRef(CANARY_API, "Canary", str(meta.get("namespace")), str(meta.get("name")))
        try:
            self.services.kube.patch(ref, {"metadata": {"finalizers": changed}})
        except Exception as e:
            log.warning("finalizer of %s not written: %s", ref, classify(e).detail)

    def clear_command(self, doc: Mapping[str, Any], done: Tick) -> None:
        """Remove the command annotation a tick handled — only while it still holds that
        command (the patch carries the resourceVersion it was read at); a newer command stays
        for the next tick, and one left behind by a failed patch is handled only once anyway."""
        handled = {e.id for e in done.decisions if isinstance(e, CommandHandled)}
        if not handled:
            return
        meta = doc.get("metadata") or {}
        ref = ObjectRef(CANARY_API, "Canary", str(meta.get("namespace")), str(meta.get("name")))
        try:
            live = self.services.kube.get(ref)
            live_meta = (live or {}).get("metadata") or {}
            text = (live_meta.get("annotations") or {}).get(COMMAND_ANNOTATION) or "{}"
            if json.loads(text).get("id") not in handled:
                return
            body = {
                "metadata": {
                    "resourceVersion": live_meta.get("resourceVersion"),
                    "annotations": {COMMAND_ANNOTATION: None},
                }
            }
            self.services.kube.patch(ref, body)
        except Exception as e:  # a conflict or an unreadable annotation: leave it be
            log.info("command annotation of %s left in place: %s", ref, str(e)[:300])

    def report_invalid(self, doc: Mapping[str, Any], problem: str) -> None:
        """An invalid Canary: say so on its status and as a Warning event; others go on."""
        meta = doc.get("metadata") or {}
        ref = ObjectRef(CANARY_API, "Canary", str(meta.get("namespace")), str(meta.get("name")))
        status = {
            "status": {
                "phase": (doc.get("status") or {}).get("phase") or "Failed",
                "conditions": [
                    {
                        "type": "Promoted",
                        "status": "False",
                        "reason": "InvalidSpec",
                        "message": problem[:1000],
                        "lastUpdateTime": rfc3339(self.clock()),
                        "lastTransitionTime": rfc3339(self.clock()),
                    }
                ],
            }
        }
        try:
            self.services.kube.patch_status(ref, status)
        except Exception as e:
            log.warning("status of %s not written: %s", ref, classify(e).detail)
        self.report_problem(doc, problem, reason="InvalidSpec")

    def report_problem(self, doc: Mapping[str, Any], problem: str, reason: str = "Failed") -> None:
        meta = doc.get("metadata") or {}
        name, namespace = str(meta.get("name")), str(meta.get("namespace") or "default")
        body = event_body(doc, reason=reason, message=problem, kind="Warning", at=self.clock())
        try:
            self.services.kube.create(body)
        except Exception as e:
            log.warning("event on %s/%s not written: %s", namespace, name, classify(e).detail)

    def on_tick(self, runner: CanaryRunner, doc: Mapping[str, Any], done: Tick) -> None:
        if self.on_tick_done is not None:
            self.on_tick_done(runner, doc, done)


def _interval(doc: Mapping[str, Any], floor: timedelta) -> timedelta:
    """The tick period: ``analysis.interval``, never below ``floor`` (Flagger's 10 s; lower only
    for demos and tests, through ``roost run --min-interval``)."""
    try:
        analysis = Canary.model_validate(doc).spec.analysis
    except Exception:  # an invalid Canary still gets a job, which reports the problem
        return DEFAULT_INTERVAL
    if not analysis.interval:
        return analysis.effective_interval()
    try:
        return max(parse_go_duration(analysis.interval), floor)
    except DurationError:
        return analysis.effective_interval()
