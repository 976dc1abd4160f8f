"""The ledger's own errors: every failure the ledger reports to its callers is one of these.

Database driver errors are translated here-and-only-here into this small hierarchy (chained with
``from``), so the layers above never import a driver to catch its exceptions.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error the ledger raises."""


class ConcurrencyError(LedgerError):
    """Another writer appended to the stream first; nothing of this batch was written."""

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        super().__init__(
            f"stream {stream!r} is at version {actual}, but the append expected version "
            f"{expected}: another writer appended first; nothing was written"
        )
        self.stream = stream
        self.expected = expected
        self.actual = actual


class LedgerTooNewError(LedgerError):
    """The database was migrated by a newer Roost than this one."""


class LedgerLocationError(LedgerError):
    """The ledger location cannot be opened (bad URL, missing directory, unsupported backend)."""


class UnknownEventTypeError(LedgerError):
    """An event type name that no registered model claims."""


class EventSchemaError(LedgerError):
    """A stored payload that cannot be brought to the current schema of its type."""


class TransferError(LedgerError):
    """An export file that cannot be imported as it is."""
