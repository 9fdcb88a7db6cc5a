"""Contact and consent schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..crud import ChildListArgs, RecordSchema
from ..enums import Channel, Civility, ConsentPurpose, ConsentState
from ..fields import Email, Line, Phone, Timestamp, Url
from ..followups.schemas import FollowUpSchema
from ..interactions.schemas import InteractionSchema
from ..notes.schemas import NoteSchema
from ..opportunities.schemas import OpportunitySchema


class ContactSchema(RecordSchema):
    """A person at an account."""

    account_id = fields.UUID(required=True)
    civility = fields.Enum(Civility, by_value=True, allow_none=True)
    first_name = Line(100, allow_none=True)
    last_name = Line(100, required=True)
    job_title = Line(120, allow_none=True, metadata={"description": "Fonction"})
    email = Email(allow_none=True)
    mobile = Phone(allow_none=True, metadata={"description": "E.164; 06 12 34 56 78 accepted"})
    phone = Phone(allow_none=True)
    social_links = fields.Dict(
        keys=Line(30),
        values=Url(),
        validate=validate.Length(max=10),
        metadata={"description": '{"linkedin": "https://..."}'},
    )
    preferred_channel = fields.Enum(Channel, by_value=True, allow_none=True)
    birthday = fields.Date(allow_none=True)
    is_primary = fields.Boolean()
    custom = fields.Dict(keys=Line(40))
    consents = fields.Method("current_consents", dump_only=True)

    def current_consents(self, contact: object) -> dict[str, str]:
        """Current state per purpose (the latest consent record wins)."""
        from .service import current_consents

        return current_consents(contact)


class ContactListArgs(ChildListArgs):
    """Filters of the contact list."""

    q = Line(100, metadata={"description": "Search names, job title, e-mail (accents ignored)"})
    email = Line(254)


class ConsentSchema(RecordSchema):
    """One consent record: given or withdrawn for a purpose, when and where."""

    contact_id = fields.UUID(dump_only=True)
    account_id = fields.UUID(dump_only=True)
    purpose = fields.Enum(ConsentPurpose, by_value=True, required=True)
    state = fields.Enum(ConsentState, by_value=True, required=True)
    recorded_at = Timestamp(metadata={"description": "Defaults to now"})
    source = Line(120, required=True, metadata={"description": "visit, web form, call..."})


class PersonalDataSchema(Schema):
    """A subject access export: the contact and every record that names them."""

    exported_at = Timestamp()
    contact = fields.Nested(ContactSchema)
    consents = fields.List(fields.Nested(ConsentSchema))
    notes = fields.List(fields.Nested(NoteSchema))
    interactions = fields.List(fields.Nested(InteractionSchema))
    followups = fields.List(fields.Nested(FollowUpSchema))
    opportunities = fields.List(fields.Nested(OpportunitySchema))
