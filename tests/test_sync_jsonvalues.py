"""Model values as JSON values: the by-type path converts exactly as the general rules."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from server.enums import LifecycleStatus
from server.sync.jsonvalues import _jsonable_general, jsonable


class Level(enum.IntEnum):
    """An enum that is also an int (tested before the general enum rule)."""

    LOW = 1


class Colour(enum.Enum):
    """A plain enum."""

    RED = "red"


class Tag(str):
    """A str subclass: kept as it is by the general rules."""


_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=5)
    | st.builds(Tag, st.text(max_size=3))
    | st.uuids()
    | st.datetimes()
    | st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))]))
    | st.dates()
    | st.decimals(allow_nan=True)
    | st.sampled_from([*LifecycleStatus, Level.LOW, Colour.RED])
    | st.builds(object)
)
_values = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.frozensets(st.integers() | st.text(max_size=3), max_size=3)
        | st.dictionaries(st.text(max_size=3) | st.integers() | st.uuids(), inner, max_size=3)
    ),
    max_leaves=8,
)


def _typed(value: object) -> object:
    """``value`` with the exact type of every part, to compare results strictly."""
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    return (type(value), repr(value))


@given(_values)
def test_jsonable_converts_every_value_as_the_general_rules_do(value):
    """Same result, same types, same key order, for plain, exact and subclassed values."""
    assert _typed(jsonable(value)) == _typed(_jsonable_general(value))


def test_the_common_types_take_the_by_type_path():
    """UUIDs, timestamps, dates, Decimals and containers of them, as the log stores them."""
    moment = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    record = {
        "id": uuid.UUID(int=1),
        "at": moment,
        "day": date(2026, 11, 23),
        "amount": Decimal("12.50"),
        "tags": ["a", LifecycleStatus.CLIENT],
        "status": LifecycleStatus.CLIENT,
    }
    assert jsonable(record) == {
        "id": "00000000-0000-0000-0000-000000000001",
        "at": "2026-11-23T09:30:00+00:00",
        "day": "2026-11-23",
        "amount": "12.50",
        "tags": ["a", "client"],
        "status": "client",
    }
