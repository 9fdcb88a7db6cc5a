"""Back-office review: listing, per-field resolution that syncs, apply and discard, audit."""

from __future__ import annotations

from typing import Any

from .helpers import account_body, create, patch
from .sync_helpers import ids, new_id, pull_all, push, second_device


def _conflict(client: Any, team: Any) -> tuple[dict, dict]:
    """rep_a's device and the manager both rename an account: a server_wins conflict."""
    acc = create(client, team.rep_a, "/api/accounts", account_body())
    assert (
        patch(
            client, team.manager, f"/api/accounts/{acc['id']}", {"name": "Martin & Fils"}
        ).status_code
        == 200
    )
    r = push(
        client,
        team.rep_a.headers,
        [
            {
                "mid": 1,
                "entity": "account",
                "op": "update",
                "id": acc["id"],
                "base_version": 1,
                "fields": {"name": "Martin SARL"},
            },
        ],
        pending=0,
    )
    outcome = r.get_json()["outcomes"][0]
    assert outcome["status"] == "conflict"
    return acc, outcome


def test_review_list_is_for_the_team_manager_and_admins(client, team):
    """The Nord manager and the admin see the item; a rep gets 403; the Sud manager nothing."""
    _acc, outcome = _conflict(client, team)
    for who in (team.manager, team.admin):
        items = client.get("/api/sync/review", headers=who.headers).get_json()
        assert [i["id"] for i in items] == [outcome["review_id"]]
        assert items[0]["conflicts"]["name"]["device"] == "Martin SARL"
        assert items[0]["conflicts"]["name"]["base"] == "Boulangerie Martin"
    assert client.get("/api/sync/review", headers=team.rep_a.headers).status_code == 403
    assert client.get("/api/sync/review", headers=team.manager_south.headers).get_json() == []
    item = f"/api/sync/review/{outcome['review_id']}"
    assert client.get(item, headers=team.manager_south.headers).status_code == 404
    filtered = client.get(
        "/api/sync/review",
        query_string={
            "user_id": str(team.rep_a.id),
            "kind": "conflict",
            "entity": "account",
            "status": "open",
        },
        headers=team.manager.headers,
    ).get_json()
    assert len(filtered) == 1
    none = client.get(
        "/api/sync/review",
        query_string={"user_id": str(team.rep_b.id)},
        headers=team.manager.headers,
    ).get_json()
    assert none == []


