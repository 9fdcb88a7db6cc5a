"""The address check: do a French postal code and city agree, and if not, what was meant?

:func:`check_address` returns findings, each with the fields it concerns, a
sentence for people and suggestions (postal code + city pairs from La Poste's
base). What to do with them (warn, or refuse the write) is the caller's choice;
a spelling finding never blocks: the commune is recognised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz

from ..communes import departement_of, display_name
from .gazetteer import (
    FUZZY_CUTOFF_POSTAL_CODE,
    Gazetteer,
    Place,
    distance_km,
    get_gazetteer,
)
from .offline import OfflineGeocoder
from .text import AddressQuery, CityName, clean_postal_code, parse_city

FindingCode = Literal[
    "postal_code_city_mismatch",
    "unknown_postal_code",
    "unknown_city",
    "city_spelling",
    "position_outside_commune",
]
#: At most this many suggestions per finding.
MAX_SUGGESTIONS = 6


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A postal code and city that go together, as La Poste writes the address."""

    postal_code: str
    #: The town line: the routing label, readable ("Lyon" for Lyon 3e).
    city: str
    #: The commune itself ("Lyon 3e").
    commune: str
    insee: str


@dataclass(frozen=True, slots=True)
class AddressFinding:
    """Something wrong (or worth a look) in a postal code and city."""

    code: FindingCode
    fields: tuple[str, ...]
    detail: str
    suggestions: tuple[Suggestion, ...] = ()

    @property
    def blocking(self) -> bool:
        """True when the postal code and city do not designate one place."""
        return self.code not in ("city_spelling", "position_outside_commune")


def check_address(
    postal_code: str | None,
    city: str | None,
    country: str | None = "FR",
    *,
    gazetteer: Gazetteer | None = None,
) -> tuple[AddressFinding, ...]:
    """Check that ``postal_code`` and ``city`` agree; nothing to say returns ().

    Only French addresses with both parts are checked (a missing part, or a
    postal code not made of 5 digits, is a matter for form validation). A CEDEX
    code is not in La Poste's base: it passes when the city is in its département.
    """
    if (country or "FR").upper() not in ("FR", "FRA", "FRANCE") or not postal_code or not city:
        return ()
    code = clean_postal_code(postal_code)
    parsed = parse_city(city)
    if code is None or parsed is None:
        return ()
    g = gazetteer or get_gazetteer()
    if g.knows_postal_code(code):
        return _known_code(g, code, parsed, city)
    return _unknown_code(g, code, parsed, city)


def check_position(
    latitude: float | None,
    longitude: float | None,
    postal_code: str | None,
    city: str | None,
    country: str | None = "FR",
    *,
    geocoder: OfflineGeocoder | None = None,
) -> tuple[AddressFinding, ...]:
    """Check that a position lies within the reach of its address's commune.

    Says nothing when there is no position or the address names no single commune.
    """
    if latitude is None or longitude is None:
        return ()
    geocoder = geocoder or OfflineGeocoder()
    address = AddressQuery(postal_code=postal_code, city=city, country=country or "FR")
    if address.is_empty:
        return ()
    commune = geocoder.locate(address).result
    reach = geocoder.reach_km(commune) if commune is not None else None
    if commune is None or reach is None:
        return ()
    away = distance_km(latitude, longitude, commune.latitude, commune.longitude)
    if away <= reach:
        return ()
    detail = (
        f"The position is {away:.1f} km from the centre of {commune.label}; a point of"
        f" this commune is within {reach:.1f} km of it."
    )
    return (AddressFinding("position_outside_commune", ("latitude", "longitude"), detail),)


