"""Follow-up (relance) endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy import Select

from .. import access, crud
from ..auth.models import User
from ..contacts.models import Contact
from ..dbtypes import utcnow
from ..interactions.models import Interaction
from .models import FollowUp
from .schemas import FollowUpListArgs, FollowUpSchema

blp = Blueprint("followups", __name__, url_prefix="/api/followups", description="Relances")


def prepare_followup(values: dict[str, Any], record: FollowUp | None, user: User) -> dict[str, Any]:
    """Default the assignee to the caller; stamp ``done_at`` when a relance is done."""
    values["assignee_id"] = values.get("assignee_id") or (record.assignee_id if record else user.id)
    changed = record is None or values["assignee_id"] != record.assignee_id
    if changed and not access.can_see_user(user, values["assignee_id"]):
        raise ValidationError({"assignee_id": ["Unknown user."]})
    if values.get("done"):
        values["done_at"] = record.done_at if record and record.done else utcnow()
    else:
        values["done_at"] = None
    return values


def filter_followups(stmt: Select, args: Mapping[str, Any], user: User) -> Select:
    """Apply the follow-up list's filters."""
    if args.get("done") is not None:
        stmt = stmt.where(FollowUp.done.is_(args["done"]))
    if args.get("assignee_id"):
        stmt = stmt.where(FollowUp.assignee_id == args["assignee_id"])
    if args.get("due_before"):
        stmt = stmt.where(FollowUp.due_date <= args["due_before"])
    return stmt


crud.register(
    blp,
    crud.Resource(
        model=FollowUp,
        schema=FollowUpSchema,
        query_schema=FollowUpListArgs,
        plural="follow-ups",
        title="a follow-up",
        sortable=("due_date", "created_at", "updated_at"),
        default_sort="due_date",
        filter=filter_followups,
        prepare=prepare_followup,
        immutable=("account_id",),
        same_account_refs={"contact_id": Contact, "interaction_id": Interaction},
    ),
    "",
)
