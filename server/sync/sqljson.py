"""Records as JSON text written by the database: the REST representation, without Python.

Converting each column a driver hands out (UUID objects, datetimes, JSON parsed into
dicts) and building one dict per record cost ~85 µs of Python per record: most of a
first sync. Here the database writes each record's JSON itself, field by field as the
REST schema would dump it (PostgreSQL ``row_to_json``, SQLite ``json_object``), and the
page encoder splices that text in as it is (``orjson.Fragment``).

A field is written by the database only when its JSON value is, by construction, the
one the schema's ``dump`` gives (:func:`_sql_value`): text and enum values, integers,
UUIDs, booleans, dates, timestamps in Python's ``isoformat`` form, JSON documents the
schema passes through; on PostgreSQL also floats and money as text. Every other field
(SQLite's floats, which its JSON writer rounds to 15 digits; computed fields such as an
account's ``warnings``; a contact's ``consents``) is dumped in Python by
:mod:`server.sync.serialize` from the columns it reads, and added to the same object.
Keys are therefore not in the schema's order; JSON objects have none.

Floats are the same numbers, not always the same characters: PostgreSQL writes ``45``
where Python writes ``45.0``, as JavaScript would (``JSON.parse`` makes one number).
``tests/test_sync_serialize.py`` compares pages with ``schema.dump`` for every entity,
on both databases.

The same expression (:func:`document`) is what triggers store in each row's ``doc``
column as the row is written (:mod:`server.sync.docs`): pages read ``doc`` when those
triggers are current (``reader(..., stored=True)``), else write the JSON as they read.
"""

from __future__ import annotations

import collections
import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from marshmallow import Schema, fields
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    Select,
    String,
    Text,
    Uuid,
    case,
    cast,
    func,
    inspect,
    literal,
    literal_column,
    null,
    select,
    true,
    type_coerce,
)
from sqlalchemy.types import NullType

from ..dbtypes import UTCDateTime
from . import serialize

#: Pairs per ``json_object`` call: SQLite takes at most 127 arguments by default.
_PAIRS_PER_CALL = 50

#: How a plan reads a column: the table's column object -> the SQL that reads it.
Column = Callable[[Any], Any]


def _is_plain(field: fields.Field, base: type[fields.Field]) -> bool:
    """``field`` serializes exactly as marshmallow's own ``base`` does."""
    return type(field)._serialize is base._serialize


def _passes_json_through(field: fields.Field | None) -> bool:
    """Dumping a stored JSON value through ``field`` gives that same JSON.

    Text and UUID items are strings in a document the schema loaded, and ``str`` of a
    string is itself; lists and mappings of such are copied as they are.
    """
    if field is None or _is_plain(field, fields.Raw):
        return True
    if _is_plain(field, fields.String) or _is_plain(field, fields.UUID):
        return True
    if _is_plain(field, fields.List):
        return _passes_json_through(field.inner)  # type: ignore[attr-defined]
    if _is_plain(field, fields.Mapping) and field.mapping_type is dict:  # type: ignore[attr-defined]
        return _passes_json_through(field.key_field) and _passes_json_through(  # type: ignore[attr-defined]
            field.value_field  # type: ignore[attr-defined]
        )
    return False


def _iso_format(field: fields.Field) -> bool:
    """A temporal field dumped with ``isoformat`` (marshmallow's ``iso``)."""
    return (field.format or field.DEFAULT_FORMAT) in ("iso", "iso8601")  # type: ignore[attr-defined]


