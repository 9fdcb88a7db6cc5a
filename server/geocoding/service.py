"""Accounts and their positions: geocoding, the address check, positions set by people.

The geocoders themselves are plain Python in ``routing.geocoding``; this module
ties them to accounts, the configuration and the database (the answer cache).

A position belongs to the address it was settled for: ``geocoded_address_hash``
holds the SHA-256 of that address, normalized. When the address changes the
position is stale, and :func:`placement` decides what replaces it, in one place
for the API, the CLI and account writes:

- a result replaces the position, except a person's (manual, GPS) position that
  still lies within the reach of the result's commune: that one is kept;
- no result clears a geocoder's position made for another address, and keeps a
  person's;
- an outcome that is not definitive (an online service failed) leaves the hash
  unset, so ``flask geocode`` asks again; and it never overwrites a position
  already settled for this very address.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from flask import current_app
from flask_smorest import abort
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from routing.geocoding import (
    AddressFinding,
    AddressQuery,
    CachedAnswer,
    GeocodeOutcome,
    GeocodeResult,
    GeocodingChain,
    OfflineGeocoder,
    ProviderSettings,
    build_provider,
    check_address,
    check_position,
    distance_km,
)
from routing.geocoding.gazetteer import REACH_MIN_KM

from .. import records
from ..accounts.models import Account
from ..dbtypes import utcnow
from ..enums import GeocodePrecision
from ..extensions import db
from .models import GeocodeCacheEntry

#: Positions a person vouched for: a geocoder does not move them while they fit.
HUMAN_PRECISIONS = frozenset({GeocodePrecision.MANUAL, GeocodePrecision.GPS})
MANUAL_SOURCE = "manual"
CHECKIN_SOURCE = "checkin"
#: A check-in fix less accurate than this (metres) is no better than a commune centre.
MAX_FIX_ACCURACY_M = 250.0
#: Who writes when no one does (the ``flask geocode`` command).
SYSTEM = records.Actor(user_id=None, device_id=None)
ADDRESS_FIELDS = ("address_line1", "address_line2", "postal_code", "city", "country")
_POSITION_FIELDS = ("latitude", "longitude", "geocode_precision", "geocode_source")
_CLEARED = dict.fromkeys(
    (*_POSITION_FIELDS, "geocode_score", "geocoded_at", "geocoded_address_hash"), None
)


# --- configuration and the chain ------------------------------------------------------------


def provider_settings(config: Mapping[str, Any], name: str | None = None) -> ProviderSettings:
    """The geocoding settings of ``config`` (``name`` overrides TOURNEE_GEOCODER)."""
    return ProviderSettings(
        name=name or config["GEOCODER"],  # type: ignore[arg-type]
        domain=config["GEOCODER_DOMAIN"],
        scheme=config["GEOCODER_SCHEME"],
        user_agent=config["GEOCODER_USER_AGENT"],
        timeout=config["GEOCODER_TIMEOUT"],
        min_delay=config["GEOCODER_MIN_DELAY"],
        retries=config["GEOCODER_RETRIES"],
        retry_wait=config["GEOCODER_RETRY_WAIT"],
        min_score=config["GEOCODER_MIN_SCORE"],
    )


def get_chain(provider: str | None = None) -> GeocodingChain:
    """The app's geocoding chain (one per provider, kept for the app's life).

    Kept so the rate limiter's clock spans requests: a worker never sends faster
    than the configured delay, whatever the number of requests it serves.
    """
    chains: dict[ProviderSettings, GeocodingChain] = current_app.extensions.setdefault(
        "tournee.geocoding", {}
    )
    # The settings are a frozen dataclass: their own key (``dataclasses.astuple`` copied
    # them deeply at each call, a fifth of placing a new account).
    settings = provider_settings(current_app.config, provider)
    chain = chains.get(settings)
    if chain is None:
        chain = GeocodingChain(
            offline=offline_geocoder(), provider=build_provider(settings), cache=SqlAnswerCache()
        )
        chains[settings] = chain
    return chain


@functools.cache
def offline_geocoder() -> OfflineGeocoder:
    """The process's offline geocoder (its gazetteer is built once, on first use)."""
    return OfflineGeocoder()


