"""Position endpoints of an account: geocode it now, set it by hand, take a check-in's GPS fix.

Same rights as updating the account: the caller must see it (404 otherwise) and
have a role that may write accounts. Each writes through ``server.records``, so
the change is in the account's history and reaches devices like any other.
No If-Match: each endpoint replaces the position as a whole and nothing else.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from .. import access, crud, records
from ..accounts.api import RESOURCE as ACCOUNTS
from ..accounts.models import Account
from ..accounts.schemas import AccountSchema
from ..auth.tokens import current_actor, current_user
from ..enums import GeocodePrecision
from ..extensions import db
from .schemas import AttemptSchema, CheckinFixSchema, PositionSchema
from .service import (
    CHECKIN_SOURCE,
    MANUAL_SOURCE,
    ImplausibleFix,
    address_of,
    check_fix,
    get_chain,
    plan_geocoding,
    set_position,
    suggestion_dict,
)

blp = Blueprint(
    "geocoding",
    __name__,
    url_prefix="/api/accounts",
    description="Positions of accounts: geocoding, by hand, from a visit check-in",
)


class GeocodeReportSchema(Schema):
    """The account after geocoding, and how it went."""

    account = fields.Nested(AccountSchema)
    attempts = fields.List(fields.Nested(AttemptSchema))
    definitive = fields.Boolean(
        metadata={"description": "False when a service failed: flask geocode will ask again"}
    )


def _writable_account(record_id: uuid.UUID) -> Account:
    """The account, if the caller may see it (else 404) and update accounts (else 403)."""
    user = current_user()
    account = access.get_or_404(Account, record_id, user)
    access.require_role(user, *ACCOUNTS.write_roles)
    return account


@blp.route("/<uuid:record_id>/geocode")
class AccountGeocode(MethodView):
    """Geocoding one account."""

    @blp.etag
    @blp.response(200, GeocodeReportSchema)
    @blp.alt_response(
        422, description="The address cannot be placed: why, and the candidates if ambiguous"
    )
    def post(self, record_id: uuid.UUID) -> Any:
        """Geocode the account's address now (configured service, then offline fallback)

        422 when the address cannot be placed, with why and, for an ambiguous
        address, the candidate communes.
        """
        account = _writable_account(record_id)
        if address_of(account) is None:
            message = "The account has no postal code or city to geocode."
            crud.invalid({"postal_code": [message], "city": [message]})
        outcome, placement = plan_geocoding(account, get_chain())
        if placement.status == "unplaced":
            # Keep the position as it was; commit only the service's answer to the cache.
            db.session.commit()
            abort(
                422,
                message=f"The address could not be placed: {outcome.reason}.",
                errors={"json": {key: [outcome.reason] for key in ("postal_code", "city")}},
                extra={
                    "candidates": [suggestion_dict(c) for c in outcome.candidates],
                    "attempts": AttemptSchema(many=True).dump(outcome.attempts),
                },
            )
        if placement.values:
            records.update(account, placement.values, actor=current_actor())
        db.session.commit()
        blp.set_etag(crud.etag_data(account))
        return {"account": account, "attempts": outcome.attempts, "definitive": outcome.definitive}


@blp.route("/<uuid:record_id>/position")
class AccountPosition(MethodView):
    """A position set by hand."""

    @blp.etag
    @blp.arguments(PositionSchema)
    @blp.response(200, AccountSchema)
    def post(self, data: dict[str, Any], record_id: uuid.UUID) -> Any:
        """Set the account's position by hand (precision "manual")

        Kept while the address stays the same, and through address edits that
        leave it within the reach of the new address's commune.
        """
        account = _writable_account(record_id)
        set_position(
            account,
            latitude=data["lat"],
            longitude=data["lon"],
            precision=GeocodePrecision.MANUAL,
            source=MANUAL_SOURCE,
            actor=current_actor(),
        )
        db.session.commit()
        blp.set_etag(crud.etag_data(account))
        return account


@blp.route("/<uuid:record_id>/position-from-checkin")
class AccountPositionFromCheckin(MethodView):
    """A visit check-in's GPS fix as the account's position."""

    @blp.etag
    @blp.arguments(CheckinFixSchema)
    @blp.response(200, AccountSchema)
    def post(self, data: dict[str, Any], record_id: uuid.UUID) -> Any:
        """Take a check-in's GPS fix as the account's position (precision "gps") if plausible

        Plausible: accurate to 250 m or better, and within the reach of the commune
        of the account's address (1.25 times the mean distance from its centre to
        the three nearest commune centres, between 3 and 25 km; the fix's accuracy
        counts in its favour; any of the communes of an ambiguous address). An
        address naming no known commune has nothing to contradict the fix.
        Otherwise 422 explaining why, with ``distance_km`` and ``reach_km`` when it
        is too far.
        """
        account = _writable_account(record_id)
        try:
            check_fix(account, data["lat"], data["lon"], data["accuracy_m"])
        except ImplausibleFix as exc:
            abort(422, message=str(exc), errors={"json": exc.errors}, extra=exc.extra)
        set_position(
            account,
            latitude=data["lat"],
            longitude=data["lon"],
            precision=GeocodePrecision.GPS,
            source=CHECKIN_SOURCE,
            actor=current_actor(),
        )
        db.session.commit()
        blp.set_etag(crud.etag_data(account))
        return account
