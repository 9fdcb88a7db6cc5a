"""A busy or unreachable database: 503 with Retry-After, nothing half-saved; a retry works.

SQLite's single write lock held by another writer past the busy timeout, a PostgreSQL
row lock past ``lock_timeout``, or no database server at all are moments, not bugs: the
answer is problem+json 503 (``code: database_busy``) that the device's sync retries, and
the push it refused is applied whole, once, when retried. A broken installation (a
database without tables) is still a 500.
"""

from __future__ import annotations

import socket
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from server import create_app
from server.accounts.models import Account
from server.auth.models import Device
from server.errors import PROBLEM_MIMETYPE
from server.extensions import db

from .sync_helpers import new_id, push

#: How long the second app waits for a lock before giving up (seconds).
SHORT_WAIT_S = 0.2


def _app_waiting_briefly(app: Flask) -> Flask:
    """An app on the same database whose connections give up on a lock after a moment."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        connect_args: dict[str, Any] = {"timeout": SHORT_WAIT_S}
    else:
        connect_args = {"options": f"-c lock_timeout={int(SHORT_WAIT_S * 1000)}"}
    options = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "connect_args": connect_args}
    return create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "SQLALCHEMY_ENGINE_OPTIONS": options}
    )


@contextmanager
def _lock_held(app: Flask, device_id: uuid.UUID) -> Iterator[None]:
    """Another connection holds what a push of ``device_id`` must write first."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(url.database, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")  # SQLite's one write lock
    else:
        conn = psycopg.connect(url.set(drivername="postgresql").render_as_string(False))
        conn.execute("SELECT 1 FROM devices WHERE id = %s FOR UPDATE", [device_id])
    try:
        yield
    finally:
        conn.rollback()
        conn.close()


def _batch() -> list[dict[str, Any]]:
    """A new account and a note on it."""
    account_id = new_id()
    return [
        {
            "mid": 1,
            "entity": "account",
            "op": "create",
            "id": account_id,
            "fields": {"name": "Boulangerie Morel", "kind": "company", "status": "suspect"},
        },
        {
            "mid": 2,
            "entity": "note",
            "op": "create",
            "id": new_id(),
            "fields": {"account_id": account_id, "body": "Rappeler lundi."},
        },
    ]


def test_a_push_meeting_a_held_lock_is_answered_503_and_applied_once_when_retried(app, team):
    rep = team.rep_a
    busy_app = _app_waiting_briefly(app)
    client = busy_app.test_client()
    batch = _batch()
    try:
        with _lock_held(app, rep.device_id):
            refused = push(client, rep.headers, batch)
        assert refused.status_code == 503
        assert refused.mimetype == PROBLEM_MIMETYPE
        assert refused.headers["Retry-After"] == "1"
        problem = refused.get_json()
        assert problem["code"] == "database_busy"
        assert "Retry" in problem["detail"]
        with busy_app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Account)) == 0
            assert db.session.get(Device, rep.device_id).last_mid == 0

        retried = push(client, rep.headers, batch)
        assert retried.status_code == 200, retried.get_json()
        assert [o["status"] for o in retried.get_json()["outcomes"]] == ["applied", "applied"]
        replayed = push(client, rep.headers, batch)  # the answer lost: same outcomes again
        assert replayed.get_json()["outcomes"] == retried.get_json()["outcomes"]
        with busy_app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Account)) == 1
            assert db.session.get(Device, rep.device_id).last_mid == 2
    finally:
        with busy_app.app_context():
            db.session.remove()
            db.engine.dispose()


#: A bearer token: checking it is the request's first read of the database.
_SOME_TOKEN = {"Authorization": "Bearer " + "x" * 43}


def _closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_database_server_is_answered_503():
    """No PostgreSQL server at the address: a moment's outage, to retry, not a bug."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": (
                f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/tournee"
            ),
        }
    )
    answer = app.test_client().get("/api/accounts", headers=_SOME_TOKEN)
    assert answer.status_code == 503
    assert answer.mimetype == PROBLEM_MIMETYPE
    assert answer.get_json()["code"] == "database_busy"
    assert answer.headers["Retry-After"] == "1"


def test_a_database_without_its_tables_is_still_a_500(tmp_path):
    """A missing table is a broken installation: retrying would not help, so no 503."""
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite'}"}
    )
    answer = app.test_client().get("/api/accounts", headers=_SOME_TOKEN)
    assert answer.status_code == 500
    assert answer.mimetype == PROBLEM_MIMETYPE
    assert "code" not in answer.get_json()
    assert "Retry-After" not in answer.headers
