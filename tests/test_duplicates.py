"""Likely duplicates of an account: who is found, with which score and reasons, for whom."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from server.accounts.duplicates import name_key, role_mailbox

from .conftest import Person, TeamFixture
from .helpers import account_body, create, error_fields

ACCOUNTS = "/api/accounts"
CHECK = "/api/accounts/duplicates/check"
#: Two establishments of one company (same SIREN), and another company.
SIRET_A, SIRET_A2 = "55208131700018", "55208131700026"
SIRET_B = "44306184100013"


def new_account(client: FlaskClient, who: Person, **fields: Any) -> dict[str, Any]:
    """Create a company account as ``who`` from ``account_body`` without its SIRET."""
    return create(client, who, ACCOUNTS, account_body(siret=None, **fields))


def duplicates(client: FlaskClient, who: Person, account_id: str, **query: Any) -> list[dict]:
    """The candidates listed for ``account_id``, asserting a 200."""
    r = client.get(f"{ACCOUNTS}/{account_id}/duplicates", headers=who.headers, query_string=query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def by_id(candidates: list[dict]) -> dict[str, dict]:
    """Candidates keyed by account id."""
    return {c["account"]["id"]: c for c in candidates}


def test_names_are_compared_without_legal_forms_accents_case_or_punctuation():
    assert name_key("SARL Boulangerie Morel") == "boulangerie morel"
    assert name_key("Éts. DUPONT & Fils") == "dupont fils"
    assert name_key("Société Générale de l'Est") == "generale est"
    assert name_key(None) == ""


def test_the_same_shop_entered_twice_is_found_and_others_are_not(client, team: TeamFixture):
    rep = team.rep_a
    first = new_account(
        client, rep, name="SARL Boulangerie Morel", address_line1="12 rue Garibaldi"
    )
    again = new_account(client, rep, name="boulangerie MOREL", address_line1="12, Rue Garibaldi")
    other_shop = new_account(
        client, rep, name="Boulangerie Dupont", address_line1="3 rue Duguesclin"
    )
    elsewhere = new_account(
        client, rep, name="Boulangerie Morel", postal_code="13001", city="Marseille"
    )

    found = by_id(duplicates(client, rep, again["id"]))
    assert set(found) == {first["id"]}
    assert found[first["id"]]["score"] == 100  # alike names (95) and the same address
    assert found[first["id"]]["reasons"] == ["similar_name", "same_address"]
    assert found[first["id"]]["account"]["name"] == "SARL Boulangerie Morel"
    assert other_shop["id"] not in found
    assert elsewhere["id"] not in found
    # Both ways round, and never itself.
    assert set(by_id(duplicates(client, rep, first["id"]))) == {again["id"]}


def test_the_same_phone_or_e_mail_under_another_name_and_place(client, team: TeamFixture):
    rep = team.rep_a
    shop = new_account(
        client, rep, name="Fleurs Roses", phone="04 78 12 34 56", email="Contact@Fleurs-Roses.fr"
    )
    renamed = new_account(
        client,
        rep,
        name="Atelier Floral",
        phone="+33478123456",
        postal_code="69007",
        address_line1="8 avenue Jean Jaurès",
    )
    unrelated = new_account(client, rep, name="Le Jardin", postal_code="69008")
    found = by_id(duplicates(client, rep, renamed["id"]))
    assert set(found) == {shop["id"]}
    assert found[shop["id"]]["reasons"] == ["same_phone"]
    assert found[shop["id"]]["score"] == 85
    assert duplicates(client, rep, unrelated["id"]) == []

    # E-mail addresses are compared without case (the domain is stored lower-cased). A
    # role mailbox (contact@) counts in the same place only: a chain's shops share one.
    for values, found in (
        ({"email": "contact@FLEURS-ROSES.FR", "postal_code": "69003"}, [shop["id"]]),
        ({"email": "contact@fleurs-roses.fr", "postal_code": "69005", "city": "Lyon 5e"}, []),
        (
            {"email": "contact@fleurs-roses.fr", "postal_code": "69005", "city": "Lyon"},
            [shop["id"]],
        ),
    ):
        r = client.post(CHECK, json=values, headers=rep.headers)
        assert r.status_code == 200
        assert [c["account"]["id"] for c in r.get_json()] == found, values
        assert all(c["reasons"] == ["same_email"] for c in r.get_json())
    personal = new_account(client, rep, name="Atelier B", email="M.Roses@fleurs-roses.fr")
    r = client.post(
        CHECK,
        json={"email": "m.roses@Fleurs-Roses.fr", "postal_code": "74000"},
        headers=rep.headers,
    )
    assert [(c["account"]["id"], c["reasons"], c["score"]) for c in r.get_json()] == [
        (personal["id"], ["same_email"], 85)
    ]


def test_role_mailboxes():
    assert role_mailbox("contact@fleurs.fr")
    assert role_mailbox("Info.Lyon@fleurs.fr")
    assert role_mailbox("no-reply@fleurs.fr")
    assert not role_mailbox("marie.roses@fleurs.fr")
    assert not role_mailbox("contactless@fleurs.fr")


def test_two_establishments_of_one_company_are_not_duplicates_by_their_siren(
    client, team: TeamFixture
):
    rep = team.rep_a
    head_office = create(client, rep, ACCOUNTS, account_body(name="Garage Central", siret=SIRET_A))
    branch = create(
        client,
        rep,
        ACCOUNTS,
        account_body(name="Garage Nord", siret=SIRET_A2, postal_code="69009", city="Lyon"),
    )
    known_by_siren = create(
        client,
        rep,
        ACCOUNTS,
        account_body(
            name="Garage", siret=None, siren=SIRET_A[:9], postal_code="38000", city="Grenoble"
        ),
    )
    found = by_id(duplicates(client, rep, branch["id"]))
    assert head_office["id"] not in found  # two known SIRETs: two customers
    assert found[known_by_siren["id"]]["reasons"] == ["same_siren"]
    assert found[known_by_siren["id"]]["score"] == 70


def test_checking_a_new_prospect_before_creating_it(client, team: TeamFixture):
    rep = team.rep_a
    stored = create(client, rep, ACCOUNTS, account_body(name="Cave Saint-Jean", siret=SIRET_B))
    r = client.post(CHECK, json={"siret": SIRET_B, "name": "Cave St Jean"}, headers=rep.headers)
    assert r.status_code == 200
    [candidate] = r.get_json()
    assert candidate["account"]["id"] == stored["id"]
    assert candidate["reasons"][0] == "same_siret"
    assert candidate["score"] == 100

    alike = client.post(
        CHECK, json={"name": "Cave St-Jean", "postal_code": "69003"}, headers=rep.headers
    )
    assert [c["account"]["id"] for c in alike.get_json()] == [stored["id"]]
    assert alike.get_json()[0]["reasons"] == ["similar_name"]

    nothing = client.post(CHECK, json={"name": "Cave Saint-Jean"}, headers=rep.headers)
    assert nothing.status_code == 200
    assert nothing.get_json() == []

    bad = client.post(CHECK, json={"siret": "12345678901234", "phone": "12"}, headers=rep.headers)
    assert bad.status_code == 422
    assert bad.mimetype == "application/problem+json"
    assert error_fields(bad) == {"siret", "phone"}


def test_min_score_leaves_out_the_weaker_candidates(client, team: TeamFixture):
    rep = team.rep_a
    shop = new_account(client, rep, name="Tabac Presse", phone="04 78 12 34 56")
    same_phone = new_account(
        client, rep, name="Bar PMU", phone="04 78 12 34 56", postal_code="69001"
    )
    assert set(by_id(duplicates(client, rep, shop["id"]))) == {same_phone["id"]}
    assert duplicates(client, rep, shop["id"], min_score=90) == []
    r = client.get(
        f"{ACCOUNTS}/{shop['id']}/duplicates", headers=rep.headers, query_string={"min_score": 101}
    )
    assert r.status_code == 422
    assert error_fields(r) == {"min_score"}


def person(**fields: Any) -> dict[str, Any]:
    """A private customer's account body (no raison sociale: the name is derived)."""
    body = account_body(kind="person", siret=None, naf_code=None, **fields)
    del body["name"]
    return body


