"""What the REST schema's ``dump`` gives, for whole pages of records (pull and bootstrap).

A first sync sends tens of thousands of records; marshmallow's per-field machinery and
one ORM object per row were most of its time. Here records are read as plain rows (no
ORM objects) and each schema gets a plan, made once from its own fields: a field whose
class serializes like marshmallow's plain ``String``, ``UUID``, ``Integer``, ``Float``,
``Enum`` (by value), ``DateTime``/``Date`` (ISO) or ``Dict`` is converted inline; any
other field (the account's computed ``warnings``, money as text, booleans...) is asked
to serialize itself, exactly as ``Schema.dump`` would. A contact's ``consents`` (one
query per contact through its schema) are read for the whole page in one query.

``tests/test_sync_serialize.py`` proves that the result equals ``schema.dump`` for every
synced entity.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from marshmallow import Schema, fields, missing
from sqlalchemy import Enum, Select, String, inspect, select, type_coerce

from ..contacts.models import Consent
from ..dbfuncs import among_parameter
from ..extensions import db

#: How a plan converts a field's (non-null) value; None means: ask the field.
Convert = Callable[[Any], Any] | None
#: (key in the output, attribute read, converter, field, its name in the schema).
Step = tuple[str, str, Convert, fields.Field, str]


def _enum_value(value: Any) -> Any:
    """An enum by value (marshmallow's ``Enum(by_value=True)`` over a ``Raw`` field).

    :func:`columns_of` reads enum columns as their stored text, which is the value.
    """
    return value if type(value) is str else value._value_


def _plain_dict(value: Any) -> dict[Any, Any]:
    """A ``Dict`` without key or value fields: a copy of the mapping."""
    return dict(value)


def _converter(field: Any) -> Convert:
    """The inline equivalent of ``field._serialize`` for a non-null value, if there is one.

    Only for classes that serialize as marshmallow's own (a subclass that overrides
    ``_serialize`` is asked itself), with the options that make the equivalence exact.
    """
    serialize = type(field)._serialize
    if serialize in (fields.String._serialize, fields.UUID._serialize):
        return str
    number = serialize is fields.Number._serialize and not field.as_string
    if number and type(field)._format_num is fields.Number._format_num:
        return field.num_type if field.num_type in (int, float) else None
    raw_inner = serialize is fields.Enum._serialize and field.by_value
    if raw_inner and type(field.field)._serialize is fields.Raw._serialize:
        return _enum_value
    if serialize is fields.DateTime._serialize:  # the temporal fields' shared _serialize
        return field.SERIALIZATION_FUNCS.get(field.format or field.DEFAULT_FORMAT)
    if serialize is fields.List._serialize:
        return _each(_converter(field.inner))
    if serialize is fields.Mapping._serialize and field.mapping_type is dict:
        keys = _converter(field.key_field) if field.key_field is not None else _same
        values = _converter(field.value_field) if field.value_field is not None else _same
        if keys is _same and values is _same:
            return _plain_dict
        return _mapping(keys, values)
    return None


def _same(value: Any) -> Any:
    """A value serialized as it is."""
    return value


def _each(convert: Convert) -> Convert:
    """``List._serialize`` over items its inner field converts (None stays None)."""
    if convert is None:
        return None
    return lambda value: [None if item is None else convert(item) for item in value]


def _mapping(keys: Convert, values: Convert) -> Convert:
    """``Dict._serialize`` with key and value fields (None stays None)."""
    if keys is None or values is None:
        return None
    return lambda value: {
        (None if k is None else keys(k)): (None if v is None else values(v))
        for k, v in value.items()
    }


@functools.cache
def plan(schema_class: type[Schema]) -> tuple[Schema, tuple[Step, ...]]:
    """The schema (one instance) and how to dump each of its fields."""
    schema = schema_class()
    steps = []
    for name, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else name
        attribute = field.attribute or name
        # A field that reads the whole object (computed) is always asked itself.
        convert = _converter(field) if getattr(field, "_CHECK_ATTRIBUTE", True) else None
        steps.append((key, attribute, convert, field, name))
    return schema, tuple(steps)


def dump(schema_class: type[Schema], record: Any, **computed: Any) -> dict[str, Any]:
    """``schema_class().dump(record)``; ``computed`` gives values of named fields instead."""
    return compiled(schema_class, frozenset(computed))(record, computed)


@functools.cache
def compiled(
    schema_class: type[Schema],
    computed: frozenset[str] = frozenset(),
    only: frozenset[str] | None = None,
) -> Callable[[Any, dict[str, Any]], dict[str, Any]]:
    """The plan of ``schema_class`` as one straight-line function (no loop over fields).

    Fields named in ``computed`` take their value from the ``computed`` mapping; with
    ``only``, the other fields are left out.
    """
    schema, steps = plan(schema_class)
    env: dict[str, Any] = {"missing": missing, "get_attribute": schema.get_attribute}
    lines = ["def dump(record, computed):", "    out = {}"]
    for index, (key, attribute, convert, field, name) in enumerate(steps):
        if only is not None and name not in only:
            continue
        env[f"field{index}"] = field
        env[f"convert{index}"] = convert
        asked = [
            f"value = field{index}.serialize({name!r}, record, accessor=get_attribute)",
            f"if value is not missing: out[{key!r}] = value",
        ]
        if name in computed:
            lines.append(f"    out[{key!r}] = computed[{name!r}]")
        elif convert is None:
            lines.extend(f"    {line}" for line in asked)
        else:
            # Marshmallow reads the attribute, gives None for None and asks the field when
            # the attribute is missing (its dump_default); the rest is converted.
            lines.append(f"    value = getattr(record, {attribute!r}, missing)")
            lines.append(f"    if value is None: out[{key!r}] = None")
            if convert is str:
                converted = "value if value.__class__ is str else str(value)"
            else:
                converted = f"convert{index}(value)"
            lines.append(f"    elif value is not missing: out[{key!r}] = {converted}")
            lines.append("    else:")
            lines.extend(f"        {line}" for line in asked)
    lines.append("    return out")
    exec(compile("\n".join(lines), f"<dump {schema_class.__name__}>", "exec"), env)
    return env["dump"]


@functools.cache
def columns_of(model: type) -> tuple[Any, ...]:
    """Every mapped column of ``model``, labelled with its attribute name.

    Enum columns (``enums.db_enum``: the value as text, checked) are read as that text:
    it is what the schema sends, without making an enum member and taking its value back.
    """
    out = []
    for prop in inspect(model).column_attrs:
        attribute = getattr(model, prop.key)
        if isinstance(prop.columns[0].type, Enum):
            attribute = type_coerce(attribute, String).label(prop.key)
        out.append(attribute)
    return tuple(out)


def rows(stmt: Select) -> Sequence[Any]:
    """Rows of ``stmt`` (a select of :func:`columns_of`), read without ORM objects."""
    return db.session.execute(stmt).all()


#: Fields :func:`dump_rows` reads for a whole page at once, from the records' ids.
PER_PAGE: dict[str, frozenset[str]] = {"contact": frozenset({"consents"})}


def dump_rows(
    entity: str,
    schema_class: type[Schema],
    records: Iterable[Any],
    *,
    only: frozenset[str] | None = None,
) -> list[Any]:
    """(record, data) for each record, with what must be read per page read once.

    With ``only``, just those fields (:mod:`server.sync.sqljson` has the others).
    """
    records = list(records)
    if entity == "contact" and (only is None or "consents" in only):
        # Sync pages read ids as text (sqljson.Reader.text_id).
        ids = [uuid.UUID(str(r.id)) for r in records]
        consents = current_consents_of(ids)
        with_consents = compiled(schema_class, PER_PAGE["contact"], only)
        return [
            (r, with_consents(r, {"consents": consents.get(i, {})}))
            for r, i in zip(records, ids, strict=True)
        ]
    plain = compiled(schema_class, frozenset(), only)
    return [(r, plain(r, {})) for r in records]


def current_consents_of(contact_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, str]]:
    """Each contact's current consent per purpose (``contacts.service.current_consents``)."""
    out: dict[uuid.UUID, dict[str, str]] = {}
    if not contact_ids:
        return out
    stmt = _consents_statement(db.engine.dialect.name)
    for contact_id, purpose, state in db.session.execute(stmt, {"contact_ids": contact_ids}):
        out.setdefault(contact_id, {})[purpose.value] = state.value
    return out


@functools.cache
def _consents_statement(dialect: str) -> Select:
    """The consents of the contacts ``:contact_ids``, oldest first (built once per database)."""
    return (
        select(Consent.contact_id, Consent.purpose, Consent.state)
        .where(
            among_parameter(Consent.contact_id, "contact_ids", dialect),
            Consent.deleted_at.is_(None),
        )
        .order_by(Consent.contact_id, Consent.recorded_at, Consent.created_at)
    )
