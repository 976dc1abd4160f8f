"""The bulk paths of replay and ``load_state`` (``read_all_payloads``, ``read_stream_payloads``,
``decode_rows``) say exactly what the plain paths say, errors included; and the driver-level writes
store times in the text SQLAlchemy itself would, so older ledgers and plain SQL keep working.
Every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from ledger import (
    EventRegistry,
    EventSchemaError,
    Ledger,
    LedgerError,
    NewEvent,
    UnknownEventTypeError,
)
from ledger.records import PayloadRow, StoredEvent
from ledger.schema import events
from ledger.snapshots import load_state
from tests.ledger.sample_events import Counted, Noted, TallyFold, at
from tests.ledger.test_upcasting import TABLE, Renamed


def _row(e: StoredEvent) -> PayloadRow:
    return (e.position, e.stream, e.version, e.type, e.schema_version, e.payload_text)


def _fill(ledger: Ledger, registry: EventRegistry) -> None:
    for i in range(4):
        typed = [Counted(at=at(i * 10 + k), amount=k) for k in range(4)]
        typed.append(Noted(at=at(i * 10 + 5), text=f"n{i}", tags=("a",)))
        ledger.append(f"s{i % 2}", [registry.encode(e) for e in typed], expected_version=i // 2 * 5)


@pytest.mark.parametrize(("after", "batch_size"), [(0, 3), (7, 1), (0, 1000), (20, 5)])
def test_payload_pages_are_the_log_minus_times_and_hashes(
    ledger: Ledger, registry: EventRegistry, after: int, batch_size: int
) -> None:
    _fill(ledger, registry)
    pages = list(ledger.read_all_payloads(after=after, batch_size=batch_size))
    assert all(0 < len(page) <= batch_size for page in pages)
    assert [row for page in pages for row in page] == [
        _row(e) for e in ledger.read_all(after=after)
    ]


@pytest.mark.parametrize(("from_version", "batch_size"), [(1, 2), (4, 1000), (3, 5), (11, 2)])
def test_stream_payload_pages_are_the_stream(
    ledger: Ledger, registry: EventRegistry, from_version: int, batch_size: int
) -> None:
    _fill(ledger, registry)
    pages = list(
        ledger.read_stream_payloads("s1", from_version=from_version, batch_size=batch_size)
    )
    assert all(0 < len(page) <= batch_size for page in pages)
    assert [row for page in pages for row in page] == [
        _row(e) for e in ledger.read_stream("s1", from_version=from_version)
    ]


def test_decode_rows_gives_the_events_decode_gives(ledger: Ledger, registry: EventRegistry) -> None:
    _fill(ledger, registry)
    bulk = [
        e for page in ledger.read_all_payloads(batch_size=4) for e in registry.decode_rows(page)
    ]
    assert bulk == [registry.decode(e) for e in ledger.read_all()]
    assert [type(e) for e in bulk[:5]] == [Counted, Counted, Counted, Counted, Noted]


def test_decode_rows_upcasts_old_versions(ledger: Ledger) -> None:
    registry = EventRegistry([Renamed], upcasters=TABLE)
    ledger.append(
        "s",
        [
            NewEvent("test.renamed", {"at": at(0).isoformat(), "count": 3}, at(0), 1),
            registry.encode(Renamed(at=at(1), amount=5, unit="bytes")),
            NewEvent("test.renamed", {"at": at(2).isoformat(), "amount": 4}, at(2), 2),
        ],
        expected_version=0,
    )
    (page,) = ledger.read_all_payloads()
    assert list(registry.decode_rows(page)) == [
        Renamed(at=at(0), amount=3, unit="requests"),
        Renamed(at=at(1), amount=5, unit="bytes"),
        Renamed(at=at(2), amount=4, unit="requests"),
    ]


@pytest.mark.parametrize(
    ("event", "error", "message"),
    [
        (NewEvent("test.renamed", {"amount": "x"}, at(0), 3), EventSchemaError, "position 2"),
        (NewEvent("test.renamed", {"amount": 1}, at(0), 9), EventSchemaError, "newer than"),
        (NewEvent("test.renamed", {"count": 1}, at(0), 1), EventSchemaError, "no upcaster"),
        (NewEvent("test.unheard-of", {}, at(0)), UnknownEventTypeError, "unheard-of"),
    ],
)
def test_decode_rows_fails_as_decode_fails(
    ledger: Ledger, event: NewEvent, error: type[Exception], message: str
) -> None:
    registry = EventRegistry([Renamed], upcasters={})
    good = registry.encode(Renamed(at=at(0), amount=1, unit="u"))
    ledger.append("s", [good, event], expected_version=0)
    (page,) = ledger.read_all_payloads()
    with pytest.raises(error, match=message) as plain:
        registry.decode(list(ledger.read_all())[1])
    decoded = registry.decode_rows(page)
    assert next(decoded) == Renamed(at=at(0), amount=1, unit="u")
    with pytest.raises(error, match=message) as bulk:
        next(decoded)
    assert str(bulk.value) == str(plain.value)


def test_times_are_stored_as_sqlalchemy_stores_them(ledger: Ledger) -> None:
    moment = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=timezone(timedelta(hours=2)))
    on_the_second = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    ledger.append(
        "s", [NewEvent("t", {}, moment), NewEvent("t", {}, on_the_second)], expected_version=0
    )
    with ledger.engine.connect() as conn:
        stored: list[Any] = list(
            conn.scalars(select(events.c.occurred_at).order_by(events.c.position))
        )
        # A Core query with a time bound finds them by the same stored form.
        later = conn.scalars(
            select(events.c.position).where(
                events.c.occurred_at > datetime(2026, 3, 4, 4, tzinfo=UTC)
            )
        ).all()
        if ledger.engine.dialect.name == "sqlite":
            text = conn.exec_driver_sql("SELECT occurred_at FROM events ORDER BY position").all()
            assert [t for (t,) in text] == [
                "2026-03-04 03:06:07.891011",
                "2026-03-04 05:06:07.000000",
            ]
    assert stored == [moment, on_the_second]
    assert later == [2]
    assert [e.occurred_at for e in ledger.read_stream("s")] == [moment, on_the_second]


def test_inserting_a_taken_position_verbatim_is_a_ledger_error(ledger: Ledger) -> None:
    (first,) = ledger.append("s", [NewEvent("t", {}, at(0))], expected_version=0)
    with pytest.raises(LedgerError, match="verbatim"), ledger.writing() as conn:
        ledger.insert_verbatim([first], conn)
    assert ledger.head()[0] == 1


def test_load_state_reports_a_gap_before_the_payload_after_it(
    ledger: Ledger, registry: EventRegistry
) -> None:
    typed = [Counted(at=at(i), amount=i) for i in range(1, 6)]
    ledger.append("s", [registry.encode(e) for e in typed], expected_version=0)
    with ledger.engine.begin() as conn:
        conn.execute(delete(events).where(events.c.position == 3))
        conn.execute(update(events).where(events.c.position == 4).values(payload='{"x":1}'))
    with pytest.raises(LedgerError, match="jumps from version 2 to 4 at position 4"):
        load_state(ledger, registry, "s", TallyFold(), use_snapshots=False)
    assert load_state(ledger, registry, "other", TallyFold(), use_snapshots=False)[1] == 0
