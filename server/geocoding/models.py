"""The geocode cache: what an online geocoding service answered, per normalized address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db


class GeocodeCacheEntry(db.Model):
    """One service's answer for one normalized address, found or not.

    A plain table, not a synced record: devices never see it, and losing it only
    costs requests. Keyed by a SHA-256 of the service's identity and the normalized
    address (see ``routing.geocoding.text.AddressQuery.key``), so keys have a fixed
    size whatever the address; both are kept in clear for people reading the table.
    """

    __tablename__ = "geocode_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: "ban:https://api-adresse.data.gouv.fr": answers differ from service to service.
    provider: Mapped[str] = mapped_column(String(120))
    #: The normalized address that was sent.
    address: Mapped[str] = mapped_column(Text)
    #: False when the service found nothing usable: not asked again either.
    found: Mapped[bool]
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    precision: Mapped[str | None] = mapped_column(String(16))
    score: Mapped[float | None]
    label: Mapped[str | None] = mapped_column(String(300))
    insee: Mapped[str | None] = mapped_column(String(5))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(100))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
