"""The two shapes an event has at the ledger's edge: about to be appended, and stored.

The ledger itself knows nothing of event meanings: it moves type names, schema versions and JSON
payloads. Turning those into typed domain events is ``ledger.registry``'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

GENESIS_HASH = "0" * 64

#: One event as bulk replay reads it (``Ledger.read_all_payloads``): position, stream, version,
#: type, schema version and payload text, as plain values straight from the driver.
PayloadRow = tuple[int, str, int, str, int, str]


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append: its type name, schema version, own time and JSON-able payload."""

    type: str
    payload: Mapping[str, Any]
    occurred_at: datetime
    schema_version: int = 1


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the ledger holds it. ``payload_text`` is the exact canonical JSON stored."""

    position: int
    stream: str
    version: int
    type: str
    schema_version: int
    occurred_at: datetime
    recorded_at: datetime
    payload_text: str
    hash: str

    @property
    def payload(self) -> dict[str, Any]:
        value: dict[str, Any] = orjson.loads(self.payload_text)
        return value
