"""Audit benchmark: ``roost audit`` queries over a ledger of a million events.

Not a test; it asserts nothing about speed. The ledger is built fast but honestly: a handful of
canaries are simulated once with the real simulator (healthy, rolled back, superseded by a new
revision, held at a gate, promotion failed, aborted by a command), and their recorded events are
then appended again, copy after copy, under new stream names (``canary/bench-N/NAME``) through
``Ledger.append`` — redacted, canonicalised and hash-chained like any append — with times moved
one hour on per copy, until the ledger holds ``--events`` events. ``verify`` walks the chain after
building (``--no-verify`` skips it) so the figures are for a valid ledger.

Each query is timed as ``roost audit`` runs it (``ledger.audit``: build the statement, run it,
shape the rows): median wall time (``time.perf_counter``) and CPU time (``time.process_time``)
of ``--repeat`` runs after one untimed pass, next to baselines from the same run:
``SELECT count(*) FROM events`` (the cheapest question that touches every row) and
``SELECT count(*) ... WHERE type = 'canary.run-started'`` (an index lookup).
Target (docs/performance.md): ``audit runs`` over 1M events < 100 ms.
Run: ``.venv/bin/python bench/audit.py [--events N] [--repeat N] [--ledger PATH]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python bench/audit.py``, this file's folder heads sys.path; ``bench/ledger.py`` would
# shadow the ``ledger`` package.
sys.path.remove(str(Path(__file__).resolve().parent))

import argparse
import copy
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson
import yaml
from sqlalchemy import text

from controller.simulation import load_script, simulate
from ledger import Ledger, NewEvent, audit, audit_trail
from ledger.engines import Synchronous
from reducers.spec import Canary

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"

SCRIPTS: dict[str, Any] = {
    "healthy": None,
    "failing": yaml.safe_load((EXAMPLES / "podinfo-failing-script.yaml").read_text()),
    "restarted": [{}, {"target": {"revision": "v2"}}, {}, {}, {"target": {"revision": "v3"}}]
    + [{"repeat": 12}],
    "gated": [
        {},
        {"target": {"revision": "v2"}},
        {"webhooks": {"approve-promotion": 403}, "repeat": 8},
        {"webhooks": {"approve-promotion": 200}, "repeat": 4},
    ],
    "promotion-failed": [
        {},
        {"target": {"revision": "v2"}},
        {"repeat": 7},
        {"primary": {"ready": False, "deadlineExceeded": True}, "repeat": 4},
    ],
    "aborted": [
        {},
        {"target": {"revision": "v2"}},
        {"repeat": 2},
        {"command": {"command": "abort", "by": "alice"}},
        {"repeat": 3},
    ],
}


def _canary(name: str) -> Canary:
    doc = copy.deepcopy(yaml.safe_load((EXAMPLES / "podinfo-canary.yaml").read_text()))
    doc["metadata"] = {"name": name, "namespace": "bench"}
    return Canary.model_validate(doc)


def _templates(scratch: Path) -> dict[str, list[NewEvent]]:
    """Each scripted canary's recorded events, as appends to make again."""
    source = scratch / "source.db"
    with Ledger.open(str(source), synchronous=Synchronous.NORMAL) as ledger:
        for name, script in SCRIPTS.items():
            simulate(_canary(name), None if script is None else load_script(script), ledger=ledger)
        return {
            audit.canary_of(stream).split("/")[1]: [
                NewEvent(e.type, orjson.loads(e.payload_text), e.occurred_at, e.schema_version)
                for e in ledger.read_stream(stream)
            ]
            for stream in ledger.streams()
        }


def _moved(template: list[NewEvent], namespace: str, shift: timedelta) -> list[NewEvent]:
    out = []
    for e in template:
        at = e.occurred_at + shift
        payload = {**e.payload, "at": at.isoformat().replace("+00:00", "Z")}
        if e.type == "canary.spec-observed":
            payload["namespace"] = namespace
        out.append(NewEvent(e.type, payload, at, e.schema_version))
    return out


def build(path: Path, target: int) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        templates = _templates(Path(scratch))
    written = 0
    copy_number = 0
    with Ledger.open(str(path), synchronous=Synchronous.NORMAL) as ledger:
        while written < target:
            namespace = f"bench-{copy_number}"
            shift = timedelta(hours=copy_number)
            for name, template in templates.items():
                batch = _moved(template, namespace, shift)
                ledger.append(f"canary/{namespace}/{name}", batch, expected_version=0)
                written += len(batch)
            copy_number += 1
    return written


def medians_ms(repeat: int, work: Callable[[], object]) -> tuple[float, float, object]:
    """Median wall and CPU time of ``work`` in ms, after one untimed pass (page cache, SQLAlchemy's
    statement cache). CPU time is shown too: on a shared machine wall time includes waiting for a
    core."""
    result = work()
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--ledger", help="build (or reuse, when it exists) the ledger here")
    parser.add_argument("--no-verify", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(args.ledger) if args.ledger else Path(scratch) / "audit.db"
        if not path.exists():
            started = time.perf_counter()
            written = build(path, args.events)
            print(f"built {written:,} events in {time.perf_counter() - started:.1f} s")
        with Ledger.open(str(path)) as ledger:
            if not args.no_verify:
                report = ledger.verify()
                if not report.ok:
                    raise SystemExit(f"the generated ledger does not verify: {report.problem}")
                print(f"verified: {report.checked:,} events, hash chain intact")
            events, _ = ledger.head()
            print(f"{events:,} events, {len(ledger.streams()):,} canaries\n")

            def count_all() -> int:
                with ledger.engine.connect() as conn:
                    return int(conn.scalar(text("SELECT count(*) FROM events")) or 0)

            def count_starts() -> int:
                with ledger.engine.connect() as conn:
                    query = "SELECT count(*) FROM events WHERE type = 'canary.run-started'"
                    return int(conn.scalar(text(query)) or 0)

            one = audit.Filters(canary="bench-0/failing")
            work: list[tuple[str, Callable[[], Any]]] = [
                ("baseline: SELECT count(*) FROM events", count_all),
                ("baseline: count of run-started (type index)", count_starts),
                ("audit runs", lambda: audit.runs(ledger)),
                ("audit runs --outcome failed", lambda: audit.runs(ledger, outcome="failed")),
                ("audit runs --canary (one canary)", lambda: audit.runs(ledger, one)),
                ("audit failures", lambda: audit.failures(ledger)),
                ("audit approvals", lambda: audit_trail.approvals(ledger)),
                ("audit changes", lambda: audit_trail.changes(ledger)),
                ("audit events --limit 100", lambda: audit.event_list(ledger, limit=100)),
            ]
            baseline = 0.0
            heading = f"median of {args.repeat}"
            print(f"{heading:<46} {'wall':>9}     {'cpu':>7}     {'/count':>6}")
            for label, job in work:
                ms, cpu, result = medians_ms(args.repeat, job)
                baseline = baseline or ms
                size = result if isinstance(result, int) else len(result)
                print(
                    f"{label:<46} {ms:9.1f} ms  {cpu:7.1f} ms  {ms / baseline:6.1f}x  "
                    f"({size:,} rows)"
                )


if __name__ == "__main__":
    main()
