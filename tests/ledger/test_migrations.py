"""Schema changes happen only through Alembic, and a ledger from a newer Roost is refused."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from ledger import Ledger, LedgerLocationError, LedgerTooNewError, NewEvent
from ledger.engines import Synchronous, create_ledger_engine
from ledger.migrating import alembic_config, current_revision, head_revision, migrate
from tests.ledger.sample_events import at


@pytest.fixture(params=["sqlite-file", "postgres"])
def durable_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite-file":
        return str(tmp_path / "ledger.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_alembic_check_finds_models_and_migrations_in_step(durable_location: str) -> None:
    engine = create_ledger_engine(durable_location)
    try:
        migrate(engine)
        cfg = alembic_config()
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.check(cfg)  # raises when autogenerate would produce operations
    finally:
        engine.dispose()


def test_reopening_keeps_events_and_migrates_once(durable_location: str) -> None:
    with Ledger.open(durable_location) as first:
        first.append("s", [NewEvent("t", {"n": 1}, at(0))], expected_version=0)
        assert current_revision(first.engine) == head_revision()
    with Ledger.open(durable_location) as second:
        assert second.stream_version("s") == 1
        assert second.verify().ok


def test_a_ledger_from_a_newer_roost_is_refused(durable_location: str) -> None:
    Ledger.open(durable_location).close()
    engine = create_ledger_engine(durable_location)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    engine.dispose()
    with pytest.raises(LedgerTooNewError, match=r"f00dfeed.*newer Roost"):
        Ledger.open(durable_location)


def test_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LedgerLocationError, match="is missing"):
        Ledger.open(str(tmp_path / "nope" / "ledger.db"))


def test_an_unsupported_backend_is_a_clear_error() -> None:
    with pytest.raises(LedgerLocationError, match="unsupported ledger backend 'mysql'"):
        Ledger.open("mysql://localhost/roost")


@pytest.mark.parametrize(("setting", "pragma"), [(Synchronous.FULL, 2), (Synchronous.NORMAL, 1)])
def test_sqlite_is_durable_by_default_and_normal_is_opt_in(
    tmp_path: Path, setting: Synchronous, pragma: int
) -> None:
    ledger = Ledger.open(str(tmp_path / "l.db"), synchronous=setting)
    with ledger, ledger.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == pragma
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_the_default_is_full() -> None:
    assert inspect.signature(Ledger.open).parameters["synchronous"].default is Synchronous.FULL
