"""Records under an account over the API: contacts and consents, interactions, notes,
follow-ups, opportunities and orders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest
from flask.testing import FlaskClient

from .conftest import Person, TeamFixture
from .helpers import account_body, create, error_fields, patch


class Accounts(NamedTuple):
    """Two accounts of rep A (north team) and one of rep C (south team)."""

    a: str
    b: str
    south: str


@pytest.fixture
def accounts(client: FlaskClient, team: TeamFixture) -> Accounts:
    """Accounts to hang child records on."""
    a = create(client, team.rep_a, "/api/accounts", account_body())
    b = create(client, team.rep_a, "/api/accounts", account_body(name="Fromagerie", siret=None))
    south = create(client, team.rep_c, "/api/accounts", account_body(name="Sud", siret=None))
    return Accounts(a["id"], b["id"], south["id"])


def post(client: FlaskClient, who: Person, path: str, body: dict[str, Any]) -> Any:
    """POST ``body`` as ``who`` and return the response, whatever its status."""
    return client.post(path, json=body, headers=who.headers)


def listed(client: FlaskClient, who: Person, path: str, **query: Any) -> list[str]:
    """Ids ``who`` gets from the list at ``path`` with ``query``, in order."""
    r = client.get(path, query_string=query, headers=who.headers)
    assert r.status_code == 200, r.get_json()
    return [item["id"] for item in r.get_json()]


def at(days: float) -> str:
    """ISO timestamp ``days`` from now (negative: in the past)."""
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


# --- Contacts and consents -------------------------------------------------------------------


def test_contact_phones_are_stored_in_e164(
    client: FlaskClient, team: TeamFixture, accounts: Accounts
) -> None:
    """French national numbers with spaces become E.164."""
    c = create(
        client,
        team.rep_a,
        "/api/contacts",
        {
            "account_id": accounts.a,
            "last_name": "Martin",
            "mobile": "06 12 34 56 78",
            "phone": "04.78.12.34.56",
        },
    )
    assert (c["mobile"], c["phone"]) == ("+33612345678", "+33478123456")


@pytest.mark.parametrize("mobile", ["06 12", "not a number", "+33 6 12 34 56 78 90 12"])
def test_invalid_phone_is_422(
    client: FlaskClient, team: TeamFixture, accounts: Accounts, mobile: str
) -> None:
    """A number that is not a valid phone number is refused, naming the field."""
    r = post(
        client,
        team.rep_a,
        "/api/contacts",
        {"account_id": accounts.a, "last_name": "Martin", "mobile": mobile},
    )
    assert r.status_code == 422
    assert error_fields(r) == {"mobile"}


def test_contact_email_is_validated_and_domain_lower_cased(
    client: FlaskClient, team: TeamFixture, accounts: Accounts
) -> None:
    """The e-mail domain is lower-cased (the local part is kept); a malformed one is a 422."""
    c = create(
        client,
        team.rep_a,
        "/api/contacts",
        {"account_id": accounts.a, "last_name": "Martin", "email": " Jean.Martin@EXAMPLE.FR "},
    )
    assert c["email"] == "Jean.Martin@example.fr"
    r = post(
        client,
        team.rep_a,
        "/api/contacts",
        {"account_id": accounts.a, "last_name": "Martin", "email": "jean@"},
    )
    assert r.status_code == 422
    assert error_fields(r) == {"email"}


def test_contact_needs_a_visible_account(
    client: FlaskClient, team: TeamFixture, accounts: Accounts
) -> None:
    """A contact cannot be attached to an account outside the caller's scope."""
    r = post(
        client, team.rep_a, "/api/contacts", {"account_id": accounts.south, "last_name": "Martin"}
    )
    assert r.status_code == 422
    assert error_fields(r) == {"account_id"}