class SqlAnswerCache:
    """Service answers in the ``geocode_cache`` table, in the caller's transaction."""

    @staticmethod
    def key(provider: str, address: str) -> str:
        """Primary key of an answer: SHA-256 of the service and the normalized address."""
        return hashlib.sha256(f"{provider}\n{address}".encode()).hexdigest()

    def get(self, provider: str, address: str) -> CachedAnswer | None:
        """The stored answer, if the service was asked about this address."""
        entry = db.session.get(GeocodeCacheEntry, self.key(provider, address))
        if entry is None:
            return None
        if not entry.found or entry.latitude is None or entry.longitude is None:
            return CachedAnswer(None)
        return CachedAnswer(
            GeocodeResult(
                latitude=entry.latitude,
                longitude=entry.longitude,
                precision=entry.precision,  # type: ignore[arg-type]
                source=provider.split(":", 1)[0],
                score=entry.score,
                label=entry.label or "",
                insee=entry.insee,
                postal_code=entry.postal_code,
                city=entry.city,
            )
        )

    def put(self, provider: str, address: str, result: GeocodeResult | None) -> None:
        """Store an answer; a concurrent writer's identical answer wins silently."""
        values: dict[str, Any] = {
            "key": self.key(provider, address),
            "provider": provider[:120],
            "address": address,
            "found": result is not None,
            "asked_at": utcnow(),
        }
        if result is not None:
            values.update(
                latitude=result.latitude,
                longitude=result.longitude,
                precision=result.precision,
                score=result.score,
                label=(result.label or "")[:300],
                insee=(result.insee or "")[:5] or None,
                postal_code=(result.postal_code or "")[:10] or None,
                city=(result.city or "")[:100] or None,
            )
        insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        db.session.execute(insert(GeocodeCacheEntry).values(**values).on_conflict_do_nothing())


# --- addresses --------------------------------------------------------------------------------


def address_of(source: Account | Mapping[str, Any] | None) -> AddressQuery | None:
    """The address to geocode of an account (or of an account's values); None if it has none."""
    if source is None:
        return None
    get = source.get if isinstance(source, Mapping) else lambda name: getattr(source, name, None)
    address = AddressQuery(
        # Line 1 is the street; line 2 the complement (building, floor) unless line 1 is empty.
        street=get("address_line1") or get("address_line2"),
        postal_code=get("postal_code"),
        city=get("city"),
        country=get("country") or "FR",
    )
    return None if address.is_empty else address


def digest_of(source: Account | Mapping[str, Any] | None) -> str | None:
    """The hash a position settled for this address carries (None without an address)."""
    address = address_of(source)
    return address.digest() if address is not None else None


def warm_up() -> None:
    """Index the offline gazetteer now (it is built on first use, in about a second)."""
    _warnings("69003", "Lyon", "FR", 45.76, 4.85)


def account_warnings(account: Account) -> tuple[AddressFinding, ...]:
    """What the address check says about ``account`` (shown in its ``warnings``)."""
    return _warnings(
        account.postal_code, account.city, account.country, account.latitude, account.longitude
    )


@functools.lru_cache(maxsize=8192)
def _warnings(
    postal_code: str | None,
    city: str | None,
    country: str | None,
    latitude: float | None,
    longitude: float | None,
) -> tuple[AddressFinding, ...]:
    """Findings for one address and position (cached: lists dump the same ones often)."""
    geocoder = offline_geocoder()
    findings = check_address(postal_code, city, country, gazetteer=geocoder.gazetteer)
    if not any(f.blocking for f in findings):
        findings += check_position(
            latitude, longitude, postal_code, city, country, geocoder=geocoder
        )
    return findings


def check_address_on_write(values: Mapping[str, Any], record: Account | None) -> None:
    """With ``TOURNEE_ADDRESS_CHECK=error``, refuse (422) a new or changed address that disagrees.

    Only a write that changes the postal code, city or country is checked, so an
    account stored before the check was switched on can still be updated.
    """
    if current_app.config["ADDRESS_CHECK"] != "error":
        return
    parts = ("postal_code", "city", "country")
    if record is not None and all(values.get(p) == getattr(record, p) for p in parts):
        return
    blocking = [
        f
        for f in check_address(values.get("postal_code"), values.get("city"), values.get("country"))
        if f.blocking
    ]
    if not blocking:
        return
    finding = blocking[0]
    hint = ", ".join(f"{s.postal_code} {s.city}" for s in finding.suggestions[:3])
    message = finding.detail + (f" Did you mean: {hint}?" if hint else "")
    abort(
        422,
        message=message,
        errors={"json": {key: [message] for key in finding.fields}},
        extra={
            "code": finding.code,
            "suggestions": [suggestion_dict(s) for s in finding.suggestions],
        },
    )


