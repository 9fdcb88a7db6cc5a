"""Interaction schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from ..crud import ChildListArgs, RecordSchema
from ..enums import Channel, Initiator, InteractionKind, InteractionStatus, Outcome
from ..fields import Int, Line, Text, Timestamp


class InteractionSchema(RecordSchema):
    """A visit, appointment, call, e-mail, trade show or store visit, with its report."""

    account_id = fields.UUID(required=True)
    user_id = fields.UUID(
        allow_none=True, metadata={"description": "The rep; defaults to the caller"}
    )
    contact_ids = fields.List(fields.UUID(), validate=validate.Length(max=20))
    kind = fields.Enum(InteractionKind, by_value=True, required=True)
    status = fields.Enum(InteractionStatus, by_value=True, load_default=InteractionStatus.PLANNED)
    starts_at = Timestamp(required=True)
    ends_at = Timestamp(allow_none=True)
    initiated_by = fields.Enum(Initiator, by_value=True, load_default=Initiator.US)
    channel = fields.Enum(Channel, by_value=True, allow_none=True)
    subject = Line(200, allow_none=True)
    summary = Text(20000, multiline=True, allow_none=True, metadata={"description": "Compte-rendu"})
    objections = Text(5000, multiline=True, allow_none=True, metadata={"description": "Freins"})
    motivations = Text(5000, multiline=True, allow_none=True)
    competitor = Line(120, allow_none=True)
    competitor_contract_end = fields.Date(allow_none=True)
    next_step = Text(2000, multiline=True, allow_none=True)
    outcome = fields.Enum(Outcome, by_value=True, allow_none=True)
    checked_in_at = Timestamp(allow_none=True, metadata={"description": "Check-in time"})
    checkin_lat = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    checkin_lon = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    checkin_accuracy_m = Int(low=0, high=100_000, allow_none=True)
    checked_out_at = Timestamp(allow_none=True, metadata={"description": "Check-out time"})
    checkout_lat = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    checkout_lon = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    checkout_accuracy_m = Int(low=0, high=100_000, allow_none=True)

    @validates_schema
    def _positions_in_pairs(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A GPS fix has both coordinates; leaving comes after arriving."""
        for prefix in ("checkin", "checkout"):
            lat, lon = f"{prefix}_lat", f"{prefix}_lon"
            if (lat in data or lon in data) and (data.get(lat) is None) != (data.get(lon) is None):
                message = ["Give both coordinates, or neither."]
                raise ValidationError({lat: message, lon: message})
        arrived, left = data.get("checked_in_at"), data.get("checked_out_at")
        if arrived is not None and left is not None and left < arrived:
            raise ValidationError("Must not be before checked_in_at.", field_name="checked_out_at")


class InteractionListArgs(ChildListArgs):
    """Filters of the interaction list."""

    kind = fields.List(fields.Enum(InteractionKind, by_value=True))
    status = fields.List(fields.Enum(InteractionStatus, by_value=True))
    user_id = fields.UUID()
    contact_id = fields.UUID()
    starts_after = Timestamp()
    starts_before = Timestamp()
