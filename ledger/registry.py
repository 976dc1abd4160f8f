"""Turning domain events into ledger records and back, through models registered by type name.

The ledger stores type names and JSON; this registry is where a name meets its pydantic model and
where old schema versions are upcast on the way in. Nothing here writes: an old payload is brought
up to date each time it is read, and the stored bytes stay as they were recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson
from pydantic import ValidationError

from ledger.errors import EventSchemaError, UnknownEventTypeError
from ledger.records import NewEvent, PayloadRow, StoredEvent
from ledger.upcasting import UPCASTERS, UpcasterTable, upcast
from reducers.base import Event


class EventRegistry:
    """Event classes by type name, with the upcasters that bring old payloads to theirs."""

    def __init__(
        self, classes: Iterable[type[Event]] = (), *, upcasters: UpcasterTable | None = None
    ) -> None:
        self._classes: dict[str, type[Event]] = {}
        # Per type: its current schema version and its model's compiled JSON validator, taken on
        # first use. ``model_validate_json`` is that validator behind a Python classmethod whose
        # call cost a quarter of decoding an event, so the hot paths call the validator itself.
        self._current: dict[str, tuple[int, Callable[[str], Event]]] = {}
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
        return self._decode(
            stored.position, stored.type, stored.schema_version, stored.payload_text
        )

    def decode_rows(self, rows: Iterable[PayloadRow]) -> Iterator[Event]:
        """Decode rows of ``Ledger.read_all_payloads`` in order, lazily: the bulk form of
        ``decode`` (same events, same errors) for replays that fold the whole log. Lazy on
        purpose: an event folded and dropped before the next is decoded costs no garbage
        collection, where a page of thousands of live events costs more than decoding them."""
        current = self._current
        for row in rows:
            # The usual case inline: a known type at its current schema version.
            known = current.get(row[3])
            if known is not None and known[0] == row[4]:
                try:
                    yield known[1](row[5])
                    continue
                except ValidationError:
                    pass  # decoded again below, to raise the one error ``decode`` raises
            yield self._decode(row[0], row[3], row[4], row[5])

    def _decode(self, position: int, type_name: str, version: int, payload_text: str) -> Event:
        cls = self._classes.get(type_name)
        if cls is None:
            raise UnknownEventTypeError(
                f"event type {type_name!r} at position {position} is not known to this "
                "Roost (written by a newer version?)"
            )
        try:
            if version == cls.SCHEMA_VERSION:
                validate = self._current.get(type_name)
                if validate is None:
                    validate = self._current[type_name] = (
                        cls.SCHEMA_VERSION,
                        cls.__pydantic_validator__.validate_json,
                    )
                return validate[1](payload_text)
            if version > cls.SCHEMA_VERSION:
                raise EventSchemaError(
                    f"{type_name} v{version} at position {position} is "
                    f"newer than this Roost's v{cls.SCHEMA_VERSION}"
                )
            payload = self._upcast(type_name, version, cls, orjson.loads(payload_text))
            return cls.model_validate(payload)
        except ValidationError as e:
            raise EventSchemaError(
                f"{type_name} v{version} at position {position} does not "
                f"fit its model: {e.error_count()} error(s), first: {e.errors()[0]['msg']}"
            ) from e

    def _upcast(
        self, type_name: str, version: int, cls: type[Event], payload: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            return upcast(self._upcasters, type_name, version, cls.SCHEMA_VERSION, payload)
        except LookupError as e:
            raise EventSchemaError(str(e)) from e
