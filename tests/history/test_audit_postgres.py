"""The audit queries on PostgreSQL: the same simulated ledger gives the same rows as on SQLite,
and ``roost audit sql`` is read-only there too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger import Ledger
from ledger import audit as queries
from ledger import audit_trail as trail
from ledger.audit import Filters
from tests.history.audit_ledgers import build, fill
from tests.history.conftest import Invoke

pytestmark = pytest.mark.postgres


def _comparable(change: trail.ChangeRow) -> tuple[Any, ...]:
    """Spec texts are JSON formatted by each backend: compare what they say."""
    if change.kind == "spec":
        values: tuple[Any, ...] = (json.loads(change.before or "null"), json.loads(change.after))
    else:
        values = (change.before, change.after)
    return (
        change.canary,
        change.run,
        change.at,
        change.position,
        change.kind,
        change.label,
        *values,
    )


def _answers(location: str) -> dict[str, Any]:
    with Ledger.open(location) as ledger:
        changes = trail.changes(ledger)
        return {
            "runs": queries.runs(ledger),
            "prod runs": queries.runs(ledger, Filters(namespace="prod"), outcome="failed"),
            "failures": queries.failures(ledger),
            "approvals": trail.approvals(ledger),
            # Spec texts are JSON formatted by each backend: compare what they say.
            "changes": [_comparable(c) for c in changes],
            "paths": [trail.changed_paths(c.before, c.after) for c in changes if c.kind == "spec"],
            "events": queries.event_list(ledger, Filters(canary="test/gated"), ["canary.halted"]),
            "window": queries.event_list(
                ledger, Filters(since=changes[3].at, until=changes[-1].at), limit=50
            ),
        }


def test_every_audit_query_gives_identical_rows_on_postgres_and_sqlite(
    postgres_url: str, tmp_path: Path
) -> None:
    lite = _answers(str(build(tmp_path / "ledger.db")))
    fill(postgres_url)
    pg = _answers(postgres_url)
    assert len(lite["runs"]) == 12
    assert len(lite["approvals"]) == 8
    assert any(lite["paths"])
    for key, rows in lite.items():
        assert pg[key] == rows, key


def test_sql_on_postgres_reads_and_refuses_writes(postgres_url: str, invoke: Invoke) -> None:
    fill(postgres_url)
    query = "SELECT type, count(*) AS n FROM events WHERE type LIKE '%rolled%' GROUP BY type"
    result = invoke("audit", "sql", "--ledger", postgres_url, "--json", query)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"type": "canary.rolled-back", "n": 3}]
    for statement in [
        "INSERT INTO events SELECT * FROM events LIMIT 1",
        "UPDATE events SET payload = '{}' WHERE position = 1",
        "DELETE FROM events",
        "DROP TABLE events",
        "CREATE TABLE copy AS SELECT * FROM events",
        "SELECT nextval('nothing')",
    ]:
        refused = invoke("audit", "sql", "--ledger", postgres_url, statement)
        assert refused.exit_code == 2, (statement, refused.output)
        assert len(refused.stderr.strip().splitlines()) == 1
    for statement in ["SET TRANSACTION READ WRITE", "DELETE FROM events WHERE position = 1"]:
        refused = invoke("audit", "sql", "--ledger", postgres_url, statement)
        assert "refused: audit queries are read-only" in refused.stderr, statement
    # Several statements cannot end the read-only transaction and write in a new one.
    sneaky = invoke("audit", "sql", "--ledger", postgres_url, "COMMIT; DELETE FROM events")
    assert sneaky.exit_code == 2
    verified = invoke("ledger", "verify", "--ledger", postgres_url)
    assert verified.exit_code == 0, verified.output
    with Ledger.open(postgres_url) as ledger:
        assert ledger.head()[0] == ledger.verify().checked > 1000