def suggestion_dict(suggestion: Any) -> dict[str, Any]:
    """A suggestion (or candidate) as JSON."""
    return dataclasses.asdict(suggestion)


# --- positions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """What geocoding does to an account: the values to write and, in a word, what happened."""

    values: dict[str, Any]
    status: Literal["placed", "kept", "unplaced", "unchanged"]


def placement(
    account: Account | Mapping[str, Any],
    outcome: GeocodeOutcome,
    digest: str,
    geocoder: OfflineGeocoder,
) -> Placement:
    """The position values ``outcome`` gives an account now at ``account`` (see module doc)."""
    get = account.get if isinstance(account, Mapping) else lambda n: getattr(account, n, None)
    lat, lon, precision = get("latitude"), get("longitude"), get("geocode_precision")
    has_position = lat is not None and lon is not None
    human = has_position and precision in HUMAN_PRECISIONS
    settled_here = has_position and get("geocoded_address_hash") == digest
    settled = {"geocoded_address_hash": digest if outcome.definitive else None}
    result = outcome.result
    if not outcome.definitive and settled_here:
        # A service failed: keep what an earlier, complete answer gave this address.
        return Placement({}, "unchanged")
    if result is not None:
        if human and _fits(lat, lon, result, geocoder):
            return Placement({"geocoded_address_hash": digest}, "kept")
        values = {
            "latitude": result.latitude,
            "longitude": result.longitude,
            "geocode_precision": GeocodePrecision(result.precision),
            "geocode_source": result.source,
            "geocode_score": result.score,
            "geocoded_at": utcnow(),
            **settled,
        }
        return Placement(values, "placed")
    if human:
        return Placement(settled if outcome.definitive else {}, "kept")
    return Placement({**_CLEARED, **settled}, "unplaced")


def _fits(lat: float, lon: float, result: GeocodeResult, geocoder: OfflineGeocoder) -> bool:
    """True when (lat, lon) lies within the reach of the commune of ``result``."""
    place = geocoder.place_of(result)
    if place is None or place.lat is None or place.lon is None:
        # A commune the base does not know: only a point close to the result fits.
        return distance_km(lat, lon, result.latitude, result.longitude) <= REACH_MIN_KM
    return distance_km(lat, lon, place.lat, place.lon) <= geocoder.gazetteer.reach_km(place)


def update_position(values: dict[str, Any], record: Account | None) -> None:
    """Keep an account's position in step with its address, as it is written.

    Called by ``prepare_account``. A position the client sends is stamped (a moved
    pin is "manual" unless the client says otherwise) and vouched for the address.
    An address that changes without a new position is placed at once by the
    offline geocoder (no network in a write); when an online service is configured
    and could do better, the position stays provisional for ``flask geocode``.
    """
    digest = digest_of(values)
    lat, lon = values.get("latitude"), values.get("longitude")
    old = (record.latitude, record.longitude) if record is not None else (None, None)
    if (lat, lon) != old:
        values.update(_client_position(values, record, digest))
        return
    if record is not None and digest == record.geocoded_address_hash:
        return
    if record is not None and digest == digest_of(record):
        return  # the address did not change: nothing to do (stale positions are the CLI's)
    address = address_of(values)
    if address is None:
        # No address left: a geocoder's position described the old one.
        human = values.get("geocode_precision") in HUMAN_PRECISIONS
        values.update({"geocoded_address_hash": None} if human else _CLEARED)
        return
    chain = get_chain()
    outcome = dataclasses.replace(
        chain.offline.locate(address), definitive=not chain.asks_provider(address)
    )
    values.update(placement(values, outcome, address.digest(), chain.offline).values)