def test_choosing_the_device_value_writes_it_and_reaches_every_device(client, team):
    """Resolving a conflict is a change like any other: both of the rep's devices pull it."""
    other = second_device(client, "rep.a@example.fr")
    acc, outcome = _conflict(client, team)
    _, cursor_a = pull_all(client, team.rep_a.headers)
    _, cursor_b = pull_all(client, other)
    path = f"/api/sync/review/{outcome['review_id']}/resolve"
    r = client.post(
        path, json={"action": "choose", "fields": {"name": "device"}}, headers=team.manager.headers
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "resolved"
    for headers, cursor in ((team.rep_a.headers, cursor_a), (other, cursor_b)):
        entries, _ = pull_all(client, headers, cursor)
        puts = [e for e in entries if e["entity"] == "account" and e["id"] == acc["id"]]
        assert puts[0]["data"]["name"] == "Martin SARL"
    again = client.post(path, json={"action": "discard"}, headers=team.manager.headers)
    assert again.status_code == 409


def test_choose_needs_every_conflicting_field_and_known_choices(client, team):
    """Incomplete or unknown choices are 422 naming the field; nothing is written."""
    acc, outcome = _conflict(client, team)
    path = f"/api/sync/review/{outcome['review_id']}/resolve"
    bad = [
        {"action": "choose", "fields": {"city": "device"}},
        {"action": "choose", "fields": {"name": "both"}},
        {"action": "apply"},
    ]
    for body in bad:
        r = client.post(path, json=body, headers=team.manager.headers)
        assert r.status_code == 422, (body, r.get_json())
    now = client.get(f"/api/accounts/{acc['id']}", headers=team.rep_a.headers).get_json()
    assert now["name"] == "Martin & Fils"


def test_a_rejected_prospect_can_be_corrected_and_applied_then_its_blocked_note(client, team):
    """Apply with corrected values creates the prospect; the blocked note can then be applied."""
    acc, note = new_id(), new_id()
    r = push(
        client,
        team.rep_a.headers,
        [
            {
                "mid": 1,
                "entity": "account",
                "op": "create",
                "id": acc,
                "fields": {"name": "Ferme Dupuis", "postal_code": "6300"},
            },
            {
                "mid": 2,
                "entity": "note",
                "op": "create",
                "id": note,
                "fields": {"account_id": acc, "body": "Veut un devis"},
            },
        ],
    )
    rejected, blocked = r.get_json()["outcomes"]
    assert (rejected["status"], blocked["status"]) == ("rejected", "blocked")
    fix = client.post(
        f"/api/sync/review/{rejected['review_id']}/resolve",
        json={"action": "apply", "values": {"postal_code": "63000"}},
        headers=team.manager.headers,
    )
    assert fix.status_code == 200, fix.get_json()
    created = client.get(f"/api/accounts/{acc}", headers=team.rep_a.headers).get_json()
    assert created["postal_code"] == "63000"
    assert created["owner_id"] == str(team.rep_a.id)  # still the rep's prospect
    ok = client.post(
        f"/api/sync/review/{blocked['review_id']}/resolve",
        json={"action": "apply"},
        headers=team.manager.headers,
    )
    assert ok.status_code == 200, ok.get_json()
    entries, _ = pull_all(client, team.rep_a.headers)
    assert note in ids(entries, "note")


def test_apply_that_still_fails_keeps_the_item_open(client, team):
    """A correction that is still invalid answers 422 and the item stays open."""
    acc = new_id()
    r = push(
        client,
        team.rep_a.headers,
        [
            {
                "mid": 1,
                "entity": "account",
                "op": "create",
                "id": acc,
                "fields": {"name": "Ferme", "postal_code": "6300"},
            },
        ],
    )
    review_id = r.get_json()["outcomes"][0]["review_id"]
    again = client.post(
        f"/api/sync/review/{review_id}/resolve",
        json={"action": "apply", "values": {"postal_code": "ABCDE"}},
        headers=team.manager.headers,
    )
    assert again.status_code == 422
    item = client.get(f"/api/sync/review/{review_id}", headers=team.manager.headers).get_json()
    assert item["status"] == "open"


def test_discard_keeps_the_server_and_closes_the_item(client, team):
    """Discarding a conflict leaves the server value and records who decided."""
    acc, outcome = _conflict(client, team)
    r = client.post(
        f"/api/sync/review/{outcome['review_id']}/resolve",
        json={"action": "discard"},
        headers=team.admin.headers,
    )
    assert r.status_code == 200
    assert r.get_json()["status"] == "discarded"
    assert r.get_json()["resolved_by_id"] == str(team.admin.id)
    now = client.get(f"/api/accounts/{acc['id']}", headers=team.rep_a.headers).get_json()
    assert now["name"] == "Martin & Fils"


def test_audit_trail_lists_every_change_with_who_where_and_values(client, team):
    """The trail shows the create, the web edit and the device edit, with old and new values."""
    acc, _ = _conflict(client, team)
    push(
        client,
        team.rep_a.headers,
        [
            {
                "mid": 2,
                "entity": "account",
                "op": "update",
                "id": acc["id"],
                "base_version": 2,
                "fields": {"city": "Caluire"},
            },
        ],
    )
    trail = client.get(f"/api/sync/audit/account/{acc['id']}", headers=team.manager.headers)
    assert trail.status_code == 200
    entries = trail.get_json()
    assert [e["op"] for e in entries] == ["create", "update", "update"]
    assert entries[1]["user_id"] == str(team.manager.id)
    assert entries[1]["fields"]["name"] == {"old": "Boulangerie Martin", "new": "Martin & Fils"}
    assert entries[2]["device_id"] == str(team.rep_a.device_id)
    assert entries[2]["fields"]["city"] == {"old": "Lyon", "new": "Caluire"}
    assert [e["version"] for e in entries] == [1, 2, 3]
    hidden = client.get(f"/api/sync/audit/account/{acc['id']}", headers=team.rep_c.headers)
    assert hidden.status_code == 404
    unknown = client.get(f"/api/sync/audit/widget/{acc['id']}", headers=team.manager.headers)
    assert unknown.status_code == 404


def test_devices_list_shows_sync_state(client, team):
    """The manager sees the rep's device with its last sync, last mid and reported pending."""
    _conflict(client, team)
    devices = client.get("/api/devices", headers=team.manager.headers).get_json()
    mine = next(d for d in devices if d["id"] == str(team.rep_a.device_id))
    assert mine["last_mid"] == 1
    assert mine["last_sync_at"] is not None
    assert mine["pending_reported"] == 0


def test_review_items_name_their_account_within_the_reviewers_scope(client, team):
    """Items carry the account's name for the reviewer; once the account has moved to another
    team it is named no more (the item stays: the change was the rep's)."""
    acc, outcome = _conflict(client, team)
    path = f"/api/sync/review/{outcome['review_id']}"
    (listed,) = client.get("/api/sync/review", headers=team.manager.headers).get_json()
    assert listed["account_name"] == "Martin & Fils"
    assert client.get(path, headers=team.manager.headers).get_json()["account_name"] == (
        "Martin & Fils"
    )
    owner = {"owner_id": str(team.rep_c.id)}
    moved = patch(client, team.admin, f"/api/accounts/{acc['id']}", owner)
    assert moved.status_code == 200, moved.get_json()
    (listed,) = client.get("/api/sync/review", headers=team.manager.headers).get_json()
    assert listed["account_name"] is None
    assert client.get(path, headers=team.admin.headers).get_json()["account_name"] == (
        "Martin & Fils"
    )
