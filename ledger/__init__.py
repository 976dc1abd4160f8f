"""The event ledger: Roost's append-only memory, on SQLite (embedded default) or PostgreSQL.

Owns the ``events`` and ``snapshots`` tables, appends with optimistic concurrency per stream, the
hash chain, redaction of secrets, decoding through registered event models, snapshots, and
export/import. It must not decide anything about canaries (``reducers``) or touch the cluster
(``effects``); ``controller`` wires it to both.
"""

from ledger.errors import (
    ConcurrencyError,
    EventSchemaError,
    LedgerError,
    LedgerLocationError,
    LedgerTooNewError,
    TransferError,
    UnknownEventTypeError,
)
from ledger.records import NewEvent, StoredEvent
from ledger.registry import EventRegistry
from ledger.store import Ledger, VerifyReport

__all__ = [
    "ConcurrencyError",
    "EventRegistry",
    "EventSchemaError",
    "Ledger",
    "LedgerError",
    "LedgerLocationError",
    "LedgerTooNewError",
    "NewEvent",
    "StoredEvent",
    "TransferError",
    "UnknownEventTypeError",
    "VerifyReport",
]
