"""Back-office sync review in the browser: a conflict made by two real devices (two browser
profiles running the rep app offline) is resolved field by field by the manager and reaches
both devices; devices can be revoked; reps never see the back office."""

from __future__ import annotations

import uuid
from typing import Any

from .backoffice_support import (
    as_user,
    both_sizes,
    device_edit,
    local_account,
    new_device,
    user_named,
)
from .conftest import LiveServer, expect, log_in, screenshot, sync_now, wait_synced

PHONE_NAME = "Boulangerie Soleil (téléphone)"
TABLET_NAME = "Boulangerie Soleil (tablette)"
CHOSEN_TRADE = "<b>Soleil</b> & Fils"


def _pending(page: Any) -> Any:
    return page.locator("[data-test=pending]")


def test_conflict_between_two_devices_is_resolved_field_by_field_and_reaches_both(
    live_server: LiveServer, browser: Any
) -> None:
    """The rep's phone and tablet rename the same customer offline; the phone syncs first,
    the tablet's change becomes a conflict; the manager sees base, server and device values
    side by side, keeps the tablet's name and types a new trade name; both devices get the
    decision at their next sync, and the audit trail shows every step."""
    problems: list[str] = []
    phone_ctx, tablet_ctx, office_ctx = (new_device(browser, problems) for _ in range(3))
    try:
        phone, tablet = phone_ctx.new_page(), tablet_ctx.new_page()
        log_in(phone, live_server)
        log_in(tablet, live_server)
        target = live_server.get("/api/accounts?page_size=1&sort=name", live_server.rep_email)[0]
        base_name, base_trade = target["name"], target.get("trade_name")

        phone_ctx.set_offline(True)
        tablet_ctx.set_offline(True)
        device_edit(phone, target["id"], {"name": PHONE_NAME, "trade_name": "Soleil A"})
        device_edit(tablet, target["id"], {"name": TABLET_NAME, "trade_name": "Soleil B"})
        expect(_pending(phone)).to_have_attribute("data-count", "1")
        expect(_pending(tablet)).to_have_attribute("data-count", "1")

        phone_ctx.set_offline(False)  # the phone syncs first: its change is applied
        expect(_pending(phone)).to_have_attribute("data-count", "0")
        tablet_ctx.set_offline(False)  # the tablet's change meets the phone's: a conflict
        expect(_pending(tablet)).to_have_attribute("data-count", "0")
        wait_synced(tablet)
        assert live_server.get(f"/api/accounts/{target['id']}", live_server.rep_email)["name"] == (
            PHONE_NAME
        )

        office = office_ctx.new_page()
        log_in(office, live_server, live_server.manager_email)
        office.goto(f"{live_server.url}/#/review")
        item = office.locator("[data-test=review-item]")
        expect(item).to_have_count(1)
        expect(item).to_have_attribute("data-kind", "conflict")
        expect(item).to_contain_text(PHONE_NAME)  # the account as it is now
        both_sizes(office, "20-review-list")

        item.click()
        fields = office.locator("[data-test=conflict-field]")
        expect(fields).to_have_count(2)
        name = office.locator("[data-test=conflict-field][data-field=name]")
        expect(name.locator("[data-test=value-base] .bo-value-text")).to_have_text(base_name)
        expect(name.locator("[data-test=value-server] .bo-value-text")).to_have_text(PHONE_NAME)
        expect(name.locator("[data-test=value-device] .bo-value-text")).to_have_text(TABLET_NAME)
        trade = office.locator("[data-test=conflict-field][data-field=trade_name]")
        expect(trade.locator("[data-test=value-device] .bo-value-text")).to_have_text("Soleil B")
        if base_trade is None:
            expect(trade.locator("[data-test=value-base] .bo-value-text")).to_have_text("(vide)")
        both_sizes(office, "21-review-conflict")

        name.locator("[data-test=choose-device]").check()
        trade.locator("[data-test=edit]").fill(CHOSEN_TRADE)
        expect(trade.locator("[data-test=choose-value]")).to_be_checked()
        office.click("[data-test=resolve]")
        expect(office.locator("[data-test=resolved]")).to_be_visible()
        expect(office.locator("[data-test=decision]")).to_contain_text(CHOSEN_TRADE)

        now = live_server.get(f"/api/accounts/{target['id']}", live_server.rep_email)
        assert (now["name"], now["trade_name"]) == (TABLET_NAME, CHOSEN_TRADE)

        for device in (phone, tablet):
            sync_now(device)
            held = local_account(device, target["id"])
            assert (held["name"], held["trade_name"]) == (TABLET_NAME, CHOSEN_TRADE)
        phone.goto(f"{live_server.url}/#/customers/{target['id']}")
        expect(phone.locator("main")).to_contain_text(TABLET_NAME)

        office.click("[data-test=audit-link]")
        entries = office.locator("[data-test=audit-entry]")
        expect(entries.first).to_contain_text(CHOSEN_TRADE)  # newest first: the resolution
        expect(office.locator("[data-test=audit]")).to_contain_text(PHONE_NAME)
        assert office.locator("main b").count() == 0  # markup in a value stays text
        both_sizes(office, "22-audit-trail")

        office.goto(f"{live_server.url}/#/review")
        expect(office.locator("[data-test=review-empty]")).to_be_visible()
        assert problems == []  # no missing string, no CSP violation
    finally:
        for ctx in (phone_ctx, tablet_ctx, office_ctx):
            ctx.close()


