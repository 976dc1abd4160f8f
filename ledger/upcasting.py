"""Upcasters: how an old payload of an event type becomes the next schema version's payload.

Stored events are never rewritten. When a type's schema changes, its ``SCHEMA_VERSION`` goes up
and one function here turns a ``vN`` payload into a ``vN+1`` payload; reading chains them up to the
current version. Every upcaster is tested with a payload recorded from the old version
(tests/ledger/recorded/), and a test fails when one has no recording.

There are no upcasters yet: every event type is at its first schema version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]
UpcasterTable = dict[tuple[str, int], Upcaster]

#: (event type, from schema version) -> function producing the payload of version + 1.
UPCASTERS: UpcasterTable = {}


def upcaster(type_name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register ``fn`` as the ``from_version -> from_version + 1`` upcaster of ``type_name``."""

    def register(fn: Upcaster) -> Upcaster:
        key = (type_name, from_version)
        if key in UPCASTERS:
            raise ValueError(f"two upcasters for {type_name} v{from_version}")
        UPCASTERS[key] = fn
        return fn

    return register


def upcast(
    table: UpcasterTable, type_name: str, version: int, target: int, payload: Payload
) -> Payload:
    """Apply the chain of upcasters from ``version`` up to ``target``."""
    while version < target:
        step = table.get((type_name, version))
        if step is None:
            raise LookupError(f"no upcaster for {type_name} v{version} -> v{version + 1}")
        payload = step(payload)
        version += 1
    return payload
