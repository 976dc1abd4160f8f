"""Decision events that ask the world for something: routes, workload actions, messages, alerts.

The decider never acts; it records *what* should happen as data. ``effects`` applies routes and
workload actions and reports an ``EffectOutcome``; Kubernetes events and alerts are delivered as
decided (Kubernetes events are also forwarded to ``event`` webhooks).
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from reducers.base import Event


class WorkloadAction(StrEnum):
    """Things done to workloads, as data."""

    CREATE_PRIMARY = "create-primary"
    SCALE_TARGET_TO_ZERO = "scale-target-to-zero"
    SCALE_TARGET_UP = "scale-target-up"
    PROMOTE = "promote"
    """Copy the target's pod spec (and tracked configs) to the primary."""
    UPDATE_PRIMARY_AUTOSCALER = "update-primary-autoscaler"
    PAUSE_TARGET_AUTOSCALER = "pause-target-autoscaler"
    """KEDA only: hold the target's ScaledObject at zero while the target is parked."""
    RESUME_TARGET_AUTOSCALER = "resume-target-autoscaler"
    """KEDA only: let the target's ScaledObject scale again (a run starts, or deletion)."""
    REVERT_TARGET = "revert-target"
    """Deletion with revertOnDeletion: give the target the primary's replicas back."""
    RESTORE_ROUTING = "restore-routing"
    """Deletion with revertOnDeletion: restore the apex Service and mesh objects."""


class EventType(StrEnum):
    """Kubernetes event types."""

    NORMAL = "Normal"
    WARNING = "Warning"


class Severity(StrEnum):
    """Alert severities."""

    INFO = "info"
    WARN = "warn"
    ERROR = "error"


class RoutesSet(Event):
    """Desired traffic split."""

    TYPE: ClassVar[str] = "canary.routes-set"

    primary: int = Field(ge=0, le=100)
    canary: int = Field(ge=0, le=100)
    mirrored: bool = False


class WorkloadActionDecided(Event):
    """A workload change to apply."""

    TYPE: ClassVar[str] = "canary.workload-action"

    action: WorkloadAction


class KubeEventRecorded(Event):
    """A Kubernetes Event on the Canary (reason ``Synced``), also sent to event webhooks."""

    TYPE: ClassVar[str] = "canary.kube-event"

    type: EventType
    message: str
    phase: str
    """Phase the event webhook payload carries."""


class AlertDecided(Event):
    """A notification and who receives it."""

    TYPE: ClassVar[str] = "canary.alert"

    severity: Severity
    message: str
    fields: tuple[tuple[str, str], ...] = ()
    recipients: tuple[str, ...] = ()
    """Names of the Canary's alert entries that receive it."""
    global_notifier: bool = False
    """The Canary has no alert entries: the operator-wide notifier receives it."""


class CookieIssued(Event):
    """Session affinity: the canary (and primary) cookie of this run."""

    TYPE: ClassVar[str] = "canary.cookie-issued"

    canary_cookie: str
    primary_cookie: str = ""


class CookieRetired(Event):
    """Session affinity: the canary cookie is expired now that canary traffic is 0."""

    TYPE: ClassVar[str] = "canary.cookie-retired"

    previous_cookie: str


EFFECT_DECISIONS: tuple[type[Event], ...] = (
    RoutesSet,
    WorkloadActionDecided,
    KubeEventRecorded,
    AlertDecided,
    CookieIssued,
    CookieRetired,
)
