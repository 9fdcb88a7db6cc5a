"""Sync tables: the change log, processed device mutations, and review items."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import JSONDoc, UTCDateTime, utcnow
from ..enums import db_enum
from ..extensions import db

#: BIGINT on PostgreSQL; SQLite needs INTEGER PRIMARY KEY to number rows itself.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class ChangeRow(db.Model):
    """One committed change of one record, numbered in commit order by ``seq``.

    Written by ``server.sync.changelog`` from the write layer's changes, at commit.
    ``account_id`` is the account the record hangs under (its own id for an account),
    which is what pulls filter on; ``old_owner_id``/``new_owner_id`` mark reassignments.
    """

    __tablename__ = "changes"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[uuid.UUID]
    account_id: Mapped[uuid.UUID | None]
    op: Mapped[str] = mapped_column(String(10))
    version: Mapped[int]
    #: {field: [old, new]} in JSON form.
    fields: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    user_id: Mapped[uuid.UUID | None]
    device_id: Mapped[uuid.UUID | None]
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    old_owner_id: Mapped[uuid.UUID | None]
    new_owner_id: Mapped[uuid.UUID | None]

    __table_args__ = (
        Index("ix_changes_record", "entity", "record_id", "version"),
        Index("ix_changes_account_seq", "account_id", "seq"),
        Index("ix_changes_at", "at"),
        # Never reuse a number after a purge: SQLite would otherwise restart at max(rowid)+1.
        {"sqlite_autoincrement": True},
    )


class ReviewKind(enum.StrEnum):
    """Why a mutation needs a human look."""

    CONFLICT = "conflict"
    REJECTED = "rejected"
    BLOCKED = "blocked"


class ReviewStatus(enum.StrEnum):
    """Where a review item stands."""

    OPEN = "open"
    RESOLVED = "resolved"
    DISCARDED = "discarded"


class SyncMutation(db.Model):
    """A mutation a device pushed, with the outcome it was given (replays return it)."""

    __tablename__ = "sync_mutations"

    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    mid: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    entity: Mapped[str] = mapped_column(String(30))
    op: Mapped[str] = mapped_column(String(10))
    record_id: Mapped[uuid.UUID]
    base_version: Mapped[int | None]
    #: The fields exactly as the device sent them (JSON).
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    #: The outcome as answered (JSON form of sync.protocol.Outcome).
    outcome: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    status: Mapped[str] = mapped_column(String(10))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewItem(db.Model):
    """A conflict, rejected or blocked mutation waiting for (or past) a back-office decision."""

    __tablename__ = "review_items"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[ReviewKind] = mapped_column(db_enum(ReviewKind, 10))
    status: Mapped[ReviewStatus] = mapped_column(
        db_enum(ReviewStatus, 10), default=ReviewStatus.OPEN
    )
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    mid: Mapped[int] = mapped_column(BigInteger)
    entity: Mapped[str] = mapped_column(String(30), index=True)
    record_id: Mapped[uuid.UUID] = mapped_column(index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    op: Mapped[str] = mapped_column(String(10))
    #: The device's fields as sent (JSON), for rejected and blocked mutations.
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    #: Conflicts: {field: {"base", "server", "device", "winner"}} in JSON form.
    conflicts: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    reason: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
    errors: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What the reviewer decided (JSON): {"action": ..., "fields": {...}}.
    resolution: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)


class SyncState(db.Model):
    """Server-wide sync bookkeeping (one row): how far the change log has been purged."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    purged_through_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
