"""Portable SQL helpers for the few places SQLite and PostgreSQL differ."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    type_coerce,
)
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


def among_parameter(column: Any, name: str, dialect: str) -> ColumnElement[bool]:
    """``column IN :name``, the list given at execution: :func:`among` for a statement
    built once and executed many times (on PostgreSQL ``= ANY``, elsewhere an expanding
    ``IN``)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def fold(text: str | None) -> str:
    """Lower-case, accent-free form used for search ('Société' -> 'societe')."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts by column key, all with the same keys) into ``table``.

    On PostgreSQL, ``COPY ... FROM STDIN`` when it stores what the INSERT would: each value
    goes through its column type's bind processing as for an INSERT (JSON, enums, UTC
    timestamps), and every column left out has no Python-side default (the database's
    own, such as a sequence, applies either way). COPY sends the rows as one stream
    instead of one statement each: about half the time of an executemany for the change
    log and the stored outcomes of a push. Elsewhere, or when a left-out column has a
    Python default, an executemany INSERT.
    """
    if not rows:
        return
    keys = list(rows[0])
    columns = [table.c[key] for key in keys]
    left_out = [c for c in table.c if c.key not in rows[0]]
    dialect = connection.dialect
    if dialect.name != "postgresql" or any(c.default is not None for c in left_out):
        connection.execute(insert(table), rows)
        return
    processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in columns)
    table_name = dialect.identifier_preparer.format_table(table)
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table_name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [
                    value if process is None else process(value)
                    for value, process in zip((row[k] for k in keys), processors, strict=True)
                ]
            )


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
