"""Account positions over the API: placed on write, the address check, geocode now, by hand,
from a check-in; on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.accounts.models import Account
from server.extensions import db
from server.geocoding.models import GeocodeCacheEntry

from .conftest import TeamFixture
from .geocoding_service import FakeService, running_service
from .helpers import account_body, create, error_fields, patch

ACCOUNTS = "/api/accounts"
#: Centres (La Poste) of the communes used here.
LYON_3 = (45.75336, 4.86919)
SAINT_ETIENNE = (45.43012, 4.37914)
BELLECOUR = {"lat": 45.7578, "lon": 4.832}


def position(account: dict[str, Any]) -> tuple[float | None, float | None]:
    """An account's (latitude, longitude)."""
    return account["latitude"], account["longitude"]


def codes(account: dict[str, Any]) -> list[str]:
    """The codes of an account's warnings."""
    return [w["code"] for w in account["warnings"]]


@pytest.fixture
def ban(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeService]:
    """The app geocoding through geopy's BANFrance against a local service."""
    with running_service() as service:
        for key, value in {
            "GEOCODER": "ban",
            "GEOCODER_DOMAIN": service.domain,
            "GEOCODER_SCHEME": "http",
            "GEOCODER_TIMEOUT": 1.0,
            "GEOCODER_MIN_DELAY": 0.0,
            "GEOCODER_RETRIES": 0,
            # The domain (a fresh port) makes a fresh chain: nothing cached from other tests.
        }.items():
            monkeypatch.setitem(app.config, key, value)
        yield service


# --- placed when written -----------------------------------------------------------------------


def test_a_new_account_is_placed_at_its_commune(client: FlaskClient, team: TeamFixture) -> None:
    """Created with 69003 Lyon, the account is at Lyon 3e's centre, with precision and source."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    assert position(acc) == LYON_3
    assert acc["geocode_precision"] == "municipality"
    assert acc["geocode_source"] == "laposte-communes"
    assert acc["geocode_score"] == 1.0
    assert acc["geocoded_at"] is not None
    assert acc["warnings"] == []


def test_changing_the_address_moves_the_position(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """A new address places the account again, and the change is recorded (version bumps)."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    path = f"{ACCOUNTS}/{acc['id']}"
    r = patch(client, team.rep_a, path, {"postal_code": "42000", "city": "Saint-Étienne"})
    assert r.status_code == 200, r.get_json()
    moved = r.get_json()
    assert position(moved) == SAINT_ETIENNE
    assert moved["version"] == acc["version"] + 1
    with app.app_context():
        stored = db.session.get(Account, uuid.UUID(acc["id"]))
        assert stored is not None
        assert stored.geocoded_address_hash is not None


def test_an_unplaceable_new_address_clears_a_geocoded_position(
    client: FlaskClient, team: TeamFixture
) -> None:
    """Moving to an ambiguous city (Beaumont, no postal code) leaves no stale position."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    r = patch(
        client, team.rep_a, f"{ACCOUNTS}/{acc['id']}", {"postal_code": None, "city": "Beaumont"}
    )
    assert r.status_code == 200, r.get_json()
    assert position(r.get_json()) == (None, None)
    assert r.get_json()["geocode_precision"] is None


def test_a_pin_moved_by_the_client_becomes_manual(client: FlaskClient, team: TeamFixture) -> None:
    """PATCHing latitude/longitude of a geocoded account makes its precision manual."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    r = patch(client, team.rep_a, f"{ACCOUNTS}/{acc['id']}", {"latitude": 45.76, "longitude": 4.85})
    assert r.status_code == 200, r.get_json()
    pinned = r.get_json()
    assert (pinned["geocode_precision"], pinned["geocode_source"]) == ("manual", "manual")
    assert pinned["geocode_score"] is None


# --- the address check -------------------------------------------------------------------------


def test_a_mismatch_is_a_warning_with_suggestions_by_default(
    client: FlaskClient, team: TeamFixture
) -> None:
    """69100 is Villeurbanne: the account is created, its warnings say so and suggest fixes."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body(postal_code="69100", city="Lyon"))
    (warning,) = acc["warnings"]
    assert warning["code"] == "postal_code_city_mismatch"
    assert warning["fields"] == ["postal_code", "city"]
    assert "Villeurbanne" in warning["detail"]
    suggested = {(s["postal_code"], s["city"]) for s in warning["suggestions"]}
    assert ("69100", "Villeurbanne") in suggested
    assert ("69003", "Lyon") in suggested
    fetched = client.get(f"{ACCOUNTS}/{acc['id']}", headers=team.rep_a.headers).get_json()
    assert fetched["warnings"] == acc["warnings"]


def test_a_mismatch_is_422_when_the_check_is_an_error(
    app: Flask, client: FlaskClient, team: TeamFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TOURNEE_ADDRESS_CHECK=error: 422 naming postal_code and city, with suggestions; nothing
    is created. A misspelling is still accepted, with its warning."""
    monkeypatch.setitem(app.config, "ADDRESS_CHECK", "error")
    r = client.post(
        ACCOUNTS, json=account_body(postal_code="69100", city="Lyon"), headers=team.rep_a.headers
    )
    assert r.status_code == 422, r.get_json()
    assert error_fields(r) == {"postal_code", "city"}
    body = r.get_json()
    assert body["code"] == "postal_code_city_mismatch"
    assert {s["postal_code"] for s in body["suggestions"]} >= {"69100", "69003"}
    assert "Did you mean" in body["detail"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Account.id))) == 0
    spelt = create(
        client, team.rep_a, ACCOUNTS, account_body(postal_code="69100", city="Villeurbane")
    )
    assert codes(spelt) == ["city_spelling"]


