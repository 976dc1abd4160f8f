"""The base of every domain event: a frozen value with a stable type name and schema version.

Events are a public format (users read them with SQL, ``explain`` shows them), so each class names
itself with ``TYPE`` (chosen by us, never a module path) and ``SCHEMA_VERSION``. ``at`` is when the
event happened in the world; it arrives from outside like every other fact, which is what makes a
fold over events deterministic.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict


class Event(BaseModel):
    """A fact or a decision, as recorded in the ledger."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int] = 1

    at: AwareDatetime

    @property
    def occurred_at(self) -> datetime:
        return self.at
