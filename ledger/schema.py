"""The ledger's tables, as SQLAlchemy Core metadata.

This module is the single description of the database schema. Alembic migrations in
``migrations/`` create and change it; ``alembic check`` (run by the tests) fails whenever the two
drift apart. Users query these tables with SQL, so names are plain and documented in
docs/ledger.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
)
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# One migration serves both backends: INTEGER PRIMARY KEY is SQLite's rowid, BIGINT on PostgreSQL.
Position = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the backend stores.

    SQLite keeps no zone, PostgreSQL keeps ``timestamptz``: both read back as aware UTC here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: ledger times must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        # Appends write two times per event: on SQLite produce SQLAlchemy's own storage text
        # (``YYYY-MM-DD HH:MM:SS.ffffff``, here always UTC) in one C call.
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def store(value: Any) -> str | None:
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError(f"naive datetime {value!r}: ledger times must be timezone-aware")
            text: str = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
            return text

        return store

    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> Callable[[Any], datetime | None] | None:
        # Reading is the hot path (replay folds millions of rows): on SQLite turn the stored text
        # straight into an aware datetime in one C call instead of parse-then-adjust in Python.
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def parse(value: Any) -> datetime | None:
            return None if value is None else datetime.fromisoformat(value + "+00:00")

        return parse


events = Table(
    "events",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=False),
    Column("stream", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(128), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("payload", Text, nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("stream", "version"),
    Index(None, "type", "occurred_at"),
    Index(None, "occurred_at"),
)

# Two partial covering indexes serve the audit questions about runs (``ledger.audit``), so they
# read no table row: one holds what bounds a run (its start, its end), the other what is measured
# inside it (weights, routes, halts). Both are ordered by stream and version, with the payload in
# the index. The type comes after the time: had it followed the version, SQLite would seek once
# per listed type. PostgreSQL limits an index entry to a third of a page, and halts and
# promotion errors carry free text of no fixed size, so there those two types stay out (the
# queries are the same; only the SQLite ledger, the embedded default, has a speed target).
RUN_BOUND_TYPES = (
    "canary.run-started",
    "canary.run-restarted",
    "canary.succeeded",
    "canary.rolled-back",
    "canary.promotion-failed",
    "canary.terminated",
)
RUN_MEASURE_TYPES = ("canary.weight-advanced", "canary.routes-set", "canary.halted")
_FREE_TEXT = ("canary.promotion-failed", "canary.halted")


def type_in(column: Any, names: tuple[str, ...]) -> Any:
    """``column IN ('a', 'b', ...)`` with the names written out, not bound: SQLite uses a partial
    index only for a query that repeats the index's condition word for word."""
    return column.in_([literal_column(f"'{name}'") for name in names])


def run_bounds(table: Any = None) -> Any:
    """The condition of ``ix_events_run_bounds`` (on SQLite), for queries to repeat."""
    return type_in((events if table is None else table).c.type, RUN_BOUND_TYPES)


def run_measures(table: Any = None) -> Any:
    """The condition of ``ix_events_run_measures`` (on SQLite), for queries to repeat."""
    return type_in((events if table is None else table).c.type, RUN_MEASURE_TYPES)


def _postgres_part(names: tuple[str, ...]) -> Any:
    return type_in(events.c.type, tuple(n for n in names if n not in _FREE_TEXT))


Index(
    "ix_events_run_bounds",
    events.c.stream,
    events.c.version,
    events.c.occurred_at,
    events.c.type,
    events.c.payload,
    sqlite_where=run_bounds(),
    postgresql_where=_postgres_part(RUN_BOUND_TYPES),
)
Index(
    "ix_events_run_measures",
    events.c.stream,
    events.c.version,
    events.c.type,
    events.c.payload,
    sqlite_where=run_measures(),
    postgresql_where=_postgres_part(RUN_MEASURE_TYPES),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("stream", String(255), primary_key=True),
    # The fold that produced the state, with its code version: a snapshot from other code is
    # never trusted.
    Column("reducer", String(128), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("state", Text, nullable=False),
    Column("taken_at", UtcDateTime, nullable=False),
)
