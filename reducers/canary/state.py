"""The state of one canary stream: its status as Flagger would write it, plus what Roost tracks.

A frozen value rebuilt by ``evolve`` from the stream's events. ``version`` is the stream version
the state reflects, so a fold can refuse an event that does not follow it. Nothing here reads the
spec: values the status needs (revision, weights) arrive on decision events.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from reducers.spec import ConditionStatus, Phase

TERMINAL_PHASES = frozenset({Phase.SUCCEEDED, Phase.FAILED})
"""Phases in which a run has ended."""


@dataclass(frozen=True, slots=True)
class Routes:
    """A traffic split: weights of primary and canary (they add up to 100) and mirroring."""

    primary: int = 100
    canary: int = 0
    mirrored: bool = False


@dataclass(frozen=True, slots=True)
class PromotedCondition:
    """The single ``Promoted`` condition Flagger keeps on a Canary."""

    status: ConditionStatus
    reason: str
    message: str
    last_update_time: datetime
    last_transition_time: datetime


@dataclass(frozen=True)
class CanaryState:
    """Status and bookkeeping of one canary."""

    version: int = 0
    tick: int = 0
    now: datetime | None = None
    name: str = ""
    namespace: str = ""
    target: str = ""
    kind: str = "Deployment"
    phase: Phase = Phase.UNSET
    canary_weight: int = 0
    failed_checks: int = 0
    iterations: int = 0
    last_applied_spec: str = ""
    last_promoted_spec: str = ""
    last_transition_time: datetime | None = None
    condition: PromotedCondition | None = None
    routes: Routes = field(default_factory=Routes)
    primary_exists: bool = False
    target_scaled_down: bool = False
    session_affinity_cookie: str = ""
    primary_session_affinity_cookie: str = ""
    previous_session_affinity_cookie: str = ""
    last_effect_error: str = ""
    last_command_id: str = ""
    """Id of the last operator command handled. The annotation holds one command at a time and
    every new command gets a fresh id, so a replaced command never comes back: remembering the
    last id is enough to act on each exactly once, also when it is observed again."""
    retry_revision: str = ""
    """A failed revision an operator asked to run again; cleared when a run starts or ends."""

    def evolved(self, **changes: Any) -> CanaryState:
        """A copy with ``changes`` (``dataclasses.replace`` without its checks: the fold's hot
        path, and every caller names real fields)."""
        if not _FIELD_SET.issuperset(changes):
            raise TypeError(f"CanaryState has no field(s) {sorted(set(changes) - _FIELD_SET)}")
        new = object.__new__(CanaryState)
        # No slots on purpose: copying the instance dict is the cheapest frozen copy there is.
        values = new.__dict__
        values.update(self.__dict__)
        values.update(changes)
        return new

    @property
    def run_ended(self) -> bool:
        """Whether the last run ended (Succeeded or Failed)."""
        return self.phase in TERMINAL_PHASES


_FIELDS = tuple(f.name for f in fields(CanaryState))
_FIELD_SET = frozenset(_FIELDS)
INITIAL = CanaryState()


def rfc3339(at: datetime) -> str:
    """A Kubernetes (RFC 3339, UTC, ``Z``) timestamp."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def status_of(state: CanaryState) -> dict[str, Any]:
    """The Canary ``status`` Flagger writes, projected from the folded state (cookies that are
    unset are ``None``, which a merge patch removes)."""
    status: dict[str, Any] = {
        "phase": state.phase.value,
        "canaryWeight": state.canary_weight,
        "failedChecks": state.failed_checks,
        "iterations": state.iterations,
        "lastAppliedSpec": state.last_applied_spec,
        "lastPromotedSpec": state.last_promoted_spec,
    }
    if state.last_transition_time is not None:
        status["lastTransitionTime"] = rfc3339(state.last_transition_time)
    cond = state.condition
    if cond is not None:
        status["conditions"] = [
            {
                "type": "Promoted",
                "status": cond.status.value,
                "reason": cond.reason,
                "message": cond.message,
                "lastUpdateTime": rfc3339(cond.last_update_time),
                "lastTransitionTime": rfc3339(cond.last_transition_time),
            }
        ]
    status["sessionAffinityCookie"] = state.session_affinity_cookie or None
    status["primarySessionAffinityCookie"] = state.primary_session_affinity_cookie or None
    status["previousSessionAffinityCookie"] = state.previous_session_affinity_cookie or None
    return status


def dump_state(state: CanaryState) -> dict[str, Any]:
    """JSON form of a state (for snapshots)."""
    cond = state.condition
    return {
        "version": state.version,
        "tick": state.tick,
        "now": _iso(state.now),
        "name": state.name,
        "namespace": state.namespace,
        "target": state.target,
        "kind": state.kind,
        "phase": state.phase.value,
        "canaryWeight": state.canary_weight,
        "failedChecks": state.failed_checks,
        "iterations": state.iterations,
        "lastAppliedSpec": state.last_applied_spec,
        "lastPromotedSpec": state.last_promoted_spec,
        "lastTransitionTime": _iso(state.last_transition_time),
        "condition": None
        if cond is None
        else {
            "status": cond.status.value,
            "reason": cond.reason,
            "message": cond.message,
            "lastUpdateTime": _iso(cond.last_update_time),
            "lastTransitionTime": _iso(cond.last_transition_time),
        },
        "routes": {
            "primary": state.routes.primary,
            "canary": state.routes.canary,
            "mirrored": state.routes.mirrored,
        },
        "primaryExists": state.primary_exists,
        "targetScaledDown": state.target_scaled_down,
        "sessionAffinityCookie": state.session_affinity_cookie,
        "primarySessionAffinityCookie": state.primary_session_affinity_cookie,
        "previousSessionAffinityCookie": state.previous_session_affinity_cookie,
        "lastEffectError": state.last_effect_error,
        "lastCommandId": state.last_command_id,
        "retryRevision": state.retry_revision,
    }


def load_state(data: dict[str, Any]) -> CanaryState:
    """Inverse of :func:`dump_state`."""
    cond = data["condition"]
    routes = data["routes"]
    return CanaryState(
        version=data["version"],
        tick=data["tick"],
        now=_time(data["now"]),
        name=data["name"],
        namespace=data["namespace"],
        target=data["target"],
        kind=data["kind"],
        phase=Phase(data["phase"]),
        canary_weight=data["canaryWeight"],
        failed_checks=data["failedChecks"],
        iterations=data["iterations"],
        last_applied_spec=data["lastAppliedSpec"],
        last_promoted_spec=data["lastPromotedSpec"],
        last_transition_time=_time(data["lastTransitionTime"]),
        condition=None
        if cond is None
        else PromotedCondition(
            status=ConditionStatus(cond["status"]),
            reason=cond["reason"],
            message=cond["message"],
            last_update_time=_required_time(cond["lastUpdateTime"]),
            last_transition_time=_required_time(cond["lastTransitionTime"]),
        ),
        routes=Routes(routes["primary"], routes["canary"], routes["mirrored"]),
        primary_exists=data["primaryExists"],
        target_scaled_down=data["targetScaledDown"],
        session_affinity_cookie=data["sessionAffinityCookie"],
        primary_session_affinity_cookie=data["primarySessionAffinityCookie"],
        previous_session_affinity_cookie=data["previousSessionAffinityCookie"],
        last_effect_error=data["lastEffectError"],
        # snapshots written before operator commands existed lack these two
        last_command_id=data.get("lastCommandId", ""),
        retry_revision=data.get("retryRevision", ""),
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _required_time(value: str) -> datetime:
    return datetime.fromisoformat(value)