def test_contact_search_by_name_and_email(
    client: FlaskClient, team: TeamFixture, accounts: Accounts
) -> None:
    """``q`` finds contacts by first or last name whatever the case, accented names included;
    ``email`` matches the whole address, case aside."""
    helene = create(
        client,
        team.rep_a,
        "/api/contacts",
        {
            "account_id": accounts.a,
            "first_name": "Hélène",
            "last_name": "DUPRÉ",
            "email": "h.dupre@example.fr",
        },
    )
    jean = create(
        client,
        team.rep_a,
        "/api/contacts",
        {"account_id": accounts.a, "first_name": "Jean", "last_name": "Martin_2"},
    )
    path = "/api/contacts"
    assert listed(client, team.rep_a, path, q="hélène") == [helene["id"]]
    assert listed(client, team.rep_a, path, q="hélène dupré") == [helene["id"]]
    assert listed(client, team.rep_a, path, q="Martin") == [jean["id"]]
    assert listed(client, team.rep_a, path, q="n_2") == [jean["id"]]
    assert listed(client, team.rep_a, path, q="n_") == [jean["id"]]
    assert listed(client, team.rep_a, path, q="%") == []
    assert listed(client, team.rep_a, path, email="H.Dupre@EXAMPLE.fr") == [helene["id"]]


def test_consents_are_append_only_and_the_latest_wins(
    client: FlaskClient, team: TeamFixture, accounts: Accounts
) -> None:
    """Each consent is a new record; the contact shows the latest state per purpose, by the
    time it was recorded."""
    c = create(client, team.rep_a, "/api/contacts", {"account_id": accounts.a, "last_name": "M"})
    path = f"/api/contacts/{c['id']}/consents"
    given = create(
        client,
        team.rep_a,
        path,
        {"purpose": "email_marketing", "state": "given", "source": "salon", "recorded_at": at(-10)},
    )
    assert (given["contact_id"], given["account_id"]) == (c["id"], accounts.a)
    create(
        client,
        team.rep_a,
        path,
        {"purpose": "email_marketing", "state": "withdrawn", "source": "appel"},
    )
    create(
        client, team.rep_a, path, {"purpose": "sms_marketing", "state": "given", "source": "visite"}
    )
    # Evidence typed in late, about an older event, does not override a newer one.
    create(
        client,
        team.rep_a,
        path,
        {
            "purpose": "email_marketing",
            "state": "given",
            "source": "formulaire papier",
            "recorded_at": at(-5),
        },
    )

    history = client.get(path, headers=team.rep_a.headers).get_json()
    assert [(h["purpose"], h["state"]) for h in history][:2] == [
        ("email_marketing", "given"),
        ("email_marketing", "given"),
    ]
    assert len(history) == 4
    contact = client.get(f"/api/contacts/{c['id']}", headers=team.rep_a.headers).get_json()
    assert contact["consents"] == {"email_marketing": "withdrawn", "sms_marketing": "given"}

    one = f"{path}/{given['id']}"
    assert client.patch(path, json={}, headers=team.rep_a.headers).status_code == 405
    assert client.delete(one, headers=team.rep_a.headers).status_code in {404, 405}
    assert (
        post(
            client, team.rep_c, path, {"purpose": "profiling", "state": "given", "source": "x"}
        ).status_code
        == 404
    )


# --- Interactions ----------------------------------------------------------------------------


def test_interaction_cannot_end_before_it_starts(
    client: FlaskClient, team: TeamFixture, accounts: Accounts
) -> None:
    """``ends_at`` before ``starts_at`` is a 422 naming ``ends_at``, on create and on edit."""
    body = {"account_id": accounts.a, "kind": "visit", "starts_at": at(1), "ends_at": at(0.9)}
    r = post(client, team.rep_a, "/api/interactions", body)
    assert r.status_code == 422
    assert error_fields(r) == {"ends_at"}
    ok = create(client, team.rep_a, "/api/interactions", {**body, "ends_at": at(1.1)})
    r = patch(client, team.rep_a, f"/api/interactions/{ok['id']}", {"starts_at": at(2)})
    assert r.status_code == 422
    assert error_fields(r) == {"ends_at"}


