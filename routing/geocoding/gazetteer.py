"""The offline gazetteer: La Poste's communes indexed for matching addresses to communes.

Built once per process from :func:`routing.communes.load_communes`. Lookups are
dictionary hits on normalized names (:func:`~routing.geocoding.text.name_key`)
under a postal code, a département or all of France; only when those miss does
fuzzy matching (rapidfuzz) run, on the few hundred names of one postal code or
département, or on all of France with a stricter cut-off.

The matching order, and the score each step gives (1.0 is certain):

1. postal code + name: the commune name, its routing label ("LYON" for every Lyon
   arrondissement) or an arrondissement ("Lyon 3e") under that code (1.0); an old
   commune or lieu-dit from Ligne 5, or the name without its article (0.95).
2. postal code + a name that exists elsewhere: when the postal code's place and
   the named commune are within :data:`MISMATCH_TOLERANCE_KM`, the named commune
   (0.7) — a wrong code is a likelier typo than a wrong town; further apart, the
   address is ambiguous and both are returned.
3. postal code + a misspelt name under that code (0.9 x similarity).
4. postal code alone: its commune (0.85), or the centre of the postal area
   when it covers several communes close together (0.5), else ambiguous.
5. an unknown postal code (CEDEX codes are not in La Poste's base) gives its
   département; the name is looked up there (0.9 with CEDEX, 0.85 without).
6. a name with a département hint: looked up in that département (0.9).
7. a name alone: a name unique in France is found (0.8); a name several
   communes share ("Beaumont", "Saint-Denis") is ambiguous, never guessed.
"""

from __future__ import annotations

import functools
import itertools
import math
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from ..communes import Commune, departement_of, display_name, read_communes
from .text import ARRONDISSEMENT_CITIES, CityName, clean_postal_code, name_key, without_article

#: INSEE codes of the three communes La Poste only lists per arrondissement.
WHOLE_CITY_INSEE = {"PARIS": "75056", "LYON": "69123", "MARSEILLE": "13055"}

# Scores (see the module docstring for when each applies).
SCORE_EXACT = 1.0
SCORE_VARIANT = 0.95  # Ligne 5 (old commune, lieu-dit) or name without its article
SCORE_SPELLING = 0.9  # times the similarity ratio
SCORE_CEDEX = 0.9
SCORE_DEPARTEMENT = 0.9
SCORE_UNKNOWN_POSTAL_CODE = 0.85
SCORE_POSTAL_CODE_ONLY = 0.85
SCORE_NAME_ONLY = 0.8
SCORE_MISMATCH = 0.7
SCORE_POSTAL_AREA = 0.5
SCORE_NAME_SPELLING = 0.7  # times the similarity, for a misspelt name alone

#: Fuzzy cut-offs (rapidfuzz ratio, 0-100): looser among a postal code's few names,
#: stricter among a département's hundreds, strictest across France.
FUZZY_CUTOFF_POSTAL_CODE = 80.0
FUZZY_CUTOFF_DEPARTEMENT = 85.0
FUZZY_CUTOFF_FRANCE = 90.0
#: A fuzzy winner must beat the runner-up (another commune) by this much.
FUZZY_MARGIN = 4.0

#: Postal code and city disagree: within this distance the named city wins.
MISMATCH_TOLERANCE_KM = 20.0
#: A postal code covering several communes is placed at their centre only if
#: none is further than this from it; otherwise it is ambiguous.
POSTAL_AREA_MAX_RADIUS_KM = 15.0

#: A commune's reach (how far from its centre a point of the commune may be) is
#: this factor times the mean distance to the three nearest other commune centres,
#: within [REACH_MIN_KM, REACH_MAX_KM]. Neighbouring centres are about a commune's
#: width apart, and a centre is rarely on the edge: see docs/architecture.md.
REACH_FACTOR = 1.25
REACH_MIN_KM = 3.0
REACH_MAX_KM = 25.0
#: Grid cell of the nearest-commune index, in degrees.
_CELL = 0.1
#: Reverse geocoding gives nothing further than this from every commune centre.
REVERSE_MAX_KM = 30.0

