"""``roost ledger`` through the installed console script, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger import Ledger, NewEvent
from tests.ledger.sample_events import at

ROOST = str(Path(sys.executable).parent / "roost")


def roost(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ROOST, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(params=["sqlite-file", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite-file":
        return str(tmp_path / "ledger.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


def fill(location: str, streams: int = 3, per_stream: int = 4) -> None:
    with Ledger.open(location) as ledger:
        for s in range(streams):
            batch = [
                NewEvent("test.counted", {"amount": i, "note": "é€"}, at(i))
                for i in range(per_stream)
            ]
            ledger.append(f"canary/ns/c{s}", batch, expected_version=0)


def test_upgrade_creates_a_ledger(location: str) -> None:
    done = roost("ledger", "upgrade", "--ledger", location)
    assert done.returncode == 0, done.stderr
    assert "schema revision 0002" in done.stdout
    info = roost("ledger", "info", "--ledger", location)
    assert "events:          0" in info.stdout


def test_the_ledger_location_comes_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "env.db"
    done = roost("ledger", "upgrade", env={"ROOST_LEDGER": str(path)})
    assert done.returncode == 0, done.stderr
    assert path.exists()


def test_verify_passes_then_names_the_tampered_position(location: str) -> None:
    fill(location)
    ok = roost("ledger", "verify", "--ledger", location)
    assert ok.returncode == 0 and "ok: 12 events" in ok.stdout
    with Ledger.open(location) as ledger, ledger.engine.begin() as conn:
        conn.execute(
            text("UPDATE events SET payload = :p WHERE position = 6"), {"p": '{"amount":7}'}
        )
    bad = roost("ledger", "verify", "--ledger", location)
    assert bad.returncode == 1
    assert "FAILED at position 6" in bad.stderr


def test_export_then_import_reproduces_the_ledger_exactly(location: str, tmp_path: Path) -> None:
    fill(location)
    dump = tmp_path / "dump.jsonl"
    exported = roost("ledger", "export", "--ledger", location, "-o", str(dump))
    assert exported.returncode == 0, exported.stderr
    lines = dump.read_text().splitlines()
    assert len(lines) == 12
    first = json.loads(lines[0])
    assert first["payload"] == {"amount": 0, "note": "é€"}
    assert set(first) == {
        "position", "stream", "version", "type", "schema_version",
        "occurred_at", "recorded_at", "payload", "hash",
    }  # fmt: skip
    target = str(tmp_path / "copy.db")
    imported = roost("ledger", "import", str(dump), "--ledger", target)
    assert imported.returncode == 0, imported.stderr
    assert "imported 12 events; hash chain verified" in imported.stdout
    with Ledger.open(location) as a, Ledger.open(target) as b:
        assert list(a.read_all()) == list(b.read_all())


def test_export_to_stdout(location: str) -> None:
    fill(location, streams=1, per_stream=2)
    out = roost("ledger", "export", "--ledger", location)
    assert out.returncode == 0
    assert [json.loads(line)["version"] for line in out.stdout.splitlines()] == [1, 2]


def test_import_refuses_an_altered_file_and_leaves_the_target_empty(
    location: str, tmp_path: Path
) -> None:
    fill(location)
    dump = tmp_path / "dump.jsonl"
    roost("ledger", "export", "--ledger", location, "-o", str(dump))
    lines = dump.read_text().splitlines()
    record = json.loads(lines[4])
    record["payload"]["amount"] = 1000
    lines[4] = json.dumps(record)
    dump.write_text("\n".join(lines) + "\n")
    target = str(tmp_path / "copy.db")
    refused = roost("ledger", "import", str(dump), "--ledger", target)
    assert refused.returncode == 2
    assert "line 5" in refused.stderr and "altered" in refused.stderr
    with Ledger.open(target) as ledger:
        assert ledger.head()[0] == 0


def test_import_needs_an_empty_ledger(location: str, tmp_path: Path) -> None:
    fill(location)
    dump = tmp_path / "dump.jsonl"
    roost("ledger", "export", "--ledger", location, "-o", str(dump))
    refused = roost("ledger", "import", str(dump), "--ledger", location)
    assert refused.returncode == 2
    assert "empty ledger" in refused.stderr


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    missing_dir = roost("ledger", "verify", "--ledger", str(tmp_path / "no" / "l.db"))
    assert missing_dir.returncode == 2
    assert missing_dir.stderr.startswith("error: cannot create ledger")
    missing_file = roost("ledger", "import", str(tmp_path / "nothing.jsonl"))
    assert missing_file.returncode == 2 and "no such file" in missing_file.stderr


def test_a_file_that_is_not_a_ledger_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "notes.db"
    bad.write_text("not a database")
    done = subprocess.run(
        [str(ROOST), "ledger", "info", "--ledger", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "cannot open the ledger" in done.stderr and "Traceback" not in done.stderr


def test_an_unreachable_database_does_not_show_its_password() -> None:
    url = "postgresql+psycopg://roost:s3cret@127.0.0.1:1/ledger"
    done = subprocess.run(
        [str(ROOST), "ledger", "info", "--ledger", url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "cannot open the ledger" in done.stderr
    assert "s3cret" not in done.stderr + done.stdout
