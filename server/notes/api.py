"""Note endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy import Select, func

from .. import crud
from ..auth.models import User
from ..contacts.models import Contact
from ..interactions.models import Interaction
from .models import Note
from .schemas import NoteListArgs, NoteSchema

blp = Blueprint("notes", __name__, url_prefix="/api/notes", description="Free-text notes")


def prepare_note(values: dict[str, Any], record: Note | None, user: User) -> dict[str, Any]:
    """The author is whoever wrote the note first; a note is never blank."""
    if not values.get("body", "").strip():
        raise ValidationError({"body": ["Must not be blank."]})
    values["author_id"] = record.author_id if record else user.id
    return values


def filter_notes(stmt: Select, args: Mapping[str, Any], user: User) -> Select:
    """Apply the note list's filters."""
    if args.get("contact_id"):
        stmt = stmt.where(Note.contact_id == args["contact_id"])
    if args.get("interaction_id"):
        stmt = stmt.where(Note.interaction_id == args["interaction_id"])
    if args.get("q"):
        stmt = stmt.where(func.lower(Note.body).contains(args["q"].lower(), autoescape=True))
    return stmt


crud.register(
    blp,
    crud.Resource(
        model=Note,
        schema=NoteSchema,
        query_schema=NoteListArgs,
        plural="notes",
        title="a note",
        sortable=("created_at", "updated_at"),
        default_sort="-created_at",
        filter=filter_notes,
        prepare=prepare_note,
        immutable=("account_id",),
        same_account_refs={"contact_id": Contact, "interaction_id": Interaction},
    ),
    "",
)
