"""Tour plans in the product: preview from the customer base, accept, re-plan, export, CLI.

The accounts of rep a are placed around Lyon; one has a planned interaction at 10:00 on
the planned Monday, which the plan must keep as an appointment.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server import records
from server.accounts.models import Account
from server.enums import InteractionKind, InteractionStatus
from server.extensions import db
from server.interactions.models import Interaction
from server.plans.models import Plan

from .conftest import Person, TeamFixture

MONDAY = date(2030, 3, 4)
#: 10:00 in Paris on that Monday (UTC+1 in March).
TEN_AM = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
LYON = {"lat": 45.7640, "lon": 4.8357}
PROFILE = {
    "start": LYON,
    "day_start": "08:00",
    "day_end": "18:00",
    "lunch_start": "12:00",
    "lunch_end": "14:00",
    "lunch_minutes": 60,
    "max_driving_minutes": 300,
    "max_visits": 10,
    "visit_minutes": 30,
}
SHOP_HOURS = {
    day: [["08:30", "12:00"], ["14:00", "18:30"]] for day in ("mon", "tue", "wed", "thu", "fri")
}


@pytest.fixture
def app(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """Short searches: these tests check the product, not the planner's quality."""
    monkeypatch.setitem(app.config, "PLAN_TIME_LIMIT", 0.5)
    return app