EARTH_RADIUS_KM = 6371.0088


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True, slots=True)
class Place:
    """A commune, a whole city over its arrondissements, or a postal area of several communes."""

    #: INSEE code; None for a postal area.
    insee: str | None
    #: La Poste's form ("LYON 03", "ST ETIENNE"); the postal code for a postal area.
    name: str
    departement: str
    lat: float | None
    lon: float | None
    postal_codes: tuple[str, ...]
    #: Routing label (libellé d'acheminement) of its addresses: "LYON" for Lyon 3e.
    label: str
    #: Normalized names that designate it for certain: its name and routing labels.
    names: tuple[str, ...] = ()
    #: Normalized names that designate it less surely: without article, Ligne 5.
    variants: tuple[str, ...] = ()
    #: Its Ligne 5 values (old communes, lieux-dits) as La Poste writes them.
    lignes_5: tuple[str, ...] = ()
    #: Arrondissements of a whole city, communes of a postal area (INSEE codes).
    parts: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        """Readable name: "Lyon 3e", "Saint-Étienne", "38190 (9 communes)"."""
        if self.insee is None:
            return f"{self.name} ({len(self.parts)} communes)"
        return _display(self.name)

    @property
    def placeable(self) -> bool:
        """True when the base gives it a position (270 Pacific rows have none)."""
        return self.lat is not None and self.lon is not None

    def ligne_5_of(self, key: str) -> str | None:
        """The Ligne 5 value whose normalized form is ``key``, if any."""
        return next((raw for raw in self.lignes_5 if name_key(raw) == key), None)


@dataclass(frozen=True, slots=True)
class Match:
    """One place an address may be, how it was found, and how sure that is (0-1)."""

    place: Place
    #: The postal code that goes with it: the query's when it is the place's.
    postal_code: str | None
    score: float
    how: str
    #: The Ligne 5 (old commune, lieu-dit) the query named, if any.
    ligne_5: str | None = None
    #: True when the query's postal code is not one of this place's.
    postal_code_mismatch: bool = False


@dataclass(frozen=True, slots=True)
class Resolution:
    """What the gazetteer made of an address: one match, several (ambiguous), or none."""

    matches: tuple[Match, ...] = ()
    #: Why nothing (or more than one thing) was found, for people.
    reason: str | None = None

    @property
    def found(self) -> bool:
        """Exactly one match."""
        return len(self.matches) == 1

    @property
    def ambiguous(self) -> bool:
        """Several matches, none better than the others."""
        return len(self.matches) > 1

    @property
    def best(self) -> Match | None:
        """The match when there is exactly one."""
        return self.matches[0] if len(self.matches) == 1 else None


#: What a normalized name designates: one place (the usual case, no container needed)
#: or several.
_Entry = Place | tuple[Place, ...]


def _entry_places(entry: _Entry | None) -> tuple[Place, ...]:
    """The places of an index entry."""
    if entry is None:
        return ()
    return entry if isinstance(entry, tuple) else (entry,)


def _entry_add(index: dict[str, _Entry], key: str, place: Place) -> None:
    """Record that ``key`` designates ``place``."""
    entry = index.get(key)
    if entry is None:
        index[key] = place
    elif isinstance(entry, tuple):
        if place not in entry:
            index[key] = (*entry, place)
    elif entry is not place:
        index[key] = (entry, place)


