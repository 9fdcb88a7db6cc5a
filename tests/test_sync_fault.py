"""Fault: the server dies (SIGKILL) between committing a push and answering it.

A real server (gunicorn, one worker, on 127.0.0.1) runs on a fresh database built by
``flask init-db`` with a user made by ``flask create-user``; the device logs in over HTTP.
With ``TOURNEE_FAULT_INJECTION=kill-after-push-commit`` the push endpoint kills its own
process right after the commit, so the client's connection dies with the work done. The
client pushes batch A: killed. Gunicorn starts a new worker; the client pushes A again with
a new batch B behind it: killed again (A was already stored, B is new). The server is
restarted without the fault and the client pushes A + B once more: every outcome is there,
every record exists exactly once, the change log has one create per record, and the
device's last mutation id is B's last.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from server import create_app
from server.extensions import db

from .conftest import PASSWORD

EMAIL = "rep.fault@example.fr"


def _prepare(url: str) -> None:
    """``flask init-db`` and ``flask create-user``, as an operator runs them."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    runner = app.test_cli_runner()
    user = ["--email", EMAIL, "--name", "Rep", "--team", "Nord", "--password", PASSWORD]
    for args in (["init-db"], ["create-user", *user]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()


def _free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving the app on 127.0.0.1, stopped for sure by :meth:`stop`."""

    def __init__(self, url: str, log: Path, *, fault: bool) -> None:
        self.port = _free_port()
        env = {**os.environ, "DATABASE_URL": url, "TOURNEE_LOGIN_RATE_LIMIT": "1000 per minute"}
        env.pop("TOURNEE_FAULT_INJECTION", None)
        if fault:
            env["TOURNEE_FAULT_INJECTION"] = "kill-after-push-commit"
        command = [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{self.port}"]
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            # No control socket: its default path is shared by every gunicorn of the user.
            [*command, "--no-control-socket", "--graceful-timeout", "5", "server:create_app()"],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers too can be signalled as one group
        )
        try:
            self._wait_until_up(log)
        except BaseException:
            self.stop()
            raise

    def _wait_until_up(self, log: Path) -> None:
        """Return once the server answers; fail after 60 s or if it exits."""
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, log.read_text()[-2000:]
            try:
                status, _ = self.request("GET", "/api/openapi.json", timeout=5)
                if status == 200:
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not start in 60 s"
            time.sleep(0.2)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        timeout: float = 30,
    ) -> tuple[int, Any]:
        """One HTTP request; connection failures raise (OSError or HTTPException)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
        finally:
            conn.close()

    def stop(self) -> None:
        """SIGTERM the server's process group, SIGKILL it if it lingers."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        self.log.close()


def _prospect(mid: int) -> list[dict[str, Any]]:
    """Mutations ``mid``.. : a prospect, a contact and a note on it, then an edit of it."""
    account = str(uuid.uuid4())
    return [
        {
            "mid": mid,
            "entity": "account",
            "op": "create",
            "id": account,
            "fields": {"name": f"Prospect {mid}", "postal_code": "63000"},
        },
        {
            "mid": mid + 1,
            "entity": "contact",
            "op": "create",
            "id": str(uuid.uuid4()),
            "fields": {"account_id": account, "last_name": "Roux"},
        },
        {
            "mid": mid + 2,
            "entity": "note",
            "op": "create",
            "id": str(uuid.uuid4()),
            "fields": {"account_id": account, "body": "Première visite"},
        },
        {
            "mid": mid + 3,
            "entity": "account",
            "op": "update",
            "id": account,
            "base_version": 1,
            "fields": {"city": "Riom"},
        },
    ]


def _batches() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Batch A: four prospects, then an invalid one and a note on it (rejected, blocked);
    batch B: three more prospects, numbered after A."""
    a = [m for first in (1, 5, 9, 13) for m in _prospect(first)]
    bad = str(uuid.uuid4())
    a.append(
        {
            "mid": 17,
            "entity": "account",
            "op": "create",
            "id": bad,
            "fields": {"name": "Sans code", "postal_code": "ABCDE"},
        }
    )
    a.append(
        {
            "mid": 18,
            "entity": "note",
            "op": "create",
            "id": str(uuid.uuid4()),
            "fields": {"account_id": bad, "body": "Sur un prospect refusé"},
        }
    )
    b = [m for first in (19, 23, 27) for m in _prospect(first)]
    return a, b


def _push_dies(server: Server, token: str, mutations: list[dict[str, Any]]) -> None:
    """The push is committed, then the connection dies without an answer."""
    with pytest.raises((OSError, http.client.HTTPException)):
        server.request("POST", "/api/sync/push", {"protocol": 1, "mutations": mutations}, token)


def _count(engine: Engine, sql: str, **params: Any) -> int:
    """One number from the database, read directly (not through the server)."""
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def test_a_push_killed_between_commit_and_answer_is_applied_exactly_once(
    empty_database_url: str, tmp_path: Path
) -> None:
    """Two pushes die after their commit; the retry gets every outcome, nothing doubled."""
    _prepare(empty_database_url)
    log = tmp_path / "gunicorn.log"
    engine = create_engine(empty_database_url)
    a, b = _batches()
    servers: list[Server] = []
    try:
        server = Server(empty_database_url, log, fault=True)
        servers.append(server)
        device = str(uuid.uuid4())
        status, login = server.request(
            "POST",
            "/api/auth/login",
            {"email": EMAIL, "password": PASSWORD, "device_id": device, "device_name": "phone"},
        )
        assert status == 200, login
        token = login["token"]

        _push_dies(server, token, a)
        # The work was committed before the process died.
        stored = _count(engine, "SELECT count(*) FROM sync_mutations")
        assert stored == len(a)
        # Gunicorn replaces the dead worker (still with the fault): A again, B behind it.
        _push_dies(server, token, a + b)
        assert _count(engine, "SELECT count(*) FROM sync_mutations") == len(a) + len(b)
        server.stop()

        server = Server(empty_database_url, log, fault=False)
        servers.append(server)
        status, answer = server.request(
            "POST", "/api/sync/push", {"protocol": 1, "mutations": a + b}, token
        )
        assert status == 200, answer
        again = server.request("POST", "/api/sync/push", {"protocol": 1, "mutations": a + b}, token)
        assert again == (200, answer)
    finally:
        for s in servers:
            s.stop()

    outcomes = answer["outcomes"]
    assert [o["mid"] for o in outcomes] == [m["mid"] for m in a + b]
    failed = {a[-2]["mid"]: "rejected", a[-1]["mid"]: "blocked"}
    assert [o["status"] for o in outcomes] == [failed.get(m["mid"], "applied") for m in a + b]
    assert answer["last_mid"] == b[-1]["mid"]
    written = [m for m in a + b if m["op"] == "create" and m["mid"] not in failed]
    for table, entity in (("accounts", "account"), ("contacts", "contact"), ("notes", "note")):
        ids = {m["id"] for m in written if m["entity"] == entity}
        assert _count(engine, f"SELECT count(*) FROM {table}") == len(ids), table
    for m in written:
        record_id = uuid.UUID(m["id"])
        creates = _count(
            engine,
            "SELECT count(*) FROM changes WHERE op = 'create' AND entity = :e AND record_id = :r",
            e=m["entity"],
            r=record_id if engine.dialect.name == "postgresql" else record_id.hex,
        )
        assert creates == 1, m
    updates = _count(engine, "SELECT count(*) FROM changes WHERE op = 'update'")
    assert updates == sum(1 for m in a + b if m["op"] == "update")
    assert _count(engine, "SELECT count(*) FROM review_items") == len(failed)
    assert _count(engine, "SELECT count(*) FROM sync_mutations") == len(a) + len(b)
    assert _count(engine, "SELECT max(last_mid) FROM devices") == b[-1]["mid"]
    engine.dispose()
