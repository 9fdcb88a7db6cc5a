"""Push: outcomes, idempotent replays, isolated failures, dependencies, conflicts by version."""

from __future__ import annotations

from sqlalchemy import func, select

from server.extensions import db
from server.notes.models import Note
from server.sync.models import ReviewItem, SyncMutation

from .helpers import account_body, create
from .sync_helpers import new_id, push


def _account_create(mid: int, account_id: str, **fields: object) -> dict:
    body = {
        "name": "Boulangerie Roux",
        "postal_code": "63000",
        "city": "Clermont-Ferrand",
        "status": "prospect_hot",
        **fields,
    }
    return {"mid": mid, "entity": "account", "op": "create", "id": account_id, "fields": body}


def test_push_applies_in_order_and_a_replay_applies_nothing_twice(app, client, team):
    """A lost answer: the same batch pushed again returns the original outcomes, no duplicates."""
    acc, note = new_id(), new_id()
    batch = [
        _account_create(1, acc),
        {
            "mid": 2,
            "entity": "note",
            "op": "create",
            "id": note,
            "fields": {"account_id": acc, "body": "Rappeler après le salon"},
        },
        {
            "mid": 3,
            "entity": "account",
            "op": "update",
            "id": acc,
            "base_version": 1,
            "fields": {"status": "client"},
        },
    ]
    first = push(client, team.rep_a.headers, batch)
    assert first.status_code == 200, first.get_json()
    outcomes = first.get_json()["outcomes"]
    assert [o["status"] for o in outcomes] == ["applied", "applied", "applied"]
    assert outcomes[2]["version"] == 2
    assert first.get_json()["last_mid"] == 3
    again = push(client, team.rep_a.headers, batch)
    assert again.get_json()["outcomes"] == outcomes
    with app.app_context():
        assert db.session.scalar(select(func.count(Note.id))) == 1
        assert db.session.scalar(select(func.count()).select_from(SyncMutation)) == 3
    account = client.get(f"/api/accounts/{acc}", headers=team.rep_a.headers).get_json()
    assert account["status"] == "client"
    assert account["version"] == 2


def test_a_batch_that_overlaps_the_last_one_replays_the_old_part_and_applies_the_rest(
    app, client, team
):
    """Mids up to the device's last one get their stored outcomes (a rejection included),
    the ones above it are applied: only mids at or below ``last_mid`` have stored outcomes."""
    acc, other = new_id(), new_id()
    first = [_account_create(1, acc), _account_create(2, other, name="")]
    answer = push(client, team.rep_a.headers, first).get_json()
    assert [o["status"] for o in answer["outcomes"]] == ["applied", "rejected"]
    note = {
        "mid": 3,
        "entity": "note",
        "op": "create",
        "id": new_id(),
        "fields": {"account_id": acc, "body": "Vu le gérant"},
    }
    again = push(client, team.rep_a.headers, [*first, note]).get_json()
    assert again["outcomes"][:2] == answer["outcomes"]
    assert again["outcomes"][2]["status"] == "applied"
    assert again["last_mid"] == 3
    with app.app_context():
        assert db.session.scalar(select(func.count(Note.id))) == 1
        assert db.session.scalar(select(func.count()).select_from(SyncMutation)) == 3
        assert db.session.scalar(select(func.count()).select_from(ReviewItem)) == 1


