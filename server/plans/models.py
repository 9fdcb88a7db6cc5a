"""Tour plans stored with their days and stops, and each rep's planning profile.

Plain tables, not synced records: devices never hold a plan. What a rep's device gets is
the result of accepting one, the planned visits, created as interactions through
``server.records`` and synced like any other interaction.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import JSONDoc, UTCDateTime, utcnow
from ..enums import db_enum
from ..extensions import db

#: Used for a rep without a profile (minutes since local midnight).
DEFAULT_PROFILE: dict[str, Any] = {
    "workdays": ["mon", "tue", "wed", "thu", "fri"],
    "day_start": 8 * 60,
    "day_end": 18 * 60 + 30,
    "lunch_start": 12 * 60,
    "lunch_end": 14 * 60,
    "lunch_minutes": 60,
    "max_driving_minutes": 240,
    "max_visits": 12,
    "visit_minutes": 30,
}


class PlanStatus(enum.StrEnum):
    """A preview can be accepted once; a newer plan of the same days supersedes it."""

    PREVIEW = "preview"
    ACCEPTED = "accepted"
    SUPERSEDED = "superseded"


class RepProfile(db.Model):
    """How a rep works, for the planner: where the day starts and ends, hours, limits.

    One row per rep; a rep without one is planned with the defaults of
    :data:`DEFAULT_PROFILE` and must then give a start position.
    Times are minutes since local midnight.
    """

    __tablename__ = "rep_profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    start_lat: Mapped[float]
    start_lon: Mapped[float]
    #: Where the day ends; NULL is back to the start.
    end_lat: Mapped[float | None]
    end_lon: Mapped[float | None]
    #: Weekday keys worked ("mon".."sun").
    workdays: Mapped[list[str]] = mapped_column(JSONDoc)
    day_start: Mapped[int]
    day_end: Mapped[int]
    lunch_start: Mapped[int | None]
    lunch_end: Mapped[int | None]
    lunch_minutes: Mapped[int | None]
    max_driving_minutes: Mapped[int | None]
    max_visits: Mapped[int | None]
    #: Length of a visit to a customer when nothing says otherwise.
    visit_minutes: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Plan(db.Model):
    """A planning run for one rep over consecutive days: a preview, then accepted."""

    __tablename__ = "plans"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    rep_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    #: The plan this one re-plans from the rep's position, if any.
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plans.id"))
    status: Mapped[PlanStatus] = mapped_column(db_enum(PlanStatus, 16), default=PlanStatus.PREVIEW)
    date_from: Mapped[date]
    date_to: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: time_limit, seed and the start/end places used.
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    #: How the search went: wall_seconds, stopped_by, objective.
    stats: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    #: [{"account_id", "reason", "instead_of": [...]}] for every candidate left out.
    dropped: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)

    days: Mapped[list[PlanDay]] = relationship(
        back_populates="plan", order_by="PlanDay.day", cascade="all, delete-orphan"
    )

    __table_args__ = (Index("ix_plans_rep_dates", "rep_id", "date_from"),)


class PlanDay(db.Model):
    """One day's route of a plan, with its totals."""

    __tablename__ = "plan_days"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    day: Mapped[date]
    start_lat: Mapped[float]
    start_lon: Mapped[float]
    end_lat: Mapped[float]
    end_lon: Mapped[float]
    departure: Mapped[datetime] = mapped_column(UTCDateTime)
    arrival: Mapped[datetime] = mapped_column(UTCDateTime)
    lunch_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lunch_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    driving_seconds: Mapped[int]
    driving_metres: Mapped[int]
    waiting_seconds: Mapped[int]
    visit_seconds: Mapped[int]

    plan: Mapped[Plan] = relationship(back_populates="days")
    stops: Mapped[list[PlanStop]] = relationship(
        back_populates="plan_day", order_by="PlanStop.position", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("plan_id", "day"),)


class PlanStop(db.Model):
    """One stop of a day: an existing appointment, or a visit the plan proposes."""

    __tablename__ = "plan_stops"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    plan_day_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("plan_days.id", ondelete="CASCADE"), index=True
    )
    #: 1-based order in the day.
    position: Mapped[int]
    #: "appointment" (already in the calendar) or "visit" (proposed).
    kind: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    #: The appointment's interaction, or the planned visit created on acceptance.
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("interactions.id"))
    priority: Mapped[int | None]
    arrival: Mapped[datetime] = mapped_column(UTCDateTime)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    departure: Mapped[datetime] = mapped_column(UTCDateTime)
    waiting_seconds: Mapped[int]
    travel_seconds: Mapped[int]
    travel_metres: Mapped[int]
    lunch_before: Mapped[bool]
    lat: Mapped[float]
    lon: Mapped[float]

    plan_day: Mapped[PlanDay] = relationship(back_populates="stops")
