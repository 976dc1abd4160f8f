"""A user's own SQL on the ledger, on a connection that cannot write (``roost audit sql``).

The ledger is append-only and hash-chained; an audit query must never be able to change it, by
mistake or on purpose. So the query never runs on the ledger's ordinary connections:

- SQLite: the file is opened read-only (``mode=ro``) with ``PRAGMA query_only``, and an
  authorizer allows only reading (``SELECT``, reads, functions, recursive CTEs, and a few pragmas
  that only describe). Read-only mode alone is not enough: ``ATTACH`` and ``VACUUM INTO`` still
  create files, and ``PRAGMA query_only=OFF`` would undo the pragma; the authorizer refuses them.
- PostgreSQL: the query runs in a transaction set ``READ ONLY`` (and already past its first
  query, after which the mode cannot be changed back); a query of several statements is refused
  by the protocol (extended query), so nothing can end that transaction and start a writable one.
  The connection is closed afterwards.

One statement per call. Driver errors become ``QueryRefusedError`` (it would write) or
``QueryError`` (anything else), each one line.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ledger.engines import create_ledger_engine, to_url
from ledger.errors import LedgerError, LedgerLocationError


class QueryError(LedgerError):
    """The query could not run (a syntax error, an unknown column...)."""


class QueryRefusedError(QueryError):
    """The query would write, attach a database or change the connection: refused."""


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


# Pragmas that only describe the database; those marked with an argument take a table or index
# name, the others are refused when given a value (``journal_mode=DELETE`` would change it).
_DESCRIBING_PRAGMAS = {
    "table_info": True,
    "table_xinfo": True,
    "index_list": True,
    "index_info": True,
    "index_xinfo": True,
    "foreign_key_list": True,
    "database_list": False,
    "table_list": True,
    "user_version": False,
    "schema_version": False,
    "compile_options": False,
    "function_list": False,
    "collation_list": False,
    "pragma_list": False,
    "encoding": False,
    "page_count": False,
    "page_size": False,
    "freelist_count": False,
    "journal_mode": False,
    "query_only": False,
}
_READING = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_RECURSIVE,
}
_WRITE_WORDS = ("readonly", "read-only", "read-write", "not authorized", "authorization denied")


def run_query(location: str, sql: str) -> QueryResult:
    """Run one statement read-only on the ledger at ``location``; every row it returns."""
    try:
        url = make_url(to_url(location))
    except ArgumentError as e:
        raise LedgerLocationError(f"not a ledger location: {location!r} ({e})") from e
    if url.get_backend_name() == "sqlite":
        return _sqlite(location, url.database or "", sql)
    if url.get_backend_name() == "postgresql":
        return _postgres(location, sql)
    raise LedgerLocationError(f"unsupported ledger backend in {location!r}")


def _authorize(action: int, arg1: str | None, arg2: str | None, *_: Any) -> int:
    if action in _READING:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and arg1 is not None:
        takes_argument = _DESCRIBING_PRAGMAS.get(arg1.lower())
        if takes_argument is not None and (arg2 is None or takes_argument):
            return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def _sqlite(location: str, database: str, sql: str) -> QueryResult:
    if database in ("", ":memory:"):
        raise LedgerLocationError(f"{location}: an in-memory ledger cannot be queried from here")
    path = Path(database)
    if not path.is_file():
        raise LedgerLocationError(f"no ledger at {location}")
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise LedgerLocationError(f"cannot open ledger {location}: {e}") from e
    try:
        conn.execute("PRAGMA query_only=ON")
        conn.set_authorizer(_authorize)
        cursor = conn.execute(sql)
        columns = tuple(d[0] for d in cursor.description or ())
        return QueryResult(columns, list(cursor.fetchall()))
    except (sqlite3.Error, sqlite3.Warning) as e:
        raise _translated(e) from e
    finally:
        conn.close()


def _postgres(location: str, sql: str) -> QueryResult:
    engine = create_ledger_engine(location)
    try:
        with engine.connect() as conn:
            # Read-only for the session too: should anything end this transaction, the next one
            # is read-only as well.
            conn.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            # A first query fixes the mode: ``SET TRANSACTION READ WRITE`` is refused after it.
            conn.exec_driver_sql("SELECT 1")
            return _postgres_query(conn, sql)
    except SQLAlchemyError as e:
        raise _translated(getattr(e, "orig", None) or e) from e
    finally:
        engine.dispose()


def _postgres_query(conn: Connection, sql: str) -> QueryResult:
    cursor = conn.connection.cursor()
    try:
        # Prepared, so the extended protocol: it takes one statement only (psycopg sends a query
        # without parameters through the simple protocol, which runs any number of them).
        cursor.execute(sql, prepare=True)  # type: ignore[call-arg]
        columns = tuple(d[0] for d in cursor.description or ())
        rows: Sequence[Any] = cursor.fetchall() if cursor.description else []
        return QueryResult(columns, [tuple(r) for r in rows])
    except Exception as e:
        if type(e).__module__.startswith("psycopg"):
            raise _translated(e) from e
        raise
    finally:
        cursor.close()


def _translated(error: BaseException) -> QueryError:
    text = (str(error).strip().splitlines() or [type(error).__name__])[0]
    if any(word in text.lower() for word in _WRITE_WORDS):
        return QueryRefusedError(
            f"refused: audit queries are read-only ({text}); use SELECT, WITH or EXPLAIN"
        )
    return QueryError(f"query failed: {text}")
