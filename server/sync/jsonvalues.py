"""Model values as JSON values (change log, review items, stored outcomes)."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

#: Types returned as they are, tested first.
_PLAIN = frozenset({str, int, float, bool, type(None)})


def jsonable(value: Any) -> Any:
    """``value`` with Decimals, dates, UUIDs and enums turned into JSON-friendly forms.

    The types a change log mostly holds are converted by their exact type (one lookup);
    anything else (subclasses, enums, other containers) follows :func:`_jsonable_general`,
    which gives the same result for every value (tests/test_sync_jsonvalues.py).
    """
    kind = value.__class__
    if kind in _PLAIN:
        return value
    convert = _BY_TYPE.get(kind)
    if convert is not None:
        return convert(value)
    return _jsonable_general(value)


def _jsonable_general(value: Any) -> Any:
    """:func:`jsonable` by the general rules, in order."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable_general(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable_general(v) for v in value]
    return str(value)


#: Exact type -> its conversion, as :func:`_jsonable_general` converts it.
_BY_TYPE: dict[type, Any] = {
    uuid.UUID: str,
    datetime: datetime.isoformat,
    date: date.isoformat,
    Decimal: str,
    list: lambda value: [jsonable(v) for v in value],
    dict: lambda value: {str(k): jsonable(v) for k, v in value.items()},
}


def storable(value: Any) -> Any:
    """JSON value safe for any JSON column: NUL and lone surrogates become U+FFFD.

    Rejected mutations are kept as sent, but PostgreSQL's JSONB (and text) cannot hold
    NUL, and no UTF-8 store can hold a lone surrogate; the replacement keeps the rest.
    """
    value = jsonable(value)
    if isinstance(value, str):
        if "\x00" in value or not encodable(value):
            return "".join(
                "\ufffd" if c == "\x00" or 0xD800 <= ord(c) <= 0xDFFF else c for c in value
            )
        return value
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value


def encodable(text: str) -> bool:
    """True when ``text`` has no lone surrogate (UTF-8 refuses exactly those code points)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