def _client_position(
    values: Mapping[str, Any], record: Account | None, digest: str | None
) -> dict[str, Any]:
    """Stamps for a position the client set (or cleared) itself."""
    if values.get("latitude") is None:
        return {**_CLEARED}
    out: dict[str, Any] = {"geocoded_at": utcnow(), "geocoded_address_hash": digest}
    precision = values.get("geocode_precision")
    untouched = record is not None and precision == record.geocode_precision
    if precision is None or (untouched and precision not in HUMAN_PRECISIONS):
        # A pin moved by hand is no longer what a geocoder found.
        out["geocode_precision"] = GeocodePrecision.MANUAL
        if record is None or values.get("geocode_source") == record.geocode_source:
            out["geocode_source"] = MANUAL_SOURCE
        if record is None or values.get("geocode_score") == record.geocode_score:
            out["geocode_score"] = None
    return out


def plan_geocoding(account: Account, chain: GeocodingChain) -> tuple[GeocodeOutcome, Placement]:
    """Geocode ``account`` with ``chain``: the outcome and what it would write."""
    address = address_of(account)
    if address is None:
        return GeocodeOutcome(None, (), definitive=True), Placement({}, "unchanged")
    outcome = chain.geocode(address)
    return outcome, placement(account, outcome, address.digest(), chain.offline)


def geocode_account(
    account: Account, *, chain: GeocodingChain, actor: records.Actor
) -> tuple[GeocodeOutcome, Placement]:
    """Geocode ``account`` with ``chain`` and write the placement (the caller commits)."""
    outcome, result = plan_geocoding(account, chain)
    if result.values:
        records.update(account, result.values, actor=actor)
    return outcome, result


def set_position(
    account: Account,
    *,
    latitude: float,
    longitude: float,
    precision: GeocodePrecision,
    source: str,
    actor: records.Actor,
) -> None:
    """Write a position a person gave (by hand, or a check-in's GPS fix)."""
    records.update(
        account,
        {
            "latitude": latitude,
            "longitude": longitude,
            "geocode_precision": precision,
            "geocode_source": source,
            "geocode_score": None,
            "geocoded_at": utcnow(),
            "geocoded_address_hash": digest_of(account),
        },
        actor=actor,
    )


class ImplausibleFix(ValueError):
    """A check-in's GPS fix cannot be the account's position; ``errors`` names the fields."""

    def __init__(
        self, message: str, errors: dict[str, list[str]], extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.errors = errors
        self.extra = extra or {}


def check_fix(account: Account, latitude: float, longitude: float, accuracy_m: float) -> None:
    """Raise :class:`ImplausibleFix` unless the fix may be where the account is.

    Plausible means: accurate to :data:`MAX_FIX_ACCURACY_M`, and within the reach of
    the commune of the account's address (``Gazetteer.reach_km``: 1.25 times the
    mean distance from its centre to the three nearest commune centres, 3 to 25
    km), the fix's own accuracy counted in its favour. An ambiguous address
    ("Beaumont") is satisfied by any of its communes; an account whose address
    names no known commune has nothing to contradict the fix.
    """
    if accuracy_m > MAX_FIX_ACCURACY_M:
        message = (
            f"A fix accurate to {accuracy_m:.0f} m is no better than the commune's position;"
            f" it must be accurate to {MAX_FIX_ACCURACY_M:.0f} m."
        )
        raise ImplausibleFix(message, {"accuracy_m": [message]})
    address = address_of(account)
    if address is None:
        return
    geocoder = offline_geocoder()
    places = [m.place for m in geocoder.resolve(address).matches if m.place.placeable]
    if not places:
        return
    gaps = []
    for place in places:
        away = distance_km(latitude, longitude, place.lat, place.lon)  # type: ignore[arg-type]
        reach = geocoder.gazetteer.reach_km(place)
        if away - accuracy_m / 1000 <= reach:
            return
        gaps.append((away - reach, away, reach, place))
    _, away, reach, place = min(gaps, key=lambda gap: gap[0])
    message = (
        f"The fix is {away:.1f} km from the centre of {place.display}; a point of this"
        f" commune is within {reach:.1f} km of it. Was the check-in made at this account?"
    )
    raise ImplausibleFix(
        message,
        {"lat": [message], "lon": [message]},
        {"distance_km": round(away, 2), "reach_km": reach, "commune": place.display},
    )
