"""No skipped change: the change log is numbered in commit order (docs/sync-protocol.md).

A sequence hands out numbers before commit; a transaction that takes 10 and commits after
the one that took 11 would be skipped by a puller that already moved past 11. These tests
hold transactions open, commit them late, roll some back, and pull concurrently.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from server import records
from server.accounts.models import Account
from server.auth.models import User
from server.extensions import db
from server.sync import changelog
from server.sync.pull import pull
from sync.protocol import Cursor


def _pull_ids(app: Flask, user_id: uuid.UUID, cursor: Cursor) -> tuple[set[str], Cursor]:
    """Pull every page after ``cursor`` as the user; return the account ids seen and the cursor."""
    seen: set[str] = set()
    with app.app_context():
        user = db.session.get(User, user_id)
        while True:
            page = pull(user, cursor, limit=5)
            seen.update(str(e.id) for e in page.entries if e.entity == "account")
            cursor = Cursor.decode(page.cursor)
            if not page.has_more:
                db.session.rollback()
                return seen, cursor


def _create_account(user_id: uuid.UUID, device_id: uuid.UUID, name: str) -> uuid.UUID:
    """Create an account through the write layer (inside the caller's app context)."""
    record = records.create(
        Account, {"name": name, "owner_id": user_id}, actor=records.Actor(user_id, device_id)
    )
    return record.id


def _late_commit_scenario(app: Flask, team: Any) -> tuple[set[str], str, str]:
    """T1 takes its change number and waits; T2 commits; the puller pulls; then T1 commits.

    Returns the ids pulled in total and the ids of T1's and T2's accounts.
    """
    rep, device = team.rep_a.id, team.rep_a.device_id
    numbered, release = threading.Event(), threading.Event()
    made: dict[str, str] = {}

    def late_writer() -> None:
        with app.app_context():
            made["t1"] = str(_create_account(rep, device, "Commit tardif"))
            db.session.flush()
            changelog._write_pending(db.session())  # what commit does first: number the change
            numbered.set()
            release.wait(10)
            db.session.commit()

    def quick_writer() -> None:
        with app.app_context():
            made["t2"] = str(_create_account(rep, device, "Commit rapide"))
            db.session.commit()

    t1 = threading.Thread(target=late_writer)
    t1.start()
    assert numbered.wait(10)
    t2 = threading.Thread(target=quick_writer)
    t2.start()
    _wait_for_t2(app, t2)
    seen, cursor = _pull_ids(app, rep, Cursor(0))
    release.set()
    t1.join(10)
    t2.join(10)
    more, _ = _pull_ids(app, rep, cursor)
    return seen | more, made["t1"], made["t2"]


def _wait_for_t2(app: Flask, t2: threading.Thread) -> None:
    """Until T2 has committed or is queued behind T1's change-numbering lock."""
    deadline = time.monotonic() + 10
    with app.app_context():
        while time.monotonic() < deadline and t2.is_alive():
            waiting = db.session.scalar(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            )
            db.session.rollback()
            if waiting:
                return
            time.sleep(0.02)


@pytest.fixture
def postgres_only(app: Flask) -> None:
    """The late-commit anomaly needs concurrent writers; SQLite has a single writer."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite serializes writers: a late commit cannot be overtaken there")


def test_a_late_commit_is_not_skipped(app, team, postgres_only):
    """With commit-order numbering the puller gets both changes, the late one included."""
    seen, t1, t2 = _late_commit_scenario(app, team)
    assert {t1, t2} <= seen


def test_without_the_lock_the_late_commit_would_be_skipped(app, team, postgres_only, monkeypatch):
    """The same scenario with plain sequence numbers loses T1: the test can see the bug."""
    monkeypatch.setattr(changelog, "take_change_lock", lambda session: None)
    seen, t1, t2 = _late_commit_scenario(app, team)
    assert t2 in seen
    assert t1 not in seen


def test_concurrent_writers_with_late_commits_and_rollbacks_miss_nothing(app, team):
    """Writers commit after random delays or roll back while a puller pages: none missed."""
    rep, device = team.rep_a.id, team.rep_a.device_id
    committed: set[str] = set()
    rolled_back: set[str] = set()
    lock = threading.Lock()
    writers_done = threading.Event()
    errors: list[BaseException] = []

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for i in range(12):
                with app.app_context():
                    ids = [
                        str(_create_account(rep, device, f"W{seed}-{i}-{k}"))
                        for k in range(rng.randint(1, 3))
                    ]
                    db.session.flush()
                    time.sleep(rng.random() * 0.02)  # hold the transaction open a while
                    if rng.random() < 0.2:
                        db.session.rollback()
                        with lock:
                            rolled_back.update(ids)
                    else:
                        db.session.commit()
                        with lock:
                            committed.update(ids)
        except BaseException as exc:  # surfaced by the main thread
            errors.append(exc)

    seen: set[str] = set()

    def puller() -> None:
        cursor = Cursor(0)
        try:
            while not writers_done.is_set():
                got, cursor = _pull_ids(app, rep, cursor)
                seen.update(got)
                time.sleep(0.005)
            got, cursor = _pull_ids(app, rep, cursor)  # the last commits
            seen.update(got)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(5)]
    reader = threading.Thread(target=puller)
    reader.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    writers_done.set()
    reader.join(60)
    assert not errors, errors
    assert committed, "the writers committed nothing"
    assert committed - seen == set()
    assert seen & rolled_back == set()
    with app.app_context():
        in_db = {str(i) for i in db.session.scalars(select(Account.id))}
    assert in_db == committed
