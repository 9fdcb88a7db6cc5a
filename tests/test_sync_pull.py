"""Pull and bootstrap: latest state per record, tombstones, scope exits and entries, resync."""

from __future__ import annotations

import gzip
import uuid

import brotli
import orjson
from sqlalchemy import select

from server.auth.models import User
from server.extensions import db
from server.sync.models import SyncState

from .helpers import account_body, create, patch
from .sync_helpers import bootstrap_all, ids, new_id, pull_all, push, second_device

try:  # Python 3.14's own, else the backport Flask-Compress installs
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:
    from backports import zstd


def test_pull_brings_latest_state_once_and_tombstones(client, team):
    """Changes from another device and the web arrive as one put per record; deletes as such."""
    other = second_device(client, "rep.a@example.fr")
    _, cursor = pull_all(client, other)
    acc = create(client, team.rep_a, "/api/accounts", account_body())
    contact = create(
        client, team.rep_a, "/api/contacts", {"account_id": acc["id"], "last_name": "Roux"}
    )
    for city in ("Caluire", "Villeurbanne"):
        assert (
            patch(client, team.rep_a, f"/api/accounts/{acc['id']}", {"city": city}).status_code
            == 200
        )
    push(
        client,
        team.rep_a.headers,
        [
            {"mid": 1, "entity": "contact", "op": "delete", "id": contact["id"], "base_version": 1},
        ],
    )
    entries, cursor = pull_all(client, other, cursor)
    accounts = [e for e in entries if e["entity"] == "account"]
    assert len(accounts) == 1
    assert accounts[0]["data"]["city"] == "Villeurbanne"
    assert accounts[0]["version"] == 3
    assert ids(entries, "contact", "delete") == {contact["id"]}
    assert ids(entries, "status_change")  # the status history travels too
    again, _ = pull_all(client, other, cursor)
    assert again == []


def test_pull_never_shows_another_reps_records(client, team):
    """rep_b pulls nothing of rep_a's accounts; the manager of their team pulls both."""
    create(client, team.rep_a, "/api/accounts", account_body())
    theirs = create(client, team.rep_b, "/api/accounts", account_body(siret=None, name="Autre"))
    entries, _ = pull_all(client, team.rep_b.headers)
    assert ids(entries, "account") == {theirs["id"]}
    manager_entries, _ = pull_all(client, team.manager.headers)
    assert len(ids(manager_entries, "account")) == 2
    south, _ = pull_all(client, team.manager_south.headers)
    assert ids(south, "account") == set()


def test_reassignment_drops_for_the_old_rep_and_arrives_whole_for_the_new(client, team):
    """The old owner's device drops the account; the new one gets it with its whole history."""
    _, cursor_a = pull_all(client, team.rep_a.headers)
    _, cursor_b = pull_all(client, team.rep_b.headers)
    acc = create(client, team.rep_a, "/api/accounts", account_body())
    contact = create(
        client, team.rep_a, "/api/contacts", {"account_id": acc["id"], "last_name": "Roux"}
    )
    visit = create(
        client,
        team.rep_a,
        "/api/interactions",
        {
            "account_id": acc["id"],
            "kind": "visit",
            "starts_at": "2026-10-01T09:00:00Z",
            "status": "done",
            "summary": "Première visite",
        },
    )
    _, cursor_a = pull_all(client, team.rep_a.headers, cursor_a)
    _, cursor_b = pull_all(client, team.rep_b.headers, cursor_b)  # nothing for rep_b yet
    r = patch(client, team.manager, f"/api/accounts/{acc['id']}", {"owner_id": str(team.rep_b.id)})
    assert r.status_code == 200, r.get_json()
    entries_a, _ = pull_all(client, team.rep_a.headers, cursor_a)
    assert entries_a == [{"entity": "account", "id": acc["id"], "op": "drop"}]
    entries_b, _ = pull_all(client, team.rep_b.headers, cursor_b)
    assert ids(entries_b, "account") == {acc["id"]}
    assert ids(entries_b, "contact") == {contact["id"]}
    assert ids(entries_b, "interaction") == {visit["id"]}
    order = [e["entity"] for e in entries_b]
    assert order.index("account") < order.index("contact")  # parents first


