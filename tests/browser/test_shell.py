"""The shell: served with a CSP that forbids inline script, manifest and service worker,
login that registers the device, role-aware navigation."""

from __future__ import annotations

from typing import Any

from .conftest import LiveServer, expect, log_in, open_app, screenshot


def test_csp_header_forbids_inline_script_and_the_browser_enforces_it(
    live_server: LiveServer, context: Any
) -> None:
    """The app's CSP allows scripts from 'self' only; an injected inline script does not run."""
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    response = page.goto(live_server.url + "/")
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert "frame-ancestors" in directives
    assert "base-uri" in directives
    assert "https://tile.openstreetmap.org" in directives["img-src"]
    page.wait_for_selector("html[data-ready='1']")
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.__pwned = 1'; document.body.append(s); }"""
    )
    assert page.evaluate("window.__pwned") is None
    assert any("Content Security Policy" in v for v in violations)


def test_api_docs_page_has_its_own_policy_and_still_works(
    live_server: LiveServer, context: Any
) -> None:
    """Swagger UI runs without inline script under its own CSP (its init is a served file)."""
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    response = page.goto(live_server.url + "/api/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"].split("style-src")[0]
    page.wait_for_selector(".swagger-ui .info .title")
    assert not [e for e in errors if "Content Security" in e]


def test_manifest_icons_and_service_worker_are_served(live_server: LiveServer) -> None:
    """The manifest names 192/512/maskable icons that exist; sw.js has its version filled in."""
    client = live_server.client()
    manifest = client.get("/manifest.webmanifest").get_json(force=True)
    assert manifest["display"] == "standalone"
    assert manifest["start_url"]
    purposes = {(i["sizes"], i.get("purpose", "any")) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
    for icon in manifest["icons"]:
        answer = client.get(icon["src"])
        assert answer.status_code == 200
        assert answer.data[:8] == b"\x89PNG\r\n\x1a\n"
    sw = client.get("/sw.js").get_data(as_text=True)
    assert "__VERSION__" not in sw
    assert '"/app/main.js"' in sw
    assert '"/vendor/dexie/dist/dexie.mjs"' in sw
    assert client.get("/vendor/dexie/package.json").status_code == 404  # allowlist
    assert client.get("/vendor/left-pad/index.js").status_code == 404


def test_login_registers_the_device_and_the_nav_fits_the_role(
    live_server: LiveServer, context: Any
) -> None:
    """A rep logs in, lands on today's round with the rep's nav; the device is registered."""
    page = context.new_page()
    open_app(page, live_server.url)
    screenshot(page, "01-login")
    page.fill("input[name=email]", live_server.rep_email)
    page.fill("input[name=password]", "wrong password!")
    page.click("button[type=submit]")
    expect(page.locator("[data-test=login-error]")).to_contain_text("incorrect")
    log_in(page, live_server)
    assert page.url.endswith("#/today")
    labels = page.locator("nav .nav-item").all_text_contents()
    assert "Aujourd'hui" in labels
    assert "Clients" in labels
    devices = live_server.get("/api/devices", live_server.rep_email)
    assert any(d["name"].startswith("Navigateur") for d in devices)

    # On a desktop the nav moves to the top, under the sync bar, and the round sits beside the map.
    page.set_viewport_size({"width": 1280, "height": 800})
    nav = page.locator("nav").bounding_box()
    bar = page.locator("#syncbar").bounding_box()
    assert bar["y"] < nav["y"] < 200
    page.wait_for_timeout(300)  # let Leaflet lay out before the picture (not an assertion)
    screenshot(page, "09-desktop-today")
