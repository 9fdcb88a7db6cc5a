"""Request and response schemas of the sync endpoints."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from sync.protocol import PROTOCOL_VERSION

from ..fields import Int, Line

MAX_BATCH = 1000
#: Bounds of a mutation's integers (the schema and the plain path below share them).
_MID_MAX = 2**53
_VERSION_MAX = 2_000_000_000
_OPS = frozenset({"create", "update", "delete"})
_MUTATION_KEYS = frozenset({"mid", "entity", "op", "id", "base_version", "fields"})


class MutationSchema(Schema):
    """One mutation of a device's outbox."""

    mid = Int(
        low=1, high=_MID_MAX, required=True, metadata={"description": "Per-device, increasing"}
    )
    entity = Line(30, required=True)
    op = fields.String(required=True, validate=validate.OneOf(["create", "update", "delete"]))
    id = fields.UUID(required=True)
    base_version = Int(low=0, high=_VERSION_MAX, allow_none=True, load_default=None)
    fields = fields.Dict(keys=Line(60), load_default=dict)


class PushSchema(Schema):
    """A batch of mutations, oldest first.

    Loading 500 mutations through the nested schema costs as much as validating the
    records they carry, so :meth:`load` first tries :func:`plain_mutations`: the same
    result, without marshmallow, for a batch whose every mutation is plainly well formed.
    Anything else goes through the schema, which gives the same data or the same errors.
    """

    protocol = Int(low=0, high=1000, required=True, metadata={"example": PROTOCOL_VERSION})
    mutations = fields.List(
        fields.Nested(MutationSchema), required=True, validate=validate.Length(max=MAX_BATCH)
    )
    pending = Int(
        allow_none=True, metadata={"description": "Mutations still waiting on the device"}
    )
    app_version = Line(40, allow_none=True)

    def load(self, data: Any, *, many: bool | None = None, **kwargs: Any) -> Any:
        """Load a batch; the envelope by the schema, plainly well-formed mutations without."""
        if many or any(v is not None for v in kwargs.values()) or not isinstance(data, dict):
            return super().load(data, many=many, **kwargs)
        mutations = plain_mutations(data.get("mutations"))
        if mutations is None:
            return super().load(data)
        try:
            envelope = super().load({**data, "mutations": []})
        except ValidationError:
            return super().load(data)  # every error of the batch, as the schema reports them
        envelope["mutations"] = mutations
        return envelope


def plain_mutations(raw: Any) -> list[dict[str, Any]] | None:
    """What ``MutationSchema(many=True)`` loads from ``raw``, or None when not plainly valid.

    Plainly valid: a list of at most ``MAX_BATCH`` objects holding only the schema's keys,
    ``mid`` an integer in range, ``entity`` a known entity name, a known ``op``, ``id`` a
    UUID string, ``base_version`` absent, null or an integer in range, ``fields`` absent
    or an object whose keys are non-blank ASCII names of at most 60 characters without
    surrounding spaces or NUL (what ``Line(60)`` keeps unchanged). For such input the
    schema's result is exactly this one; anything else (an unknown entity name too) is
    left to the schema.
    """
    if type(raw) is not list or len(raw) > MAX_BATCH:
        return None
    known_entities = _entity_names()
    loaded = []
    for item in raw:
        if type(item) is not dict or not item.keys() <= _MUTATION_KEYS:
            return None
        mid, entity, op = item.get("mid"), item.get("entity"), item.get("op")
        if type(mid) is not int or not 1 <= mid <= _MID_MAX:
            return None
        if entity not in known_entities or op not in _OPS:
            return None
        record_id = _uuid(item.get("id"))
        base_version = item.get("base_version")
        if record_id is None or not (
            base_version is None
            or (type(base_version) is int and 0 <= base_version <= _VERSION_MAX)
        ):
            return None
        raw_fields = item.get("fields", {})
        if type(raw_fields) is not dict or not all(map(_plain_key, raw_fields)):
            return None
        loaded.append(
            {
                "mid": mid,
                "entity": entity,
                "op": op,
                "id": record_id,
                "base_version": base_version,
                "fields": dict(raw_fields),
            }
        )
    return loaded


def _uuid(value: Any) -> uuid.UUID | None:
    """``fields.UUID``'s result for a string, None for anything else (left to the schema)."""
    if type(value) is not str:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _plain_key(key: Any) -> bool:
    """A field name ``Line(60)`` keeps exactly as it is."""
    return (
        type(key) is str
        and 0 < len(key) <= 60
        and key.isascii()
        and key.isprintable()
        and key == key.strip()
    )


def _entity_names() -> Mapping[str, Any]:
    """Entity names a mutation may name plainly (imported late: entities import crud)."""
    from .entities import ENTITIES

    return ENTITIES


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
