"""Order and invoice history, from which account KPIs are computed."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..records import SyncedRecord


class Order(SyncedRecord, db.Model):
    """An order/invoice: amount excluding VAT, margin, due date, paid or not."""

    __tablename__ = "orders"
    __entity__ = "order"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    reference: Mapped[str | None] = mapped_column(String(40))
    order_date: Mapped[date]
    amount_excl_vat: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    margin: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    due_date: Mapped[date | None]
    paid: Mapped[bool] = mapped_column(default=False)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_orders_account_date", "account_id", "order_date"),)
