"""The page serializer of pull and bootstrap gives exactly what the REST schemas give."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import select, update

from server.accounts.models import Account
from server.auth.models import User
from server.extensions import db
from server.interactions.models import Interaction
from server.notes.models import Note
from server.sync import pull, serialize, sqljson
from server.sync.api import _json
from server.sync.entities import BOOTSTRAP_ORDER, model_and_schema, schema_class
from server.sync.pull import _puts, _reader

from .helpers import account_body, create, patch
from .sync_helpers import bootstrap_all, second_device


def _every_entity(client, team) -> None:
    """At least two records of every synced entity: one with every field set, one sparse."""
    create(
        client,
        team.admin,
        "/api/custom-fields",
        {
            "entity": "account",
            "key": "segment",
            "label": "Segment",
            "type": "choice",
            "choices": ["gms", "chr"],
        },
    )
    create(
        client,
        team.admin,
        "/api/custom-fields",
        {"entity": "contact", "key": "allergies", "label": "Allergies", "type": "text"},
    )
    full = create(
        client,
        team.rep_a,
        "/api/accounts",
        account_body(
            trade_name="Au Bon Pain",
            headcount_band="10-19",
            annual_revenue="1234567.80",
            website="boulangerie-martin.fr",
            phone="04 78 12 34 56",
            email="Contact@Martin.FR",
            address_line2="Bâtiment B",
            region="Auvergne-Rhône-Alpes",
            territory="Lyon Est",
            tags=["bio", "fidèle"],
            custom={"segment": "chr"},
            visit_frequency_days=30,
            opening_hours={"mon": [["08:30", "12:00"], ["14:00", "18:30"]]},
            description="Line one\nline two — «quotes»",
        ),
    )
    # A private customer whose postal code and city disagree: ``warnings`` is not empty.
    person = create(
        client,
        team.rep_a,
        "/api/accounts",
        {
            "kind": "person",
            "civility": "Mme",
            "first_name": "Hélène",
            "last_name": "Faure",
            "birth_date": "1970-05-17",
            "postal_code": "63000",
            "city": "Lyon",
            "status": "client",
        },
    )
    sparse = create(client, team.rep_a, "/api/accounts", {"name": "Sans adresse"})
    assert (
        patch(
            client, team.rep_a, f"/api/accounts/{sparse['id']}", {"status": "prospect_cold"}
        ).status_code
        == 200
    )
    contact = create(
        client,
        team.rep_a,
        "/api/contacts",
        {
            "account_id": full["id"],
            "civility": "M.",
            "first_name": "Loïc",
            "last_name": "Roux",
            "job_title": "Gérant",
            "email": "loic@example.fr",
            "mobile": "06 12 34 56 78",
            "phone": "04 78 00 00 01",
            "social_links": {"linkedin": "https://linkedin.com/in/roux"},
            "preferred_channel": "email",
            "birthday": "1980-02-29",
            "is_primary": True,
            "custom": {"allergies": "gluten"},
        },
    )
    create(client, team.rep_a, "/api/contacts", {"account_id": person["id"], "last_name": "B"})
    consents = f"/api/contacts/{contact['id']}/consents"
    for purpose, state in (("email_marketing", "given"), ("sms_marketing", "given")):
        body = {"purpose": purpose, "state": state, "source": "salon"}
        create(client, team.rep_a, consents, body)
    body = {"purpose": "email_marketing", "state": "withdrawn", "source": "appel"}
    create(client, team.rep_a, consents, body)
    visit = create(
        client,
        team.rep_a,
        "/api/interactions",
        {
            "account_id": full["id"],
            "contact_ids": [contact["id"]],
            "kind": "visit",
            "status": "done",
            "starts_at": "2026-03-02T09:30:00+01:00",
            "ends_at": "2026-03-02T10:15:00+01:00",
            "channel": "in_person",
            "subject": "Présentation",
            "summary": "Très intéressé",
            "objections": "Prix",
            "motivations": "Qualité",
            "competitor": "Pains & Co",
            "competitor_contract_end": "2026-12-31",
            "next_step": "Rappeler",
            "outcome": "positive",
        },
    )
    create(
        client,
        team.rep_a,
        "/api/interactions",
        {"account_id": person["id"], "kind": "call", "starts_at": "2026-03-03T08:00:00Z"},
    )
    for note in (
        {"account_id": full["id"], "interaction_id": visit["id"], "contact_id": contact["id"]},
        {"account_id": person["id"]},
    ):
        create(client, team.rep_a, "/api/notes", {**note, "body": "Note é\u00a0ü"})
    for followup in (
        {"contact_id": contact["id"], "interaction_id": visit["id"], "done": True},
        {},
    ):
        body = {"account_id": full["id"], "due_date": "2026-04-01", "reason": "Devis", **followup}
        create(client, team.rep_a, "/api/followups", body)
    for opportunity in (
        {
            "contact_id": contact["id"],
            "amount": "12000.5",
            "probability": 30,
            "expected_close_date": "2026-06-30",
            "stage": "proposal",
        },
        {},
    ):
        body = {"account_id": full["id"], "title": "Four", **opportunity}
        create(client, team.rep_a, "/api/opportunities", body)
    for order in (
        {"reference": "CMD-1", "margin": "12.30", "due_date": "2026-03-31", "paid": True},
        {},
    ):
        body = {"account_id": full["id"], "order_date": "2026-03-01", "amount_excl_vat": "99.90"}
        create(client, team.manager, "/api/orders", {**body, **order})


def test_the_serializer_equals_the_schema_for_every_entity(app, client, team):
    """Every entity, every field set and unset: serialize.dump_rows == schema.dump."""
    _every_entity(client, team)
    with app.app_context():
        for entity in BOOTSTRAP_ORDER:
            model, schema = model_and_schema(entity)  # type: ignore[misc]
            objects = db.session.scalars(select(model).order_by(model.id)).all()
            rows = serialize.rows(select(*serialize.columns_of(model)).order_by(model.id))
            assert len(objects) >= 2, entity
            dumped = [
                data for _row, data in serialize.dump_rows(entity, schema_class(entity), rows)
            ]
            expected = [schema.dump(record) for record in objects]
            assert dumped == expected, entity
            # Same JSON too (no type that compares equal but encodes differently).
            assert json.dumps(dumped, sort_keys=True) == json.dumps(expected, sort_keys=True)
        # The sample did exercise the computed fields.
        account = schema_class("account")
        rows = serialize.rows(select(*serialize.columns_of(model_and_schema("account")[0])))
        assert any(data["warnings"] for _r, data in serialize.dump_rows("account", account, rows))
        contact = schema_class("contact")
        contact_model = model_and_schema("contact")[0]  # type: ignore[index]
        rows = serialize.rows(select(*serialize.columns_of(contact_model)))
        consents = [data["consents"] for _r, data in serialize.dump_rows("contact", contact, rows)]
        assert {"email_marketing": "withdrawn", "sms_marketing": "given"} in consents


def test_bootstrap_pages_carry_the_schema_representation(app, client, team):
    """What a device downloads is, record for record, what the REST API shows."""
    _every_entity(client, team)
    device = second_device(client, "rep.a@example.fr")
    entries, _cursor = bootstrap_all(client, device, limit=3)
    assert {e["entity"] for e in entries} == set(BOOTSTRAP_ORDER)
    for entry in entries:
        if entry["entity"] in ("account", "contact", "interaction", "note"):
            path = {"account": "accounts", "contact": "contacts"}.get(
                entry["entity"], entry["entity"] + "s"
            )
            shown = client.get(f"/api/{path}/{entry['id']}", headers=device).get_json()
            assert entry["data"] == shown


def test_an_answer_orjson_refuses_is_encoded_by_the_standard_library(app):
    """orjson stops at 64-bit integers; the answer still goes out, as the same JSON."""
    payload = {"big": 2**70, "text": "é", "nested": [{"n": None}]}
    with app.app_context():
        response = _json(payload)
    assert response.mimetype == "application/json"
    assert json.loads(response.get_data()) == payload


def _awkward_values(client, team) -> None:
    """Values where a database's JSON could drift from Python's: the edges of each type."""
    odd = create(
        client,
        team.rep_a,
        "/api/accounts",
        account_body(
            name='Chez "Zoé" \\ l\'Été\t🍞 \u2028 ☕',
            siret=None,
            annual_revenue="-0.05",
            tags=["ü", "漢字", 'a"b'],
            description="\u00a0\x01 control and «spaces» ",
        ),
    )
    create(
        client,
        team.rep_a,
        "/api/interactions",
        {
            "account_id": odd["id"],
            "kind": "visit",
            "starts_at": "2026-03-02T09:30:00.000001+01:00",
            "ends_at": "2026-03-02T10:00:00.5Z",
            "checked_in_at": "2026-03-02T08:31:00Z",
            "checkin_lat": 45.764043123456789,
            "checkin_lon": 4.8357,
            "checkin_accuracy_m": 0,
            "checked_out_at": "2026-03-02T09:00:00.120000Z",
            "checkout_lat": -0.0001,
            "checkout_lon": 1e-7,
            "checkout_accuracy_m": 100000,
        },
    )
    # What the API would not write, but a database may hold: far past, whole numbers.
    db_id = db.session.scalar(select(Account.id).where(Account.name.like("Chez%")))
    assert db_id is not None
    db.session.execute(
        update(Account)
        .where(Account.id == db_id)
        .values(
            latitude=45.0,
            longitude=-180.0,
            geocode_score=0.30000000000000004,
            birth_date=date(5, 1, 2),
            geocoded_at=datetime(1, 1, 1, tzinfo=UTC),
            annual_revenue=Decimal("999999999999.99"),
            custom={"segment": "é\n", "nested": {"n": [1, 2.5, None, True, 2**40]}},
        )
    )
    db.session.execute(
        update(Interaction)
        .where(Interaction.account_id == db_id)
        .values(starts_at=datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
    )
    db.session.commit()


def _identical(got: Any, expected: Any, path: str = "") -> None:
    """``got == expected`` with the same JSON types; a float may come as the same integer."""
    if isinstance(expected, float) and type(got) is int:
        assert got == expected, path
        return
    assert type(got) is type(expected), f"{path}: {got!r} != {expected!r}"
    if isinstance(expected, dict):
        assert got.keys() == expected.keys(), path
        for key in expected:
            _identical(got[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert len(got) == len(expected), path
        for index, (a, b) in enumerate(zip(got, expected, strict=True)):
            _identical(a, b, f"{path}[{index}]")
    else:
        assert got == expected, f"{path}: {got!r} != {expected!r}"


def test_the_database_writes_what_the_schema_dumps_for_every_entity(app, client, team):
    """Every entity, on each database: the JSON a page carries is ``schema.dump``.

    Records with every field set, sparse ones, and awkward values: non-ASCII and control
    characters, microseconds or none, years before 1000, 17-digit and whole floats,
    negative and large money, nested JSON.
    """
    _every_entity(client, team)
    with app.app_context():
        _awkward_values(client, team)
        for entity in BOOTSTRAP_ORDER:
            model, schema = model_and_schema(entity)  # type: ignore[misc]
            reader = _reader(entity)
            rows = db.session.execute(reader.select().order_by(model.id)).all()
            objects = db.session.scalars(select(model).order_by(model.id)).all()
            assert len(rows) == len(objects) >= 2, entity
            for entry, record in zip(_puts(reader, rows), objects, strict=True):
                assert entry.id == str(record.id)  # canonical text, as the database writes it
                assert entry.version == record.version
                got = json.loads(orjson.dumps(entry.data))
                _identical(got, schema.dump(record), f"{entity} {record.id}")


def test_the_database_writes_only_what_it_can_write_exactly(app):
    """Computed fields, and SQLite's floats (rounded to 15 digits there), are left to Python."""
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        account = _reader("account").python_fields
        assert "warnings" in account
        assert ("latitude" in account) is sqlite
        assert ("annual_revenue" in account) is sqlite
        assert _reader("contact").python_fields == {"consents"}
        assert _reader("note").python_fields == frozenset()


