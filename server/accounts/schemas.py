"""Account schemas: what the API accepts and returns for accounts."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from ..crud import ListArgs, RecordSchema
from ..enums import (
    AccountKind,
    Civility,
    GeocodePrecision,
    HeadcountBand,
    LifecycleStatus,
)
from ..fields import Email, Int, Line, Money, NafCode, Phone, Siren, Siret, Text, Timestamp, Url
from ..geocoding.schemas import AddressWarnings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def validate_opening_hours(value: Any) -> None:
    """Opening hours: weekday -> list of ["HH:MM", "HH:MM"] ranges, in order, not overlapping."""
    if not isinstance(value, dict):
        raise ValidationError("Must be an object keyed by weekday (mon..sun).")
    errors: dict[str, list[str]] = {}
    for day, ranges in value.items():
        if day not in WEEKDAYS:
            errors[str(day)[:20]] = ["Unknown weekday; use mon, tue, wed, thu, fri, sat, sun."]
            continue
        if not isinstance(ranges, list) or len(ranges) > 6:
            errors[day] = ["Must be a list of at most 6 [open, close] ranges."]
            continue
        previous_end = ""
        for pair in ranges:
            ok = (
                isinstance(pair, list)
                and len(pair) == 2
                and all(isinstance(t, str) and _HHMM.match(t) for t in pair)
                and pair[0] < pair[1]
                and pair[0] >= previous_end
            )
            if not ok:
                errors[day] = [
                    'Each range is ["HH:MM", "HH:MM"], opening before closing, in order.'
                ]
                break
            previous_end = pair[1]
    if errors:
        raise ValidationError(errors)


class AccountSchema(RecordSchema):
    """A company or private customer, with address, status, owner and segmentation."""

    kind = fields.Enum(AccountKind, by_value=True, load_default=AccountKind.COMPANY)
    name = Line(200, metadata={"description": "Raison sociale; derived from names for a person"})
    trade_name = Line(200, allow_none=True)
    siren = Siren(allow_none=True)
    siret = Siret(allow_none=True)
    naf_code = NafCode(allow_none=True)
    headcount_band = fields.Enum(HeadcountBand, by_value=True, allow_none=True)
    annual_revenue = Money(allow_none=True)
    website = Url(allow_none=True)
    civility = fields.Enum(Civility, by_value=True, allow_none=True)
    first_name = Line(100, allow_none=True)
    last_name = Line(100, allow_none=True)
    birth_date = fields.Date(allow_none=True)
    phone = Phone(allow_none=True)
    email = Email(allow_none=True)
    address_line1 = Line(200, allow_none=True)
    address_line2 = Line(200, allow_none=True)
    postal_code = Line(10, allow_none=True)
    city = Line(100, allow_none=True)
    country = Line(2, validate=validate.Regexp(r"^[A-Z]{2}$", error="ISO 3166 alpha-2 code."))
    region = Line(100, allow_none=True)
    latitude = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    geocode_precision = fields.Enum(GeocodePrecision, by_value=True, allow_none=True)
    geocode_source = Line(40, allow_none=True)
    geocode_score = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1))
    geocoded_at = Timestamp(dump_only=True)
    warnings = AddressWarnings(
        metadata={"description": "Address check findings (postal code vs city, position)"}
    )
    status = fields.Enum(LifecycleStatus, by_value=True, load_default=LifecycleStatus.SUSPECT)
    owner_id = fields.UUID(metadata={"description": "Defaults to the caller"})
    territory = Line(100, allow_none=True)
    tags = fields.List(Line(50), validate=validate.Length(max=30))
    custom = fields.Dict(keys=Line(40), metadata={"description": "Admin-defined fields"})
    visit_frequency_days = Int(low=1, high=3650, allow_none=True)
    opening_hours = fields.Dict(allow_none=True, validate=validate_opening_hours)
    description = Text(5000, multiline=True, allow_none=True)

    @validates("tags")
    def _unique_tags(self, value: list[str], data_key: str) -> None:
        """Tags are a set; duplicates are almost always a typo."""
        if len(set(value)) != len(value):
            raise ValidationError("Tags must be unique.")


class AccountListArgs(ListArgs):
    """Filters of the account list."""

    q = Line(100, metadata={"description": "Search names, SIRET and city (accents ignored)"})
    status = fields.List(fields.Enum(LifecycleStatus, by_value=True))
    kind = fields.Enum(AccountKind, by_value=True)
    owner_id = fields.UUID()
    postal_code = Line(
        10, metadata={"description": "A postal code, or its first 2-3 digits (département)"}
    )
    city = Line(100)
    tag = Line(50)
    territory = Line(100)


class PeriodArgs(Schema):
    """A period of dates, both ends included; defaults to the last twelve months."""

    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A reversed period is a mistake, not an empty period."""
        start, end = data.get("date_from"), data.get("date_to")
        if start is not None and end is not None and start > end:
            raise ValidationError("Must not be after 'to'.", field_name="from")


