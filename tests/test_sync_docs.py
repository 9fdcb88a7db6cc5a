"""Stored documents: the database keeps each synced record's JSON (``server.sync.docs``)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text, update

from server.accounts.models import Account
from server.extensions import db
from server.notes.models import Note
from server.sync import docs, pull, sqljson
from server.sync.entities import BOOTSTRAP_ORDER, model_and_schema, schema_class

from .helpers import account_body, create, patch
from .sync_helpers import bootstrap_all, pull_all
from .test_sync_serialize import _awkward_values, _every_entity


def _check_every_document() -> int:
    """Every row's ``doc`` is the JSON ``sqljson.document`` writes from its columns now."""
    checked = 0
    dialect = db.engine.dialect.name
    for entity in BOOTSTRAP_ORDER:
        model = model_and_schema(entity)[0]  # type: ignore[index]
        table = model.__table__
        written = sqljson.document(
            entity, model, schema_class(entity), dialect, sqljson._qualified(table.name)
        )
        stmt = select(model.id, table.c.doc, written.label("written"))
        for row in db.session.execute(stmt):
            assert row.doc is not None, f"{entity} {row.id} has no document"
            assert json.loads(row.doc) == json.loads(row.written), f"{entity} {row.id}"
            checked += 1
    return checked


@pytest.fixture
def restore_triggers(app) -> Iterator[None]:
    """Put the triggers back as the code makes them, whatever the test did to them."""
    yield
    with app.app_context(), db.engine.begin() as conn:
        docs.ensure(conn)
    docs.forget()


def test_pages_read_the_stored_documents(app):
    """After ``create_all`` every trigger is current, and pages read ``doc``."""
    with app.app_context():
        docs.forget()
        assert docs.current()
        for entity in BOOTSTRAP_ORDER:
            reader = pull._reader(entity)
            assert reader.lateral is None
            assert "doc" in str(reader.json), entity


def test_every_write_keeps_the_document(app, client, team):
    """API creates and updates, raw SQL updates and deletes: each row's doc stays right."""
    _every_entity(client, team)
    with app.app_context():
        _awkward_values(client, team)
        account = create(client, team.rep_a, "/api/accounts", account_body(siret=None))
        patch(client, team.rep_a, f"/api/accounts/{account['id']}", {"city": "Vénissieux"})
        # Bypassing the ORM: a bulk UPDATE, as a script or a migration would.
        db.session.execute(update(Note).values(body=Note.body + " (relu)"))
        db.session.execute(text("UPDATE accounts SET name = 'Renommé'  WHERE city = 'Vénissieux'"))
        db.session.commit()
        assert _check_every_document() > 20
        stored = db.session.scalar(
            select(Account.__table__.c.doc).where(Account.id == uuid.UUID(account["id"]))
        )
        assert json.loads(stored)["name"] == "Renommé"
        assert json.loads(stored)["city"] == "Vénissieux"


def test_a_database_without_current_triggers_is_read_on_the_fly(
    app, client, team, restore_triggers
):
    """Triggers gone and documents wrong: pages are still right; ``ensure`` repairs both."""
    _every_entity(client, team)
    with app.app_context():
        with db.engine.begin() as conn:
            docs.uninstall(conn)
            conn.execute(text("UPDATE notes SET doc = '{\"wrong\": true}'"))
        docs.forget()
        assert not docs.current()
        entries = pull_all(client, team.rep_a.headers)[0]
        notes = [e["data"] for e in entries if e["entity"] == "note"]
        assert notes
        assert all("wrong" not in n and n["body"] for n in notes)

        with db.engine.begin() as conn:
            done = docs.ensure(conn)
        assert set(done) == {model_and_schema(e)[0].__tablename__ for e in BOOTSTRAP_ORDER}  # type: ignore[index]
        assert docs.current()
        assert _check_every_document() > 10
        with db.engine.begin() as conn:
            assert docs.ensure(conn) == []  # nothing left to do


def test_a_trigger_made_by_other_code_is_replaced(app, client, team, restore_triggers):
    """A trigger that differs from what the code makes (an older release's) is redone."""
    _every_entity(client, team)
    with app.app_context():
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("COMMENT ON FUNCTION tournee_doc_notes() IS 'older'"))
            else:
                conn.execute(text("DROP TRIGGER tournee_doc_notes_update"))
                conn.execute(
                    text(
                        "CREATE TRIGGER tournee_doc_notes_update AFTER UPDATE OF body ON notes"
                        " BEGIN UPDATE notes SET doc = '{}' WHERE rowid = NEW.rowid; END"
                    )
                )
        docs.forget()
        assert not docs.current()
        with db.engine.begin() as conn:
            assert docs.ensure(conn) == ["notes"]
        assert docs.current()
        db.session.execute(update(Note).values(body="Nouveau texte"))
        db.session.commit()
        assert _check_every_document() > 10


def test_a_page_of_stored_documents_equals_one_written_on_the_fly(app, client, team):
    """The same pull, read from ``doc`` and written on the fly: the same entries."""
    _every_entity(client, team)
    with app.app_context():
        _awkward_values(client, team)
    stored = pull_all(client, team.rep_a.headers)[0]
    with app.app_context():
        # As a worker that found the triggers out of date would read.
        docs._CURRENT[db.engine.url] = False
    try:
        written = pull_all(client, team.rep_a.headers)[0]
    finally:
        docs.forget()
    assert len(stored) > 10
    assert stored == written


def test_a_row_without_its_document_is_written_on_the_fly(app, client, team, restore_triggers):
    """A NULL ``doc`` (a row written while the triggers were disabled) is never sent as null."""
    _every_entity(client, team)
    with app.app_context(), db.engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.execute(text("ALTER TABLE notes DISABLE TRIGGER tournee_doc"))
        conn.execute(text("UPDATE notes SET doc = NULL"))
        if postgres:
            conn.execute(text("ALTER TABLE notes ENABLE TRIGGER tournee_doc"))
    with app.app_context():
        docs.forget()
        assert docs.current()
        assert db.session.scalar(select(Note.__table__.c.doc).limit(1)) is None
    notes = [e for e in pull_all(client, team.rep_a.headers)[0] if e["entity"] == "note"]
    bootstrap = [e for e in bootstrap_all(client, team.rep_a.headers)[0] if e["entity"] == "note"]
    with app.app_context():
        docs._CURRENT[db.engine.url] = False  # as a worker that reads on the fly
    try:
        written = [e for e in pull_all(client, team.rep_a.headers)[0] if e["entity"] == "note"]
    finally:
        docs.forget()
    assert notes
    assert all(e["data"]["body"] for e in notes)
    assert notes == written
    assert sorted(bootstrap, key=lambda e: e["id"]) == sorted(written, key=lambda e: e["id"])


def test_the_trigger_sql_writes_a_percent_sign_as_it_is():
    """The DDL runs without parameters: a ``%`` in a literal must not be doubled."""
    from sqlalchemy import literal

    for dialect in docs._dialects().values():
        sql = str(
            select(literal("remise 5%")).compile(
                dialect=dialect, compile_kwargs={"literal_binds": True}
            )
        )
        assert "'remise 5%'" in sql, sql
