"""Synced records and the one write layer every change goes through.

Every record a device can hold has a client-generatable UUID, server-set
timestamps, an integer version bumped on every change, and a soft-delete mark.
All creates, updates and deletes go through :func:`create`, :func:`update` and
:func:`delete` so that one place sees every change: the sync change log
(issue 3) subscribes here with :func:`on_change`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

from sqlalchemy import Integer, Text
from sqlalchemy.orm import Mapped, Unmapped, declared_attr, mapped_column, unmapped_column

from . import memo, newrows
from .dbtypes import UTCDateTime, utcnow
from .extensions import db

Operation = Literal["create", "update", "delete"]


class SyncedRecord:
    """Mixin for every record that devices sync.

    ``version`` is SQLAlchemy's ``version_id_col``: each UPDATE increments it and
    checks the previous value in its WHERE clause, so two writers that read the
    same version cannot both commit a change (the loser gets ``StaleDataError``).
    """

    #: Entity name used in the API, the change log and review items.
    __entity__: ClassVar[str]
    #: Fields a client may never set directly.
    __readonly__: ClassVar[frozenset[str]] = frozenset(
        {"id", "created_at", "updated_at", "version", "deleted_at"}
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The record's JSON as sync pages send it, written by the database itself whenever
    #: the row is (``server.sync.docs``). A column of the table the ORM does not map: it
    #: neither reads nor writes it.
    doc: Unmapped[str | None] = unmapped_column(Text)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 - SQLAlchemy declared_attr
        """Let SQLAlchemy maintain ``version`` as an optimistic-locking counter."""
        return {"version_id_col": cls.version}

    @classmethod
    def after_write(cls, change: Change) -> None:
        """Hook for model-specific side effects (e.g. status history); default none.

        It sees the change only (ids and values), not the record: within a sync batch a
        new record is a queued row, not an ORM object (``server.newrows``).
        """


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a user, and the device they use when there is one."""

    user_id: uuid.UUID | None
    device_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Change:
    """One committed-to-be change of one record, as the write layer saw it."""

    op: Operation
    entity: str
    record_id: uuid.UUID
    version: int
    actor: Actor
    at: datetime
    #: field name -> (old value, new value); for a create, old values are None.
    fields: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)


class VersionMismatch(Exception):
    """The client's expected version is not the record's current version."""

    def __init__(self, current: int, expected: int) -> None:
        super().__init__(f"record is at version {current}, not {expected}")
        self.current = current
        self.expected = expected


_listeners: list[Callable[[Change, SyncedRecord], None]] = []


def on_change(listener: Callable[[Change, SyncedRecord], None]) -> None:
    """Register ``listener`` to be called, in the writer's transaction, on every change."""
    _listeners.append(listener)


def _emit(change: Change, record: Any, model: type[SyncedRecord]) -> None:
    """Tell every listener, then the model hook, about ``change``.

    Listeners hear a change before the writes its hook causes (an account's create
    before its first status change), so a change log keeps cause before effect.
    ``record`` is the ORM object, or the :class:`server.newrows.NewRecord` of a batch.
    """
    for listener in _listeners:
        listener(change, record)
    model.after_write(change)


def _check_fields(model: type[SyncedRecord], names: Iterable[str]) -> None:
    """Refuse writes to read-only or unknown attributes (a programming error)."""
    for name in names:
        if name in model.__readonly__ or not hasattr(model, name):
            raise AttributeError(f"{model.__name__}.{name} cannot be written")


def create(model: type[SyncedRecord], values: Mapping[str, Any], *, actor: Actor) -> SyncedRecord:
    """Insert a new record of ``model`` with ``values`` (may include a client ``id``)."""
    values = dict(values)
    record_id = values.pop("id", None) or uuid.uuid4()
    _check_fields(model, values)
    now = utcnow()
    # A new record is at version 1 (SQLAlchemy's version counter starts there on INSERT);
    # setting it here lets the change be described before the row is flushed.
    stamps = {"id": record_id, "created_at": now, "updated_at": now, "version": 1}
    record: Any
    if newrows.active() and newrows.can_queue(model, values):
        # A sync batch: the row is inserted with the batch's others, without an ORM object.
        record = newrows.queue(model, {**stamps, **values})
        written = values  # what the queued record reads back, value for value
    else:
        record = model(**stamps, **values)
        db.session.add(record)
        db.session.flush()
        written = {name: getattr(record, name) for name in values}
    memo.remember(record, model)
    change = Change(
        op="create",
        entity=model.__entity__,
        record_id=record_id,
        version=1,
        actor=actor,
        at=now,
        fields={name: (None, value) for name, value in written.items()},
    )
    _emit(change, record, model)
    return record


def update(
    record: SyncedRecord,
    values: Mapping[str, Any],
    *,
    actor: Actor,
    expected_version: int | None = None,
) -> Change | None:
    """Set ``values`` on ``record``; return the change, or None when nothing changed.

    With ``expected_version``, refuse with :class:`VersionMismatch` when the
    record has moved on since the client read it.
    """
    if expected_version is not None and record.version != expected_version:
        raise VersionMismatch(record.version, expected_version)
    _check_fields(type(record), values)
    changed = {
        name: (getattr(record, name), new)
        for name, new in values.items()
        if getattr(record, name) != new
    }
    if not changed:
        return None
    for name, (_old, new) in changed.items():
        setattr(record, name, new)
    record.updated_at = utcnow()
    db.session.flush()
    memo.remember(record, type(record))
    change = Change(
        op="update",
        entity=type(record).__entity__,
        record_id=record.id,
        version=record.version,
        actor=actor,
        at=record.updated_at,
        fields=changed,
    )
    _emit(change, record, type(record))
    return change


def delete(record: SyncedRecord, *, actor: Actor, expected_version: int | None = None) -> Change:
    """Soft-delete ``record``: it stays as a tombstone devices learn about."""
    if expected_version is not None and record.version != expected_version:
        raise VersionMismatch(record.version, expected_version)
    now = utcnow()
    record.deleted_at = now
    record.updated_at = now
    db.session.flush()
    memo.remember(record, type(record))
    change = Change(
        op="delete",
        entity=type(record).__entity__,
        record_id=record.id,
        version=record.version,
        actor=actor,
        at=now,
        fields={"deleted_at": (None, now)},
    )
    _emit(change, record, type(record))
    return change
