"""Canonical JSON and the hash chain.

Every stored payload is canonical JSON (sorted keys, no insignificant white space), so the same
payload is always the same bytes. Each event's hash is SHA-256 over the previous event's hash and
this event's canonical content; ``verify`` recomputes the chain from the stored columns alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from ledger.errors import LedgerError


def canonical_json(value: Mapping[str, Any]) -> str:
    """The one text form of a payload: sorted keys, compact, UTF-8, naive datetimes refused."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError as e:
        raise LedgerError(f"payload is not JSON-serialisable: {e}") from e


@lru_cache(maxsize=1024)  # a batch shares one recorded_at; replays revisit the same times
def iso_utc(moment: datetime) -> str:
    """A fixed-width UTC timestamp with microseconds, e.g. ``2026-01-01T00:00:00.000000Z``."""
    if moment.tzinfo is None:
        raise LedgerError(f"naive datetime {moment!r}: ledger times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_hash(
    previous: str,
    *,
    position: int,
    stream: str,
    version: int,
    type: str,
    schema_version: int,
    occurred_at: datetime,
    recorded_at: datetime,
    payload_text: str,
) -> str:
    """Hash of one event, chained to the hash of the event before it in global order."""
    header = orjson.dumps(
        [
            position,
            stream,
            version,
            type,
            schema_version,
            iso_utc(occurred_at),
            iso_utc(recorded_at),
        ]
    )
    digest = hashlib.sha256(bytes.fromhex(previous))
    digest.update(header)
    digest.update(b"\n")
    digest.update(payload_text.encode())
    return digest.hexdigest()
