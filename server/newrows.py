"""New records of a batch (a sync push), kept as rows and inserted with SQLAlchemy Core.

Inside :func:`batch`, ``server.records.create`` does not build an ORM object for a new
record: it queues the row the ORM would have inserted (:func:`queue`) and gets back a
:class:`NewRecord`, a read-only view of its values that the write layer's rules, the batch
memo and the change log read like the record. The rows go to the database together, one
insert per table and set of columns (COPY on PostgreSQL, see ``dbfuncs.insert_rows``), in
foreign-key order (:func:`insert_pending`):

- before any statement the session executes (as autoflush would: a later query sees them),
- before the ORM flushes objects (which may refer to them),
- when a savepoint is released and before the commit.

A rolled-back savepoint drops the rows it queued (:func:`mark`, :func:`discard_since`); a
rolled-back transaction drops them all. Outside :func:`batch` (the REST API) nothing changes:
records are ORM objects, flushed at once.

The row is the one the ORM's flush would insert for the same values: a ``None`` is left out
where the column has a default (which then applies, as the ORM leaves it out too) unless
the column stores ``None`` as a value (JSON null), the search text is computed as the
``Searchable`` mapper event computes it, and the columns' Python defaults are applied by
Core as they are for the ORM. (A ``None`` for a column without default is kept: NULL either
way, and rows of a table then share their columns, one statement for more of them.)
``tests/test_sync_rows.py`` compares records created by a push with the same records
created through the REST API.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import Table, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from .dbfuncs import insert_rows
from .extensions import db
from .search import Searchable, search_text

_ACTIVE = "tournee.newrows_batch"
_PENDING = "tournee.newrows_pending"


class NewRecord:
    """A record created in this batch: its values, read as attributes.

    An attribute that was not given reads as ``None``, as on a new ORM object before its
    flush (the memo and the rules only read ids, owners, accounts and deletion marks).
    """

    __slots__ = ("model", "values")

    def __init__(self, model: type, values: dict[str, Any]) -> None:
        self.model = model
        self.values = values

    @property
    def __entity__(self) -> str:
        """The entity name of the model."""
        return self.model.__entity__

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            if name in _columns(self.model):
                return None
            raise AttributeError(f"{self.model.__name__} has no column {name!r}") from None


@contextmanager
def batch() -> Iterator[None]:
    """Inside the block, new records are queued rows (see the module's docstring)."""
    db.session.info[_ACTIVE] = True
    try:
        yield
    finally:
        db.session.info.pop(_ACTIVE, None)


def active() -> bool:
    """True inside :func:`batch`."""
    return bool(db.session.info.get(_ACTIVE))


def can_queue(model: type, values: Mapping[str, Any]) -> bool:
    """True when every value is a plain column of ``model`` (no relationship to cascade)."""
    columns = _columns(model)
    return all(name in columns for name in values)


def queue(model: type, values: dict[str, Any]) -> NewRecord:
    """Queue the row of a new record of ``model`` (``values`` include id and stamps)."""
    record = NewRecord(model, values)
    columns = _columns(model)
    row = {
        columns[name]: value
        for name, value in values.items()
        if value is not None or name not in _defaulted(model)
    }
    if issubclass(model, Searchable):
        row[columns["search_text"]] = search_text(values.get(n) for n in model.__search_fields__)
    db.session.info.setdefault(_PENDING, []).append((model.__table__, row))
    return record


def mark() -> int:
    """How many rows are queued now (to drop a rolled-back savepoint's rows)."""
    return len(db.session.info.get(_PENDING, ()))


def discard_since(position: int) -> None:
    """Drop the rows queued after :func:`mark` returned ``position`` (savepoint undone)."""
    pending = db.session.info.get(_PENDING)
    if pending is not None:
        del pending[position:]


def insert_pending(session: Session) -> None:
    """Insert the queued rows: parents' tables first, one insert per set of columns."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    order = _table_order()
    groups: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    for table, row in pending:
        groups.setdefault((table, tuple(row)), []).append(row)
    keys = sorted(groups, key=lambda key: order[key[0].name])
    # The session's connection, not session.execute: no ORM event fires again from here.
    connection = session.connection()
    for key in keys:
        insert_rows(connection, key[0], groups[key])


@functools.cache
def _columns(model: type) -> dict[str, str]:
    """Mapped attribute name -> column key, for the plain column attributes of ``model``."""
    return {
        attr.key: attr.columns[0].key
        for attr in sa_inspect(model).column_attrs
        if len(attr.columns) == 1 and isinstance(attr.columns[0].table, Table)
    }


@functools.cache
def _defaulted(model: type) -> frozenset[str]:
    """Attributes whose ``None`` the ORM leaves out of its INSERT, so that a default applies.

    The ORM writes a ``None`` only for types that store it as a value (JSON null).
    """
    return frozenset(
        attr.key
        for attr in sa_inspect(model).column_attrs
        if len(attr.columns) == 1
        and not attr.columns[0].type.should_evaluate_none
        and (attr.columns[0].default is not None or attr.columns[0].server_default is not None)
    )


@functools.cache
def _table_order() -> dict[str, int]:
    """Position of each table in foreign-key order (referenced tables first)."""
    return {table.name: i for i, table in enumerate(db.metadata.sorted_tables)}


def _before_execute(state: Any) -> None:
    """A statement is about to run in the session: the queued rows go first."""
    if state.session.info.get(_PENDING):
        insert_pending(state.session)


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    """ORM objects about to be flushed may refer to queued rows."""
    insert_pending(session)


def _before_commit(session: Session) -> None:
    """A savepoint is released or the transaction committed: nothing stays queued."""
    insert_pending(session)


def _after_rollback(session: Session) -> None:
    """A rolled-back transaction's rows never happened (a savepoint drops its own)."""
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)


def init_app(app: Flask) -> None:
    """Listen to the session's statements, flushes, commits and rollbacks (once)."""
    if getattr(init_app, "_done", False):
        return
    event.listen(Session, "do_orm_execute", _before_execute)
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_rollback", _after_rollback)
    init_app._done = True  # type: ignore[attr-defined]
