"""Tournée server: the Flask application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import compress, db, limiter, migrate


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app; ``config`` overrides the environment-derived settings (tests)."""
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    os.makedirs(app.instance_path, exist_ok=True)

    from .config import from_environment

    app.config.from_mapping(from_environment(app.instance_path))
    if config:
        app.config.from_mapping(config)
    app.json.sort_keys = False
    app.json.ensure_ascii = False

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    limiter.init_app(app)
    compress.init_app(app)

    from . import api, commands, errors, models, newrows, web
    from .auth import tokens
    from .sync import changelog, docs, retention

    models.load_all()
    errors.init_app(app)
    newrows.init_app(app)  # before the change log: queued rows go in before its lock
    changelog.init_app(app)
    docs.init_app()  # create_all installs the triggers that keep each record's JSON
    retention.init_app(app)
    tokens.init_app(app)
    api.init_app(app)
    web.init_app(app)
    commands.init_app(app)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite: enforce foreign keys, use WAL so readers do not block the writer, and make
    ``lower()`` fold non-ASCII letters ('ÉVRY' -> 'évry') as PostgreSQL's does.

    A writer waits for another's lock up to the ``timeout`` of ``sqlite3.connect``
    (5 s unless ``SQLALCHEMY_ENGINE_OPTIONS["connect_args"]`` says otherwise), then the
    request is answered 503 (``errors.database_busy``)."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _lower(value: Any) -> Any:
    """Unicode ``lower()`` for SQLite, whose built-in one only folds ASCII letters."""
    return value.lower() if isinstance(value, str) else value