def test_bootstrap_is_paged_resumable_and_continues_with_pulls(client, team):
    """A first download in pages of 3 gets the whole slice once; later changes come by pull."""
    accounts = [
        create(client, team.rep_a, "/api/accounts", account_body(siret=None, name=f"Client {i}"))
        for i in range(5)
    ]
    for acc in accounts[:2]:
        create(client, team.rep_a, "/api/notes", {"account_id": acc["id"], "body": "Note"})
    create(client, team.rep_b, "/api/accounts", account_body(siret=None, name="Pas à moi"))
    entries, cursor = bootstrap_all(client, team.rep_a.headers, limit=3)
    assert ids(entries, "account") == {a["id"] for a in accounts}
    assert len(ids(entries, "note")) == 2
    keys = [(e["entity"], e["id"]) for e in entries]
    assert len(keys) == len(set(keys))  # nothing twice across pages
    assert cursor.startswith("c1.")
    newcomer = create(client, team.rep_a, "/api/accounts", account_body(siret=None, name="Neuf"))
    later, _ = pull_all(client, team.rep_a.headers, cursor)
    assert ids(later, "account") == {newcomer["id"]}


def test_team_change_or_purged_log_requires_a_resync(app, client, team):
    """A cursor from before a team change, or older than the purge horizon, gets 410."""
    _, cursor = pull_all(client, team.rep_a.headers)
    r = client.patch(
        f"/api/users/{team.rep_a.id}", json={"team_id": None}, headers=team.admin.headers
    )
    assert r.status_code == 200
    stale = client.get(
        "/api/sync/pull", query_string={"protocol": 1, "cursor": cursor}, headers=team.rep_a.headers
    )
    assert stale.status_code == 410
    assert stale.get_json()["code"] == "resync_required"
    _, fresh = bootstrap_all(client, team.rep_a.headers)
    ok = client.get(
        "/api/sync/pull", query_string={"protocol": 1, "cursor": fresh}, headers=team.rep_a.headers
    )
    assert ok.status_code == 200
    with app.app_context():
        db.session.add(SyncState(id=1, purged_through_seq=10**6))
        db.session.commit()
    purged = client.get(
        "/api/sync/pull", query_string={"protocol": 1, "cursor": fresh}, headers=team.rep_a.headers
    )
    assert purged.status_code == 410


def test_malformed_cursors_are_422(client, team):
    """Garbage cursors are refused clearly."""
    for cursor in ("x", "c1.-1.0", "c1.1", "c1.99999999999999999999.0", "b1.0.0.zz.0"):
        r = client.get(
            "/api/sync/pull",
            query_string={"protocol": 1, "cursor": cursor},
            headers=team.rep_a.headers,
        )
        assert r.status_code == 422, cursor
        b = client.get(
            "/api/sync/bootstrap",
            query_string={"protocol": 1, "cursor": cursor},
            headers=team.rep_a.headers,
        )
        assert b.status_code == 422, cursor


def test_pull_pages_with_has_more(client, team):
    """A small limit splits the changes over pages without losing any."""
    made = {
        create(client, team.rep_a, "/api/accounts", account_body(siret=None, name=f"C{i}"))["id"]
        for i in range(7)
    }
    entries, _ = pull_all(client, team.rep_a.headers, limit=2)
    assert ids(entries, "account") == made


def test_push_then_pull_from_a_new_device_uses_client_ids(client, team):
    """A prospect created offline keeps its client-generated id end to end."""
    acc = new_id()
    push(
        client,
        team.rep_a.headers,
        [
            {
                "mid": 1,
                "entity": "account",
                "op": "create",
                "id": acc,
                "fields": {"name": "Ferme Dupuis"},
            }
        ],
    )
    other = second_device(client, "rep.a@example.fr")
    entries, _ = bootstrap_all(client, other)
    assert acc in ids(entries, "account")
    assert uuid.UUID(acc)