def make_accounts(app: Flask, owner: Person, n: int = 14) -> list[str]:
    """``n`` accounts of ``owner`` around Lyon, and a planned 10:00 meeting at the first."""
    actor = records.Actor(user_id=owner.id)
    ids = []
    with app.app_context():
        for k in range(n):
            account = records.create(
                Account,
                {
                    "name": "<b>Chez Léon</b>" if k == 0 else f"Client {k}",
                    "owner_id": owner.id,
                    "status": ("prospect_hot", "client", "suspect")[k % 3],
                    "latitude": LYON["lat"] + 0.02 * ((k % 5) - 2),
                    "longitude": LYON["lon"] + 0.025 * ((k // 5) - 1),
                    "postal_code": "69003",
                    "city": "Lyon",
                    "visit_frequency_days": 30,
                    "opening_hours": SHOP_HOURS if k % 2 else None,
                },
                actor=actor,
            )
            ids.append(str(account.id))
        records.create(
            Interaction,
            {
                "account_id": uuid.UUID(ids[0]),
                "user_id": owner.id,
                "kind": InteractionKind.APPOINTMENT,
                "status": InteractionStatus.PLANNED,
                "starts_at": TEN_AM,
                "ends_at": TEN_AM.replace(hour=10),
            },
            actor=actor,
        )
        db.session.commit()
    return ids


def set_profile(client: FlaskClient, who: Person, rep: Person) -> None:
    """Give ``rep`` the test profile, as ``who``."""
    r = client.put(f"/api/users/{rep.id}/planning-profile", json=PROFILE, headers=who.headers)
    assert r.status_code == 200, r.get_json()


def preview(client: FlaskClient, who: Person, **body: Any) -> Any:
    """POST a plan request; return the response."""
    return client.post(
        "/api/plans", json={"date_from": MONDAY.isoformat(), **body}, headers=who.headers
    )


def test_preview_keeps_the_appointment_and_accepting_creates_the_visits(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """A preview fills the day around the appointment; accepting it creates planned visits
    the rep then sees like any interaction; a plan is accepted once."""
    make_accounts(app, team.rep_a)
    set_profile(client, team.rep_a, team.rep_a)
    r = preview(client, team.rep_a)
    assert r.status_code == 201, r.get_json()
    plan = r.get_json()
    assert plan["status"] == "preview"
    (day,) = plan["days"]
    kinds = [s["kind"] for s in day["stops"]]
    assert kinds.count("appointment") == 1
    meeting = next(s for s in day["stops"] if s["kind"] == "appointment")
    assert datetime.fromisoformat(meeting["start"]) == TEN_AM
    visits = [s for s in day["stops"] if s["kind"] == "visit"]
    assert 3 <= len(visits) <= 9
    assert [s["position"] for s in day["stops"]] == list(range(1, len(day["stops"]) + 1))
    assert day["lunch_start"] is not None
    assert len(visits) + len(plan["dropped"]) == 13
    assert all(d["reason"] for d in plan["dropped"])
    assert client.get(f"/api/plans/{plan['id']}", headers=team.rep_a.headers).status_code == 200

    accepted = client.post(f"/api/plans/{plan['id']}/accept", headers=team.rep_a.headers)
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["status"] == "accepted"
    with app.app_context():
        planned = db.session.scalars(
            select(Interaction).where(
                Interaction.kind == InteractionKind.VISIT,
                Interaction.status == InteractionStatus.PLANNED,
                Interaction.user_id == team.rep_a.id,
            )
        ).all()
        assert {str(i.account_id) for i in planned} == {s["account_id"] for s in visits}
    listed = client.get("/api/interactions?page_size=100", headers=team.rep_a.headers).get_json()
    assert len(listed) == len(visits) + 1
    again = client.post(f"/api/plans/{plan['id']}/accept", headers=team.rep_a.headers)
    assert again.status_code == 409


def test_plans_stay_in_scope(app: Flask, client: FlaskClient, team: TeamFixture) -> None:
    """Another rep or another team's manager gets 404; the rep's manager may plan for them."""
    make_accounts(app, team.rep_a, n=4)
    set_profile(client, team.manager, team.rep_a)
    by_manager = preview(client, team.manager, rep_id=str(team.rep_a.id))
    assert by_manager.status_code == 201, by_manager.get_json()
    plan_id = by_manager.get_json()["id"]
    for outsider in (team.rep_b, team.manager_south, team.rep_c):
        assert client.get(f"/api/plans/{plan_id}", headers=outsider.headers).status_code == 404
        assert preview(client, outsider, rep_id=str(team.rep_a.id)).status_code == 404
        r = client.post(f"/api/plans/{plan_id}/accept", headers=outsider.headers)
        assert r.status_code == 404
    for who in (team.rep_a, team.admin):
        assert client.get(f"/api/plans/{plan_id}", headers=who.headers).status_code == 200
    r = client.put(
        f"/api/users/{team.rep_a.id}/planning-profile", json=PROFILE, headers=team.rep_c.headers
    )
    assert r.status_code == 404


def test_planning_needs_a_start_and_a_valid_profile(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """Without a profile the start position is required; profiles are checked."""
    make_accounts(app, team.rep_a, n=2)
    r = preview(client, team.rep_a)
    assert r.status_code == 422
    assert {e["field"] for e in r.get_json()["errors"]} == {"start"}
    assert preview(client, team.rep_a, start=LYON).status_code == 201
    profile = client.get(
        f"/api/users/{team.rep_a.id}/planning-profile", headers=team.rep_a.headers
    ).get_json()
    assert profile["start"] is None
    assert profile["day_start"] == "08:00"
    bad = {**PROFILE, "day_start": "19:00"}
    r = client.put(
        f"/api/users/{team.rep_a.id}/planning-profile", json=bad, headers=team.rep_a.headers
    )
    assert r.status_code == 422
    bad = {**PROFILE, "lunch_minutes": 180}
    r = client.put(
        f"/api/users/{team.rep_a.id}/planning-profile", json=bad, headers=team.rep_a.headers
    )
    assert r.status_code == 422
    sunday = preview(client, team.rep_a, start=LYON, date_from="2030-03-10")
    assert sunday.status_code == 422


def test_replan_from_the_road(app: Flask, client: FlaskClient, team: TeamFixture) -> None:
    """From the rep's position at 14:30 with two visits done: a new preview of the rest of
    the day, after 14:30, without the done visits, linked to the first plan."""
    make_accounts(app, team.rep_a)
    set_profile(client, team.rep_a, team.rep_a)
    plan = preview(client, team.rep_a).get_json()
    visits = [s for s in plan["days"][0]["stops"] if s["kind"] == "visit"]
    done = [visits[0]["account_id"], visits[1]["account_id"]]
    at = "2030-03-04T13:30:00Z"  # 14:30 in Paris
    r = client.post(
        f"/api/plans/{plan['id']}/replan",
        json={"lat": visits[1]["lat"], "lon": visits[1]["lon"], "at": at, "done": done},
        headers=team.rep_a.headers,
    )
    assert r.status_code == 201, r.get_json()
    rest = r.get_json()
    assert rest["parent_id"] == plan["id"]
    stops = rest["days"][0]["stops"]
    assert stops
    assert all(datetime.fromisoformat(s["start"]) >= datetime.fromisoformat(at) for s in stops)
    assert not {s["account_id"] for s in stops} & set(done)
    late = client.post(
        f"/api/plans/{plan['id']}/replan",
        json={"lat": 45.7, "lon": 4.8, "at": "2030-03-05T13:30:00Z"},
        headers=team.rep_a.headers,
    )
    assert late.status_code == 422


def test_exports_of_a_day(app: Flask, client: FlaskClient, team: TeamFixture) -> None:
    """Google Maps legs of at most 10 places chained end to start, one Waze link per stop,
    an ICS event per stop, and a printable sheet with names escaped."""
    make_accounts(app, team.rep_a)
    set_profile(client, team.rep_a, team.rep_a)
    plan = preview(client, team.rep_a).get_json()
    stops = plan["days"][0]["stops"]
    links = client.get(f"/api/plans/{plan['id']}/links", headers=team.rep_a.headers).get_json()
    places = []
    for url in links["google_maps"]:
        query = parse_qs(urlsplit(url).query)
        leg = [
            query["origin"][0],
            *query.get("waypoints", [""])[0].split("|"),
            query["destination"][0],
        ]
        leg = [p for p in leg if p]
        assert len(leg) <= 10
        if places:
            assert places[-1] == leg[0]
            leg = leg[1:]
        places += leg
    assert len(places) == len(stops) + 2
    assert len(links["waze"]) == len(stops)
    assert all("navigate=yes" in w["url"] for w in links["waze"])

    ics = client.get(f"/api/plans/{plan['id']}/calendar", headers=team.rep_a.headers)
    assert ics.mimetype == "text/calendar"
    text = ics.get_data(as_text=True)
    assert text.count("BEGIN:VEVENT") == len(stops)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))

    sheet = client.get(f"/api/plans/{plan['id']}/sheet", headers=team.rep_a.headers)
    page = sheet.get_data(as_text=True)
    assert sheet.mimetype == "text/html"
    # A document the API renders runs no script at all (server/web.py, API_DOCUMENT_CSP).
    assert "default-src 'none'" in sheet.headers["Content-Security-Policy"]
    assert "script-src" not in sheet.headers["Content-Security-Policy"]
    assert page.count("<tr>") == len(stops) + 1
    assert "<b>Chez" not in page
    assert "&lt;b&gt;Chez Léon&lt;/b&gt;" in page
    other_day = client.get(
        f"/api/plans/{plan['id']}/sheet?day=2030-03-05", headers=team.rep_a.headers
    )
    assert other_day.status_code == 404


def test_flask_plan_command(app: Flask, client: FlaskClient, team: TeamFixture) -> None:
    """``flask plan`` plans one rep in-process, or every rep in worker processes, and says
    which failed (no profile) in its summary."""
    make_accounts(app, team.rep_a, n=5)
    set_profile(client, team.rep_a, team.rep_a)
    runner = app.test_cli_runner()
    one = runner.invoke(
        args=[
            "plan",
            "--rep",
            team.rep_a.email,
            "--date",
            "2030-03-04",
            "--workers",
            "1",
            "--time-limit",
            "0.5",
        ]
    )
    assert one.exit_code == 0, one.output
    assert re.search(r"1 plan\(s\) stored as previews, 0 failed", one.output)
    everyone = runner.invoke(
        args=[
            "plan",
            "--all",
            "--date",
            "2030-03-04",
            "--workers",
            "2",
            "--time-limit",
            "0.5",
            "--accept",
        ]
    )
    assert everyone.exit_code == 0, everyone.output
    assert "FAILED" in everyone.output  # reps b and c have no profile
    assert re.search(r"1 plan\(s\) accepted, 2 failed", everyone.output)
    with app.app_context():
        statuses = sorted(p.status.value for p in db.session.scalars(select(Plan)))
    assert statuses == ["accepted", "preview"]


def test_plan_list_filters_by_rep_day_and_status(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """GET /api/plans: newest first, filtered by rep, by a day the plan covers and by status,
    paginated, each plan carrying the names and cities of its accounts (as text)."""
    ids_a = make_accounts(app, team.rep_a, n=4)
    make_accounts(app, team.rep_b, n=3)
    for rep in (team.rep_a, team.rep_b):
        set_profile(client, team.manager, rep)
    monday_a = preview(client, team.manager, rep_id=str(team.rep_a.id)).get_json()
    week_a = preview(client, team.manager, rep_id=str(team.rep_a.id), days=2).get_json()
    monday_b = preview(client, team.manager, rep_id=str(team.rep_b.id)).get_json()
    tuesday_b = preview(
        client, team.manager, rep_id=str(team.rep_b.id), date_from="2030-03-05"
    ).get_json()
    r = client.post(f"/api/plans/{monday_a['id']}/accept", headers=team.manager.headers)
    assert r.status_code == 200, r.get_json()

    def listed(query: str, who: Person = team.manager) -> list[str]:
        r = client.get(f"/api/plans{query}", headers=who.headers)
        assert r.status_code == 200, r.get_json()
        return [p["id"] for p in r.get_json()]

    newest_first = [tuesday_b["id"], monday_b["id"], week_a["id"], monday_a["id"]]
    assert listed("") == newest_first
    assert listed(f"?rep_id={team.rep_a.id}") == [week_a["id"], monday_a["id"]]
    assert listed("?date=2030-03-05") == [tuesday_b["id"], week_a["id"]]
    assert listed("?date=2030-03-04") == [monday_b["id"], week_a["id"], monday_a["id"]]
    assert listed("?status=accepted") == [monday_a["id"]]
    assert listed("?status=accepted&status=preview&date=2030-03-06") == []
    query = f"?rep_id={team.rep_b.id}&date=2030-03-04&status=preview"
    assert listed(query) == [monday_b["id"]]

    page = client.get("/api/plans?page=2&page_size=3", headers=team.manager.headers)
    assert [p["id"] for p in page.get_json()] == [monday_a["id"]]
    assert '"total": 4' in page.headers["X-Pagination"]

    full = client.get(f"/api/plans?rep_id={team.rep_a.id}", headers=team.manager.headers)
    plan = full.get_json()[1]
    assert plan["status"] == "accepted"
    stops = plan["days"][0]["stops"]
    assert {s["account_id"] for s in stops} <= set(plan["accounts"])
    assert plan["accounts"][ids_a[0]] == {"name": "<b>Chez Léon</b>", "city": "Lyon"}
    one = client.get(f"/api/plans/{monday_a['id']}", headers=team.manager.headers).get_json()
    assert one["accounts"] == plan["accounts"]

    bad = {
        "?status=done": "status.0",
        "?date=tomorrow": "date",
        "?date=1900-01-01": "date",
        "?rep_id=7": "rep_id",
    }
    for query, blamed in bad.items():
        r = client.get(f"/api/plans{query}", headers=team.manager.headers)
        assert r.status_code == 422, query
        assert r.mimetype == "application/problem+json"
        assert [e["field"] for e in r.get_json()["errors"]] == [blamed]


def test_plan_list_stays_in_scope(app: Flask, client: FlaskClient, team: TeamFixture) -> None:
    """A rep lists their own plans, a manager their team's, an admin everyone's; asking for
    someone out of scope lists nothing; an account moved out of scope loses its label."""
    ids_a = make_accounts(app, team.rep_a, n=3)
    make_accounts(app, team.rep_c, n=3)
    set_profile(client, team.manager, team.rep_a)
    set_profile(client, team.manager_south, team.rep_c)
    plan_a = preview(client, team.rep_a).get_json()["id"]
    plan_c = preview(client, team.rep_c).get_json()["id"]

    def listed(who: Person, query: str = "") -> set[str]:
        r = client.get(f"/api/plans{query}", headers=who.headers)
        assert r.status_code == 200, r.get_json()
        return {p["id"] for p in r.get_json()}

    assert listed(team.rep_a) == {plan_a}
    assert listed(team.rep_b) == set()
    assert listed(team.manager) == {plan_a}
    assert listed(team.manager_south) == {plan_c}
    assert listed(team.rep_c) == {plan_c}
    assert listed(team.admin) == {plan_a, plan_c}
    assert listed(team.rep_b, f"?rep_id={team.rep_a.id}") == set()
    assert listed(team.manager, f"?rep_id={team.rep_c.id}") == set()
    text = client.get("/api/plans", headers=team.manager.headers).get_data(as_text=True)
    assert plan_c not in text
    assert str(team.rep_c.id) not in text

    moved = ids_a[0]
    r = client.get(f"/api/accounts/{moved}", headers=team.admin.headers)
    etag = r.headers["ETag"]
    r = client.patch(
        f"/api/accounts/{moved}",
        json={"owner_id": str(team.rep_c.id)},
        headers={**team.admin.headers, "If-Match": etag},
    )
    assert r.status_code == 200, r.get_json()
    (seen_by_manager,) = client.get("/api/plans", headers=team.manager.headers).get_json()
    assert moved not in seen_by_manager["accounts"]
    assert "Chez Léon" not in str(seen_by_manager)
    admin_view = next(
        p
        for p in client.get("/api/plans", headers=team.admin.headers).get_json()
        if p["id"] == plan_a
    )
    assert admin_view["accounts"][moved]["name"] == "<b>Chez Léon</b>"
