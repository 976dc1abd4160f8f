"""Small event types and a fold used to exercise the ledger without the canary domain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from reducers.base import Event

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


class Counted(Event):
    TYPE: ClassVar[str] = "test.counted"
    amount: int


class Noted(Event):
    TYPE: ClassVar[str] = "test.noted"
    text: str
    tags: tuple[str, ...] = ()


SAMPLE_EVENTS: tuple[type[Event], ...] = (Counted, Noted)


class Tally(BaseModel):
    model_config = ConfigDict(frozen=True)
    total: int = 0
    notes: tuple[str, ...] = ()
    last_at: datetime | None = None


class TallyFold:
    """A pure fold: sums amounts and keeps notes in order."""

    name = "tally"

    def __init__(self, code_version: int = 1) -> None:
        self.code_version = code_version

    def initial(self) -> Tally:
        return Tally()

    def evolve(self, state: Tally, event: Event) -> Tally:
        if isinstance(event, Counted):
            return state.model_copy(
                update={"total": state.total + event.amount, "last_at": event.at}
            )
        if isinstance(event, Noted):
            return state.model_copy(
                update={"notes": (*state.notes, event.text), "last_at": event.at}
            )
        raise TypeError(type(event))

    def dump(self, state: Tally) -> dict[str, Any]:
        return state.model_dump(mode="json")

    def load(self, data: dict[str, Any]) -> Tally:
        return Tally.model_validate(data)
