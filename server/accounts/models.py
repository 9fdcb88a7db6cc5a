"""Accounts (companies and private customers) and their status history."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import JSONDoc, UTCDateTime
from ..enums import (
    AccountKind,
    Civility,
    GeocodePrecision,
    HeadcountBand,
    LifecycleStatus,
    db_enum,
)
from ..extensions import db
from ..records import Change, SyncedRecord, create
from ..search import Searchable


class Account(Searchable, SyncedRecord, db.Model):
    """A customer or prospect: a company (B2B) or a private person (B2C)."""

    __tablename__ = "accounts"
    __entity__ = "account"
    __search_fields__ = ("name", "trade_name", "first_name", "last_name", "city", "siret")

    kind: Mapped[AccountKind] = mapped_column(db_enum(AccountKind), default=AccountKind.COMPANY)
    #: Display name: raison sociale for a company, "Last First" for a person.
    name: Mapped[str] = mapped_column(String(200), index=True)
    # B2B identity
    trade_name: Mapped[str | None] = mapped_column(String(200))
    siren: Mapped[str | None] = mapped_column(String(9), index=True)
    siret: Mapped[str | None] = mapped_column(String(14), index=True)
    naf_code: Mapped[str | None] = mapped_column(String(6))
    headcount_band: Mapped[HeadcountBand | None] = mapped_column(db_enum(HeadcountBand, 10))
    annual_revenue: Mapped[Decimal | None] = mapped_column(Numeric(15, 2))
    website: Mapped[str | None] = mapped_column(String(300))
    # B2C identity
    civility: Mapped[Civility | None] = mapped_column(db_enum(Civility, 4))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date | None]
    # Switchboard
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    # Postal address and position
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(10), index=True)
    city: Mapped[str | None] = mapped_column(String(100), index=True)
    country: Mapped[str] = mapped_column(String(2), default="FR")
    region: Mapped[str | None] = mapped_column(String(100))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    geocode_precision: Mapped[GeocodePrecision | None] = mapped_column(
        db_enum(GeocodePrecision, 16)
    )
    geocode_source: Mapped[str | None] = mapped_column(String(40))
    geocode_score: Mapped[float | None]
    geocoded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: SHA-256 of the normalized address the position was settled for (server.geocoding):
    #: when the address no longer hashes to it, the position is stale.
    geocoded_address_hash: Mapped[str | None] = mapped_column(String(64))
    # Commercial
    status: Mapped[LifecycleStatus] = mapped_column(
        db_enum(LifecycleStatus), default=LifecycleStatus.SUSPECT, index=True
    )
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    territory: Mapped[str | None] = mapped_column(String(100))
    tags: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    custom: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    visit_frequency_days: Mapped[int | None]
    #: {"mon": [["08:30", "12:00"], ["14:00", "18:30"]], ...}; a missing day is closed.
    opening_hours: Mapped[dict[str, list[list[str]]] | None] = mapped_column(JSONDoc)
    description: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_accounts_owner_live", "owner_id", "deleted_at"),)

    @classmethod
    def after_write(cls, change: Change) -> None:
        """Record every lifecycle status change, with who made it and when."""
        if "status" not in change.fields:
            return
        old, new = change.fields["status"]
        create(
            StatusChange,
            {
                "account_id": change.record_id,
                "from_status": old,
                "to_status": new,
                "changed_by_id": change.actor.user_id,
                "changed_at": change.at,
            },
            actor=change.actor,
        )


class StatusChange(SyncedRecord, db.Model):
    """One lifecycle status change of an account (written by the server only)."""

    __tablename__ = "status_changes"
    __entity__ = "status_change"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    from_status: Mapped[LifecycleStatus | None] = mapped_column(db_enum(LifecycleStatus))
    to_status: Mapped[LifecycleStatus] = mapped_column(db_enum(LifecycleStatus))
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
