"""Login, logout, the current user, users, teams and devices."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import func, select

from .. import access
from ..dbtypes import utcnow
from ..extensions import db, limiter
from .models import Device, Role, Team, User
from .passwords import hash_password, needs_rehash, verify_password
from .schemas import DeviceSchema, LoginSchema, SessionSchema, TeamSchema, UserSchema
from .tokens import current_user, new_token, public

blp = Blueprint("auth", __name__, url_prefix="/api", description="Login, users, teams, devices")


def _login_limit() -> str:
    """Login attempts allowed per client address (configurable)."""
    return current_app.config["LOGIN_RATE_LIMIT"]


@blp.route("/auth/login")
class Login(MethodView):
    """Log in from a device."""

    @public
    @limiter.limit(_login_limit)
    @blp.arguments(LoginSchema)
    @blp.response(200, SessionSchema)
    @blp.doc(security=[])
    def post(self, data: dict[str, Any]) -> Any:
        """Check the password, register the device, and return its bearer token"""
        user = db.session.scalar(
            select(User).where(func.lower(User.email) == data["email"].lower())
        )
        if not verify_password(user.password_hash if user else None, data["password"]) or not (
            user and user.active
        ):
            abort(401, message="Wrong e-mail or password.")
        device = db.session.get(Device, data["device_id"])
        if device is not None and device.user_id != user.id:
            abort(
                409,
                message="This device is registered to another user; use a new device id.",
                errors={"json": {"device_id": ["Registered to another user."]}},
            )
        if device is not None and device.revoked_at is not None:
            abort(
                403,
                message="This device was revoked; log in from a new device id.",
                errors={"json": {"device_id": ["Revoked."]}},
            )
        if device is None:
            device = Device(id=data["device_id"], user_id=user.id, name=data["device_name"])
            db.session.add(device)
        device.name = data["device_name"]
        device.user_agent = (request.user_agent.string or "")[:512] or None
        device.app_version = data.get("app_version")
        device.last_seen_at = utcnow()
        token, device.token_hash = new_token()
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(data["password"])
        db.session.commit()
        return {"token": token, "user": user, "device": device}


@blp.route("/auth/logout")
class Logout(MethodView):
    """End this device's session."""

    @blp.response(204)
    def post(self) -> None:
        """Forget this device's token (the device stays registered)"""
        g.device.token_hash = None
        db.session.commit()


@blp.route("/me")
class Me(MethodView):
    """The logged-in user."""

    @blp.response(200, UserSchema)
    def get(self) -> Any:
        """Who am I"""
        return current_user()


def _visible_users_stmt(user: User) -> Any:
    """Users the caller may list: self, team (manager), everyone (admin)."""
    stmt = select(User)
    allowed = access.visible_user_ids(user)
    return stmt if allowed is None else stmt.where(User.id.in_(allowed))


