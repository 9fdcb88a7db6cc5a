"""Schemas of login, users, teams and devices."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..auth.models import Role
from ..fields import Email, Line, Text, Timestamp


class LoginSchema(Schema):
    """Credentials and the device they register."""

    email = Email(required=True)
    password = Text(200, multiline=True, required=True)
    device_id = fields.UUID(required=True, metadata={"description": "Generated once per install"})
    device_name = Line(120, load_default="Navigateur")
    app_version = Line(40, allow_none=True)


class TeamSchema(Schema):
    """A sales team."""

    id = fields.UUID(dump_only=True)
    name = Line(120, required=True)
    created_at = Timestamp(dump_only=True)


class UserSchema(Schema):
    """A user as others see it (never the password hash)."""

    id = fields.UUID(dump_only=True)
    email = Email(required=True)
    name = Line(120, required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    team_id = fields.UUID(allow_none=True)
    active = fields.Boolean(load_default=True)
    created_at = Timestamp(dump_only=True)
    password = Text(
        200,
        multiline=True,
        load_only=True,
        validate=validate.Length(min=10, max=200),
        metadata={"description": "At least 10 characters"},
    )


class DeviceSchema(Schema):
    """A registered device."""

    id = fields.UUID()
    user_id = fields.UUID()
    name = fields.String()
    user_agent = fields.String(allow_none=True)
    app_version = fields.String(allow_none=True)
    created_at = Timestamp()
    last_seen_at = Timestamp(allow_none=True)
    revoked_at = Timestamp(allow_none=True)
    last_sync_at = Timestamp(allow_none=True)
    last_mid = fields.Integer(metadata={"description": "Last mutation id the server processed"})
    pending_reported = fields.Integer(
        allow_none=True, metadata={"description": "Changes waiting on the device at its last push"}
    )


class SessionSchema(Schema):
    """What a successful login returns."""

    token = fields.String(metadata={"description": "Send as 'Authorization: Bearer <token>'"})
    user = fields.Nested(UserSchema)
    device = fields.Nested(DeviceSchema)
