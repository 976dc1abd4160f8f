"""Audit queries about who and what changed: gate answers and operator commands (approvals),
spec and target revision changes.

Like ``ledger.audit`` (whose filters and helpers these share), each question is one SQLAlchemy
Core query that runs unchanged on SQLite and PostgreSQL, with window functions over the few event
types it reads (``lag`` to compare an answer or a spec with the one before it in its stream);
Python only shapes the rows. The load tester's gate log (who switched a gate) is joined here, in
Python, from records the shell reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Integer, and_, case, cast, func, or_, select, type_coerce

from ledger.audit import (
    STARTS,
    Filters,
    canary_of,
    dict_rows,
    in_window,
    run_number,
    streams_of,
)
from ledger.schema import UtcDateTime, events
from ledger.sqljson import json_field, json_part, json_true
from ledger.store import Ledger

GATES = ("confirm-rollout", "confirm-promotion", "confirm-traffic-increase", "rollback")
_WEBHOOK = "canary.webhook-result"
_COMMAND = "canary.command-handled"
_SPEC = "canary.spec-observed"
_REVISION = "canary.target-revision-observed"


# ------------------------------------------------------------------ approvals


@dataclass(frozen=True, slots=True)
class ApprovalRow:
    """One answer of a gate (or one operator command), held over ``calls`` consecutive asks."""

    canary: str
    run: int
    at: datetime
    last: datetime
    calls: int
    gate: str
    """The webhook type (``confirm-promotion``...), or ``command``."""
    name: str
    """The webhook's name, or the command (``promote``...)."""
    answer: str
    """``open`` / ``closed`` for a gate, ``accepted`` / ``ignored`` for a command."""
    who: str
    """Who asked (commands), or who switched the gate (load tester gate log, when joined)."""
    detail: str


def approvals(ledger: Ledger, filters: Filters = Filters()) -> list[ApprovalRow]:
    """Gate answers and operator commands, consecutive identical answers of a gate in a run
    merged into one row (a gate asked every tick while it stays closed is one row, not many)."""
    e = events.c
    is_gate = and_(e.type == _WEBHOOK, json_field(e.payload, "type").in_(GATES))
    marks = (
        select(
            e.stream,
            e.version,
            e.position,
            e.type,
            e.occurred_at,
            case((e.type == _WEBHOOK, json_field(e.payload, "type")), else_="command").label(
                "gate"
            ),
            case(
                (e.type == _WEBHOOK, json_field(e.payload, "name")),
                else_=json_field(e.payload, "id"),
            ).label("key"),
            json_field(e.payload, "command").label("command"),
            case(
                (
                    e.type == _COMMAND,
                    case((json_true(e.payload, "accepted"), "accepted"), else_="ignored"),
                ),
                (json_field(e.payload, "verdict") == "success", "open"),
                else_="closed",
            ).label("answer"),
            json_field(e.payload, "by").label("by"),
            json_field(e.payload, "url").label("url"),
            cast(json_field(e.payload, "status"), Integer).label("status"),
            json_field(e.payload, "reason").label("command_reason"),
            run_number().label("run"),
        )
        .where(
            or_(e.type.in_(STARTS), is_gate, e.type == _COMMAND),
            e.type.in_((*STARTS, _WEBHOOK, _COMMAND)),
            streams_of(filters),
        )
        .subquery("marks")
    )
    m = marks.c
    previous = func.lag(m.answer).over(partition_by=(m.stream, m.run, m.key), order_by=m.version)
    changes = (
        select(marks, case((previous.is_distinct_from(m.answer), 1), else_=0).label("new"))
        .where(m.type.not_in(STARTS))
        .subquery("changes")
    )
    c = changes.c
    island = func.sum(c.new).over(partition_by=(c.stream, c.run, c.key), order_by=c.version)
    numbered = select(changes, island.label("island")).subquery("numbered")
    n = numbered.c
    first = n.version == func.min(n.version).over(partition_by=(n.stream, n.run, n.key, n.island))
    firsts = select(numbered, first.label("first")).subquery("firsts")
    f = firsts.c
    query = (
        select(
            f.stream,
            f.run,
            func.min(f.position).label("position"),
            type_coerce(func.min(f.occurred_at), UtcDateTime()).label("at"),
            type_coerce(func.max(f.occurred_at), UtcDateTime()).label("last"),
            func.count().label("calls"),
            func.max(f.gate).label("gate"),
            func.max(case((f.gate == "command", f.command), else_=f.key)).label("name"),
            func.max(f.answer).label("answer"),
            func.max(f.by).label("by"),
            func.max(case((f.first, f.url))).label("url"),
            func.max(case((f.first, f.status))).label("status"),
            func.max(f.command_reason).label("command_reason"),
        )
        .group_by(f.stream, f.run, f.key, f.island)
        .subquery("approvals")
    )
    a = query.c
    ordered = select(query).where(*in_window(a.at, filters)).order_by(a.position)
    return [_approval(d) for d in dict_rows(ledger, ordered)]


