"""``roost audit ...``: runs, failures, approvals, changes, events and read-only SQL.

The shell only: it parses options, opens the ledger, calls ``ledger.audit`` (or
``ledger.readonly`` for ``sql``) and prints an aligned table (``rich``), JSON or CSV. The load
tester's gate log, when given, is read here (a file or its ``/gate/log`` URL) and handed to
``ledger.audit_trail.attribute``. Bad input (an unreadable ledger, an unknown canary, a bad time, a
query that would write) is one line on stderr and exit status 2.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import orjson
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from controller.cli.options import DEFAULT_LEDGER, LedgerOption
from ledger import Ledger, LedgerError
from ledger import audit as queries
from ledger import audit_trail as trail
from ledger.audit import Filters
from ledger.audit_trail import GateSwitch
from ledger.readonly import run_query
from ledger.schema import events
from reducers.canary.state import rfc3339

EXIT_BAD_INPUT = 2

app = typer.Typer(
    help="Audit the ledger: runs, failures, approvals, changes, events, and read-only SQL.",
    no_args_is_help=True,
)

NamespaceOption = Annotated[
    str | None, typer.Option("--namespace", "-n", help="Only canaries in this namespace.")
]
CanaryOption = Annotated[str | None, typer.Option("--canary", help="Only this canary (NS/NAME).")]
SinceOption = Annotated[
    str | None,
    typer.Option("--since", help="From this time on (ISO 8601; without a zone: UTC)."),
]
UntilOption = Annotated[str | None, typer.Option("--until", help="Before this time (ISO 8601).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (a list of objects).")]
CsvOption = Annotated[bool, typer.Option("--csv", help="Print CSV with a header row.")]

Columns = Sequence[str]
Rows = list[list[Any]]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


def _time(option: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as e:
        raise _fail(f"{option} {text!r}: not an ISO 8601 time (e.g. 2026-01-01T12:00:00Z)") from e
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _filters(
    namespace: str | None, canary: str | None, since: str | None, until: str | None
) -> Filters:
    if canary is not None:
        ns, _, name = canary.partition("/")
        if not ns or not name or "/" in name:
            raise _fail(f"--canary {canary!r}: expected NS/NAME")
    return Filters(namespace, canary, _time("--since", since), _time("--until", until))


@contextmanager
def _opened(location: str, filters: Filters | None = None) -> Iterator[Ledger]:
    """The ledger, which must exist; a named canary must be in it."""
    _must_exist(location)
    try:
        ledger = Ledger.open(location)
    except (LedgerError, SQLAlchemyError) as e:
        raise _fail(f"cannot open ledger {location}: {_first_line(e)}") from e
    try:
        if filters is not None and filters.canary is not None:
            _check_canary(ledger, location, filters.canary)
        yield ledger
    except (LedgerError, SQLAlchemyError) as e:
        raise _fail(f"cannot read ledger {location}: {_first_line(e)}") from e
    finally:
        ledger.close()


def _must_exist(location: str) -> None:
    if location.startswith("sqlite:///"):
        path = location.removeprefix("sqlite:///").split("?", 1)[0]
    elif "://" in location:
        return
    else:
        path = location
    if path not in ("", ":memory:") and not Path(path).expanduser().is_file():
        raise _fail(f"no ledger at {location}")


def _check_canary(ledger: Ledger, location: str, canary: str) -> None:
    stream = queries.stream_of(canary)
    with ledger.engine.connect() as conn:
        found = conn.scalar(select(events.c.position).where(events.c.stream == stream).limit(1))
    if found is None:
        known = [queries.canary_of(s) for s in ledger.streams() if s.startswith("canary/")]
        raise _fail(f"no canary {canary} in {location} (canaries: {', '.join(known) or 'none'})")


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return (text.splitlines() or [type(error).__name__])[0]


# ------------------------------------------------------------------ output


def _emit(columns: Columns, rows: Rows, as_json: bool, as_csv: bool) -> None:
    if as_json and as_csv:
        raise _fail("--json and --csv exclude each other")
    if as_json:
        data = [dict(zip(columns, row, strict=True)) for row in rows]
        text = orjson.dumps(data, default=_json_value, option=orjson.OPT_INDENT_2).decode()
        typer.echo(text)
    elif as_csv:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_csv_value(v) for v in row] for row in rows])
        typer.echo(out.getvalue(), nl=False)
    else:
        table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
        for column in columns:
            table.add_column(column.upper().replace("_", " "), overflow="fold")
        for row in rows:
            table.add_row(*(_cell(v) for v in row))
        out = io.StringIO()
        Console(file=out, width=400, highlight=False, no_color=True, soft_wrap=False).print(table)
        for line in out.getvalue().splitlines():
            typer.echo(line.rstrip())


def _json_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return str(value)


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return "" if value is None else value


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, timedelta):
        return _duration(value)
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{seconds:02d}s"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def _times(rows: Rows, as_text: bool) -> Rows:
    """Times as ISO text for JSON (orjson writes datetimes itself, but with ``+00:00``)."""
    if as_text:
        return rows
    return [[rfc3339(v) if isinstance(v, datetime) else v for v in row] for row in rows]


# ------------------------------------------------------------------ commands


@app.command()
def runs(
    ledger: LedgerOption = DEFAULT_LEDGER,
    namespace: NamespaceOption = None,
    canary: CanaryOption = None,
    outcome: Annotated[
        str | None,
        typer.Option(help=f"Only runs with this outcome ({', '.join(queries.OUTCOMES)})."),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Every run (one rollout attempt): revision, times, outcome, reason, weight, checks."""
    if outcome is not None and outcome not in queries.OUTCOMES:
        raise _fail(f"--outcome {outcome!r}: one of {', '.join(queries.OUTCOMES)}")
    filters = _filters(namespace, canary, since, until)
    with _opened(ledger, filters) as opened:
        found = queries.runs(opened, filters, outcome)
    columns = ["canary", "run", "revision", "started", "ended", "duration", "outcome"]
    columns += ["reason", "max_weight", "failed_checks"]
    rows: Rows = [
        [r.canary, r.run, r.revision, r.started, r.ended, r.duration, r.outcome, r.reason]
        + [r.max_weight, r.failed_checks]
        for r in found
    ]
    if as_json or as_csv:
        columns[5] = "duration_s"
    _emit(columns, _times(rows, not as_json), as_json, as_csv)


