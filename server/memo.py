"""A memo for one batch of writes (a sync push): answers that hold for the whole batch.

A push of 500 mutations would otherwise ask the database the same questions 500 times
(may this user see account X, which custom fields do accounts have, does record Y
exist). Inside :func:`batch`, ``server.access`` and ``server.customfields`` keep their
answers here, and the write layer keeps what it wrote (see :func:`remember`), so that
an account created earlier in the batch is known without a query.

What a rolled-back savepoint taught may be false afterwards: the batch's owner takes a
:func:`mark` when it opens a savepoint and calls :func:`rewind` when it rolls one back, so
only what was learned before the savepoint stays. Outside :func:`batch` nothing is kept:
the REST API asks the database every time, as before.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .extensions import db

_KEY = "tournee.batch_memo"


class Memo:
    """What one batch learned: any cached answer, and the records it wrote."""

    def __init__(self) -> None:
        self.answers: dict[Any, Any] = {}
        #: (model, id) -> the record as written in this batch (pending or flushed).
        self.written: dict[tuple[type, uuid.UUID], Any] = {}

    def mark(self) -> tuple[dict[Any, Any], dict[tuple[type, uuid.UUID], Any]]:
        """What is known now (to come back to when a savepoint is rolled back)."""
        return dict(self.answers), dict(self.written)

    def rewind(self, mark: tuple[dict[Any, Any], dict[tuple[type, uuid.UUID], Any]]) -> None:
        """Know only what was known at ``mark``: the database is back to that state.

        A record written before the mark and changed inside the savepoint is expired by
        SQLAlchemy's rollback, so reading it again gives its state at the mark.
        """
        self.answers, self.written = dict(mark[0]), dict(mark[1])


@contextmanager
def batch() -> Iterator[Memo]:
    """Keep answers for the duration of the block (one transaction of the current session)."""
    memo = Memo()
    db.session.info[_KEY] = memo
    try:
        yield memo
    finally:
        db.session.info.pop(_KEY, None)


def current() -> Memo | None:
    """The memo of the batch in progress, or None outside one."""
    return db.session.info.get(_KEY)


def mark() -> Any:
    """A mark to :func:`rewind` to if the savepoint about to open is rolled back."""
    memo = current()
    return memo.mark() if memo is not None else None


def rewind(position: Any) -> None:
    """The savepoint opened at ``position`` was rolled back: forget what it taught."""
    memo = current()
    if memo is not None and position is not None:
        memo.rewind(position)


def remember(record: Any, model: type) -> None:
    """Keep a record of ``model`` the write layer just created, updated or deleted.

    Inside a batch only. A new record may be a ``server.newrows.NewRecord``, not an ORM object.
    """
    memo = current()
    if memo is not None:
        memo.written[(model, record.id)] = record


def written(model: type, record_id: Any) -> Any:
    """The record of ``model`` with ``record_id`` written in this batch, or None."""
    memo = current()
    if memo is None:
        return None
    return memo.written.get((model, record_id))