class KpiSchema(Schema):
    """An account's figures over a period."""

    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    revenue = Money()
    margin = Money()
    margin_rate = fields.Float(allow_none=True, metadata={"description": "margin / revenue"})
    order_count = fields.Integer()
    average_order = Money(allow_none=True)
    unpaid = Money(metadata={"description": "All unpaid orders, whatever their date"})
    overdue = Money(metadata={"description": "Unpaid orders past their due date"})
    last_visit_at = Timestamp(allow_none=True)
    days_since_last_visit = fields.Integer(allow_none=True)
    visit_overdue = fields.Boolean()
    next_planned_at = Timestamp(allow_none=True)
    open_followups = fields.Integer()
    overdue_followups = fields.Integer()
    open_opportunities = fields.Integer()
    pipeline_amount = Money()
    weighted_pipeline = Money()


class TimelineItemSchema(Schema):
    """One event in an account's history."""

    type = fields.String()
    id = fields.UUID()
    at = Timestamp()
    title = fields.String()
    data = fields.Dict()


class StatusChangeSchema(RecordSchema):
    """A lifecycle status change."""

    account_id = fields.UUID()
    from_status = fields.Enum(LifecycleStatus, by_value=True, allow_none=True)
    to_status = fields.Enum(LifecycleStatus, by_value=True)
    changed_by_id = fields.UUID(allow_none=True)
    changed_at = Timestamp()


class DuplicateAccountSchema(Schema):
    """Enough of a candidate duplicate to recognise it and open its sheet."""

    id = fields.UUID()
    kind = fields.Enum(AccountKind, by_value=True)
    name = fields.String()
    siret = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    address_line1 = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    status = fields.Enum(LifecycleStatus, by_value=True)
    owner_id = fields.UUID()


class DuplicateSchema(Schema):
    """A live account that looks like the one compared."""

    account = fields.Nested(DuplicateAccountSchema)
    score = fields.Integer(metadata={"description": "0-100: 100 is surely the same customer"})
    reasons = fields.List(
        fields.String(),
        metadata={
            "description": "Strongest first: same_siret, same_birth_date, same_phone, "
            "same_email, similar_name, same_address, same_siren"
        },
    )


class DuplicatePairSchema(Schema):
    """Two live accounts that look like one customer (the first by name)."""

    first = fields.Nested(DuplicateAccountSchema)
    second = fields.Nested(DuplicateAccountSchema)
    score = fields.Integer(metadata={"description": "0-100: 100 is surely the same customer"})
    reasons = fields.List(fields.String(), metadata={"description": "Strongest first"})


class DuplicateArgs(Schema):
    """How sure a candidate must be to be listed."""

    min_score = fields.Integer(load_default=60, validate=validate.Range(min=0, max=100))


class DuplicatePairArgs(DuplicateArgs):
    """How sure, and how many pairs."""

    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class DuplicateCheckSchema(Schema):
    """The values of an account about to be created (a new prospect), to compare."""

    kind = fields.Enum(AccountKind, by_value=True, load_default=AccountKind.COMPANY)
    name = Line(200, allow_none=True)
    first_name = Line(100, allow_none=True)
    last_name = Line(100, allow_none=True)
    birth_date = fields.Date(allow_none=True)
    siren = Siren(allow_none=True)
    siret = Siret(allow_none=True)
    phone = Phone(allow_none=True)
    email = Email(allow_none=True)
    address_line1 = Line(200, allow_none=True)
    postal_code = Line(10, allow_none=True)
    city = Line(100, allow_none=True)
