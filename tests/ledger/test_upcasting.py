"""Old payloads are upcast on read and never rewritten; every upcaster has a recorded payload."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ledger import EventRegistry, EventSchemaError, Ledger, NewEvent, UnknownEventTypeError
from ledger.upcasting import UPCASTERS, UpcasterTable
from reducers.base import Event
from tests.ledger.sample_events import at

RECORDED = Path(__file__).parent / "recorded"


class Renamed(Event):
    """v3 of a test type: v1 had ``count``, v2 renamed it ``amount``, v3 added ``unit``."""

    TYPE: ClassVar[str] = "test.renamed"
    SCHEMA_VERSION: ClassVar[int] = 3
    amount: int
    unit: str


def _v1_to_v2(p: dict[str, Any]) -> dict[str, Any]:
    return {"at": p["at"], "amount": p["count"]}


def _v2_to_v3(p: dict[str, Any]) -> dict[str, Any]:
    return {**p, "unit": "requests"}


TABLE: UpcasterTable = {("test.renamed", 1): _v1_to_v2, ("test.renamed", 2): _v2_to_v3}


def test_old_payloads_are_upcast_on_read_and_stored_bytes_stay(ledger: Ledger) -> None:
    registry = EventRegistry([Renamed], upcasters=TABLE)
    ledger.append(
        "s",
        [
            NewEvent("test.renamed", {"at": at(0).isoformat(), "count": 3}, at(0), 1),
            NewEvent("test.renamed", {"at": at(1).isoformat(), "amount": 4}, at(1), 2),
            registry.encode(Renamed(at=at(2), amount=5, unit="bytes")),
        ],
        expected_version=0,
    )
    decoded = [registry.decode(e) for e in ledger.read_stream("s")]
    assert decoded == [
        Renamed(at=at(0), amount=3, unit="requests"),
        Renamed(at=at(1), amount=4, unit="requests"),
        Renamed(at=at(2), amount=5, unit="bytes"),
    ]
    first = next(ledger.read_stream("s"))
    assert first.schema_version == 1 and first.payload["count"] == 3
    assert ledger.verify().ok


def test_a_missing_upcaster_and_a_future_version_are_clear_errors(ledger: Ledger) -> None:
    registry = EventRegistry([Renamed], upcasters={})
    ledger.append(
        "s",
        [
            NewEvent("test.renamed", {"count": 1}, at(0), 1),
            NewEvent("test.renamed", {"amount": 1}, at(0), 9),
            NewEvent("test.unheard-of", {}, at(0)),
        ],
        expected_version=0,
    )
    old, future, unknown = ledger.read_stream("s")
    with pytest.raises(EventSchemaError, match=r"no upcaster for test\.renamed v1"):
        registry.decode(old)
    with pytest.raises(EventSchemaError, match="newer than this Roost"):
        registry.decode(future)
    with pytest.raises(UnknownEventTypeError, match=r"test\.unheard-of"):
        registry.decode(unknown)


def test_a_payload_that_does_not_fit_its_model_names_the_position(ledger: Ledger) -> None:
    ledger.append("s", [NewEvent("test.renamed", {"amount": "x"}, at(0), 3)], expected_version=0)
    with pytest.raises(EventSchemaError, match="position 1"):
        EventRegistry([Renamed]).decode(next(ledger.read_stream("s")))


def check_recorded(table: UpcasterTable, recorded_dir: Path) -> list[str]:
    """Problems with the recordings of ``table``'s upcasters (empty when all is well)."""
    problems = []
    for type_name, version in sorted(table):
        old = recorded_dir / f"{type_name}.v{version}.json"
        new = recorded_dir / f"{type_name}.v{version + 1}.json"
        if not (old.is_file() and new.is_file()):
            problems.append(f"{type_name} v{version}: record {old.name} and {new.name}")
        elif table[(type_name, version)](json.loads(old.read_text())) != json.loads(
            new.read_text()
        ):
            problems.append(f"{type_name} v{version}: upcast of {old.name} != {new.name}")
    return problems


def test_each_product_upcaster_turns_its_recorded_payload_into_the_next_version() -> None:
    assert check_recorded(UPCASTERS, RECORDED) == []


def test_the_recording_check_catches_missing_and_wrong_recordings(tmp_path: Path) -> None:
    assert check_recorded(TABLE, tmp_path) == [
        "test.renamed v1: record test.renamed.v1.json and test.renamed.v2.json",
        "test.renamed v2: record test.renamed.v2.json and test.renamed.v3.json",
    ]
    (tmp_path / "test.renamed.v1.json").write_text('{"at": "t", "count": 2}')
    (tmp_path / "test.renamed.v2.json").write_text('{"at": "t", "amount": 2}')
    (tmp_path / "test.renamed.v3.json").write_text('{"at": "t", "amount": 2, "unit": "x"}')
    assert check_recorded(TABLE, tmp_path) == [
        "test.renamed v2: upcast of test.renamed.v2.json != test.renamed.v3.json"
    ]


def test_every_recording_belongs_to_an_upcaster() -> None:
    stale = [
        p.name
        for p in RECORDED.glob("*.json")
        if (p.stem.rsplit(".v", 1)[0], int(p.stem.rsplit(".v", 1)[1])) not in UPCASTERS
        and (p.stem.rsplit(".v", 1)[0], int(p.stem.rsplit(".v", 1)[1]) - 1) not in UPCASTERS
    ]
    assert stale == []