@app.command()
def failures(
    ledger: LedgerOption = DEFAULT_LEDGER,
    namespace: NamespaceOption = None,
    canary: CanaryOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Failed runs grouped by reason: how many, which canaries, when last."""
    filters = _filters(namespace, canary, since, until)
    with _opened(ledger, filters) as opened:
        found = queries.failures(opened, filters)
    rows: Rows = [
        [f.reason, f.count, list(f.canaries) if as_json else ", ".join(f.canaries), f.last_seen]
        for f in found
    ]
    _emit(["reason", "count", "canaries", "last_seen"], _times(rows, not as_json), as_json, as_csv)


@app.command()
def approvals(
    ledger: LedgerOption = DEFAULT_LEDGER,
    namespace: NamespaceOption = None,
    canary: CanaryOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    gate_log: Annotated[
        str | None,
        typer.Option(
            "--gate-log",
            help="The load tester's gate log, to say who opened or closed each gate: its "
            "SQLite file (roost loadtester --gate-db) or its URL (http://HOST/gate/log).",
        ),
    ] = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Gate answers (confirm-rollout, confirm-promotion, confirm-traffic-increase, rollback)
    and operator commands: when each gate opened or closed, and who, where it is recorded."""
    filters = _filters(namespace, canary, since, until)
    switches = None if gate_log is None else _read_gate_log(gate_log)
    with _opened(ledger, filters) as opened:
        found = trail.approvals(opened, filters)
    if switches is not None:
        found = trail.attribute(found, switches)
    columns = ["canary", "run", "at", "last", "calls", "gate", "name", "answer", "who", "detail"]
    rows: Rows = [
        [a.canary, a.run, a.at, a.last, a.calls, a.gate, a.name, a.answer, a.who, a.detail]
        for a in found
    ]
    _emit(columns, _times(rows, not as_json), as_json, as_csv)


@app.command()
def changes(
    ledger: LedgerOption = DEFAULT_LEDGER,
    namespace: NamespaceOption = None,
    canary: CanaryOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Spec changes (the paths that differ) and target revision changes, in ledger order."""
    filters = _filters(namespace, canary, since, until)
    with _opened(ledger, filters) as opened:
        found = trail.changes(opened, filters)
    rows: Rows = []
    for c in found:
        if c.kind == "spec":
            paths = trail.changed_paths(c.before, c.after)
            what: Any = paths if as_json else (", ".join(paths) or "(first seen)")
            before, after = "", ""
        else:
            what = c.label
            before, after = c.before, c.after
        rows.append([c.canary, c.run, c.at, c.kind, what, before, after])
    columns = ["canary", "run", "at", "kind", "what", "from", "to"]
    _emit(columns, _times(rows, not as_json), as_json, as_csv)


@app.command("events")
def events_command(
    ledger: LedgerOption = DEFAULT_LEDGER,
    namespace: NamespaceOption = None,
    canary: CanaryOption = None,
    event_type: Annotated[
        list[str] | None,
        typer.Option("--type", help="Only this type (repeatable); 'canary.' may be left out."),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int, typer.Option(help="At most this many events (0: all).", min=0)] = 100,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Raw events in ledger order, with their payloads."""
    filters = _filters(namespace, canary, since, until)
    types = [t if t.startswith("canary.") else f"canary.{t}" for t in event_type or ()]
    with _opened(ledger, filters) as opened:
        found = queries.event_list(opened, filters, types, limit or None)
    rows: Rows = [
        [
            e.position,
            e.canary,
            e.version,
            e.at,
            e.type,
            orjson.loads(e.payload) if as_json else e.payload,
        ]
        for e in found
    ]
    _emit(["position", "canary", "version", "at", "type", "payload"], _times(rows, not as_json),
          as_json, as_csv)  # fmt: skip


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="One SQL statement (SELECT, WITH, EXPLAIN).")],
    ledger: LedgerOption = DEFAULT_LEDGER,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Run one read-only SQL query on the ledger (see docs/ledger.md); writes are refused."""
    _must_exist(ledger)
    try:
        result = run_query(ledger, query)
    except LedgerError as e:
        raise _fail(str(e)) from e
    _emit(result.columns, [list(r) for r in result.rows], as_json, as_csv)


# ------------------------------------------------------------------ the load tester's gate log


def _read_gate_log(source: str) -> list[GateSwitch]:
    """Opens and closes from the load tester's gate log file or ``/gate/log`` URL."""
    try:
        records = _gate_log_http(source) if "://" in source else _gate_log_file(source)
        return [
            GateSwitch(
                key=str(r["key"]),
                action=str(r["action"]),
                actor=str(r["actor"]),
                at=_aware(datetime.fromisoformat(str(r["at"]).replace("Z", "+00:00"))),
            )
            for r in records
        ]
    except (OSError, sqlite3.Error, httpx.HTTPError, KeyError, TypeError, ValueError) as e:
        raise _fail(f"--gate-log {source}: cannot read the gate log ({_first_line(e)})") from e


def _gate_log_file(path: str) -> list[dict[str, Any]]:
    if not Path(path).is_file():
        raise FileNotFoundError(f"no file {path}")
    conn = sqlite3.connect(f"file:{quote(str(Path(path).resolve()))}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT key, action, actor, at FROM gate_log ORDER BY id").fetchall()
    finally:
        conn.close()
    return [{"key": k, "action": a, "actor": who, "at": at} for k, a, who, at in rows]


def _gate_log_http(url: str) -> list[dict[str, Any]]:
    response = httpx.get(url, timeout=10.0)
    response.raise_for_status()
    data = response.json()
    if not isinstance(data, list):
        raise ValueError("the gate log is not a JSON list")
    return data


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
