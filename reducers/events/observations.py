"""Observation events: the facts a tick starts from, each recorded before anything is decided.

Everything the decider knows about the world arrives here — the clock (``TickStarted``), the Canary
spec, the target's revision, readiness, live routes, metric values, webhook answers and operator
commands — so that
re-running the decider on the recorded observations reproduces the recorded decisions. Metric and
webhook results are gathered on demand (the decider names what it needs, the shell asks the world
and records the answer); everything else is observed at the start of every tick.

Values only: no behaviour beyond small classification helpers.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field

from reducers.base import Event


class Readiness(StrEnum):
    """Readiness of a workload, as far as a tick needs to know it."""

    READY = "ready"
    WAITING = "waiting"
    """Not ready yet; retrying later is expected to help."""
    DEADLINE_EXCEEDED = "deadline-exceeded"
    """Not ready and never will be in time: the run fails."""


class Workload(StrEnum):
    """The two workloads a run compares."""

    PRIMARY = "primary"
    CANARY = "canary"


class MetricSource(StrEnum):
    """Which evaluation pass produced a metric result (a metric may be evaluated twice)."""

    BUILTIN = "builtin"
    INLINE = "inline"
    TEMPLATE = "template"


class MetricVerdict(StrEnum):
    """Outcome of one metric query judged against its range."""

    PASS = "pass"
    FAIL = "fail"
    NO_DATA = "no-data"
    ERROR = "error"


class WebhookVerdict(StrEnum):
    """Outcome of one webhook call (what success means depends on the hook type)."""

    SUCCESS = "success"
    FAILURE = "failure"


class EffectResult(StrEnum):
    """Outcome of applying one decided effect to the world."""

    APPLIED = "applied"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    ERROR = "error"


class TickStarted(Event):
    """A tick began: the clock and the random values a tick may use arrive here."""

    TYPE: ClassVar[str] = "canary.tick-started"

    tick: int = Field(ge=1)
    cookie_candidates: tuple[str, ...] = ()
    """Fresh random cookie values (letters only) the decider may hand out this tick."""


class SpecObserved(Event):
    """The Canary as read at the start of the tick (spec only; status is Roost's own)."""

    TYPE: ClassVar[str] = "canary.spec-observed"

    name: str
    namespace: str
    spec: dict[str, Any]
    """``spec`` of the Canary exactly as written (camelCase); valid by construction."""
    deleting: bool = False
    """The Canary carries a deletion timestamp."""
    mesh_provider: str = "istio"
    """The operator-wide traffic provider, used when the spec names none."""


class TargetRevisionObserved(Event):
    """The target's current revision (see :func:`reducers.canary.revisions.revision_of`)."""

    TYPE: ClassVar[str] = "canary.target-revision-observed"

    revision: str
    label: str = ""
    """A human name for the revision, when the world has one (informational)."""


class ReadinessObserved(Event):
    """Readiness of the primary or the canary workload."""

    TYPE: ClassVar[str] = "canary.readiness-observed"

    workload: Workload
    state: Readiness
    message: str = ""
    """Why it is not ready, e.g. ``waiting for rollout to finish: 0 of 1 ...``."""


class RoutesObserved(Event):
    """Live traffic split as the router reports it."""

    TYPE: ClassVar[str] = "canary.routes-observed"

    primary: int = Field(ge=0, le=100)
    canary: int = Field(ge=0, le=100)
    mirrored: bool = False


class MetricProvidersChecked(Event):
    """Whether every metric provider answered its availability probe (initialisation only)."""

    TYPE: ClassVar[str] = "canary.metric-providers-checked"

    ok: bool
    error: str = ""


class MetricResult(Event):
    """One metric query and its verdict."""

    TYPE: ClassVar[str] = "canary.metric-result"

    name: str
    source: MetricSource
    provider: str
    query: str = ""
    interval: str = ""
    value: float | None = None
    min: float | None = None
    max: float | None = None
    verdict: MetricVerdict
    error: str = ""
    """Provider error text for ``no-data`` and ``error`` verdicts."""


class WebhookResult(Event):
    """One webhook call and its outcome."""

    TYPE: ClassVar[str] = "canary.webhook-result"

    name: str
    type: str
    url: str
    phase: str
    """Phase sent in the payload."""
    status: int | None = None
    """Final HTTP status; ``None`` when no response arrived."""
    attempts: int = Field(default=1, ge=1)
    duration_ms: int = Field(default=0, ge=0)
    verdict: WebhookVerdict
    error: str = ""
    """Failure text (the response body, or a transport error)."""


class Command(StrEnum):
    """What an operator asked for through the Canary's ``roost.dev/command`` annotation.

    ``pause`` and ``resume`` only record who changed ``spec.suspend`` (which is what pauses);
    the other three are acted on by the decider."""

    PROMOTE = "promote"
    ABORT = "abort"
    RETRY = "retry"
    PAUSE = "pause"
    RESUME = "resume"


class CommandObserved(Event):
    """A command found on the Canary at the start of the tick (observed every tick until the
    operator removes it; ``id`` makes sure it is acted on once)."""

    TYPE: ClassVar[str] = "canary.command-observed"

    command: Command
    id: str = Field(min_length=1)
    by: str
    """Who asked (the ``by`` of the annotation, as the CLI wrote it)."""
    requested_at: datetime


class EffectOutcome(Event):
    """What applying one decided effect did; recorded after the decisions of its tick."""

    TYPE: ClassVar[str] = "canary.effect-outcome"

    effect: str
    result: EffectResult
    retryable: bool = False
    detail: str = ""


OBSERVATIONS: tuple[type[Event], ...] = (
    TickStarted,
    SpecObserved,
    TargetRevisionObserved,
    ReadinessObserved,
    RoutesObserved,
    MetricProvidersChecked,
    MetricResult,
    WebhookResult,
    CommandObserved,
    EffectOutcome,
)

DECIDE_INPUTS: tuple[type[Event], ...] = OBSERVATIONS[:-1]
"""Observations the decider reads; effect outcomes only follow decisions."""
