"""A record created by a sync push is stored exactly as the same record created by the REST API.

A push inserts its new records as rows with SQLAlchemy Core (``server.newrows``), the REST
API through ORM objects. For every pushable entity, the same fields sent both ways give
the same row (every column, NULL and JSON null told apart), the same change-log entry
and, for an account, the same first status change: only ids and clock readings differ.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import Table, select

from server.extensions import db
from server.sync.models import ChangeRow

from .conftest import Person, TeamFixture
from .helpers import account_body, create
from .sync_helpers import new_id, push

#: Columns that differ by nature between two records: identity and clock readings.
OWN = {"id", "created_at", "updated_at", "geocoded_at", "changed_at", "account_id"}


def stored(table_name: str, record_id: Any, key: str = "id") -> list[dict[str, Any]]:
    """The rows of ``table_name`` whose ``key`` is ``record_id``; each column with its NULL-ness.

    JSON columns read back ``None`` for SQL NULL and for JSON null alike: ``IS NULL`` says which.
    """
    table: Table = db.metadata.tables[table_name]
    columns = list(table.c)
    nulls = [c.is_(None).label(f"{c.key} IS NULL") for c in columns]
    rows = db.session.execute(
        select(*columns, *nulls).where(table.c[key] == uuid.UUID(str(record_id)))
    )
    out = [{k: v for k, v in row._mapping.items() if k.split(" ")[0] not in OWN} for row in rows]
    for row in out:  # the stored document (server.sync.docs) holds the id and clock readings
        if row.get("doc") is not None:
            row["doc"] = {k: v for k, v in json.loads(row["doc"]).items() if k not in OWN}
    return out


def change_fields(record_id: Any) -> dict[str, Any]:
    """The ``fields`` of the create's change-log row, clock readings left out."""
    row = db.session.scalars(
        select(ChangeRow).where(ChangeRow.record_id == uuid.UUID(str(record_id)))
    ).one()
    return {k: v for k, v in row.fields.items() if k not in OWN}


def both_ways(client: Any, who: Person, path: str, entity: str, body: dict[str, Any]) -> tuple:
    """Create the record through ``path`` and through a push; return both ids."""
    rest_id = create(client, who, path, body)["id"]
    pushed_id = new_id()
    mutation = {"mid": 1, "entity": entity, "op": "create", "id": pushed_id, "fields": body}
    outcome = push(client, who.headers, [mutation]).get_json()["outcomes"][0]
    assert outcome["status"] == "applied", outcome
    return rest_id, pushed_id


def account(client: Any, who: Person) -> str:
    """An account to hang records under."""
    return create(client, who, "/api/accounts", account_body(siret=None))["id"]


CASES = {
    "account": (
        "/api/accounts",
        lambda refs: account_body(
            siret=None,
            trade_name="  Chez Martin ",
            tags=["bio", "pain"],
            phone="04 73 12 34 56",
            email="Contact@Martin.FR",
            opening_hours=None,
            description=None,
            custom={},
            visit_frequency_days=30,
            latitude=None,
        ),
    ),
    "contact": (
        "/api/contacts",
        lambda refs: {
            "account_id": refs["account"],
            "civility": "Mme",
            "first_name": "Hélène",
            "last_name": "Durand",
            "mobile": "06 12 34 56 78",
            "phone": None,
            "is_primary": True,
        },
    ),
    "interaction": (
        "/api/interactions",
        lambda refs: {
            "account_id": refs["account"],
            "contact_ids": [refs["contact"]],
            "kind": "visit",
            "status": "done",
            "starts_at": "2026-03-02T09:00:00+01:00",
            "ends_at": "2026-03-02T09:45:00+01:00",
            "subject": "Tournée de printemps",
            "summary": "Commande de 40 cartons.\nRappeler en avril.",
            "outcome": "order",
            "next_step": None,
        },
    ),
    "note": (
        "/api/notes",
        lambda refs: {"account_id": refs["account"], "body": "Rappeler après le salon"},
    ),
    "followup": (
        "/api/followups",
        lambda refs: {
            "account_id": refs["account"],
            "contact_id": refs["contact"],
            "due_date": "2026-04-01",
            "reason": "Envoyer le tarif",
        },
    ),
    "opportunity": (
        "/api/opportunities",
        lambda refs: {
            "account_id": refs["account"],
            "title": "Gamme bio",
            "amount": "1250.50",
            "probability": 40,
            "expected_close_date": None,
        },
    ),
    "order": (
        "/api/orders",
        lambda refs: {
            "account_id": refs["account"],
            "reference": "CMD-42",
            "order_date": "2026-02-01",
            "amount_excl_vat": "980.00",
        },
    ),
}


