"""Stored documents: each synced record's JSON, written by the database when the row is.

A pull page sends the latest state of up to a thousand records. Writing their JSON as the
page was read (``row_to_json`` on PostgreSQL, ``json_object`` on SQLite) was half the
database's time of a page, and the same record was written again for every device that
pulled it. Instead every synced table has a ``doc`` column that a trigger fills whenever a
row is inserted or updated, by whatever path (the ORM, the sync push's queued rows, a
bulk ``UPDATE``, a migration, ``psql``): pages read it as it is.

``doc`` holds what :func:`sqljson.document` writes: the fields the database can write
exactly (``sqljson``); the others (an account's ``warnings``, a contact's ``consents``,
SQLite's floats) are still dumped in Python when a page is read. The triggers are
generated from the same code as the JSON written on the fly, so the two cannot differ:

- PostgreSQL: a PL/pgSQL function per table, ``tournee_doc_<table>``, run by the
  trigger ``tournee_doc`` BEFORE INSERT OR UPDATE, sets ``NEW.doc``; the function's
  comment is a fingerprint of the code that made it.
- SQLite (whose triggers cannot change ``NEW``): ``tournee_doc_<table>_insert`` AFTER
  INSERT and ``tournee_doc_<table>_update`` AFTER UPDATE OF every other column update the
  row's ``doc``. SQLite keeps each trigger's SQL, which is its fingerprint.

:func:`ensure` installs the triggers that are missing or differ from the code, and then
writes every row's ``doc`` again. It runs when ``db.create_all`` creates the tables and
after migrations reach the head (``migrations/env.py``), so a change of a schema or a
model is applied by ``flask init-db``. A worker reads ``doc`` only when :func:`current`
finds every trigger as the code would make it (checked once per process); otherwise pages
are written on the fly, as before: a database left behind is slower, never wrong.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from sqlalchemy import Connection, event, inspect, literal_column, text

from ..extensions import db
from . import sqljson
from .entities import BOOTSTRAP_ORDER, model_and_schema, schema_class

#: Name of the PostgreSQL trigger on each table, and prefix of every object made here.
TRIGGER = "tournee_doc"


def _tables() -> list[tuple[str, type]]:
    """(entity, model) of every synced entity."""
    out = []
    for entity in BOOTSTRAP_ORDER:
        found = model_and_schema(entity)
        if found is not None:
            out.append((entity, found[0]))
    return out


def _document(entity: str, model: type, dialect: str, prefix: str) -> str:
    """SQL text of ``entity``'s document, its columns read as ``prefix."<column>"``."""

    def column(col: Any) -> Any:
        return literal_column(f'{prefix}."{col.name}"', type_=col.type)

    expression = sqljson.document(entity, model, schema_class(entity), dialect, column)
    dialect_obj = _dialects()[dialect]
    return str(expression.compile(dialect=dialect_obj, compile_kwargs={"literal_binds": True}))


def _dialects() -> dict[str, Any]:
    """The SQLAlchemy dialects DDL is compiled for.

    PostgreSQL's with the ``named`` parameter style: under the drivers' ``pyformat``
    a ``%`` in a literal would be written ``%%``, and the DDL runs without parameters.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    return {"postgresql": postgresql.dialect(paramstyle="named"), "sqlite": sqlite.dialect()}


def _fingerprint(sql: str) -> str:
    """A short hash of ``sql``."""
    return hashlib.sha256(sql.encode()).hexdigest()[:24]


@functools.cache
def statements(dialect: str) -> dict[str, list[str]]:
    """Per table, the DDL that installs its trigger(s) on ``dialect`` (made once)."""
    return _made(dialect)[0]


def _expected(dialect: str) -> dict[str, tuple[str, str]]:
    """What the database holds when every trigger is as the code makes it.

    Per key of :func:`_installed`: (table, value).
    """
    return _made(dialect)[1]


@functools.cache
def _made(dialect: str) -> tuple[dict[str, list[str]], dict[str, tuple[str, str]]]:
    """(:func:`statements`, :func:`_expected`), made together from the code."""
    ddl: dict[str, list[str]] = {}
    expected: dict[str, tuple[str, str]] = {}
    for entity, model in _tables():
        table = model.__table__.name
        document = _document(entity, model, dialect, "NEW")
        if dialect == "postgresql":
            function = f"{TRIGGER}_{table}"
            body = f"BEGIN\n  NEW.doc := {document};\n  RETURN NEW;\nEND"
            fingerprint = _fingerprint(body)
            ddl[table] = [
                f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql"
                f" AS $tournee$\n{body}\n$tournee$",
                f"COMMENT ON FUNCTION {function}() IS '{fingerprint}'",
                f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{table}"',
                f'CREATE TRIGGER {TRIGGER} BEFORE INSERT OR UPDATE ON "{table}"'
                f" FOR EACH ROW EXECUTE FUNCTION {function}()",
            ]
            expected[table] = (table, fingerprint)
        else:
            others = ", ".join(f'"{c.name}"' for c in model.__table__.columns if c.name != "doc")
            update = f'UPDATE "{table}" SET doc = {document} WHERE rowid = NEW.rowid;'
            ddl[table] = []
            for name, when in (
                ("insert", f'AFTER INSERT ON "{table}"'),
                ("update", f'AFTER UPDATE OF {others} ON "{table}"'),
            ):
                trigger = f"{TRIGGER}_{table}_{name}"
                sql = f"CREATE TRIGGER {trigger} {when} BEGIN {update} END"
                ddl[table].append(sql)  # SQLite keeps the text as it is written
                expected[trigger] = (table, sql)
    return ddl, expected


def _installed(connection: Connection) -> dict[str, str]:
    """What the database holds: per table its function's fingerprint (PostgreSQL), per
    trigger its SQL (SQLite)."""
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            text(
                "SELECT c.relname, obj_description(p.oid, 'pg_proc') FROM pg_trigger t"
                " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid"
                " WHERE t.tgname = :name AND t.tgenabled <> 'D'"
                " AND c.relnamespace = to_regnamespace(current_schema())"
            ),
            {"name": TRIGGER},
        )
    else:
        rows = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE :p"),
            {"p": f"{TRIGGER}_%"},
        )
    return {name: value for name, value in rows}  # noqa: C416 - Row pairs


def _missing(connection: Connection) -> list[str]:
    """Tables whose triggers are missing or differ from the code's."""
    installed = _installed(connection)
    expected = _expected(connection.dialect.name).items()
    return sorted({table for key, (table, value) in expected if installed.get(key) != value})


