"""Operator commands in the decider: each handled exactly once, and kept across snapshots."""

from __future__ import annotations

from datetime import timedelta

from controller.simulation import load_script, simulate
from reducers.canary import decide, fold
from reducers.canary.state import dump_state, load_state
from reducers.events import (
    DECIDE_INPUTS,
    Command,
    CommandHandled,
    CommandObserved,
    TickStarted,
)
from reducers.spec import Canary, Phase, validate_document
from tests.reducers.scenarios import canary


def test_a_command_observed_again_is_not_handled_twice() -> None:
    model = validate_document(canary(namespace="test"))
    assert isinstance(model, Canary)
    script = load_script({"ticks": [{}, {"target": {"revision": "v2"}}, {}]})
    reports = simulate(model, script)
    recorded = [e for r in reports for e in r.recorded]
    state = fold(recorded)
    assert state.phase is Phase.PROGRESSING
    last = reports[-1].recorded
    at = last[0].at + timedelta(minutes=1)
    observations = [e.model_copy(update={"at": at}) for e in last if not _decided(e)]
    observations[0] = TickStarted(at=at, tick=4)
    command = CommandObserved(at=at, command=Command.ABORT, id="c-1", by="bob", requested_at=at)
    first = decide(state, [*observations, command])
    handled = [e for e in first.events if isinstance(e, CommandHandled)]
    assert [(h.id, h.accepted) for h in handled] == [("c-1", True)]
    after = fold([*observations, command, *first.events], state)
    assert after.phase is Phase.FAILED and after.last_command_id == "c-1"

    again = [e.model_copy(update={"at": at + timedelta(minutes=1)}) for e in observations]
    again[0] = TickStarted(at=at + timedelta(minutes=1), tick=5)
    second = decide(after, [*again, command])
    assert not [e for e in second.events if isinstance(e, CommandHandled)]
    assert second.events == decide(after, again).events


def _decided(event: object) -> bool:
    return type(event) not in DECIDE_INPUTS


def test_snapshots_keep_the_command_bookkeeping_and_read_old_ones() -> None:
    state = fold([]).evolved(last_command_id="c-9", retry_revision="abc")
    assert load_state(dump_state(state)) == state
    old = dump_state(state)
    del old["lastCommandId"], old["retryRevision"]
    restored = load_state(old)
    assert (restored.last_command_id, restored.retry_revision) == ("", "")
