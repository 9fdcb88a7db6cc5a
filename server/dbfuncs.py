"""Portable SQL helpers for the few places SQLite and PostgreSQL differ."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from typing import Any

from sqlalchemy import any_, bindparam, func, literal_column, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from .extensions import db


def json_array_contains(column: Any, value: str) -> ColumnElement[bool]:
    """True where the JSON array ``column`` holds the string ``value``."""
    if db.engine.dialect.name == "postgresql":
        # The column's type is JSON with a JSONB variant, whose comparator has no ``@>``:
        # coerce to JSONB for containment (which can use a GIN index).
        return type_coerce(column, JSONB).contains([value])
    items = func.json_each(column).table_valued("value")
    return select(literal_column("1")).select_from(items).where(items.c.value == value).exists()


def among(column: Any, values: Collection[Any]) -> ColumnElement[bool]:
    """``column IN values``, as one array parameter on PostgreSQL (``= ANY``).

    An expanded ``IN`` of a thousand values is a new statement of a thousand parameters
    each time, which SQLAlchemy renders and psycopg parses again; an array is one value.
    """
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def fold(text: str | None) -> str:
    """Lower-case, accent-free form used for search ('Société' -> 'societe')."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


class unindexed(FunctionElement[Any]):  # noqa: N801 - reads as a SQL function
    """``column`` as it is, but on SQLite not a candidate for driving the scan (``+column``).

    SQLite has no statistics by default and believes a test on an indexed column picks
    few rows; ``+`` (its documented way) keeps it on the index the query is ordered by.
    Other databases get the plain column and choose for themselves.
    """

    inherit_cache = True
    name = "unindexed"

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _unindexed(element: unindexed, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + compiler.process(element.clauses, **kw)
