"""Opportunity schemas."""

from __future__ import annotations

from marshmallow import fields

from ..crud import ChildListArgs, RecordSchema
from ..enums import OpportunityStage
from ..fields import Int, Line, Money


class OpportunitySchema(RecordSchema):
    """A deal: title, amount, stage, probability, expected close date."""

    account_id = fields.UUID(required=True)
    contact_id = fields.UUID(allow_none=True)
    title = Line(200, required=True)
    amount = Money(allow_none=True)
    stage = fields.Enum(
        OpportunityStage, by_value=True, load_default=OpportunityStage.QUALIFICATION
    )
    probability = Int(low=0, high=100, allow_none=True, metadata={"description": "Percent"})
    expected_close_date = fields.Date(allow_none=True)


class OpportunityListArgs(ChildListArgs):
    """Filters of the opportunity list."""

    stage = fields.List(fields.Enum(OpportunityStage, by_value=True))
    closing_before = fields.Date()