def test_a_rejected_create_blocks_its_dependents_only_and_both_are_kept(app, client, team):
    """An invalid prospect is rejected, the note on it blocked, an unrelated note applied."""
    existing = create(client, team.rep_a, "/api/accounts", account_body())
    bad, note_on_bad, other_note = new_id(), new_id(), new_id()
    batch = [
        _account_create(10, bad, postal_code="ABCDE"),
        {
            "mid": 11,
            "entity": "note",
            "op": "create",
            "id": note_on_bad,
            "fields": {"account_id": bad, "body": "Très intéressé"},
        },
        {
            "mid": 12,
            "entity": "note",
            "op": "create",
            "id": other_note,
            "fields": {"account_id": existing["id"], "body": "RAS"},
        },
    ]
    r = push(client, team.rep_a.headers, batch)
    statuses = [o["status"] for o in r.get_json()["outcomes"]]
    assert statuses == ["rejected", "blocked", "applied"]
    rejected = r.get_json()["outcomes"][0]
    assert rejected["reason"] == "invalid"
    assert "postal_code" in rejected["errors"]
    with app.app_context():
        items = db.session.scalars(select(ReviewItem).order_by(ReviewItem.mid)).all()
        assert [(i.kind.value, i.mid) for i in items] == [("rejected", 10), ("blocked", 11)]
        assert items[1].payload["body"] == "Très intéressé"  # kept, not dropped
    # A later batch touching the rejected record is blocked too.
    later = push(
        client,
        team.rep_a.headers,
        [
            {
                "mid": 13,
                "entity": "account",
                "op": "update",
                "id": bad,
                "base_version": 1,
                "fields": {"city": "Riom"},
            },
        ],
    )
    assert later.get_json()["outcomes"][0]["status"] == "blocked"


def test_mutation_ids_going_backwards_refuse_the_batch_and_apply_nothing(app, client, team):
    """A batch whose mids do not increase is a 422 and writes nothing."""
    a, b = new_id(), new_id()
    r = push(client, team.rep_a.headers, [_account_create(5, a), _account_create(4, b)])
    assert r.status_code == 422
    assert r.get_json()["code"] == "bad_batch"
    assert client.get(f"/api/accounts/{a}", headers=team.rep_a.headers).status_code == 404


def test_an_outdated_client_gets_upgrade_required_and_nothing_is_applied(client, team, monkeypatch):
    """Below the oldest supported protocol: 426 problem, the batch untouched; future: 422."""
    monkeypatch.setattr("sync.protocol.OLDEST_SUPPORTED_PROTOCOL", 1)
    acc = new_id()
    r = push(client, team.rep_a.headers, [_account_create(1, acc)], protocol=0)
    assert r.status_code == 426
    assert r.mimetype == "application/problem+json"
    assert r.get_json()["code"] == "upgrade_required"
    assert client.get(f"/api/accounts/{acc}", headers=team.rep_a.headers).status_code == 404
    pulled = client.get("/api/sync/pull", query_string={"protocol": 0}, headers=team.rep_a.headers)
    assert pulled.status_code == 426
    future = push(client, team.rep_a.headers, [_account_create(1, acc)], protocol=99)
    assert future.status_code == 422
    # The same batch from an up-to-date client applies: the outbox was not consumed.
    assert push(client, team.rep_a.headers, [_account_create(1, acc)]).status_code == 200
    assert client.get(f"/api/accounts/{acc}", headers=team.rep_a.headers).status_code == 200


def test_other_reps_records_are_rejected_not_leaked(client, team):
    """Updating another rep's account through sync is rejected as not found."""
    theirs = create(client, team.rep_b, "/api/accounts", account_body())
    r = push(
        client,
        team.rep_a.headers,
        [
            {
                "mid": 1,
                "entity": "account",
                "op": "update",
                "id": theirs["id"],
                "base_version": 1,
                "fields": {"name": "Piraté"},
            },
        ],
    )
    outcome = r.get_json()["outcomes"][0]
    assert outcome["status"] == "rejected"
    assert outcome["reason"] == "not_found"
    assert (
        client.get(f"/api/accounts/{theirs['id']}", headers=team.rep_b.headers).get_json()["name"]
        == "Boulangerie Martin"
    )


def test_concurrent_edits_of_different_fields_merge(client, team):
    """The web changed the city, the device the phone: both kept, outcome merged."""
    acc = create(client, team.rep_a, "/api/accounts", account_body())
    path = f"/api/accounts/{acc['id']}"
    etag = client.get(path, headers=team.manager.headers).headers["ETag"]
    client.patch(
        path,
        json={"city": "Villeurbanne", "postal_code": "69100"},
        headers={**team.manager.headers, "If-Match": etag},
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
                "fields": {"phone": "04 72 00 00 00"},
            },
        ],
    )
    assert r.get_json()["outcomes"][0]["status"] == "merged"
    after = client.get(path, headers=team.rep_a.headers).get_json()
    assert (after["city"], after["phone"]) == ("Villeurbanne", "+33472000000")


