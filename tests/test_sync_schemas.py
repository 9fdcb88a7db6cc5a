"""The push envelope's plain path loads exactly what the schema loads, or steps aside."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from server import create_app, crud
from server.sync.schemas import MutationSchema, PushSchema, plain_mutations

UUID = "5b0c3c1e-8a43-4d1c-9a57-0d3f4a1b2c3d"


def schema_result(raw: Any) -> Any:
    """What the schema loads from ``raw`` (a list of mutations), or the error."""
    try:
        return MutationSchema(many=True).load(raw)
    except ValidationError as err:
        return err


def valid(**changes: Any) -> dict[str, Any]:
    """A plainly valid mutation with ``changes``."""
    return {
        "mid": 1,
        "entity": "note",
        "op": "create",
        "id": UUID,
        "fields": {"body": "x"},
        **changes,
    }


# Values that sit on either side of each rule of MutationSchema.
_any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2)
    ),
    max_leaves=4,
)
_mids = st.sampled_from([0, 1, 2, 2**53, 2**53 + 1, -1, True, 1.0, "1", None]) | st.integers()
_entities = st.sampled_from(
    [
        "account",
        "note",
        "interaction",
        " note",
        "note ",
        "",
        "Note",
        "nope",
        "x" * 31,
        "st\x00",
        3,
        None,
    ]
)
_ops = st.sampled_from(["create", "update", "delete", "Create", "", " create", 1, None])
_ids = st.sampled_from(
    [
        UUID,
        UUID.upper(),
        "{" + UUID + "}",
        "urn:uuid:" + UUID,
        UUID.replace("-", ""),
        "x",
        "",
        5,
        None,
    ]
)
_versions = st.sampled_from([None, 0, 1, 2_000_000_000, 2_000_000_001, -1, True, 1.5, "2"])
_keys = st.sampled_from(
    ["body", "account_id", " body", "body ", "", "b" * 60, "b" * 61, "é", "a\x00", "a\tb", "\ud800"]
)
_fields = st.dictionaries(_keys, _any_json, max_size=3) | _any_json


@st.composite
def mutations(draw: st.DrawFn) -> Any:
    """A mutation with each key present or not, each value valid or not."""
    out: dict[str, Any] = {}
    for key, values in (
        ("mid", _mids),
        ("entity", _entities),
        ("op", _ops),
        ("id", _ids),
        ("base_version", _versions),
        ("fields", _fields),
    ):
        if draw(st.integers(0, 4)):  # present 4 times out of 5
            out[key] = draw(values)
    if draw(st.integers(0, 9)) == 0:
        out[draw(st.sampled_from(["extra", "Mid", "id "]))] = 1
    return out


@settings(max_examples=400, deadline=None)
@given(st.lists(mutations(), max_size=3) | _any_json)
def test_the_plain_path_loads_what_the_schema_loads_or_steps_aside(raw: Any) -> None:
    """Whenever the plain path answers, the schema accepts the batch and loads the same."""
    plain = plain_mutations(raw)
    if plain is not None:
        assert plain == schema_result(raw)


@pytest.mark.parametrize(
    "mutation",
    [
        valid(),
        valid(fields={}),
        {k: v for k, v in valid().items() if k != "fields"},
        valid(base_version=None),
        valid(base_version=0, op="update"),
        valid(mid=2**53, entity="account", fields={"name": "A", "tags": ["x"]}),
        valid(id=UUID.upper()),
    ],
)
def test_well_formed_mutations_take_the_plain_path(mutation: dict[str, Any]) -> None:
    """The usual batch never pays for the nested schema."""
    plain = plain_mutations([mutation])
    assert plain is not None
    assert plain == MutationSchema(many=True).load([mutation])


def test_a_batch_loads_the_same_through_push_schema_either_way() -> None:
    """PushSchema.load gives the schema's result for plain and for unusual batches."""
    unusual = valid(entity="unknown_thing")  # valid for the schema, rejected later
    for batch in ([valid(), valid(mid=2)], [valid(), unusual]):
        body = {"protocol": 1, "mutations": batch, "pending": 3, "app_version": " 1.2 "}
        expected = marshmallow_load(body)
        assert PushSchema().load(body) == expected
    body = {"protocol": 1, "mutations": [valid()], "extra": True}
    with pytest.raises(ValidationError) as caught:
        PushSchema().load(body)
    assert "extra" in caught.value.messages
    with pytest.raises(ValidationError) as caught:
        PushSchema().load({"protocol": "1", "mutations": [valid(mid=0)]})
    assert set(caught.value.messages) == {"protocol", "mutations"}


def marshmallow_load(body: dict[str, Any]) -> Any:
    """PushSchema's marshmallow load alone."""
    return super(PushSchema, PushSchema()).load(body)


def test_the_plain_path_keeps_values_and_types() -> None:
    """The loaded id is a UUID, base_version defaults to None, fields are a new dict."""
    fields = {"body": "x"}
    [loaded] = plain_mutations(
        [{"mid": 3, "entity": "note", "op": "create", "id": UUID, "fields": fields}]
    )
    assert loaded == {
        "mid": 3,
        "entity": "note",
        "op": "create",
        "id": uuid.UUID(UUID),
        "base_version": None,
        "fields": fields,
    }
    assert loaded["fields"] is not fields


# --- a create's fields, loaded by the schema restricted to what it can use -----------------

_DATES = ["2026-03-02", "2026-03-02T09:00:00+01:00", "visit", "done", "prospect_hot"]
_values = (
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.text(max_size=4)
    | st.sampled_from([*_DATES, UUID, "06 12 34 56 78"])
)


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    """The REST resources (registered by the app factory; loading needs no database)."""
    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return crud.RESOURCES


def _create_bodies(schema: type) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies naming some of the schema's fields (dump-only ones too) and an unknown key."""
    names = [*sorted(crud.schema_instance(schema).fields), "unknown_key"]
    return st.dictionaries(st.sampled_from(names), _values, max_size=8)


def _outcome(schema: Any, body: dict[str, Any]) -> Any:
    """The loaded data, or the error messages."""
    try:
        return schema.load(body, partial=False)
    except ValidationError as err:
        return ("errors", err.messages)


@pytest.mark.parametrize("entity", ["account", "contact", "interaction", "note", "order"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_create_loads_the_same_through_the_restricted_schema(
    resources: dict[str, Any], entity: str, data: Any
) -> None:
    """Same data or same errors, keys in the same order, as the whole schema, for any body."""
    schema = resources[entity].schema
    body = data.draw(_create_bodies(schema))
    expected = _outcome(crud.schema_instance(schema), body)
    got = _outcome(crud.schema_for_create(schema, body), body)
    assert got == expected
    assert repr(got) == repr(expected)