@dataclass
class Gazetteer:
    """Communes indexed by postal code, normalized name and département.

    Memory matters (every web worker holds one): one :class:`Place` per commune
    carries its own names, and the indexes point at places rather than copying rows.
    """

    #: INSEE code -> place (communes, arrondissements and whole cities).
    places: dict[str, Place]
    #: postal code -> the communes it serves.
    by_postal_code: dict[str, tuple[Place, ...]]
    #: normalized name -> places it names for certain (whole cities, not their labels).
    by_name: dict[str, _Entry]
    #: normalized name without article, or Ligne 5 -> places.
    by_variant: dict[str, _Entry]
    #: département -> its normalized names and variants (fuzzy matching choices).
    names_in_departement: dict[str, list[str]]
    _areas: dict[str, Resolution] = field(default_factory=dict, repr=False)
    _postal_code_names: dict[str, tuple[dict[str, list[Place]], dict[str, list[Place]]]] = field(
        default_factory=dict, repr=False
    )
    _reach: dict[str, float] = field(default_factory=dict, repr=False)
    _grid: dict[tuple[int, int], list[Place]] | None = field(default=None, repr=False)
    _names_by_length: dict[int, list[str]] | None = field(default=None, repr=False)

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def build(cls, communes: Iterable[Commune]) -> Gazetteer:
        """Index ``communes`` (La Poste rows; several per commune, sorted by INSEE code)."""
        keys: dict[str, str] = {}

        def key_of(text: str) -> str:
            # Names repeat across a commune's rows: normalize each once, and let equal
            # keys share one string object.
            key = keys.get(text)
            if key is None:
                key = keys[text] = name_key(text)
                if key == text:
                    keys[text] = key = text
            return key

        places: dict[str, Place] = {}
        codes: dict[str, list[Place]] = defaultdict(list)
        for insee, rows in itertools.groupby(communes, key=lambda row: row.insee):
            place, postal_codes = _place_of(list(rows), key_of)
            places[insee] = place
            for code in postal_codes:
                codes[code].append(place)
        whole_cities = _whole_cities(places)
        places.update({p.insee: p for p in whole_cities.values() if p.insee})

        by_name: dict[str, _Entry] = {}
        by_variant: dict[str, _Entry] = {}
        names_in_departement: dict[str, set[str]] = defaultdict(set)
        for place in places.values():
            for key in place.names:
                whole = whole_cities.get(key)
                # "LYON" (the routing label of each arrondissement) names the whole city.
                _entry_add(by_name, key, whole if whole is not None else place)
            for key in place.variants:
                _entry_add(by_variant, key, place)
            if not place.parts:
                names_in_departement[place.departement].update(place.names, place.variants)
        return cls(
            places=places,
            by_postal_code={code: tuple(p) for code, p in codes.items()},
            by_name=by_name,
            by_variant=by_variant,
            names_in_departement={d: sorted(n) for d, n in names_in_departement.items()},
        )

    # -- lookups ----------------------------------------------------------------------------

    def is_name(self, key: str) -> bool:
        """True when ``key`` (normalized) names a commune, old commune or whole city."""
        return key in self.by_name or key in self.by_variant

    def knows_postal_code(self, postal_code: str) -> bool:
        """True when La Poste's base lists ``postal_code``."""
        return postal_code in self.by_postal_code

    def communes_of_postal_code(self, postal_code: str) -> tuple[Place, ...]:
        """The communes a postal code serves, in INSEE order."""
        return self.by_postal_code.get(postal_code, ())

    def names_of_postal_code(self, postal_code: str) -> list[str]:
        """Every normalized name and variant of the communes ``postal_code`` serves."""
        served = self.by_postal_code.get(postal_code, ())
        return sorted({k for p in served for k in (*p.names, *p.variants)})

    def named(self, city: CityName, departement: str | None = None) -> list[Match]:
        """Places named ``city`` exactly (in ``departement`` when given).

        A certain name (commune name, routing label) hides variants (a lieu-dit of the
        same name elsewhere).
        """
        for index, score, how in (
            (self.by_name, SCORE_EXACT, "name"),
            (self.by_variant, SCORE_EXACT * SCORE_VARIANT, "variant"),
        ):
            found = [
                p
                for p in _entry_places(index.get(city.key))
                if departement is None or p.departement == departement
            ]
            if found:
                return [self._match(p, city.key, None, score, how) for p in found]
        return []

    def resolve(
        self,
        *,
        postal_code: str | None,
        city: CityName | None,
        departement: str | None = None,
    ) -> Resolution:
        """Find the commune of a postal code and/or city (see the module docstring)."""
        code = clean_postal_code(postal_code)
        departement = departement or (city.departement if city else None)
        if code and code in self.by_postal_code:
            return self._with_postal_code(code, city)
        if code:
            return self._with_unknown_postal_code(code, city)
        if city is None:
            return Resolution(reason="no postal code and no city")
        if departement:
            found = self._in_departement(city, departement)
            if found:
                return _resolution(found, SCORE_DEPARTEMENT, f"{city.key} in {departement}")
            return Resolution(reason=f"no commune named {city.key} in département {departement}")
        return self._in_france(city)

    def under_postal_code(self, code: str, key: str) -> list[Match]:
        """Communes of ``code`` that ``key`` names: certain names first, then variants."""
        names, variants = self._names_under(code)
        found = names.get(key)
        if found:
            return [self._match(p, key, code, SCORE_EXACT, "name") for p in found]
        return [self._match(p, key, code, SCORE_VARIANT, "variant") for p in variants.get(key, ())]

    def _names_under(self, code: str) -> tuple[dict[str, list[Place]], dict[str, list[Place]]]:
        """Names and variants of a postal code's communes, indexed on first use of the code.

        Some codes serve dozens of communes: scanning them on every lookup costs more
        than this small index, and most processes only ever see a few thousand codes.
        """
        index = self._postal_code_names.get(code)
        if index is None:
            names: dict[str, list[Place]] = defaultdict(list)
            variants: dict[str, list[Place]] = defaultdict(list)
            for place in self.by_postal_code.get(code, ()):
                for key in place.names:
                    names[key].append(place)
                for key in place.variants:
                    variants[key].append(place)
            index = self._postal_code_names[code] = (dict(names), dict(variants))
        return index

    def _with_postal_code(self, code: str, city: CityName | None) -> Resolution:
        """Steps 1-4: the postal code is known."""
        if city is None:
            return self.postal_area(code)
        found = self.under_postal_code(code, city.key)
        if found:
            return Resolution(tuple(found))
        area = self.postal_area(code)
        anchors = [m.place for m in area.matches]
        departement = departement_of(code)
        elsewhere = self.named(city, departement) or self.named(city)
        if elsewhere:
            return self._reconcile(elsewhere, anchors, code, city, SCORE_MISMATCH)
        spelt = self.closest(city.key, self.names_of_postal_code(code), FUZZY_CUTOFF_POSTAL_CODE)
        if spelt:
            key, ratio = spelt
            found = self.under_postal_code(code, key)
            return Resolution(
                tuple(_how(_scaled(m, SCORE_SPELLING * ratio), f"spelling of {key}") for m in found)
            )
        spelt = self.closest(
            city.key, self.names_in_departement.get(departement, []), FUZZY_CUTOFF_DEPARTEMENT
        )
        if spelt:
            key, ratio = spelt
            candidates = self.named(CityName(key, key), departement)
            return self._reconcile(candidates, anchors, code, city, SCORE_MISMATCH * ratio)
        # The city is unknown: the postal code alone says where, less surely.
        return Resolution(
            tuple(
                _how(_scaled(m, 0.8), f"postal code only ({city.key} not found)")
                for m in area.matches
            ),
            area.reason,
        )

    def _reconcile(
        self,
        named: list[Match],
        anchors: list[Place],
        code: str,
        city: CityName,
        score: float,
    ) -> Resolution:
        """A postal code and a city that designate different places (step 2)."""
        near = [
            m
            for m in named
            if not anchors or any(_within(m.place, a, MISMATCH_TOLERANCE_KM) for a in anchors)
        ]
        if len(near) == 1:
            match = near[0]
            how = f"{match.how}; postal code {code} is not its own"
            return Resolution(
                (
                    Match(
                        match.place,
                        match.postal_code,
                        round(score, 3),
                        how,
                        match.ligne_5,
                        postal_code_mismatch=True,
                    ),
                )
            )
        by_code = [Match(a, code, SCORE_MISMATCH, "postal code") for a in anchors]
        return Resolution(
            tuple((near or named)[:5]) + tuple(by_code[:5]),
            f"postal code {code} and city {city.key} designate places"
            f" more than {MISMATCH_TOLERANCE_KM:g} km apart",
        )

    def _with_unknown_postal_code(self, code: str, city: CityName | None) -> Resolution:
        """Step 5: a code La Poste does not list (CEDEX, typo): its département narrows the name."""
        if city is None:
            return Resolution(reason=f"postal code {code} is not in La Poste's base")
        try:
            departement = departement_of(code)
        except ValueError:
            departement = None
        if departement:
            found = self._in_departement(city, departement)
            if found:
                score = SCORE_CEDEX if city.cedex else SCORE_UNKNOWN_POSTAL_CODE
                return _resolution(found, score, f"{city.key} in {departement}")
        resolution = self._in_france(city)
        if resolution.found:
            return Resolution(tuple(_scaled(m, 0.75) for m in resolution.matches))
        return resolution

    def _in_departement(self, city: CityName, departement: str) -> list[Match]:
        """Exact, then fuzzy, name matches in one département."""
        found = self.named(city, departement)
        if found:
            return found
        spelt = self.closest(
            city.key, self.names_in_departement.get(departement, []), FUZZY_CUTOFF_DEPARTEMENT
        )
        if not spelt:
            return []
        key, ratio = spelt
        return [
            _how(_scaled(m, ratio), f"spelling of {key}")
            for m in self.named(CityName(key, key), departement)
        ]

    def _in_france(self, city: CityName) -> Resolution:
        """Step 7: a name alone, unique in France or ambiguous."""
        found = self.named(city)
        if len(found) == 1:
            return Resolution((_scaled(found[0], SCORE_NAME_ONLY),))
        if found:
            return Resolution(
                tuple(_scaled(m, SCORE_NAME_ONLY) for m in found),
                f"{len(found)} communes are named {city.key}: give the postal code"
                " or the département",
            )
        spelt = self.closest(city.key, self._names_near_length(city.key), FUZZY_CUTOFF_FRANCE)
        if spelt:
            key, ratio = spelt
            found = self.named(CityName(key, key))
            if len(found) == 1:
                match = _how(found[0], f"spelling of {key}")
                return Resolution((_scaled(match, SCORE_NAME_SPELLING * ratio),))
        return Resolution(reason=f"no commune named {city.key}")

    def _names_near_length(self, key: str) -> list[str]:
        """All names of France whose length allows a ratio above the national cut-off.

        A ratio r needs |len(a) - len(b)| <= (1 - r)(len(a) + len(b)): comparing only
        those names makes the rare France-wide fuzzy search several times cheaper.
        """
        if self._names_by_length is None:
            by_length: dict[int, list[str]] = defaultdict(list)
            for name in sorted({*self.by_name, *self.by_variant}):
                by_length[len(name)].append(name)
            self._names_by_length = dict(by_length)
        slack = 1 - FUZZY_CUTOFF_FRANCE / 100
        low = math.floor(len(key) * (1 - slack) / (1 + slack))
        high = math.ceil(len(key) * (1 + slack) / (1 - slack))
        return [n for size in range(low, high + 1) for n in self._names_by_length.get(size, ())]

    def postal_area(self, code: str) -> Resolution:
        """Step 4: where a postal code alone places an address (cached per code)."""
        cached = self._areas.get(code)
        if cached is not None:
            return cached
        communes = [p for p in self.communes_of_postal_code(code) if p.placeable]
        if not communes:
            result = Resolution(reason=f"postal code {code} has no placeable commune")
        elif len(communes) == 1:
            result = Resolution(
                (Match(communes[0], code, SCORE_POSTAL_CODE_ONLY, "postal code only"),)
            )
        else:
            lat = sum(p.lat for p in communes) / len(communes)  # type: ignore[misc]
            lon = sum(p.lon for p in communes) / len(communes)  # type: ignore[misc]
            radius = max(distance_km(lat, lon, p.lat, p.lon) for p in communes)  # type: ignore[arg-type]
            if radius <= POSTAL_AREA_MAX_RADIUS_KM:
                area = Place(
                    insee=None,
                    name=code,
                    departement=communes[0].departement,
                    lat=round(lat, 5),
                    lon=round(lon, 5),
                    postal_codes=(code,),
                    label=communes[0].label,
                    parts=tuple(p.insee for p in communes if p.insee),
                )
                result = Resolution(
                    (Match(area, code, SCORE_POSTAL_AREA, "postal area (several communes)"),)
                )
            else:
                result = Resolution(
                    tuple(Match(p, code, SCORE_POSTAL_AREA, "postal code only") for p in communes),
                    f"postal code {code} serves {len(communes)} communes up to"
                    f" {radius:.0f} km apart: give the city",
                )
        self._areas[code] = result
        return result

    # -- helpers ----------------------------------------------------------------------------

    def _match(self, place: Place, key: str, code: str | None, score: float, how: str) -> Match:
        """A match of ``place`` found through ``key``, with the postal code that goes with it."""
        if code is not None and code in place.postal_codes:
            postal_code: str | None = code
            how += " under the postal code"
        else:
            # A commune with several codes: which one applies depends on the street.
            postal_code = place.postal_codes[0] if len(place.postal_codes) == 1 else None
        ligne_5 = place.ligne_5_of(key) if key in place.variants else None
        return Match(place, postal_code, round(score, 3), how, ligne_5)

    def closest(self, key: str, choices: list[str], cutoff: float) -> tuple[str, float] | None:
        """The one name in ``choices`` closest to ``key`` (ratio 0-1), if clearly closest."""
        if not choices or len(key) < 3:
            return None
        ranked = process.extract(key, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=3)
        if not ranked:
            return None
        best_key, best, _ = ranked[0]
        best_places = set(self._designated(best_key))
        runners = [s for k, s, _ in ranked[1:] if set(self._designated(k)) != best_places]
        if runners and best - runners[0] < FUZZY_MARGIN:
            return None
        return best_key, best / 100.0

    def _designated(self, key: str) -> tuple[Place, ...]:
        """Every place ``key`` names, certainly or as a variant."""
        return _entry_places(self.by_name.get(key)) + _entry_places(self.by_variant.get(key))

    # -- reach and nearest communes ---------------------------------------------------------

    def reach_km(self, place: Place) -> float:
        """How far from its centre a point of ``place`` may plausibly be, in km.

        See :data:`REACH_FACTOR`. A whole city reaches as far as its furthest
        arrondissement does; a postal area as far as its furthest commune.
        """
        key = place.insee or f"area:{place.name}"
        cached = self._reach.get(key)
        if cached is not None:
            return cached
        if place.lat is None or place.lon is None:
            reach = REACH_MIN_KM
        elif place.parts:
            reach = max(
                distance_km(place.lat, place.lon, part.lat, part.lon) + self.reach_km(part)  # type: ignore[arg-type]
                for part in (self.places[i] for i in place.parts)
                if part.placeable
            )
        else:
            near = self.nearest(place.lat, place.lon, count=3, exclude=place.insee)
            spacing = sum(d for d, _ in near) / len(near) if near else REACH_MAX_KM
            reach = min(REACH_MAX_KM, max(REACH_MIN_KM, REACH_FACTOR * spacing))
        self._reach[key] = round(reach, 2)
        return self._reach[key]

    def nearest(
        self, lat: float, lon: float, *, count: int = 1, exclude: str | None = None
    ) -> list[tuple[float, Place]]:
        """The ``count`` commune centres nearest to (lat, lon), with their distance in km."""
        grid = self._nearest_grid()
        row, col = math.floor(lat / _CELL), math.floor(lon / _CELL)
        # Width of a cell in km at this latitude: a ring r cells out is at least r widths away.
        width = _CELL * 111.32 * max(0.2, math.cos(math.radians(min(abs(lat) + _CELL, 89.0))))
        found: list[tuple[float, Place]] = []
        for ring in range(0, 200):
            for cell in _ring(row, col, ring):
                for place in grid.get(cell, ()):
                    if place.insee != exclude:
                        found.append((distance_km(lat, lon, place.lat, place.lon), place))  # type: ignore[arg-type]
            if len(found) >= count:
                found.sort(key=lambda item: item[0])
                if found[count - 1][0] <= ring * width:
                    break
        found.sort(key=lambda item: item[0])
        return found[:count]

    def _nearest_grid(self) -> dict[tuple[int, int], list[Place]]:
        """Communes (not whole cities) by grid cell, built on first use."""
        if self._grid is None:
            grid: dict[tuple[int, int], list[Place]] = defaultdict(list)
            for place in self.places.values():
                if place.placeable and not place.parts:
                    cell = (math.floor(place.lat / _CELL), math.floor(place.lon / _CELL))  # type: ignore[operator]
                    grid[cell].append(place)
            self._grid = dict(grid)
        return self._grid


