"""Two processes on one ledger: appends to one stream never interleave, and readers never wait
for a writer. Runs on a SQLite file and on PostgreSQL (in-memory SQLite is single-process)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from ledger import Ledger, NewEvent
from tests.ledger.sample_events import at

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite-file", "postgres"])
def shared_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    location: str
    if request.param == "sqlite-file":
        location = str(tmp_path / "ledger.db")
    else:
        location = request.getfixturevalue("postgres_url")
    Ledger.open(location).close()  # migrate once, before the writers race
    return location


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ledger.appender", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err
    return out.strip()


def test_the_second_writer_of_a_new_stream_fails_and_writes_nothing(
    shared_location: str, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    procs = [_spawn("once", shared_location, "s", w, "50", str(go)) for w in ("w1", "w2")]
    go.touch()
    outcomes = sorted(_finish(p) for p in procs)
    assert outcomes == ["conflict", "ok"]
    with Ledger.open(shared_location) as ledger:
        written = list(ledger.read_stream("s"))
        assert [e.version for e in written] == list(range(1, 51))
        assert len({e.payload["writer"] for e in written}) == 1  # one writer's batch, whole
        assert ledger.verify().ok


def test_racing_writers_retry_and_never_interleave_versions(
    shared_location: str, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    procs = [_spawn("race", shared_location, "s", w, "40", str(go)) for w in ("w1", "w2")]
    go.touch()
    for p in procs:
        _finish(p)
    with Ledger.open(shared_location) as ledger:
        written = list(ledger.read_stream("s"))
        assert [e.version for e in written] == list(range(1, 81))
        assert Counter(e.payload["writer"] for e in written) == {"w1": 40, "w2": 40}
        for writer in ("w1", "w2"):
            mine = [e.payload["i"] for e in written if e.payload["writer"] == writer]
            assert mine == list(range(40))
        assert ledger.verify().ok


def test_readers_read_while_a_writer_holds_its_transaction(
    shared_location: str, tmp_path: Path
) -> None:
    with Ledger.open(shared_location) as ledger:
        ledger.append("s", [NewEvent("test.write", {"i": -1}, at(0))], expected_version=0)
        ready, release = tmp_path / "ready", tmp_path / "release"
        writer = _spawn("hold", shared_location, "s", "w", "10", str(ready), str(release))
        try:
            deadline_polls = 0
            while not ready.exists():
                deadline_polls += 1
                assert writer.poll() is None, writer.stderr.read() if writer.stderr else ""
                time.sleep(0.01)
                assert deadline_polls < 6000, "writer never became ready"
            # The writer holds the write lock with 10 uncommitted events: reads still answer,
            # and see only what was committed.
            assert [e.version for e in ledger.read_stream("s")] == [1]
            assert ledger.head()[0] == 1
        finally:
            release.touch()
            _finish(writer)
        assert [e.version for e in ledger.read_stream("s")] == list(range(1, 12))
        assert ledger.verify().ok
