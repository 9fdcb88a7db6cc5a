"""GDPR rights of a contact: access (export everything held on them) and erasure.

Erasure anonymizes rather than only soft-deleting: a soft-deleted row is still a
copy of the personal data. The contact keeps its id as a tombstone (devices must
learn it is gone), with every personal field emptied; notes about them are emptied
and deleted; interactions, follow-ups and opportunities stay (business records) but
stop naming them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from .. import records
from ..dbfuncs import json_array_contains
from ..dbtypes import utcnow
from ..extensions import db
from ..followups.models import FollowUp
from ..interactions.models import Interaction
from ..notes.models import Note
from ..opportunities.models import Opportunity
from ..records import Actor
from .models import Consent, Contact

ERASED_NAME = "Anonyme"
ERASED_NOTE = "[contenu effacé à la demande de la personne]"

#: What an erased contact keeps: nothing that identifies a person.
_ERASED_FIELDS = {
    "civility": None,
    "first_name": None,
    "last_name": ERASED_NAME,
    "job_title": None,
    "email": None,
    "mobile": None,
    "phone": None,
    "social_links": {},
    "preferred_channel": None,
    "birthday": None,
    "is_primary": False,
    "custom": {},
}


@dataclass(frozen=True)
class PersonalData:
    """Everything Tournée holds about one contact (subject access request)."""

    exported_at: datetime
    contact: Contact
    consents: list[Consent]
    notes: list[Note]
    interactions: list[Interaction]
    followups: list[FollowUp]
    opportunities: list[Opportunity]


def _live(model: type, *conditions: object) -> list:
    """Live rows of ``model`` matching ``conditions``, oldest first."""
    stmt = select(model).where(model.deleted_at.is_(None), *conditions)
    return list(db.session.scalars(stmt.order_by(model.created_at)))


def personal_data(contact: Contact) -> PersonalData:
    """Gather every record that names ``contact``."""
    return PersonalData(
        exported_at=utcnow(),
        contact=contact,
        consents=_live(Consent, Consent.contact_id == contact.id),
        notes=_live(Note, Note.contact_id == contact.id),
        interactions=_live(
            Interaction, json_array_contains(Interaction.contact_ids, str(contact.id))
        ),
        followups=_live(FollowUp, FollowUp.contact_id == contact.id),
        opportunities=_live(Opportunity, Opportunity.contact_id == contact.id),
    )


def erase_contact(contact: Contact, *, actor: Actor) -> None:
    """Anonymize ``contact`` and what names them, through the write layer (so it syncs)."""
    held = personal_data(contact)
    for note in held.notes:
        records.update(note, {"body": ERASED_NOTE}, actor=actor)
        records.delete(note, actor=actor)
    for consent in held.consents:
        records.delete(consent, actor=actor)
    for interaction in held.interactions:
        kept = [cid for cid in interaction.contact_ids if cid != str(contact.id)]
        records.update(interaction, {"contact_ids": kept}, actor=actor)
    for record in (*held.followups, *held.opportunities):
        records.update(record, {"contact_id": None}, actor=actor)
    records.update(contact, _ERASED_FIELDS, actor=actor)
    records.delete(contact, actor=actor)
