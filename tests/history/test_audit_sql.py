"""``roost audit sql``: read-only SQL, writes refused; docs/ledger.md's queries and event types."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from reducers.events import ALL_EVENTS
from tests.history.audit_ledgers import build
from tests.history.conftest import Invoke

DOC = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("audit-sql") / "ledger.db")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_select_returns_rows_as_a_table_json_or_csv(recorded: Path, invoke: Invoke) -> None:
    query = "SELECT type, count(*) AS n FROM events WHERE type LIKE '%rolled%' GROUP BY type"
    table = invoke("audit", "sql", "--ledger", str(recorded), query)
    assert table.exit_code == 0, table.output
    assert table.stdout.split() == ["TYPE", "N", "canary.rolled-back", "3"]
    as_json = invoke("audit", "sql", "--ledger", str(recorded), "--json", query)
    assert json.loads(as_json.stdout) == [{"type": "canary.rolled-back", "n": 3}]
    as_csv = invoke("audit", "sql", "--ledger", str(recorded), "--csv", query)
    assert as_csv.stdout == "type,n\ncanary.rolled-back,3\n"


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO events SELECT * FROM events LIMIT 1",
        "UPDATE events SET payload = '{}' WHERE position = 1",
        "DELETE FROM events WHERE position = 1",
        "DROP TABLE events",
        "DROP INDEX ix_events_run_bounds",
        "CREATE TABLE copy AS SELECT * FROM events",
        "CREATE TEMP TABLE scratch (x)",
        "ALTER TABLE events ADD COLUMN x",
        "ATTACH DATABASE '{dir}/other.db' AS other",
        "VACUUM INTO '{dir}/copy.db'",
        "PRAGMA query_only = OFF",
        "PRAGMA user_version = 7",
        "PRAGMA journal_mode = DELETE",
        "REINDEX",
        "ANALYZE",
        "BEGIN",
        "SELECT 1; DELETE FROM events",
    ],
)
def test_writes_are_refused_and_change_nothing(
    recorded: Path, invoke: Invoke, tmp_path: Path, statement: str
) -> None:
    before = _digest(recorded)
    result = invoke(
        "audit", "sql", "--ledger", str(recorded), statement.replace("{dir}", str(tmp_path))
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    if not statement.startswith("SELECT 1;"):
        assert "refused: audit queries are read-only" in result.stderr
    assert _digest(recorded) == before
    assert list(tmp_path.iterdir()) == []
    verified = invoke("ledger", "verify", "--ledger", str(recorded))
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.startswith("ok: ")


def test_describing_pragmas_and_explain_are_allowed(recorded: Path, invoke: Invoke) -> None:
    info = invoke("audit", "sql", "--ledger", str(recorded), "--json", "PRAGMA table_info(events)")
    assert info.exit_code == 0, info.output
    assert [c["name"] for c in json.loads(info.stdout)][:3] == ["position", "stream", "version"]
    plan = invoke("audit", "sql", "--ledger", str(recorded), "EXPLAIN QUERY PLAN SELECT 1")
    assert plan.exit_code == 0, plan.output


def test_a_bad_query_or_ledger_is_one_line_and_exit_2(
    recorded: Path, invoke: Invoke, tmp_path: Path
) -> None:
    bad = invoke("audit", "sql", "--ledger", str(recorded), "SELECT nope FROM events")
    assert bad.exit_code == 2
    assert bad.stderr.strip() == "error: query failed: no such column: nope"
    missing = invoke("audit", "sql", "--ledger", str(tmp_path / "none.db"), "SELECT 1")
    assert missing.exit_code == 2
    assert "no ledger at" in missing.stderr
    assert not (tmp_path / "none.db").exists()


def _sql_blocks() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_docs_hold_a_dozen_example_queries() -> None:
    assert len(_sql_blocks()) >= 12


@pytest.mark.parametrize("query", _sql_blocks(), ids=lambda q: q.split("\n")[0][:40])
def test_every_example_query_in_the_docs_runs_and_returns_rows(
    recorded: Path, invoke: Invoke, query: str
) -> None:
    result = invoke("audit", "sql", "--ledger", str(recorded), "--json", query)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout), f"no rows from:\n{query}"


def test_the_docs_name_every_event_type_and_its_fields() -> None:
    text = DOC.read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in text.splitlines()
        if line.startswith("| `canary.")
    }
    for cls in ALL_EVENTS:
        assert cls.TYPE in rows, f"docs/ledger.md does not document {cls.TYPE}"
        for name, field in cls.model_fields.items():
            if name != "at":
                key = field.alias or name
                assert f"`{key}`" in rows[cls.TYPE], f"{cls.TYPE}: field {key} undocumented"
    assert set(rows) == {cls.TYPE for cls in ALL_EVENTS}, "docs/ledger.md names unknown types"
