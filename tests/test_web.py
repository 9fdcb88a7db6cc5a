"""The PWA is served by the app: shell, modules, service worker, vendor allowlist, CSP."""

from __future__ import annotations

from flask.testing import FlaskClient


def _directives(policy: str) -> dict[str, str]:
    """A CSP header as {directive: sources}."""
    return dict((part.strip() + " ").split(" ", 1) for part in policy.split(";"))


def test_app_shell_carries_a_csp_without_inline_script(client: FlaskClient) -> None:
    """The shell and its files forbid inline script, plugins, framing and base rewriting."""
    for path in ("/", "/app/main.js", "/sw.js", "/manifest.webmanifest"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        csp = _directives(answer.headers["Content-Security-Policy"])
        assert csp["script-src"].strip() == "'self'", path
        assert csp["object-src"].strip() == "'none'"
        assert csp["base-uri"].strip() == "'none'"
        assert csp["frame-ancestors"].strip() == "'none'"
        assert csp["connect-src"].strip() == "'self'"
        assert "https://tile.openstreetmap.org" in csp["img-src"]


def test_swagger_ui_has_its_own_policy_and_no_inline_script(client: FlaskClient) -> None:
    """/api/docs starts Swagger UI from a served file; its policy still forbids inline script."""
    answer = client.get("/api/docs")
    page = answer.get_data(as_text=True)
    assert "<script>" not in page
    assert '<script src="/swagger-init.js"></script>' in page
    csp = _directives(answer.headers["Content-Security-Policy"])
    assert csp["script-src"].strip() == "'self'"
    assert client.get("/swagger-init.js").status_code == 200


def test_service_worker_is_versioned_from_the_files(client: FlaskClient) -> None:
    """sw.js is served at the root with its version hash and the shell's file list."""
    answer = client.get("/sw.js")
    source = answer.get_data(as_text=True)
    assert answer.mimetype == "text/javascript"
    assert answer.headers["Cache-Control"] == "no-cache"
    assert '"__VERSION__"' not in source
    assert '["__ASSETS__"]' not in source
    for url in ("/", "/app/main.js", "/app/store.js", "/vendor/dexie/dist/dexie.mjs"):
        assert f'"{url}"' in source


def test_vendor_files_are_served_only_from_the_allowlist(client: FlaskClient) -> None:
    """/vendor serves the allowlisted files of npm packages, as JavaScript modules; nothing else."""
    dexie = client.get("/vendor/dexie/dist/dexie.mjs")
    assert dexie.status_code == 200
    assert dexie.mimetype == "text/javascript"
    assert client.get("/vendor/leaflet/dist/leaflet.css").status_code == 200
    for path in (
        "/vendor/dexie/package.json",
        "/vendor/swagger-ui-dist/index.html",
        "/vendor/leaflet/dist/../package.json",
        "/vendor/unknown/x.js",
    ):
        assert client.get(path).status_code == 404, path