def _sql_value(field: fields.Field, column: Any, sqltype: Any, dialect: str) -> Any | None:
    """SQL whose JSON value is ``field``'s dump of ``column``, or None: Python dumps it."""
    postgres = dialect == "postgresql"
    if isinstance(sqltype, UTCDateTime):
        ok = _is_plain(field, fields.DateTime) and not isinstance(field, fields.Date)
        return _timestamp(column, dialect) if ok and _iso_format(field) else None
    if isinstance(sqltype, Date) and not isinstance(sqltype, DateTime):
        ok = _is_plain(field, fields.DateTime) and isinstance(field, fields.Date)
        # Both write a date as YYYY-MM-DD (SQLite stores that text; PG's JSON is ISO 8601).
        return column if ok and _iso_format(field) else None
    if isinstance(sqltype, Uuid):
        if not (_is_plain(field, fields.UUID) or _is_plain(field, fields.String)):
            return None
        return column if postgres else _hyphenated(column)
    if isinstance(sqltype, Boolean):
        if not _is_plain(field, fields.Field):  # marshmallow 4's Boolean passes values on
            return None
        if postgres:
            return column
        return func.json(case((column.is_(None), "null"), (column, "true"), else_="false"))
    if isinstance(sqltype, Enum | String):  # Enum first: it is a String too
        if isinstance(sqltype, Enum):
            column = type_coerce(column, String)
        plain_enum = _is_plain(field, fields.Enum) and field.by_value  # type: ignore[attr-defined]
        if plain_enum and _is_plain(field.field, fields.Raw):  # type: ignore[attr-defined]
            return column
        return column if _is_plain(field, fields.String) else None
    if isinstance(sqltype, JSON):
        if not _passes_json_through(field):
            return None
        return column if postgres else func.json(column)
    if isinstance(sqltype, Integer) and not isinstance(sqltype, Boolean):
        integer = _is_plain(field, fields.Number) and not field.as_string  # type: ignore[attr-defined]
        ok = integer and field.num_type is int  # type: ignore[attr-defined]
        return column if ok and type(field)._format_num is fields.Number._format_num else None
    if isinstance(sqltype, Float):
        # SQLite's JSON writes REAL with 15 significant digits: not the same number.
        floating = _is_plain(field, fields.Number) and not field.as_string  # type: ignore[attr-defined]
        plain = type(field)._format_num is fields.Number._format_num
        ok = floating and plain and field.num_type is float  # type: ignore[attr-defined]
        return column if ok and postgres else None
    if isinstance(sqltype, Numeric):
        # Money: numeric(p, 2) as text is the Decimal quantized to 2 places, as a string.
        exact = type(field) is fields.Decimal and field.as_string  # type: ignore[attr-defined]
        places = getattr(field, "places", None)
        ok = exact and places is not None and places.as_tuple().exponent == -sqltype.scale
        return cast(column, Text) if ok and postgres else None
    return None


def _timestamp(column: Any, dialect: str) -> Any:
    """A UTC timestamp as ``datetime.isoformat``: microseconds only when not zero."""
    if dialect == "postgresql":
        text = func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
        return func.replace(text, ".000000+", "+")
    # SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy), naive UTC.
    text = type_coerce(column, String)
    digits = func.substr(func.substr(text, 21).concat("000000"), 1, 6)
    head = func.substr(text, 1, 10).concat("T").concat(func.substr(text, 12, 8))
    return case(
        (text.is_(None), None),
        (digits == "000000", head.concat("+00:00")),
        else_=head.concat(".").concat(digits).concat("+00:00"),
    )


def _hyphenated(column: Any) -> Any:
    """A UUID SQLite stores as 32 hex digits, in its canonical form (NULL stays NULL)."""
    text = type_coerce(column, String)
    parts = [func.substr(text, start, length) for start, length in UUID_PARTS]
    out = parts[0]
    for part in parts[1:]:
        out = out.concat("-").concat(part)
    return out


UUID_PARTS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


def _object(pairs: Sequence[tuple[str, Any]], model: type, dialect: str) -> tuple[Any, Any]:
    """(LATERAL row to join or None, the JSON text) of an object of (key, SQL value) pairs."""
    if not pairs:
        return None, literal("{}", String)
    if dialect == "postgresql":
        # row_to_json of a LATERAL row writes compact JSON (json_build_object adds spaces).
        values = select(*(value.label(key) for key, value in pairs)).correlate(model)
        row = values.lateral("record_json")
        return row, cast(func.row_to_json(row.table_valued()), Text)
    # As bytes: the driver does not decode the text, nor orjson encode it back (a page is MBs).
    return None, cast(_json_object(pairs), LargeBinary)


def _json_object(pairs: Sequence[tuple[str, Any]]) -> Any:
    """SQLite: the JSON text of an object of (key, SQL value) pairs, in ``json_object`` calls."""
    chunks = [
        func.json_object(*(part for pair in pairs[i : i + _PAIRS_PER_CALL] for part in pair))
        for i in range(0, len(pairs), _PAIRS_PER_CALL)
    ]
    out = chunks[0]
    for chunk in chunks[1:]:  # '{"a":1}' and '{"b":2}' make '{"a":1,"b":2}'
        out = func.substr(out, 1, func.length(out) - 1).concat(",").concat(func.substr(chunk, 2))
    return out


def document(
    entity: str, model: type, schema_class: type[Schema], dialect: str, column: Column
) -> Any:
    """A scalar SQL expression: the JSON text of the fields the database writes.

    What :class:`Reader` reads as ``json`` when it writes the JSON on the fly, with each
    column read through ``column`` (the table's column object -> SQL): ``NEW.name`` in a
    trigger (:mod:`server.sync.docs`), which stores it as the record's ``doc``.
    """
    pairs = _plan(entity, model, schema_class, dialect, column)[0]
    if not pairs:
        return literal("{}", String)
    if dialect == "postgresql":
        values = select(*(value.label(key) for key, value in pairs)).subquery("record_json")
        return select(cast(func.row_to_json(values.table_valued()), Text)).scalar_subquery()
    return _json_object(pairs)


