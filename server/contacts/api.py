"""Contact endpoints, and a contact's GDPR consents."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from .. import access, crud, records
from ..auth.models import Role
from ..auth.tokens import current_actor, current_user
from ..dbtypes import utcnow
from ..extensions import db
from .gdpr import erase_contact, personal_data
from .models import Consent, Contact
from .schemas import ConsentSchema, ContactListArgs, ContactSchema, PersonalDataSchema
from .service import filter_contacts, prepare_contact

blp = Blueprint("contacts", __name__, url_prefix="/api/contacts", description="People at accounts")

crud.register(
    blp,
    crud.Resource(
        model=Contact,
        schema=ContactSchema,
        query_schema=ContactListArgs,
        plural="contacts",
        title="a contact",
        sortable=("last_name", "first_name", "created_at", "updated_at"),
        default_sort="last_name,first_name",
        filter=filter_contacts,
        prepare=prepare_contact,
        immutable=("account_id",),
    ),
    "",
)


@blp.route("/<uuid:record_id>/consents")
class ContactConsents(MethodView):
    """GDPR consents of a contact: an append-only record per purpose."""

    @blp.response(200, ConsentSchema(many=True))
    def get(self, record_id: uuid.UUID) -> Any:
        """Every consent given or withdrawn by the contact, oldest first"""
        contact = access.get_or_404(Contact, record_id, current_user())
        return db.session.scalars(
            select(Consent)
            .where(Consent.contact_id == contact.id, Consent.deleted_at.is_(None))
            .order_by(Consent.recorded_at, Consent.created_at)
        ).all()

    @blp.arguments(ConsentSchema)
    @blp.response(201, ConsentSchema)
    def post(self, data: dict[str, Any], record_id: uuid.UUID) -> Any:
        """Record that the contact gave or withdrew consent for a purpose"""
        contact = access.get_or_404(Contact, record_id, current_user())
        if data.get("id") is not None and db.session.get(Consent, data["id"]) is not None:
            crud.abort(409, message=f"A consent with id {data['id']} already exists.")
        values = {
            **data,
            "contact_id": contact.id,
            "account_id": contact.account_id,
            "recorded_at": data.get("recorded_at") or utcnow(),
        }
        consent = records.create(Consent, values, actor=current_actor())
        db.session.commit()
        return consent


@blp.route("/<uuid:record_id>/personal-data")
class ContactPersonalData(MethodView):
    """GDPR right of access."""

    @blp.response(200, PersonalDataSchema)
    def get(self, record_id: uuid.UUID) -> Any:
        """Everything held about the contact: the contact, consents, notes, interactions..."""
        return personal_data(access.get_or_404(Contact, record_id, current_user()))


@blp.route("/<uuid:record_id>/erase")
class ContactErasure(MethodView):
    """GDPR right to erasure."""

    @blp.response(204)
    def post(self, record_id: uuid.UUID) -> None:
        """Erase the contact: anonymize it and the notes about them (manager or admin)"""
        user = current_user()
        contact = access.get_or_404(Contact, record_id, user)
        access.require_role(user, Role.MANAGER, Role.ADMIN)
        erase_contact(contact, actor=current_actor())
        db.session.commit()
