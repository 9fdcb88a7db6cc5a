"""Schemas of the position endpoints, and the ``warnings`` every account carries."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

#: Codes of the address check's findings (``routing.geocoding.check``).
WARNING_CODES = (
    "postal_code_city_mismatch",
    "unknown_postal_code",
    "unknown_city",
    "city_spelling",
    "position_outside_commune",
)


def Latitude(**kwargs: Any) -> fields.Float:  # noqa: N802 - reads as a field class
    """Degrees north, WGS84."""
    return fields.Float(required=True, validate=validate.Range(min=-90, max=90), **kwargs)


def Longitude(**kwargs: Any) -> fields.Float:  # noqa: N802
    """Degrees east, WGS84."""
    return fields.Float(required=True, validate=validate.Range(min=-180, max=180), **kwargs)


class PositionSchema(Schema):
    """A position set by hand."""

    lat = Latitude()
    lon = Longitude()


class CheckinFixSchema(Schema):
    """The GPS fix a rep's device took when checking in at the account."""

    lat = Latitude()
    lon = Longitude()
    accuracy_m = fields.Float(
        required=True,
        validate=validate.Range(min=0, max=100_000),
        metadata={"description": "Radius of the fix's 68% confidence circle, in metres"},
    )


class SuggestionSchema(Schema):
    """A postal code and city that go together (La Poste)."""

    postal_code = fields.String()
    city = fields.String(metadata={"description": "Town line of the address ('Lyon')"})
    commune = fields.String(metadata={"description": "The commune itself ('Lyon 3e')"})
    insee = fields.String()


class AddressWarningSchema(Schema):
    """Something in the address (or position) worth a look; the write was accepted."""

    code = fields.String(metadata={"description": ", ".join(WARNING_CODES)})
    fields_ = fields.List(
        fields.String(),
        data_key="fields",
        attribute="fields",
        metadata={"description": "Fields it concerns"},
    )
    detail = fields.String()
    suggestions = fields.List(fields.Nested(SuggestionSchema))


class AddressWarnings(fields.List):
    """Dump-only: the address check's findings for the account being dumped.

    Computed, not stored: always what the current address and position say.
    """

    # Read the whole account, not an attribute of it.
    _CHECK_ATTRIBUTE = False
    #: The account's columns it reads (``service.account_warnings``): a sync page reads
    #: just these for it (server/sync/sqljson.py).
    reads = ("postal_code", "city", "country", "latitude", "longitude")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.Nested(AddressWarningSchema), dump_only=True, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        from .service import account_warnings  # late: the service imports account models

        return super()._serialize(list(account_warnings(obj)), attr, obj, **kwargs)


class AttemptSchema(Schema):
    """One geocoder asked about the address."""

    source = fields.String(metadata={"description": "laposte-communes, ban, nominatim"})
    status = fields.String(
        metadata={"description": "found, not_found, ambiguous, rejected, error, skipped"}
    )
    detail = fields.String()
    cached = fields.Boolean(metadata={"description": "Answered from the geocode cache"})