def test_private_customers_by_names_and_birth_date(client, team: TeamFixture):
    rep = team.rep_a
    marie = create(
        client,
        rep,
        ACCOUNTS,
        person(last_name="Dupont", first_name="Marie", birth_date="1980-05-04"),
    )
    again = create(
        client,
        rep,
        ACCOUNTS,
        person(
            last_name="DUPONT",
            first_name="Marie",
            birth_date="1980-05-04",
            address_line1="40 rue Paul Bert",
        ),
    )
    namesake = create(
        client,
        rep,
        ACCOUNTS,
        person(
            last_name="Dupont",
            first_name="Marie",
            birth_date="1991-01-30",
            address_line1="2 quai Augagneur",
        ),
    )
    no_birth_date = create(
        client,
        rep,
        ACCOUNTS,
        person(last_name="Dupont", first_name="Marie", address_line1="5 rue Servient"),
    )
    found = by_id(duplicates(client, rep, again["id"]))
    assert found[marie["id"]]["reasons"] == ["same_birth_date", "similar_name"]
    assert found[marie["id"]]["score"] == 100
    assert namesake["id"] not in found  # born another day: another person
    assert found[no_birth_date["id"]]["reasons"] == ["similar_name"]  # may be her
    assert found[no_birth_date["id"]]["score"] == 95


