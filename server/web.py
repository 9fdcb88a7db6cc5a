"""Serve the PWA in web/: the shell, its ES modules, the service worker, the manifest, icons,
and a short allowlist of npm packages under /vendor (no build step, no CDN).

Every response of the app carries a Content-Security-Policy that forbids inline script; the
Swagger UI page at /api/docs gets its own (its init script is served as a file too). The
service worker is served with its cache version and precache list filled in from the files on
disk, so any change to the app changes sw.js and browsers install the new version.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from functools import cache
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, request, send_from_directory

from .auth.tokens import public

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
APP_DIR = WEB_ROOT / "app"
NODE_MODULES = WEB_ROOT / "node_modules"

#: npm packages the browser may load, and the files of each (path prefixes inside the
#: package). Anything else under node_modules stays private.
VENDOR_ALLOWLIST: dict[str, tuple[str, ...]] = {
    "dexie": ("dist/dexie.mjs",),
    "leaflet": ("dist/leaflet-src.esm.js", "dist/leaflet.css", "dist/images/"),
}
#: Vendor files the service worker precaches (the app cannot open offline without them).
VENDOR_PRECACHE = (
    "/vendor/dexie/dist/dexie.mjs",
    "/vendor/leaflet/dist/leaflet-src.esm.js",
    "/vendor/leaflet/dist/leaflet.css",
)
#: Files at the root of web/ that are part of the app.
ROOT_FILES = ("index.html", "app.css", "manifest.webmanifest")
#: The OpenStreetMap tile server the map may load images from.
TILE_HOST = "https://tile.openstreetmap.org"

APP_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data: {TILE_HOST}",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
#: Swagger UI sets style attributes in its markup and shows data: images; it still runs
#: no inline script (its init is /swagger-init.js).
DOCS_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

#: Documents the API renders itself (the printable day sheet of a plan): styles of their own,
#: nothing else at all.
API_DOCUMENT_CSP = "; ".join(
    (
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)

mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/manifest+json", ".webmanifest")

bp = Blueprint("web", __name__)


@bp.route("/")
@public
def index():
    """The app shell: one page, the hash router does the rest."""
    return send_from_directory(WEB_ROOT, "index.html", max_age=0)


@bp.route("/app.css")
@bp.route("/manifest.webmanifest")
@bp.route("/swagger-init.js")
@public
def root_file():
    """A file at the root of web/ (style sheet, manifest, Swagger UI's init script)."""
    return send_from_directory(WEB_ROOT, request.path.lstrip("/"), max_age=0)


@bp.route("/app/<path:filename>")
@public
def app_module(filename: str):
    """The app's own ES modules, icons and strings (revalidated: the SW does the caching)."""
    return send_from_directory(APP_DIR, filename, max_age=0)


@bp.route("/vendor/<package>/<path:filename>")
@public
def vendor(package: str, filename: str):
    """An allowlisted file of an npm package from web/node_modules."""
    allowed = VENDOR_ALLOWLIST.get(package, ())
    if not any(
        filename == prefix or (prefix.endswith("/") and filename.startswith(prefix))
        for prefix in allowed
    ):
        abort(404)
    folder = NODE_MODULES / package
    if not folder.is_dir():
        abort(404, f"{package} is not installed: run 'npm ci --prefix web'.")
    return send_from_directory(folder, filename, max_age=86400)


@bp.route("/sw.js")
@public
def service_worker():
    """The service worker at the root scope, with its version and precache list filled in."""
    version, assets = _manifest()
    source = (WEB_ROOT / "sw.js").read_text(encoding="utf-8")
    filled = source.replace('"__VERSION__"', json.dumps(version)).replace(
        '["__ASSETS__"]', json.dumps(assets)
    )
    response = Response(filled, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


def app_assets() -> list[str]:
    """URLs of the app shell: root files, every file under web/app, precached vendor files."""
    files = ["/", *(f"/{name}" for name in ROOT_FILES if name != "index.html")]
    files += sorted(
        "/app/" + path.relative_to(APP_DIR).as_posix()
        for path in APP_DIR.rglob("*")
        if path.is_file()
    )
    return [*files, *VENDOR_PRECACHE]


def _manifest() -> tuple[str, list[str]]:
    """(version, assets): the version hashes the app's files and the npm lock file."""
    return _manifest_cached(_fingerprint())


def _fingerprint() -> tuple[tuple[str, int, int], ...]:
    """Name, size and mtime of every file the version depends on (cheap to recompute)."""
    paths = [WEB_ROOT / name for name in (*ROOT_FILES, "sw.js", "package-lock.json")]
    paths += [p for p in APP_DIR.rglob("*") if p.is_file()]
    return tuple(
        (str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(paths) if p.exists()
    )


@cache
def _manifest_cached(fingerprint: tuple[tuple[str, int, int], ...]) -> tuple[str, list[str]]:
    """Hash the files' contents once per fingerprint."""
    digest = hashlib.sha256()
    for name, _size, _mtime in fingerprint:
        digest.update(name.encode())
        digest.update(Path(name).read_bytes())
    return digest.hexdigest()[:16], app_assets()


def security_headers(response: Response) -> Response:
    """The app's CSP (or Swagger UI's) on every non-API response, and a few safe defaults."""
    if request.path == "/api/docs":
        response.headers["Content-Security-Policy"] = DOCS_CSP
    elif not request.path.startswith("/api/"):
        response.headers["Content-Security-Policy"] = APP_CSP
    elif response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = API_DOCUMENT_CSP
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    """Register the web routes and the security headers."""
    app.register_blueprint(bp)
    app.after_request(security_headers)
