"""JSON columns are written by ``dbtypes.dumps_json`` (orjson, else the standard library)."""

from __future__ import annotations

import json
import uuid

import pytest
from flask import Flask
from sqlalchemy import select, text

from server.dbtypes import dumps_json
from server.extensions import db
from server.sync.models import SyncMutation

from .conftest import TeamFixture


@pytest.mark.parametrize(
    "value",
    [
        {"name": "Épicerie fine Lefèvre", "tags": ["bio", "AOP"], "n": 3, "x": 1.5, "ok": True},
        {"nested": {"deep": [None, {"a": [1, 2.25, "ç"]}]}, "empty": {}, "none": None},
        ["a", 0, -1, 1e-7, 123456789012345678],
        'just text with "quotes" and \\ backslashes and \n newlines',
        {1: "int key", 2.5: "float key", None: "none key"},
    ],
)
def test_same_json_value_as_the_standard_library(value: object) -> None:
    assert json.loads(dumps_json(value)) == json.loads(json.dumps(value))


def test_what_orjson_refuses_goes_to_the_standard_library() -> None:
    big = {"n": 2**70}
    assert dumps_json(big) == json.dumps(big)
    with pytest.raises(TypeError):
        dumps_json({"x": object()})  # refused by both, as before


def test_engines_write_json_columns_with_it(app: Flask, team: TeamFixture) -> None:
    """A JSON column's text is compact with accents as UTF-8 (SQLite keeps the text)."""
    payload = {"name": "Boulangerie Pélissier", "tags": ["fidèle"]}
    with app.app_context():
        db.session.add(
            SyncMutation(
                device_id=team.rep_a.device_id,
                mid=1,
                user_id=team.rep_a.id,
                entity="account",
                op="create",
                record_id=uuid.uuid4(),
                base_version=None,
                payload=payload,
                outcome={"mid": 1, "status": "applied"},
                status="applied",
            )
        )
        db.session.commit()
        stored = db.session.execute(text("SELECT payload FROM sync_mutations")).scalar_one()
        assert db.session.scalars(select(SyncMutation.payload)).one() == payload
        if db.engine.dialect.name == "sqlite":
            assert stored == dumps_json(payload)
            assert "Pélissier" in stored
            assert ", " not in stored
        else:  # JSONB: the driver gives the value back
            assert stored == payload