def _qualified(table: str) -> Column:
    """Read a column as ``"table"."column"``, text that adds no FROM (a correlated read)."""
    return lambda column: literal_column(f'"{table}"."{column.name}"', type_=column.type)


@dataclass(frozen=True)
class Reader:
    """How to read one entity's records with their REST JSON, on one database."""

    entity: str
    model: type
    #: The JSON of the fields the database writes (text, or UTF-8 bytes), labelled ``json``.
    json: Any
    #: A LATERAL row to join (PostgreSQL), or None.
    lateral: Any
    #: Columns Python needs for the other fields.
    extra: tuple[Any, ...]
    #: Names of the fields Python dumps (empty: none).
    python_fields: frozenset[str]
    schema_class: type[Schema]
    dialect: str

    def text_id(self, column: Any) -> Any:
        """A UUID column as its canonical text, written by the database.

        What a page sends: making a ``uuid.UUID`` of every id read and ``str`` of it
        again cost a fifth of a pull.
        """
        return cast(column, Text) if self.dialect == "postgresql" else _hyphenated(column)

    def select(self) -> Select:
        """``SELECT id, version, json, extra FROM model`` (and its LATERAL row).

        ``id`` is the record's id as text (:meth:`text_id`).
        """
        stmt = self._columns(self.text_id(self.model.id), ())
        if self.lateral is not None:
            stmt = stmt.select_from(self.model).join(self.lateral, true())
        return stmt

    def select_latest(self, latest: Any, shown: Any, *more: Any, with_extra: bool = True) -> Select:
        """The records ``latest`` names (``record_id``, ``last_seq``), unordered.

        Every row of ``latest`` gives a row, those whose record is gone too: ``id`` is
        ``latest``'s record id as text, ``shown`` (a condition on the model) is false or
        NULL where the record is missing, and ``last_seq`` and ``more`` come before the
        JSON (:meth:`_columns`); ``with_extra=False`` leaves the extra columns out (they
        come packed, :meth:`packed_extra`).
        """
        model = self.model
        joined = latest.outerjoin(model, model.id == latest.c.record_id)
        if self.lateral is not None:
            joined = joined.join(self.lateral, true())
        columns = (shown.label("shown"), latest.c.last_seq, *more)
        text_id = self.text_id(latest.c.record_id)
        return self._columns(text_id, columns, with_extra=with_extra).select_from(joined)

    def packed_extra(self) -> Any | None:
        """The extra columns as one JSON array (text), or None when they cannot go so.

        With them packed, an entity with columns for Python is read in the same statement
        as the others (``pull._Latest``). Only on PostgreSQL, and only text, integer and
        float columns: PostgreSQL writes a float8 with the fewest digits that give it
        back exactly (``extra_float_digits`` 1, its default since version 12), as
        Python's ``repr``; SQLite's JSON writer keeps 15 digits.
        """
        if self.dialect != "postgresql" or not self.extra:
            return None
        if not all(isinstance(c.type, String | Integer | Float) for c in self.extra):
            return None  # (money: a Numeric that is no Float; booleans, dates, JSON)
        return cast(func.json_build_array(*self.extra), Text)

    def slotted(self, count: int) -> list[Any]:
        """The extra columns as ``count`` untyped columns ``x0``, ``x1``... (NULL after them).

        SQLite's JSON cannot carry them exactly (floats), so where several entities are
        read in one statement their columns share these slots, whatever their types;
        :meth:`unpack` converts each value as the column's own type would.
        """
        columns = [type_coerce(c, NullType()).label(f"x{i}") for i, c in enumerate(self.extra)]
        columns += [null().label(f"x{i}") for i in range(len(self.extra), count)]
        return columns

    def unpack(self, rows: Sequence[Any], dialect: Any = None) -> list[Any]:
        """Rows read with :meth:`packed_extra` (as ``extra``) or :meth:`slotted` (SQLite),
        their columns unpacked.

        The rows then read as those of :meth:`select`: ``id``, ``version``, ``shown``,
        ``json`` and each extra column by its name.
        """
        if self.dialect != "postgresql":
            return self._unslot(rows, dialect)
        view = _row_view(tuple(c.key for c in self.extra))
        floats = [i for i, c in enumerate(self.extra) if isinstance(c.type, Float)]
        out = []
        for row in rows:
            values = [None] * len(self.extra) if row.extra is None else orjson.loads(row.extra)
            for index in floats:  # a whole float arrives as a JSON integer (45)
                if values[index] is not None:
                    values[index] = float(values[index])
            out.append(view(row.id, row.version, row.shown, row.json, *values))
        return out

    def _unslot(self, rows: Sequence[Any], dialect: Any) -> list[Any]:
        """Rows read with :meth:`slotted`: each slot's value as its column's type reads it
        (with the result processors of ``dialect``, the engine's)."""
        view = _row_view(tuple(c.key for c in self.extra))
        convert = [
            (i, c.type._cached_result_processor(dialect, None)) for i, c in enumerate(self.extra)
        ]
        convert = [(i, p) for i, p in convert if p is not None]
        width = len(self.extra)
        out = []
        start = rows[0]._fields.index("x0") if rows and width else 0
        for row in rows:
            values = list(row[start : start + width])
            for index, process in convert:
                values[index] = process(values[index])
            out.append(view(row.id, row.version, row.shown, row.json, *values))
        return out

    def _columns(self, text_id: Any, columns: Sequence[Any], *, with_extra: bool = True) -> Select:
        """The select list: id as text, version, ``columns``, the JSON, the extra columns."""
        taken = {"id", "version", *(c.key for c in columns)}
        extra = [c for c in self.extra if c.key not in taken] if with_extra else []
        return select(
            text_id.label("id"), self.model.version, *columns, self.json.label("json"), *extra
        )

    def documents(self, rows: Sequence[Any]) -> list[orjson.Fragment]:
        """The REST JSON of each row of :meth:`select`, ready to splice into a page."""
        if not self.python_fields:
            return [orjson.Fragment(row.json) for row in rows]
        dumped = serialize.dump_rows(self.entity, self.schema_class, rows, only=self.python_fields)
        return [_merge(row.json, data) for row, data in dumped]


