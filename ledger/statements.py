"""The ledger's hot statements, compiled once per dialect and run on the driver's own cursor.

Appending and reading pages are nearly all the ledger does, and for these short statements
SQLAlchemy's per-execution work (cache lookup, execution context, result rows, per-value type
processing) cost more than the database's own work: ``bench/ledger.py`` measured Core appends at
half the speed of the bare driver and Core pages at twice the cost per row. So the SQL is still
generated from ``ledger.schema`` by SQLAlchemy, once per dialect, and still runs on a SQLAlchemy
connection inside its transaction (``BEGIN IMMEDIATE`` and the advisory lock stay in
``ledger.engines``); only the execution goes straight to the DBAPI cursor. Times pass through
``UtcDateTime``'s own processors, so the bytes written and the values read are exactly Core's.

Nothing here decides anything: ``ledger.store`` owns what is appended and when.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Dialect, bindparam, func, insert, select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

from ledger.records import StoredEvent
from ledger.schema import events

Params = Sequence[Any] | Mapping[str, Any]

#: The columns of ``StoredEvent``, in its field order.
COLUMNS = (
    events.c.position,
    events.c.stream,
    events.c.version,
    events.c.type,
    events.c.schema_version,
    events.c.occurred_at,
    events.c.recorded_at,
    events.c.payload,
    events.c.hash,
)
#: What decoding needs, and no more: no times to convert, no hash to carry.
PAYLOAD_COLUMNS = (
    events.c.position,
    events.c.stream,
    events.c.version,
    events.c.type,
    events.c.schema_version,
    events.c.payload,
)

_VERSIONS = (
    select(
        events.c.position,
        events.c.hash,
        select(func.coalesce(func.max(events.c.version), 0))
        .where(events.c.stream == bindparam("stream"))
        .scalar_subquery(),
    )
    .order_by(events.c.position.desc())
    .limit(1)
)


def _log_page(*columns: Any) -> Any:
    return (
        select(*columns)
        .where(events.c.position > bindparam("after"))
        .order_by(events.c.position)
        .limit(bindparam("n"))
    )


def _stream_page(*columns: Any) -> Any:
    return (
        select(*columns)
        .where(events.c.stream == bindparam("stream"), events.c.version > bindparam("after"))
        .order_by(events.c.version)
        .limit(bindparam("n"))
    )


class Prepared:
    """One statement as SQL text in the dialect's parameter style, and how to pass it values."""

    __slots__ = ("defaults", "names", "text")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.text = compiled.string
        # Positional styles (SQLite's ``?``) take a sequence in this order; named ones a mapping.
        self.names: tuple[str, ...] | None = (
            tuple(compiled.positiontup) if compiled.positiontup is not None else None
        )
        # Values the statement carries itself (``LIMIT 1``, ``coalesce(..., 0)``).
        self.defaults = {k: v for k, v in compiled.params.items() if v is not None}

    def params(self, values: Mapping[str, Any]) -> Params:
        full = {**self.defaults, **values} if self.defaults else values
        return full if self.names is None else tuple(full[name] for name in self.names)


class Statements:
    """The hot statements of one dialect, and its conversions of ``UtcDateTime`` values."""

    def __init__(self, dialect: Dialect) -> None:
        self.versions = Prepared(_VERSIONS, dialect)
        self.insert = Prepared(insert(events), dialect)
        self.log_page = Prepared(_log_page(*COLUMNS), dialect)
        self.payload_page = Prepared(_log_page(*PAYLOAD_COLUMNS), dialect)
        self.stream_page = Prepared(_stream_page(*COLUMNS), dialect)
        self.stream_payload_page = Prepared(_stream_page(*PAYLOAD_COLUMNS), dialect)
        time_type = events.c.occurred_at.type.dialect_impl(dialect)
        self.time_to_db: Callable[[datetime], Any] = time_type.bind_processor(dialect) or _same
        self.time_from_db: Callable[[Any], Any] = time_type.result_processor(dialect, None) or _same
        keys = [column.key for column in COLUMNS]
        if self.insert.names not in (None, tuple(keys)):
            raise AssertionError(f"insert parameters {self.insert.names} are not {keys}")
        self._keys = None if self.insert.names is not None else keys

    def insert_params(self, records: Sequence[StoredEvent]) -> list[Params]:
        """Parameters of ``insert`` for each record; a batch shares one ``recorded_at``."""
        to_db = self.time_to_db
        last_recorded: datetime | None = None
        recorded: Any = None
        rows: list[Params] = []
        for r in records:
            if r.recorded_at is not last_recorded:
                last_recorded, recorded = r.recorded_at, to_db(r.recorded_at)
            values = (
                r.position, r.stream, r.version, r.type, r.schema_version,
                to_db(r.occurred_at), recorded, r.payload_text, r.hash,
            )  # fmt: skip
            rows.append(
                values if self._keys is None else dict(zip(self._keys, values, strict=True))
            )
        return rows

    def stored_rows(self, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Driver rows of ``COLUMNS`` as ``StoredEvent`` field tuples (times converted)."""
        from_db = self.time_from_db
        recorded: dict[Any, datetime] = {}  # one value per appended batch: convert it once
        out = []
        for r in rows:
            at = recorded.get(r[6])
            if at is None:
                at = recorded[r[6]] = from_db(r[6])
            out.append((r[0], r[1], r[2], r[3], r[4], from_db(r[5]), at, r[7], r[8]))
        return out


def fetch_all(conn: Connection, prepared: Prepared, values: Mapping[str, Any]) -> Sequence[Any]:
    """Run a query on ``conn``'s DBAPI cursor; the driver's plain rows."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(prepared.text, prepared.params(values))
        return cursor.fetchall()
    finally:
        cursor.close()


def execute_many(conn: Connection, prepared: Prepared, rows: Sequence[Any]) -> None:
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(prepared.text, rows)
    finally:
        cursor.close()


def _same(value: Any) -> Any:
    return value
