"""Bringing a ledger database to the schema this code expects, only through Alembic.

Every command that opens a ledger calls ``migrate`` first. A database stamped with a revision this
code does not know was migrated by a newer Roost: we refuse to touch it rather than guess.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine

import migrations
from ledger.engines import WRITE
from ledger.errors import LedgerTooNewError

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent


def alembic_config() -> Config:
    """Alembic's configuration for our migrations, independent of the working directory."""
    cfg = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "migrations/ has no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> str:
    """Upgrade the database to this code's head revision; return that revision."""
    cfg = alembic_config()
    scripts = ScriptDirectory.from_config(cfg)
    current = current_revision(engine)
    if current is not None and not _known(scripts, current):
        raise LedgerTooNewError(
            f"the ledger is at schema revision {current}, which this Roost does not know "
            f"(it knows up to {scripts.get_current_head()}): it was written by a newer Roost; "
            "upgrade Roost to read it"
        )
    # A writer's transaction (SQLite BEGIN IMMEDIATE, a PostgreSQL advisory lock): replicas
    # started together on a fresh ledger migrate one after the other, not into each other.
    with engine.execution_options(**{WRITE: True}).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return head_revision()


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False
