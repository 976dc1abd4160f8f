"""Reading fields of the ``payload`` JSON text in SQL, one expression for SQLite and PostgreSQL.

The audit queries (``ledger.audit``) answer in SQL so they never decode events in Python, and the
same Core expression must run on both backends. Payloads are stored as text; SQLite reads a field
with ``json_extract``, PostgreSQL casts the text to ``jsonb`` first. These three constructs are the
whole difference, compiled per dialect. Keys are our own field names (checked), never user input.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Boolean, Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import Alias
from sqlalchemy.sql.visitors import InternalTraversal

_KEY = re.compile(r"^[a-z_]+$")


class _JsonAccess(FunctionElement[Any]):
    # The key is part of the statement's text, so it must be part of its cache key too.
    _traverse_internals = [
        *FunctionElement._traverse_internals,
        ("key", InternalTraversal.dp_string),
    ]
    inherit_cache = True

    def __init__(self, payload: ColumnElement[Any], key: str) -> None:
        if not _KEY.match(key):
            raise ValueError(f"not a payload field name: {key!r}")
        self.key = key
        super().__init__(payload)


class json_field(_JsonAccess):
    """A scalar field as an SQL value: text, number (SQLite) or text (PostgreSQL); cast it."""

    type = Text()
    name = "json_field"
    inherit_cache = True


class json_part(_JsonAccess):
    """A field holding an object, as JSON text (equal values give equal text on one backend)."""

    type = Text()
    name = "json_part"
    inherit_cache = True


class json_true(_JsonAccess):
    """Whether a boolean field is ``true`` (false when missing)."""

    type = Boolean()
    name = "json_true"
    inherit_cache = True


def _payload(element: _JsonAccess, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(json_field, "sqlite")
@compiles(json_part, "sqlite")
def _sqlite_field(element: _JsonAccess, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_extract({_payload(element, compiler, **kw)}, '$.{element.key}')"


@compiles(json_true, "sqlite")
def _sqlite_true(element: json_true, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(json_type({_payload(element, compiler, **kw)}, '$.{element.key}') = 'true')"


@compiles(json_field, "postgresql")
def _pg_field(element: json_field, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(CAST({_payload(element, compiler, **kw)} AS JSONB) ->> '{element.key}')"


@compiles(json_part, "postgresql")
def _pg_part(element: json_part, compiler: SQLCompiler, **kw: Any) -> str:
    # jsonb's text form is normalised (key order, spacing): equal values, equal text.
    return f"CAST(CAST({_payload(element, compiler, **kw)} AS JSONB) -> '{element.key}' AS TEXT)"


@compiles(json_true, "postgresql")
def _pg_true(element: json_true, compiler: SQLCompiler, **kw: Any) -> str:
    payload = _payload(element, compiler, **kw)
    return f"COALESCE(CAST({payload} AS JSONB) -> '{element.key}' = 'true'::jsonb, false)"


class _IndexedAlias(Alias):
    """``events`` under another name, read through one named index on SQLite.

    SQLite's planner has no statistics on a fresh ledger and may prefer the ``(stream, version)``
    key, which reads the table for every event of a run; ``INDEXED BY`` pins the covering index.
    Every query on such an alias must repeat the index's condition, or SQLite refuses it. Other
    backends get a plain alias. One subclass per index, so the index is part of the cache key."""

    inherit_cache = True
    INDEX = ""


class BoundsAlias(_IndexedAlias):
    inherit_cache = True
    INDEX = "ix_events_run_bounds"


class MeasuresAlias(_IndexedAlias):
    inherit_cache = True
    INDEX = "ix_events_run_measures"


def bounds_alias(table: Any, name: str) -> BoundsAlias:
    alias: BoundsAlias = BoundsAlias._construct(table, name=name)
    return alias


def measures_alias(table: Any, name: str) -> MeasuresAlias:
    alias: MeasuresAlias = MeasuresAlias._construct(table, name=name)
    return alias


@compiles(_IndexedAlias)
def _plain_alias(element: _IndexedAlias, compiler: SQLCompiler, **kw: Any) -> str:
    text: str = compiler.visit_alias(element, **kw)  # type: ignore[no-untyped-call]
    return text


@compiles(_IndexedAlias, "sqlite")
def _sqlite_alias(element: _IndexedAlias, compiler: SQLCompiler, **kw: Any) -> str:
    text: str = compiler.visit_alias(element, **kw)  # type: ignore[no-untyped-call]
    if kw.get("asfrom") and not kw.get("ashint"):
        text += f" INDEXED BY {element.INDEX}"
    return text