@pytest.mark.parametrize("entity", sorted(CASES))
def test_a_pushed_create_stores_what_the_rest_api_stores(
    app: Any, client: Any, team: TeamFixture, entity: str
) -> None:
    """Same fields, same row, same change-log entry (and same status history for an account)."""
    who = team.manager if entity == "order" else team.rep_a  # orders: managers write them
    refs: dict[str, Any] = {"account": account(client, who)}
    refs["contact"] = create(
        client, who, "/api/contacts", {"account_id": refs["account"], "last_name": "Roux"}
    )["id"]
    path, body = CASES[entity]
    rest_id, pushed_id = both_ways(client, who, path, entity, body(refs))
    with app.app_context():
        table = db.metadata.tables[_table_of(entity)]
        assert stored(table.name, pushed_id) == stored(table.name, rest_id)
        assert stored(table.name, pushed_id)  # the row is there
        assert change_fields(pushed_id) == change_fields(rest_id)
        if entity == "account":
            history = stored("status_changes", pushed_id, key="account_id")
            assert history == stored("status_changes", rest_id, key="account_id")
            assert len(history) == 1


def _table_of(entity: str) -> str:
    """The table of a pushable entity."""
    from server import crud

    return crud.RESOURCES[entity].model.__tablename__


def test_insert_rows_stores_what_an_insert_stores(app: Any, team: TeamFixture) -> None:
    """The change log's and stored outcomes' bulk insert (COPY on PostgreSQL) equals an INSERT.

    JSON null and SQL NULL, nested JSON, text beyond ASCII, timestamps given in another
    zone (stored in UTC), and the sequence numbering the change log.
    """
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import insert

    from server.dbfuncs import insert_rows

    paris = timezone(timedelta(hours=1))

    def change(record_id: uuid.UUID) -> dict[str, Any]:
        return {
            "entity": "account",
            "record_id": record_id,
            "account_id": None,
            "op": "update",
            "version": 2,
            "fields": {"name": [None, "Hélène \u2028 «»"], "tags": [["a"], []], "x": {"y": None}},
            "user_id": team.rep_a.id,
            "device_id": None,
            "at": datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=paris),
            "old_owner_id": team.rep_a.id,
            "new_owner_id": None,
        }

    def outcome(mid: int, payload: Any) -> dict[str, Any]:
        return {
            "device_id": team.rep_a.device_id,
            "mid": mid,
            "user_id": team.rep_a.id,
            "entity": "note",
            "op": "create",
            "record_id": uuid.UUID(int=mid),
            "base_version": None,
            "payload": payload,
            "outcome": {"status": "applied", "version": 1, "detail": None},
            "status": "applied",
            "received_at": datetime(2026, 3, 2, 9, 30, tzinfo=paris),
        }

    with app.app_context():
        changes = db.metadata.tables["changes"]
        outcomes = db.metadata.tables["sync_mutations"]
        ours, theirs = uuid.uuid4(), uuid.uuid4()
        connection = db.session.connection()
        insert_rows(connection, changes, [change(ours), change(ours)])
        connection.execute(insert(changes), [change(theirs), change(theirs)])
        insert_rows(connection, outcomes, [outcome(1, None), outcome(2, {"a": [1, None]})])
        connection.execute(insert(outcomes), [outcome(3, None), outcome(4, {"a": [1, None]})])
        db.session.commit()

        def logged(record_id: uuid.UUID) -> list[dict[str, Any]]:
            rows = stored("changes", record_id, key="record_id")
            return [
                {k: v for k, v in r.items() if k.split(" ")[0] not in ("seq", "record_id")}
                for r in rows
            ]

        mine = logged(ours)
        assert mine == logged(theirs)
        assert len(mine) == 2
        seqs = db.session.scalars(select(changes.c.seq).order_by(changes.c.seq)).all()
        assert len(set(seqs)) == 4
        assert seqs == sorted(seqs)
        by_mid = {
            row.mid: row
            for row in db.session.execute(
                select(outcomes, outcomes.c.payload.is_(None).label("payload_is_null"))
            )
        }
        for copied, inserted in ((1, 3), (2, 4)):
            a, b = by_mid[copied]._asdict(), by_mid[inserted]._asdict()
            for name in ("mid", "record_id"):
                a.pop(name), b.pop(name)
            assert a == b
        assert by_mid[1].received_at == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
