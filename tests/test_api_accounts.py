"""Accounts over the API: validation rules, list filters, ETags, KPIs, timeline."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.accounts.models import Account
from server.extensions import db

from .conftest import Person, TeamFixture
from .helpers import account_body, create, error_fields, patch

ACCOUNTS = "/api/accounts"
#: Valid SIRETs (Luhn-checked) of three different companies, and a second site of the first.
SIRET_A, SIRET_A2 = "55208131700018", "55208131700026"
SIRET_B = "44306184100013"
SIRET_C = "38012986600014"


def now() -> datetime:
    """The current time in UTC, as the server sees it."""
    return datetime.now(UTC)


def today() -> date:
    """The server's today (UTC)."""
    return now().date()


def post(client: FlaskClient, who: Person, body: dict[str, Any], path: str = ACCOUNTS) -> Any:
    """POST ``body`` as ``who`` and return the response, whatever its status."""
    return client.post(path, json=body, headers=who.headers)


def names(client: FlaskClient, who: Person, **query: Any) -> list[str]:
    """Names of the accounts ``who`` lists with ``query``, in the order returned."""
    r = client.get(ACCOUNTS, query_string={"page_size": 500, **query}, headers=who.headers)
    assert r.status_code == 200, r.get_json()
    return [a["name"] for a in r.get_json()]


# --- Creating accounts: identity rules -------------------------------------------------------


def test_siret_is_normalized_and_siren_derived(client: FlaskClient, team: TeamFixture) -> None:
    """A SIRET typed with spaces is stored as 14 digits and gives the SIREN (its first 9)."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body(siret="552 081 317 00018"))
    assert acc["siret"] == SIRET_A
    assert acc["siren"] == "552081317"


def test_siren_not_matching_siret_is_422_naming_siren(
    client: FlaskClient, team: TeamFixture
) -> None:
    """A valid SIREN of another company than the SIRET's is refused, naming ``siren``."""
    r = post(client, team.rep_a, account_body(siret=SIRET_A, siren="443061841"))
    assert r.status_code == 422
    assert error_fields(r) == {"siren"}


def test_siret_with_bad_checksum_is_422(client: FlaskClient, team: TeamFixture) -> None:
    """A SIRET whose Luhn check digit is wrong is refused, naming ``siret``."""
    r = post(client, team.rep_a, account_body(siret="55208131700019"))
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    assert error_fields(r) == {"siret"}


def test_naf_code_and_website_are_normalized(client: FlaskClient, team: TeamFixture) -> None:
    """NAF ``6201Z`` is stored as ``62.01Z`` and a bare domain gets ``https://``."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body(naf_code="6201z", website="example.fr"))
    assert acc["naf_code"] == "62.01Z"
    assert acc["website"] == "https://example.fr"


def test_person_name_is_derived_from_last_and_first_name(
    client: FlaskClient, team: TeamFixture
) -> None:
    """A private customer needs no ``name``: it is "Last First"."""
    body = {
        "kind": "person",
        "last_name": "Dupont",
        "first_name": "Marie",
        "civility": "Mme",
        "postal_code": "38000",
        "city": "Grenoble",
    }
    acc = create(client, team.rep_a, ACCOUNTS, body)
    assert acc["name"] == "Dupont Marie"
    assert acc["kind"] == "person"
    assert acc["siret"] is None


def test_person_name_follows_a_change_of_names(client: FlaskClient, team: TeamFixture) -> None:
    """A derived display name is re-derived when the person's names change; a display name
    the user chose is kept."""
    acc = create(
        client,
        team.rep_a,
        ACCOUNTS,
        {"kind": "person", "last_name": "Dupont", "first_name": "Marie"},
    )
    path = f"{ACCOUNTS}/{acc['id']}"
    r = patch(client, team.rep_a, path, {"last_name": "Durand"})
    assert r.get_json()["name"] == "Durand Marie"
    r = patch(client, team.rep_a, path, {"name": "Mme Durand (boutique)"})
    assert r.get_json()["name"] == "Mme Durand (boutique)"
    r = patch(client, team.rep_a, path, {"first_name": "Maria"})
    assert r.get_json()["name"] == "Mme Durand (boutique)"


def test_person_without_last_name_is_422(client: FlaskClient, team: TeamFixture) -> None:
    """A private customer must have a last name."""
    r = post(client, team.rep_a, {"kind": "person", "first_name": "Marie"})
    assert r.status_code == 422
    assert "last_name" in error_fields(r)


@pytest.mark.parametrize("postal_code", ["6900", "690033", "69O03", "2A004"])
def test_french_postal_code_has_five_digits(
    client: FlaskClient, team: TeamFixture, postal_code: str
) -> None:
    """In France a postal code is exactly five digits (Corsica included: 20000)."""
    r = post(client, team.rep_a, account_body(postal_code=postal_code))
    assert r.status_code == 422
    assert error_fields(r) == {"postal_code"}


def test_foreign_postal_code_is_free_form(client: FlaskClient, team: TeamFixture) -> None:
    """A Belgian postal code of four digits is accepted for a Belgian address."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body(country="BE", postal_code="1000"))
    assert (acc["country"], acc["postal_code"]) == ("BE", "1000")


