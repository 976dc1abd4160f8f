"""A separate process that writes to a ledger, for the cross-process concurrency tests.

usage: python -m tests.ledger.appender MODE LOCATION STREAM WRITER COUNT GO_FILE [RELEASE_FILE]
  once  - wait for GO_FILE, append COUNT events in one batch expecting a new stream
  race  - wait for GO_FILE, append COUNT single events, retrying on conflicts
  hold  - append COUNT events inside a write transaction and keep it open until RELEASE_FILE
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

from ledger import ConcurrencyError, Ledger, NewEvent, StoredEvent
from ledger.store import seal
from tests.ledger.sample_events import at


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"{path} never appeared")
        time.sleep(0.005)


def main(argv: list[str]) -> int:
    mode, location, stream, writer, count, go = argv[:6]
    n = int(count)
    with Ledger.open(location) as ledger:
        if mode == "hold":
            _hold(ledger, stream, writer, n, Path(go), Path(argv[6]))
            return 0
        _wait_for(Path(go))
        if mode == "once":
            batch = [NewEvent("test.write", {"writer": writer, "i": i}, at(i)) for i in range(n)]
            try:
                ledger.append(stream, batch, expected_version=0)
            except ConcurrencyError:
                print("conflict")
                return 0
            print("ok")
            return 0
        conflicts = 0
        for i in range(n):
            while True:
                version = ledger.stream_version(stream)
                event = NewEvent("test.write", {"writer": writer, "i": i}, at(i))
                try:
                    ledger.append(stream, [event], expected_version=version)
                    break
                except ConcurrencyError:
                    conflicts += 1
        print(f"conflicts={conflicts}")
    return 0


def _hold(ledger: Ledger, stream: str, writer: str, n: int, ready: Path, release: Path) -> None:
    position, previous = ledger.head()
    version = ledger.stream_version(stream)
    with ledger.writing() as conn:
        records = []
        for i in range(n):
            unsealed = StoredEvent(
                position=position + i + 1,
                stream=stream,
                version=version + i + 1,
                type="test.write",
                schema_version=1,
                occurred_at=at(i),
                recorded_at=at(i),
                payload_text=f'{{"i":{i},"writer":"{writer}"}}',
                hash="",
            )
            previous = seal(previous, unsealed)
            records.append(replace(unsealed, hash=previous))
        ledger.insert_verbatim(records, conn)
        ready.touch()
        _wait_for(release)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
