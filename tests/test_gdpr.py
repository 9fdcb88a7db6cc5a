"""GDPR rights of a contact: access to everything held on them, and erasure."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from server.contacts.models import Consent, Contact
from server.extensions import db
from server.notes.models import Note

from .helpers import account_body, create


def _world(client: Any, team: Any) -> dict[str, Any]:
    """An account of rep_a with two contacts, and records naming the first one."""
    acc = create(client, team.rep_a, "/api/accounts", account_body())
    body = {
        "account_id": acc["id"],
        "first_name": "Hélène",
        "last_name": "Dupré",
        "email": "helene.dupre@example.fr",
        "mobile": "06 12 34 56 78",
    }
    helene = create(client, team.rep_a, "/api/contacts", body)
    other = create(
        client, team.rep_a, "/api/contacts", {"account_id": acc["id"], "last_name": "Martin"}
    )
    consent = {"purpose": "email_marketing", "state": "given", "source": "visite"}
    create(client, team.rep_a, f"/api/contacts/{helene['id']}/consents", consent)
    note = create(
        client,
        team.rep_a,
        "/api/notes",
        {
            "account_id": acc["id"],
            "contact_id": helene["id"],
            "body": "Préfère être appelée le matin",
        },
    )
    visit = create(
        client,
        team.rep_a,
        "/api/interactions",
        {
            "account_id": acc["id"],
            "kind": "visit",
            "starts_at": "2026-03-02T09:00:00Z",
            "contact_ids": [helene["id"], other["id"]],
            "summary": "Présentation gamme",
        },
    )
    followup = create(
        client,
        team.rep_a,
        "/api/followups",
        {
            "account_id": acc["id"],
            "contact_id": helene["id"],
            "due_date": "2026-04-01",
            "reason": "Rappeler Hélène",
        },
    )
    return {
        "account": acc,
        "helene": helene,
        "other": other,
        "note": note,
        "visit": visit,
        "followup": followup,
    }


def test_personal_data_export_lists_every_record_naming_the_contact(client, team):
    """The access export holds the contact, consents, notes, interactions and follow-ups."""
    w = _world(client, team)
    r = client.get(f"/api/contacts/{w['helene']['id']}/personal-data", headers=team.rep_a.headers)
    assert r.status_code == 200
    data = r.get_json()
    assert data["contact"]["email"] == "helene.dupre@example.fr"
    assert [c["purpose"] for c in data["consents"]] == ["email_marketing"]
    assert [n["id"] for n in data["notes"]] == [w["note"]["id"]]
    assert [i["id"] for i in data["interactions"]] == [w["visit"]["id"]]
    assert [f["id"] for f in data["followups"]] == [w["followup"]["id"]]
    other = client.get(
        f"/api/contacts/{w['other']['id']}/personal-data", headers=team.rep_a.headers
    ).get_json()
    assert other["notes"] == []
    assert [i["id"] for i in other["interactions"]] == [w["visit"]["id"]]


def test_erasure_leaves_no_personal_data_and_keeps_business_records(app, client, team):
    """Erasing anonymizes the contact and notes about them; visits stay without naming them."""
    w = _world(client, team)
    helene_id = w["helene"]["id"]
    r = client.post(f"/api/contacts/{helene_id}/erase", headers=team.manager.headers)
    assert r.status_code == 204
    assert client.get(f"/api/contacts/{helene_id}", headers=team.manager.headers).status_code == 404
    with app.app_context():
        row = db.session.get(Contact, uuid.UUID(helene_id))
        assert row.deleted_at is not None
        personal = (row.first_name, row.email, row.mobile, row.birthday, row.search_text)
        assert personal == (None, None, None, None, "anonyme")
        assert row.last_name == "Anonyme"
        note = db.session.get(Note, uuid.UUID(w["note"]["id"]))
        assert note.deleted_at is not None
        assert "matin" not in note.body
        consents = db.session.scalars(
            select(Consent).where(Consent.contact_id == uuid.UUID(helene_id))
        ).all()
        assert consents
        assert all(c.deleted_at is not None for c in consents)
    visit = client.get(f"/api/interactions/{w['visit']['id']}", headers=team.rep_a.headers)
    assert visit.status_code == 200
    assert visit.get_json()["contact_ids"] == [w["other"]["id"]]
    assert visit.get_json()["summary"] == "Présentation gamme"
    followup = client.get(f"/api/followups/{w['followup']['id']}", headers=team.rep_a.headers)
    assert followup.get_json()["contact_id"] is None


def test_erasure_is_for_managers_in_scope(client, team):
    """A rep may not erase (403); a manager of another team does not see the contact (404)."""
    w = _world(client, team)
    path = f"/api/contacts/{w['helene']['id']}/erase"
    assert client.post(path, headers=team.rep_a.headers).status_code == 403
    assert client.post(path, headers=team.manager_south.headers).status_code == 404
    assert (
        client.get(
            f"/api/contacts/{w['helene']['id']}/personal-data", headers=team.rep_c.headers
        ).status_code
        == 404
    )
    still = client.get(f"/api/contacts/{w['helene']['id']}", headers=team.rep_a.headers)
    assert still.get_json()["first_name"] == "Hélène"


def test_contact_search_ignores_accents_and_case(client, team):
    """'helene' finds Hélène, 'DUPRE' finds Dupré, and a job title is searchable."""
    w = _world(client, team)
    for q in ("helene", "DUPRE", "hélène dup"):
        r = client.get("/api/contacts", query_string={"q": q}, headers=team.rep_a.headers)
        assert [c["id"] for c in r.get_json()] == [w["helene"]["id"]], q
    r = client.get("/api/contacts", query_string={"q": "zzz"}, headers=team.rep_a.headers)
    assert r.get_json() == []
