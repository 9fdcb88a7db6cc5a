"""Schemas of the planning endpoints: requests in, plans and profiles out."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..fields import Int, Timestamp
from ..geocoding.schemas import Latitude, Longitude
from .models import PlanStatus

_HHMM = re.compile(r"^([01]\d|2[0-4]):[0-5]\d$")
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class PlaceSchema(Schema):
    """A position, WGS84 degrees."""

    lat = Latitude()
    lon = Longitude()


class PlanRequestSchema(Schema):
    """What to plan."""

    rep_id = fields.UUID(metadata={"description": "The rep to plan for (default: yourself)"})
    date_from = fields.Date(required=True, validate=validate.Range(min=None, max=None))
    days = Int(low=1, high=7, load_default=1, metadata={"description": "Consecutive days, 1-7"})
    start = fields.Nested(PlaceSchema, metadata={"description": "Default: the rep's profile"})
    end = fields.Nested(PlaceSchema, metadata={"description": "Default: profile, else start"})
    time_limit = fields.Float(
        validate=validate.Range(min=0.1, max=60),
        metadata={"description": "Seconds of search (default TOURNEE_PLAN_TIME_LIMIT, 2)"},
    )
    seed = Int(low=0, high=1_000_000, load_default=0)

    @validates_schema
    def check_dates(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Keep dates in a range every database handles."""
        day = data.get("date_from")
        if day is not None and not 2000 <= day.year <= 2100:
            raise ValidationError("Plan days between 2000 and 2100.", "date_from")


class PlanListArgs(Schema):
    """Filters of the plan list."""

    rep_id = fields.UUID(metadata={"description": "Plans of this rep"})
    date = fields.Date(metadata={"description": "Plans covering this day"})
    status = fields.List(
        fields.Enum(PlanStatus, by_value=True),
        metadata={"description": "preview, accepted, superseded (repeat for several)"},
    )

    @validates_schema
    def check_date(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Keep dates in a range every database handles."""
        day = data.get("date")
        if day is not None and not 2000 <= day.year <= 2100:
            raise ValidationError("A day between 2000 and 2100.", "date")


class ReplanSchema(Schema):
    """Where the rep is, when, and which visits are done."""

    lat = Latitude()
    lon = Longitude()
    at = Timestamp(required=True, metadata={"description": "Now, or the time to plan from"})
    done = fields.List(
        fields.UUID(),
        load_default=list,
        validate=validate.Length(max=200),
        metadata={"description": "Accounts already visited today"},
    )


class DayQuerySchema(Schema):
    """Which day of the plan to export."""

    day = fields.Date(metadata={"description": "Default: the plan's first day"})


class PlanStopSchema(Schema):
    """One stop: order, times, drive from the previous place, waiting."""

    position = fields.Integer()
    kind = fields.String(metadata={"description": "appointment or visit"})
    account_id = fields.UUID()
    interaction_id = fields.UUID(allow_none=True)
    priority = fields.Integer(allow_none=True)
    arrival = fields.DateTime()
    start = fields.DateTime()
    departure = fields.DateTime()
    waiting_seconds = fields.Integer()
    travel_seconds = fields.Integer()
    travel_metres = fields.Integer()
    lunch_before = fields.Boolean()
    lat = fields.Float()
    lon = fields.Float()


class PlanDaySchema(Schema):
    """A day's route and its totals."""

    day = fields.Date()
    start_lat = fields.Float(metadata={"description": "Where the day starts"})
    start_lon = fields.Float()
    end_lat = fields.Float(metadata={"description": "Where the day ends"})
    end_lon = fields.Float()
    departure = fields.DateTime()
    arrival = fields.DateTime()
    lunch_start = fields.DateTime(allow_none=True)
    lunch_end = fields.DateTime(allow_none=True)
    driving_seconds = fields.Integer()
    driving_metres = fields.Integer()
    waiting_seconds = fields.Integer()
    visit_seconds = fields.Integer()
    stops = fields.List(fields.Nested(PlanStopSchema))


class DroppedSchema(Schema):
    """A candidate left out and why (see docs/planning.md for the reasons)."""

    account_id = fields.String()
    reason = fields.String()
    instead_of = fields.List(fields.String())


class PlanSchema(Schema):
    """A stored plan."""

    id = fields.UUID(dump_only=True)
    rep_id = fields.UUID()
    parent_id = fields.UUID(allow_none=True)
    status = fields.String()
    date_from = fields.Date()
    date_to = fields.Date()
    created_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    stats = fields.Dict()
    days = fields.List(fields.Nested(PlanDaySchema))
    dropped = fields.List(fields.Nested(DroppedSchema))
    accounts = fields.Dict(
        dump_only=True,
        attribute="account_labels",
        metadata={
            "description": "account id -> {name, city} for the stops and dropped accounts "
            "you may see"
        },
    )


class LinksSchema(Schema):
    """Navigation links of a day."""

    day = fields.Date()
    google_maps = fields.List(fields.String(), metadata={"description": "Legs of <= 10 places"})
    waze = fields.List(fields.Dict(), metadata={"description": "{account_id, url} per stop"})


def _hhmm(value: str) -> None:
    if not isinstance(value, str) or not _HHMM.match(value) or value > "24:00":
        raise ValidationError("Use HH:MM.")


class ProfileSchema(Schema):
    """How a rep works, for the planner."""

    start = fields.Nested(PlaceSchema, required=True)
    end = fields.Nested(PlaceSchema, allow_none=True, load_default=None)
    workdays = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAY_KEYS)),
        load_default=lambda: list(WEEKDAY_KEYS[:5]),
        validate=validate.Length(max=7),
    )
    day_start = fields.String(load_default="08:00", validate=_hhmm)
    day_end = fields.String(load_default="18:30", validate=_hhmm)
    lunch_start = fields.String(load_default="12:00", allow_none=True, validate=_hhmm)
    lunch_end = fields.String(load_default="14:00", allow_none=True, validate=_hhmm)
    lunch_minutes = Int(low=0, high=240, load_default=60, allow_none=True)
    max_driving_minutes = Int(low=0, high=1440, load_default=240, allow_none=True)
    max_visits = Int(low=0, high=100, load_default=12, allow_none=True)
    visit_minutes = Int(low=1, high=480, load_default=30)

    @validates_schema
    def check_times(self, data: dict[str, Any], **kwargs: Any) -> None:
        """The day ends after it starts; lunch fits its window."""
        if data.get("day_start", "00:00") >= data.get("day_end", "24:00"):
            raise ValidationError("The day must end after it starts.", "day_end")
        start, end = data.get("lunch_start"), data.get("lunch_end")
        minutes = data.get("lunch_minutes") or 0
        if minutes and (start is None or end is None):
            raise ValidationError("A lunch needs its window.", "lunch_start")
        if minutes and start is not None and end is not None:
            window = _to_minutes(end) - _to_minutes(start)
            if window < minutes:
                raise ValidationError("Lunch does not fit its window.", "lunch_minutes")


