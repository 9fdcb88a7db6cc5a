"""Bearer tokens bound to a device, and the guard that checks them on every API call."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from flask import Flask, current_app, g, request
from flask_smorest import abort
from sqlalchemy import select

from ..dbtypes import utcnow
from ..extensions import db
from ..records import Actor
from .models import Device, User

F = TypeVar("F", bound=Callable[..., object])

#: Endpoints reachable without a token (login, OpenAPI documents, static files).
_public_endpoints: set[str] = set()


def public(view: F) -> F:
    """Mark a view function as reachable without authentication."""
    view._tournee_public = True  # type: ignore[attr-defined]
    return view


def new_token() -> tuple[str, str]:
    """Return a fresh token and the SHA-256 hex digest stored for it."""
    token = "trn_" + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    """Digest under which a token is stored; the token itself is never stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def current_user() -> User:
    """The authenticated user of this request."""
    return g.user


def current_actor() -> Actor:
    """The user and device making this request, for the write layer."""
    return Actor(user_id=g.user.id, device_id=g.device.id)


def _is_public(endpoint: str | None) -> bool:
    """True when ``endpoint`` needs no token."""
    if endpoint is None:
        return True  # 404s are answered by the router
    if endpoint in _public_endpoints:
        return True
    view = current_app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    method_view = getattr(view_class, request.method.lower(), None) if view_class else None
    return bool(
        getattr(view, "_tournee_public", False) or getattr(method_view, "_tournee_public", False)
    )


def authenticate() -> None:
    """Resolve the bearer token to a live device and active user, or answer 401."""
    if not request.path.startswith("/api/") or _is_public(request.endpoint):
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(
            401,
            message="Send 'Authorization: Bearer <token>' (POST /api/auth/login).",
            headers={"WWW-Authenticate": 'Bearer realm="tournee"'},
        )
    row = db.session.execute(
        select(Device, User)
        .join(User, User.id == Device.user_id)
        .where(Device.token_hash == hash_token(token.strip()))
    ).first()
    if row is None or row.Device.revoked_at is not None or not row.User.active:
        abort(
            401,
            message="The token is unknown, logged out, or its device was revoked.",
            headers={"WWW-Authenticate": 'Bearer realm="tournee", error="invalid_token"'},
        )
    device, user = row.Device, row.User
    stamp(device, "last_seen_at")
    g.user, g.device = user, device


def stamp(device: Device, attribute: str) -> None:
    """Set the device's time ``attribute`` to now, at most once per ``DEVICE_SEEN_RESOLUTION_S``.

    A commit per request (a WAL flush on PostgreSQL, ~3 ms) for a time nobody reads to the
    second would cost more than it tells.
    """
    now = utcnow()
    resolution = timedelta(seconds=current_app.config["DEVICE_SEEN_RESOLUTION_S"])
    last = getattr(device, attribute)
    if last is None or now - last > resolution:
        setattr(device, attribute, now)
        db.session.commit()


def init_app(app: Flask) -> None:
    """Check the token before every API request; docs and static files stay public."""
    _public_endpoints.update({"static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui"})
    app.before_request(authenticate)
