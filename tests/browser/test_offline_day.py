"""A rep's whole day offline: the round loads online, then everything happens without network,
survives closing the page, and syncs once, in order, when the network comes back."""

from __future__ import annotations

from typing import Any

from .conftest import LiveServer, expect, log_in, open_app, screenshot, sync_now, wait_synced

HOSTILE = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'
PROSPECT = "Boulangerie du Test Hors-Ligne"


def pending(page: Any) -> int:
    """Changes waiting to sync, as the sync bar counts them."""
    return int(page.get_attribute("[data-test=pending]", "data-count"))


def wait_controlled(page: Any) -> None:
    """Wait until the service worker controls the page (the shell is cached)."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def test_offline_day_syncs_everything_once(live_server: LiveServer, context: Any) -> None:
    """Log in and load the round online; offline: reload from the service worker, check in,
    report, create a prospect with a note and a follow-up; close and reopen: the outbox is
    still there; online again: all of it reaches the server once."""
    page = context.new_page()
    log_in(page, live_server)
    expect(page.locator("[data-test=stop]")).to_have_count(len(live_server.round_ids))
    wait_controlled(page)
    page.wait_for_timeout(300)  # let Leaflet lay out before the picture (not an assertion)
    screenshot(page, "02-today")

    # No network from here on; the app must open from the service worker's cache.
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("html[data-ready='1']")
    expect(page.locator("[data-test=network]")).to_have_text("Hors ligne")
    expect(page.locator("[data-test=stop]")).to_have_count(len(live_server.round_ids))

    # The next stop: check in, write the report, a follow-up, check out.
    first_visit = page.get_attribute("[data-test=stop] >> nth=0", "data-id")
    page.click("[data-test=stop] >> nth=0 >> [data-test=open-visit]")
    page.click("[data-test=check-in]")
    expect(page.locator("[data-test=visit-status]")).to_contain_text("Arrivé à")
    page.fill("textarea[name=summary]", "Présentation de la gamme printemps, bon accueil.")
    page.select_option("select[name=outcome]", "positive")
    page.fill("textarea[name=objections]", "Prix du transport")
    page.fill("textarea[name=motivations]", "Délais de livraison")
    page.fill("input[name=competitor]", "Distri-Alpes")
    page.fill("input[name=competitor_contract_end]", "2031-06-30")
    page.fill("textarea[name=next_step]", "Envoyer le devis")
    page.fill("input[name=followup_date]", "2031-01-15")
    page.fill("input[name=followup_reason]", "Relancer pour le devis")
    screenshot(page, "03-visit-report")
    page.click("[data-test=check-out]")
    page.wait_for_url("**#/today")

    # A new prospect with its first contact, visited now, with a note and a follow-up.
    page.goto(live_server.url + "/#/prospect/new")
    page.fill("input[name=name]", PROSPECT)
    page.select_option("select[name=status]", "prospect_hot")
    page.fill("input[name=postal_code]", "69003")
    page.fill("input[name=city]", "Lyon")
    page.fill("input[name=first_name]", "Léa")
    page.fill("input[name=last_name]", "Fournier")
    page.fill("input[name=mobile]", "06 12 34 56 78")
    screenshot(page, "04-new-prospect")
    page.click("[data-test=create-prospect]")
    page.wait_for_selector("[data-test=visit]")
    page.fill("[data-test=note-form] textarea[name=body]", HOSTILE)
    page.click("[data-test=note-form] button[type=submit]")
    page.click("text=Ouvrir la fiche client")
    page.wait_for_selector("[data-test=customer-sheet]")
    expect(page.locator("[data-test=note-body]").first).to_have_text(HOSTILE)
    assert page.evaluate("window.__xss") is None  # shown as text, never run
    page.fill("[data-test=followup-form] input[name=due_date]", "2031-02-01")
    page.fill("[data-test=followup-form] input[name=reason]", "Apporter les échantillons")
    page.click("[data-test=followup-form] button[type=submit]")
    expect(page.locator("[data-test=followups] li")).to_have_count(1)
    screenshot(page, "05-customer-sheet")
    waiting = pending(page)
    # check-in, report + check-out, report's follow-up, prospect, contact, visit, note, follow-up
    assert waiting == 8

    # Close the page and open the app again, still offline: the outbox is intact.
    page.close()
    page = context.new_page()
    open_app(page, live_server.url)
    expect(page.locator("[data-test=pending]")).to_have_attribute("data-count", str(waiting))
    page.goto(live_server.url + "/#/sync")
    expect(page.locator("[data-test=outbox] li")).to_have_count(waiting)
    screenshot(page, "06-sync-waiting")

    # Network back: the engine syncs on its own ("online" event).
    context.set_offline(False)
    expect(page.locator("[data-test=pending]")).to_have_attribute("data-count", "0")
    wait_synced(page)
    assert page.locator("[data-test=sync-error]").count() == 0

    # Everything is on the server, once.
    rep = live_server.rep_email
    accounts = live_server.get(f"/api/accounts?q={PROSPECT}", rep)
    assert [a["name"] for a in accounts] == [PROSPECT]
    prospect = accounts[0]
    assert prospect["status"] == "prospect_hot"
    contacts = live_server.get(f"/api/contacts?account_id={prospect['id']}", rep)
    assert [(c["first_name"], c["last_name"]) for c in contacts] == [("Léa", "Fournier")]
    visits = live_server.get(f"/api/interactions?account_id={prospect['id']}", rep)
    assert len(visits) == 1
    assert visits[0]["contact_ids"] == [contacts[0]["id"]]
    notes = live_server.get(f"/api/notes?account_id={prospect['id']}", rep)
    assert [n["body"] for n in notes] == [HOSTILE]
    followups = live_server.get(f"/api/followups?account_id={prospect['id']}", rep)
    assert [f["reason"] for f in followups] == ["Apporter les échantillons"]

    report = live_server.get(f"/api/interactions/{first_visit}", rep)
    assert report["status"] == "done"
    assert report["summary"].startswith("Présentation de la gamme printemps")
    assert report["outcome"] == "positive"
    assert report["competitor"] == "Distri-Alpes"
    assert report["competitor_contract_end"] == "2031-06-30"
    assert report["ends_at"] is not None
    # Check-in and check-out carry the time and the phone's GPS fix (the context's position).
    assert report["checked_in_at"] is not None
    assert report["checked_out_at"] >= report["checked_in_at"]
    # The visit started at the check-in, whatever time it was planned for (a visit done
    # before its planned start must not end before it starts).
    assert report["starts_at"] == report["checked_in_at"]
    assert report["ends_at"] == report["checked_out_at"]
    assert (report["checkin_lat"], report["checkin_lon"]) == (45.764, 4.8357)
    assert report["checkin_accuracy_m"] == 20
    assert report["checkout_lat"] == 45.764
    report_followups = live_server.get(f"/api/followups?account_id={report['account_id']}", rep)
    assert [f["reason"] for f in report_followups].count("Relancer pour le devis") == 1

    # Syncing again sends nothing twice.
    sync_now(page)
    assert len(live_server.get(f"/api/accounts?q={PROSPECT}", rep)) == 1
    assert len(live_server.get(f"/api/notes?account_id={prospect['id']}", rep)) == 1