def test_latitude_without_longitude_is_422(client: FlaskClient, team: TeamFixture) -> None:
    """A position is both coordinates or none."""
    r = post(client, team.rep_a, account_body(latitude=45.76))
    assert r.status_code == 422
    assert error_fields(r) == {"latitude"}


def test_position_stamps_geocoded_at(client: FlaskClient, team: TeamFixture) -> None:
    """Giving both coordinates records when the position was set."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body(latitude=45.76, longitude=4.84))
    assert acc["geocoded_at"] is not None


def test_duplicate_live_siret_is_409_until_the_other_is_deleted(
    client: FlaskClient, team: TeamFixture
) -> None:
    """Two live accounts cannot share a SIRET; once one is deleted the SIRET is free again."""
    first = create(client, team.rep_a, ACCOUNTS, account_body(siret=SIRET_A))
    r = post(client, team.rep_b, account_body(name="Doublon", siret=SIRET_A))
    assert r.status_code == 409
    assert error_fields(r) == {"siret"}
    # Another site of the same company (same SIREN, other SIRET) is fine.
    create(client, team.rep_b, ACCOUNTS, account_body(name="Site 2", siret=SIRET_A2))

    path = f"{ACCOUNTS}/{first['id']}"
    etag = client.get(path, headers=team.manager.headers).headers["ETag"]
    assert (
        client.delete(path, headers={**team.manager.headers, "If-Match": etag}).status_code == 204
    )
    again = create(client, team.rep_b, ACCOUNTS, account_body(name="Repreneur", siret=SIRET_A))
    assert again["siret"] == SIRET_A


def test_changing_siret_to_a_taken_one_is_409(client: FlaskClient, team: TeamFixture) -> None:
    """The SIRET uniqueness rule also holds when an account is edited."""
    create(client, team.rep_a, ACCOUNTS, account_body(siret=SIRET_A))
    other = create(client, team.rep_a, ACCOUNTS, account_body(name="Autre", siret=SIRET_B))
    r = patch(client, team.rep_a, f"{ACCOUNTS}/{other['id']}", {"siret": SIRET_A})
    assert r.status_code == 409


def test_client_chosen_id_is_kept_and_reuse_is_409(client: FlaskClient, team: TeamFixture) -> None:
    """An offline client may choose the id; a second create with that id conflicts."""
    chosen = str(uuid.uuid4())
    acc = create(client, team.rep_a, ACCOUNTS, account_body(id=chosen))
    assert acc["id"] == chosen
    assert client.get(f"{ACCOUNTS}/{chosen}", headers=team.rep_a.headers).status_code == 200
    r = post(client, team.rep_a, account_body(id=chosen, name="Autre", siret=SIRET_B))
    assert r.status_code == 409
    assert r.mimetype == "application/problem+json"


def test_status_change_is_recorded_with_who_and_when(
    client: FlaskClient, team: TeamFixture
) -> None:
    """Every status change is kept, newest first, with its author and time, and is in the
    timeline."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body(status="prospect_warm"))
    path = f"{ACCOUNTS}/{acc['id']}"
    before = now()
    assert patch(client, team.manager, path, {"status": "client"}).status_code == 200
    after = now()
    assert patch(client, team.manager, path, {"name": "Renamed"}).status_code == 200

    history = client.get(f"{path}/status-history", headers=team.rep_a.headers).get_json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        ("prospect_warm", "client"),
        (None, "prospect_warm"),
    ]
    assert [h["changed_by_id"] for h in history] == [str(team.manager.id), str(team.rep_a.id)]
    changed_at = datetime.fromisoformat(history[0]["changed_at"])
    assert before <= changed_at <= after

    r = client.get(
        f"{path}/timeline", query_string={"types": "status_change"}, headers=team.rep_a.headers
    )
    assert [item["data"]["to_status"] for item in r.get_json()] == ["client", "prospect_warm"]


def test_owner_defaults_to_caller_and_is_checked(client: FlaskClient, team: TeamFixture) -> None:
    """The creator owns the account unless they name an owner they may assign."""
    assert create(client, team.rep_a, ACCOUNTS, account_body())["owner_id"] == str(team.rep_a.id)
    given = create(
        client,
        team.manager,
        ACCOUNTS,
        account_body(name="Pour B", siret=None, owner_id=str(team.rep_b.id)),
    )
    assert given["owner_id"] == str(team.rep_b.id)
    r = post(
        client, team.rep_a, account_body(name="Pour B", siret=None, owner_id=str(team.rep_b.id))
    )
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("hours", "day"),
    [
        ({"lun": [["08:00", "12:00"]]}, "lun"),
        ({"tue": [["08:00", "25:00"]]}, "tue"),
        ({"wed": [["08:00", "12:00"], ["11:30", "14:00"]]}, "wed"),
        ({"thu": [["14:00", "09:00"]]}, "thu"),
        ({"fri": [["08:00"]]}, "fri"),
    ],
    ids=["bad-weekday", "25h", "overlap", "closes-before-opening", "half-range"],
)
def test_bad_opening_hours_are_422_naming_the_day(
    client: FlaskClient, team: TeamFixture, hours: dict[str, Any], day: str
) -> None:
    """Opening hours are checked range by range and the error names the faulty day."""
    r = post(client, team.rep_a, account_body(opening_hours=hours))
    assert r.status_code == 422
    assert error_fields(r) == {f"opening_hours.{day}"}


