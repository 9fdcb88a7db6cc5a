"""The tour board in the browser: tomorrow's plan of each rep of the team, as lists and on a
map; the manager previews a rep's day, re-plans it and accepts it; a rep without a start
place is told why."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete

from server.extensions import db
from server.plans.models import RepProfile

from .backoffice_support import as_user, both_sizes, new_device, user_named
from .conftest import PARIS, LiveServer, expect, log_in

#: Every day a working day, so the test plans "tomorrow" whatever day it runs.
PROFILE = {
    "start": {"lat": 45.7640, "lon": 4.8357},
    "workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "day_start": "08:00",
    "day_end": "18:30",
    "max_visits": 8,
}


def test_manager_previews_replans_and_accepts_a_reps_day(
    live_server: LiveServer, browser: Any
) -> None:
    """Tomorrow is on the board for every rep; "Planifier" gives the rep with a profile a
    preview (stops in order, on the map), "Replanifier" a new preview, "Accepter" turns its
    visits into planned interactions of that rep; the rep without a profile gets the reason."""
    rep = user_named(live_server, live_server.rep_email)
    other = user_named(live_server, live_server.other_rep_email)
    client = live_server.client()
    manager = as_user(live_server, live_server.manager_email)
    answer = client.put(f"/api/users/{rep['id']}/planning-profile", json=PROFILE, headers=manager)
    assert answer.status_code == 200, answer.get_json()
    with live_server.app.app_context():  # the demo gives every rep a profile: not this one
        db.session.execute(delete(RepProfile).where(RepProfile.user_id == uuid.UUID(other["id"])))
        db.session.commit()
    tomorrow = (datetime.now(PARIS) + timedelta(days=1)).date().isoformat()

    problems: list[str] = []
    ctx = new_device(browser, problems)
    try:
        page = ctx.new_page()
        log_in(page, live_server, live_server.manager_email)
        page.click("#nav a[href='#/review']")
        page.click("[data-test=tab-board]")
        expect(page.locator("[data-test=board-day]")).to_have_value(tomorrow)
        card = page.locator(f"[data-test=rep-plan][data-rep='{rep['id']}']")
        expect(card).to_have_attribute("data-status", "none")
        expect(card).to_contain_text("Pas encore de tournée")

        card.locator("[data-test=plan]").click()
        expect(card).to_have_attribute("data-status", "preview")
        stops = card.locator("[data-test=plan-stop]")
        expect(stops.first).to_be_visible()
        count = stops.count()
        assert 1 <= count <= PROFILE["max_visits"]
        expect(page.locator("[data-test=board-map] .map-marker")).to_have_count(count)
        expect(page.locator("[data-test=board-map] .leaflet-control-attribution")).to_contain_text(
            "OpenStreetMap"
        )
        first_preview = live_server.get(f"/api/plans?rep_id={rep['id']}", live_server.manager_email)
        assert [p["status"] for p in first_preview] == ["preview"]

        card.locator("[data-test=replan]").click()
        expect(card.locator("[data-test=accept]")).to_be_enabled()
        plans = live_server.get(f"/api/plans?rep_id={rep['id']}", live_server.manager_email)
        assert len(plans) == 2
        newest = plans[0]
        assert newest["status"] == "preview"
        page.wait_for_timeout(300)  # let Leaflet lay out before the pictures (not an assertion)
        both_sizes(page, "25-board-preview")

        card.locator("[data-test=accept]").click()
        expect(card).to_have_attribute("data-status", "accepted")
        expect(card.locator("[data-test=accept]")).to_have_count(0)
        accepted = live_server.get(
            f"/api/plans?rep_id={rep['id']}&status=accepted", live_server.manager_email
        )
        assert [p["id"] for p in accepted] == [newest["id"]]
        visits = {s["account_id"] for s in accepted[0]["days"][0]["stops"] if s["kind"] == "visit"}
        planned = live_server.get("/api/interactions?page_size=500", live_server.rep_email)
        on_day = {
            i["account_id"]
            for i in planned
            if i["kind"] == "visit" and i["status"] == "planned" and i["starts_at"][:10] == tomorrow
        }
        assert visits <= on_day

        other_card = page.locator(f"[data-test=rep-plan][data-rep='{other['id']}']")
        other_card.locator("[data-test=plan]").click()
        expect(other_card).to_contain_text("pas de point de départ")
        expect(other_card).to_have_attribute("data-status", "none")
        both_sizes(page, "26-board-accepted")
        assert problems == []  # no missing string, no CSP violation
    finally:
        ctx.close()
