"""Audit queries over the ledger, in SQL: runs, failures, approvals, changes and raw events.

``roost audit`` must answer over millions of events in well under a second, so nothing here
decodes events in Python: each question is one SQLAlchemy Core query over the ``events`` table
(type index, stream and version, payload fields through ``ledger.sqljson``) that runs unchanged on
SQLite and PostgreSQL, and Python only shapes the few rows that come back (approvals and changes
are in ``ledger.audit_trail``). The run definition is
the one ``reducers.canary.history`` folds (a run begins at ``canary.run-started`` or
``canary.run-restarted``, ends at the first ``succeeded`` / ``rolled-back`` / ``promotion-failed``
/ ``terminated`` after it, or is superseded by the next start); here it is computed with window
functions, and the tests hold the two readings together. User SQL (``roost audit sql``) lives in
``ledger.readonly``; the CLI in ``controller.cli.audit_cmds``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    select,
)

from ledger.schema import UtcDateTime, events, run_bounds, run_measures
from ledger.sqljson import bounds_alias, json_field, json_true, measures_alias
from ledger.store import Ledger

STREAM_PREFIX = "canary/"
STARTS = ("canary.run-started", "canary.run-restarted")
ENDINGS = {
    "canary.succeeded": "succeeded",
    "canary.rolled-back": "failed",
    "canary.promotion-failed": "failed",
    "canary.terminated": "terminated",
}
OUTCOMES = ("succeeded", "failed", "terminated", "superseded", "running")
_WEIGHT = "canary.weight-advanced"
_ROUTES = "canary.routes-set"
_HALTED = "canary.halted"
_LAST_VERSION = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Filters:
    """Which canaries and which time window a question is about (all optional)."""

    namespace: str | None = None
    canary: str | None = None
    """``NS/NAME``."""
    since: datetime | None = None
    until: datetime | None = None


def canary_of(stream: str) -> str:
    return stream.removeprefix(STREAM_PREFIX)


def stream_of(canary: str) -> str:
    return STREAM_PREFIX + canary


def streams_of(filters: Filters, table: Any = events) -> ColumnElement[bool]:
    stream: ColumnElement[str] = table.c.stream
    if filters.canary is not None:
        return stream == stream_of(filters.canary)
    prefix = STREAM_PREFIX + (f"{filters.namespace}/" if filters.namespace else "")
    return stream.startswith(prefix, autoescape=True)


def in_window(column: Any, filters: Filters) -> list[ColumnElement[bool]]:
    """``since <= column < until`` on a time column (of any select)."""
    out: list[ColumnElement[bool]] = []
    if filters.since is not None:
        out.append(column >= literal(filters.since, UtcDateTime()))
    if filters.until is not None:
        out.append(column < literal(filters.until, UtcDateTime()))
    return out


def run_number() -> Any:
    """Starts at or before each row of its stream: the run the row belongs to (0: before any)."""
    e = events.c
    started = case((e.type.in_(STARTS), 1), else_=0)
    return func.sum(started).over(partition_by=e.stream, order_by=e.version)


def _driver_rows(ledger: Ledger, statement: Select[Any]) -> list[Any]:
    """Run ``statement`` on the driver's cursor and return its plain rows.

    For the thousands of rows of ``runs``, SQLAlchemy's per-row result handling cost a tenth of
    the budget (as ``ledger.statements`` found for pages); times come back as the driver gives
    them, for ``_time_reader`` to convert. IN lists are expanded at compile time so the
    parameters are plain values in the driver's own style."""
    compiled = statement.compile(
        dialect=ledger.engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    params = compiled.construct_params()
    names = compiled.positiontup
    args: Any = params if names is None else tuple(params[name] for name in names)
    with ledger.engine.connect() as conn:
        cursor = conn.connection.cursor()
        try:
            cursor.execute(compiled.string, args)
            return list(cursor.fetchall())
        finally:
            cursor.close()


def _time_reader(ledger: Ledger) -> Callable[[Any], datetime | None]:
    """The ledger's own conversion of a stored time (``UtcDateTime``) into an aware datetime."""
    dialect = ledger.engine.dialect
    process = events.c.occurred_at.type.dialect_impl(dialect).result_processor(dialect, None)
    return process or (lambda value: value)


def dict_rows(ledger: Ledger, query: Select[Any]) -> list[dict[str, Any]]:
    with ledger.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


# ------------------------------------------------------------------ runs


class RunRow(NamedTuple):
    """One run. A named tuple: thousands are built per question, and a frozen dataclass cost
    a tenth of the budget in construction alone."""

    canary: str
    run: int
    revision: str
    started: datetime
    ended: datetime | None
    outcome: str
    reason: str
    max_weight: int
    failed_checks: int

    @property
    def duration(self) -> timedelta | None:
        return None if self.ended is None else self.ended - self.started


def _runs_query(filters: Filters) -> Any:
    """One row per run, in stream and version order, not yet numbered (``runs`` numbers them).

    No window functions: over the events of every run they cost SQLite microseconds per event,
    several times the budget at a million, and even over the starts alone a tenth of it. Instead
    each start takes a seek into ``ix_events_run_bounds`` for its bound (the first start or
    ending after it: an ending ends the run, a start supersedes it), and two short ranges of
    ``ix_events_run_measures`` for its weights and counting halts up to its end."""
    source = bounds_alias(events, "source")
    e = source.c
    found = bounds_alias(events, "found")
    f = found.c
    # ``ORDER BY ... LIMIT 1``, not ``min()``: the scan stops at the first bound whatever the
    # database's optimiser does with an aggregate.
    bound = (
        select(f.version)
        .where(
            run_bounds(found),
            f.stream == e.stream,
            f.version > e.version,
        )
        .order_by(f.version)
        .limit(1)
        .scalar_subquery()
    )
    # Materialised, or SQLite would repeat the bound's seeks wherever it is used below.
    bounded = (
        select(
            e.stream,
            e.version.label("first"),
            e.occurred_at.label("started"),
            json_field(e.payload, "revision").label("revision"),
            bound.label("bound"),
        )
        .where(run_bounds(source), e.type.in_(STARTS), streams_of(filters, source))
        .cte("bounded")
        .prefix_with("MATERIALIZED")
    )
    b = bounded.c
    end = bounds_alias(events, "ending")
    x = end.c
    last = case(
        (x.type.in_(STARTS), x.version - 1),
        else_=func.coalesce(x.version, _LAST_VERSION),
    )
    inner = measures_alias(events, "inner")
    i = inner.c

    def within(*conditions: ColumnElement[bool]) -> list[ColumnElement[bool]]:
        span = [i.stream == b.stream, i.version.between(b.first, last)]
        return [run_measures(inner), *conditions, *span]

    weight = case(
        (i.type == _WEIGHT, cast(json_field(i.payload, "weight"), Integer)),
        else_=cast(json_field(i.payload, "canary"), Integer),
    )
    max_weight = (
        select(func.coalesce(func.max(weight), 0))
        .where(*within(i.type.in_((_WEIGHT, _ROUTES))))
        .scalar_subquery()
    )
    failed_checks = (
        select(func.count())
        .where(*within(i.type == _HALTED, json_true(i.payload, "counts")))
        .scalar_subquery()
    )
    outcome = case(
        *((x.type == name, literal(result)) for name, result in ENDINGS.items()),
        (x.type.in_(STARTS), literal("superseded")),
        else_=literal("running"),
    )
    reason = case(
        (x.type == "canary.rolled-back", json_field(x.payload, "reason")),
        (x.type == "canary.promotion-failed", json_field(x.payload, "error")),
    )
    joined = bounded.outerjoin(
        end,
        and_(
            run_bounds(end),
            x.stream == b.stream,
            x.version == b.bound,
        ),
    )
    return select(
        b.stream,
        b.first,
        b.revision,
        b.started,
        x.occurred_at.label("ended"),
        outcome.label("outcome"),
        reason.label("reason"),
        max_weight.label("max_weight"),
        failed_checks.label("failed_checks"),
    ).select_from(joined)


def runs(ledger: Ledger, filters: Filters = Filters(), outcome: str | None = None) -> list[RunRow]:
    """Every run of the selected canaries that started in the window, by canary and number."""
    if outcome is not None and outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r} (one of: {', '.join(OUTCOMES)})")
    rows = _driver_rows(ledger, _runs_query(filters))
    # Sorted here rather than by the database: the rows arrive nearly in order from the index,
    # which Python's sort finishes in one pass.
    rows.sort(key=lambda row: (row[0], row[1]))
    to_time = _time_reader(ledger)
    out: list[RunRow] = []
    stream, number = "", 0
    # Rows come in stream and version order: numbering them here is ``row_number()`` without
    # the window's cost. Outcome and time filters come after, so numbers never depend on them.
    for st, _first, rev, start, ended, result, why, weight, checks in rows:
        number = number + 1 if st == stream else 1
        stream = st
        started = to_time(start)
        assert started is not None  # a run always has its start
        if outcome is not None and result != outcome:
            continue
        if not _inside(started, filters):
            continue
        out.append(
            RunRow(canary_of(st), number, rev or "", started, to_time(ended), result, why or "",
                   weight, checks)
        )  # fmt: skip
    return out


