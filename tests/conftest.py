"""Fixtures: the app on every database backend, a client, and a team of users with tokens.

Every test that uses ``app`` runs once on SQLite and, when ``TEST_DATABASE_URL``
names a PostgreSQL database, once more on PostgreSQL. With
``TOURNEE_REQUIRE_POSTGRES=1`` (set by .ci/run) the session fails if the
PostgreSQL leg did not run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server import create_app
from server.auth.models import Device, Role, Team, User
from server.auth.passwords import hash_password
from server.auth.tokens import new_token
from server.extensions import db

PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_password(PASSWORD)  # hashing is slow on purpose: do it once
_backends_run: set[str] = set()


def _postgres_url() -> str | None:
    """The PostgreSQL URL of the second leg, in psycopg 3 form, or None."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url or None


def _wipe(app: Flask) -> None:
    """Delete every row, keeping the schema (fast enough to do after each test)."""
    with app.app_context():
        db.session.remove()
        tables = db.metadata.sorted_tables
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(text(f"TRUNCATE {names} CASCADE"))
            else:
                for table in reversed(tables):
                    conn.execute(table.delete())


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """One app per database backend for the whole session, schema created from the models."""
    if request.param == "postgresql":
        uri = _postgres_url()
        if uri is None:
            pytest.skip("PostgreSQL leg skipped: set TEST_DATABASE_URL to run it")
    else:
        uri = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": uri,
            "LOGIN_RATE_LIMIT": "10000 per minute",
            "DEVICE_SEEN_RESOLUTION_S": 0,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
    _backends_run.add(request.param)
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def app(backend_app: Flask) -> Iterator[Flask]:
    """The app of the current backend, with an empty database after the test."""
    yield backend_app
    _wipe(backend_app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    """A CLI runner of ``app``."""
    return app.test_cli_runner()


@dataclass
class Person:
    """A user of the test team and the headers that authenticate as them."""

    id: uuid.UUID
    email: str
    role: Role
    token: str
    device_id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        """Authorization header for this person's device."""
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class TeamFixture:
    """Two teams: north (manager + reps a and b) and south (manager + rep c), and an admin."""

    admin: Person
    manager: Person
    rep_a: Person
    rep_b: Person
    manager_south: Person
    rep_c: Person

    def all(self) -> list[Person]:
        """Everyone, in a stable order."""
        return [self.admin, self.manager, self.rep_a, self.rep_b, self.manager_south, self.rep_c]


def make_user(email: str, role: Role, team: Team | None) -> Person:
    """Create a user with a registered device and a live token (inside an app context)."""
    user = User(
        email=email,
        name=email.split("@")[0].title(),
        role=role,
        team=team,
        password_hash=_PASSWORD_HASH,
    )
    db.session.add(user)
    db.session.flush()
    token, digest = new_token()
    device = Device(id=uuid.uuid4(), user_id=user.id, name="test", token_hash=digest)
    db.session.add(device)
    db.session.flush()
    return Person(user.id, email, role, token, device.id)


@pytest.fixture
def team(app: Flask) -> TeamFixture:
    """A small organisation to test rights with."""
    with app.app_context():
        north, south = Team(name="Nord"), Team(name="Sud")
        db.session.add_all([north, south])
        db.session.flush()
        people = TeamFixture(
            admin=make_user("admin@example.fr", Role.ADMIN, None),
            manager=make_user("manager@example.fr", Role.MANAGER, north),
            rep_a=make_user("rep.a@example.fr", Role.REP, north),
            rep_b=make_user("rep.b@example.fr", Role.REP, north),
            manager_south=make_user("manager.sud@example.fr", Role.MANAGER, south),
            rep_c=make_user("rep.c@example.fr", Role.REP, south),
        )
        db.session.commit()
    return people


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when PostgreSQL was required but its leg never ran."""
    required = os.environ.get("TOURNEE_REQUIRE_POSTGRES") == "1"
    if required and "postgresql" not in _backends_run and session.testscollected:
        print("\nERROR: TOURNEE_REQUIRE_POSTGRES=1 but no test ran on PostgreSQL")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A URL of a brand-new empty database on each backend, for tests that build the schema
    themselves or run a server process (PostgreSQL: a scratch database, dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.sqlite'}"
        return
    url = _postgres_url()
    if url is None:
        pytest.skip("PostgreSQL leg skipped: set TEST_DATABASE_URL to run it")
    name = f"tournee_scratch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
