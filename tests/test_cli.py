"""The flask commands that create the schema and users."""

from __future__ import annotations

from sqlalchemy import inspect, select

from server import create_app
from server.auth.models import Role, User
from server.auth.passwords import verify_password
from server.extensions import db


def test_init_db_creates_the_schema_from_migrations(tmp_path):
    """`flask init-db` on an empty SQLite file applies the migrations."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cli.sqlite'}"})
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Database ready" in result.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert {"accounts", "contacts", "users", "devices", "alembic_version"} <= tables


def test_create_user_hashes_the_password_and_refuses_duplicates(app, runner):
    """`flask create-user` stores an Argon2 hash, makes the team, and refuses a second user."""
    args = [
        "create-user",
        "--email",
        "Chef@Example.fr",
        "--name",
        "Chef",
        "--role",
        "manager",
        "--team",
        "Alpes",
    ]
    result = runner.invoke(args=args, input="une-phrase-longue\nune-phrase-longue\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "chef@example.fr"))
        assert user is not None
        assert user.role is Role.MANAGER
        assert user.team.name == "Alpes"
        assert user.password_hash.startswith("$argon2id$")
        assert verify_password(user.password_hash, "une-phrase-longue")
    again = runner.invoke(args=args, input="une-phrase-longue\nune-phrase-longue\n")
    assert again.exit_code != 0
    assert "already exists" in again.output


def test_create_user_refuses_a_short_password(app, runner):
    """A password under 10 characters is refused."""
    result = runner.invoke(
        args=["create-user", "--email", "a@b.fr", "--name", "A"], input="court\ncourt\n"
    )
    assert result.exit_code != 0
    assert "10 characters" in result.output
