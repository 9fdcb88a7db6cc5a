"""Authentication over the API: login and its rate limit, devices, logout, users."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server import create_app
from server.auth.models import Device, Role, User
from server.dbtypes import utcnow
from server.extensions import db

from .conftest import PASSWORD, Person, TeamFixture, make_user
from .helpers import error_fields

LOGIN = "/api/auth/login"


def login(
    client: FlaskClient,
    email: str,
    password: str = PASSWORD,
    device_id: uuid.UUID | str | None = None,
) -> Any:
    """POST a login from ``device_id`` (a new device by default); return the response."""
    return client.post(
        LOGIN,
        json={
            "email": email,
            "password": password,
            "device_id": str(device_id or uuid.uuid4()),
            "device_name": "Pixel 8",
        },
    )


def bearer(token: str) -> dict[str, str]:
    """Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


def test_wrong_password_and_unknown_email_get_the_same_401(
    client: FlaskClient, team: TeamFixture
) -> None:
    """A bad password and an unknown e-mail are indistinguishable 401 problems."""
    wrong = login(client, "rep.a@example.fr", "not the password")
    unknown = login(client, "nobody@example.fr")
    for r in (wrong, unknown):
        assert r.status_code == 401
        assert r.mimetype == "application/problem+json"
        assert "token" not in r.get_json()
    assert wrong.get_json()["detail"] == unknown.get_json()["detail"]


def test_login_ignores_email_case(client: FlaskClient, team: TeamFixture) -> None:
    """The e-mail is matched whatever its case."""
    assert login(client, "Rep.A@Example.FR").status_code == 200


def test_inactive_user_cannot_log_in(client: FlaskClient, team: TeamFixture) -> None:
    """A deactivated user is refused like a wrong password, and their tokens stop working."""
    r = client.patch(
        f"/api/users/{team.rep_b.id}", json={"active": False}, headers=team.admin.headers
    )
    assert r.status_code == 200
    assert login(client, team.rep_b.email).status_code == 401
    assert client.get("/api/me", headers=team.rep_b.headers).status_code == 401