def test_same_field_conflict_follows_the_policy_and_is_kept_for_review(app, client, team):
    """Report fields: device wins; master data: server wins; both leave a review item."""
    acc = create(client, team.rep_a, "/api/accounts", account_body())
    visit = create(
        client,
        team.rep_a,
        "/api/interactions",
        {
            "account_id": acc["id"],
            "kind": "visit",
            "starts_at": "2026-11-20T09:00:00Z",
        },
    )
    for path, body in (
        (f"/api/interactions/{visit['id']}", {"summary": "Vu au bureau"}),
        (f"/api/accounts/{acc['id']}", {"name": "Boulangerie Martin & Fils"}),
    ):
        etag = client.get(path, headers=team.manager.headers).headers["ETag"]
        r = client.patch(path, json=body, headers={**team.manager.headers, "If-Match": etag})
        assert r.status_code == 200
    r = push(
        client,
        team.rep_a.headers,
        [
            {
                "mid": 1,
                "entity": "interaction",
                "op": "update",
                "id": visit["id"],
                "base_version": 1,
                "fields": {"summary": "Commande de 40 cartons", "status": "done"},
            },
            {
                "mid": 2,
                "entity": "account",
                "op": "update",
                "id": acc["id"],
                "base_version": 1,
                "fields": {"name": "Boulangerie Martin SARL"},
            },
        ],
    )
    visit_outcome, account_outcome = r.get_json()["outcomes"]
    assert visit_outcome["status"] == "conflict"
    assert visit_outcome["fields"]["summary"] == "device"
    assert account_outcome["status"] == "conflict"
    assert account_outcome["fields"]["name"] == "server"
    got_visit = client.get(f"/api/interactions/{visit['id']}", headers=team.rep_a.headers)
    assert got_visit.get_json()["summary"] == "Commande de 40 cartons"
    assert got_visit.get_json()["status"] == "done"
    got_acc = client.get(f"/api/accounts/{acc['id']}", headers=team.rep_a.headers).get_json()
    assert got_acc["name"] == "Boulangerie Martin & Fils"
    with app.app_context():
        item = db.session.scalar(select(ReviewItem).where(ReviewItem.mid == 2))
        assert item.conflicts["name"] == {
            "base": "Boulangerie Martin",
            "server": "Boulangerie Martin & Fils",
            "device": "Boulangerie Martin SARL",
            "winner": "server",
        }


def test_a_device_own_earlier_edit_is_not_a_conflict(client, team):
    """Two offline edits of the same field from one device, both based on v1: no conflict."""
    acc = create(client, team.rep_a, "/api/accounts", account_body())
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
                "fields": {"city": "Lyon 3e"},
            },
            {
                "mid": 2,
                "entity": "account",
                "op": "update",
                "id": acc["id"],
                "base_version": 1,
                "fields": {"city": "Lyon"},
            },
        ],
    )
    assert [o["status"] for o in r.get_json()["outcomes"]] == ["applied", "applied"]


def test_delete_is_idempotent_and_a_tombstone(client, team):
    """Deleting twice is applied twice; the record is gone from the API."""
    acc = create(client, team.rep_a, "/api/accounts", account_body())
    contact = create(
        client, team.rep_a, "/api/contacts", {"account_id": acc["id"], "last_name": "Roux"}
    )
    mutation = {"entity": "contact", "op": "delete", "id": contact["id"], "base_version": 1}
    r = push(client, team.rep_a.headers, [{"mid": 1, **mutation}, {"mid": 2, **mutation}])
    assert [o["status"] for o in r.get_json()["outcomes"]] == ["applied", "applied"]
    gone = client.get(f"/api/contacts/{contact['id']}", headers=team.rep_a.headers)
    assert gone.status_code == 404
