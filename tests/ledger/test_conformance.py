"""The ledger's contract, run against every backend (see conftest: SQLite file, SQLite in memory,
PostgreSQL). A backend that passes these can hold an operator's history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text, update

from ledger import ConcurrencyError, EventRegistry, Ledger, LedgerError, NewEvent
from ledger.records import GENESIS_HASH
from ledger.schema import events
from ledger.snapshots import load_snapshot, load_state
from tests.ledger.sample_events import Counted, Noted, TallyFold, at


def batch(n: int, start: float = 0) -> list[NewEvent]:
    return [NewEvent("test.counted", {"amount": i, "at": "x"}, at(start + i)) for i in range(n)]


def test_a_new_stream_starts_at_version_one(ledger: Ledger) -> None:
    stored = ledger.append("canary/test/a", batch(3), expected_version=0)
    assert [e.version for e in stored] == [1, 2, 3]
    assert [e.position for e in stored] == [1, 2, 3]
    assert ledger.stream_version("canary/test/a") == 3
    assert ledger.stream_version("canary/test/missing") == 0


def test_positions_are_global_across_streams(ledger: Ledger) -> None:
    ledger.append("a", batch(2), expected_version=0)
    ledger.append("b", batch(2), expected_version=0)
    ledger.append("a", batch(1), expected_version=2)
    assert [(e.stream, e.version, e.position) for e in ledger.read_all()] == [
        ("a", 1, 1),
        ("a", 2, 2),
        ("b", 1, 3),
        ("b", 2, 4),
        ("a", 3, 5),
    ]
    assert ledger.streams() == ["a", "b"]


@pytest.mark.parametrize("expected", [0, 1, 3])
def test_a_stale_expected_version_writes_nothing(ledger: Ledger, expected: int) -> None:
    ledger.append("s", batch(2), expected_version=0)
    with pytest.raises(ConcurrencyError) as caught:
        ledger.append("s", batch(5), expected_version=expected)
    assert caught.value.actual == 2
    assert "another writer appended first" in str(caught.value)
    assert ledger.stream_version("s") == 2
    assert ledger.head()[0] == 2


def test_an_empty_batch_changes_nothing(ledger: Ledger) -> None:
    assert ledger.append("s", [], expected_version=0) == []
    assert ledger.head() == (0, GENESIS_HASH)


def test_read_stream_from_a_version_in_small_batches(ledger: Ledger) -> None:
    ledger.append("s", batch(7), expected_version=0)
    ledger.append("other", batch(3), expected_version=0)
    got = list(ledger.read_stream("s", from_version=3, batch_size=2))
    assert [e.version for e in got] == [3, 4, 5, 6, 7]
    assert {e.stream for e in got} == {"s"}


def test_read_all_after_a_position_is_lazy_and_complete(ledger: Ledger) -> None:
    for i in range(4):
        ledger.append(f"s{i}", batch(5), expected_version=0)
    reader = ledger.read_all(after=7, batch_size=3)
    first = next(reader)
    assert first.position == 8
    assert [e.position for e in reader] == list(range(9, 21))


def test_times_round_trip_as_aware_utc_with_microseconds(ledger: Ledger) -> None:
    moment = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=timezone(timedelta(hours=2)))
    ledger.append("s", [NewEvent("t", {}, moment)], expected_version=0)
    (stored,) = ledger.read_stream("s")
    assert stored.occurred_at == moment
    assert stored.occurred_at.tzinfo == UTC
    assert stored.recorded_at.tzinfo == UTC


def test_naive_times_are_refused(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="timezone-aware"):
        ledger.append("s", [NewEvent("t", {}, datetime(2026, 1, 1))], expected_version=0)
    assert ledger.head()[0] == 0


def test_payloads_are_stored_as_canonical_json(ledger: Ledger) -> None:
    ledger.append(
        "s", [NewEvent("t", {"b": 1, "a": {"z": "ü", "y": [3, 1.5]}}, at(0))], expected_version=0
    )
    (stored,) = ledger.read_stream("s")
    assert stored.payload_text == '{"a":{"y":[3,1.5],"z":"ü"},"b":1}'
    assert stored.payload == {"a": {"y": [3, 1.5], "z": "ü"}, "b": 1}


def test_typed_events_round_trip_through_the_registry(
    ledger: Ledger, registry: EventRegistry
) -> None:
    originals = [Counted(at=at(1), amount=5), Noted(at=at(2), text="hi", tags=("x", "y"))]
    ledger.append("s", [registry.encode(e) for e in originals], expected_version=0)
    decoded = [registry.decode(e) for e in ledger.read_stream("s")]
    assert decoded == originals
    assert [e.type for e in ledger.read_stream("s")] == ["test.counted", "test.noted"]


def test_verify_passes_on_an_intact_ledger(ledger: Ledger) -> None:
    ledger.append("a", batch(3), expected_version=0)
    ledger.append("b", batch(2), expected_version=0)
    report = ledger.verify()
    assert report.ok and report.checked == 5


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("payload", '{"amount":999,"at":"x"}'),
        ("type", "test.other"),
        ("occurred_at", datetime(2030, 1, 1, tzinfo=UTC)),
        ("hash", "f" * 64),
    ],
)
def test_tampering_with_any_column_is_found_at_its_position(
    ledger: Ledger, column: str, value: object
) -> None:
    ledger.append("a", batch(6), expected_version=0)
    with ledger.engine.begin() as conn:
        conn.execute(update(events).where(events.c.position == 4).values({column: value}))
    report = ledger.verify()
    assert not report.ok
    assert report.first_bad_position == 4
    assert report.checked == 3


def test_a_deleted_event_is_found(ledger: Ledger) -> None:
    ledger.append("a", batch(5), expected_version=0)
    with ledger.engine.begin() as conn:
        conn.execute(text("DELETE FROM events WHERE position = 3"))
    report = ledger.verify()
    assert report.first_bad_position == 4
    assert "follows" in (report.problem or "")


def test_snapshot_plus_tail_equals_a_full_fold(ledger: Ledger, registry: EventRegistry) -> None:
    fold = TallyFold()
    events_ = [Counted(at=at(i), amount=i) for i in range(1, 31)]
    ledger.append("s", [registry.encode(e) for e in events_[:20]], expected_version=0)
    state, version = load_state(ledger, registry, "s", fold, every=10)
    assert (state.total, version) == (210, 20)
    assert load_snapshot(ledger, "s", fold) is not None
    ledger.append("s", [registry.encode(e) for e in events_[20:]], expected_version=20)
    ledger.append("s", [registry.encode(Noted(at=at(99), text="end"))], expected_version=30)
    from_snapshot = load_state(ledger, registry, "s", fold, every=1000)
    full = load_state(ledger, registry, "s", fold, use_snapshots=False)
    assert from_snapshot == full
    assert full[0].total == sum(range(1, 31))
    assert full[0].notes == ("end",)


def test_a_snapshot_from_other_code_is_not_used(ledger: Ledger, registry: EventRegistry) -> None:
    ledger.append("s", [registry.encode(Counted(at=at(1), amount=1))], expected_version=0)
    load_state(ledger, registry, "s", TallyFold(code_version=1), every=1)
    assert load_snapshot(ledger, "s", TallyFold(code_version=1)) is not None
    assert load_snapshot(ledger, "s", TallyFold(code_version=2)) is None