def _has_doc_columns(connection: Connection) -> bool:
    """Every synced table exists and has its ``doc`` column (a migration may be mid-way)."""
    inspector = inspect(connection)
    names = set(inspector.get_table_names())
    for _entity, model in _tables():
        table = model.__table__.name
        if table not in names:
            return False
        if "doc" not in {c["name"] for c in inspector.get_columns(table)}:
            return False
    return True


def ensure(connection: Connection) -> list[str]:
    """Install the triggers that are missing or out of date and rewrite those tables' docs.

    Returns the tables done (none when every trigger was current). Does nothing while
    a synced table or its ``doc`` column is missing (a database being migrated).
    """
    if not _has_doc_columns(connection):
        return []
    tables = _missing(connection)
    ddl = statements(connection.dialect.name)
    for table in tables:
        if connection.dialect.name == "sqlite":
            for name in ("insert", "update"):
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {TRIGGER}_{table}_{name}")
        for sql in ddl[table]:
            connection.exec_driver_sql(sql)
        _rewrite(connection, table)
    if tables:
        forget()
    return tables


def _rewrite(connection: Connection, table: str) -> None:
    """Write every row's ``doc`` of ``table`` again, from its columns."""
    dialect = connection.dialect.name
    for entity, model in _tables():
        if model.__table__.name == table:
            document = _document(entity, model, dialect, f'"{table}"')
            connection.exec_driver_sql(f'UPDATE "{table}" SET doc = {document}')


def uninstall(connection: Connection) -> None:
    """Drop every trigger (and function) made here that the database has."""
    dialect = connection.dialect.name
    installed = _installed(connection)
    for table in statements(dialect):
        if dialect == "postgresql":
            if table in installed:
                connection.exec_driver_sql(f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{table}"')
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {TRIGGER}_{table}()")
        else:
            for name in ("insert", "update"):
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {TRIGGER}_{table}_{name}")
    forget()


#: Per database (engine URL): whether its triggers were current when first asked.
_CURRENT: dict[Any, bool] = {}


def current() -> bool:
    """Whether pages may read ``doc``: every trigger is as the code makes it.

    Asked of the app's database once per process (in the session's transaction).
    """
    key = db.engine.url
    found = _CURRENT.get(key)
    if found is None:
        connection = db.session.connection()
        found = _CURRENT[key] = _has_doc_columns(connection) and not _missing(connection)
    return found


def forget() -> None:
    """Ask :func:`current` again (after triggers were installed or dropped)."""
    _CURRENT.clear()


def _after_create(target: Any, connection: Connection, **_kw: Any) -> None:
    """``db.create_all`` made the tables: install the triggers."""
    ensure(connection)


def _before_drop(target: Any, connection: Connection, **_kw: Any) -> None:
    """``db.drop_all``: drop the triggers and functions first."""
    if _has_doc_columns(connection):
        uninstall(connection)


def init_app() -> None:
    """Install the triggers whenever ``db.create_all`` creates the tables (once)."""
    if not event.contains(db.metadata, "after_create", _after_create):
        event.listen(db.metadata, "after_create", _after_create)
        event.listen(db.metadata, "before_drop", _before_drop)