def test_scope_generation_is_bumped_only_by_team_or_role_changes(app, client, team):
    """Renaming a user keeps their cursors valid."""
    client.patch(
        f"/api/users/{team.rep_a.id}", json={"name": "Renommé"}, headers=team.admin.headers
    )
    with app.app_context():
        user = db.session.scalar(select(User).where(User.id == team.rep_a.id))
        assert user.scope_generation == 0


def test_sync_purge_forgets_old_changes_and_old_cursors_resync(app, client, team, runner):
    """After a purge, a cursor from before it gets 410; a fresh bootstrap works and pulls on."""
    from datetime import timedelta

    from sqlalchemy import update

    from server.dbtypes import utcnow
    from server.sync.models import ChangeRow

    _, old_cursor = pull_all(client, team.rep_a.headers)
    create(client, team.rep_a, "/api/accounts", account_body())
    with app.app_context():
        db.session.execute(update(ChangeRow).values(at=utcnow() - timedelta(days=120)))
        db.session.commit()
    result = runner.invoke(args=["sync-purge", "--days", "90"])
    assert result.exit_code == 0, result.output
    assert "Removed" in result.output
    with app.app_context():
        assert db.session.scalar(select(ChangeRow.seq)) is None
    stale = client.get(
        "/api/sync/pull",
        query_string={"protocol": 1, "cursor": old_cursor},
        headers=team.rep_a.headers,
    )
    assert stale.status_code == 410
    entries, cursor = bootstrap_all(client, team.rep_a.headers)
    assert len(ids(entries, "account")) == 1
    later = create(client, team.rep_a, "/api/accounts", account_body(siret=None, name="Après"))
    pulled, _ = pull_all(client, team.rep_a.headers, cursor)
    assert ids(pulled, "account") == {later["id"]}


def test_pages_are_compressed_with_the_best_encoding_the_client_accepts(client, team):
    """zstd when accepted (Chromium, Firefox), else br (Safari), else gzip; same page each time.

    A client that accepts nothing gets the page as it is.
    """
    for n in range(12):  # a page well over the minimum size that is compressed
        create(client, team.rep_a, "/api/accounts", account_body(siret=None, name=f"Cave {n}"))
    query = {"protocol": 1, "limit": 1000}
    plain = client.get("/api/sync/pull", query_string=query, headers={**team.rep_a.headers})
    assert plain.headers.get("Content-Encoding") is None
    expected = orjson.loads(plain.data)
    assert len(expected["changes"]) >= 24  # accounts and their status history
    decoders = {"zstd": zstd.decompress, "br": brotli.decompress, "gzip": gzip.decompress}
    for accept, chosen in (
        ("gzip, deflate, br, zstd", "zstd"),
        ("gzip, deflate, br", "br"),
        ("gzip", "gzip"),
        ("zstd;q=0.5, gzip", "gzip"),
    ):
        r = client.get(
            "/api/sync/pull",
            query_string=query,
            headers={**team.rep_a.headers, "Accept-Encoding": accept},
        )
        assert r.status_code == 200
        assert r.headers["Content-Encoding"] == chosen, accept
        assert len(r.data) < len(plain.data) / 3
        assert orjson.loads(decoders[chosen](r.data)) == expected


def test_a_worker_keeps_the_pull_statements_of_a_bounded_number_of_users(
    app, client, team, monkeypatch
):
    """Statements are kept per user and built once, never for more users than the bound."""
    from server.sync import pull

    monkeypatch.setattr(pull, "_QUERIES", {})
    monkeypatch.setattr(pull, "_QUERIES_KEPT", 2)
    with app.app_context():
        users = [db.session.get(User, p.id) for p in (team.rep_a, team.rep_b, team.manager)]
        first = pull._queries(users[0])
        assert pull._queries(users[0]) is first  # built once
        for user in users:
            pull._queries(user)
            assert len(pull._QUERIES) <= 2
        assert pull._queries(users[0]) is not first  # forgotten, built again