def test_a_record_written_in_several_json_calls_is_one_object(app, client, team, monkeypatch):
    """SQLite caps a function's arguments: long schemas are written in chunks, then joined."""
    _every_entity(client, team)
    with app.app_context():
        monkeypatch.setattr(sqljson, "_PAIRS_PER_CALL", 4)
        model, schema = model_and_schema("account")  # type: ignore[misc]
        chunked = sqljson.reader.__wrapped__(
            "account", model, schema_class("account"), db.engine.dialect.name
        )
        rows = db.session.execute(chunked.select().order_by(model.id)).all()
        objects = db.session.scalars(select(model).order_by(model.id)).all()
        for document, record in zip(chunked.documents(rows), objects, strict=True):
            _identical(json.loads(orjson.dumps(document)), schema.dump(record))


def test_a_pull_page_reads_entities_together_as_it_would_apart(app, client, team):
    """The one UNION statement over every entity gives the entries of one statement each.

    Every entity, awkward values, a deleted record (a tombstone) and another rep's records
    (not in the page): same entries, same order, same JSON.
    """
    _every_entity(client, team)
    create(client, team.rep_b, "/api/accounts", account_body(siret=None, name="Ailleurs"))
    with app.app_context():
        _awkward_values(client, team)
        note = db.session.scalars(select(Note).order_by(Note.id)).first()
        assert note is not None
        path = f"/api/notes/{note.id}"
        etag = client.get(path, headers=team.rep_a.headers).headers["ETag"]
        r = client.delete(path, headers={**team.rep_a.headers, "If-Match": etag})
        assert r.status_code == 204, r.get_json()
        user = db.session.get(User, team.rep_a.id)
        in_page = pull._in_page(pull._queries(user).condition)
        together = pull._Latest.build(user, in_page)
        by_record = pull._Latest.build(user, in_page, encoded=False)
        apart = pull._Latest.build(user, in_page, together=False)
        assert together.together_entities
        assert not apart.together_entities
        postgres = db.engine.dialect.name == "postgresql"
        # The account's columns for its ``warnings`` come packed (as JSON on PostgreSQL,
        # in untyped slots on SQLite, with the floats SQLite's JSON would round), and on
        # PostgreSQL the entries of the entities without Python fields come written whole.
        assert "account" in together.packed
        assert ({"interaction", "opportunity", "order"} <= together.packed) is not postgres
        assert not together.apart
        assert ("note" in together.encoded) is postgres
        assert not by_record.encoded
        assert not {"account", "contact"} & together.encoded
        bounds = {"after": 0, "until": pull.head_seq()}

        def page(latest: pull._Latest) -> list[tuple[Any, ...]]:
            entries = pull.expanded(latest.entries(set(BOOTSTRAP_ORDER), bounds))
            return [
                (e.entity, e.id, e.op, e.version, orjson.loads(orjson.dumps(e.data)))
                for e in entries
            ]

        chunks = [
            e for e in together.entries(set(BOOTSTRAP_ORDER), bounds) if isinstance(e, pull.Chunk)
        ]
        assert bool(chunks) is postgres
        got, expected = page(together), page(apart)
        assert got == expected
        assert page(by_record) == expected
        assert {e[0] for e in got} == set(BOOTSTRAP_ORDER)
        assert ("note", str(note.id), "delete", None, None) in got
        assert "Ailleurs" not in str(got)