@blp.route("/users")
class Users(MethodView):
    """Users."""

    @blp.response(200, UserSchema(many=True))
    def get(self) -> Any:
        """List the users you may see (managers: their team; admins: everyone)"""
        return db.session.scalars(_visible_users_stmt(current_user()).order_by(User.name)).all()

    @blp.arguments(UserSchema)
    @blp.response(201, UserSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a user (admin)"""
        access.require_role(current_user(), Role.ADMIN)
        if not data.get("password"):
            abort(422, errors={"json": {"password": ["Required."]}})
        _check_user_values(data)
        if db.session.scalar(
            select(User.id).where(func.lower(User.email) == data["email"].lower())
        ):
            abort(
                409,
                message="A user already has this e-mail.",
                errors={"json": {"email": ["Already used."]}},
            )
        user = User(
            email=data["email"].lower(),
            name=data["name"],
            role=data["role"],
            team_id=data.get("team_id"),
            active=data.get("active", True),
            password_hash=hash_password(data["password"]),
        )
        db.session.add(user)
        db.session.commit()
        return user


def _check_user_values(data: dict[str, Any]) -> None:
    """The team named must exist."""
    if data.get("team_id") is not None and db.session.get(Team, data["team_id"]) is None:
        abort(422, errors={"json": {"team_id": ["Unknown team."]}})


@blp.route("/users/<uuid:user_id>")
class UserById(MethodView):
    """One user."""

    @blp.response(200, UserSchema)
    def get(self, user_id: uuid.UUID) -> Any:
        """Get a user you may see"""
        user = db.session.scalar(_visible_users_stmt(current_user()).where(User.id == user_id))
        if user is None:
            abort(404, message="No user with this id.")
        return user

    @blp.arguments(UserSchema(partial=True))
    @blp.response(200, UserSchema)
    def patch(self, data: dict[str, Any], user_id: uuid.UUID) -> Any:
        """Change a user's name, role, team, password or active flag (admin)"""
        caller = current_user()
        user = db.session.scalar(_visible_users_stmt(caller).where(User.id == user_id))
        if user is None:
            abort(404, message="No user with this id.")
        access.require_role(caller, Role.ADMIN)
        _check_user_values(data)
        if "email" in data and data["email"].lower() != user.email:
            taken = db.session.scalar(
                select(User.id).where(func.lower(User.email) == data["email"].lower())
            )
            if taken:
                abort(
                    409,
                    message="A user already has this e-mail.",
                    errors={"json": {"email": ["Already used."]}},
                )
            user.email = data["email"].lower()
        if ("role" in data and data["role"] != user.role) or (
            "team_id" in data and data["team_id"] != user.team_id
        ):
            # What the user may see changes wholesale: their devices must download again.
            user.scope_generation += 1
        for name in ("name", "role", "team_id", "active"):
            if name in data:
                setattr(user, name, data[name])
        if data.get("password"):
            user.password_hash = hash_password(data["password"])
        if data.get("active") is False or data.get("password"):
            # Deactivating a user or resetting a password logs every device out.
            for device in db.session.scalars(select(Device).where(Device.user_id == user.id)):
                device.token_hash = None
        db.session.commit()
        return user


@blp.route("/teams")
class Teams(MethodView):
    """Sales teams."""

    @blp.response(200, TeamSchema(many=True))
    def get(self) -> Any:
        """List teams"""
        return db.session.scalars(select(Team).order_by(Team.name)).all()

    @blp.arguments(TeamSchema)
    @blp.response(201, TeamSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a team (admin)"""
        access.require_role(current_user(), Role.ADMIN)
        if db.session.scalar(select(Team.id).where(Team.name == data["name"])):
            abort(
                409,
                message="A team already has this name.",
                errors={"json": {"name": ["Already used."]}},
            )
        team = Team(name=data["name"])
        db.session.add(team)
        db.session.commit()
        return team


def _visible_devices_stmt(user: User) -> Any:
    """Devices of the users the caller may see."""
    stmt = select(Device)
    allowed = access.visible_user_ids(user)
    return stmt if allowed is None else stmt.where(Device.user_id.in_(allowed))


@blp.route("/devices")
class Devices(MethodView):
    """Registered devices."""

    @blp.response(200, DeviceSchema(many=True))
    def get(self) -> Any:
        """List devices: your own, your team's (manager), or all (admin)"""
        stmt = _visible_devices_stmt(current_user()).order_by(Device.last_seen_at.desc())
        return db.session.scalars(stmt).all()


@blp.route("/devices/<uuid:device_id>/revoke")
class RevokeDevice(MethodView):
    """Revoke a device."""

    @blp.response(200, DeviceSchema)
    def post(self, device_id: uuid.UUID) -> Any:
        """Revoke a device: its token stops working at once (yours, or your team's as manager)"""
        device = db.session.scalar(
            _visible_devices_stmt(current_user()).where(Device.id == device_id)
        )
        if device is None:
            abort(404, message="No device with this id.")
        if device.revoked_at is None:
            device.revoked_at = utcnow()
        device.token_hash = None
        db.session.commit()
        return device
