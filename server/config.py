"""Configuration read from the environment, with defaults for the embedded SQLite set-up."""

from __future__ import annotations

import os
from typing import Any

from .dbtypes import dumps_json


def _int(name: str, default: int) -> int:
    """Read an integer environment variable, falling back to ``default``."""
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _float(name: str, default: float | None) -> float | None:
    """Read a decimal environment variable, falling back to ``default``."""
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """Read an environment variable that must be one of ``choices``; fail early otherwise."""
    value = (os.environ.get(name) or default).strip().lower()
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def from_environment(instance_path: str) -> dict[str, Any]:
    """Build the app configuration from ``TOURNEE_*``/``DATABASE_URL`` variables.

    The SQLite file lives in the instance folder unless ``DATABASE_URL`` names
    another database (PostgreSQL in production).
    """
    database_url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + os.path.join(instance_path, "tournee.sqlite")
    )
    # Heroku-style URLs name the dialect "postgres"; psycopg 3 is our driver.
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", "dev-only-change-me"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "json_serializer": dumps_json},
        # Largest request body accepted (bytes); sync pushes are the big ones.
        "MAX_CONTENT_LENGTH": _int("TOURNEE_MAX_BODY_BYTES", 4 * 1024 * 1024),
        "LOGIN_RATE_LIMIT": os.environ.get("TOURNEE_LOGIN_RATE_LIMIT", "10 per minute"),
        "RATELIMIT_STORAGE_URI": os.environ.get("TOURNEE_RATELIMIT_STORAGE_URI", "memory://"),
        # Rate-limited answers tell the client when to retry (Retry-After, X-RateLimit-*).
        "RATELIMIT_HEADERS_ENABLED": True,
        # A device token seen again within this many seconds does not rewrite last_seen.
        "DEVICE_SEEN_RESOLUTION_S": _int("TOURNEE_DEVICE_SEEN_RESOLUTION_S", 60),
        "API_PAGE_SIZE_MAX": _int("TOURNEE_PAGE_SIZE_MAX", 500),
        # Geocoding (routing.geocoding, README "Geocoding"): offline unless a service is named.
        "GEOCODER": _choice("TOURNEE_GEOCODER", "offline", ("offline", "ban", "nominatim")),
        "GEOCODER_DOMAIN": os.environ.get("TOURNEE_GEOCODER_DOMAIN") or None,
        "GEOCODER_SCHEME": _choice("TOURNEE_GEOCODER_SCHEME", "https", ("https", "http")),
        "GEOCODER_USER_AGENT": os.environ.get("TOURNEE_GEOCODER_USER_AGENT") or "tournee-crm/0.1",
        "GEOCODER_TIMEOUT": _float("TOURNEE_GEOCODER_TIMEOUT", 5.0),
        "GEOCODER_MIN_DELAY": _float("TOURNEE_GEOCODER_MIN_DELAY", None),
        "GEOCODER_RETRIES": _int("TOURNEE_GEOCODER_RETRIES", 1),
        "GEOCODER_RETRY_WAIT": _float("TOURNEE_GEOCODER_RETRY_WAIT", 2.0),
        "GEOCODER_MIN_SCORE": _float("TOURNEE_GEOCODER_MIN_SCORE", 0.5),
        # A postal code and city that disagree: a warning in the answer, or a 422.
        "ADDRESS_CHECK": _choice("TOURNEE_ADDRESS_CHECK", "warn", ("warn", "error")),
        # Flask-Compress: sync pages and lists go out compressed when the client accepts it.
        "COMPRESS_MIMETYPES": ["application/json", "application/problem+json"],
        # The best the client accepts, in this order. Chromium and Firefox accept zstd over
        # HTTPS, Safari br; gzip is for the rest (and for plain HTTP). On a 0.9 MB pull page
        # (bench/README.md): zstd 3 gives 126 kB in 1.6 ms, br 1 139 kB in 1.8 ms, gzip 4
        # 148 kB in 9 ms (gzip 6: 143 kB in 12 ms).
        "COMPRESS_ALGORITHM": ["zstd", "br", "gzip", "deflate"],
        "COMPRESS_MIN_SIZE": 1024,
        "COMPRESS_ZSTD_LEVEL": _int("TOURNEE_COMPRESS_ZSTD_LEVEL", 3),
        "COMPRESS_BR_LEVEL": _int("TOURNEE_COMPRESS_BR_LEVEL", 1),
        # gzip level 4, not 6: a first sync's 56 MB of JSON compress to 9.2 MB instead of
        # 8.8 MB in two thirds of the time (bench/sync_bench.py; it was ~1 s of the 5 s).
        "COMPRESS_LEVEL": _int("TOURNEE_COMPRESS_LEVEL", 4),
        "SYNC_RETENTION_DAYS": _int("TOURNEE_SYNC_RETENTION_DAYS", 90),
        # Tour planning (docs/planning.md): local time of the plans, road times from an
        # OSRM server when named (else offline great circle), seconds of search per plan.
        "TIMEZONE": os.environ.get("TOURNEE_TIMEZONE") or "Europe/Paris",
        "OSRM_URL": os.environ.get("TOURNEE_OSRM_URL") or None,
        "PLAN_TIME_LIMIT": _float("TOURNEE_PLAN_TIME_LIMIT", 2.0),
        # Tests only (tests/test_sync_fault.py): the push kills its process after committing.
        "FAULT_KILL_AFTER_PUSH_COMMIT": (
            os.environ.get("TOURNEE_FAULT_INJECTION") == "kill-after-push-commit"
        ),
        # flask-smorest / OpenAPI
        "API_TITLE": "Tournée API",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        # Swagger UI is served by the app itself from web/node_modules (no CDN).
        "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
        "OPENAPI_SWAGGER_UI_CONFIG": {"persistAuthorization": True},
    }
