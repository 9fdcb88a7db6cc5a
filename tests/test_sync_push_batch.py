"""Push of large batches: chunked savepoints, the batch memo, and the device's last mid at login.

A push applies its mutations in chunks, each in one savepoint, with one memo of what the
batch already knows (scope, ids taken, custom fields). These tests pin down that none of
it changes an outcome: a rejection in the middle of a chunk keeps only its own effects
out, and what an earlier mutation of the batch did is what a later one sees.
"""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select

from server.accounts.models import Account, StatusChange
from server.extensions import db
from server.notes.models import Note
from server.sync.models import ChangeRow, ReviewItem, SyncMutation

from .conftest import PASSWORD
from .helpers import account_body, create
from .sync_helpers import new_id, pull_all, push, second_device


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 4, so that small batches span several chunks."""
    monkeypatch.setattr("sync.push.CHUNK_SIZE", 4)


def _account(mid: int, account_id: str, **fields: object) -> dict:
    body = {"name": f"Épicerie {mid}", "postal_code": "63000", "city": "Clermont-Ferrand"}
    return {
        "mid": mid,
        "entity": "account",
        "op": "create",
        "id": account_id,
        "fields": {**body, **fields},
    }


def _note(mid: int, note_id: str, account_id: str, **fields: object) -> dict:
    return {
        "mid": mid,
        "entity": "note",
        "op": "create",
        "id": note_id,
        "fields": {"account_id": account_id, "body": f"Note {mid}", **fields},
    }


def test_a_rejection_inside_a_chunk_keeps_only_its_own_effects_out(app, client, team):
    """Mutation 6 of 12 is invalid: 5 and 7 (same chunk) apply once, 6 leaves no trace."""
    accounts = [new_id() for _ in range(4)]
    notes = [new_id() for _ in range(8)]
    batch = [
        _account(1, accounts[0]),
        _note(2, notes[0], accounts[0]),
        _account(3, accounts[1]),
        _note(4, notes[1], accounts[1]),
        _note(5, notes[2], accounts[0]),
        _account(6, accounts[2], postal_code="ABCDE"),  # invalid: rejected
        _note(7, notes[3], accounts[1]),
        _note(8, notes[4], accounts[2]),  # on the rejected account: blocked
        _account(9, accounts[3]),
        _note(10, notes[5], accounts[3]),
        _note(11, notes[6], accounts[0], interaction_id=None),
        _note(12, notes[7], accounts[3]),
    ]
    r = push(client, team.rep_a.headers, batch)
    assert r.status_code == 200, r.get_json()
    statuses = [o["status"] for o in r.get_json()["outcomes"]]
    assert statuses == ["applied"] * 5 + ["rejected", "applied", "blocked"] + ["applied"] * 4
    assert r.get_json()["last_mid"] == 12
    with app.app_context():
        assert db.session.get(Account, uuid.UUID(accounts[2])) is None
        assert db.session.scalar(select(func.count()).select_from(Account)) == 3
        assert db.session.scalar(select(func.count()).select_from(Note)) == 7
        # One status change per written account (its creation), none for the rejected one.
        assert db.session.scalar(select(func.count()).select_from(StatusChange)) == 3
        # Exactly one change row per written record: nothing doubled by the chunk's replay,
        # nothing left of the rejected mutation.
        rows = db.session.execute(select(ChangeRow.entity, ChangeRow.record_id)).all()
        assert Counter(rows).most_common(1)[0][1] == 1
        logged = {str(record_id) for _entity, record_id in rows}
        assert accounts[2] not in logged
        assert notes[4] not in logged
        assert {*accounts[:2], accounts[3], *notes[:4], *notes[5:]} <= logged
        assert len(rows) == 3 + 7 + 3
        # Every mutation has its stored outcome; the rejection and the block their review.
        stored = db.session.scalars(select(SyncMutation.status).order_by(SyncMutation.mid)).all()
        assert stored == statuses
        kinds = db.session.execute(select(ReviewItem.mid, ReviewItem.kind)).all()
        assert sorted((mid, kind.value) for mid, kind in kinds) == [
            (6, "rejected"),
            (8, "blocked"),
        ]
    # Another device of the rep pulls exactly the written records.
    other = second_device(client, "rep.a@example.fr")
    entries, _ = pull_all(client, other)
    pulled = {(e["entity"], e["id"]) for e in entries if e["op"] == "put"}
    assert {i for e, i in pulled if e == "account"} == {accounts[0], accounts[1], accounts[3]}
    assert {i for e, i in pulled if e == "note"} == {*notes[:4], *notes[5:]}
    # A replay answers the same and writes nothing more.
    again = push(client, team.rep_a.headers, batch)
    assert again.get_json()["outcomes"] == r.get_json()["outcomes"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ChangeRow)) == 13


def test_the_same_id_created_twice_in_a_batch_is_rejected_the_second_time(app, client, team):
    """The batch memo knows the first create: the second is a conflict, not a duplicate."""
    account, note = new_id(), new_id()
    batch = [
        _account(1, account),
        _note(2, note, account),
        _note(3, note, account, body="Encore"),
        _account(4, account),
    ]
    outcomes = push(client, team.rep_a.headers, batch).get_json()["outcomes"]
    assert [o["status"] for o in outcomes] == ["applied", "applied", "rejected", "rejected"]
    assert {o["reason"] for o in outcomes[2:]} == {"conflicting_data"}
    with app.app_context():
        assert db.session.get(Note, uuid.UUID(note)).body == "Note 2"
        assert db.session.scalar(select(func.count()).select_from(Account)) == 1


def test_what_an_earlier_mutation_did_is_what_a_later_one_sees(app, client, team):
    """A manager creates an account, deletes it, then writes under it: the last is refused.

    The batch memo answers "may this user see account X" without a query; the delete
    earlier in the batch must change that answer.
    """
    account, first, second = new_id(), new_id(), new_id()
    batch = [
        _account(1, account, owner_id=str(team.rep_a.id)),
        _note(2, first, account),
        {"mid": 3, "entity": "account", "op": "delete", "id": account, "base_version": 1},
        _note(4, second, account),
        _note(5, new_id(), str(uuid.uuid4())),  # an account that does not exist
    ]
    outcomes = push(client, team.manager.headers, batch).get_json()["outcomes"]
    assert [o["status"] for o in outcomes] == [
        "applied",
        "applied",
        "applied",
        "rejected",
        "rejected",
    ]
    assert "account_id" in outcomes[3]["errors"]
    with app.app_context():
        assert db.session.get(Note, uuid.UUID(second)) is None


def test_a_later_batch_sees_what_a_replayed_chunk_wrote(app, client, team):
    """After a chunk was undone and replayed, its creates are known to the next chunks."""
    account, bad, late = new_id(), new_id(), new_id()
    batch = [
        _account(1, new_id()),
        _account(2, bad, postal_code="1"),  # rejected: its chunk (1-4) is replayed
        _account(3, account),
        _note(4, new_id(), account),
        _note(5, late, account),  # next chunk: refers to the account of the replayed chunk
        _note(6, new_id(), bad),  # blocked
    ]
    outcomes = push(client, team.rep_a.headers, batch).get_json()["outcomes"]
    statuses = [o["status"] for o in outcomes]
    assert statuses == ["applied", "rejected", "applied", "applied", "applied", "blocked"]
    with app.app_context():
        assert db.session.get(Note, uuid.UUID(late)).account_id == uuid.UUID(account)


def test_someone_elses_account_stays_out_of_reach_within_a_batch(client, team):
    """The memo's scope is the pushing user's: rep A cannot write under rep B's account."""
    theirs = create(client, team.rep_b, "/api/accounts", account_body())
    mine = new_id()
    batch = [
        _account(1, mine),
        _note(2, new_id(), theirs["id"]),
        _note(3, new_id(), mine),
        _note(4, new_id(), theirs["id"]),
    ]
    outcomes = push(client, team.rep_a.headers, batch).get_json()["outcomes"]
    assert [o["status"] for o in outcomes] == ["applied", "rejected", "applied", "rejected"]


def test_login_tells_a_reinstalled_app_where_its_device_stopped(client, team):
    """Logging in again with the same device id returns the device's last processed mid."""
    device_id = str(uuid.uuid4())
    login = {
        "email": "rep.b@example.fr",
        "password": PASSWORD,
        "device_id": device_id,
        "device_name": "phone",
    }
    first = client.post("/api/auth/login", json=login)
    assert first.get_json()["device"]["last_mid"] == 0
    headers = {"Authorization": f"Bearer {first.get_json()['token']}"}
    assert push(client, headers, [_account(7, new_id()), _account(9, new_id())]).status_code == 200
    again = client.post("/api/auth/login", json={**login, "device_name": "phone (reinstalled)"})
    assert again.status_code == 200
    assert again.get_json()["device"]["last_mid"] == 9
    headers = {"Authorization": f"Bearer {again.get_json()['token']}"}
    # Numbering again from 1 would be refused whole; from last_mid + 1 it applies.
    refused = push(client, headers, [_account(1, new_id())])
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "bad_batch"
    assert push(client, headers, [_account(10, new_id())]).get_json()["last_mid"] == 10