@pytest.fixture
def limited_app(tmp_path: Path) -> Iterator[Flask]:
    """An app of its own on a SQLite file, allowing three login attempts a minute."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'limited.sqlite'}",
            "LOGIN_RATE_LIMIT": "3 per minute",
        }
    )
    with app.app_context():
        db.create_all()
        make_user("rep@example.fr", Role.REP, None)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_login_rate_limit_answers_429_with_retry_after(limited_app: Flask) -> None:
    """After the allowed attempts, even a right password gets a 429 problem with Retry-After."""
    client = limited_app.test_client()
    assert [login(client, "rep@example.fr", "wrong").status_code for _ in range(2)] == [401, 401]
    assert login(client, "rep@example.fr").status_code == 200
    r = login(client, "rep@example.fr")
    assert r.status_code == 429
    assert r.mimetype == "application/problem+json"
    assert r.get_json()["status"] == 429
    assert 0 < int(r.headers["Retry-After"]) <= 60


def test_device_of_another_user_is_409(client: FlaskClient, team: TeamFixture) -> None:
    """A device id registered to one user cannot be taken over by another."""
    r = login(client, team.rep_b.email, device_id=team.rep_a.device_id)
    assert r.status_code == 409
    assert error_fields(r) == {"device_id"}
    assert client.get("/api/me", headers=team.rep_a.headers).status_code == 200


def test_revoked_device_cannot_log_in_again(client: FlaskClient, team: TeamFixture) -> None:
    """Revoking a device kills its token at once and that device id stays refused (403)."""
    r = client.post(f"/api/devices/{team.rep_a.device_id}/revoke", headers=team.manager.headers)
    assert r.status_code == 200
    assert r.get_json()["revoked_at"] is not None
    assert client.get("/api/me", headers=team.rep_a.headers).status_code == 401
    r = login(client, team.rep_a.email, device_id=team.rep_a.device_id)
    assert r.status_code == 403
    assert r.mimetype == "application/problem+json"
    assert login(client, team.rep_a.email).status_code == 200  # a new device id is fine


def test_device_revocation_is_scoped(client: FlaskClient, team: TeamFixture) -> None:
    """A rep cannot revoke a teammate's device, nor a manager another team's."""
    path = f"/api/devices/{team.rep_b.device_id}/revoke"
    assert client.post(path, headers=team.rep_a.headers).status_code == 404
    assert client.post(path, headers=team.manager_south.headers).status_code == 404
    assert client.get("/api/me", headers=team.rep_b.headers).status_code == 200


def test_login_and_requests_update_device_last_seen(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """Logging in and using a token both record when the device was last seen."""
    device_id = uuid.uuid4()
    before = utcnow()
    r = login(client, team.rep_a.email, device_id=device_id)
    device = r.get_json()["device"]
    assert (device["name"], device["user_id"]) == ("Pixel 8", str(team.rep_a.id))
    with app.app_context():
        row = db.session.get(Device, device_id)
        assert row is not None
        assert row.last_seen_at is not None
        assert row.last_seen_at >= before
        row.last_seen_at = utcnow() - timedelta(days=3)
        db.session.commit()
    before = utcnow()
    assert client.get("/api/me", headers=bearer(r.get_json()["token"])).status_code == 200
    with app.app_context():
        seen = db.session.get(Device, device_id).last_seen_at
        assert seen is not None
        assert seen >= before


def test_logout_kills_the_token(client: FlaskClient, team: TeamFixture) -> None:
    """After logout the token is refused; the same device may log in again."""
    r = login(client, team.rep_a.email, device_id=team.rep_a.device_id)
    token = r.get_json()["token"]
    assert client.post("/api/auth/logout", headers=bearer(token)).status_code == 204
    assert client.get("/api/me", headers=bearer(token)).status_code == 401
    assert login(client, team.rep_a.email, device_id=team.rep_a.device_id).status_code == 200


def test_a_new_login_replaces_the_device_token(client: FlaskClient, team: TeamFixture) -> None:
    """Logging in again from a device invalidates the token it had before."""
    old = team.rep_a.headers
    assert login(client, team.rep_a.email, device_id=team.rep_a.device_id).status_code == 200
    assert client.get("/api/me", headers=old).status_code == 401


def test_requests_without_valid_token_are_401(client: FlaskClient, team: TeamFixture) -> None:
    """No token, another scheme or an unknown token: 401 problem with WWW-Authenticate."""
    for headers in ({}, {"Authorization": "Basic abc"}, bearer("trn_forged")):
        r = client.get("/api/accounts", headers=headers)
        assert r.status_code == 401
        assert r.mimetype == "application/problem+json"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_me_returns_the_caller_without_secrets(client: FlaskClient, team: TeamFixture) -> None:
    """/api/me describes the token's user and never exposes a password or hash."""
    me = client.get("/api/me", headers=team.manager.headers).get_json()
    assert (me["id"], me["email"], me["role"]) == (
        str(team.manager.id),
        team.manager.email,
        "manager",
    )
    assert me["team_id"] is not None
    assert not {"password", "password_hash"} & set(me)


def _new_user(client: FlaskClient, who: Person, **overrides: Any) -> Any:
    """POST a new rep as ``who``; return the response."""
    body = {
        "email": "Nouveau@Example.fr",
        "name": "Nouveau",
        "role": "rep",
        "password": "un mot de passe long",
    }
    return client.post("/api/users", json={**body, **overrides}, headers=who.headers)


def test_admin_creates_a_user_with_an_argon2id_hash(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """The password is stored as an Argon2id hash, never in clear, and works for login."""
    r = _new_user(client, team.admin)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["email"] == "nouveau@example.fr"
    assert "password" not in r.get_json()
    with app.app_context():
        user = db.session.get(User, uuid.UUID(r.get_json()["id"]))
        assert user is not None
        assert user.password_hash.startswith("$argon2id$")
        assert "un mot de passe long" not in user.password_hash
    assert login(client, "nouveau@example.fr", "un mot de passe long").status_code == 200


def test_user_creation_rules(client: FlaskClient, team: TeamFixture) -> None:
    """Only admins create users; e-mails are unique whatever the case; passwords have 10+
    characters."""
    assert _new_user(client, team.manager).status_code == 403
    r = _new_user(client, team.admin, password="court")
    assert r.status_code == 422
    assert error_fields(r) == {"password"}
    assert _new_user(client, team.admin).status_code == 201
    r = _new_user(client, team.admin, email="NOUVEAU@example.FR")
    assert r.status_code == 409
    assert error_fields(r) == {"email"}
    r = _new_user(client, team.admin, email="autre@example.fr", team_id=str(uuid.uuid4()))
    assert error_fields(r) == {"team_id"}