@functools.cache
def _row_view(keys: tuple[str, ...]) -> type:
    """A named tuple of a page row (id, version, shown, json) and the extra columns ``keys``."""
    return collections.namedtuple("RowView", ("id", "version", "shown", "json", *keys))  # type: ignore[misc]


def _merge(text: str | bytes, data: dict[str, Any]) -> orjson.Fragment:
    """The object ``text`` (JSON from the database) with the keys of ``data`` added."""
    if not data:
        return orjson.Fragment(text)
    try:
        more = orjson.dumps(data)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits: the standard library can
        more = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    if isinstance(text, str):
        text = text.encode()
    if text == b"{}":
        return orjson.Fragment(more)
    return orjson.Fragment(text[:-1] + b"," + more[1:])


def _plan(
    entity: str,
    model: type,
    schema_class: type[Schema],
    dialect: str,
    column: Column | None = None,
) -> tuple[list[tuple[str, Any]], set[str], set[str]]:
    """(key, SQL value) pairs the database writes; fields Python dumps; columns Python reads.

    ``column`` reads a column (default: the model's attribute, for a SELECT).
    """
    _schema, steps = serialize.plan(schema_class)
    props = {prop.key: prop.columns[0] for prop in inspect(model).column_attrs}
    pairs, python, reads = [], set(), set()
    for key, attribute, _convert, field, name in steps:
        whole_record = not getattr(field, "_CHECK_ATTRIBUTE", True)
        value = None
        if not whole_record and attribute in props:
            source = getattr(model, attribute) if column is None else column(props[attribute])
            value = _sql_value(field, source, props[attribute].type, dialect)
        if value is not None:
            pairs.append((key, value))
            continue
        python.add(name)
        if name in serialize.PER_PAGE.get(entity, ()):
            continue  # read for the whole page by its id
        # A computed field reads what it says it reads (``reads``), else every column.
        reads.update(getattr(field, "reads", props) if whole_record else (attribute,))
    return pairs, python, reads


@functools.cache
def reader(
    entity: str, model: type, schema_class: type[Schema], dialect: str, stored: bool = False
) -> Reader:
    """The :class:`Reader` of ``entity`` on ``dialect`` (made once).

    ``stored``: the JSON is the record's ``doc`` column, which the database keeps
    (:mod:`server.sync.docs`); otherwise the database writes it as it reads the record.
    """
    pairs, python, reads = _plan(entity, model, schema_class, dialect)
    if stored:
        # A NULL doc (a row written with triggers disabled) is written on the fly: the
        # database only evaluates the second argument where the first is NULL.
        table = model.__table__.name
        on_the_fly = document(entity, model, schema_class, dialect, _qualified(table))
        doc = func.coalesce(model.__table__.c.doc, on_the_fly)
        lateral, text = None, (doc if dialect == "postgresql" else cast(doc, LargeBinary))
    else:
        lateral, text = _object(pairs, model, dialect)
    reads -= {"id", "version"}  # always selected
    extra = tuple(c for c in serialize.columns_of(model) if c.key in reads)
    return Reader(entity, model, text, lateral, extra, frozenset(python), schema_class, dialect)