def test_the_error_check_lets_old_accounts_be_updated(
    app: Flask, client: FlaskClient, team: TeamFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a write that changes the address is checked: an account saved before the check was
    switched on can still change status."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body(postal_code="69100", city="Lyon"))
    monkeypatch.setitem(app.config, "ADDRESS_CHECK", "error")
    path = f"{ACCOUNTS}/{acc['id']}"
    assert patch(client, team.rep_a, path, {"status": "client"}).status_code == 200
    r = patch(client, team.rep_a, path, {"city": "Grenoble"})
    assert r.status_code == 422
    assert error_fields(r) == {"postal_code", "city"}


# --- POST /geocode -------------------------------------------------------------------------------


def test_geocode_now_offline(client: FlaskClient, team: TeamFixture) -> None:
    """The endpoint reports the attempts and returns the placed account with its new ETag."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    r = client.post(f"{ACCOUNTS}/{acc['id']}/geocode", headers=team.rep_a.headers)
    assert r.status_code == 200, r.get_json()
    report = r.get_json()
    assert position(report["account"]) == LYON_3
    assert report["definitive"] is True
    assert [(a["source"], a["status"]) for a in report["attempts"]] == [
        ("laposte-communes", "found")
    ]
    etag = client.get(f"{ACCOUNTS}/{acc['id']}", headers=team.rep_a.headers).headers["ETag"]
    assert r.headers["ETag"] == etag


def test_geocode_an_ambiguous_address_is_422_with_candidates(
    client: FlaskClient, team: TeamFixture
) -> None:
    """ "Beaumont" alone: 422 naming postal_code and city, listing the eight communes."""
    acc = create(client, team.rep_a, ACCOUNTS, {"name": "Chez Paul", "city": "Beaumont"})
    r = client.post(f"{ACCOUNTS}/{acc['id']}/geocode", headers=team.rep_a.headers)
    assert r.status_code == 422
    assert error_fields(r) == {"postal_code", "city"}
    body = r.get_json()
    assert len(body["candidates"]) == 8
    assert {c["insee"] for c in body["candidates"]} >= {"63032", "74031"}
    assert "8 communes are named BEAUMONT" in body["detail"]


def test_geocode_without_an_address_is_422(client: FlaskClient, team: TeamFixture) -> None:
    """Nothing to geocode: 422 naming the address fields."""
    acc = create(client, team.rep_a, ACCOUNTS, {"name": "Sans adresse"})
    r = client.post(f"{ACCOUNTS}/{acc['id']}/geocode", headers=team.rep_a.headers)
    assert r.status_code == 422
    assert error_fields(r) == {"postal_code", "city"}


def test_geocode_is_for_accounts_in_scope(client: FlaskClient, team: TeamFixture) -> None:
    """Another rep's account is 404 (as if it did not exist); their manager may."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    url = f"{ACCOUNTS}/{acc['id']}/geocode"
    assert client.post(url, headers=team.rep_b.headers).status_code == 404
    assert client.post(url, headers=team.manager_south.headers).status_code == 404
    assert client.post(url, headers=team.manager.headers).status_code == 200


def test_geocode_with_ban_keeps_house_number_and_caches_the_answer(
    app: Flask, client: FlaskClient, team: TeamFixture, ban: FakeService
) -> None:
    """Through BAN: house-number precision and score; the answer is in geocode_cache, so a
    second call does not ask again."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    assert ban.requests == []  # writes place offline: no network in a write
    url = f"{ACCOUNTS}/{acc['id']}/geocode"
    report = client.post(url, headers=team.rep_a.headers).get_json()
    placed = report["account"]
    assert (placed["geocode_precision"], placed["geocode_source"]) == ("housenumber", "ban")
    assert placed["geocode_score"] == 0.9731
    assert position(placed) == (45.75751, 4.85297)
    again = client.post(url, headers=team.rep_a.headers).get_json()
    assert again["attempts"][0]["cached"] is True
    assert len(ban.requests) == 1
    with app.app_context():
        (entry,) = db.session.scalars(select(GeocodeCacheEntry)).all()
        assert entry.found
        assert entry.precision == "housenumber"
        assert entry.address.startswith("12 RUE GARIBALDI|69003|LYON")


def test_geocode_when_ban_fails_falls_back_and_stays_provisional(
    app: Flask, client: FlaskClient, team: TeamFixture, ban: FakeService
) -> None:
    """BAN answers 500: the commune position, ``definitive`` false, nothing cached, and the
    account is left for ``flask geocode`` to retry."""
    ban.status = 500
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    r = client.post(f"{ACCOUNTS}/{acc['id']}/geocode", headers=team.rep_a.headers)
    assert r.status_code == 200, r.get_json()
    report = r.get_json()
    assert report["definitive"] is False
    assert report["attempts"][0] == {
        "source": "ban",
        "status": "error",
        "detail": "HTTP 500 from the service",
        "cached": False,
    }
    assert position(report["account"]) == LYON_3
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GeocodeCacheEntry)) == 0
        stored = db.session.get(Account, uuid.UUID(acc["id"]))
        assert stored is not None
        assert stored.geocoded_address_hash is None


# --- by hand, from a check-in -----------------------------------------------------------------


def test_a_position_set_by_hand_is_manual_and_survives_a_street_change(
    client: FlaskClient, team: TeamFixture
) -> None:
    """Precision manual; a new street in the same commune keeps it, a move to another town
    replaces it."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    r = client.post(f"{ACCOUNTS}/{acc['id']}/position", json=BELLECOUR, headers=team.rep_a.headers)
    assert r.status_code == 200, r.get_json()
    pinned = r.get_json()
    assert position(pinned) == (45.7578, 4.832)
    assert (pinned["geocode_precision"], pinned["geocode_source"]) == ("manual", "manual")
    assert r.headers["ETag"]
    path = f"{ACCOUNTS}/{acc['id']}"
    kept = patch(client, team.rep_a, path, {"address_line1": "3 cours Lafayette"}).get_json()
    assert position(kept) == (45.7578, 4.832)
    assert kept["geocode_precision"] == "manual"
    moved = patch(client, team.rep_a, path, {"postal_code": "42000", "city": "Saint-Etienne"})
    assert position(moved.get_json()) == SAINT_ETIENNE
    assert moved.get_json()["geocode_precision"] == "municipality"


def test_a_position_far_from_the_commune_is_flagged(client: FlaskClient, team: TeamFixture) -> None:
    """A pin in Grenoble for a Lyon address is accepted, with a warning on the position."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    r = client.post(
        f"{ACCOUNTS}/{acc['id']}/position",
        json={"lat": 45.188, "lon": 5.724},
        headers=team.rep_a.headers,
    )
    assert r.status_code == 200
    assert codes(r.get_json()) == ["position_outside_commune"]


def test_a_plausible_check_in_fix_becomes_the_gps_position(
    client: FlaskClient, team: TeamFixture
) -> None:
    """A fix 1.5 km from Lyon 3e's centre, accurate to 12 m: precision gps."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    fix = {"lat": 45.7575, "lon": 4.8530, "accuracy_m": 12}
    r = client.post(
        f"{ACCOUNTS}/{acc['id']}/position-from-checkin", json=fix, headers=team.rep_a.headers
    )
    assert r.status_code == 200, r.get_json()
    taken = r.get_json()
    assert position(taken) == (45.7575, 4.8530)
    assert (taken["geocode_precision"], taken["geocode_source"]) == ("gps", "checkin")
    assert taken["warnings"] == []


def test_a_fix_far_from_the_commune_is_422_explaining_why(
    client: FlaskClient, team: TeamFixture
) -> None:
    """A fix in Grenoble for a Lyon 3e account: 422 naming lat and lon, with the distance and
    the commune's reach; the position does not change."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    fix = {"lat": 45.188, "lon": 5.724, "accuracy_m": 10}
    url = f"{ACCOUNTS}/{acc['id']}/position-from-checkin"
    r = client.post(url, json=fix, headers=team.rep_a.headers)
    assert r.status_code == 422
    assert error_fields(r) == {"lat", "lon"}
    body = r.get_json()
    assert 90 < body["distance_km"] < 100
    assert body["reach_km"] == 3.0
    assert "Lyon 3e" in body["detail"]
    current = client.get(f"{ACCOUNTS}/{acc['id']}", headers=team.rep_a.headers).get_json()
    assert position(current) == LYON_3


def test_an_inaccurate_fix_is_422(client: FlaskClient, team: TeamFixture) -> None:
    """A fix accurate to 1.2 km is no better than the commune centre: 422 naming accuracy_m."""
    acc = create(client, team.rep_a, ACCOUNTS, account_body())
    fix = {"lat": 45.7575, "lon": 4.8530, "accuracy_m": 1200}
    r = client.post(
        f"{ACCOUNTS}/{acc['id']}/position-from-checkin", json=fix, headers=team.rep_a.headers
    )
    assert r.status_code == 422
    assert error_fields(r) == {"accuracy_m"}


def test_a_fix_settles_an_ambiguous_address(client: FlaskClient, team: TeamFixture) -> None:
    """ "Beaumont" without postal code: a fix at Beaumont (63) fits one of its communes."""
    acc = create(client, team.rep_a, ACCOUNTS, {"name": "Chez Paul", "city": "Beaumont"})
    fix = {"lat": 45.7505, "lon": 3.0870, "accuracy_m": 20}
    r = client.post(
        f"{ACCOUNTS}/{acc['id']}/position-from-checkin", json=fix, headers=team.rep_a.headers
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["geocode_precision"] == "gps"
