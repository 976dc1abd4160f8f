"""The event ledger: append batches to a stream, read streams and the global log, verify.

Appends are serialised (see ``ledger.engines``) so positions are assigned in commit order and the
hash chain is one line through the whole ledger; a reader that remembers the last position it saw
never misses an event committed after it. Reads page by position in short transactions so a long
read never holds the database open against a writer. The SQL of appends and page reads lives in
``ledger.statements``, compiled once and run on the driver's cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError

from ledger.codecs import canonical_json, chain_hash
from ledger.engines import WRITE, Synchronous, create_ledger_engine
from ledger.errors import ConcurrencyError, LedgerError
from ledger.migrating import migrate
from ledger.records import GENESIS_HASH, NewEvent, PayloadRow, StoredEvent
from ledger.redaction import Redactor
from ledger.schema import events
from ledger.statements import Prepared, Statements, execute_many, fetch_all

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


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
        self._sql = Statements(engine.dialect)
        # The hot statements run on the driver's cursor (``ledger.statements``), so its own
        # exception classes arrive here beside SQLAlchemy's.
        dbapi = engine.dialect.loaded_dbapi
        self._conflicts: tuple[type[Exception], ...] = (IntegrityError, dbapi.IntegrityError)
        self._failures: tuple[type[Exception], ...] = (OperationalError, dbapi.OperationalError)

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
        except DBAPIError as e:  # not a database, unreachable server, refused credentials
            engine.dispose()
            shown = _without_password(location)
            raise LedgerError(f"cannot open the ledger at {shown}: {_short(e)}") from e
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
                actual, position, previous = self._versions(conn, stream)
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
                execute_many(conn, self._sql.insert, self._sql.insert_params(stored))
        except self._conflicts as e:
            # The unique (stream, version) key caught a writer that slipped past the check.
            raise ConcurrencyError(stream, expected_version, self.stream_version(stream)) from e
        except self._failures as e:
            raise LedgerError(f"append to {stream!r} failed: {_short(e)}") from e
        return stored

    def writing(self) -> AbstractContextManager[Connection]:
        """A write transaction holding the append lock (for bulk writers such as import)."""
        return self._writer.begin()

    def insert_verbatim(self, records: Sequence[StoredEvent], conn: Connection) -> None:
        """Write already-sealed records unchanged (used by import, inside its transaction)."""
        try:
            execute_many(conn, self._sql.insert, self._sql.insert_params(records))
        except self._conflicts as e:
            raise LedgerError(f"cannot insert the records verbatim: {_short(e)}") from e

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
        for raw in self._stream_pages(self._sql.stream_page, stream, from_version, batch_size):
            for row in self._sql.stored_rows(raw):
                yield StoredEvent(*row)

    def read_stream_payloads(
        self, stream: str, *, from_version: int = 1, batch_size: int = 2000
    ) -> Iterator[Sequence[PayloadRow]]:
        """Pages of one stream's ``PayloadRow``s in version order: ``read_stream`` for folding
        (``load_state``), without the times and hashes a fold never looks at."""
        page = self._sql.stream_payload_page
        yield from self._stream_pages(page, stream, from_version, batch_size)

    def read_all(self, *, after: int = 0, batch_size: int = 5000) -> Iterator[StoredEvent]:
        """Every event after global position ``after``, in order, lazily."""
        for rows in self.read_all_rows(after=after, batch_size=batch_size):
            for row in rows:
                yield StoredEvent(*row)

    def read_all_rows(
        self, *, after: int = 0, batch_size: int = 5000
    ) -> Iterator[Sequence[tuple[Any, ...]]]:
        """Pages of plain tuples (the fields of ``StoredEvent``, in order) for bulk readers."""
        for raw in self._log_pages(self._sql.log_page, after, batch_size):
            yield self._sql.stored_rows(raw)

    def read_all_payloads(
        self, *, after: int = 0, batch_size: int = 2000
    ) -> Iterator[Sequence[PayloadRow]]:
        """Pages of ``PayloadRow``s: what decoding and routing by stream need, without the
        times and hashes (the bulk path of replay; ``EventRegistry.decode_rows`` takes them).
        Pages of a few thousand rows replayed fastest in ``bench/ledger.py``: larger ones fall
        out of the CPU caches and keep more objects alive for the garbage collector."""
        yield from self._log_pages(self._sql.payload_page, after, batch_size)

    def _log_pages(self, page: Prepared, after: int, batch_size: int) -> Iterator[Sequence[Any]]:
        # Short transactions, one per page, so a long read never holds the database open.
        position = after
        while True:
            with self.engine.connect() as conn:
                raw = fetch_all(conn, page, {"after": position, "n": batch_size})
            if raw:
                yield raw
            if len(raw) < batch_size:
                return
            position = raw[-1][0]

    def _stream_pages(
        self, page: Prepared, stream: str, from_version: int, batch_size: int
    ) -> Iterator[Sequence[Any]]:
        version = from_version - 1
        while True:
            with self.engine.connect() as conn:
                raw = fetch_all(conn, page, {"stream": stream, "after": version, "n": batch_size})
            if raw:
                yield raw
            if len(raw) < batch_size:
                return
            version = raw[-1][2]

    def _versions(self, conn: Connection, stream: str) -> tuple[int, int, str]:
        """The stream's version, and the ledger's head position and hash, in one round trip."""
        rows = fetch_all(conn, self._sql.versions, {"stream": stream})
        if not rows:
            return 0, 0, GENESIS_HASH
        position, digest, version = rows[0]
        return int(version), int(position), str(digest)

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


def _stream_version(conn: Connection, stream: str) -> int:
    value = conn.scalar(select(func.max(events.c.version)).where(events.c.stream == stream))
    return int(value or 0)


def _head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(
        select(events.c.position, events.c.hash).order_by(events.c.position.desc()).limit(1)
    ).first()
    return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))


def _without_password(location: str) -> str:
    """A ledger location fit for an error message: a URL's password masked."""
    if "://" not in location:
        return location
    try:
        return make_url(location).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable ledger URL>"


def _short(error: Exception, limit: int = 300) -> str:
    text = str(getattr(error, "orig", None) or error)
    return text if len(text) <= limit else text[:limit] + "..."
