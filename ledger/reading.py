"""Decoding a whole stream for a read model (replay, what-if, explain), fast.

Streams repeat themselves: an operator records the same large payload tick after tick (the
Canary spec it observed), differing only in the event's time. Decoding one of those costs tens of
microseconds, most of a replay's budget, so :func:`read_events` decodes each distinct large
payload once and gives later copies the same value with their own ``at``. Everything else goes
through ``EventRegistry.decode_rows`` unchanged; the events are equal to decoding every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ledger.records import PayloadRow
from ledger.registry import EventRegistry
from ledger.store import Ledger
from reducers.base import Event

LARGE = 512
"""Payloads shorter than this decode faster than they can be looked up and copied."""
_AT = '{"at":"'


def read_events(ledger: Ledger, registry: EventRegistry, stream: str) -> list[Event]:
    """The decoded events of ``stream`` in version order.

    A list, not a generator: a caller that builds on every event keeps them all anyway, and
    decoding a page at once before building on it measured faster than interleaving the two."""
    seen: dict[tuple[str, int, str], Event] = {}
    events: list[Event] = []
    for page in ledger.read_stream_payloads(stream):
        events.extend(_decode_page(registry, page, seen))
    return events


def _decode_page(
    registry: EventRegistry, page: Sequence[PayloadRow], seen: dict[tuple[str, int, str], Event]
) -> list[Event]:
    # First pass: which rows repeat a payload already decoded (or about to be, in this page);
    # second: decode the others in one ``decode_rows`` call; third: fill in the repeats.
    todo: list[PayloadRow] = []
    plan: list[tuple[int, tuple[str, int, str] | None, datetime | None]] = []
    first_in_page: dict[tuple[str, int, str], int] = {}
    for row in page:
        text = row[5]
        # Canonical JSON sorts keys, so ``at`` comes first in most payloads; a payload with a
        # key sorting before it (``action``) is simply decoded.
        if len(text) >= LARGE and text.startswith(_AT):
            end = text.find('"', len(_AT))
            key = (row[3], row[4], text[end + 1 :])
            if key in seen or key in first_in_page:
                try:
                    when = datetime.fromisoformat(text[len(_AT) : end])
                except ValueError:
                    pass
                else:
                    plan.append((-1, key, when))
                    continue
            first_in_page[key] = len(todo)
            plan.append((len(todo), key, None))
        else:
            plan.append((len(todo), None, None))
        todo.append(row)
    decoded = list(registry.decode_rows(todo))
    for first, index in first_in_page.items():
        seen.setdefault(first, decoded[index])
    out: list[Event] = []
    for index, repeated, at in plan:
        if index >= 0:
            out.append(decoded[index])
        else:
            # A shallow copy: the events share the decoded payload's inner values, which no
            # one mutates (events are frozen values; whoever changes a spec copies it first).
            assert repeated is not None
            out.append(seen[repeated].model_copy(update={"at": at}))
    return out
