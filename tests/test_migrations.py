"""The Alembic migrations build the schema the models describe, on both databases."""

from __future__ import annotations

import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from server import create_app
from server.extensions import db


def test_migrations_match_models_and_downgrade_cleanly(empty_database_url: str) -> None:
    """upgrade creates exactly the models' schema; downgrade to base removes every table."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata
            )
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.engine.dispose()


def test_contact_search_text_migration_fills_existing_rows(empty_database_url: str) -> None:
    """Contacts that existed before the search column get it filled, accents folded."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="d3dbe44c6f42")
        now = "2026-01-01 00:00:00+00:00"
        account_id, contact_id, user_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        hexes = {"a": account_id.hex, "c": contact_id.hex, "u": user_id.hex}
        if db.engine.dialect.name == "postgresql":
            hexes = {k: str(uuid.UUID(v)) for k, v in hexes.items()}
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, name, role, password_hash, active, created_at)"
                    " VALUES (:u, 'r@x.fr', 'R', 'rep', 'x', true, :now)"
                ),
                {"u": hexes["u"], "now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO accounts (id, created_at, updated_at, version, kind, name,"
                    " country, status, owner_id, tags, custom, search_text)"
                    " VALUES (:a, :now, :now, 1, 'company', 'X', 'FR', 'client', :u, '[]', '{}',"
                    " 'x')"
                ),
                {"a": hexes["a"], "u": hexes["u"], "now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO contacts (id, created_at, updated_at, version, account_id,"
                    " first_name, last_name, social_links, is_primary, custom)"
                    " VALUES (:c, :now, :now, 1, :a, 'Hélène', 'Dupré', '{}', false, '{}')"
                ),
                {"c": hexes["c"], "a": hexes["a"], "now": now},
            )
        upgrade()
        with db.engine.connect() as conn:
            value = conn.execute(text("SELECT search_text FROM contacts")).scalar_one()
        assert value == "helene dupre"
        db.engine.dispose()
