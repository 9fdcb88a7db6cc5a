"""``flask geocode``: what it picks, resumability, the summary, a person's positions, BAN."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import delete, select

from server import records
from server.accounts.models import Account
from server.enums import GeocodePrecision
from server.extensions import db
from server.geocoding.models import GeocodeCacheEntry

from .conftest import TeamFixture
from .geocoding_service import FakeService, running_service

#: Accounts as an import or a device might leave them: addresses, no positions.
ADDRESSES: list[dict[str, Any]] = [
    {"name": "Boulangerie Martin", "postal_code": "69003", "city": "Lyon"},
    {"name": "Garage du Centre", "postal_code": "42000", "city": "Saint-Étienne"},
    {"name": "Pharmacie des Alpes", "postal_code": "38042", "city": "Grenoble Cedex 9"},
    {"name": "Café de la Gare", "city": "Beaumont"},
    {"name": "Fromagerie Terrenoire", "postal_code": "42100", "city": "Terrenoire"},
    {"name": "Sans adresse"},
]


def add_accounts(app: Flask, owner: uuid.UUID, rows: list[dict[str, Any]]) -> list[uuid.UUID]:
    """Insert accounts through the write layer but not the API (no placement on write)."""
    with app.app_context():
        ids = []
        for row in rows:
            values = {"owner_id": owner, "tags": [], "custom": {}, **row}
            account = records.create(Account, values, actor=records.Actor(user_id=None))
            ids.append(account.id)
        db.session.commit()
        return ids


def accounts(app: Flask) -> dict[str, Account]:
    """Every account by name, detached for reading."""
    with app.app_context():
        rows = db.session.scalars(select(Account)).all()
        db.session.expunge_all()
        return {a.name: a for a in rows}


def run(runner: FlaskCliRunner, *args: str) -> str:
    """Run ``flask geocode`` with ``args``; assert success and return its output."""
    result = runner.invoke(args=["geocode", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_geocodes_what_needs_it_and_summarizes(
    app: Flask, runner: FlaskCliRunner, team: TeamFixture
) -> None:
    """Each account with an address is placed or reported with its reason; the summary counts
    precisions, lists failures and what was skipped."""
    add_accounts(app, team.rep_a.id, ADDRESSES)
    output = run(runner)
    assert "Geocoding" in output
    assert "Geocoded 5 account(s) with laposte-communes." in output
    assert "municipality       4" in output
    assert "not placed         1" in output
    assert "Café de la Gare (Beaumont): laposte-communes: 8 communes are named BEAUMONT" in output
    assert "Up to date: 0; without postal code or city: 1." in output
    placed = accounts(app)
    assert (placed["Boulangerie Martin"].latitude, placed["Boulangerie Martin"].longitude) == (
        45.75336,
        4.86919,
    )
    assert placed["Pharmacie des Alpes"].geocode_precision is GeocodePrecision.MUNICIPALITY
    assert placed["Café de la Gare"].latitude is None
    assert placed["Sans adresse"].geocoded_address_hash is None
    assert "Up to date: 5;" in run(runner)


def test_a_limited_run_resumes_where_it_stopped(
    app: Flask, runner: FlaskCliRunner, team: TeamFixture
) -> None:
    """--limit 2 does two accounts; the next run does the others, not those two again."""
    add_accounts(app, team.rep_a.id, ADDRESSES)
    first = run(runner, "--limit", "2")
    assert "Geocoded 2 account(s)" in first
    done = {name: a.version for name, a in accounts(app).items() if a.latitude is not None}
    assert set(done) == {"Boulangerie Martin", "Garage du Centre"}
    second = run(runner)
    assert "Geocoded 3 account(s)" in second
    assert "Up to date: 2;" in second
    after = accounts(app)
    assert {name: after[name].version for name in done} == done
    assert after["Fromagerie Terrenoire"].latitude == 45.43012


def test_an_address_changed_since_is_geocoded_again(
    app: Flask, runner: FlaskCliRunner, team: TeamFixture
) -> None:
    """Positions are tied to the address they were made for: a new address, a new position."""
    (account_id,) = add_accounts(app, team.rep_a.id, ADDRESSES[:1])
    run(runner)
    with app.app_context():
        account = db.session.get(Account, account_id)
        assert account is not None
        records.update(
            account,
            {"postal_code": "42000", "city": "Saint-Étienne"},
            actor=records.Actor(user_id=None),
        )
        db.session.commit()
    assert "Geocoded 1 account(s)" in run(runner)
    assert accounts(app)["Boulangerie Martin"].latitude == 45.43012


def test_all_keeps_a_persons_position_that_still_fits(
    app: Flask, runner: FlaskCliRunner, team: TeamFixture
) -> None:
    """--all goes over every account, but a manual position inside the commune is kept."""
    add_accounts(
        app,
        team.rep_a.id,
        [
            {
                "name": "Épicerie Bellecour",
                "postal_code": "69002",
                "city": "Lyon",
                "latitude": 45.7578,
                "longitude": 4.832,
                "geocode_precision": GeocodePrecision.MANUAL,
            },
            ADDRESSES[0],
        ],
    )
    output = run(runner, "--all")
    assert "municipality       1" in output
    assert "kept               1" in output
    kept = accounts(app)["Épicerie Bellecour"]
    assert (kept.latitude, kept.longitude, kept.geocode_precision) == (
        45.7578,
        4.832,
        GeocodePrecision.MANUAL,
    )
    assert kept.geocoded_address_hash is not None
    assert "Geocoded 2 account(s)" in run(runner, "--all")
    assert "Geocoded 0 account(s)" in run(runner)


@pytest.fixture
def ban(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeService]:
    """A local BAN service the app is configured for (the CLI picks it with --provider ban)."""
    with running_service() as service:
        for key, value in {
            "GEOCODER_DOMAIN": service.domain,
            "GEOCODER_SCHEME": "http",
            "GEOCODER_TIMEOUT": 1.0,
            "GEOCODER_MIN_DELAY": 0.0,
            "GEOCODER_RETRIES": 0,
        }.items():
            monkeypatch.setitem(app.config, key, value)
        yield service


def test_provider_ban_and_a_retry_after_it_failed(
    app: Flask, runner: FlaskCliRunner, team: TeamFixture, ban: FakeService
) -> None:
    """With BAN down, the run falls back offline and says the next run asks again; it does,
    and gets the house number, which a later run with BAN down again does not lose."""
    add_accounts(
        app,
        team.rep_a.id,
        [{"name": "Boulangerie Martin", "address_line1": "12 rue Garibaldi", **ADDRESSES[0]}],
    )
    ban.status = 503
    down = run(runner, "--provider", "ban")
    assert "with ban:http://127.0.0.1" in down
    assert "1 time(s) the service failed" in down
    assert "HTTP 503 from the service" in down
    assert accounts(app)["Boulangerie Martin"].geocode_source == "laposte-communes"
    ban.status = None
    up = run(runner, "--provider", "ban")
    assert "housenumber        1" in up
    placed = accounts(app)["Boulangerie Martin"]
    assert (placed.geocode_source, placed.geocode_score) == ("ban", 0.9731)
    assert len(ban.requests) == 2
    assert "Geocoded 0 account(s)" in run(runner, "--provider", "ban")
    # Redoing everything with the cache emptied and BAN down keeps the house number.
    with app.app_context():
        db.session.execute(delete(GeocodeCacheEntry))
        db.session.commit()
    ban.status = 503
    assert "1 time(s) the service failed" in run(runner, "--all", "--provider", "ban")
    assert len(ban.requests) == 3
    kept = accounts(app)["Boulangerie Martin"]
    assert (kept.geocode_source, kept.geocode_precision) == ("ban", GeocodePrecision.HOUSENUMBER)
