"""Validate ``custom`` values against the admin's field definitions."""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select

from .. import memo
from ..enums import CustomFieldType
from ..extensions import db
from ..fields import storable
from .models import CustomFieldDefinition


def definitions(entity: str) -> dict[str, CustomFieldDefinition]:
    """Live field definitions of ``entity`` by key (asked once per sync push)."""
    batch = memo.current()
    key = ("custom_fields", entity)
    if batch is not None and key in batch.answers:
        return batch.answers[key]
    rows = db.session.scalars(
        select(CustomFieldDefinition).where(
            CustomFieldDefinition.entity == entity, CustomFieldDefinition.deleted_at.is_(None)
        )
    )
    found = {d.key: d for d in rows}
    if batch is not None:
        batch.answers[key] = found  # definitions are never pushed: they hold for the batch
    return found


def _is_number(value: Any) -> bool:
    """A JSON number (bool is an int in Python, but not a number here)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _coerce(defn: CustomFieldDefinition, value: Any) -> Any:
    """Check one value against its definition; return it in canonical form."""
    kind = defn.type
    if kind is CustomFieldType.TEXT and isinstance(value, str) and len(value) <= 1000:
        with contextlib.suppress(ValidationError):
            return storable(value)  # no NUL, no lone surrogate: a JSON column refuses both
    if kind is CustomFieldType.BOOLEAN and isinstance(value, bool):
        return value
    # Integers beyond 2**53 and NaN/huge floats do not survive a JavaScript client.
    is_integer = kind is CustomFieldType.INTEGER and _is_number(value) and isinstance(value, int)
    if is_integer and abs(value) < 2**53:
        return value
    is_number = kind is CustomFieldType.NUMBER and _is_number(value) and value == value
    if is_number and abs(value) < 1e15:
        return value
    if kind is CustomFieldType.DATE and isinstance(value, str):
        with contextlib.suppress(ValueError):
            return date.fromisoformat(value).isoformat()
    if kind is CustomFieldType.CHOICE and value in defn.choices:
        return value
    expected = {
        CustomFieldType.CHOICE: f"one of {defn.choices}",
        CustomFieldType.DATE: "a date YYYY-MM-DD",
        CustomFieldType.TEXT: "a text of at most 1000 characters",
    }.get(kind, f"a {kind.value}")
    raise ValidationError(f"Must be {expected}.")


def validate_custom(
    entity: str, values: dict[str, Any] | None, stored: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Return ``values`` checked against the definitions of ``entity``.

    Unknown keys, wrong types and missing required fields are reported under
    ``custom.<key>``; ``null`` removes a value. A value the record already had
    (``stored``) for a field an admin has since deleted is dropped, not refused,
    so that the record stays editable.
    """
    values = dict(values or {})
    stored = stored or {}
    defs = definitions(entity)
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        defn = defs.get(key)
        if defn is None:
            if key not in stored or stored[key] != value:
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