def test_rep_never_sees_the_back_office(live_server: LiveServer, context: Any) -> None:
    """A rep's nav has no back-office entry, the screens say they are for other roles, and
    the API refuses the rep anyway."""
    page = context.new_page()
    log_in(page, live_server)
    nav = page.locator("#nav")
    expect(nav).to_contain_text("Aujourd'hui")
    expect(nav).not_to_contain_text("Bureau")
    assert page.locator("#nav a[href^='#/review'], #nav a[href^='#/board']").count() == 0
    for route in ("review", "devices", "board", "base"):
        page.goto(f"{live_server.url}/#/{route}")
        expect(page.locator("main")).to_contain_text("réservé à d'autres rôles")
    client = live_server.client()
    headers = as_user(live_server, live_server.rep_email)
    assert client.get("/api/sync/review", headers=headers).status_code == 403


def test_manager_revokes_a_device(live_server: LiveServer, browser: Any) -> None:
    """The manager revokes the rep's phone after confirming: the card says revoked, and the
    phone's token is refused from then on."""
    problems: list[str] = []
    phone_ctx, office_ctx = new_device(browser, problems), new_device(browser, problems)
    try:
        phone = phone_ctx.new_page()
        log_in(phone, live_server)
        target = live_server.get("/api/accounts?page_size=1&sort=name", live_server.rep_email)[0]
        device_edit(phone, target["id"], {"trade_name": "Vu au salon"})
        sync_now(phone)  # a push, which reports what is still waiting
        expect(_pending(phone)).to_have_attribute("data-count", "0")
        device_id, token = phone.evaluate(
            """async () => { const { session } = await import('/app/session.js');
                             return [session.deviceId, session.token]; }"""
        )
        office = office_ctx.new_page()
        log_in(office, live_server, live_server.manager_email)
        office.click("#nav a[href='#/review']")  # the back office's one entry in the nav
        office.click("[data-test=tab-devices]")
        card = office.locator(f"[data-test=device][data-id='{device_id}']")
        expect(card).to_contain_text("Dernière synchro")
        reported = next(
            d
            for d in live_server.get("/api/devices", live_server.manager_email)
            if d["id"] == device_id
        )["pending_reported"]
        assert reported is not None
        expect(card.locator("[data-test=pending]")).to_have_text(
            f"{reported} modification{'s' if reported > 1 else ''} en attente"
        )
        card.locator("[data-test=revoke]").click()
        expect(card.locator("[data-test=confirm]")).to_be_visible()
        both_sizes(office, "23-devices-revoke")
        card.locator("[data-test=confirm-revoke]").click()
        expect(card.locator("[data-test=revoked]")).to_be_visible()
        expect(card.locator("[data-test=revoke]")).to_have_count(0)

        me = live_server.client().get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 401
        phone.click("[data-test=sync-now]")
        expect(phone.locator("[data-test=sync-error]")).to_be_visible()
        screenshot(phone, "24-revoked-phone")
        assert problems == []  # no missing string, no CSP violation
    finally:
        phone_ctx.close()
        office_ctx.close()


