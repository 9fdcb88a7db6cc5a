"""Back-office endpoints: review items, their resolution, and a record's audit trail."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from .. import crud
from ..auth.tokens import current_user
from ..extensions import db
from ..fields import Line, Timestamp
from . import review
from .entities import ENTITIES
from .models import ReviewItem, ReviewKind, ReviewStatus

blp = Blueprint(
    "sync_review",
    __name__,
    url_prefix="/api/sync",
    description="Back-office review of sync conflicts and rejected changes; audit trail",
)


class ReviewItemSchema(Schema):
    """A conflict, or a rejected or blocked device change, and what was decided."""

    id = fields.UUID()
    kind = fields.Enum(ReviewKind, by_value=True)
    status = fields.Enum(ReviewStatus, by_value=True)
    user_id = fields.UUID()
    device_id = fields.UUID()
    mid = fields.Integer()
    entity = fields.String()
    record_id = fields.UUID()
    account_id = fields.UUID(allow_none=True)
    account_name = fields.String(
        allow_none=True,
        dump_only=True,
        metadata={"description": "Name of the account, when it is live and in your scope"},
    )
    op = fields.String()
    payload = fields.Dict(metadata={"description": "The fields the device sent"})
    conflicts = fields.Dict(metadata={"description": "field -> {base, server, device, winner}"})
    reason = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)
    errors = fields.Dict(allow_none=True)
    created_at = Timestamp()
    resolved_by_id = fields.UUID(allow_none=True)
    resolved_at = Timestamp(allow_none=True)
    resolution = fields.Dict(allow_none=True)


class ReviewListArgs(Schema):
    """Filters of the review list."""

    kind = fields.Enum(ReviewKind, by_value=True)
    status = fields.Enum(ReviewStatus, by_value=True)
    user_id = fields.UUID(metadata={"description": "The rep"})
    device_id = fields.UUID()
    entity = fields.String(validate=validate.OneOf(sorted(ENTITIES)))
    record_id = fields.UUID()
    since = Timestamp()
    until = Timestamp()


class ResolveSchema(Schema):
    """A reviewer's decision."""

    action = fields.String(required=True, validate=validate.OneOf(["choose", "apply", "discard"]))
    choices = fields.Dict(
        keys=Line(60),
        data_key="fields",
        metadata={"description": "choose: field -> 'server' | 'device' | {'value': ...}"},
    )
    values = fields.Dict(
        keys=Line(60), metadata={"description": "apply: corrected fields of the device change"}
    )

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        """'choose' needs field choices; the others take none."""
        if data["action"] == "choose" and not data.get("choices"):
            raise ValidationError("Choose a value for each conflicting field.", "fields")
        if data["action"] != "choose" and data.get("choices"):
            raise ValidationError("Only 'choose' takes field choices.", "fields")


class AuditEntrySchema(Schema):
    """One change of a record."""

    seq = fields.Integer()
    op = fields.String()
    version = fields.Integer()
    at = Timestamp()
    user_id = fields.UUID(allow_none=True)
    user_name = fields.String(allow_none=True)
    device_id = fields.UUID(allow_none=True)
    device_name = fields.String(allow_none=True)
    fields = fields.Dict(metadata={"description": "field -> {old, new}"})


@blp.route("/review")
class ReviewItems(MethodView):
    """Review items."""

    @blp.arguments(ReviewListArgs, location="query")
    @blp.response(200, ReviewItemSchema(many=True))
    @blp.paginate(page_size=50, max_page_size=200)
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """Conflicts, rejected and blocked changes of your team (admins: everyone), newest first"""
        user = current_user()
        review.require_reviewer(user)
        stmt = review.filter_items(review.reviewable(user), args)
        items = crud.paginate(
            stmt, pagination_parameters, ReviewItem.created_at.desc(), ReviewItem.id
        )
        return review.with_account_names(items, user)


@blp.route("/review/<uuid:item_id>")
class ReviewItemById(MethodView):
    """One review item."""

    @blp.response(200, ReviewItemSchema)
    def get(self, item_id: uuid.UUID) -> Any:
        """A review item with base, server and device values"""
        user = current_user()
        review.require_reviewer(user)
        return review.with_account_names([review.get_item(user, item_id)], user)[0]


@blp.route("/review/<uuid:item_id>/resolve")
class ResolveReviewItem(MethodView):
    """Decide a review item."""

    @blp.arguments(ResolveSchema)
    @blp.response(200, ReviewItemSchema)
    def post(self, data: dict[str, Any], item_id: uuid.UUID) -> Any:
        """Choose values field by field, apply the device change (corrected), or discard it"""
        user = current_user()
        review.require_reviewer(user)
        item = review.get_item(user, item_id)
        review.resolve(
            item,
            user=user,
            device=g.device,
            action=data["action"],
            choices=data.get("choices"),
            values=data.get("values"),
        )
        db.session.commit()
        return review.with_account_names([item], user)[0]


@blp.route("/audit/<string:entity>/<uuid:record_id>")
class AuditTrail(MethodView):
    """A record's history."""

    @blp.response(200, AuditEntrySchema(many=True))
    def get(self, entity: str, record_id: uuid.UUID) -> Any:
        """Every change of the record: by whom, from which device, when, old and new values"""
        if entity not in ENTITIES:
            review.abort(404, message="Unknown entity.")
        return review.audit_trail(current_user(), entity, record_id)
