"""Interactions: visits, appointments, calls, e-mails, trade shows, store visits."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import JSONDoc, UTCDateTime
from ..enums import Channel, Initiator, InteractionKind, InteractionStatus, Outcome, db_enum
from ..extensions import db
from ..records import SyncedRecord


class Interaction(SyncedRecord, db.Model):
    """One contact with a customer, planned or done, with its report (compte-rendu)."""

    __tablename__ = "interactions"
    __entity__ = "interaction"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    #: The rep who holds (or held) the interaction.
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: Contacts present, as UUID strings of contacts of the same account.
    contact_ids: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    kind: Mapped[InteractionKind] = mapped_column(db_enum(InteractionKind))
    status: Mapped[InteractionStatus] = mapped_column(
        db_enum(InteractionStatus), default=InteractionStatus.PLANNED
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    initiated_by: Mapped[Initiator] = mapped_column(db_enum(Initiator, 10), default=Initiator.US)
    channel: Mapped[Channel | None] = mapped_column(db_enum(Channel, 16))
    subject: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    objections: Mapped[str | None] = mapped_column(Text)
    motivations: Mapped[str | None] = mapped_column(Text)
    competitor: Mapped[str | None] = mapped_column(String(120))
    competitor_contract_end: Mapped[date | None]
    next_step: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[Outcome | None] = mapped_column(db_enum(Outcome, 16))
    #: When the rep arrived and left, and where the phone was (GPS fix and its accuracy).
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkin_lat: Mapped[float | None]
    checkin_lon: Mapped[float | None]
    checkin_accuracy_m: Mapped[int | None]
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkout_lat: Mapped[float | None]
    checkout_lon: Mapped[float | None]
    checkout_accuracy_m: Mapped[int | None]

    __table_args__ = (Index("ix_interactions_account_starts", "account_id", "starts_at"),)
