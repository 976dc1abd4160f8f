"""History benchmark: ``replay`` (fold, and fold + verify) and ``explain`` over a simulated ledger.

Not a test; it asserts nothing about speed. A ledger is generated once with the real simulator
(``--canaries`` short podinfo runs, half of them rolling back, plus one long run of
``--long-ticks`` ticks held at a refusing confirm-promotion gate, then promoted), and every figure
is measured on it in this run with ``time.perf_counter``, best of ``--repeat``:

- baselines: reading every stream and only ``orjson.loads``-ing the payloads; reading and
  decoding every event with the registry (what any reader of the ledger pays);
- replay: read + decode + ``build_history`` (the fold of every event, ticks and runs), i.e.
  ``roost replay`` before printing;
- replay --verify: the same plus ``verify`` (``decide`` again on every tick);
- explain of the long run: read + decode + ``build_history`` + ``explain`` of its last run.

Targets (docs/performance.md): replay >= 500,000 events/s; explain of a 10,000-tick run < 1 s.
Run: ``.venv/bin/python bench/history.py [--canaries N] [--long-ticks N] [--repeat N]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python bench/history.py``, this file's folder heads sys.path; ``bench/ledger.py`` would
# shadow the ``ledger`` package.
sys.path.remove(str(Path(__file__).resolve().parent))

import argparse
import copy
import gc
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import yaml

from controller.histories import collector_paused, load_histories
from controller.simulation import load_script, simulate
from ledger import EventRegistry, Ledger
from ledger.engines import Synchronous
from ledger.reading import read_events
from reducers.base import Event
from reducers.canary.explaining import explain
from reducers.canary.history import History, verify
from reducers.events import ALL_EVENTS
from reducers.spec import Canary

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"
LONG = "canary/bench/long"


def _canary(name: str, namespace: str = "bench") -> Canary:
    doc = yaml.safe_load((EXAMPLES / "podinfo-canary.yaml").read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    doc["metadata"] = {"name": name, "namespace": namespace}
    return Canary.model_validate(doc)


def generate(path: Path, canaries: int, long_ticks: int) -> None:
    failing = load_script(yaml.safe_load((EXAMPLES / "podinfo-failing-script.yaml").read_text()))
    held = load_script(
        [
            {},
            {"target": {"revision": "v2"}},
            {"webhooks": {"approve-promotion": 403}, "repeat": max(long_ticks - 10, 1)},
            {"webhooks": {"approve-promotion": 200}, "repeat": 8},
        ]
    )
    with Ledger.open(str(path), synchronous=Synchronous.NORMAL) as ledger:
        simulate(_canary("long"), held, ledger=ledger)
        for i in range(canaries):
            simulate(_canary(f"podinfo-{i}"), failing if i % 2 else None, ledger=ledger)


def read_streams(ledger: Ledger, streams: list[str]) -> Iterator[tuple[str, Iterator[Any]]]:
    for stream in streams:
        yield stream, (row for page in ledger.read_stream_payloads(stream) for row in page)


def best(repeat: int, work: Callable[[], int]) -> tuple[float, int]:
    times = []
    count = 0
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        count = work()
        times.append(time.perf_counter() - start)
    return min(times), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--canaries", type=int, default=400)
    parser.add_argument("--long-ticks", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    registry = EventRegistry(ALL_EVENTS)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "history.db"
        started = time.perf_counter()
        generate(path, args.canaries, args.long_ticks)
        print(f"generated in {time.perf_counter() - started:.1f} s: ", end="")
        with Ledger.open(str(path)) as ledger:
            streams = [s for s in ledger.streams() if s.startswith("canary/")]
            events, _ = ledger.head()
            print(f"{events:,} events, {len(streams)} canaries")

            def loads() -> int:
                n = 0
                for _, rows in read_streams(ledger, streams):
                    for row in rows:
                        orjson.loads(row[5])
                        n += 1
                return n

            def plain(stream: str) -> Iterator[Event]:
                for page in ledger.read_stream_payloads(stream):
                    yield from registry.decode_rows(page)

            def decoded(stream: str) -> list[Event]:
                return read_events(ledger, registry, stream)

            def decode() -> int:
                n = 0
                for stream in streams:
                    for _ in plain(stream):
                        n += 1
                return n

            def decode_repeats() -> int:
                with collector_paused():
                    return sum(len(decoded(stream)) for stream in streams)

            def histories() -> list[History]:
                return load_histories(ledger, streams, registry)

            def replay() -> int:
                return sum(len(t.events) for h in histories() for t in h.ticks)

            def replay_verify() -> int:
                n = 0
                for h in histories():
                    if verify(h) is not None:
                        raise SystemExit(f"{h.stream} does not replay exactly")
                    n += sum(len(t.events) for t in h.ticks)
                return n

            def explain_long() -> int:
                (history,) = load_histories(ledger, [LONG], registry)
                data = explain(history, history.run())
                return int(data["ticks"])

            rows = [
                ("read + orjson.loads (baseline)", *best(args.repeat, loads)),
                ("read + decode (baseline)", *best(args.repeat, decode)),
                ("read + decode, specs once, held (as replay)", *best(args.repeat, decode_repeats)),
                ("replay: read + decode + fold into runs", *best(args.repeat, replay)),
                ("replay --verify: + decide every tick", *best(args.repeat, replay_verify)),
            ]
            explain_time, long_ticks = best(args.repeat, explain_long)
    decode_rate = rows[1][2] / rows[1][1]
    print(f"{'workload':<44} {'seconds':>8} {'events/s':>12} {'vs decode':>10}")
    for name, seconds, count in rows:
        rate = count / seconds
        print(f"{name:<44} {seconds:>8.3f} {rate:>12,.0f} {rate / decode_rate:>9.2f}x")
    print(
        f"explain of a {long_ticks:,}-tick run (read + decode + fold + explain): "
        f"{explain_time:.3f} s"
    )
    replay_rate = rows[3][2] / rows[3][1]
    print(
        f"target replay >= 500,000 events/s: {replay_rate:,.0f} "
        f"{'PASS' if replay_rate >= 500_000 else 'MISS'}"
    )
    print(f"target explain < 1 s: {explain_time:.3f} s {'PASS' if explain_time < 1 else 'MISS'}")


if __name__ == "__main__":
    main()
