"""Model values as JSON values (change log, review items, stored outcomes)."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

#: The common exact types, tested first (the isinstance checks cost more).
_PLAIN = frozenset({str, int, float, bool})


def jsonable(value: Any) -> Any:
    """``value`` with Decimals, dates, UUIDs and enums turned into JSON-friendly forms."""
    if value is None or value.__class__ in _PLAIN or isinstance(value, bool | int | float | str):
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
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)


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