def _ring(row: int, col: int, ring: int) -> Iterator[tuple[int, int]]:
    """Grid cells exactly ``ring`` cells away (Chebyshev) from (row, col)."""
    if ring == 0:
        yield row, col
        return
    for c in range(col - ring, col + ring + 1):
        yield row - ring, c
        yield row + ring, c
    for r in range(row - ring + 1, row + ring):
        yield r, col - ring
        yield r, col + ring


@functools.lru_cache(maxsize=65536)
def _display(name: str) -> str:
    """Readable form of a La Poste name, computed once per name (results show it twice)."""
    return display_name(name)


def _place_of(rows: list[Commune], key_of: Callable[[str], str]) -> tuple[Place, list[str]]:
    """One commune's place from its La Poste rows, and the postal codes it has."""
    first = rows[0]
    if len(rows) == 1:  # most communes: one row, so skip the de-duplication below
        postal_codes = [first.postal_code]
        names = [key_of(first.name)]
        if first.label is not first.name:
            names = list(dict.fromkeys((names[0], key_of(first.label))))
        lignes_5: tuple[str, ...] = (first.ligne_5,) if first.ligne_5 else ()
    else:
        postal_codes = sorted({r.postal_code for r in rows})
        names = list(dict.fromkeys(key_of(t) for r in rows for t in (r.name, r.label)))
        lignes_5 = tuple(dict.fromkeys(r.ligne_5 for r in rows if r.ligne_5))
    variants = [v for v in map(without_article, names) if v]
    variants += [key_of(line) for line in lignes_5]
    place = Place(
        insee=first.insee,
        name=first.name,
        departement=_departement(first.insee),
        lat=first.lat,
        lon=first.lon,
        postal_codes=tuple(postal_codes),
        label=first.label,
        names=tuple(names),
        variants=tuple(v for v in dict.fromkeys(variants) if v not in names) if variants else (),
        lignes_5=lignes_5,
    )
    return place, postal_codes


