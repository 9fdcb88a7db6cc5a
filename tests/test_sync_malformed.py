"""Malformed sync payloads: a clear 4xx or a per-mutation rejection, never a 5xx, nothing lost.

A batch that is malformed as a whole (wrong types anywhere in its envelope, mutation ids not
increasing, too many mutations, too many bytes) is refused whole: a problem document, and
the database exactly as before, so the device keeps its outbox and can push it again. A
well-formed mutation whose content is wrong (bad field values, an unknown or read-only
entity, another user's record) is rejected alone: the rest of the batch applies, and the
rejected mutation is kept as a review item with the device's fields as sent (NUL and lone
surrogates replaced by U+FFFD, non-finite numbers by their text, since no JSON column can
hold them). Pull and bootstrap refuse bad cursors, limits and protocols with a 4xx.
"""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server import crud
from server.auth.models import Device
from server.extensions import db
from server.sync.models import ReviewItem, SyncMutation
from server.sync.store import MAX_PAYLOAD_DEPTH

from .conftest import Person, TeamFixture
from .helpers import account_body, create

PROBLEM = "application/problem+json"
REMOVE = object()  #: marks a key to leave out of a mutation


def post_push(client: FlaskClient, who: Person, body: Any) -> Any:
    """POST ``body`` as JSON text (NaN and lone surrogates escaped as Python writes them)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.post(
        "/api/sync/push", data=data, content_type="application/json", headers=who.headers
    )
    assert_clear(response)
    return response


def assert_clear(response: Any) -> None:
    """Never a 5xx; every 4xx a problem document with its status."""
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        assert response.mimetype == PROBLEM
        assert response.get_json()["status"] == response.status_code


def db_state(app: Flask) -> dict[str, list[str]]:
    """Every row of every table, devices reduced to what sync may change (not last seen)."""
    with app.app_context():
        out: dict[str, list[str]] = {}
        for table in db.metadata.sorted_tables:
            if table.name == "devices":
                rows = db.session.execute(
                    select(Device.id, Device.last_mid, Device.pending_reported, Device.app_version)
                )
            else:
                rows = db.session.execute(select(table))
            out[table.name] = sorted(repr(tuple(row)) for row in rows)
        return out


def without(state: dict[str, list[str]], *tables: str) -> dict[str, list[str]]:
    """``state`` minus some tables."""
    return {name: rows for name, rows in state.items() if name not in tables}


def mutation(**changes: Any) -> dict[str, Any]:
    """A valid account create, with ``changes`` (``REMOVE`` leaves a key out)."""
    out: dict[str, Any] = {
        "mid": 1,
        "entity": "account",
        "op": "create",
        "id": str(uuid.uuid4()),
        "fields": {"name": "Ferme Dupuis"},
    }
    for key, value in changes.items():
        if value is REMOVE:
            out.pop(key)
        else:
            out[key] = value
    return out


def batch(*mutations: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    """A push body."""
    body: dict[str, Any] = {"protocol": 1, "mutations": list(mutations), **envelope}
    return {k: v for k, v in body.items() if v is not REMOVE}


def _deep(depth: int) -> Any:
    """A list nested ``depth`` levels."""
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


#: Batches malformed as a whole: (name, body). Each must be a 400 or 422 that changes nothing.
BAD_BATCHES: list[tuple[str, Any]] = [
    ("body is a list", []),
    ("body is a string", "push"),
    ("body is null", None),
    ("body is a number", 42),
    ("no protocol", batch(mutation(), protocol=REMOVE)),
    ("protocol as text", batch(mutation(), protocol="1")),
    ("protocol negative", batch(mutation(), protocol=-1)),
    ("protocol fraction", batch(mutation(), protocol=1.5)),
    ("protocol huge", batch(mutation(), protocol=10**30)),
    ("protocol from the future", batch(mutation(), protocol=2)),
    ("no mutations", {"protocol": 1}),
    ("mutations an object", {"protocol": 1, "mutations": {"0": mutation()}}),
    ("mutations a string", {"protocol": 1, "mutations": "mutation"}),
    ("mutations null", {"protocol": 1, "mutations": None}),
    ("mutation a number", batch(1)),  # type: ignore[arg-type]
    ("mutation a string", batch("x")),  # type: ignore[arg-type]
    ("mutation null", batch(None)),  # type: ignore[arg-type]
    ("mutation a list", batch([])),  # type: ignore[arg-type]
    ("mid as text", batch(mutation(mid="1"))),
    ("mid fraction", batch(mutation(mid=1.5))),
    ("mid negative", batch(mutation(mid=-1))),
    ("mid zero", batch(mutation(mid=0))),
    ("mid beyond 2**53", batch(mutation(mid=2**53 + 1))),
    ("mid huge", batch(mutation(mid=10**30))),
    ("mid boolean", batch(mutation(mid=True))),
    ("mid null", batch(mutation(mid=None))),
    ("mid missing", batch(mutation(mid=REMOVE))),
    ("entity a number", batch(mutation(entity=42))),
    ("entity null", batch(mutation(entity=None))),
    ("entity empty", batch(mutation(entity=""))),
    ("entity too long", batch(mutation(entity="x" * 31))),
    ("entity with NUL", batch(mutation(entity="acc\x00ount"))),
    ("entity with a lone surrogate", batch(mutation(entity="acc\ud800ount"))),
    ("entity missing", batch(mutation(entity=REMOVE))),
    ("unknown op", batch(mutation(op="upsert"))),
    ("op in capitals", batch(mutation(op="CREATE"))),
    ("op a number", batch(mutation(op=1))),
    ("op null", batch(mutation(op=None))),
    ("op missing", batch(mutation(op=REMOVE))),
    ("id not a UUID", batch(mutation(id="not-a-uuid"))),
    ("id empty", batch(mutation(id=""))),
    ("id a number", batch(mutation(id=42))),
    ("id null", batch(mutation(id=None))),
    ("id with a bad digit", batch(mutation(id="00000000-0000-0000-0000-00000000000g"))),
    ("id too long", batch(mutation(id=str(uuid.uuid4()) + "0"))),
    ("id missing", batch(mutation(id=REMOVE))),
    ("fields a list", batch(mutation(fields=[]))),
    ("fields a string", batch(mutation(fields="name=x"))),
    ("fields a number", batch(mutation(fields=42))),
    ("fields null", batch(mutation(fields=None))),
    ("field name too long", batch(mutation(fields={"n" * 61: "x"}))),
    ("field name with NUL", batch(mutation(fields={"na\x00me": "x"}))),
    ("field name with a lone surrogate", batch(mutation(fields={"na\udc00me": "x"}))),
    ("base_version negative", batch(mutation(op="update", base_version=-1))),
    ("base_version as text", batch(mutation(op="update", base_version="1"))),
    ("base_version fraction", batch(mutation(op="update", base_version=1.5))),
    ("base_version huge", batch(mutation(op="update", base_version=2**31))),
    ("unknown key in a mutation", batch(mutation(extra=1))),
    ("unknown key in the batch", batch(mutation(), extra=1)),
    ("pending negative", batch(mutation(), pending=-1)),
    ("pending as text", batch(mutation(), pending="3")),
    ("app_version too long", batch(mutation(), app_version="1." * 21)),
    ("app_version a number", batch(mutation(), app_version=2)),
    ("mids going backwards", batch(mutation(mid=2), mutation(mid=1))),
    ("a mid twice", batch(mutation(mid=1), mutation(mid=1))),
    ("1001 mutations", batch(*[mutation(mid=i) for i in range(1, 1002)])),
    ("not JSON", b"mutations"),
    ("truncated JSON", b'{"protocol": 1, "mutations": ['),
    ("invalid UTF-8", b'{"protocol": 1, "mutations": [], "app_version": "\xff"}'),
    ("mid NaN", json.dumps(batch(mutation(mid=math.nan))).encode()),
    ("mid Infinity", json.dumps(batch(mutation(mid=math.inf))).encode()),
    ("nested 10k levels", b'{"protocol": 1, "mutations": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"),
]


def test_a_malformed_batch_is_refused_whole_and_changes_nothing(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """Each of BAD_BATCHES: 400 or 422 as a problem document, the database as before; then
    the device's outbox is still pushable from mid 1."""
    before = db_state(app)
    for name, body in BAD_BATCHES:
        response = post_push(client, team.rep_a, body)
        assert response.status_code in (400, 422), (name, response.get_json())
        assert db_state(app) == before, name
    again = post_push(client, team.rep_a, batch(mutation()))
    assert again.status_code == 200
    assert again.get_json()["outcomes"][0]["status"] == "applied"