def _approval(d: dict[str, Any]) -> ApprovalRow:
    if d["gate"] == "command":
        detail = d["command_reason"] or ""
    else:
        status = "no answer" if d["status"] is None else f"HTTP {d['status']}"
        detail = f"{d['url']} {status}"
    return ApprovalRow(
        canary=canary_of(d["stream"]),
        run=int(d["run"]),
        at=d["at"],
        last=d["last"],
        calls=int(d["calls"]),
        gate=d["gate"],
        name=d["name"] or "",
        answer=d["answer"],
        who=d["by"] or "",
        detail=detail,
    )


@dataclass(frozen=True, slots=True)
class GateSwitch:
    """One open or close from the load tester's gate log (``/gate/log``)."""

    key: str
    """``NAME.NAMESPACE`` or ``rollback.NAME.NAMESPACE``."""
    action: str
    actor: str
    at: datetime


def attribute(rows: Sequence[ApprovalRow], log: Sequence[GateSwitch]) -> list[ApprovalRow]:
    """Fill ``who`` of gate answers from the load tester's gate log: the last switch of that
    canary's gate, at or before the answer, that set the gate the way it answered. A closed
    answer with no close in the log is the gate's default (nobody closed it) and stays blank."""
    by_key: dict[str, list[GateSwitch]] = {}
    for switch in sorted(log, key=lambda s: s.at):
        by_key.setdefault(switch.key, []).append(switch)
    out: list[ApprovalRow] = []
    for row in rows:
        if row.gate == "command" or row.who:
            out.append(row)
            continue
        namespace, _, name = row.canary.partition("/")
        key = f"{'rollback.' if row.gate == 'rollback' else ''}{name}.{namespace}"
        wanted = "open" if row.answer == "open" else "close"
        before = [s for s in by_key.get(key, ()) if s.at <= row.at]
        who = before[-1].actor if before and before[-1].action == wanted else ""
        out.append(_replace_who(row, who))
    return out


def _replace_who(row: ApprovalRow, who: str) -> ApprovalRow:
    fields = {k: getattr(row, k) for k in row.__slots__}
    fields["who"] = who
    return ApprovalRow(**fields)


# ------------------------------------------------------------------ changes


@dataclass(frozen=True, slots=True)
class ChangeRow:
    canary: str
    run: int
    at: datetime
    position: int
    kind: str
    """``spec`` or ``revision``."""
    before: str
    after: str
    """Spec: the JSON texts (parse them, backends format differently); revision: the values."""
    label: str
    """Revision: its human name when the world had one."""


def changes(ledger: Ledger, filters: Filters = Filters()) -> list[ChangeRow]:
    """Each spec or target revision observed differing from the one observed before it in the
    stream (the first one of a stream included, with nothing before it), in ledger order."""
    e = events.c
    value = case(
        (e.type == _SPEC, json_part(e.payload, "spec")),
        (e.type == _REVISION, json_field(e.payload, "revision")),
    )
    marks = (
        select(
            e.stream,
            e.version,
            e.position,
            e.type,
            e.occurred_at,
            value.label("value"),
            case((e.type == _REVISION, json_field(e.payload, "label"))).label("label"),
            run_number().label("run"),
        )
        .where(e.type.in_((*STARTS, _SPEC, _REVISION)), streams_of(filters))
        .subquery("marks")
    )
    m = marks.c
    previous = func.lag(m.value).over(partition_by=(m.stream, m.type), order_by=m.version)
    compared = (
        select(marks, previous.label("before")).where(m.type.not_in(STARTS)).subquery("compared")
    )
    c = compared.c
    query = (
        select(compared)
        .where(c.before.is_distinct_from(c.value), *in_window(c.occurred_at, filters))
        .order_by(c.position)
    )
    return [
        ChangeRow(
            canary=canary_of(d["stream"]),
            run=int(d["run"]),
            at=d["occurred_at"],
            position=int(d["position"]),
            kind="spec" if d["type"] == _SPEC else "revision",
            before=d["before"] or "",
            after=d["value"] or "",
            label=d["label"] or "",
        )
        for d in dict_rows(ledger, query)
    ]


def changed_paths(before: str, after: str) -> list[str]:
    """Dotted paths (``analysis.threshold``) whose values differ between two spec JSON texts;
    objects are compared key by key, anything else (lists included) as a whole. Empty for the
    first spec of a stream (nothing before it)."""
    if not before:
        return []
    out: list[str] = []
    _differences(orjson.loads(before), orjson.loads(after), "", out)
    return out


def _differences(old: Any, new: Any, prefix: str, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            _differences(old.get(key), new.get(key), f"{prefix}{key}.", out)
    elif old != new:
        out.append(prefix.rstrip("."))
