"""Two partial covering indexes for the audit questions about runs.

``roost audit runs`` must answer over a million events in under 100 ms. Read through the type
index, every run start, ending, weight and halt cost a table lookup. These indexes hold those few
event types whole (payload included), ordered by stream and version, so the query reads them
alone: ``ix_events_run_bounds`` the starts and endings of runs, ``ix_events_run_measures`` what is
measured inside a run. On PostgreSQL, where an index entry must fit a third of a page, the two
types with free text (promotion errors, halts) stay out. The type lists are written out here:
the migration must not change when ``ledger.schema`` does.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BOUNDS = (
    "canary.run-started",
    "canary.run-restarted",
    "canary.succeeded",
    "canary.rolled-back",
    "canary.promotion-failed",
    "canary.terminated",
)
_MEASURES = ("canary.weight-advanced", "canary.routes-set", "canary.halted")
_FREE_TEXT = ("canary.promotion-failed", "canary.halted")


def _where(names: tuple[str, ...], *, postgres: bool = False) -> sa.TextClause:
    kept = [n for n in names if not (postgres and n in _FREE_TEXT)]
    return sa.text("type IN (" + ", ".join(f"'{name}'" for name in kept) + ")")


def upgrade() -> None:
    op.create_index(
        "ix_events_run_bounds",
        "events",
        ["stream", "version", "occurred_at", "type", "payload"],
        sqlite_where=_where(_BOUNDS),
        postgresql_where=_where(_BOUNDS, postgres=True),
    )
    op.create_index(
        "ix_events_run_measures",
        "events",
        ["stream", "version", "type", "payload"],
        sqlite_where=_where(_MEASURES),
        postgresql_where=_where(_MEASURES, postgres=True),
    )


def downgrade() -> None:
    op.drop_index("ix_events_run_measures", table_name="events")
    op.drop_index("ix_events_run_bounds", table_name="events")
