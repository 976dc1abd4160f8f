"""The event ledger: append batches to a stream, read streams and the global log, verify.

Appends are serialised (see ``ledger.engines``) so positions are assigned in commit order and the
hash chain is one line through the whole ledger; a reader that remembers the last position it saw
never misses an event committed after it. Reads page by position in short transactions so a long
read never holds the database open against a writer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.sql.compiler import SQLCompiler

from ledger.codecs import canonical_json, chain_hash
from ledger.engines import WRITE, Synchronous, create_ledger_engine
from ledger.errors import ConcurrencyError, LedgerError
from ledger.migrating import migrate
from ledger.records import GENESIS_HASH, NewEvent, StoredEvent
from ledger.redaction import Redactor
from ledger.schema import events

Clock = Callable[[], datetime]

_COLUMNS = (
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


def _utc_now() -> datetime:
    return datetime.now(UTC)


_ALL_PAGE = (
    select(*_COLUMNS)
    .where(events.c.position > bindparam("after"))
    .order_by(events.c.position)
    .limit(bindparam("n"))
)
_STREAM_PAGE = (
    select(*_COLUMNS)
    .where(events.c.stream == bindparam("stream"), events.c.version > bindparam("after"))
    .order_by(events.c.version)
    .limit(bindparam("n"))
)


def _sqlite_time(value: str) -> datetime:
    # SQLite holds UTC as text without a zone (see ``schema.UtcDateTime``).
    return datetime.fromisoformat(value + "+00:00")


def _aware_time(value: datetime) -> datetime:
    return value if value.tzinfo is UTC else value.astimezone(UTC)


@dataclass(frozen=True)
class VerifyReport:
    """What ``verify`` found: how many events were checked and the first bad one, if any."""

    checked: int
    first_bad_position: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad_position is None


class Ledger:
    """An append-only event ledger on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine, *, clock: Clock = _utc_now) -> None:
        self.engine = engine
        self.redactor = Redactor()
        self._clock = clock
        self._writer = engine.execution_options(**{WRITE: True})
        self._statements: dict[Select[Any], SQLCompiler] = {}
        self._to_time = _sqlite_time if engine.dialect.name == "sqlite" else _aware_time

    @classmethod
    def open(
        cls,
        location: str,
        *,
        synchronous: Synchronous = Synchronous.FULL,
        clock: Clock = _utc_now,
    ) -> Ledger:
        """Open (creating if needed) and migrate the ledger at a path or SQLAlchemy URL."""
        engine = create_ledger_engine(location, synchronous=synchronous)
        try:
            migrate(engine)
        except Exception:
            engine.dispose()
            raise
        return cls(engine, clock=clock)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing

    def append(
        self, stream: str, batch: Sequence[NewEvent], *, expected_version: int
    ) -> list[StoredEvent]:
        """Append ``batch`` to ``stream`` in one transaction, if the stream is at
        ``expected_version`` (0 for a new stream); otherwise raise ``ConcurrencyError`` and write
        nothing. Payloads are redacted and canonicalised here, and nowhere else."""
        if not batch:
            return []
        recorded_at = self._clock().astimezone(UTC)
        for event in batch:
            if event.occurred_at.tzinfo is None:
                raise LedgerError(
                    f"naive occurred_at {event.occurred_at!r} on {event.type}: ledger times must "
                    "be timezone-aware"
                )
        prepared = [
            (e, canonical_json(self.redactor.redact(e.payload))) for e in batch
        ]  # outside the lock: the costly part
        try:
            with self._writer.begin() as conn:
                actual, position, previous = _versions(conn, stream)
                if actual != expected_version:
                    raise ConcurrencyError(stream, expected_version, actual)
                stored: list[StoredEvent] = []
                for offset, (event, payload_text) in enumerate(prepared, start=1):
                    record = _seal(
                        previous,
                        position + offset,
                        stream,
                        expected_version + offset,
                        event,
                        recorded_at,
                        payload_text,
                    )
                    previous = record.hash
                    stored.append(record)
                conn.execute(insert(events), [_row(r) for r in stored])
        except IntegrityError as e:
            # The unique (stream, version) key caught a writer that slipped past the check.
            raise ConcurrencyError(stream, expected_version, self.stream_version(stream)) from e
        except OperationalError as e:
            raise LedgerError(f"append to {stream!r} failed: {_short(e)}") from e
        return stored

    def writing(self) -> AbstractContextManager[Connection]:
        """A write transaction holding the append lock (for bulk writers such as import)."""
        return self._writer.begin()

    def insert_verbatim(self, records: Sequence[StoredEvent], conn: Connection) -> None:
        """Write already-sealed records unchanged (used by import, inside its transaction)."""
        conn.execute(insert(events), [_row(r) for r in records])

    # ------------------------------------------------------------------ reading

    def stream_version(self, stream: str) -> int:
        with self.engine.connect() as conn:
            return _stream_version(conn, stream)

    def head(self) -> tuple[int, str]:
        """The last position and its hash (0 and the genesis hash for an empty ledger)."""
        with self.engine.connect() as conn:
            return _head(conn)

    def streams(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(select(events.c.stream).distinct().order_by(events.c.stream)))

    def read_stream(
        self, stream: str, *, from_version: int = 1, batch_size: int = 1000
    ) -> Iterator[StoredEvent]:
        """Events of one stream in version order, starting at ``from_version``, lazily."""
        version = from_version - 1
        while True:
            rows = self._page(_STREAM_PAGE, {"stream": stream, "after": version, "n": batch_size})
            for row in rows:
                yield StoredEvent(*row)
            if len(rows) < batch_size:
                return
            version = rows[-1][2]

    def read_all(self, *, after: int = 0, batch_size: int = 5000) -> Iterator[StoredEvent]:
        """Every event after global position ``after``, in order, lazily."""
        for rows in self.read_all_rows(after=after, batch_size=batch_size):
            for row in rows:
                yield StoredEvent(*row)

    def read_all_rows(
        self, *, after: int = 0, batch_size: int = 5000
    ) -> Iterator[Sequence[tuple[Any, ...]]]:
        """Pages of plain tuples (the fields of ``StoredEvent``, in order) for bulk readers."""
        position = after
        while True:
            rows = self._page(_ALL_PAGE, {"after": position, "n": batch_size})
            if rows:
                yield rows
            if len(rows) < batch_size:
                return
            position = rows[-1][0]

    def _page(self, query: Select[Any], params: dict[str, Any]) -> list[tuple[Any, ...]]:
        # The hot path of replay: a statement compiled once per dialect and run without
        # SQLAlchemy's per-value type processing; times are converted here in one step each.
        compiled = self._compiled(query)
        full = compiled.construct_params(params) or {}
        order = compiled.positiontup
        args: Any = tuple(full[k] for k in order) if order else full
        with self.engine.connect() as conn:
            raw = conn.exec_driver_sql(compiled.string, args).all()
        to_time = self._to_time
        recorded: dict[Any, datetime] = {}  # one value per appended batch: parse it once
        out = []
        for r in raw:
            at = recorded.get(r[6])
            if at is None:
                at = recorded[r[6]] = to_time(r[6])
            out.append((r[0], r[1], r[2], r[3], r[4], to_time(r[5]), at, r[7], r[8]))
        return out

    def _compiled(self, query: Select[Any]) -> SQLCompiler:
        found = self._statements.get(query)
        if found is None:
            compiled = query.compile(dialect=self.engine.dialect)
            assert isinstance(compiled, SQLCompiler)
            found = self._statements[query] = compiled
        return found

    # ------------------------------------------------------------------ checking

    def verify(self) -> VerifyReport:
        """Walk the whole hash chain; report the first event whose stored hash, position or
        stream version does not follow from what came before it."""
        previous, expected_position, checked = GENESIS_HASH, 1, 0
        versions: dict[str, int] = {}
        for event in self.read_all():
            problem = None
            if event.position != expected_position:
                problem = f"position {event.position} follows {expected_position - 1}"
            elif event.version != versions.get(event.stream, 0) + 1:
                problem = (
                    f"stream {event.stream} jumps from version {versions.get(event.stream, 0)} "
                    f"to {event.version}"
                )
            elif seal(previous, event) != event.hash:
                problem = "hash does not match the event's content and the previous hash"
            if problem:
                return VerifyReport(checked, event.position, problem)
            previous, expected_position = event.hash, event.position + 1
            versions[event.stream] = event.version
            checked += 1
        return VerifyReport(checked)


