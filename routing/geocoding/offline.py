"""The offline French geocoder: a geopy ``Geocoder`` that needs no network.

It places an address at its commune's centre from La Poste's postal-code base
shipped with the package (see ``routing/data/SOURCE.md``; positions derived from
it carry :data:`~routing.communes.ATTRIBUTION`). Any geopy user can pick it up::

    >>> from routing.geocoding import OfflineGeocoder
    >>> location = OfflineGeocoder().geocode("12 rue Garibaldi, 69003 Lyon")
    >>> location.address, location.raw["precision"], location.raw["insee"]
    ('69003 Lyon 3e', 'municipality', '69383')

An address that several communes fit ("Beaumont", "Saint-Denis") is never
guessed: ``geocode(..., exactly_one=True)`` raises :class:`AmbiguousQuery`, which
carries every candidate; ``exactly_one=False`` returns them all, each marked
``raw["ambiguous"] = True``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geopy.exc import GeocoderQueryError
from geopy.geocoders.base import DEFAULT_SENTINEL, Geocoder
from geopy.location import Location
from geopy.point import Point

from ..communes import ATTRIBUTION
from .gazetteer import REVERSE_MAX_KM, Gazetteer, Match, Place, Resolution, get_gazetteer
from .results import OFFLINE_SOURCE, Attempt, Candidate, GeocodeOutcome, GeocodeResult
from .text import AddressQuery, parse_address, parse_city

Query = AddressQuery | str | Mapping[str, Any]


class AmbiguousQuery(GeocoderQueryError):
    """Several communes fit the query equally well; refine it (postal code, département).

    ``candidates`` holds a geopy ``Location`` per commune, so a caller can offer a choice.
    """

    def __init__(self, message: str, candidates: list[Location]) -> None:
        super().__init__(message)
        self.candidates = candidates


class OfflineGeocoder(Geocoder):
    """Commune-level geocoding of French addresses from La Poste's base, offline.

    Accepts free text ("12 rue X, 69003 Lyon", "Lyon 3ème", "Beaumont (63)") or a
    structured query like geopy's providers take (``street``, ``postalcode``,
    ``city``, ``country``; also ``departement``). Results are geopy ``Location``
    objects whose ``raw`` carries ``precision`` ("municipality"), ``source``,
    ``score`` (0-1), ``insee``, ``postal_code``, ``city``, ``departement`` and
    ``how`` (which matching step found it).
    """

    source = OFFLINE_SOURCE

    def __init__(self, *, gazetteer: Gazetteer | None = None, **kwargs: Any) -> None:
        """``gazetteer`` defaults to the packaged base, loaded on first use.

        geopy's keyword arguments (timeout, user_agent...) are accepted so the
        class drops in wherever a geopy geocoder is built; no request is ever made.
        """
        super().__init__(**kwargs)
        self._gazetteer = gazetteer
        self._points: dict[tuple[float | None, float | None], Point] = {}

    @property
    def gazetteer(self) -> Gazetteer:
        """The communes this geocoder matches against."""
        if self._gazetteer is None:
            self._gazetteer = get_gazetteer()
        return self._gazetteer

    # -- typed interface (used by the geocoding chain and the address check) ----------------

    def parse(self, query: Query) -> AddressQuery:
        """``query`` as an :class:`AddressQuery` (free text is split with the gazetteer's help)."""
        if isinstance(query, AddressQuery):
            return query
        return parse_address(query, is_place=self.gazetteer.is_name)

    def resolve(self, query: Query) -> Resolution:
        """Which commune(s) ``query`` designates."""
        address = self.parse(query)
        if not address.is_french:
            return Resolution(reason=f"outside France ({address.country})")
        city = parse_city(address.city) if address.city else None
        return self.gazetteer.resolve(
            postal_code=address.postal_code, city=city, departement=address.departement
        )

    def locate(self, query: Query) -> GeocodeOutcome:
        """Geocode ``query`` to a typed outcome: a result, or why not (with candidates)."""
        resolution = self.resolve(query)
        match = resolution.best
        if match is None:
            status = "ambiguous" if resolution.ambiguous else "not_found"
            return GeocodeOutcome(
                result=None,
                attempts=(Attempt(self.source, status, resolution.reason or ""),),
                definitive=True,
                candidates=tuple(candidate(m) for m in resolution.matches),
            )
        if not match.place.placeable:
            detail = f"{match.place.display} has no position in La Poste's base"
            return GeocodeOutcome(None, (Attempt(self.source, "not_found", detail),), True)
        return GeocodeOutcome(
            result=result_of(match),
            attempts=(Attempt(self.source, "found", match.how),),
            definitive=True,
        )

    def place_of(self, result: GeocodeResult) -> Place | None:
        """The commune (or postal area) a result lies in, as far as the base knows."""
        if result.insee:
            place = self.gazetteer.places.get(result.insee)
            if place is not None:
                return place
        if result.postal_code:
            best = self.gazetteer.postal_area(result.postal_code).best
            return best.place if best is not None else None
        return None

    def reach_km(self, result: GeocodeResult) -> float | None:
        """How far from its commune's centre the address of ``result`` may be, in km.

        None when the commune is unknown. See :meth:`Gazetteer.reach_km`.
        """
        place = self.place_of(result)
        if place is None or not place.placeable:
            return None
        return self.gazetteer.reach_km(place)

    # -- geopy interface --------------------------------------------------------------------

    def geocode(
        self,
        query: Query,
        *,
        exactly_one: bool = True,
        timeout: Any = DEFAULT_SENTINEL,
        limit: int | None = None,
    ) -> Location | list[Location] | None:
        """Return the commune of ``query`` as a geopy ``Location``, or None.

        :param exactly_one: one Location; raises :class:`AmbiguousQuery` when several
            communes fit. With False, a list of every fitting commune.
        :param timeout: accepted for geopy compatibility; nothing here waits.
        :param limit: with ``exactly_one=False``, at most this many Locations.
        """
        resolution = self.resolve(query)
        ambiguous = resolution.ambiguous
        locations = [
            self._location(m, ambiguous=ambiguous) for m in resolution.matches if m.place.placeable
        ]
        if not locations:
            return None
        if exactly_one:
            if ambiguous:
                raise AmbiguousQuery(resolution.reason or "ambiguous query", locations)
            return locations[0]
        return locations[:limit] if limit else locations

    def reverse(
        self,
        query: Any,
        *,
        exactly_one: bool = True,
        timeout: Any = DEFAULT_SENTINEL,
        limit: int | None = None,
    ) -> Location | list[Location] | None:
        """The commune(s) whose centre is nearest to a point (within 30 km), nearest first.

        :param query: a ``geopy.point.Point``, a (latitude, longitude) pair or "lat, lon".
        """
        point = Point(query)
        count = 1 if exactly_one else (limit or 5)
        near = [
            (distance, place)
            for distance, place in self.gazetteer.nearest(
                point.latitude, point.longitude, count=count
            )
            if distance <= REVERSE_MAX_KM
        ]
        if not near:
            return None
        locations = []
        for distance, place in near:
            code = place.postal_codes[0] if len(place.postal_codes) == 1 else None
            match = Match(place, code, 1.0, f"nearest commune centre ({distance:.1f} km)")
            location = self._location(match, ambiguous=False)
            location.raw["distance_km"] = round(distance, 3)
            locations.append(location)
        return locations[0] if exactly_one else locations

    def _location(self, match: Match, *, ambiguous: bool) -> Location:
        """A geopy Location for ``match`` (its place must be placeable)."""
        place = match.place
        result = result_of(match)
        raw = {
            "precision": result.precision,
            "source": self.source,
            "score": match.score,
            "insee": place.insee,
            "postal_code": match.postal_code,
            "city": result.city,
            "commune": place.name,
            "departement": place.departement,
            "ligne_5": match.ligne_5,
            "how": match.how,
            "ambiguous": ambiguous,
            "attribution": ATTRIBUTION,
        }
        return Location(result.label, self._point(place), raw)

    def _point(self, place: Place) -> Point:
        """The geopy Point of a place's centre, built once (geopy's parsing is not free)."""
        key = (place.lat, place.lon)
        point = self._points.get(key)
        if point is None:
            point = self._points[key] = Point(place.lat, place.lon)
        return point


def result_of(match: Match) -> GeocodeResult:
    """The municipality-level result of a (placeable) gazetteer match."""
    place = match.place
    town = " ".join(p for p in (match.postal_code, place.display) if p)
    label = f"{match.ligne_5.title()}, {town}" if match.ligne_5 else town
    return GeocodeResult(
        latitude=place.lat,  # type: ignore[arg-type]
        longitude=place.lon,  # type: ignore[arg-type]
        precision="municipality",
        source=OFFLINE_SOURCE,
        score=match.score,
        label=label,
        insee=place.insee,
        postal_code=match.postal_code,
        city=place.display if place.insee else None,
    )


def candidate(match: Match) -> Candidate:
    """A match offered as one of several places an address may be."""
    place = match.place
    return Candidate(
        label=" ".join(p for p in (match.postal_code, place.display) if p)
        + f" ({place.departement})",
        postal_code=match.postal_code,
        insee=place.insee,
        latitude=place.lat,
        longitude=place.lon,
    )
