"""Likely duplicates on screen: the rep's new-prospect form points to the customer it may
already have, and the back office's account page lists the accounts that look like it."""

from __future__ import annotations

from typing import Any

from .backoffice_support import as_user, both_sizes, new_device
from .conftest import LiveServer, expect, log_in, screenshot


def test_new_prospect_form_points_to_the_customer_the_rep_already_has(
    live_server: LiveServer, context: Any
) -> None:
    """Typing the name and postal code of one of the rep's customers shows it, with why and a
    link to its sheet; a name that matches nothing shows nothing."""
    mine = live_server.get("/api/accounts?page_size=1&sort=name", live_server.rep_email)[0]
    page = context.new_page()
    log_in(page, live_server)
    page.goto(live_server.url + "/#/prospect/new")
    box = page.locator("[data-test=prospect-duplicates]")
    page.fill("input[name=name]", "Zzyzx Qwerty")
    page.fill("input[name=postal_code]", mine["postal_code"])
    page.locator("input[name=postal_code]").blur()
    page.fill("input[name=city]", mine["city"])
    page.locator("input[name=city]").blur()
    page.wait_for_timeout(1200)  # a check ran (400 ms after the change) and found nothing
    expect(box).to_be_hidden()

    page.fill("input[name=name]", mine["name"].upper())
    page.locator("input[name=name]").blur()
    candidate = page.locator(f"[data-test=prospect-duplicate][data-id='{mine['id']}']")
    expect(candidate).to_be_visible()
    expect(candidate).to_contain_text(mine["name"])
    expect(candidate).to_contain_text("nom proche")
    screenshot(page, "10-prospect-duplicates")
    candidate.locator("a").click()
    expect(page).to_have_url(f"{live_server.url}/#/customers/{mine['id']}")


def test_account_page_lists_lookalikes_for_the_manager(
    live_server: LiveServer, browser: Any
) -> None:
    """A second account with the same phone under another name shows on the first's page,
    with its reasons and a link to it."""
    client = live_server.client()
    manager = as_user(live_server, live_server.manager_email)
    target = client.get("/api/accounts?page_size=1&sort=name", headers=manager).get_json()[0]
    lookalike = client.post(
        "/api/accounts",
        json={"name": "Comptoir Inconnu", "phone": "04 78 99 88 77", "postal_code": "69003"},
        headers=manager,
    )
    assert lookalike.status_code == 201, lookalike.get_json()
    etag = client.get(f"/api/accounts/{target['id']}", headers=manager).headers["ETag"]
    same_phone = client.patch(
        f"/api/accounts/{target['id']}",
        json={"phone": "+33478998877"},
        headers={**manager, "If-Match": etag},
    )
    assert same_phone.status_code == 200, same_phone.get_json()

    problems: list[str] = []
    ctx = new_device(browser, problems)
    try:
        page = ctx.new_page()
        log_in(page, live_server, live_server.manager_email)
        page.goto(f"{live_server.url}/#/base/{target['id']}")
        row = page.locator(f"[data-test=duplicate][data-id='{lookalike.get_json()['id']}']")
        expect(row).to_contain_text("Comptoir Inconnu")
        expect(row.locator("[data-test=duplicate-reasons]")).to_have_text("85 % : même téléphone")
        both_sizes(page, "30-base-duplicates")
        row.locator("a").click()
        expect(page.locator("input[name=name]")).to_have_value("Comptoir Inconnu")

        # The whole base's pairs: the same pair, and as many as the API lists.
        listed = client.get("/api/accounts/duplicates?limit=200", headers=manager).get_json()
        page.goto(f"{live_server.url}/#/base")
        page.click("[data-test=duplicates-link]")
        expect(page.locator("[data-test=pair]")).to_have_count(len(listed))
        pair = (
            page.locator("[data-test=pair]")
            .filter(has=page.locator(f"[data-test=pair-account][data-id='{target['id']}']"))
            .filter(
                has=page.locator(
                    f"[data-test=pair-account][data-id='{lookalike.get_json()['id']}']"
                )
            )
        )
        expect(pair.locator("[data-test=pair-reasons]")).to_have_text("85 % : même téléphone")
        both_sizes(page, "31-base-duplicate-pairs")
        assert problems == []
    finally:
        ctx.close()
