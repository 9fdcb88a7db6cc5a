"""Validate ``custom`` values against the admin's field definitions."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select

from ..enums import CustomFieldType
from ..extensions import db
from .models import CustomFieldDefinition


def definitions(entity: str) -> dict[str, CustomFieldDefinition]:
    """Live field definitions of ``entity`` by key."""
    rows = db.session.scalars(
        select(CustomFieldDefinition).where(
            CustomFieldDefinition.entity == entity, CustomFieldDefinition.deleted_at.is_(None)
        )
    )
    return {d.key: d for d in rows}


def _coerce(defn: CustomFieldDefinition, value: Any) -> Any:
    """Check one value against its definition; return it in canonical form."""
    kind = defn.type
    if kind is CustomFieldType.TEXT and isinstance(value, str) and len(value) <= 1000:
        if "\x00" not in value:
            return value
    if kind is CustomFieldType.BOOLEAN and isinstance(value, bool):
        return value
    if kind is CustomFieldType.INTEGER and isinstance(value, int) and not isinstance(value, bool):
        if abs(value) < 2**53:
            return value
    if kind is CustomFieldType.NUMBER and isinstance(value, int | float) and not isinstance(
        value, bool
    ):
        if value == value and abs(value) < 1e15:  # rejects NaN and huge values
            return value
    if kind is CustomFieldType.DATE and isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    if kind is CustomFieldType.CHOICE and value in defn.choices:
        return value
    expected = {
        CustomFieldType.CHOICE: f"one of {defn.choices}",
        CustomFieldType.DATE: "a date YYYY-MM-DD",
        CustomFieldType.TEXT: "a text of at most 1000 characters",
    }.get(kind, f"a {kind.value}")
    raise ValidationError(f"Must be {expected}.")


def validate_custom(entity: str, values: dict[str, Any] | None) -> dict[str, Any]:
    """Return ``values`` checked against the definitions of ``entity``.

    Unknown keys, wrong types and missing required fields are reported under
    ``custom.<key>``; ``null`` removes a value.
    """
    values = dict(values or {})
    defs = definitions(entity)
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        defn = defs.get(key)
        if defn is None:
            errors[key] = ["Unknown custom field."]
            continue
        if value is None:
            continue
        try:
            clean[key] = _coerce(defn, value)
        except ValidationError as err:
            errors[key] = err.messages if isinstance(err.messages, list) else [str(err.messages)]
    for key, defn in defs.items():
        if defn.required and key not in clean and key not in errors:
            errors[key] = ["Required custom field."]
    if errors:
        raise ValidationError({"custom": errors})
    return clean
