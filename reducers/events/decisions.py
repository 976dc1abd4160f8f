"""Decision events about a run: phase changes, counters, gates and halts.

Each one is what the decider concluded in a tick; ``evolve`` turns it into the canary's status.
They carry every value the status needs (the revision a run is for, the weight reached), so
folding them never needs the spec or the world again.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from reducers.base import Event
from reducers.events.observations import Command


class Gate(StrEnum):
    """A webhook gate a run can wait on."""

    CONFIRM_ROLLOUT = "confirm-rollout"
    CONFIRM_PROMOTION = "confirm-promotion"
    CONFIRM_TRAFFIC_INCREASE = "confirm-traffic-increase"


class HaltReason(StrEnum):
    """Why a tick stopped short of advancing."""

    PRE_ROLLOUT_FAILED = "pre-rollout-failed"
    ROLLOUT_HOOK_FAILED = "rollout-hook-failed"
    METRIC_FAILED = "metric-failed"
    METRIC_NO_DATA = "metric-no-data"
    METRIC_ERROR = "metric-error"
    PRIMARY_NOT_READY = "primary-not-ready"
    CANARY_NOT_READY = "canary-not-ready"
    NO_TRAFFIC_STEP = "no-traffic-step"
    FINALIZE_WAITING = "finalize-waiting"


class RollbackReason(StrEnum):
    """Why a run was rolled back."""

    FAILED_CHECKS = "failed-checks"
    MANUAL_WEBHOOK = "manual-webhook"
    CANARY_DEADLINE = "canary-deadline"
    PRIMARY_DEADLINE = "primary-deadline"
    ABORTED = "aborted"
    """An operator asked for it (``roost abort``)."""


class InitializationStarted(Event):
    """First tick of a new Canary: phase Initializing."""

    TYPE: ClassVar[str] = "canary.initialization-started"


class Initialized(Event):
    """The primary runs the target's revision: phase Initialized."""

    TYPE: ClassVar[str] = "canary.initialized"

    revision: str


class RunStarted(Event):
    """A new revision passed confirm-rollout: phase Progressing, counters reset."""

    TYPE: ClassVar[str] = "canary.run-started"

    revision: str


class RunRestarted(Event):
    """The target changed mid-run: analysis starts over for the new revision."""

    TYPE: ClassVar[str] = "canary.run-restarted"

    revision: str


class StatusResynced(Event):
    """A failed canary re-reads its target's revision (lets a reverted revision run again)."""

    TYPE: ClassVar[str] = "canary.status-resynced"

    revision: str


class AnalysisStarted(Event):
    """The first analysis tick of a run (pre-rollout hooks run)."""

    TYPE: ClassVar[str] = "canary.analysis-started"


class Halted(Event):
    """A tick stopped without advancing; ``counts`` adds one failed check."""

    TYPE: ClassVar[str] = "canary.halted"

    reason: HaltReason
    evidence: str
    counts: bool = False


class WaitingForApproval(Event):
    """A gate refused; the run waits on it (phase Waiting / WaitingPromotion where it applies)."""

    TYPE: ClassVar[str] = "canary.waiting-for-approval"

    gate: Gate
    hook: str


class WeightAdvanced(Event):
    """Canary weight reached ``weight`` (status ``canaryWeight``)."""

    TYPE: ClassVar[str] = "canary.weight-advanced"

    weight: int = Field(ge=0, le=100)


class IterationAdvanced(Event):
    """A/B or Blue/Green iteration counter reached ``iteration`` of ``of``."""

    TYPE: ClassVar[str] = "canary.iteration-advanced"

    iteration: int = Field(ge=0)
    of: int = Field(ge=0)


class PromotionStarted(Event):
    """Analysis passed: the target's spec is copied to the primary, phase Promoting."""

    TYPE: ClassVar[str] = "canary.promotion-started"


class PromotionStepped(Event):
    """A stepped promotion moved traffic back to the primary."""

    TYPE: ClassVar[str] = "canary.promotion-stepped"

    canary_weight: int = Field(ge=0, le=100)


class Finalising(Event):
    """All traffic is back on the (promoted) primary: phase Finalising."""

    TYPE: ClassVar[str] = "canary.finalising"


class Succeeded(Event):
    """The run ended well: phase Succeeded, the applied revision is now the promoted one."""

    TYPE: ClassVar[str] = "canary.succeeded"

    skipped_analysis: bool = False


class RolledBack(Event):
    """The run failed: traffic back to the primary, target scaled down, phase Failed."""

    TYPE: ClassVar[str] = "canary.rolled-back"

    reason: RollbackReason
    revision: str


class PromotionFailed(Event):
    """The primary failed during promotion: all traffic stays on the canary, phase Failed."""

    TYPE: ClassVar[str] = "canary.promotion-failed"

    error: str
    revision: str


class RunSuspended(Event):
    """The Canary is suspended: this tick did nothing."""

    TYPE: ClassVar[str] = "canary.run-suspended"


class TerminationStarted(Event):
    """A deleted Canary with ``revertOnDeletion`` is being reverted: phase Terminating."""

    TYPE: ClassVar[str] = "canary.termination-started"


class Terminated(Event):
    """Reverting finished: phase Terminated; the finalizer may go."""

    TYPE: ClassVar[str] = "canary.terminated"


class CommandHandled(Event):
    """What became of an operator command: acted on (``accepted``) or ignored, and why.

    Its ``id`` is remembered in the state, so a command still on the Canary next tick is not
    handled twice; ``revision`` is the target revision the command was judged against."""

    TYPE: ClassVar[str] = "canary.command-handled"

    id: str
    command: Command
    by: str
    accepted: bool
    reason: str = ""
    revision: str = ""


RUN_DECISIONS: tuple[type[Event], ...] = (
    InitializationStarted,
    Initialized,
    RunStarted,
    RunRestarted,
    StatusResynced,
    AnalysisStarted,
    Halted,
    WaitingForApproval,
    WeightAdvanced,
    IterationAdvanced,
    PromotionStarted,
    PromotionStepped,
    Finalising,
    Succeeded,
    RolledBack,
    PromotionFailed,
    RunSuspended,
    TerminationStarted,
    Terminated,
    CommandHandled,
)