def test_good_opening_hours_are_kept(client: FlaskClient, team: TeamFixture) -> None:
    """Split days and back-to-back ranges are valid opening hours."""
    hours = {
        "mon": [["08:30", "12:00"], ["14:00", "18:30"]],
        "sat": [["09:00", "12:00"], ["12:00", "13:00"]],
    }
    acc = create(client, team.rep_a, ACCOUNTS, account_body(opening_hours=hours))
    assert acc["opening_hours"] == hours


def test_tags_must_be_unique(client: FlaskClient, team: TeamFixture) -> None:
    """Tags are a set: the same tag twice is refused."""
    r = post(client, team.rep_a, account_body(tags=["bio", "vip", "bio"]))
    assert r.status_code == 422
    assert error_fields(r) == {"tags"}


def test_custom_fields_follow_admin_definitions(client: FlaskClient, team: TeamFixture) -> None:
    """Custom values are checked against the admin's definitions: required, choices, known
    keys."""
    fields_path = "/api/custom-fields"
    create(
        client,
        team.admin,
        fields_path,
        {
            "entity": "account",
            "key": "segment",
            "label": "Segment",
            "type": "choice",
            "choices": ["GMS", "CHR"],
        },
    )
    create(
        client,
        team.admin,
        fields_path,
        {
            "entity": "account",
            "key": "surface_m2",
            "label": "Surface",
            "type": "integer",
            "required": True,
        },
    )
    assert (
        post(
            client,
            team.rep_a,
            {"entity": "account", "key": "x", "label": "X", "type": "text"},
            fields_path,
        ).status_code
        == 403
    )

    r = post(client, team.rep_a, account_body(custom={"segment": "GMS"}))
    assert r.status_code == 422
    assert error_fields(r) == {"custom.surface_m2"}
    r = post(client, team.rep_a, account_body(custom={"segment": "Boulangerie", "surface_m2": 80}))
    assert error_fields(r) == {"custom.segment"}
    r = post(client, team.rep_a, account_body(custom={"surface_m2": 80, "couleur": "bleu"}))
    assert error_fields(r) == {"custom.couleur"}
    r = post(client, team.rep_a, account_body(custom={"surface_m2": "80"}))
    assert error_fields(r) == {"custom.surface_m2"}

    acc = create(
        client, team.rep_a, ACCOUNTS, account_body(custom={"segment": "CHR", "surface_m2": 80})
    )
    assert acc["custom"] == {"segment": "CHR", "surface_m2": 80}


