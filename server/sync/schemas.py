"""Request and response schemas of the sync endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sync.protocol import PROTOCOL_VERSION

from ..fields import Int, Line

MAX_BATCH = 1000


class MutationSchema(Schema):
    """One mutation of a device's outbox."""

    mid = Int(low=1, high=2**53, required=True, metadata={"description": "Per-device, increasing"})
    entity = Line(30, required=True)
    op = fields.String(required=True, validate=validate.OneOf(["create", "update", "delete"]))
    id = fields.UUID(required=True)
    base_version = Int(low=0, allow_none=True, load_default=None)
    fields = fields.Dict(keys=Line(60), load_default=dict)


class PushSchema(Schema):
    """A batch of mutations, oldest first."""

    protocol = Int(low=0, high=1000, required=True, metadata={"example": PROTOCOL_VERSION})
    mutations = fields.List(
        fields.Nested(MutationSchema), required=True, validate=validate.Length(max=MAX_BATCH)
    )
    pending = Int(
        allow_none=True, metadata={"description": "Mutations still waiting on the device"}
    )
    app_version = Line(40, allow_none=True)


class OutcomeSchema(Schema):
    """What happened to one mutation."""

    mid = fields.Integer()
    status = fields.String(metadata={"description": "applied, merged, conflict, rejected, blocked"})
    id = fields.UUID()
    version = fields.Integer()
    reason = fields.String()
    detail = fields.String()
    errors = fields.Dict()
    review_id = fields.UUID()
    fields = fields.Dict(metadata={"description": "field -> 'device' or 'server'"})


class PushResultSchema(Schema):
    """The outcome of each mutation, in order."""

    protocol = fields.Integer()
    last_mid = fields.Integer()
    outcomes = fields.List(fields.Nested(OutcomeSchema))


class PullArgs(Schema):
    """Where to pull from."""

    # Query strings carry text: these integers are parsed, not strict like JSON ones.
    protocol = fields.Integer(required=True, validate=validate.Range(min=0, max=1000))
    cursor = Line(200, load_default=None, allow_none=True)
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=5000))


class EntrySchema(Schema):
    """One record's news: put (latest state), delete (tombstone), drop (left scope)."""

    entity = fields.String()
    id = fields.UUID()
    op = fields.String()
    version = fields.Integer()
    data = fields.Dict()


class PageSchema(Schema):
    """A page of changes or of the first download."""

    protocol = fields.Integer()
    cursor = fields.String()
    has_more = fields.Boolean()
    changes = fields.List(fields.Nested(EntrySchema))
