"""Properties of the ledger that examples cannot cover: round trips and the chain."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import EventRegistry, Ledger, NewEvent
from ledger.transfer import export_jsonl, import_jsonl
from tests.ledger.sample_events import Counted, Noted

json_leaf = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
json_value: st.SearchStrategy[Any] = st.recursive(
    json_leaf | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "b", "name", "value", "é"]), inner, max_size=4)
    ),
    max_leaves=12,
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
payloads = st.dictionaries(st.text(max_size=5), json_value, max_size=4)
events = st.lists(
    st.tuples(st.sampled_from(["s1", "s2", "s3"]), payloads, moments), min_size=1, max_size=25
)
typed = st.one_of(
    st.builds(Counted, at=moments, amount=st.integers(-1000, 1000)),
    st.builds(Noted, at=moments, text=st.text(max_size=30), tags=st.tuples(st.text(max_size=5))),
)

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fill(ledger: Ledger, items: list[tuple[str, dict[str, Any], datetime]]) -> None:
    for stream, payload, moment in items:
        version = ledger.stream_version(stream)
        ledger.append(stream, [NewEvent("p", payload, moment)], expected_version=version)


@SETTINGS
@given(items=events)
def test_export_import_round_trips_any_ledger(items: list[Any]) -> None:
    with Ledger.open("sqlite://") as source, Ledger.open("sqlite://") as target:
        _fill(source, items)
        buffer = io.BytesIO()
        export_jsonl(source, buffer)
        buffer.seek(0)
        assert import_jsonl(target, buffer) == len(items)
        assert list(source.read_all()) == list(target.read_all())
        assert target.verify().ok


@SETTINGS
@given(items=events)
def test_payloads_and_stream_order_round_trip(items: list[Any]) -> None:
    with Ledger.open("sqlite://") as ledger:
        _fill(ledger, items)
        for stream in {s for s, _, _ in items}:
            expected = [(p, m) for s, p, m in items if s == stream]
            got = [(e.payload, e.occurred_at) for e in ledger.read_stream(stream, batch_size=3)]
            assert got == expected


@SETTINGS
@given(event=typed)
def test_encode_decode_round_trips(event: Counted | Noted) -> None:
    registry = EventRegistry([Counted, Noted])
    with Ledger.open("sqlite://") as ledger:
        ledger.append("s", [registry.encode(event)], expected_version=0)
        assert registry.decode(next(ledger.read_stream("s"))) == event