def test_values_of_a_deleted_custom_field_do_not_block_edits(
    client: FlaskClient, team: TeamFixture
) -> None:
    """Once an admin deletes a custom field, accounts that carried it can still be edited and
    lose the orphaned value; sending that key again is refused."""
    field = create(
        client,
        team.admin,
        "/api/custom-fields",
        {"entity": "account", "key": "segment", "label": "Segment", "type": "text"},
    )
    acc = create(client, team.rep_a, ACCOUNTS, account_body(custom={"segment": "GMS"}))
    field_path = f"/api/custom-fields/{field['id']}"
    etag = client.get(field_path, headers=team.admin.headers).headers["ETag"]
    r = client.delete(field_path, headers={**team.admin.headers, "If-Match": etag})
    assert r.status_code == 204

    path = f"{ACCOUNTS}/{acc['id']}"
    r = patch(client, team.rep_a, path, {"city": "Bron"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["custom"] == {}
    r = patch(client, team.rep_a, path, {"custom": {"segment": "GMS"}})
    assert error_fields(r) == {"custom.segment"}


# --- Lists -----------------------------------------------------------------------------------


@pytest.fixture
def catalogue(client: FlaskClient, team: TeamFixture) -> dict[str, dict[str, Any]]:
    """Five accounts of the north team with varied status, place, tags, owner and territory."""
    bodies = [
        account_body(
            name="Société Générale des Eaux",
            siret=SIRET_A,
            status="client",
            postal_code="69003",
            city="Lyon",
            tags=["vip", "eau"],
            territory="Rhône",
        ),
        account_body(
            name="Boulangerie Martin",
            siret=SIRET_B,
            status="prospect_warm",
            postal_code="69100",
            city="Villeurbanne",
            tags=["bio"],
            territory="Rhône",
        ),
        account_body(
            name="Café des Arts",
            siret=SIRET_C,
            status="partner",
            postal_code="38000",
            city="Grenoble",
            tags=[],
            territory="Isère",
        ),
        account_body(
            name="Comptoir d'Orléans",
            siret=None,
            status="suspect",
            postal_code="45000",
            city="Orléans",
            tags=["bio", "vip"],
        ),
        account_body(
            name="Zinc du Port",
            siret=None,
            status="client",
            postal_code="13002",
            city="Marseille",
            owner_id=str(team.rep_b.id),
        ),
    ]
    out = {}
    for body in bodies:
        who = team.manager if "owner_id" in body else team.rep_a
        out[body["name"]] = create(client, who, ACCOUNTS, body)
    return out


def test_q_search_ignores_accents_and_case(
    client: FlaskClient, team: TeamFixture, catalogue: dict[str, Any]
) -> None:
    """``q=societe`` finds "Société Générale des Eaux"; SIRET and city are searched too."""
    assert names(client, team.manager, q="societe") == ["Société Générale des Eaux"]
    assert names(client, team.manager, q="SOCIÉTÉ génér") == ["Société Générale des Eaux"]
    assert names(client, team.manager, q="orleans") == ["Comptoir d'Orléans"]
    assert names(client, team.manager, q=SIRET_B) == ["Boulangerie Martin"]
    assert names(client, team.manager, q="villeurbanne") == ["Boulangerie Martin"]
    assert names(client, team.manager, q="100%") == []


def test_status_filter_takes_several_values(
    client: FlaskClient, team: TeamFixture, catalogue: dict[str, Any]
) -> None:
    """``status`` repeated selects accounts in any of those statuses."""
    got = names(client, team.manager, status=["client", "partner"])
    assert got == ["Café des Arts", "Société Générale des Eaux", "Zinc du Port"]
    r = client.get(ACCOUNTS, query_string={"status": "customer"}, headers=team.manager.headers)
    assert r.status_code == 422


def test_postal_code_filter_is_a_prefix(
    client: FlaskClient, team: TeamFixture, catalogue: dict[str, Any]
) -> None:
    """``postal_code=69`` lists the whole département; a full code lists that code."""
    assert names(client, team.manager, postal_code="69") == [
        "Boulangerie Martin",
        "Société Générale des Eaux",
    ]
    assert names(client, team.manager, postal_code="69003") == ["Société Générale des Eaux"]
    assert names(client, team.manager, postal_code="6_") == []


def test_city_filter_ignores_case(
    client: FlaskClient, team: TeamFixture, catalogue: dict[str, Any]
) -> None:
    """``city`` matches whatever the case, accented capitals included."""
    assert names(client, team.manager, city="lyon") == ["Société Générale des Eaux"]
    assert names(client, team.manager, city="GRENOBLE") == ["Café des Arts"]
    assert names(client, team.manager, city="ORLÉANS") == ["Comptoir d'Orléans"]
    assert names(client, team.manager, city="Lyo") == []
    create(
        client,
        team.rep_a,
        ACCOUNTS,
        account_body(name="Halle", siret=None, postal_code="91000", city="Évry"),
    )
    assert names(client, team.manager, city="évry") == ["Halle"]
    assert names(client, team.manager, city="ÉVRY") == ["Halle"]


def test_tag_filter(client: FlaskClient, team: TeamFixture, catalogue: dict[str, Any]) -> None:
    """``tag`` lists accounts carrying that tag (JSON array on SQLite, JSONB on PostgreSQL)."""
    assert names(client, team.manager, tag="vip") == [
        "Comptoir d'Orléans",
        "Société Générale des Eaux",
    ]
    assert names(client, team.manager, tag="bio") == ["Boulangerie Martin", "Comptoir d'Orléans"]
    assert names(client, team.manager, tag="vi") == []


def test_owner_territory_and_kind_filters(
    client: FlaskClient, team: TeamFixture, catalogue: dict[str, Any]
) -> None:
    """``owner_id``, ``territory`` and ``kind`` filters select exactly the matching accounts."""
    assert names(client, team.manager, owner_id=str(team.rep_b.id)) == ["Zinc du Port"]
    assert names(client, team.manager, territory="Rhône") == [
        "Boulangerie Martin",
        "Société Générale des Eaux",
    ]
    create(client, team.rep_a, ACCOUNTS, {"kind": "person", "last_name": "Durand"})
    assert names(client, team.manager, kind="person") == ["Durand"]


def test_updated_since_lists_only_later_changes(
    client: FlaskClient, team: TeamFixture, catalogue: dict[str, Any]
) -> None:
    """``updated_since`` lists the accounts changed strictly after that time."""
    last = max(catalogue.values(), key=lambda a: a["updated_at"])
    assert names(client, team.manager, updated_since=last["updated_at"]) == []
    cafe = catalogue["Café des Arts"]
    assert (
        patch(
            client, team.rep_a, f"{ACCOUNTS}/{cafe['id']}", {"description": "Terrasse"}
        ).status_code
        == 200
    )
    assert names(client, team.manager, updated_since=last["updated_at"]) == ["Café des Arts"]


def test_sorting_ascending_descending_and_invalid(
    client: FlaskClient, team: TeamFixture, catalogue: dict[str, Any]
) -> None:
    """``sort`` orders by allowed fields, ``-`` for descending; other fields are a 422."""
    by_name = names(client, team.manager, sort="name")
    assert by_name == sorted(catalogue)
    assert names(client, team.manager, sort="-name") == by_name[::-1]
    assert names(client, team.manager, sort="status,-postal_code") == [
        "Société Générale des Eaux",
        "Zinc du Port",
        "Café des Arts",
        "Boulangerie Martin",
        "Comptoir d'Orléans",
    ]
    r = client.get(ACCOUNTS, query_string={"sort": "search_text"}, headers=team.manager.headers)
    assert r.status_code == 422
    assert error_fields(r) == {"sort"}


def test_pagination_and_total_header(
    client: FlaskClient, team: TeamFixture, catalogue: dict[str, Any]
) -> None:
    """Pages of ``page_size`` cover the list once, and X-Pagination gives the total."""
    seen: list[str] = []
    for page in (1, 2, 3):
        r = client.get(
            ACCOUNTS,
            query_string={"page": page, "page_size": 2, "sort": "name"},
            headers=team.manager.headers,
        )
        assert r.status_code == 200
        info = json.loads(r.headers["X-Pagination"])
        assert (info["total"], info["total_pages"], info["page"]) == (5, 3, page)
        seen += [a["name"] for a in r.get_json()]
    assert seen == sorted(catalogue)
    r = client.get(ACCOUNTS, query_string={"page_size": 1000}, headers=team.manager.headers)
    assert r.status_code == 422


def test_deleted_accounts_are_never_listed(
    client: FlaskClient, team: TeamFixture, catalogue: dict[str, Any]
) -> None:
    """A deleted account disappears from every list and from the total."""
    cafe = catalogue["Café des Arts"]
    path = f"{ACCOUNTS}/{cafe['id']}"
    etag = client.get(path, headers=team.manager.headers).headers["ETag"]
    assert (
        client.delete(path, headers={**team.manager.headers, "If-Match": etag}).status_code == 204
    )
    assert "Café des Arts" not in names(client, team.manager)
    assert names(client, team.manager, q="cafe") == []
    r = client.get(ACCOUNTS, headers=team.admin.headers)
    assert json.loads(r.headers["X-Pagination"])["total"] == 4


# --- ETag / If-Match and versions ------------------------------------------------------------


def test_etag_on_get_and_after_patch(client: FlaskClient, team: TeamFixture) -> None:
    """GET and PATCH answer the record's current ETag; it changes with the version."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    path = f"{ACCOUNTS}/{acc['id']}"
    first = client.get(path, headers=team.rep_a.headers).headers["ETag"]
    r = client.patch(
        path, json={"city": "Lyon 3e"}, headers={**team.rep_a.headers, "If-Match": first}
    )
    assert r.status_code == 200
    assert r.headers["ETag"] != first
    assert r.headers["ETag"] == client.get(path, headers=team.rep_a.headers).headers["ETag"]


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [("gzip, deflate, br, zstd", "zstd"), ("gzip, deflate, br", "br"), ("gzip", "gzip")],
)
def test_etag_of_a_compressed_answer_works_in_if_match(
    client: FlaskClient, team: TeamFixture, accept: str, chosen: str
) -> None:
    """A browser gets the record compressed, with the ETag marked (``:zstd``...); sent back
    in If-Match it is the record's ETag (200), and still a 412 once the record has changed."""
    acc = create(
        client, team.rep_a, ACCOUNTS, account_body(description="Boulangerie de quartier. " * 60)
    )
    path = f"{ACCOUNTS}/{acc['id']}"
    browser = {**team.rep_a.headers, "Accept-Encoding": accept}
    got = client.get(path, headers=browser)
    assert got.headers["Content-Encoding"] == chosen
    encoded = got.headers["ETag"]
    assert encoded.endswith(f':{chosen}"')
    r = client.patch(path, json={"city": "Lyon 3e"}, headers={**browser, "If-Match": encoded})
    assert r.status_code == 200, r.get_json()
    r = client.patch(path, json={"city": "Bron"}, headers={**browser, "If-Match": encoded})
    assert r.status_code == 412
    assert client.get(path, headers=team.rep_a.headers).get_json()["city"] == "Lyon 3e"


def test_patch_and_delete_need_if_match(client: FlaskClient, team: TeamFixture) -> None:
    """Without If-Match a write is refused with 428, and nothing changes."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    path = f"{ACCOUNTS}/{acc['id']}"
    r = client.patch(path, json={"city": "Paris"}, headers=team.rep_a.headers)
    assert r.status_code == 428
    assert r.mimetype == "application/problem+json"
    assert client.delete(path, headers=team.manager.headers).status_code == 428
    assert client.get(path, headers=team.rep_a.headers).get_json()["city"] == "Lyon"


def test_stale_if_match_is_412(client: FlaskClient, team: TeamFixture) -> None:
    """A write based on a version someone else has since changed is refused with 412."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    path = f"{ACCOUNTS}/{acc['id']}"
    stale = client.get(path, headers=team.rep_a.headers).headers["ETag"]
    assert patch(client, team.manager, path, {"city": "Bron"}).status_code == 200
    r = client.patch(
        path, json={"city": "Paris"}, headers={**team.rep_a.headers, "If-Match": stale}
    )
    assert r.status_code == 412
    assert (
        client.delete(path, headers={**team.manager.headers, "If-Match": stale}).status_code == 412
    )
    assert client.get(path, headers=team.rep_a.headers).get_json()["city"] == "Bron"


def test_version_moves_by_one_per_effective_change(client: FlaskClient, team: TeamFixture) -> None:
    """Each effective change adds exactly one to the version; a no-op PATCH adds nothing."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body(tags=["bio"], annual_revenue="1000"))
    path = f"{ACCOUNTS}/{acc['id']}"
    assert acc["version"] == 1
    r = patch(client, team.rep_a, path, {"status": "client", "city": "Bron"})
    assert r.get_json()["version"] == 2
    etag = r.headers["ETag"]
    same = {
        "status": "client",
        "city": "Bron",
        "tags": ["bio"],
        "annual_revenue": "1000.00",
        "siret": acc["siret"],
        "website": None,
    }
    r = client.patch(path, json=same, headers={**team.rep_a.headers, "If-Match": etag})
    assert r.status_code == 200
    assert r.get_json()["version"] == 2
    assert r.headers["ETag"] == etag
    assert (
        r.get_json()["updated_at"]
        == client.get(path, headers=team.rep_a.headers).get_json()["updated_at"]
    )
    assert patch(client, team.rep_a, path, {"tags": ["bio", "vip"]}).get_json()["version"] == 3


def test_delete_is_soft(app: Flask, client: FlaskClient, team: TeamFixture) -> None:
    """DELETE keeps the row with ``deleted_at`` set; the API then answers 404."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    path = f"{ACCOUNTS}/{acc['id']}"
    etag = client.get(path, headers=team.rep_a.headers).headers["ETag"]
    assert (
        client.delete(path, headers={**team.rep_a.headers, "If-Match": etag}).status_code == 403
    )  # reps do not delete customers
    assert (
        client.delete(path, headers={**team.manager.headers, "If-Match": etag}).status_code == 204
    )
    assert client.get(path, headers=team.manager.headers).status_code == 404
    assert (
        client.patch(path, json={}, headers={**team.manager.headers, "If-Match": etag}).status_code
        == 404
    )
    with app.app_context():
        row = db.session.get(Account, uuid.UUID(acc["id"]))
        assert row is not None
        assert row.deleted_at is not None
        assert row.version == 2


# --- KPIs ------------------------------------------------------------------------------------


def _kpis(client: FlaskClient, who: Person, account_id: str, **query: Any) -> Any:
    """GET the account's KPIs with ``query``."""
    return client.get(f"{ACCOUNTS}/{account_id}/kpis", query_string=query, headers=who.headers)


def test_kpis_of_a_small_hand_built_account(client: FlaskClient, team: TeamFixture) -> None:
    """Revenue, margin and order count cover the period (both ends included); unpaid counts
    every unpaid order, overdue only those past due; visits, follow-ups and pipeline are
    computed from live records of this account only."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body(visit_frequency_days=30))
    other = create(client, team.rep_a, ACCOUNTS, account_body(name="Autre", siret=SIRET_B))
    aid, t = acc["id"], today()
    m = team.manager

    def order(
        day: date, amount: str, margin: str, *, paid: bool, due: date | None, account: str = aid
    ) -> dict[str, Any]:
        """Create an order as the manager."""
        return create(
            client,
            m,
            "/api/orders",
            {
                "account_id": account,
                "order_date": day.isoformat(),
                "amount_excl_vat": amount,
                "margin": margin,
                "paid": paid,
                "due_date": due.isoformat() if due else None,
            },
        )

    order(date(2024, 1, 1), "1000.00", "250.00", paid=True, due=date(2024, 2, 1))
    order(date(2024, 12, 31), "500.50", "100.10", paid=False, due=date(2025, 1, 31))
    order(date(2023, 12, 31), "300.00", "60.00", paid=False, due=date(2024, 1, 30))
    order(t, "200.00", "50.00", paid=False, due=t + timedelta(days=30))
    order(t, "70.00", "7.00", paid=False, due=None)
    order(
        date(2024, 6, 1), "999.00", "99.00", paid=False, due=date(2024, 6, 2), account=other["id"]
    )
    gone = order(date(2024, 6, 1), "5000.00", "1.00", paid=False, due=date(2024, 7, 1))
    gone_path = f"/api/orders/{gone['id']}"
    etag = client.get(gone_path, headers=m.headers).headers["ETag"]
    assert client.delete(gone_path, headers={**m.headers, "If-Match": etag}).status_code == 204

    def interaction(kind: str, status: str, days_ago: float, account: str = aid) -> None:
        """Create an interaction that starts ``days_ago`` days ago (negative: ahead)."""
        starts = now() - timedelta(days=days_ago)
        create(
            client,
            team.rep_a,
            "/api/interactions",
            {
                "account_id": account,
                "kind": kind,
                "status": status,
                "starts_at": starts.isoformat(),
            },
        )

    interaction("visit", "done", 40)
    interaction("call", "done", 5)  # a call is not a visit
    interaction("visit", "planned", 2)  # planned in the past: did not happen as far as we know
    interaction("store_visit", "cancelled", 3)
    interaction("visit", "planned", -3)
    interaction("visit", "planned", -10)
    interaction("visit", "done", 1, account=other["id"])

    for due, done in (
        (t - timedelta(days=1), False),
        (t + timedelta(days=1), False),
        (t - timedelta(days=7), True),
    ):
        create(
            client,
            team.rep_a,
            "/api/followups",
            {"account_id": aid, "due_date": due.isoformat(), "reason": "Rappeler", "done": done},
        )

    for stage, amount, probability in (
        ("qualification", "1000.00", 20),
        ("proposal", "2000.00", 50),
        ("negotiation", "500.00", None),
        ("won", "9999.00", 100),
        ("lost", "8888.00", 0),
    ):
        create(
            client,
            team.rep_a,
            "/api/opportunities",
            {
                "account_id": aid,
                "title": stage,
                "stage": stage,
                "amount": amount,
                "probability": probability,
            },
        )

    r = _kpis(client, team.rep_a, aid, **{"from": "2024-01-01", "to": "2024-12-31"})
    assert r.status_code == 200, r.get_json()
    k = r.get_json()
    assert (k["from"], k["to"]) == ("2024-01-01", "2024-12-31")
    assert (k["revenue"], k["margin"], k["order_count"]) == ("1500.50", "350.10", 2)
    assert k["margin_rate"] == pytest.approx(350.10 / 1500.50)
    assert k["average_order"] == "750.25"
    assert (k["unpaid"], k["overdue"]) == ("1070.50", "800.50")
    assert k["days_since_last_visit"] == 40
    assert datetime.fromisoformat(k["last_visit_at"]) < now() - timedelta(days=39)
    assert k["visit_overdue"] is True
    assert (
        now() + timedelta(days=2)
        < datetime.fromisoformat(k["next_planned_at"])
        < now() + timedelta(days=4)
    )
    assert (k["open_followups"], k["overdue_followups"]) == (2, 1)
    assert k["open_opportunities"] == 3
    assert (k["pipeline_amount"], k["weighted_pipeline"]) == ("3500.00", "1200.00")

    assert (
        patch(client, team.rep_a, f"{ACCOUNTS}/{aid}", {"visit_frequency_days": 60}).status_code
        == 200
    )
    assert _kpis(client, team.rep_a, aid).get_json()["visit_overdue"] is False


def test_kpis_of_an_empty_account(client: FlaskClient, team: TeamFixture) -> None:
    """With no records the figures are zero, rates and visits empty, and the default period is
    the last twelve months."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body(visit_frequency_days=30))
    k = _kpis(client, team.rep_a, acc["id"]).get_json()
    assert k["to"] == today().isoformat()
    assert k["from"] == (today() - timedelta(days=365)).isoformat()
    assert (k["revenue"], k["order_count"], k["margin_rate"], k["average_order"]) == (
        "0.00",
        0,
        None,
        None,
    )
    assert (k["unpaid"], k["overdue"], k["pipeline_amount"]) == ("0.00", "0.00", "0.00")
    assert (k["last_visit_at"], k["days_since_last_visit"]) == (None, None)
    assert k["visit_overdue"] is True  # a visit is due and none was ever made
    assert (k["open_followups"], k["overdue_followups"], k["open_opportunities"]) == (0, 0, 0)


def test_kpi_period_must_not_be_reversed(client: FlaskClient, team: TeamFixture) -> None:
    """``from`` after ``to`` is a 422, not an empty period."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    r = _kpis(client, team.rep_a, acc["id"], **{"from": "2024-12-31", "to": "2024-01-01"})
    assert r.status_code == 422
    assert error_fields(r) == {"from"}
    same_day = _kpis(client, team.rep_a, acc["id"], **{"from": "2024-05-01", "to": "2024-05-01"})
    assert same_day.status_code == 200


# --- Timeline --------------------------------------------------------------------------------


@pytest.fixture
def busy_account(client: FlaskClient, team: TeamFixture) -> dict[str, Any]:
    """An account with two events of every kind; its two orders share a date (a tie)."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body(status="prospect_cold"))
    aid = acc["id"]
    for i in range(2):
        create(
            client,
            team.rep_a,
            "/api/interactions",
            {
                "account_id": aid,
                "kind": "visit",
                "status": "done",
                "starts_at": (now() - timedelta(days=3 + i)).isoformat(),
            },
        )
        create(client, team.rep_a, "/api/notes", {"account_id": aid, "body": f"Note {i}"})
        create(
            client,
            team.rep_a,
            "/api/followups",
            {
                "account_id": aid,
                "due_date": (today() + timedelta(days=i)).isoformat(),
                "reason": f"Relance {i}",
            },
        )
        create(
            client,
            team.manager,
            "/api/orders",
            {
                "account_id": aid,
                "order_date": (today() - timedelta(days=10)).isoformat(),
                "amount_excl_vat": "10.00",
            },
        )
        create(client, team.rep_a, "/api/opportunities", {"account_id": aid, "title": f"O{i}"})
    assert patch(client, team.rep_a, f"{ACCOUNTS}/{aid}", {"status": "client"}).status_code == 200
    return acc


def _timeline(client: FlaskClient, who: Person, account_id: str, **query: Any) -> Any:
    """GET the account's timeline with ``query``."""
    return client.get(f"{ACCOUNTS}/{account_id}/timeline", query_string=query, headers=who.headers)


def test_timeline_merges_every_kind_newest_first(
    client: FlaskClient, team: TeamFixture, busy_account: dict[str, Any]
) -> None:
    """The timeline holds every kind of event of the account, sorted newest first."""
    r = _timeline(client, team.rep_a, busy_account["id"])
    assert r.status_code == 200
    items = r.get_json()
    assert len(items) == 12
    assert {i["type"] for i in items} == {
        "interaction",
        "note",
        "followup",
        "order",
        "opportunity",
        "status_change",
    }
    times = [datetime.fromisoformat(i["at"]) for i in items]
    assert times == sorted(times, reverse=True)
    assert items[0]["type"] == "status_change"
    assert items[-1]["type"] == "order"


def test_timeline_pages_give_every_item_once(
    client: FlaskClient, team: TeamFixture, busy_account: dict[str, Any]
) -> None:
    """Walking the pages yields each event exactly once, in the order of the full list, even
    when a page ends between two events of the same time."""
    full = [i["id"] for i in _timeline(client, team.rep_a, busy_account["id"]).get_json()]
    assert len(set(full)) == 12
    for size in (5, 11):
        walked: list[str] = []
        for page in range(1, 12 // size + 2):
            r = _timeline(client, team.rep_a, busy_account["id"], page=page, page_size=size)
            assert json.loads(r.headers["X-Pagination"])["total"] == 12
            walked += [i["id"] for i in r.get_json()]
        assert walked == full


def test_timeline_types_filter(
    client: FlaskClient, team: TeamFixture, busy_account: dict[str, Any]
) -> None:
    """``types`` keeps only the named kinds; an unknown kind is a 422."""
    r = _timeline(client, team.rep_a, busy_account["id"], types=["note", "order"])
    items = r.get_json()
    assert sorted(i["type"] for i in items) == ["note", "note", "order", "order"]
    assert json.loads(r.headers["X-Pagination"])["total"] == 4
    r = _timeline(client, team.rep_a, busy_account["id"], types=["note", "meeting"])
    assert r.status_code == 422
    assert error_fields(r) == {"types.1"}


def test_timeline_hides_deleted_records(
    client: FlaskClient, team: TeamFixture, busy_account: dict[str, Any]
) -> None:
    """A deleted note leaves the timeline."""
    notes = _timeline(client, team.rep_a, busy_account["id"], types="note").get_json()
    path = f"/api/notes/{notes[0]['id']}"
    etag = client.get(path, headers=team.rep_a.headers).headers["ETag"]
    assert client.delete(path, headers={**team.rep_a.headers, "If-Match": etag}).status_code == 204
    left = _timeline(client, team.rep_a, busy_account["id"], types="note").get_json()
    assert [i["id"] for i in left] == [notes[1]["id"]]


def test_patch_with_a_non_json_body_is_415_and_changes_nothing(client, team):
    """A text/plain or form PATCH is refused with 415, not read as 'no fields' and answered 200."""
    acc = create(client, team.rep_a, "/api/accounts", account_body())
    path = f"/api/accounts/{acc['id']}"
    etag = client.get(path, headers=team.rep_a.headers).headers["ETag"]
    for content_type, data in (
        ("text/plain", '{"name": "Autre nom"}'),
        ("application/x-www-form-urlencoded", "name=Autre+nom"),
    ):
        r = client.patch(
            path,
            data=data,
            headers={**team.rep_a.headers, "If-Match": etag, "Content-Type": content_type},
        )
        assert r.status_code == 415
        assert r.mimetype == "application/problem+json"
    after = client.get(path, headers=team.rep_a.headers).get_json()
    assert after["name"] == "Boulangerie Martin"
    assert after["version"] == 1
