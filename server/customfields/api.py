"""Custom field definitions: everyone reads them (forms), admins write them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_smorest import Blueprint, abort
from marshmallow import ValidationError
from sqlalchemy import Select, select

from .. import crud
from ..auth.models import Role, User
from ..enums import CustomFieldType
from ..extensions import db
from .models import CustomFieldDefinition
from .schemas import CustomFieldListArgs, CustomFieldSchema

blp = Blueprint(
    "customfields", __name__, url_prefix="/api/custom-fields", description="Admin-defined fields"
)


def prepare_definition(
    values: dict[str, Any], record: CustomFieldDefinition | None, user: User
) -> dict[str, Any]:
    """A choice field needs choices; a key is unique among live fields of its entity."""
    values.setdefault("choices", [])
    if values["type"] is CustomFieldType.CHOICE and not values["choices"]:
        raise ValidationError({"choices": ["A choice field needs at least one choice."]})
    if record is not None and (values["key"], values["entity"]) != (record.key, record.entity):
        raise ValidationError({"key": ["Cannot be changed; create a new field instead."]})
    if record is None:
        clash = db.session.scalar(
            select(CustomFieldDefinition.id).where(
                CustomFieldDefinition.entity == values["entity"],
                CustomFieldDefinition.key == values["key"],
                CustomFieldDefinition.deleted_at.is_(None),
            )
        )
        if clash is not None:
            abort(
                409,
                message="A live field already has this key.",
                errors={"json": {"key": ["Already used."]}},
            )
    return values


def filter_definitions(stmt: Select, args: Mapping[str, Any], user: User) -> Select:
    """Filter by entity."""
    if args.get("entity"):
        stmt = stmt.where(CustomFieldDefinition.entity == args["entity"])
    return stmt


crud.register(
    blp,
    crud.Resource(
        model=CustomFieldDefinition,
        schema=CustomFieldSchema,
        query_schema=CustomFieldListArgs,
        plural="custom fields",
        title="a custom field",
        sortable=("key", "label", "created_at", "updated_at"),
        default_sort="key",
        filter=filter_definitions,
        prepare=prepare_definition,
        write_roles=(Role.ADMIN,),
        delete_roles=(Role.ADMIN,),
    ),
    "",
)