def test_a_body_over_the_size_limit_is_413_and_changes_nothing(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """A push bigger than MAX_CONTENT_LENGTH is refused before it is read."""
    before = db_state(app)
    limit = app.config["MAX_CONTENT_LENGTH"]
    huge = batch(mutation(fields={"name": "x", "description": "y" * limit}))
    response = post_push(client, team.rep_a, huge)
    assert response.status_code == 413
    assert db_state(app) == before


def test_mutation_ids_going_backwards_across_batches_are_refused(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """A new mutation numbered at or below the device's last mid is a 422: nothing applied."""
    first = post_push(client, team.rep_a, batch(mutation(mid=5)))
    assert first.get_json()["last_mid"] == 5
    before = db_state(app)
    refused = post_push(client, team.rep_a, batch(mutation(mid=3), mutation(mid=6)))
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "bad_batch"
    assert db_state(app) == before
    with app.app_context():
        assert db.session.get(Device, team.rep_a.device_id).last_mid == 5


def test_a_reused_mid_returns_the_stored_outcome_and_applies_nothing_new(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """The same mid with other content: the original outcome comes back, the new content is
    not applied (a device must never reuse a mid)."""
    original = mutation(mid=1)
    first = post_push(client, team.rep_a, batch(original)).get_json()["outcomes"]
    before = db_state(app)
    other = mutation(mid=1, fields={"name": "Autre ferme"})
    replay = post_push(client, team.rep_a, batch(other))
    assert replay.status_code == 200
    assert replay.get_json()["outcomes"] == first
    assert db_state(app) == before
    absent = client.get(f"/api/accounts/{other['id']}", headers=team.rep_a.headers)
    assert absent.status_code == 404


# -- per-mutation rejections ---------------------------------------------------------------

NUL, SURROGATE = "a\x00b", "a\ud800b"
#: Field values no field accepts; each goes into every field of every pushable entity.
TRICKY: list[Any] = [
    NUL,
    SURROGATE,
    "x" * 30_000,
    10**30,
    math.nan,
    -math.inf,
    _deep(300),
    {"a": {"b": {"c": [NUL, SURROGATE, math.nan]}}},
]


def kept(value: Any, depth: int = 0) -> Any:
    """What a review item keeps of a device's value (see the module docstring)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return "".join("\ufffd" if c == "\x00" or 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    if isinstance(value, dict | list) and depth >= MAX_PAYLOAD_DEPTH:
        return "[nested too deep]"
    if isinstance(value, dict):
        return {kept(k): kept(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [kept(v, depth + 1) for v in value]
    return value


def _valid_bodies(account_id: str) -> dict[str, dict[str, Any]]:
    """A valid create body per pushable entity, under ``account_id``."""
    return {
        "account": {"name": "Ferme Dupuis", "postal_code": "63000"},
        "contact": {"account_id": account_id, "last_name": "Durand"},
        "interaction": {
            "account_id": account_id,
            "kind": "visit",
            "starts_at": "2026-03-04T09:00:00Z",
        },
        "note": {"account_id": account_id, "body": "Vu le gérant."},
        "followup": {"account_id": account_id, "due_date": "2026-04-01", "reason": "Rappeler"},
        "opportunity": {"account_id": account_id, "title": "Vitrine"},
        "order": {
            "account_id": account_id,
            "order_date": "2026-02-01",
            "amount_excl_vat": "10.00",
        },
    }


def test_bad_field_values_are_rejected_one_by_one_and_kept_for_review(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """Every field of every pushable entity set to each value no field accepts, in creates
    and in updates of existing records: each mutation rejected alone (never a 5xx), a review
    item with the payload kept, nothing written; a valid mutation after them applies."""
    who = team.manager  # may write every pushable entity, orders included
    account = create(client, who, "/api/accounts", account_body(owner_id=str(team.rep_a.id)))
    valid = _valid_bodies(account["id"])
    existing = {
        entity: create(client, who, f"/api/{entity.replace('y', 'ie')}s", body)
        for entity, body in valid.items()
    }
    before = db_state(app)
    mutations: list[dict[str, Any]] = []
    for entity, body in valid.items():
        names = [n for n in crud.RESOURCES[entity].schema().load_fields if n != "id"]
        for value in TRICKY:
            # Creates: one field at a time, the others valid. Updates: every field at once
            # (validation reports each field; none of these values passes any of them).
            for name in names:
                mutations.append(
                    mutation(entity=entity, fields={**body, name: value}, mid=len(mutations) + 1)
                )
            mutations.append(
                mutation(
                    entity=entity,
                    op="update",
                    id=existing[entity]["id"],
                    base_version=existing[entity]["version"],
                    fields=dict.fromkeys(names, value),
                    mid=len(mutations) + 1,
                )
            )
    canary = mutation(mid=len(mutations) + 1, fields={"name": "Canari", "postal_code": "63000"})
    outcomes: list[dict[str, Any]] = []
    for start in range(0, len(mutations), 400):
        chunk = mutations[start : start + 400]
        response = post_push(client, who, batch(*chunk))
        assert response.status_code == 200, response.get_json()
        outcomes += response.get_json()["outcomes"]
    last = post_push(client, who, batch(canary))
    assert last.get_json()["outcomes"][0]["status"] == "applied"

    assert [o["mid"] for o in outcomes] == [m["mid"] for m in mutations]
    statuses = {o["status"] for o in outcomes}
    assert statuses == {"rejected"}, [
        (m["entity"], m["op"], m["fields"])
        for m, o in zip(mutations, outcomes, strict=True)
        if o["status"] != "rejected"
    ][:5]
    with app.app_context():
        items = {
            i.mid: i
            for i in db.session.scalars(
                select(ReviewItem).where(ReviewItem.device_id == who.device_id)
            )
        }
        stored = {
            m.mid: m
            for m in db.session.scalars(
                select(SyncMutation).where(SyncMutation.device_id == who.device_id)
            )
        }
        for m, outcome in zip(mutations, outcomes, strict=True):
            item = items[m["mid"]]
            assert outcome["review_id"] == str(item.id)
            assert (item.kind.value, item.entity, item.op) == ("rejected", m["entity"], m["op"])
            assert item.payload == kept(m["fields"]), (m["entity"], m["fields"].keys())
            assert stored[m["mid"]].payload == item.payload
    after = db_state(app)
    # Only the bookkeeping of the pushes changed, and the canary's account was created.
    changed = ("sync_mutations", "review_items", "devices", "accounts", "status_changes", "changes")
    assert without(after, *changed) == without(before, *changed)
    for table, added in (("accounts", 1), ("status_changes", 1), ("changes", 2)):
        assert set(before[table]) <= set(after[table])
        assert len(after[table]) == len(before[table]) + added, table
    assert canary["id"] in " ".join(set(after["accounts"]) - set(before["accounts"]))


def test_sanitized_payload_examples(app: Flask, client: FlaskClient, team: TeamFixture) -> None:
    """What is kept of NUL, lone surrogates, non-finite numbers and deep nesting, concretely."""
    fields = {
        "name": NUL,
        "city": SURROGATE,
        "latitude": math.nan,
        "longitude": -math.inf,
        "tags": _deep(100),
        "custom": {"k\x00": 10**30},
    }
    m = mutation(fields=fields)
    response = post_push(client, team.rep_a, batch(m))
    assert response.get_json()["outcomes"][0]["status"] == "rejected"
    with app.app_context():
        item = db.session.scalar(select(ReviewItem).where(ReviewItem.mid == 1))
        payload = item.payload
    assert payload["name"] == "a\ufffdb"
    assert payload["city"] == "a\ufffdb"
    assert (payload["latitude"], payload["longitude"]) == ("nan", "-inf")
    assert payload["custom"] == {"k\ufffd": 10**30}
    level, depth = payload["tags"], 1
    while isinstance(level, list):
        level, depth = level[0], depth + 1
    assert (level, depth) == ("[nested too deep]", MAX_PAYLOAD_DEPTH)


def test_another_users_records_are_rejected_and_left_as_they_were(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """rep_a (and the other team's manager) cannot read, change, delete, reuse the ids of,
    or hang records under rep_b's account and contact: each mutation is rejected alone and
    kept for review, rep_b's records stay exactly as they were, rep_a's own write applies."""
    theirs = create(client, team.rep_b, "/api/accounts", account_body())
    contact = create(
        client, team.rep_b, "/api/contacts", {"account_id": theirs["id"], "last_name": "Roux"}
    )
    mine = create(client, team.rep_a, "/api/accounts", account_body(siret=None, name="Moi"))
    acc, con = theirs["id"], contact["id"]
    attempts = [
        {"entity": "account", "op": "update", "id": acc, "base_version": 1,
         "fields": {"name": "X"}},
        {"entity": "account", "op": "delete", "id": acc, "base_version": 1},
        {"entity": "account", "op": "create", "id": acc, "fields": {"name": "Même id"}},
        {"entity": "account", "op": "create", "id": str(uuid.uuid4()),
         "fields": {"name": "Pour B", "owner_id": str(team.rep_b.id)}},
        {"entity": "account", "op": "update", "id": mine["id"], "base_version": 1,
         "fields": {"owner_id": str(team.rep_b.id)}},
        {"entity": "contact", "op": "update", "id": con, "base_version": 1,
         "fields": {"last_name": "X"}},
        {"entity": "contact", "op": "delete", "id": con, "base_version": 1},
        {"entity": "contact", "op": "create", "id": con,
         "fields": {"account_id": mine["id"], "last_name": "Même id"}},
        {"entity": "contact", "op": "create", "id": str(uuid.uuid4()),
         "fields": {"account_id": acc, "last_name": "Intrus"}},
        {"entity": "note", "op": "create", "id": str(uuid.uuid4()),
         "fields": {"account_id": acc, "body": "Chez B"}},
        {"entity": "note", "op": "create", "id": str(uuid.uuid4()),
         "fields": {"account_id": mine["id"], "contact_id": con, "body": "Contact de B"}},
        {"entity": "interaction", "op": "create", "id": str(uuid.uuid4()),
         "fields": {"account_id": acc, "kind": "visit", "starts_at": "2026-03-04T09:00:00Z"}},
        {"entity": "interaction", "op": "create", "id": str(uuid.uuid4()),
         "fields": {"account_id": mine["id"], "kind": "visit",
                    "starts_at": "2026-03-04T09:00:00Z", "contact_ids": [con]}},
        {"entity": "followup", "op": "create", "id": str(uuid.uuid4()),
         "fields": {"account_id": acc, "due_date": "2026-04-01", "reason": "Rappeler"}},
    ]  # fmt: skip
    own_note = {
        "entity": "note",
        "op": "create",
        "id": str(uuid.uuid4()),
        "fields": {"account_id": mine["id"], "body": "À moi"},
    }
    for who in (team.rep_a, team.manager_south):
        before = db_state(app)
        body = [{"mid": i, **a} for i, a in enumerate(attempts, start=1)]
        body.append({"mid": len(body) + 1, **own_note, "id": str(uuid.uuid4())})
        response = post_push(client, who, batch(*body))
        assert response.status_code == 200
        outcomes = response.get_json()["outcomes"]
        # Rejected, or blocked when it names an id whose create was just rejected.
        assert {o["status"] for o in outcomes[:-1]} <= {"rejected", "blocked"}
        reasons = {o["reason"] for o in outcomes[:-1]}
        assert reasons <= {"not_found", "forbidden", "invalid", "conflicting_data"} | {
            "depends_on_rejected"
        }
        mine_too = who is team.rep_a  # the other team's manager cannot write there either
        assert outcomes[-1]["status"] == ("applied" if mine_too else "rejected")
        answer = json.dumps(outcomes)
        assert theirs["name"] not in answer  # nothing of rep_b's records leaks out
        assert contact["last_name"] not in answer
        after = db_state(app)
        bookkeeping = ("sync_mutations", "review_items", "devices")
        written = ("notes", "changes")  # rep_a's own note, and nothing else
        assert without(after, *bookkeeping, *written) == without(before, *bookkeeping, *written)
        for table in written:
            assert set(before[table]) <= set(after[table])
            assert len(after[table]) == len(before[table]) + mine_too, table
        with app.app_context():
            items = db.session.scalars(
                select(ReviewItem).where(ReviewItem.device_id == who.device_id)
            ).all()
            assert len(items) == len(attempts) + (not mine_too)
            by_mid = {i.mid: i for i in items}
            for i, attempt in enumerate(attempts, start=1):
                assert by_mid[i].payload == attempt.get("fields", {})
    for path, record, owner in (
        (f"/api/accounts/{acc}", theirs, team.rep_b),
        (f"/api/contacts/{con}", contact, team.rep_b),
    ):
        now = client.get(path, headers=owner.headers).get_json()
        assert now == record, path
    listed = client.get(f"/api/notes?account_id={acc}", headers=team.rep_b.headers).get_json()
    assert listed == []


def test_read_only_and_unknown_entities_are_rejected(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """Status history, consents and custom field definitions are written by the server
    only; an unknown entity is refused by name. Each is kept for review."""
    account = create(client, team.rep_a, "/api/accounts", account_body())
    attempts = []
    for entity in ("status_change", "consent", "custom_field", "invoice", "Account", "accounts"):
        for op in ("create", "update", "delete"):
            attempts.append(
                mutation(
                    mid=len(attempts) + 1,
                    entity=entity,
                    op=op,
                    fields={"account_id": account["id"], "to_status": "client"},
                )
            )
    before = db_state(app)
    response = post_push(client, team.rep_a, batch(*attempts))
    outcomes = response.get_json()["outcomes"]
    expected = [
        "read_only" if a["entity"] in ("status_change", "consent", "custom_field") else
        "unknown_entity"
        for a in attempts
    ]  # fmt: skip
    assert [o["reason"] for o in outcomes] == expected
    assert {o["status"] for o in outcomes} == {"rejected"}
    after = db_state(app)
    assert without(after, "sync_mutations", "review_items", "devices") == without(
        before, "sync_mutations", "review_items", "devices"
    )
    assert len(after["review_items"]) == len(attempts)


# -- pull and bootstrap --------------------------------------------------------------------

BAD_QUERIES: list[dict[str, Any]] = [
    {},
    {"protocol": ""},
    {"protocol": "x"},
    {"protocol": "-1"},
    {"protocol": "1.5"},
    {"protocol": "9" * 40},
    {"protocol": "2"},
    {"protocol": "1", "limit": "0"},
    {"protocol": "1", "limit": "-1"},
    {"protocol": "1", "limit": "5001"},
    {"protocol": "1", "limit": "x"},
    {"protocol": "1", "limit": "9" * 40},
    {"protocol": "1", "cursor": "x"},
    {"protocol": "1", "cursor": "c1"},
    {"protocol": "1", "cursor": "c1.1"},
    {"protocol": "1", "cursor": "c1.-1.0"},
    {"protocol": "1", "cursor": "c1.1.0.0"},
    {"protocol": "1", "cursor": "c1.².0"},
    {"protocol": "1", "cursor": "c1.١.0"},
    {"protocol": "1", "cursor": "c1. 1.0"},
    {"protocol": "1", "cursor": "c1.1_0.0"},
    {"protocol": "1", "cursor": "c1." + "9" * 40 + ".0"},
    {"protocol": "1", "cursor": "c1.0." + "9" * 40},
    {"protocol": "1", "cursor": "c2.0.0"},
    {"protocol": "1", "cursor": "b1.0.0.-.0.0"},
    {"protocol": "1", "cursor": "b1.0.99.-.0"},
    {"protocol": "1", "cursor": "b1.-1.0.-.0"},
    {"protocol": "1", "cursor": "b1.0.0.zz.0"},
    {"protocol": "1", "cursor": "b1.0.0.-." + "9" * 40},
    {"protocol": "1", "cursor": "b1.0.0." + "0" * 31 + "g.0"},
    {"protocol": "1", "cursor": "b1.².0.-.0"},
    {"protocol": "1", "cursor": "a\x00b"},
    {"protocol": "1", "cursor": "\ud800"},
    {"protocol": "1", "cursor": "c1.0.0" + "0" * 300},
]


@pytest.mark.parametrize("path", ["/api/sync/pull", "/api/sync/bootstrap"])
def test_pull_and_bootstrap_refuse_bad_cursors_limits_and_protocols(
    app: Flask, client: FlaskClient, team: TeamFixture, path: str
) -> None:
    """Each bad query is a 4xx problem (400/410/422/426), never a 5xx, and changes nothing."""
    create(client, team.rep_a, "/api/accounts", account_body())
    before = db_state(app)
    for query in BAD_QUERIES:
        encoded = {k: v.encode("utf-8", "surrogatepass") for k, v in query.items()}
        response = client.get(path, query_string=encoded, headers=team.rep_a.headers)
        assert_clear(response)
        assert response.status_code in (400, 410, 422, 426), (query, response.get_json())
    assert db_state(app) == before
    fine = client.get(path, query_string={"protocol": 1}, headers=team.rep_a.headers)
    assert fine.status_code == 200
