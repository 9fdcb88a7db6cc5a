"""The customer base in the browser: search and pages over the team's accounts, editing with
If-Match (a change made meanwhile by someone else is a 412 the manager is told about),
field errors next to their field, and creating an account (its name shown as text)."""

from __future__ import annotations

import json
from typing import Any

from .backoffice_support import as_user, both_sizes, new_device
from .conftest import LiveServer, expect, log_in

HOSTILE = 'Épicerie <img src=x onerror="window.__xss = 1">'


def test_manager_searches_edits_with_if_match_and_creates(
    live_server: LiveServer, browser: Any
) -> None:
    """The list counts the team's accounts and pages them; a search narrows it; an edit saves
    with the ETag; a concurrent change makes the save a 412 with a reload; a bad e-mail is
    blamed on its field; a new account is created and its markup stays text."""
    client = live_server.client()
    manager = as_user(live_server, live_server.manager_email)
    pagination = client.get("/api/accounts?page_size=1", headers=manager).headers["X-Pagination"]
    total = json.loads(pagination)["total"]
    problems: list[str] = []
    ctx = new_device(browser, problems)
    try:
        page = ctx.new_page()
        log_in(page, live_server, live_server.manager_email)
        page.click("#nav a[href='#/review']")
        page.click("[data-test=tab-base]")
        expect(page.locator("[data-test=base-count]")).to_have_text(f"{total} clients")
        expect(page.locator("[data-test=account-row]")).to_have_count(min(total, 25))
        both_sizes(page, "27-base-list")
        if total > 25:
            page.click("[data-test=next-page]")
            expect(page.locator("[data-test=account-row]")).to_have_count(min(total - 25, 25))

        target = client.get("/api/accounts?page_size=1&sort=-name", headers=manager).get_json()[0]
        word = target["name"].split()[-1]
        found = client.get(
            "/api/accounts", query_string={"q": word, "sort": "name"}, headers=manager
        ).get_json()
        assert target["id"] in {a["id"] for a in found}
        page.fill("input[name=q]", word)
        expect(page.locator("[data-test=account-name]")).to_have_text([a["name"] for a in found])
        page.click(f"[data-test=account-row][data-id='{target['id']}']")

        version = target["version"]
        expect(page.locator("[data-test=version]")).to_contain_text(f"version {version}")
        page.fill("input[name=territory]", "Monts du Lyonnais")
        page.click("[data-test=save]")
        expect(page.locator("[data-test=saved]")).to_have_text("Enregistré.")
        expect(page.locator("[data-test=version]")).to_contain_text(f"version {version + 1}")
        path = f"/api/accounts/{target['id']}"
        assert client.get(path, headers=manager).get_json()["territory"] == "Monts du Lyonnais"

        # Someone else changes the account while the form is open.
        etag = client.get(path, headers=manager).headers["ETag"]
        meanwhile = client.patch(
            path, json={"territory": "Beaujolais"}, headers={**manager, "If-Match": etag}
        )
        assert meanwhile.status_code == 200, meanwhile.get_json()
        page.fill("input[name=territory]", "Pilat")
        page.click("[data-test=save]")
        expect(page.locator("[data-test=stale]")).to_contain_text("Quelqu'un d'autre")
        assert client.get(path, headers=manager).get_json()["territory"] == "Beaujolais"
        both_sizes(page, "28-base-edit-stale")
        page.click("[data-test=reload]")
        expect(page.locator("input[name=territory]")).to_have_value("Beaujolais")

        page.fill("input[name=email]", "pas-une-adresse")
        page.click("[data-test=save]")
        expect(page.locator("[data-test=error-email]")).not_to_be_empty()
        expect(page.locator("input[name=email]")).to_have_attribute("aria-invalid", "true")
        page.fill("input[name=email]", "contact@example.fr")
        page.fill("input[name=territory]", "Pilat")
        page.click("[data-test=save]")
        expect(page.locator("[data-test=saved]")).to_be_visible()
        saved = client.get(path, headers=manager).get_json()
        assert (saved["territory"], saved["email"]) == ("Pilat", "contact@example.fr")

        page.click("[data-test=tab-base]")
        page.click("[data-test=new-account]")
        page.fill("input[name=name]", HOSTILE)
        page.fill("input[name=postal_code]", "69003")
        page.fill("input[name=city]", "Lyon")
        page.select_option("select[name=status]", "prospect_hot")
        page.click("[data-test=save]")
        expect(page.locator("[data-test=saved]")).to_have_text("Client créé.")
        created = client.get("/api/accounts?q=Epicerie", headers=manager).get_json()
        assert [a["name"] for a in created] == [HOSTILE]
        assert created[0]["status"] == "prospect_hot"
        page.click("[data-test=tab-base]")
        page.fill("input[name=q]", "Epicerie")
        expect(page.locator("[data-test=account-name]")).to_have_text([HOSTILE])
        assert page.locator("main img[src=x]").count() == 0
        assert page.evaluate("window.__xss") is None
        assert problems == []  # no missing string, no CSP violation
    finally:
        ctx.close()
