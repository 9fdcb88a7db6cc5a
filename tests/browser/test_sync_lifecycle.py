"""The sync engine's hard cases in the browser: the server asks for a full resync (410) or an
app upgrade (426), and a new version of the app takes over; none of them loses the outbox."""

from __future__ import annotations

import json
from typing import Any

import pytest

from server import web

from .conftest import LiveServer, expect, log_in, sync_now, wait_synced


def _problem(status: int, code: str) -> dict[str, Any]:
    """A fulfilled route answering a problem document."""
    return {
        "status": status,
        "content_type": "application/problem+json",
        "body": json.dumps({"status": status, "title": code, "code": code}),
    }


def _write_note(page: Any, live: LiveServer, account_id: str, body: str) -> None:
    """Add a note on the customer sheet."""
    page.goto(f"{live.url}/#/customers/{account_id}")
    page.fill("[data-test=note-form] textarea[name=body]", body)
    page.click("[data-test=note-form] button[type=submit]")


def test_resync_required_pushes_first_then_downloads_again(
    live_server: LiveServer, context: Any
) -> None:
    """A 410 on pull: the outbox is pushed, the replica is downloaded again, nothing is lost."""
    page = context.new_page()
    log_in(page, live_server)
    target = live_server.get("/api/accounts?page_size=1&sort=name", live_server.rep_email)[0]
    calls: list[str] = []
    answered_410 = []

    def pull(route: Any) -> None:
        calls.append("pull")
        if not answered_410:
            answered_410.append(True)
            route.fulfill(**_problem(410, "resync_required"))
        else:
            route.continue_()

    page.route("**/api/sync/pull*", pull)
    page.route("**/api/sync/bootstrap*", lambda r: (calls.append("bootstrap"), r.continue_()))
    page.route("**/api/sync/push", lambda r: (calls.append("push"), r.continue_()))
    _write_note(page, live_server, target["id"], "Écrite juste avant le resync")
    # The note is in the local store (the sheet shows it) before any sync is awaited: on a
    # loaded machine the pending count could still read 0 from before the note.
    expect(page.locator("[data-test=note-body]", has_text="juste avant le resync")).to_have_count(1)
    sync_now(page)
    expect(page.locator("[data-test=pending]")).to_have_attribute("data-count", "0")
    assert calls[0] == "push"
    assert calls.index("bootstrap") > calls.index("pull")
    notes = live_server.get(f"/api/notes?account_id={target['id']}", live_server.rep_email)
    assert [n["body"] for n in notes].count("Écrite juste avant le resync") == 1
    expect(page.locator("[data-test=note-body]", has_text="juste avant le resync")).to_have_count(1)
    page.goto(f"{live_server.url}/#/today")
    expect(page.locator("[data-test=stop]")).to_have_count(len(live_server.round_ids))


def test_upgrade_required_keeps_the_outbox(live_server: LiveServer, context: Any) -> None:
    """A 426 stops syncing with a plain message; the change stays queued, across a reload,
    and goes once the server accepts the app again."""
    page = context.new_page()
    log_in(page, live_server)
    target = live_server.get("/api/accounts?page_size=1&sort=name", live_server.rep_email)[0]
    page.route("**/api/sync/push", lambda r: r.fulfill(**_problem(426, "upgrade_required")))
    _write_note(page, live_server, target["id"], "Gardée malgré la version")
    page.click("[data-test=sync-now]")
    expect(page.locator("[data-test=sync-error]")).to_contain_text("trop ancienne")
    expect(page.locator("[data-test=pending]")).to_have_attribute("data-count", "1")
    page.reload()
    page.wait_for_selector("html[data-ready='1']")
    expect(page.locator("[data-test=pending]")).to_have_attribute("data-count", "1")
    page.unroute("**/api/sync/push")
    page.reload()
    page.wait_for_selector("html[data-ready='1']")
    expect(page.locator("[data-test=pending]")).to_have_attribute("data-count", "0")
    notes = live_server.get(f"/api/notes?account_id={target['id']}", live_server.rep_email)
    assert [n["body"] for n in notes].count("Gardée malgré la version") == 1


def test_new_version_waits_and_takes_over_without_losing_the_outbox(
    live_server: LiveServer, context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new service worker installs and waits; the user accepts; the page reloads under
    it with the unsent change still queued, which then syncs."""
    page = context.new_page()
    log_in(page, live_server)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    target = live_server.get("/api/accounts?page_size=1&sort=name", live_server.rep_email)[0]
    page.route("**/api/sync/push", lambda r: r.abort())  # the change cannot leave yet
    _write_note(page, live_server, target["id"], "Avant la mise à jour")
    expect(page.locator("[data-test=pending]")).to_have_attribute("data-count", "1")

    version, assets = web._manifest()
    monkeypatch.setattr(web, "_manifest", lambda: ("next-" + version, assets))
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    banner = page.locator("#banner")
    expect(banner).to_contain_text("nouvelle version")
    page.click("#banner button")
    page.wait_for_function(
        """async (v) => {
            const r = await navigator.serviceWorker.getRegistration();
            return r && r.active && !r.waiting && navigator.serviceWorker.controller
                && (await caches.keys()).includes('tournee-shell-' + v);
        }""",
        arg="next-" + version,
    )
    page.wait_for_selector("html[data-ready='1']")
    expect(page.locator("[data-test=pending]")).to_have_attribute("data-count", "1")
    page.unroute("**/api/sync/push")
    page.click("[data-test=sync-now]")
    expect(page.locator("[data-test=pending]")).to_have_attribute("data-count", "0")
    wait_synced(page)
    notes = live_server.get(f"/api/notes?account_id={target['id']}", live_server.rep_email)
    assert [n["body"] for n in notes].count("Avant la mise à jour") == 1


def test_revoked_session_keeps_the_outbox_until_the_rep_logs_in_again(
    live_server: LiveServer, context: Any
) -> None:
    """The device's token stops working (here: logged out from elsewhere): the change stays
    queued, the bar offers to log in again, and after the login it goes, once."""
    page = context.new_page()
    log_in(page, live_server)
    target = live_server.get("/api/accounts?page_size=1&sort=name", live_server.rep_email)[0]
    token = page.evaluate("() => import('/app/session.js').then((m) => m.session.token)")
    answer = live_server.client().post(
        "/api/auth/logout", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 204
    _write_note(page, live_server, target["id"], "Écrite avec un jeton périmé")
    expect(page.locator("[data-test=relogin]")).to_be_visible()
    expect(page.locator("[data-test=pending]")).to_have_attribute("data-count", "1")
    page.click("[data-test=relogin]")
    page.fill("input[name=password]", live_server.password)
    page.click("button[type=submit]")
    expect(page.locator("[data-test=pending]")).to_have_attribute("data-count", "0")
    notes = live_server.get(f"/api/notes?account_id={target['id']}", live_server.rep_email)
    assert [n["body"] for n in notes].count("Écrite avec un jeton périmé") == 1