def _known_code(g: Gazetteer, code: str, city: CityName, text: str) -> tuple[AddressFinding, ...]:
    """The postal code exists: the city must be one of its communes."""
    if g.under_postal_code(code, city.key):
        return ()
    served = [p for p in g.communes_of_postal_code(code) if p.insee]
    served_text = _names(served)
    fields = ("postal_code", "city")
    named = g.named(city, departement_of(code)) or g.named(city)
    if named:
        places = [m.place for m in named]
        detail = f"{code} is not a postal code of {_names(places)}; {code} serves {served_text}."
        # What the city suggests first (nearest to the postal code's place), then
        # what the postal code suggests: either part may be the wrong one.
        suggestions = _suggest(g, places, near=served)[:4] + _suggest(g, served, code=code)[:2]
        return (AddressFinding("postal_code_city_mismatch", fields, detail, suggestions),)
    spelt = g.closest(city.key, g.names_of_postal_code(code), FUZZY_CUTOFF_POSTAL_CODE)
    if spelt:
        places = [m.place for m in g.under_postal_code(code, spelt[0])]
        detail = f"{text!r} looks like a misspelling of {_names(places)}."
        return (AddressFinding("city_spelling", ("city",), detail, _suggest(g, places, code=code)),)
    detail = f"No commune named {text!r} is known; {code} serves {served_text}."
    ranked = sorted(served, key=lambda p: -_similarity(city.key, p))
    return (AddressFinding("unknown_city", fields, detail, _suggest(g, ranked, code=code)),)


def _unknown_code(g: Gazetteer, code: str, city: CityName, text: str) -> tuple[AddressFinding, ...]:
    """A code La Poste does not list: fine for a CEDEX code in the city's département."""
    try:
        departement = departement_of(code)
    except ValueError:
        departement = None
    in_departement = [m.place for m in g.named(city, departement)] if departement else []
    if city.cedex and in_departement:
        return ()
    places = in_departement or [m.place for m in g.named(city)]
    if city.cedex:
        detail = f"{code} is a CEDEX code outside the département of {_names(places) or text}."
        fields: tuple[str, ...] = ("postal_code", "city")
    else:
        detail = f"{code} is not a postal code in La Poste's base."
        fields = ("postal_code",)
    code_name: FindingCode = (
        "postal_code_city_mismatch" if city.cedex and places else "unknown_postal_code"
    )
    return (AddressFinding(code_name, fields, detail, _suggest(g, places)),)


def _names(places: list[Place]) -> str:
    """Places for a sentence: Lyon 3e; Beaumont (63) or Beaumont (19)."""
    if len(places) == 1:
        return places[0].display
    shown = [f"{p.display} ({p.departement})" for p in places[:4]]
    more = f" and {len(places) - 4} more" if len(places) > 4 else ""
    return ", ".join(shown[:-1]) + f" or {shown[-1]}{more}" if shown else ""


def _suggest(
    g: Gazetteer,
    places: list[Place],
    *,
    near: list[Place] | None = None,
    code: str | None = None,
) -> tuple[Suggestion, ...]:
    """Postal code + city pairs for ``places``, nearest to ``near`` first.

    A whole city (Lyon) is suggested through its arrondissements, a commune with
    several postal codes once per code.
    """
    expanded: list[Place] = []
    for place in places:
        if place.parts:
            expanded.extend(g.places[i] for i in place.parts)
        else:
            expanded.append(place)
    anchors = [a for a in near or [] if a.placeable]
    if anchors:
        expanded.sort(key=lambda p: min(_distance(p, a) for a in anchors))
    out: list[Suggestion] = []
    for place in expanded:
        codes = [code] if code in place.postal_codes else list(place.postal_codes)
        for postal_code in codes:
            out.append(
                Suggestion(
                    postal_code=postal_code,
                    city=display_name(place.label),
                    commune=place.display,
                    insee=place.insee or "",
                )
            )
            if len(out) >= MAX_SUGGESTIONS:
                return tuple(out)
    return tuple(out)


def _distance(a: Place, b: Place) -> float:
    """Distance between two places' centres (infinite when one has none)."""
    if not (a.placeable and b.placeable):
        return float("inf")
    return distance_km(a.lat, a.lon, b.lat, b.lon)  # type: ignore[arg-type]


def _similarity(key: str, place: Place) -> float:
    """How close ``key`` is to any of ``place``'s names (0-100)."""
    return max((fuzz.ratio(key, name) for name in place.names), default=0.0)