def test_rejected_prospect_is_corrected_then_its_blocked_note_applied(
    live_server: LiveServer, browser: Any
) -> None:
    """A device pushes a prospect with a bad postal code and a note on it: the prospect is
    rejected, the note blocked. The manager filters on rejected changes, reads the reason next
    to the field, corrects it and applies: the prospect is the rep's; then applies the note."""
    client = live_server.client()
    headers = as_user(live_server, live_server.rep_email)
    prospect, note = str(uuid.uuid4()), str(uuid.uuid4())
    mutations = [
        {
            "mid": 1,
            "entity": "account",
            "op": "create",
            "id": prospect,
            "fields": {"name": "Ferme Dupuis", "postal_code": "6300", "city": "Clermont"},
        },
        {
            "mid": 2,
            "entity": "note",
            "op": "create",
            "id": note,
            "fields": {"account_id": prospect, "body": "Veut un devis <script>x</script>"},
        },
    ]
    pushed = client.post(
        "/api/sync/push", json={"protocol": 1, "mutations": mutations}, headers=headers
    )
    assert [o["status"] for o in pushed.get_json()["outcomes"]] == ["rejected", "blocked"]

    problems: list[str] = []
    ctx = new_device(browser, problems)
    try:
        page = ctx.new_page()
        log_in(page, live_server, live_server.manager_email)
        page.goto(f"{live_server.url}/#/review")
        expect(page.locator("[data-test=review-item]")).to_have_count(2)
        page.click("[data-test=filters-toggle]")  # folded on a phone
        page.select_option("[data-test=review-filters] select[name=kind]", "rejected")
        items = page.locator("[data-test=review-item]")
        expect(items).to_have_count(1)
        expect(items).to_contain_text("Ferme Dupuis")
        items.click()
        field = page.locator("[data-test=payload-field][data-field=postal_code]")
        expect(field.locator(".form-error")).not_to_be_empty()
        screenshot(page, "29-review-rejected")
        field.locator("input").fill("63000")
        page.click("[data-test=apply]")
        expect(page.locator("[data-test=resolved]")).to_be_visible()
        created = live_server.get(f"/api/accounts/{prospect}", live_server.rep_email)
        assert (created["postal_code"], created["owner_id"]) == (
            "63000",
            user_named(live_server, live_server.rep_email)["id"],
        )

        page.goto(f"{live_server.url}/#/review")
        page.select_option("[data-test=review-filters] select[name=kind]", "blocked")
        blocked = page.locator("[data-test=review-item]")
        expect(blocked).to_have_count(1)
        blocked.click()
        expect(page.locator("[data-test=reason]")).to_contain_text("dépend")
        expect(page.locator("[data-test=payload-field][data-field=body] input")).to_have_value(
            "Veut un devis <script>x</script>"
        )
        page.click("[data-test=apply]")
        expect(page.locator("[data-test=resolved]")).to_be_visible()
        notes = live_server.get(f"/api/notes?account_id={prospect}", live_server.rep_email)
        assert [n["id"] for n in notes] == [note]
        page.click("[data-test=tab-review]")
        page.select_option("[data-test=review-filters] select[name=kind]", "")
        expect(page.locator("[data-test=review-empty]")).to_be_visible()
        assert problems == []  # no missing string, no CSP violation
    finally:
        ctx.close()
