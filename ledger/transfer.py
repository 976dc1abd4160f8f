"""Export a ledger to JSON Lines and import such a file into an empty ledger.

One event per line, with every stored column, so an import reproduces the ledger exactly: the
same positions, times, payload bytes and hashes. Import checks the chain as it goes and writes in
one transaction, so a damaged file leaves the target ledger empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

import orjson

from ledger.codecs import canonical_json, iso_utc
from ledger.errors import TransferError
from ledger.records import GENESIS_HASH, StoredEvent
from ledger.store import Ledger, seal

_BATCH = 2000


def export_jsonl(ledger: Ledger, out: IO[bytes]) -> int:
    """Write every event as one JSON object per line; return how many were written."""
    count = 0
    for event in ledger.read_all():
        line = {
            "position": event.position,
            "stream": event.stream,
            "version": event.version,
            "type": event.type,
            "schema_version": event.schema_version,
            "occurred_at": iso_utc(event.occurred_at),
            "recorded_at": iso_utc(event.recorded_at),
            "payload": orjson.Fragment(event.payload_text),
            "hash": event.hash,
        }
        out.write(orjson.dumps(line) + b"\n")
        count += 1
    return count


def import_jsonl(ledger: Ledger, source: IO[bytes]) -> int:
    """Append every event of an export into ``ledger``, which must be empty; return the count."""
    if ledger.head()[0] != 0:
        raise TransferError("import needs an empty ledger; this one already holds events")
    count = 0
    with ledger.writing() as conn:
        batch: list[StoredEvent] = []
        for record in _records(ledger, source):
            batch.append(record)
            count += 1
            if len(batch) >= _BATCH:
                ledger.insert_verbatim(batch, conn)
                batch = []
        if batch:
            ledger.insert_verbatim(batch, conn)
    return count


def _records(ledger: Ledger, source: IO[bytes]) -> Iterator[StoredEvent]:
    previous, expected = GENESIS_HASH, 1
    for number, raw in enumerate(source, start=1):
        if not raw.strip():
            continue
        record = _parse(number, raw)
        if record.position != expected:
            raise TransferError(f"line {number}: position {record.position}, expected {expected}")
        redacted = canonical_json(ledger.redactor.redact(record.payload))
        if redacted != record.payload_text:
            raise TransferError(
                f"line {number}: the payload carries values the ledger never stores (secrets); "
                "refusing to import it"
            )
        if seal(previous, record) != record.hash:
            raise TransferError(
                f"line {number}: hash of position {record.position} does not match its content "
                "and the previous hash: the file was altered"
            )
        previous, expected = record.hash, expected + 1
        yield record


def _parse(number: int, raw: bytes) -> StoredEvent:
    try:
        data: dict[str, Any] = orjson.loads(raw)
        return StoredEvent(
            position=int(data["position"]),
            stream=str(data["stream"]),
            version=int(data["version"]),
            type=str(data["type"]),
            schema_version=int(data["schema_version"]),
            occurred_at=datetime.fromisoformat(data["occurred_at"]),
            recorded_at=datetime.fromisoformat(data["recorded_at"]),
            payload_text=canonical_json(data["payload"]),
            hash=str(data["hash"]),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise TransferError(f"line {number}: not a ledger export record ({e})") from e
