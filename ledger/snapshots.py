"""Per-stream snapshots, so that loading a stream's state does not refold its whole history.

A snapshot is a cache, not a record: it may be replaced or dropped at any time, and it is keyed by
the fold's name and code version so state from other code is never used. Loading always folds the
events after the snapshot, and the result equals a full fold (the tests check exactly that).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

import orjson
from sqlalchemy import delete, insert, select

from ledger.errors import LedgerError
from ledger.registry import EventRegistry
from ledger.schema import snapshots
from ledger.store import Ledger
from reducers.folding import Fold

S = TypeVar("S")

#: Take a new snapshot once this many events were folded past the last one.
DEFAULT_EVERY = 200


def fold_key(fold: Fold[S]) -> str:
    return f"{fold.name}@{fold.code_version}"


def save_snapshot(ledger: Ledger, stream: str, fold: Fold[S], version: int, state: S) -> None:
    row = {
        "stream": stream,
        "reducer": fold_key(fold),
        "version": version,
        "state": orjson.dumps(fold.dump(state), option=orjson.OPT_SORT_KEYS).decode(),
        "taken_at": datetime.now(UTC),
    }
    with ledger.engine.begin() as conn:
        conn.execute(
            delete(snapshots).where(
                snapshots.c.stream == stream, snapshots.c.reducer == row["reducer"]
            )
        )
        conn.execute(insert(snapshots), [row])


def load_snapshot(ledger: Ledger, stream: str, fold: Fold[S]) -> tuple[S, int] | None:
    query = select(snapshots.c.version, snapshots.c.state).where(
        snapshots.c.stream == stream, snapshots.c.reducer == fold_key(fold)
    )
    with ledger.engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return fold.load(orjson.loads(row.state)), int(row.version)


def load_state(
    ledger: Ledger,
    registry: EventRegistry,
    stream: str,
    fold: Fold[S],
    *,
    use_snapshots: bool = True,
    every: int = DEFAULT_EVERY,
) -> tuple[S, int]:
    """The state of ``stream`` and the version it reflects: snapshot (if any) plus the tail.

    Refreshes the snapshot when the tail was ``every`` events or longer."""
    start = load_snapshot(ledger, stream, fold) if use_snapshots else None
    state, version = start if start is not None else (fold.initial(), 0)
    base = version
    evolve = fold.evolve
    for rows in ledger.read_stream_payloads(stream, from_version=version + 1):
        decoded = registry.decode_rows(rows)
        for row in rows:
            if row[2] != version + 1:  # checked before the row is decoded: a gap is a gap
                raise LedgerError(
                    f"stream {stream} jumps from version {version} to {row[2]} at position {row[0]}"
                )
            version = row[2]
            state = evolve(state, next(decoded))
    if use_snapshots and version - base >= every:
        save_snapshot(ledger, stream, fold, version, state)
    return state, version