def test_interaction_contacts_belong_to_its_account(
    client: FlaskClient, team: TeamFixture, accounts: Accounts
) -> None:
    """Contacts present must be contacts of the interaction's account."""
    mine = create(client, team.rep_a, "/api/contacts", {"account_id": accounts.a, "last_name": "A"})
    other = create(
        client, team.rep_a, "/api/contacts", {"account_id": accounts.b, "last_name": "B"}
    )
    body = {
        "account_id": accounts.a,
        "kind": "visit",
        "starts_at": at(-1),
        "contact_ids": [mine["id"], other["id"]],
    }
    r = post(client, team.rep_a, "/api/interactions", body)
    assert r.status_code == 422
    assert error_fields(r) == {"contact_ids"}
    ok = create(client, team.rep_a, "/api/interactions", {**body, "contact_ids": [mine["id"]]})
    assert ok["contact_ids"] == [mine["id"]]
    # Editing another field re-checks the stored contacts and keeps them.
    r = patch(client, team.rep_a, f"/api/interactions/{ok['id']}", {"summary": "RAS"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["contact_ids"] == [mine["id"]]
    r = patch(client, team.rep_a, f"/api/interactions/{ok['id']}", {"contact_ids": [other["id"]]})
    assert r.status_code == 422


def test_interaction_user_defaults_to_caller(
    client: FlaskClient, team: TeamFixture, accounts: Accounts
) -> None:
    """The rep of an interaction is the caller unless a visible user is named."""
    body = {"account_id": accounts.a, "kind": "call", "starts_at": at(-1)}
    assert create(client, team.rep_a, "/api/interactions", body)["user_id"] == str(team.rep_a.id)
    assert create(client, team.manager, "/api/interactions", body)["user_id"] == str(
        team.manager.id
    )
    named = create(
        client, team.manager, "/api/interactions", {**body, "user_id": str(team.rep_b.id)}
    )
    assert named["user_id"] == str(team.rep_b.id)
    r = post(client, team.rep_a, "/api/interactions", {**body, "user_id": str(team.rep_c.id)})
    assert r.status_code == 422
    assert error_fields(r) == {"user_id"}
    # Editing someone else's interaction does not make the editor its rep.
    r = patch(client, team.manager, f"/api/interactions/{named['id']}", {"subject": "Tarifs"})
    assert r.get_json()["user_id"] == str(team.rep_b.id)


def test_interaction_list_filters(
    client: FlaskClient, team: TeamFixture, accounts: Accounts
) -> None:
    """Interactions filter by contact, kind, status, date range, rep and account."""
    contact = create(
        client, team.rep_a, "/api/contacts", {"account_id": accounts.a, "last_name": "C"}
    )

    def make(kind: str, status: str, days: float, account: str = accounts.a, **extra: Any) -> str:
        """Create an interaction as rep A; return its id."""
        return create(
            client,
            team.rep_a,
            "/api/interactions",
            {"account_id": account, "kind": kind, "status": status, "starts_at": at(days), **extra},
        )["id"]

    old_visit = make("visit", "done", -30, contact_ids=[contact["id"]])
    call = make("call", "done", -3)
    planned = make("visit", "planned", 2, contact_ids=[contact["id"]])
    elsewhere = make("email", "done", -1, account=accounts.b)
    by_manager = create(
        client,
        team.manager,
        "/api/interactions",
        {"account_id": accounts.a, "kind": "call", "status": "cancelled", "starts_at": at(-2)},
    )["id"]

    path = "/api/interactions"
    u = team.rep_a
    assert listed(client, u, path, contact_id=contact["id"]) == [planned, old_visit]
    assert listed(client, u, path, kind=["visit", "email"]) == [planned, elsewhere, old_visit]
    assert listed(client, u, path, status="done", account_id=accounts.a) == [call, old_visit]
    assert listed(client, u, path, starts_after=at(-4), starts_before=at(0)) == [
        elsewhere,
        by_manager,
        call,
    ]
    assert listed(client, u, path, user_id=str(team.manager.id)) == [by_manager]
    assert listed(client, u, path, sort="starts_at")[0] == old_visit


# --- Notes -----------------------------------------------------------------------------------


def test_note_references_stay_within_the_account(
    client: FlaskClient, team: TeamFixture, accounts: Accounts
) -> None:
    """A note's contact and interaction must be of the note's own account."""
    other_contact = create(
        client, team.rep_a, "/api/contacts", {"account_id": accounts.b, "last_name": "B"}
    )
    other_visit = create(
        client,
        team.rep_a,
        "/api/interactions",
        {"account_id": accounts.b, "kind": "visit", "starts_at": at(-1)},
    )
    r = post(
        client,
        team.rep_a,
        "/api/notes",
        {"account_id": accounts.a, "body": "x", "contact_id": other_contact["id"]},
    )
    assert r.status_code == 422
    assert error_fields(r) == {"contact_id"}
    r = post(
        client,
        team.rep_a,
        "/api/notes",
        {"account_id": accounts.a, "body": "x", "interaction_id": other_visit["id"]},
    )
    assert error_fields(r) == {"interaction_id"}
    note = create(
        client,
        team.rep_a,
        "/api/notes",
        {"account_id": accounts.b, "body": "x", "contact_id": other_contact["id"]},
    )
    assert note["contact_id"] == other_contact["id"]


def test_note_author_is_set_by_the_server(
    client: FlaskClient, team: TeamFixture, accounts: Accounts
) -> None:
    """The author is the creator; a client cannot set it, and an editor does not become it."""
    r = post(
        client,
        team.rep_a,
        "/api/notes",
        {"account_id": accounts.a, "body": "x", "author_id": str(team.manager.id)},
    )
    assert r.status_code == 422
    assert error_fields(r) == {"author_id"}
    note = create(client, team.rep_a, "/api/notes", {"account_id": accounts.a, "body": "Vu M."})
    assert note["author_id"] == str(team.rep_a.id)
    r = patch(client, team.manager, f"/api/notes/{note['id']}", {"body": "Vu M. Martin"})
    assert r.status_code == 200
    assert (r.get_json()["author_id"], r.get_json()["body"]) == (str(team.rep_a.id), "Vu M. Martin")
    assert error_fields(
        post(client, team.rep_a, "/api/notes", {"account_id": accounts.a, "body": "  \n "})
    ) == {"body"}


# --- Follow-ups ------------------------------------------------------------------------------


def test_followup_done_stamps_and_undone_clears_done_at(
    client: FlaskClient, team: TeamFixture, accounts: Accounts
) -> None:
    """Marking a relance done records when; re-saving keeps that time; undoing clears it."""
    f = create(
        client,
        team.rep_a,
        "/api/followups",
        {"account_id": accounts.a, "due_date": "2026-01-10", "reason": "Devis"},
    )
    assert (f["done"], f["done_at"], f["assignee_id"]) == (False, None, str(team.rep_a.id))
    path = f"/api/followups/{f['id']}"
    done = patch(client, team.rep_a, path, {"done": True}).get_json()
    assert done["done_at"] is not None
    again = patch(client, team.rep_a, path, {"done": True, "reason": "Devis envoyé"}).get_json()
    assert again["done_at"] == done["done_at"]
    undone = patch(client, team.rep_a, path, {"done": False}).get_json()
    assert (undone["done"], undone["done_at"]) == (False, None)


def test_followup_filters(client: FlaskClient, team: TeamFixture, accounts: Accounts) -> None:
    """Follow-ups filter by done and by due date (inclusive), sorted by due date."""

    def make(due: str, done: bool) -> str:
        """Create a follow-up as rep A; return its id."""
        return create(
            client,
            team.rep_a,
            "/api/followups",
            {"account_id": accounts.a, "due_date": due, "reason": "R", "done": done},
        )["id"]

    early, mid, late = (
        make("2026-01-05", False),
        make("2026-01-10", True),
        make("2026-02-01", False),
    )
    path = "/api/followups"
    assert listed(client, team.rep_a, path, done="false") == [early, late]
    assert listed(client, team.rep_a, path, done="true") == [mid]
    assert listed(client, team.rep_a, path, due_before="2026-01-10") == [early, mid]
    assert listed(client, team.rep_a, path, due_before="2026-01-10", done="false") == [early]


# --- Opportunities ---------------------------------------------------------------------------


def test_won_opportunity_is_certain_and_lost_impossible(
    client: FlaskClient, team: TeamFixture, accounts: Accounts
) -> None:
    """Stage won forces probability 100 and lost forces 0, whatever was sent."""
    o = create(
        client,
        team.rep_a,
        "/api/opportunities",
        {"account_id": accounts.a, "title": "Four", "amount": "12000", "probability": 30},
    )
    assert (o["stage"], o["probability"], o["amount"]) == ("qualification", 30, "12000.00")
    path = f"/api/opportunities/{o['id']}"
    won = patch(client, team.rep_a, path, {"stage": "won", "probability": 40}).get_json()
    assert won["probability"] == 100
    lost = patch(client, team.rep_a, path, {"stage": "lost"}).get_json()
    assert lost["probability"] == 0
    r = post(
        client,
        team.rep_a,
        "/api/opportunities",
        {"account_id": accounts.a, "title": "X", "probability": 101},
    )
    assert error_fields(r) == {"probability"}


# --- Orders ----------------------------------------------------------------------------------


def test_orders_are_written_by_managers_and_read_by_reps(
    client: FlaskClient, team: TeamFixture, accounts: Accounts
) -> None:
    """A rep may read the orders of their accounts but not write them."""
    body = {"account_id": accounts.a, "order_date": "2026-03-01", "amount_excl_vat": "99.90"}
    assert post(client, team.rep_a, "/api/orders", body).status_code == 403
    order = create(client, team.manager, "/api/orders", body)
    assert listed(client, team.rep_a, "/api/orders") == [order["id"]]
    assert (
        patch(client, team.rep_a, f"/api/orders/{order['id']}", {"paid": True}).status_code == 403
    )


def test_order_due_date_and_paid_at(
    client: FlaskClient, team: TeamFixture, accounts: Accounts
) -> None:
    """Due before the order date is a 422; paying stamps ``paid_at``, unpaying clears it."""
    body = {"account_id": accounts.a, "order_date": "2026-03-01", "amount_excl_vat": "99.90"}
    r = post(client, team.manager, "/api/orders", {**body, "due_date": "2026-02-28"})
    assert r.status_code == 422
    assert error_fields(r) == {"due_date"}
    order = create(client, team.manager, "/api/orders", {**body, "due_date": "2026-03-31"})
    assert order["paid_at"] is None
    path = f"/api/orders/{order['id']}"
    paid = patch(client, team.manager, path, {"paid": True}).get_json()
    assert paid["paid_at"] is not None
    assert (
        patch(client, team.manager, path, {"reference": "F-1"}).get_json()["paid_at"]
        == paid["paid_at"]
    )
    assert patch(client, team.manager, path, {"paid": False}).get_json()["paid_at"] is None
    assert error_fields(patch(client, team.manager, path, {"order_date": "2026-04-15"})) == {
        "due_date"
    }


# --- Rules every child shares ----------------------------------------------------------------

CHILD_BODIES: dict[str, Callable[[str], dict[str, Any]]] = {
    "contacts": lambda aid: {"account_id": aid, "last_name": "Martin"},
    "interactions": lambda aid: {"account_id": aid, "kind": "call", "starts_at": at(-1)},
    "notes": lambda aid: {"account_id": aid, "body": "Note"},
    "followups": lambda aid: {"account_id": aid, "due_date": "2026-01-10", "reason": "R"},
    "opportunities": lambda aid: {"account_id": aid, "title": "Four"},
    "orders": lambda aid: {
        "account_id": aid,
        "order_date": "2026-01-02",
        "amount_excl_vat": "1.00",
    },
}


@pytest.mark.parametrize("resource", sorted(CHILD_BODIES))
def test_child_account_id_is_immutable(
    client: FlaskClient, team: TeamFixture, accounts: Accounts, resource: str
) -> None:
    """A child record cannot be moved to another account (422); resending its own is fine."""
    path = f"/api/{resource}"
    child = create(client, team.manager, path, CHILD_BODIES[resource](accounts.a))
    item = f"{path}/{child['id']}"
    r = patch(client, team.manager, item, {"account_id": accounts.b})
    assert r.status_code == 422
    assert error_fields(r) == {"account_id"}
    r = patch(client, team.manager, item, {"account_id": accounts.a})
    assert r.status_code == 200
    assert r.get_json()["version"] == 1


@pytest.mark.parametrize("resource", sorted(CHILD_BODIES))
def test_children_of_a_deleted_account_disappear(
    client: FlaskClient, team: TeamFixture, accounts: Accounts, resource: str
) -> None:
    """Deleting an account hides its child records from lists and direct reads."""
    path = f"/api/{resource}"
    child = create(client, team.manager, path, CHILD_BODIES[resource](accounts.a))
    account = f"/api/accounts/{accounts.a}"
    etag = client.get(account, headers=team.manager.headers).headers["ETag"]
    assert (
        client.delete(account, headers={**team.manager.headers, "If-Match": etag}).status_code
        == 204
    )
    assert listed(client, team.admin, path) == []
    assert client.get(f"{path}/{child['id']}", headers=team.admin.headers).status_code == 404
