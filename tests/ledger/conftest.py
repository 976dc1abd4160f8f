"""Ledger fixtures: one ``ledger_location`` per backend, so every conformance test runs on SQLite
file, SQLite in memory and a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger import EventRegistry, Ledger
from tests.ledger.sample_events import SAMPLE_EVENTS

BACKENDS = ["sqlite-file", "sqlite-memory", "postgres"]


@pytest.fixture(params=BACKENDS)
def ledger_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite-file":
        return str(tmp_path / "ledger.db")
    if request.param == "sqlite-memory":
        return "sqlite://"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def ledger(ledger_location: str) -> Iterator[Ledger]:
    opened = Ledger.open(ledger_location)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def registry() -> EventRegistry:
    return EventRegistry(SAMPLE_EVENTS)
