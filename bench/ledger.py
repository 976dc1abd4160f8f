"""Ledger benchmark: Roost's ledger beside raw ``sqlite3`` and ``eventsourcing``'s SQLite backend.

Run by ``make bench``; it is not a test and asserts nothing about speed. Every figure it prints is
measured in this run with ``time.perf_counter``; ``docs/performance.md`` explains the workloads
and holds the figures of a reference run. The three systems get the same events, the same
durability (WAL, ``synchronous=FULL``) and, for Roost and raw, the same table created by our
Alembic migration; each result is cross-checked so no system can win by doing less work.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python bench/ledger.py``, this file's folder heads sys.path and the file's name would
# shadow the ``ledger`` package under measurement.
sys.path.remove(str(Path(__file__).resolve().parent))

import argparse
import gc
import os
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from importlib import metadata
from typing import Any, ClassVar, Protocol, TypeVar

import orjson
from eventsourcing.persistence import StoredEvent as EsStoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from sqlalchemy import bindparam, func, select

from ledger import ConcurrencyError, EventRegistry, Ledger, NewEvent, StoredEvent
from ledger.codecs import chain_hash
from ledger.engines import Synchronous
from ledger.records import GENESIS_HASH
from ledger.schema import events
from ledger.snapshots import load_state
from ledger.store import seal
from reducers.base import Event

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=7)  # the dataset covers a week whatever its size
WINDOW = timedelta(hours=1)  # the time window of workload (e)
EVENTS_PER_STREAM = 1000
TICK = 10  # events a tick appends in one batch
PAGE = 2000  # rows per page when reading the whole log (the default of read_all_payloads)

A = TypeVar("A")
R = TypeVar("R")


# ---------------------------------------------------------------- events and the fold


class TickStarted(Event):
    TYPE: ClassVar[str] = "bench.tick-started"
    tick: int


class ReadinessObserved(Event):
    TYPE: ClassVar[str] = "bench.readiness-observed"
    workload: str
    ready: bool


class MetricMeasured(Event):
    TYPE: ClassVar[str] = "bench.metric-measured"
    metric: str
    value: float
    verdict: str


class WeightAdvanced(Event):
    TYPE: ClassVar[str] = "bench.weight-advanced"
    step: int
    weight: int


class EffectApplied(Event):
    TYPE: ClassVar[str] = "bench.effect-applied"
    kind: str
    name: str
    result: str


EVENT_CLASSES: tuple[type[Event], ...] = (
    TickStarted,
    ReadinessObserved,
    MetricMeasured,
    WeightAdvanced,
    EffectApplied,
)
# What raw and eventsourcing decode with: each model's compiled JSON validator, the same call
# ``model_validate_json`` makes and the one Roost's registry makes, so decoding costs the same.
VALIDATE: dict[str, Callable[[str | bytes], Event]] = {
    cls.TYPE: cls.__pydantic_validator__.validate_json for cls in EVENT_CLASSES
}
METRICS = ("request-success-rate", "request-duration", "error-budget", "saturation")

Tally = tuple[int, float]


def evolve(state: Tally, event: Event) -> Tally:
    """The trivial pure fold of workloads (c) and (d): count events, sum metric values."""
    if isinstance(event, MetricMeasured):
        return state[0] + 1, state[1] + event.value
    return state[0] + 1, state[1]


class TallyFold:
    """``evolve`` in the shape ``ledger.snapshots.load_state`` expects."""

    name = "bench-tally"
    code_version = 1

    def initial(self) -> Tally:
        return (0, 0.0)

    evolve = staticmethod(evolve)

    def dump(self, state: Tally) -> dict[str, Any]:
        return {"count": state[0], "sum": state[1]}

    def load(self, data: dict[str, Any]) -> Tally:
        return (int(data["count"]), float(data["sum"]))


def tick_batch(tick: int, moment: datetime) -> list[NewEvent]:
    """The ten events one tick of one canary appends: observations, a decision, two effects."""
    at = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    items: list[tuple[str, dict[str, Any]]] = [
        (TickStarted.TYPE, {"tick": tick}),
        (ReadinessObserved.TYPE, {"workload": "primary", "ready": True}),
        (ReadinessObserved.TYPE, {"workload": "canary", "ready": tick % 7 != 0}),
    ]
    for i, metric in enumerate(METRICS):
        value = round(90 + (tick * 7 + i * 13) % 1000 / 100, 2)
        items.append((MetricMeasured.TYPE, {"metric": metric, "value": value, "verdict": "pass"}))
    items.append((WeightAdvanced.TYPE, {"step": tick % 10, "weight": tick % 10 * 10}))
    for kind, name in (("virtual-service", "podinfo"), ("deployment", "podinfo-primary")):
        items.append((EffectApplied.TYPE, {"kind": kind, "name": name, "result": "applied"}))
    return [NewEvent(type_, {**payload, "at": at}, moment) for type_, payload in items]


def numbered_events(first: int, count: int) -> list[NewEvent]:
    """Events ``first`` to ``first + count - 1`` of an endless run of ticks, one a second."""
    ticks = range(first // TICK, (first + count - 1) // TICK + 1)
    run = [e for t in ticks for e in tick_batch(t + 1, T0 + timedelta(seconds=t))]
    start = first - ticks[0] * TICK
    return run[start : start + count]


def canonical(payload: Any) -> str:
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()


def sqlite_time(moment: datetime) -> str:
    """How SQLAlchemy stores a ``DateTime`` on SQLite (our ``UtcDateTime`` stores it in UTC)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


