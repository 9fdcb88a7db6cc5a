"""Interaction endpoints."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy import Select

from .. import access, crud
from ..auth.models import User
from ..contacts.models import Contact
from ..dbfuncs import json_array_contains
from .models import Interaction
from .schemas import InteractionListArgs, InteractionSchema

blp = Blueprint(
    "interactions",
    __name__,
    url_prefix="/api/interactions",
    description="Visits, appointments, calls, e-mails, trade shows, store visits",
)


def prepare_interaction(
    values: dict[str, Any], record: Interaction | None, user: User
) -> dict[str, Any]:
    """Check times, the rep, and that the contacts present belong to the account."""
    errors: dict[str, list[str]] = {}
    if values.get("ends_at") and values["ends_at"] < values["starts_at"]:
        errors["ends_at"] = ["Must not be before starts_at."]
    values["user_id"] = values.get("user_id") or (record.user_id if record else user.id)
    changed = record is None or record.user_id != values["user_id"]
    if changed and not access.can_see_user(user, values["user_id"]):
        errors["user_id"] = ["Unknown user."]
    # On update the stored ids come back as strings (JSON): compare them as UUIDs.
    contact_ids = list(dict.fromkeys(uuid.UUID(str(c)) for c in values.get("contact_ids") or []))
    if contact_ids:
        found = crud.live_ids_of_account(Contact, contact_ids, values.get("account_id"))
        if found != set(contact_ids):
            errors["contact_ids"] = ["Every contact must be a contact of this account."]
    values["contact_ids"] = [str(c) for c in contact_ids]
    if errors:
        raise ValidationError(errors)
    return values


def filter_interactions(stmt: Select, args: Mapping[str, Any], user: User) -> Select:
    """Apply the interaction list's filters."""
    if args.get("kind"):
        stmt = stmt.where(Interaction.kind.in_(args["kind"]))
    if args.get("status"):
        stmt = stmt.where(Interaction.status.in_(args["status"]))
    if args.get("user_id"):
        stmt = stmt.where(Interaction.user_id == args["user_id"])
    if args.get("contact_id"):
        stmt = stmt.where(json_array_contains(Interaction.contact_ids, str(args["contact_id"])))
    if args.get("starts_after"):
        stmt = stmt.where(Interaction.starts_at >= args["starts_after"])
    if args.get("starts_before"):
        stmt = stmt.where(Interaction.starts_at < args["starts_before"])
    return stmt


crud.register(
    blp,
    crud.Resource(
        model=Interaction,
        schema=InteractionSchema,
        query_schema=InteractionListArgs,
        plural="interactions",
        title="an interaction",
        sortable=("starts_at", "created_at", "updated_at", "kind", "status"),
        default_sort="-starts_at",
        filter=filter_interactions,
        prepare=prepare_interaction,
        immutable=("account_id",),
    ),
    "",
)
