"""Admin-defined custom fields, whose values live in each record's ``custom`` map."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import JSONDoc
from ..enums import CustomFieldType, db_enum
from ..extensions import db
from ..records import SyncedRecord


class CustomFieldDefinition(SyncedRecord, db.Model):
    """One custom field of accounts or contacts: key, label, type, choices, required."""

    __tablename__ = "custom_field_definitions"
    __entity__ = "custom_field"

    entity: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(120))
    type: Mapped[CustomFieldType] = mapped_column(db_enum(CustomFieldType, 10))
    choices: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    required: Mapped[bool] = mapped_column(default=False)
