"""Note schemas."""

from __future__ import annotations

from marshmallow import fields

from ..crud import ChildListArgs, RecordSchema
from ..fields import Line, Text


class NoteSchema(RecordSchema):
    """A free-text note on an account, optionally about a contact or an interaction."""

    account_id = fields.UUID(required=True)
    contact_id = fields.UUID(allow_none=True)
    interaction_id = fields.UUID(allow_none=True)
    author_id = fields.UUID(dump_only=True)
    body = Text(20000, multiline=True, required=True)


class NoteListArgs(ChildListArgs):
    """Filters of the note list."""

    contact_id = fields.UUID()
    interaction_id = fields.UUID()
    q = Line(100, metadata={"description": "Words in the note"})
