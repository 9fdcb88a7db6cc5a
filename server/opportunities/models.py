"""Sales opportunities (affaires) in the pipeline."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from ..enums import OpportunityStage, db_enum
from ..extensions import db
from ..records import SyncedRecord


class Opportunity(SyncedRecord, db.Model):
    """A deal being worked: amount, stage, probability, expected close date."""

    __tablename__ = "opportunities"
    __entity__ = "opportunity"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id"))
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    stage: Mapped[OpportunityStage] = mapped_column(
        db_enum(OpportunityStage), default=OpportunityStage.QUALIFICATION
    )
    probability: Mapped[int | None]
    expected_close_date: Mapped[date | None]
