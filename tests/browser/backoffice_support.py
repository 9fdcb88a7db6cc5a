"""Helpers of the back-office browser tests: more devices, the API as a user, screenshots at
phone and desktop size."""

from __future__ import annotations

from typing import Any

from .conftest import PHONE, LiveServer, screenshot

DESKTOP = {"width": 1280, "height": 860}


def new_device(browser: Any, problems: list[str] | None = None) -> Any:
    """Another browser profile at phone size: one more device (own IndexedDB and token).

    With ``problems``, every console message about a missing catalogue key or a
    Content-Security-Policy violation is appended to it, for the test to assert it empty.
    """
    ctx = browser.new_context(
        viewport=PHONE, device_scale_factor=1, locale="fr-FR", timezone_id="Europe/Paris"
    )
    ctx.set_default_timeout(15_000)
    if problems is not None:

        def watch(page: Any) -> None:
            page.on(
                "console",
                lambda m: (
                    problems.append(m.text)
                    if "i18n" in m.text or "Content Security Policy" in m.text
                    else None
                ),
            )

        ctx.on("page", watch)
    return ctx


def as_user(live: LiveServer, email: str) -> dict[str, str]:
    """Authorization header of a fresh device of ``email``."""
    return {"Authorization": f"Bearer {live.token(email)}"}


def user_named(live: LiveServer, email: str) -> dict[str, Any]:
    """The user record of ``email`` as the manager sees it."""
    users = live.get("/api/users", live.manager_email)
    return next(u for u in users if u["email"] == email)


def both_sizes(page: Any, name: str) -> None:
    """Save ``name``-phone.png (360 x 780) and ``name``-desktop.png (1280 x 860)."""
    page.set_viewport_size(PHONE)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)


def device_edit(page: Any, account_id: str, fields: dict[str, Any]) -> None:
    """Edit a customer on a rep's device through the app's own store (its outbox)."""
    page.evaluate(
        """async ([id, fields]) => {
            const { mutate } = await import('/app/store.js');
            await mutate('account', 'update', fields, id);
        }""",
        [account_id, fields],
    )


def local_account(page: Any, account_id: str) -> dict[str, Any]:
    """A customer as the device's IndexedDB holds it."""
    return page.evaluate(
        """async (id) => (await import('/app/store.js')).db.account.get(id)""", account_id
    )
