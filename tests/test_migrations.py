"""The Alembic migrations build the schema the models describe, on both databases."""

from __future__ import annotations

import json
import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import Connection, inspect, text

from server import create_app
from server.extensions import db
from server.sync import docs


def _as_stored(**ids: uuid.UUID) -> dict[str, str]:
    """UUIDs as a raw INSERT writes them: 32 hex digits on SQLite, canonical text on PostgreSQL."""
    postgres = db.engine.dialect.name == "postgresql"
    return {key: str(value) if postgres else value.hex for key, value in ids.items()}


def _insert_user(conn: Connection, user_id: str) -> None:
    """A rep, written with raw SQL (as of any revision)."""
    conn.execute(
        text(
            "INSERT INTO users (id, email, name, role, password_hash, active, created_at)"
            " VALUES (:u, 'r@x.fr', 'R', 'rep', 'x', true, '2026-01-01 00:00:00+00:00')"
        ),
        {"u": user_id},
    )


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
        with db.engine.connect() as conn:
            assert docs._missing(conn) == []  # the head has every stored-document trigger
            assert len(docs._installed(conn)) >= 10
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        with db.engine.connect() as conn:
            assert docs._installed(conn) == {}
            if conn.dialect.name == "postgresql":
                functions = "SELECT count(*) FROM pg_proc WHERE proname LIKE 'tournee_doc_%'"
                assert conn.execute(text(functions)).scalar_one() == 0
        db.engine.dispose()


def test_contact_search_text_migration_fills_existing_rows(empty_database_url: str) -> None:
    """Contacts that existed before the search column get it filled, accents folded."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="d3dbe44c6f42")
        now = "2026-01-01 00:00:00+00:00"
        hexes = _as_stored(a=uuid.uuid4(), c=uuid.uuid4(), u=uuid.uuid4())
        with db.engine.begin() as conn:
            _insert_user(conn, hexes["u"])
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


def test_reaching_the_head_writes_the_documents_of_existing_rows(empty_database_url: str) -> None:
    """Rows written before the stored documents existed get theirs when the head is reached."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="0005_interaction_presence")
        account_id = uuid.uuid4()
        ids = _as_stored(a=account_id, u=uuid.uuid4())
        with db.engine.begin() as conn:
            _insert_user(conn, ids["u"])
            conn.execute(
                text(
                    "INSERT INTO accounts (id, created_at, updated_at, version, kind, name,"
                    " country, status, owner_id, tags, custom, search_text)"
                    " VALUES (:a, '2026-01-01 08:00:00.250000+00:00',"
                    " '2026-01-01 08:00:00+00:00', 3, 'company', 'Épicerie Zoé', 'FR',"
                    " 'client', :u, '[\"bio\"]', '{}', 'epicerie zoe')"
                ),
                ids,
            )
        upgrade()
        docs.forget()
        assert docs.current()
        with db.engine.connect() as conn:
            stored = conn.execute(text("SELECT doc FROM accounts")).scalar_one()
        document = json.loads(stored)
        assert document["id"] == str(account_id)
        assert document["name"] == "Épicerie Zoé"
        assert document["version"] == 3
        assert document["tags"] == ["bio"]
        assert document["created_at"] == "2026-01-01T08:00:00.250000+00:00"
        db.engine.dispose()
    docs.forget()