_DEPARTEMENTS: dict[str, str] = {}


def _departement(insee: str) -> str:
    """Département of an INSEE code, one shared string per département (35,000 places)."""
    prefix = insee[:3] if insee[:2] in ("97", "98") else insee[:2]
    departement = _DEPARTEMENTS.get(prefix)
    if departement is None:
        departement = _DEPARTEMENTS[prefix] = sys.intern(departement_of(insee))
    return departement


def _whole_cities(places: dict[str, Place]) -> dict[str, Place]:
    """Paris, Lyon and Marseille as single places, at the mean of their arrondissements."""
    out = {}
    for name, insee in WHOLE_CITY_INSEE.items():
        parts = [
            p
            for p in places.values()
            if p.name.startswith(name + " ") and p.label == name and p.placeable
        ]
        if len(parts) != ARRONDISSEMENT_CITIES[name]:
            continue  # not the full La Poste base (a test subset): no whole city
        out[name] = Place(
            insee=insee,
            name=name,
            departement=parts[0].departement,
            lat=round(sum(p.lat for p in parts) / len(parts), 5),  # type: ignore[misc]
            lon=round(sum(p.lon for p in parts) / len(parts), 5),  # type: ignore[misc]
            postal_codes=tuple(sorted({c for p in parts for c in p.postal_codes})),
            label=name,
            names=(name,),
            parts=tuple(sorted(p.insee for p in parts if p.insee)),
        )
    return out


