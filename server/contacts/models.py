"""People at an account, and their GDPR consents."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import JSONDoc, UTCDateTime
from ..enums import Channel, Civility, ConsentPurpose, ConsentState, db_enum
from ..extensions import db
from ..records import SyncedRecord
from ..search import Searchable


class Contact(Searchable, SyncedRecord, db.Model):
    """A person the reps deal with at an account."""

    __tablename__ = "contacts"
    __entity__ = "contact"
    __search_fields__ = ("first_name", "last_name", "job_title", "email")

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    civility: Mapped[Civility | None] = mapped_column(db_enum(Civility, 4))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100), index=True)
    job_title: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    #: E.164, e.g. +33612345678
    mobile: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(20))
    #: {"linkedin": "https://...", "x": "https://..."}
    social_links: Mapped[dict[str, str]] = mapped_column(JSONDoc, default=dict)
    preferred_channel: Mapped[Channel | None] = mapped_column(db_enum(Channel, 16))
    birthday: Mapped[date | None]
    is_primary: Mapped[bool] = mapped_column(default=False)
    custom: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)


class Consent(SyncedRecord, db.Model):
    """A contact's consent for one purpose, given or withdrawn at a date, from a source.

    Consents are append-only evidence: the current state of a purpose is the
    latest record for it.
    """

    __tablename__ = "consents"
    __entity__ = "consent"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id"), index=True)
    purpose: Mapped[ConsentPurpose] = mapped_column(db_enum(ConsentPurpose))
    state: Mapped[ConsentState] = mapped_column(db_enum(ConsentState, 10))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Where the consent was collected: "visit form", "web form", "phone call"...
    source: Mapped[str] = mapped_column(String(120))
