"""Connecting to a ledger database: URL parsing, SQLite pragmas, and write transactions.

Appends must be serialised globally (the hash chain and the global position are one sequence), so
every write transaction takes the database's write lock up front: ``BEGIN IMMEDIATE`` on SQLite,
a transaction-scoped advisory lock on PostgreSQL. Reads use ordinary transactions and never wait
for a writer (SQLite in WAL mode; PostgreSQL MVCC).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from ledger.errors import LedgerLocationError

WRITE = "roost_write"
_PG_LOCK_KEY = 0x524F4F5354  # "ROOST": one advisory lock for all appends


class Synchronous(StrEnum):
    """SQLite durability. FULL survives power loss after commit; NORMAL may lose the last
    transactions on power loss (never on a process crash) and is several times faster."""

    FULL = "FULL"
    NORMAL = "NORMAL"


def to_url(location: str) -> str:
    """Accept a plain file path or an SQLAlchemy URL; return an SQLAlchemy URL."""
    if "://" not in location:
        path = Path(location).expanduser()
        if not path.parent.exists():
            raise LedgerLocationError(f"cannot create ledger {location}: {path.parent} is missing")
        return f"sqlite:///{path}"
    return location


def create_ledger_engine(
    location: str, *, synchronous: Synchronous = Synchronous.FULL, busy_timeout_s: float = 30.0
) -> Engine:
    """An engine for a ledger location, set up for safe concurrent use."""
    url_text = to_url(location)
    try:
        url = make_url(url_text)
    except ArgumentError as e:
        raise LedgerLocationError(f"not a ledger location: {location!r} ({e})") from e
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url_text, synchronous, busy_timeout_s)
    if backend == "postgresql":
        if url.get_driver_name() in ("", "psycopg2"):
            url = url.set(drivername="postgresql+psycopg")
        # Sessions in UTC, so timestamps come back as UTC and need no conversion when read.
        engine = create_engine(url, pool_pre_ping=True, connect_args={"options": "-c timezone=UTC"})
        event.listen(engine, "begin", _postgres_begin)
        return engine
    raise LedgerLocationError(
        f"unsupported ledger backend {backend!r} in {location!r}: use a file path, "
        "sqlite:///PATH or postgresql://..."
    )


def _sqlite_engine(url: str, synchronous: Synchronous, busy_timeout_s: float) -> Engine:
    in_memory = url in ("sqlite://", "sqlite:///:memory:") or ":memory:" in url
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if in_memory:
        # One shared connection, or every checkout would see a different empty database.
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so BEGIN IMMEDIATE is possible.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous.value}")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE, False)
        # Straight to the driver: this runs before every append, where SQLAlchemy's execution
        # machinery around one BEGIN cost a tenth of a durable single-event append.
        cursor = conn.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        finally:
            cursor.close()

    return engine


def _postgres_begin(conn: Connection) -> None:
    if conn.get_execution_options().get(WRITE, False):
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
