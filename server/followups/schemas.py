"""Follow-up schemas."""

from __future__ import annotations

from marshmallow import fields

from ..crud import ChildListArgs, RecordSchema
from ..fields import Line, Timestamp


class FollowUpSchema(RecordSchema):
    """A relance: what to do for the account, by when, by whom."""

    account_id = fields.UUID(required=True)
    contact_id = fields.UUID(allow_none=True)
    interaction_id = fields.UUID(allow_none=True)
    assignee_id = fields.UUID(allow_none=True, metadata={"description": "Defaults to the caller"})
    due_date = fields.Date(required=True)
    reason = Line(500, required=True)
    done = fields.Boolean(load_default=False)
    done_at = Timestamp(dump_only=True)


class FollowUpListArgs(ChildListArgs):
    """Filters of the follow-up list."""

    done = fields.Boolean()
    assignee_id = fields.UUID()
    due_before = fields.Date(metadata={"description": "Due on or before this date"})
