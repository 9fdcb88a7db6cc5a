"""Configuration read from the environment, with defaults for the embedded SQLite set-up."""

from __future__ import annotations

import os
from typing import Any


def _int(name: str, default: int) -> int:
    """Read an integer environment variable, falling back to ``default``."""
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


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
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Largest request body accepted (bytes); sync pushes are the big ones.
        "MAX_CONTENT_LENGTH": _int("TOURNEE_MAX_BODY_BYTES", 4 * 1024 * 1024),
        "LOGIN_RATE_LIMIT": os.environ.get("TOURNEE_LOGIN_RATE_LIMIT", "10 per minute"),
        "RATELIMIT_STORAGE_URI": os.environ.get("TOURNEE_RATELIMIT_STORAGE_URI", "memory://"),
        # Rate-limited answers tell the client when to retry (Retry-After, X-RateLimit-*).
        "RATELIMIT_HEADERS_ENABLED": True,
        # A device token seen again within this many seconds does not rewrite last_seen.
        "DEVICE_SEEN_RESOLUTION_S": _int("TOURNEE_DEVICE_SEEN_RESOLUTION_S", 60),
        "API_PAGE_SIZE_MAX": _int("TOURNEE_PAGE_SIZE_MAX", 500),
        # Flask-Compress: sync pages and lists go out compressed when the client accepts it.
        "COMPRESS_MIMETYPES": ["application/json", "application/problem+json"],
        "COMPRESS_ALGORITHM": ["gzip", "br", "deflate"],
        "COMPRESS_MIN_SIZE": 1024,
        "SYNC_RETENTION_DAYS": _int("TOURNEE_SYNC_RETENTION_DAYS", 90),
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
