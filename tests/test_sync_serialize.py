"""The page serializer of pull and bootstrap gives exactly what the REST schemas give."""

from __future__ import annotations

import json

from sqlalchemy import select

from server.extensions import db
from server.sync import serialize
from server.sync.api import _json
from server.sync.entities import BOOTSTRAP_ORDER, model_and_schema, schema_class

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