def test_only_live_accounts_the_caller_can_see(client, team: TeamFixture):
    mine = new_account(client, team.rep_a, name="Quincaillerie Bonnet")
    theirs = new_account(client, team.rep_c, name="Quincaillerie BONNET")  # another team's rep
    gone = new_account(client, team.rep_a, name="Quincaillerie Bonnet SARL")

    path = f"{ACCOUNTS}/{gone['id']}"
    etag = client.get(path, headers=team.manager.headers).headers["ETag"]
    deleted = client.delete(path, headers={**team.manager.headers, "If-Match": etag})
    assert deleted.status_code == 204

    assert duplicates(client, team.rep_a, mine["id"]) == []
    assert set(by_id(duplicates(client, team.admin, mine["id"]))) == {theirs["id"]}
    assert set(by_id(duplicates(client, team.manager, mine["id"]))) == set()  # north only
    outside = client.get(f"{ACCOUNTS}/{theirs['id']}/duplicates", headers=team.rep_a.headers)
    assert outside.status_code == 404

    # Checking values before a create: the same scope.
    values = {"name": "Quincaillerie Bonnet", "postal_code": "69003"}
    for who, expected in (
        (team.rep_a, {mine["id"]}),
        (team.rep_c, {theirs["id"]}),
        (team.manager, {mine["id"]}),
        (team.admin, {mine["id"], theirs["id"]}),
    ):
        r = client.post(CHECK, json=values, headers=who.headers)
        assert r.status_code == 200
        assert set(by_id(r.get_json())) == expected, who.email


def pairs(client: FlaskClient, who: Person, **query: Any) -> list[dict]:
    """The base's pairs as ``who`` sees them, asserting a 200."""
    r = client.get(f"{ACCOUNTS}/duplicates", headers=who.headers, query_string=query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def as_pairs(listed: list[dict]) -> dict[frozenset[str], tuple[int, list[str]]]:
    """Pairs keyed by their two ids."""
    return {
        frozenset((p["first"]["id"], p["second"]["id"])): (p["score"], p["reasons"]) for p in listed
    }


def test_the_base_s_pairs_are_those_each_account_s_page_finds(client, team: TeamFixture):
    """Every kind of likeness at once; the pairs listed are exactly the candidates each
    account's own page lists, with the same scores and reasons, surest first."""
    rep = team.rep_a
    made = [
        new_account(client, rep, name="SARL Boulangerie Morel", address_line1="12 rue Garibaldi"),
        new_account(client, rep, name="boulangerie MOREL", address_line1="12, Rue Garibaldi"),
        new_account(client, rep, name="Boulangerie Dupont", address_line1="3 rue Duguesclin"),
        new_account(client, rep, name="Fleurs Roses", phone="04 78 12 34 56", postal_code="69001"),
        new_account(
            client, rep, name="Atelier Floral", phone="04 78 12 34 56", postal_code="69007"
        ),
        new_account(client, rep, name="Tabac du Parc", postal_code=None, city="Villeurbanne"),
        new_account(client, rep, name="Tabac Le Parc", postal_code="69100", city="Villeurbanne"),
        create(client, rep, ACCOUNTS, account_body(name="Garage Central", siret=SIRET_A)),
        create(
            client,
            rep,
            ACCOUNTS,
            account_body(name="Garage Nord", siret=SIRET_A2, address_line1="5 rue Marietton"),
        ),
    ]
    listed = pairs(client, rep)
    found = as_pairs(listed)
    expected = {}
    for account in made:
        for c in duplicates(client, rep, account["id"]):
            expected[frozenset((account["id"], c["account"]["id"]))] = (c["score"], c["reasons"])
    assert found == expected
    ids = [a["id"] for a in made]
    assert frozenset(ids[0:2]) in found  # similar names at one address
    assert found[frozenset(ids[3:5])] == (85, ["same_phone"])
    assert frozenset(ids[5:7]) in found  # one postal code unknown: compared by town
    assert frozenset(ids[7:9]) not in found  # two establishments
    assert [p["score"] for p in listed] == sorted((p["score"] for p in listed), reverse=True)
    assert all(p["first"]["name"] <= p["second"]["name"] for p in listed)

    assert len(pairs(client, rep, limit=1)) == 1
    assert as_pairs(pairs(client, rep, min_score=90)) == {
        k: v for k, v in expected.items() if v[0] >= 90
    }


def test_the_base_s_pairs_stay_in_the_caller_s_scope(client, team: TeamFixture):
    mine = new_account(client, team.rep_a, name="Quincaillerie Bonnet")
    theirs = new_account(client, team.rep_c, name="Quincaillerie BONNET")
    assert pairs(client, team.rep_a) == []
    assert pairs(client, team.manager) == []
    assert set(as_pairs(pairs(client, team.admin))) == {frozenset((mine["id"], theirs["id"]))}
