"""Contact rules and GDPR consent state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, func, select

from ..auth.models import User
from ..customfields.service import validate_custom
from ..extensions import db
from ..search import matches
from .models import Consent, Contact


def prepare_contact(values: dict[str, Any], record: Contact | None, user: User) -> dict[str, Any]:
    """Validate custom fields; contacts have no other cross-field rule yet."""
    values["custom"] = validate_custom(
        "contact", values.get("custom"), record.custom if record else None
    )
    values.setdefault("social_links", {})
    return values


def filter_contacts(stmt: Select, args: Mapping[str, Any], user: User) -> Select:
    """Apply the contact list's filters (search ignores case and accents)."""
    if args.get("q"):
        stmt = stmt.where(matches(Contact, args["q"]))
    if args.get("email"):
        stmt = stmt.where(func.lower(Contact.email) == args["email"].lower())
    return stmt


def current_consents(contact: Contact) -> dict[str, str]:
    """Purpose -> "given"/"withdrawn" from the latest record of each purpose."""
    rows = db.session.scalars(
        select(Consent)
        .where(Consent.contact_id == contact.id, Consent.deleted_at.is_(None))
        .order_by(Consent.recorded_at, Consent.created_at)
    )
    return {row.purpose.value: row.state.value for row in rows}
