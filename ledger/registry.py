"""Turning domain events into ledger records and back, through models registered by type name.

The ledger stores type names and JSON; this registry is where a name meets its pydantic model and
where old schema versions are upcast on the way in. Nothing here writes: an old payload is brought
up to date each time it is read, and the stored bytes stay as they were recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from ledger.errors import EventSchemaError, UnknownEventTypeError
from ledger.records import NewEvent, StoredEvent
from ledger.upcasting import UPCASTERS, UpcasterTable, upcast
from reducers.base import Event


class EventRegistry:
    """Event classes by type name, with the upcasters that bring old payloads to theirs."""

    def __init__(
        self, classes: Iterable[type[Event]] = (), *, upcasters: UpcasterTable | None = None
    ) -> None:
        self._classes: dict[str, type[Event]] = {}
        self._upcasters = UPCASTERS if upcasters is None else upcasters
        self.register(*classes)

    def register(self, *classes: type[Event]) -> None:
        for cls in classes:
            known = self._classes.get(cls.TYPE)
            if known is not None and known is not cls:
                raise ValueError(f"event type {cls.TYPE!r} claimed by {known} and {cls}")
            self._classes[cls.TYPE] = cls

    @property
    def types(self) -> dict[str, type[Event]]:
        return dict(self._classes)

    def encode(self, event: Event) -> NewEvent:
        cls = type(event)
        if self._classes.get(cls.TYPE) is not cls:
            raise UnknownEventTypeError(f"event class {cls.__name__} is not registered")
        return NewEvent(
            type=cls.TYPE,
            schema_version=cls.SCHEMA_VERSION,
            occurred_at=event.at,
            payload=event.model_dump(mode="json", by_alias=True),
        )

    def decode(self, stored: StoredEvent) -> Event:
        cls = self._classes.get(stored.type)
        if cls is None:
            raise UnknownEventTypeError(
                f"event type {stored.type!r} at position {stored.position} is not known to this "
                "Roost (written by a newer version?)"
            )
        try:
            if stored.schema_version == cls.SCHEMA_VERSION:
                return cls.model_validate_json(stored.payload_text)
            if stored.schema_version > cls.SCHEMA_VERSION:
                raise EventSchemaError(
                    f"{stored.type} v{stored.schema_version} at position {stored.position} is "
                    f"newer than this Roost's v{cls.SCHEMA_VERSION}"
                )
            payload = self._upcast(stored.type, stored.schema_version, cls, stored.payload)
            return cls.model_validate(payload)
        except ValidationError as e:
            raise EventSchemaError(
                f"{stored.type} v{stored.schema_version} at position {stored.position} does not "
                f"fit its model: {e.error_count()} error(s), first: {e.errors()[0]['msg']}"
            ) from e

    def _upcast(
        self, type_name: str, version: int, cls: type[Event], payload: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            return upcast(self._upcasters, type_name, version, cls.SCHEMA_VERSION, payload)
        except LookupError as e:
            raise EventSchemaError(str(e)) from e