def _to_minutes(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:])


def profile_to_row(data: dict[str, Any]) -> dict[str, Any]:
    """Loaded profile -> RepProfile column values."""
    end = data.get("end")
    return {
        "start_lat": data["start"]["lat"],
        "start_lon": data["start"]["lon"],
        "end_lat": end["lat"] if end else None,
        "end_lon": end["lon"] if end else None,
        "workdays": sorted(set(data["workdays"]), key=WEEKDAY_KEYS.index),
        "day_start": _to_minutes(data["day_start"]),
        "day_end": _to_minutes(data["day_end"]),
        "lunch_start": _to_minutes(data["lunch_start"]) if data.get("lunch_start") else None,
        "lunch_end": _to_minutes(data["lunch_end"]) if data.get("lunch_end") else None,
        "lunch_minutes": data.get("lunch_minutes") or None,
        "max_driving_minutes": data.get("max_driving_minutes"),
        "max_visits": data.get("max_visits"),
        "visit_minutes": data["visit_minutes"],
    }


def profile_from_row(values: dict[str, Any]) -> dict[str, Any]:
    """RepProfile column values (or defaults) -> the profile document."""

    def hhmm(minutes: int | None) -> str | None:
        return None if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"

    start = None
    if values.get("start_lat") is not None:
        start = {"lat": values["start_lat"], "lon": values["start_lon"]}
    end = None
    if values.get("end_lat") is not None:
        end = {"lat": values["end_lat"], "lon": values["end_lon"]}
    return {
        "start": start,
        "end": end,
        "workdays": values["workdays"],
        "day_start": hhmm(values["day_start"]),
        "day_end": hhmm(values["day_end"]),
        "lunch_start": hhmm(values.get("lunch_start")),
        "lunch_end": hhmm(values.get("lunch_end")),
        "lunch_minutes": values.get("lunch_minutes"),
        "max_driving_minutes": values.get("max_driving_minutes"),
        "max_visits": values.get("max_visits"),
        "visit_minutes": values["visit_minutes"],
    }
