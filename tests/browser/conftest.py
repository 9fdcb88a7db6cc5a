"""Browser tests: the real app on a live server, driven by Playwright in Debian's Chromium.

Each test gets its own server (the real Flask app on 127.0.0.1 and a free port, in a thread)
over a fresh SQLite file seeded by the app's own code: the demo generator (``seed_demo``) and
then the REST API (today's planned round of the rep, through ``POST /api/interactions``).
Browser tests run on SQLite only; the server-side suite covers PostgreSQL.

Chromium is ``/usr/bin/chromium`` (``apt-get install chromium``). When it (or Playwright) is
missing, the tests skip and say why, except in CI (``CI`` set, or
``TOURNEE_REQUIRE_BROWSER=1``) where they fail: the proof must not silently vanish.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import BaseWSGIServer, make_server

from server import create_app
from server.auth.models import Role, User
from server.demo import DEMO_PASSWORD, seed_demo
from server.extensions import db

try:  # re-exported for the tests; without Playwright the browser fixture skips (or fails in CI)
    from playwright.sync_api import expect

    # Waiting, not timing: a loaded two-core CI box may take seconds to sync a slice.
    expect.set_options(timeout=15_000)
except ImportError:  # pragma: no cover
    expect = None

CHROMIUM = Path(os.environ.get("TOURNEE_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 360, "height": 780}
PARIS = ZoneInfo("Europe/Paris")
#: Demo accounts seeded per test: enough for a round and search, quick to seed.
N_ACCOUNTS = 45


def _browser_required() -> bool:
    """In CI the browser tests must run: a missing Chromium is a failure, not a skip."""
    return bool(os.environ.get("CI")) or os.environ.get("TOURNEE_REQUIRE_BROWSER") == "1"


def _unavailable(reason: str) -> None:
    """Skip with the reason, or fail in CI."""
    if _browser_required():
        pytest.fail(f"browser tests required (CI / TOURNEE_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(f"browser test skipped: {reason}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test here ``browser`` (deselect them with ``-m "not browser"``)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's, not Playwright's download), shared by the session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--lang=fr-FR"]
        )
        yield chromium
        chromium.close()


@dataclass
class LiveServer:
    """A running app: its URL, the Flask app (for direct checks) and the demo rep's login."""

    url: str
    app: Flask
    rep_email: str
    other_rep_email: str
    manager_email: str
    password: str = DEMO_PASSWORD
    round_ids: list[str] = field(default_factory=list)

    def client(self) -> Any:
        """A Flask test client of the same app and database."""
        return self.app.test_client()

    def token(self, email: str) -> str:
        """Log ``email`` in from a fresh device id and return the bearer token."""
        answer = self.client().post(
            "/api/auth/login",
            json={"email": email, "password": self.password, "device_id": str(uuid.uuid4())},
        )
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()["token"]

    def get(self, path: str, email: str) -> Any:
        """GET ``path`` as ``email``; the JSON answer (asserts a 200)."""
        answer = self.client().get(path, headers={"Authorization": f"Bearer {self.token(email)}"})
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()


def _plan_today(app: Flask, email: str, stops: int = 4) -> list[str]:
    """Give the rep a round today: planned visits to some of their accounts, via the API."""
    client = app.test_client()
    answer = client.post(
        "/api/auth/login",
        json={"email": email, "password": DEMO_PASSWORD, "device_id": str(uuid.uuid4())},
    )
    headers = {"Authorization": f"Bearer {answer.get_json()['token']}"}
    accounts = client.get("/api/accounts?page_size=100&sort=name", headers=headers).get_json()
    placed = [a for a in accounts if a.get("latitude") is not None][:stops]
    today = datetime.now(PARIS).date()
    ids = []
    for n, account in enumerate(placed):
        start = datetime.combine(today, time(9 + 2 * n, 0), PARIS)
        body = {
            "account_id": account["id"],
            "kind": "visit",
            "status": "planned",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(minutes=45)).isoformat(),
            "subject": f"Visite {n + 1}",
        }
        created = client.post("/api/interactions", json=body, headers=headers)
        assert created.status_code == 201, created.get_json()
        ids.append(created.get_json()["id"])
    return ids


@pytest.fixture
def live_server(tmp_path: Path, browser: Any) -> Iterator[LiveServer]:
    """The real app on a free port of 127.0.0.1, over a fresh seeded SQLite database.

    Asks for ``browser`` first so that, without Chromium, a test skips before seeding."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "browser.sqlite"),
            "LOGIN_RATE_LIMIT": "10000 per minute",
            "DEVICE_SEEN_RESOLUTION_S": 0,
        }
    )
    with app.app_context():
        db.create_all()
        seed_demo(n_accounts=N_ACCOUNTS, seed=7, progress=lambda _line: None)
        reps = db.session.scalars(select(User).where(User.role == Role.REP).order_by(User.email))
        rep, other, *_ = list(reps)
        manager = db.session.scalar(select(User).where(User.role == Role.MANAGER))
        emails = rep.email, other.email, manager.email
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    live = LiveServer(
        url=f"http://127.0.0.1:{server.server_port}",
        app=app,
        rep_email=emails[0],
        other_rep_email=emails[1],
        manager_email=emails[2],
    )
    live.round_ids = _plan_today(app, live.rep_email)
    yield live
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser profile at phone size (its own IndexedDB, caches, service worker)."""
    ctx = browser.new_context(
        viewport=PHONE,
        device_scale_factor=1,
        locale="fr-FR",
        timezone_id="Europe/Paris",
        geolocation={"latitude": 45.764, "longitude": 4.8357, "accuracy": 20},
        permissions=["geolocation"],
    )
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def screenshot(page: Any, name: str) -> None:
    """Save a phone-size screenshot of the current screen to docs/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def open_app(page: Any, url: str) -> None:
    """Load the app and wait until it has started (the shell sets data-ready)."""
    page.goto(url + "/")
    page.wait_for_selector("html[data-ready='1']")


def log_in(page: Any, live: LiveServer, email: str | None = None) -> None:
    """Log in through the login screen and wait for the first sync to finish."""
    open_app(page, live.url)
    page.fill("input[name=email]", email or live.rep_email)
    page.fill("input[name=password]", live.password)
    page.click("button[type=submit]")
    wait_synced(page)


def wait_synced(page: Any) -> None:
    """Wait until a sync has completed and nothing is waiting."""
    page.wait_for_function(
        """() => {
            const bar = document.querySelector('[data-test=last-sync]');
            const btn = document.querySelector('[data-test=sync-now]');
            return bar && btn && !btn.disabled && !/jamais|Never/i.test(bar.textContent)
                && !/Synchronisation/.test(bar.textContent);
        }"""
    )


def sync_now(page: Any) -> None:
    """Press "Synchroniser" and wait for that sync (not an earlier one) to finish."""
    before = int(page.get_attribute("[data-test=sync-now]", "data-runs"))
    page.click("[data-test=sync-now]")
    page.wait_for_function(
        """(before) => {
            const btn = document.querySelector('[data-test=sync-now]');
            return btn && !btn.disabled && Number(btn.dataset.runs) > before;
        }""",
        arg=before,
    )
