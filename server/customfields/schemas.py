"""Custom field definition schemas."""

from __future__ import annotations

from marshmallow import fields, validate

from ..crud import ListArgs, RecordSchema
from ..enums import CustomFieldType
from ..fields import Line

ENTITIES = ("account", "contact")


class CustomFieldSchema(RecordSchema):
    """An admin-defined field of accounts or contacts."""

    entity = fields.String(required=True, validate=validate.OneOf(ENTITIES))
    key = Line(
        40,
        required=True,
        validate=validate.Regexp(r"^[a-z][a-z0-9_]*$", error="Lower-case letters, digits, _."),
    )
    label = Line(120, required=True)
    type = fields.Enum(CustomFieldType, by_value=True, required=True)
    choices = fields.List(Line(100), validate=validate.Length(max=100))
    required = fields.Boolean(load_default=False)


class CustomFieldListArgs(ListArgs):
    """Filters of the custom field list."""

    entity = fields.String(validate=validate.OneOf(ENTITIES))
