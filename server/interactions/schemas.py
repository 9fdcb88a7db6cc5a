"""Interaction schemas."""

from __future__ import annotations

from marshmallow import fields, validate

from ..crud import ChildListArgs, RecordSchema
from ..enums import Channel, Initiator, InteractionKind, InteractionStatus, Outcome
from ..fields import Line, Text, Timestamp


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


class InteractionListArgs(ChildListArgs):
    """Filters of the interaction list."""

    kind = fields.List(fields.Enum(InteractionKind, by_value=True))
    status = fields.List(fields.Enum(InteractionStatus, by_value=True))
    user_id = fields.UUID()
    contact_id = fields.UUID()
    starts_after = Timestamp()
    starts_before = Timestamp()
