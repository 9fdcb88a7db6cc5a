"""Order schemas."""

from __future__ import annotations

from marshmallow import fields

from ..crud import ChildListArgs, RecordSchema
from ..fields import Line, Money, Timestamp


class OrderSchema(RecordSchema):
    """An order or invoice of the account."""

    account_id = fields.UUID(required=True)
    reference = Line(40, allow_none=True)
    order_date = fields.Date(required=True)
    amount_excl_vat = Money(required=True, metadata={"description": "Montant HT"})
    margin = Money(allow_none=True)
    due_date = fields.Date(allow_none=True)
    paid = fields.Boolean(load_default=False)
    paid_at = Timestamp(dump_only=True)


class OrderListArgs(ChildListArgs):
    """Filters of the order list."""

    paid = fields.Boolean()
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