def seal(previous: str, event: StoredEvent) -> str:
    """The hash ``event`` must carry when it follows an event hashed ``previous``."""
    return chain_hash(
        previous,
        position=event.position,
        stream=event.stream,
        version=event.version,
        type=event.type,
        schema_version=event.schema_version,
        occurred_at=event.occurred_at,
        recorded_at=event.recorded_at,
        payload_text=event.payload_text,
    )


def _seal(
    previous: str,
    position: int,
    stream: str,
    version: int,
    event: NewEvent,
    recorded_at: datetime,
    payload_text: str,
) -> StoredEvent:
    occurred_at = event.occurred_at.astimezone(UTC)
    digest = chain_hash(
        previous,
        position=position,
        stream=stream,
        version=version,
        type=event.type,
        schema_version=event.schema_version,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        payload_text=payload_text,
    )
    return StoredEvent(
        position, stream, version, event.type, event.schema_version, occurred_at, recorded_at,
        payload_text, digest,
    )  # fmt: skip


def _row(e: StoredEvent) -> dict[str, Any]:
    return {
        "position": e.position,
        "stream": e.stream,
        "version": e.version,
        "type": e.type,
        "schema_version": e.schema_version,
        "occurred_at": e.occurred_at,
        "recorded_at": e.recorded_at,
        "payload": e.payload_text,
        "hash": e.hash,
    }


def _stream_version(conn: Connection, stream: str) -> int:
    value = conn.scalar(select(func.max(events.c.version)).where(events.c.stream == stream))
    return int(value or 0)


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


def _versions(conn: Connection, stream: str) -> tuple[int, int, str]:
    """The stream's version, and the ledger's head position and hash, in one round trip."""
    row = conn.execute(_VERSIONS, {"stream": stream}).first()
    if row is None:
        return 0, 0, GENESIS_HASH
    return int(row[2]), int(row[0]), str(row[1])


def _head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(
        select(events.c.position, events.c.hash).order_by(events.c.position.desc()).limit(1)
    ).first()
    return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))


def _short(error: Exception, limit: int = 300) -> str:
    text = str(getattr(error, "orig", None) or error)
    return text if len(text) <= limit else text[:limit] + "..."