# ---------------------------------------------------------------- the dataset


@dataclass(frozen=True)
class Dataset:
    """Ticks of ``streams`` canaries taken in turn: stream ``s`` holds 1,000 events spread over
    the whole log, as a real ledger's streams are, and the log spans ``SPAN``."""

    streams: int
    rounds: int

    @classmethod
    def of_size(cls, events_wanted: int) -> Dataset:
        streams = max(1, events_wanted // EVENTS_PER_STREAM)
        return cls(streams, max(1, events_wanted // (streams * TICK)))

    @property
    def size(self) -> int:
        return self.streams * self.rounds * TICK

    def stream(self, index: int) -> str:
        return f"canary/bench/c{index:05d}"

    def ticks(self) -> Iterator[tuple[str, int, list[NewEvent]]]:
        """(stream, version before the tick, its ten events), in log order."""
        step = SPAN / (self.streams * self.rounds)
        for round_ in range(self.rounds):
            for s in range(self.streams):
                moment = T0 + step * (round_ * self.streams + s)
                yield self.stream(s), round_ * TICK, tick_batch(round_ + 1, moment)


def fill_roost(path: str, data: Dataset) -> None:
    """Seal the dataset's events into the migrated schema (``insert_verbatim``, NORMAL sync)."""
    with Ledger.open(path, synchronous=Synchronous.NORMAL) as ledger:
        previous, position = GENESIS_HASH, 0
        chunk: list[StoredEvent] = []
        for stream, version, batch in data.ticks():
            for offset, event in enumerate(batch, start=1):
                position += 1
                record = StoredEvent(
                    position=position,
                    stream=stream,
                    version=version + offset,
                    type=event.type,
                    schema_version=event.schema_version,
                    occurred_at=event.occurred_at,
                    recorded_at=event.occurred_at + timedelta(milliseconds=5),
                    payload_text=canonical(event.payload),
                    hash="",
                )
                previous = seal(previous, record)
                chunk.append(replace(record, hash=previous))
            if len(chunk) >= 50_000:
                with ledger.writing() as conn:
                    ledger.insert_verbatim(chunk, conn)
                chunk = []
        if chunk:
            with ledger.writing() as conn:
                ledger.insert_verbatim(chunk, conn)
        if ledger.head()[0] != data.size:
            raise SystemExit(f"the Roost dataset holds {ledger.head()[0]} events")


def fill_eventsourcing(recorder: SQLiteApplicationRecorder, data: Dataset) -> None:
    chunk: list[EsStoredEvent] = []
    for stream, version, batch in data.ticks():
        for offset, event in enumerate(batch, start=1):
            state = canonical(event.payload).encode()
            chunk.append(EsStoredEvent(stream, version + offset, event.type, state))
        if len(chunk) >= 50_000:
            recorder.insert_events(chunk)
            chunk = []
    if chunk:
        recorder.insert_events(chunk)
    if recorder.max_notification_id() != data.size:
        raise SystemExit(f"the eventsourcing dataset holds {recorder.max_notification_id()}")


# ---------------------------------------------------------------- the three systems


class System(Protocol):
    """What each workload asks of a system; each answer is checked against the others'."""

    name: str

    def append(self, stream: str, batch: Sequence[NewEvent], expected_version: int) -> None: ...

    def replay(self) -> Tally: ...

    def load_stream(self, stream: str) -> Tally: ...

    def count_by_type(self, start: datetime, end: datetime) -> dict[str, int] | None: ...

    def close(self) -> None: ...


# An audit query as a user writes it: SQLAlchemy Core on ``ledger.schema.events``, built once.
COUNT_BY_TYPE = (
    select(events.c.type, func.count())
    .where(events.c.occurred_at >= bindparam("start"), events.c.occurred_at < bindparam("end"))
    .group_by(events.c.type)
)


class Roost:
    """Our public API: ``Ledger.append``, bulk pages decoded by the registry, ``load_state``."""

    name = "roost"

    def __init__(self, path: str) -> None:
        self.ledger = Ledger.open(path)
        self.registry = EventRegistry(EVENT_CLASSES)
        self.fold = TallyFold()

    def append(self, stream: str, batch: Sequence[NewEvent], expected_version: int) -> None:
        self.ledger.append(stream, batch, expected_version=expected_version)

    def replay(self) -> Tally:
        """The bulk path: pages of ``PayloadRow``s decoded by ``decode_rows``."""
        state: Tally = (0, 0.0)
        decode_rows = self.registry.decode_rows
        for rows in self.ledger.read_all_payloads(batch_size=PAGE):
            for event in decode_rows(rows):
                state = evolve(state, event)
        return state

    def replay_stored_events(self) -> Tally:
        """The plain path: ``read_all`` yields ``StoredEvent``s, ``decode`` takes each."""
        state: Tally = (0, 0.0)
        decode = self.registry.decode
        for stored in self.ledger.read_all(batch_size=PAGE):
            state = evolve(state, decode(stored))
        return state

    def load_stream(self, stream: str) -> Tally:
        state, _version = load_state(
            self.ledger, self.registry, stream, self.fold, use_snapshots=False
        )
        return state

    def count_by_type(self, start: datetime, end: datetime) -> dict[str, int]:
        with self.ledger.engine.connect() as conn:
            rows = conn.execute(COUNT_BY_TYPE, {"start": start, "end": end})
            return {str(type_): int(n) for type_, n in rows}

    def close(self) -> None:
        self.ledger.close()


class RawSqlite:
    """The same work by hand on ``sqlite3``: our schema and pragmas, the expected-version check,
    the SHA-256 chain (``ledger.codecs.chain_hash``, so the bytes hashed are ours), one
    ``BEGIN IMMEDIATE`` transaction per append; reads decode with the same pydantic models."""

    name = "raw sqlite3"
    INSERT = (
        "INSERT INTO events (position, stream, version, type, schema_version, occurred_at, "
        "recorded_at, payload, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )

    def __init__(self, path: str) -> None:
        Ledger.open(path).close()  # the schema comes from our Alembic migration
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
            self.conn.execute(f"PRAGMA {pragma}")

    def append(self, stream: str, batch: Sequence[NewEvent], expected_version: int) -> None:
        texts = [canonical(e.payload) for e in batch]
        recorded_at = datetime.now(UTC)
        recorded_text = sqlite_time(recorded_at)
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            (actual,) = conn.execute(
                "SELECT max(version) FROM events WHERE stream = ?", (stream,)
            ).fetchone()
            if (actual or 0) != expected_version:
                raise ConcurrencyError(stream, expected_version, actual or 0)
            head = conn.execute(
                "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1"
            ).fetchone()
            position, previous = head if head is not None else (0, GENESIS_HASH)
            rows = []
            for offset, (event, text) in enumerate(zip(batch, texts, strict=True), start=1):
                previous = chain_hash(
                    previous,
                    position=position + offset,
                    stream=stream,
                    version=expected_version + offset,
                    type=event.type,
                    schema_version=event.schema_version,
                    occurred_at=event.occurred_at,
                    recorded_at=recorded_at,
                    payload_text=text,
                )
                rows.append(
                    (
                        position + offset,
                        stream,
                        expected_version + offset,
                        event.type,
                        event.schema_version,
                        sqlite_time(event.occurred_at),
                        recorded_text,
                        text,
                        previous,
                    )
                )
            conn.executemany(self.INSERT, rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def replay(self) -> Tally:
        state: Tally = (0, 0.0)
        position = 0
        query = (
            "SELECT position, type, payload FROM events WHERE position > ? "
            "ORDER BY position LIMIT ?"
        )
        while True:
            rows = self.conn.execute(query, (position, PAGE)).fetchall()
            for _position, type_, payload in rows:
                state = evolve(state, VALIDATE[type_](payload))
            if len(rows) < PAGE:
                return state
            position = rows[-1][0]

    def load_stream(self, stream: str) -> Tally:
        rows = self.conn.execute(
            "SELECT type, payload FROM events WHERE stream = ? ORDER BY version", (stream,)
        ).fetchall()
        state: Tally = (0, 0.0)
        for type_, payload in rows:
            state = evolve(state, VALIDATE[type_](payload))
        return state

    def count_by_type(self, start: datetime, end: datetime) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT type, count(*) FROM events WHERE occurred_at >= ? AND occurred_at < ? "
            "GROUP BY type",
            (sqlite_time(start), sqlite_time(end)),
        )
        return dict(rows)

    def close(self) -> None:
        self.conn.close()


class EventSourcing:
    """``eventsourcing.sqlite``: ``SQLiteApplicationRecorder`` on a ``SQLiteDatastore`` (WAL;
    ``synchronous`` left at SQLite's default, checked to be FULL). Stored events carry our
    canonical JSON as ``state`` and our type name as ``topic``; the library has no hash chain and
    relies on its primary key for concurrency, so it does less per append than the other two."""

    name = "eventsourcing"

    def __init__(self, path: str) -> None:
        self.datastore = SQLiteDatastore(path, originator_id_type="text")
        self.recorder = SQLiteApplicationRecorder(self.datastore)
        self.recorder.create_table()
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute("PRAGMA synchronous")
            (level,) = cursor.fetchone()
            cursor.execute("PRAGMA journal_mode")
            (mode,) = cursor.fetchone()
        if (level, mode.lower()) != (2, "wal"):
            raise SystemExit(f"eventsourcing's SQLite is not WAL + FULL ({mode}, {level})")

    def append(self, stream: str, batch: Sequence[NewEvent], expected_version: int) -> None:
        self.recorder.insert_events(
            [
                EsStoredEvent(stream, expected_version + i, e.type, canonical(e.payload).encode())
                for i, e in enumerate(batch, start=1)
            ]
        )

    def replay(self) -> Tally:
        state: Tally = (0, 0.0)
        start = 1
        while True:
            notifications = self.recorder.select_notifications(start, PAGE)
            for n in notifications:
                state = evolve(state, VALIDATE[n.topic](n.state))
            if len(notifications) < PAGE:
                return state
            start = notifications[-1].id + 1

    def load_stream(self, stream: str) -> Tally:
        state: Tally = (0, 0.0)
        for stored in self.recorder.select_events(stream):
            state = evolve(state, VALIDATE[stored.topic](stored.state))
        return state

    def count_by_type(self, start: datetime, end: datetime) -> None:
        return None  # no time column: event times live inside the opaque ``state`` blob

    def close(self) -> None:
        self.datastore.close()


# ---------------------------------------------------------------- measuring


@dataclass
class Result:
    """One system on one workload: its rate and the latencies of its timed operations."""

    rate: float  # events per second; queries per second for (e)
    latencies: list[float] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Sizes:
    """How many timed operations each workload runs."""

    single_commits: int
    tick_commits: int
    bulk_commits: int
    replays: int  # (c) runs per system, the best one kept
    stream_loads: int
    window_queries: int


DEFAULT_SIZES = Sizes(2000, 1000, 20, 3, 200, 200)
QUICK_SIZES = Sizes(300, 200, 5, 2, 50, 50)


def measure_appends(system: System, prefix: str, batch: int, commits: int) -> Result:
    """``commits`` appends of ``batch`` events each, round-robin over ten new streams."""
    streams = 10
    versions = [0] * streams
    latencies = []
    gc.collect()
    for i in range(commits):
        s = i % streams
        to_append = numbered_events(i * batch, batch)
        started = time.perf_counter()
        system.append(f"{prefix}/w{s}", to_append, versions[s])
        latencies.append(time.perf_counter() - started)
        versions[s] += batch
    return Result(commits * batch / sum(latencies), latencies)


def measure_replay(replay: Callable[[], Tally], runs: int, size: int) -> tuple[Result, Tally]:
    best, answer = float("inf"), (0, 0.0)
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        answer = replay()
        best = min(best, time.perf_counter() - started)
    return Result(size / best, [best]), answer


def measure_each(
    operation: Callable[[A], R], args: Sequence[A], per_op: int
) -> tuple[Result, list[R]]:
    """Time ``operation`` once per argument; ``per_op`` events (or queries) per call. An
    untimed pass first, so no system pays for pages another one's run left cold."""
    for arg in args:
        operation(arg)
    latencies, answers = [], []
    gc.collect()
    for arg in args:
        started = time.perf_counter()
        answers.append(operation(arg))
        latencies.append(time.perf_counter() - started)
    return Result(per_op * len(args) / sum(latencies), latencies), answers


# ---------------------------------------------------------------- the run

LIBRARIES = ("SQLAlchemy", "pydantic", "orjson", "eventsourcing")
Key = tuple[str, str]  # (workload, system)

WORKLOADS = {
    "a": "(a) 1 event per commit",
    "b10": "(b) 10 events per commit",
    "b1000": "(b) 1,000 events per commit",
    "c": "(c) read + decode + fold all",
    "d": "(d) load one 1,000-event stream",
    "e": "(e) count by type, 1 h window",
}
ROOST, RAW, ES = "roost", "raw sqlite3", "eventsourcing"
ROOST_PLAIN = "roost, StoredEvent path"


def run_writes(folder: Path, sizes: Sizes, results: dict[Key, Result]) -> None:
    systems: list[System] = [
        Roost(str(folder / "roost-writes.db")),
        RawSqlite(str(folder / "raw-writes.db")),
        EventSourcing(str(folder / "es-writes.db")),
    ]
    try:
        for key, batch, commits in (
            ("a", 1, sizes.single_commits),
            ("b10", TICK, sizes.tick_commits),
            ("b1000", 1000, sizes.bulk_commits),
        ):
            for system in systems:
                results[key, system.name] = measure_appends(system, f"bench/{key}", batch, commits)
    finally:
        for system in systems:
            system.close()
    # The raw baseline wrote the same chain Roost would have: Roost's verifier accepts both files.
    for name in ("roost-writes.db", "raw-writes.db"):
        with Ledger.open(str(folder / name)) as ledger:
            report = ledger.verify()
            if not report.ok:
                raise SystemExit(f"{name}: {report.problem} at {report.first_bad_position}")


def run_reads(
    folder: Path, data: Dataset, sizes: Sizes, results: dict[Key, Result]
) -> dict[str, float]:
    setup: dict[str, float] = {}
    roost_db, es_db = str(folder / "roost.db"), str(folder / "es.db")
    setup["roost dataset (insert_verbatim, NORMAL)"], _ = timed(lambda: fill_roost(roost_db, data))
    roost, raw, es = Roost(roost_db), RawSqlite(roost_db), EventSourcing(es_db)
    setup["eventsourcing dataset (insert_events)"], _ = timed(
        lambda: fill_eventsourcing(es.recorder, data)
    )
    systems: list[System] = [roost, raw, es]
    try:
        tallies = {}
        for system in systems:
            results["c", system.name], tallies[system.name] = measure_replay(
                system.replay, sizes.replays, data.size
            )
        results["c", ROOST_PLAIN], tallies[ROOST_PLAIN] = measure_replay(
            roost.replay_stored_events, sizes.replays, data.size
        )
        agree("(c)", tallies)

        streams = [data.stream(i * 7919 % data.streams) for i in range(sizes.stream_loads)]
        loaded = {}
        for system in systems:
            results["d", system.name], loaded[system.name] = measure_each(
                system.load_stream, streams, data.rounds * TICK
            )
        agree("(d)", loaded)

        draw = random.Random(7)
        starts = [T0 + (SPAN - WINDOW) * draw.random() for _ in range(sizes.window_queries)]
        counted = {}
        for system in (roost, raw):
            results["e", system.name], counted[system.name] = measure_each(
                in_window(system), starts, 1
            )
        agree("(e)", counted)
    finally:
        for system in systems:
            system.close()
    return setup


def in_window(system: System) -> Callable[[datetime], dict[str, int] | None]:
    return lambda start: system.count_by_type(start, start + WINDOW)


def agree(workload: str, answers: dict[str, Any]) -> None:
    """Every system must have computed the same thing, or its figure means nothing."""
    first, *others = answers.items()
    for name, answer in others:
        if answer != first[1]:
            raise SystemExit(f"{workload}: {name} disagrees with {first[0]}")


def timed(operation: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    answer = operation()
    return time.perf_counter() - started, answer


# ---------------------------------------------------------------- the report


def machine() -> list[str]:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return [
        f"machine: {os.cpu_count()} CPUs ({cpu}), Python {sys.version.split()[0]}, "
        f"SQLite {sqlite3.sqlite_version}",
        "libraries: " + ", ".join(f"{name} {metadata.version(name)}" for name in LIBRARIES),
    ]


def ratio(results: dict[Key, Result], workload: str, other: str) -> float | None:
    mine, theirs = results.get((workload, ROOST)), results.get((workload, other))
    return None if mine is None or theirs is None else mine.rate / theirs.rate


def judge(results: dict[Key, Result]) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for every target of the brief."""
    verdicts = []
    for workload, floor in (("a", 0.5), ("b10", 0.6), ("b1000", 0.6)):
        r = ratio(results, workload, RAW) or 0.0
        verdicts.append((f"{WORKLOADS[workload]}: >= {floor}x raw", f"{r:.2f}x", r >= floor))
    rate = results["c", ROOST].rate
    verdicts.append((f"{WORKLOADS['c']}: >= 500k events/s", f"{rate:,.0f}/s", rate >= 500_000))
    for workload, limit in (("d", 0.005), ("e", 0.010)):
        p99 = results[workload, ROOST].percentile(0.99)
        verdicts.append(
            (
                f"{WORKLOADS[workload]}: p99 <= {limit * 1000:.0f} ms",
                f"{p99 * 1000:.2f} ms",
                p99 <= limit,
            )
        )
    for workload in ("a", "b10", "b1000", "c", "d"):
        r = ratio(results, workload, ES) or 0.0
        verdicts.append((f"{WORKLOADS[workload]}: >= 1.5x eventsourcing", f"{r:.2f}x", r >= 1.5))
    return verdicts


def report(results: dict[Key, Result], size: int, setup: dict[str, float]) -> str:
    lines = [*machine(), f"dataset: {size:,} events", ""]
    lines += [f"setup: {name}: {took:.1f} s" for name, took in setup.items()]
    header = (
        f"{'workload':<34} {'system':<24} {'rate':>14} {'p50 ms':>9} {'p99 ms':>9} "
        f"{'Roost/raw':>10} {'Roost/es':>9}"
    )
    lines += ["", header, "-" * len(header)]
    for workload, label in WORKLOADS.items():
        unit = "q/s" if workload == "e" else "ev/s"
        for system in (ROOST, ROOST_PLAIN, RAW, ES):
            result = results.get((workload, system))
            if result is None:
                if workload == "e" and system == ES:
                    lines.append(f"{'':<34} {system:<24} {'n/a: no time column, no query API':>43}")
                continue
            vs_raw = ratio(results, workload, RAW) if system == ROOST else None
            vs_es = ratio(results, workload, ES) if system == ROOST else None
            # (c) is timed whole: its one figure, the best replay, stands in the p50 column.
            p99 = "" if workload == "c" else f"{result.percentile(0.99) * 1000:.3f}"
            lines.append(
                f"{label if system == ROOST else '':<34} {system:<24} "
                f"{result.rate:>9,.0f} {unit:<4} "
                f"{result.percentile(0.5) * 1000:>9.3f} {p99:>9} "
                f"{_x(vs_raw):>10} {_x(vs_es):>9}"
            )
    lines += ["(c): the p50 column holds the time of the best whole replay", "", "targets:"]
    for target, measured, met in judge(results):
        lines.append(f"  {'PASS' if met else 'MISS'}  {target:<58} {measured}")
    # What the schema and the chain cost before any Roost code runs: the floor under Roost/es.
    floors = [
        f"{workload} {results[workload, RAW].rate / results[workload, ES].rate:.2f}x"
        for workload in ("a", "b10", "b1000", "c", "d")
    ]
    lines += ["", "for scale, raw sqlite3 / eventsourcing: " + ", ".join(floors)]
    return "\n".join(lines)


def _x(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}x"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, help="events in the read dataset (1,000,000)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, 100k events")
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else DEFAULT_SIZES
    events_wanted = args.events or (100_000 if args.quick else 1_000_000)
    data = Dataset.of_size(events_wanted)
    results: dict[Key, Result] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="roost-bench-") as tmp:
        folder = Path(tmp)
        print(f"writes: {sizes} ...", flush=True)
        run_writes(folder, sizes, results)
        print(f"reads: {data.size:,} events ...", flush=True)
        setup = run_reads(folder, data, sizes, results)
    print()
    print(report(results, data.size, setup))
    print(f"\nwhole run: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
