"""First end-to-end checks: login, create, read, update with ETag, delete."""

from __future__ import annotations

import uuid

from .conftest import PASSWORD
from .helpers import account_body, create, patch


def test_login_returns_a_token_that_authenticates(client, team):
    """A password login registers the device and its token opens the API."""
    device_id = str(uuid.uuid4())
    r = client.post(
        "/api/auth/login",
        json={
            "email": "rep.a@example.fr",
            "password": PASSWORD,
            "device_id": device_id,
            "device_name": "Pixel",
        },
    )
    assert r.status_code == 200, r.get_json()
    token = r.get_json()["token"]
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json()["email"] == "rep.a@example.fr"
    assert r.get_json()["device"]["id"] == device_id


def test_account_crud_round_trip(client, team):
    """Create, read, update with If-Match and delete an account."""
    acc = create(client, team.rep_a, "/api/accounts", account_body())
    assert acc["owner_id"] == str(team.rep_a.id)
    assert acc["siren"] == "732829320"
    assert acc["version"] == 1
    path = f"/api/accounts/{acc['id']}"
    r = patch(client, team.rep_a, path, {"status": "client"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["version"] == 2
    history = client.get(path + "/status-history", headers=team.rep_a.headers).get_json()
    assert [h["to_status"] for h in history] == ["client", "prospect_warm"]
    etag = client.get(path, headers=team.manager.headers).headers["ETag"]
    r = client.delete(path, headers={**team.manager.headers, "If-Match": etag})
    assert r.status_code == 204
    assert client.get(path, headers=team.manager.headers).status_code == 404
