"""Gate state of the load tester, kept in SQLite so approvals survive a restart.

Flagger's loadtester keeps gates in memory: a restart closes every gate and forgets who opened
it. Roost keeps each gate's state and an append-only log of every open/close (who, when) in a
small SQLite file through the stdlib ``sqlite3`` module. This is deliberately not the ledger:
the load tester is a separate service, often in another namespace, and the operator reads the
log over HTTP (``/gate/log``) to put approvals in its own ledger.

Calls come from the server's event loop thread only, but the store is also read by tests and
the CLI, so one lock guards the connection.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypedDict

_SCHEMA = """
CREATE TABLE IF NOT EXISTS gates (
    key TEXT PRIMARY KEY,
    open INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS gate_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL
);
"""


class GateLogRecord(TypedDict):
    """One open or close as ``/gate/log`` returns it."""

    id: int
    key: str
    action: str
    actor: str
    at: str


@dataclass(frozen=True, slots=True)
class GateChange:
    """A gate opened or closed by someone at some time."""

    key: str
    open: bool
    actor: str
    at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


class GateStore:
    """Open/closed gates by key (``name.namespace`` or ``rollback.name.namespace``)."""

    def __init__(self, path: Path | str, *, clock: Callable[[], datetime] = _now) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        with self._lock:
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def is_open(self, key: str) -> bool:
        """Whether ``key`` is open; an unknown key is recorded closed (as Flagger does)."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO gates (key, open) VALUES (?, 0)", (key,))
            row = self._db.execute("SELECT open FROM gates WHERE key = ?", (key,)).fetchone()
        return bool(row[0])

    def set(self, key: str, *, open: bool, actor: str) -> GateChange:
        """Open or close ``key`` and log who did it; one transaction for both."""
        change = GateChange(key=key, open=open, actor=actor, at=self._clock())
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO gates (key, open) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET open = excluded.open",
                    (key, int(open)),
                )
                self._db.execute(
                    "INSERT INTO gate_log (key, action, actor, at) VALUES (?, ?, ?, ?)",
                    (key, "open" if open else "close", actor, change.at.isoformat()),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return change

    def log(self, key: str | None = None, *, after: int = 0) -> list[GateLogRecord]:
        """Opens and closes in order, optionally of one key and after a log id."""
        query = "SELECT id, key, action, actor, at FROM gate_log WHERE id > ?"
        args: tuple[object, ...] = (after,)
        if key is not None:
            query += " AND key = ?"
            args += (key,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id", args).fetchall()
        return [GateLogRecord(id=r[0], key=r[1], action=r[2], actor=r[3], at=r[4]) for r in rows]
