"""The change log: every change the write layer makes, numbered in commit order.

``server.records`` reports each change to :func:`collect`, which keeps it in the
session. At commit, :func:`_write_pending` takes a transaction-scoped advisory lock
(PostgreSQL) and inserts the rows. The lock is held until the commit, so no other
transaction can take a ``seq`` before this one is committed and visible: ``seq``
order is commit order, and a puller that has seen ``seq`` N will never later find
an unseen change below N (docs/sync-protocol.md). SQLite serializes writers anyway.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from ..dbfuncs import insert_rows
from ..extensions import db
from ..records import Change, SyncedRecord, on_change
from .jsonvalues import jsonable
from .models import ChangeRow

_PENDING = "tournee.pending_changes"
#: Arbitrary 64-bit key of the change-numbering lock ("tournee" in ASCII).
CHANGE_LOCK_KEY = 0x746F75726E6565


def account_of(record: SyncedRecord) -> Any:
    """The account a record hangs under: its own id for an account, None for shared data."""
    if getattr(record, "__entity__", None) == "account":
        return record.id
    return getattr(record, "account_id", None)


def collect(change: Change, record: SyncedRecord) -> None:
    """Keep ``change`` in the session until commit (listener of ``records.on_change``)."""
    owner = change.fields.get("owner_id")
    reassigned = change.entity == "account" and change.op == "update" and owner is not None
    row = {
        "entity": change.entity,
        "record_id": change.record_id,
        "account_id": account_of(record),
        "op": change.op,
        "version": change.version,
        "fields": {
            name: [jsonable(old), jsonable(new)] for name, (old, new) in change.fields.items()
        },
        "user_id": change.actor.user_id,
        "device_id": change.actor.device_id,
        "at": change.at,
        "old_owner_id": owner[0] if reassigned else None,
        "new_owner_id": owner[1] if reassigned else None,
    }
    db.session.info.setdefault(_PENDING, []).append(row)


def mark() -> int:
    """How many changes are pending now (to undo a savepoint's changes)."""
    return len(db.session.info.get(_PENDING, []))


def discard_since(position: int) -> None:
    """Forget changes collected after :func:`mark` returned ``position`` (savepoint undone)."""
    pending = db.session.info.get(_PENDING)
    if pending is not None:
        del pending[position:]


def _write_pending(session: Session) -> None:
    """Insert the pending change rows under the change-numbering lock, just before commit."""
    if session.in_nested_transaction():
        return  # releasing a savepoint is not the commit; the outer commit writes them
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    take_change_lock(session)
    # The table, not the mapped class: no ORM bulk layer (and COPY on PostgreSQL).
    insert_rows(session.connection(), ChangeRow.__table__, pending)


def take_change_lock(session: Session) -> None:
    """Serialize change numbering until this transaction ends (PostgreSQL).

    SQLite needs nothing: its single writer lock already orders commits.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGE_LOCK_KEY})


def _forget_pending(session: Session) -> None:
    """A rolled-back transaction's changes never happened.

    SQLAlchemy fires ``after_rollback`` for a SAVEPOINT rolled back too: that undoes only
    the savepoint's own changes, which its owner drops with :func:`discard_since`; the
    changes made before it in the transaction stand and must still be logged.
    """
    if session.in_nested_transaction():
        return
    session.info.pop(_PENDING, None)


def init_app(app: Flask) -> None:
    """Subscribe to the write layer and to commits (once per process)."""
    if getattr(init_app, "_done", False):
        return
    on_change(collect)
    event.listen(Session, "before_commit", _write_pending)
    event.listen(Session, "after_rollback", _forget_pending)
    init_app._done = True  # type: ignore[attr-defined]
