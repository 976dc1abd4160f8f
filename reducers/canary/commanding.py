"""Operator commands (``roost promote``, ``abort``, ``retry``, ``pause``, ``resume``) in a tick.

A command arrives as a ``CommandObserved`` observation (the operator reads it from the Canary's
``roost.dev/command`` annotation). Every command with an id the state has not handled yet gets one
``CommandHandled`` decision saying whether it was acted on and, if not, why — the ledger then holds
who asked for what and what came of it, and the id keeps a command observed again (its annotation
not yet removed) from being handled twice. Pure like the rest of the decider: the time and the
person come on the observation.

- ``promote`` during a run (Waiting, Progressing, WaitingPromotion) skips the remaining analysis
  and gates and starts the promotion this tick, as a passed analysis would — unless the target
  changed mid-run (the run restarts) or the failed checks already reached the threshold (the
  rollback it is owed is never overridden).
- ``abort`` during a run rolls back this tick (reason ``aborted``).
- ``retry`` after a failed run, while the target still runs the failed revision, arms a new run of
  it; the tick then starts it as it would a new revision (primary readiness and the confirm-rollout
  gate apply).
- ``pause`` and ``resume`` only say who changed ``spec.suspend``; suspension does the rest.

A command that does not fit the canary's state is ignored with a Warning event naming the reason.
"""

from __future__ import annotations

from reducers.canary import endings, strategies
from reducers.canary.observing import Observed
from reducers.canary.revisions import has_changed
from reducers.canary.ticking import TickContext
from reducers.events import Command, CommandHandled, CommandObserved, RollbackReason, Severity
from reducers.spec import Phase

PROMOTABLE = (Phase.WAITING, Phase.PROGRESSING, Phase.WAITING_PROMOTION)
ABORTABLE = (Phase.WAITING, Phase.PROGRESSING, Phase.WAITING_PROMOTION)
_NOTES = {Command.PAUSE: "Pause", Command.RESUME: "Resume"}


def pending(t: TickContext, obs: Observed) -> CommandObserved | None:
    """The tick's command, unless it was handled already."""
    command = obs.command
    if command is None or command.id == t.state.last_command_id:
        return None
    return command


def handle(t: TickContext, obs: Observed) -> bool:
    """Handle the pending command, if any; False when it has decided the whole tick."""
    command = pending(t, obs)
    if command is None:
        return True
    if command.command in _NOTES:
        _record(t, command, accepted=True)
        t.normal(f"{_NOTES[command.command]} of {t.names.canary} requested by {command.by}")
        return True
    refusal = _refusal(t, obs, command.command)
    if refusal:
        _record(t, command, accepted=False, reason=refusal)
        t.warning(
            f"Ignoring {command.command.value} of {t.names.canary} requested by {command.by}: "
            f"{refusal}"
        )
        return True
    _record(t, command, accepted=True)
    if command.command is Command.PROMOTE:
        _promote(t, command)
        return False
    if command.command is Command.ABORT:
        t.warning(f"Rolling back {t.names.canary}: abort requested by {command.by}")
        t.alert(Severity.WARN, f"Rolling back, abort requested by {command.by}.")
        endings.rollback(t, RollbackReason.ABORTED)
        return False
    t.normal(
        f"Retry of {t.names.canary} requested by {command.by}: running the failed revision again"
    )
    t.alert(Severity.INFO, f"Retry requested by {command.by}, running the failed revision again.")
    return True


def _record(t: TickContext, command: CommandObserved, *, accepted: bool, reason: str = "") -> None:
    t.emit(
        CommandHandled(
            at=t.at,
            id=command.id,
            command=command.command,
            by=command.by,
            accepted=accepted,
            reason=reason,
            revision=t.obs.revision,
        )
    )


def _refusal(t: TickContext, obs: Observed, command: Command) -> str:
    """Why ``command`` cannot be carried out now ('' when it can)."""
    state = t.state
    if obs.canary.deleting:
        return "the canary is being deleted"
    if obs.spec.suspend:
        return "the canary is suspended (roost resume first)"
    phase = state.phase.value or "none yet"
    if command is Command.RETRY:
        if state.phase is not Phase.FAILED:
            return f"the last run did not fail (phase {phase})"
        if obs.revision != state.last_applied_spec or obs.revision == state.last_promoted_spec:
            return "the target no longer runs the failed revision"
        return ""
    allowed = PROMOTABLE if command is Command.PROMOTE else ABORTABLE
    if state.phase not in allowed:
        return f"no run in progress that can be {_PAST[command]} (phase {phase})"
    if command is Command.ABORT or state.phase is Phase.WAITING:
        return ""
    if has_changed(state, obs.revision):
        return "the target changed since the run started; the run restarts instead"
    if state.failed_checks >= obs.spec.analysis.effective_threshold():
        # the run is already lost: the rollback it is owed is not overridden
        return f"the failed checks threshold is reached ({state.failed_checks}); it rolls back"
    return ""


_PAST = {Command.PROMOTE: "promoted", Command.ABORT: "aborted"}


def _promote(t: TickContext, command: CommandObserved) -> None:
    """Skip what is left of the analysis and the gates: promote now (a waiting run starts
    first, so the revision it promotes is the one recorded as applied)."""
    t.normal(
        f"Promotion of {t.names.canary} requested by {command.by}: skipping the remaining analysis"
    )
    t.alert(Severity.INFO, f"Promotion requested by {command.by}, skipping the remaining analysis.")
    if t.state.phase is Phase.WAITING:
        strategies.start_run(t)
    strategies.promote(t)