def _inside(at: datetime, filters: Filters) -> bool:
    if filters.since is not None and at < filters.since:
        return False
    return filters.until is None or at < filters.until


# ------------------------------------------------------------------ failures


@dataclass(frozen=True, slots=True)
class FailureRow:
    reason: str
    count: int
    canaries: tuple[str, ...]
    last_seen: datetime


def failures(ledger: Ledger, filters: Filters = Filters()) -> list[FailureRow]:
    """Failed runs (rolled back or promotion failed) that ended in the window, grouped by
    reason; most frequent first."""
    window = Filters(filters.namespace, filters.canary)
    grouped: dict[str, list[RunRow]] = {}
    for run in runs(ledger, window, outcome="failed"):
        if run.ended is not None and _inside(run.ended, filters):
            grouped.setdefault(run.reason, []).append(run)
    rows = [
        FailureRow(
            reason=reason,
            count=len(found),
            canaries=tuple(sorted({r.canary for r in found})),
            last_seen=max(r.ended for r in found if r.ended is not None),
        )
        for reason, found in grouped.items()
    ]
    return sorted(rows, key=lambda f: (-f.count, f.reason))


# ------------------------------------------------------------------ events


@dataclass(frozen=True, slots=True)
class EventRow:
    position: int
    canary: str
    version: int
    type: str
    at: datetime
    payload: str


def event_list(
    ledger: Ledger,
    filters: Filters = Filters(),
    types: Sequence[str] = (),
    limit: int | None = None,
) -> list[EventRow]:
    """Raw events of the selected canaries in ledger order (the first ``limit`` of them)."""
    e = events.c
    query = (
        select(e.position, e.stream, e.version, e.type, e.occurred_at, e.payload)
        .where(streams_of(filters), *in_window(e.occurred_at, filters))
        .order_by(e.position)
    )
    if types:
        query = query.where(e.type.in_(tuple(types)))
    if limit is not None:
        query = query.limit(limit)
    return [
        EventRow(
            position=int(d["position"]),
            canary=canary_of(d["stream"]),
            version=int(d["version"]),
            type=d["type"],
            at=d["occurred_at"],
            payload=d["payload"],
        )
        for d in dict_rows(ledger, query)
    ]