def _within(a: Place, b: Place, km: float) -> bool:
    """True when the centres of ``a`` and ``b`` are at most ``km`` apart."""
    if not (a.placeable and b.placeable):
        return False
    return distance_km(a.lat, a.lon, b.lat, b.lon) <= km  # type: ignore[arg-type]


def _scaled(match: Match, factor: float) -> Match:
    """``match`` with its score multiplied by ``factor``."""
    return Match(
        match.place,
        match.postal_code,
        round(match.score * factor, 3),
        match.how,
        match.ligne_5,
        match.postal_code_mismatch,
    )


def _how(match: Match, how: str) -> Match:
    """``match`` with another explanation."""
    return Match(
        match.place, match.postal_code, match.score, how, match.ligne_5, match.postal_code_mismatch
    )


def _resolution(matches: list[Match], factor: float, context: str) -> Resolution:
    """A resolution from matches found with a département: scaled, ambiguous if several."""
    scaled = tuple(_scaled(m, factor) for m in matches)
    if len(scaled) > 1:
        return Resolution(scaled, f"several communes match ({context})")
    return Resolution(scaled)


@functools.cache
def get_gazetteer() -> Gazetteer:
    """The gazetteer of the packaged La Poste base, built once per process."""
    return Gazetteer.build(read_communes())
