"""Travel matrices: whole seconds and metres between places, from three sources.

- :class:`GreatCircle` (default, offline): the great-circle distance times a road-detour
  factor, driven at a :class:`SpeedProfile` (slower for the first kilometres of a trip, in
  town, faster further out). No network, no data; good to a few minutes on a day's scale.
- :class:`OsrmTable`: the ``table`` service of an OSRM server (an existing routing engine on
  OpenStreetMap data, configured by URL): real road times and distances. Requests are split
  in blocks the server accepts; pairs it cannot route fall back to another source.
- :class:`CachedTravel` wraps either and remembers each pair, so re-planning from a new
  position or planning tomorrow with the same customers only asks for the missing pairs.

Every source answers :meth:`table` (sources x destinations) and :meth:`matrix` (places x
places), the :class:`~routing.model.TravelSource` protocol a problem needs.
"""

from __future__ import annotations

import json
import math
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .model import Location, TravelMatrix

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8

Rows = tuple[tuple[int, ...], ...]


class MatrixError(RuntimeError):
    """A travel source could not answer (server down, bad answer, unroutable places)."""


def great_circle_metres(a: Location, b: Location) -> float:
    """Haversine distance between ``a`` and ``b`` in metres."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi, dlam = phi2 - phi1, math.radians(b.lon - a.lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeedProfile:
    """How fast a road distance is driven: speed bands by kilometre of the trip.

    ``bands`` are (up to km, km/h): with the default, the first 5 km of a trip go at
    30 km/h (leaving a town), kilometres 5 to 30 at 60 km/h, the rest at 90 km/h. Speeds
    rising with distance make the time concave in the distance, so a detour through a
    third place never looks faster than the direct trip (the triangle inequality holds).
    """

    #: Road distance over great-circle distance; about 1.3 in France's countryside.
    detour: float = 1.3
    bands: tuple[tuple[float, float], ...] = ((5.0, 30.0), (30.0, 60.0), (math.inf, 90.0))
    #: Seconds added to each trip between two different places (parking, walking in).
    overhead: int = 0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.detour) and self.detour >= 1):
            raise ValueError(f"detour factor must be >= 1, got {self.detour!r}")
        if not self.bands or self.bands[-1][0] != math.inf:
            raise ValueError("the last speed band must reach infinity")
        previous = 0.0
        for upto, kmh in self.bands:
            if not (upto > previous and kmh > 0):
                raise ValueError("speed bands need increasing limits and positive speeds")
            previous = upto
        if self.overhead < 0:
            raise ValueError("overhead must be >= 0")

    def seconds(self, road_metres: float) -> int:
        """Whole seconds (rounded up) to drive ``road_metres``."""
        if road_metres <= 0:
            return 0
        km, lower, hours = road_metres / 1000, 0.0, 0.0
        for upto, kmh in self.bands:
            part = min(km, upto) - lower
            if part <= 0:
                break
            hours += part / kmh
            lower = upto
        return math.ceil(hours * 3600) + self.overhead


class _Source:
    """``matrix`` from ``table`` for every source."""

    def table(
        self, sources: Sequence[Location], destinations: Sequence[Location]
    ) -> tuple[Rows, Rows]:
        """(seconds, metres) from each source to each destination."""
        raise NotImplementedError

    def matrix(self, places: Sequence[Location]) -> TravelMatrix:
        """The square matrix between ``places``."""
        seconds, metres = self.table(places, places)
        return TravelMatrix(seconds=seconds, metres=metres)


@dataclass(frozen=True, slots=True)
class GreatCircle(_Source):
    """Offline travel: great circle x detour factor, at the profile's speeds."""

    profile: SpeedProfile = field(default_factory=SpeedProfile)

    def table(
        self, sources: Sequence[Location], destinations: Sequence[Location]
    ) -> tuple[Rows, Rows]:
        """(seconds, metres); zero between identical places."""
        # Haversine with each place's trigonometry computed once: a 300-place week is
        # 90,000 pairs, and this loop is most of the cost of an offline matrix.
        radius, detour, to_seconds = EARTH_RADIUS_M, self.profile.detour, self.profile.seconds
        dst = [
            (math.radians(b.lat), math.radians(b.lon), math.cos(math.radians(b.lat)))
            for b in destinations
        ]
        seconds, metres = [], []
        for a in sources:
            phi1, lam1, cos1 = (
                math.radians(a.lat),
                math.radians(a.lon),
                math.cos(math.radians(a.lat)),
            )
            srow, mrow = [], []
            for phi2, lam2, cos2 in dst:
                h = (
                    math.sin((phi2 - phi1) / 2) ** 2
                    + cos1 * cos2 * math.sin((lam2 - lam1) / 2) ** 2
                )
                road = 2 * radius * math.asin(min(1.0, math.sqrt(h))) * detour
                mrow.append(round(road))
                srow.append(to_seconds(road))
            seconds.append(tuple(srow))
            metres.append(tuple(mrow))
        return tuple(seconds), tuple(metres)


@dataclass(frozen=True, slots=True)
class Fixed(_Source):
    """A given table, ``pairs[(a, b)] = (seconds, metres)``; zero from a place to itself.

    For tests and hand-made instances: any place pair not given is an error.
    """

    pairs: Mapping[tuple[Location, Location], tuple[int, int]]

    def table(
        self, sources: Sequence[Location], destinations: Sequence[Location]
    ) -> tuple[Rows, Rows]:
        """(seconds, metres) looked up pair by pair."""
        try:
            cells = [
                [(0, 0) if a == b else self.pairs[(a, b)] for b in destinations] for a in sources
            ]
        except KeyError as exc:
            raise MatrixError(f"no travel given for {exc.args[0]}") from None
        return (
            tuple(tuple(c[0] for c in row) for row in cells),
            tuple(tuple(c[1] for c in row) for row in cells),
        )


@dataclass(frozen=True, slots=True)
class OsrmTable(_Source):
    """The ``table`` service of an OSRM server, e.g. ``OsrmTable("http://osrm:5000")``.

    One request asks for at most ``max_locations`` coordinates (OSRM's ``--max-table-size``
    defaults to 100); bigger tables are requested block by block. Pairs OSRM cannot route
    (null in its answer) come from ``fallback``, or raise :class:`MatrixError` without one.
    """

    url: str
    profile: str = "driving"
    timeout: float = 10.0
    max_locations: int = 100
    fallback: _Source | None = field(default_factory=GreatCircle)

    def __post_init__(self) -> None:
        parsed = urllib.parse.urlparse(self.url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"OSRM url must be http(s)://host[:port], got {self.url!r}")
        if self.max_locations < 2:
            raise ValueError("max_locations must be >= 2")

    def table(
        self, sources: Sequence[Location], destinations: Sequence[Location]
    ) -> tuple[Rows, Rows]:
        """(seconds, metres) from OSRM, block by block."""
        seconds = [[0] * len(destinations) for _ in sources]
        metres = [[0] * len(destinations) for _ in sources]
        src_block, dst_block = self._blocks(len(sources), len(destinations))
        for i in range(0, len(sources), src_block):
            for j in range(0, len(destinations), dst_block):
                src, dst = sources[i : i + src_block], destinations[j : j + dst_block]
                durations, distances = self._request(src, dst)
                for a, (drow, mrow) in enumerate(zip(durations, distances, strict=True)):
                    for b, (d, m) in enumerate(zip(drow, mrow, strict=True)):
                        if d is None or m is None:
                            d, m = self._fallback(src[a], dst[b])
                        seconds[i + a][j + b] = round(d)
                        metres[i + a][j + b] = round(m)
        return tuple(map(tuple, seconds)), tuple(map(tuple, metres))

    def _blocks(self, sources: int, destinations: int) -> tuple[int, int]:
        """Block sizes so that each request carries at most ``max_locations`` coordinates."""
        limit, half = self.max_locations, self.max_locations // 2
        if sources + destinations <= limit:
            return max(1, sources), max(1, destinations)
        if sources <= half:
            return sources, limit - sources
        if destinations <= half:
            return limit - destinations, destinations
        return half, limit - half

    def _fallback(self, a: Location, b: Location) -> tuple[int, int]:
        if self.fallback is None:
            raise MatrixError(f"OSRM cannot route {a} -> {b}")
        (s,), (m,) = self.fallback.table([a], [b])
        return s[0], m[0]

    def _request(
        self, sources: Sequence[Location], destinations: Sequence[Location]
    ) -> tuple[list[list[float | None]], list[list[float | None]]]:
        coords = ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in (*sources, *destinations))
        query = urllib.parse.urlencode(
            {
                "sources": ";".join(str(k) for k in range(len(sources))),
                "destinations": ";".join(str(len(sources) + k) for k in range(len(destinations))),
                "annotations": "duration,distance",
            }
        )
        url = f"{self.url.rstrip('/')}/table/v1/{self.profile}/{coords}?{query}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                doc = json.load(response)
        except urllib.error.HTTPError as exc:
            try:
                doc = json.load(exc)
            except ValueError:
                raise MatrixError(f"OSRM answered HTTP {exc.code}") from None
        except (OSError, ValueError) as exc:
            raise MatrixError(f"OSRM unreachable or answered garbage: {exc}") from None
        if doc.get("code") != "Ok":
            raise MatrixError(f"OSRM: {doc.get('code')}: {doc.get('message', '')}")
        durations, distances = doc.get("durations"), doc.get("distances")
        shape_ok = all(
            isinstance(t, list)
            and len(t) == len(sources)
            and all(isinstance(r, list) and len(r) == len(destinations) for r in t)
            for t in (durations, distances)
        )
        if not shape_ok:
            raise MatrixError("OSRM table has the wrong shape")
        return durations, distances  # type: ignore[return-value]


class CachedTravel(_Source):
    """Remembers every pair another source answered; asks it only for missing pairs.

    Bounded (least recently used pairs go first) and thread-safe, so one instance can
    serve a whole server process.
    """

    def __init__(self, source: _Source, *, max_pairs: int = 2_000_000) -> None:
        self.source = source
        self.max_pairs = max_pairs
        self._pairs: OrderedDict[tuple[Location, Location], tuple[int, int]] = OrderedDict()
        self._lock = threading.Lock()
        #: Number of calls made to the wrapped source (for tests and monitoring).
        self.misses = 0

    def table(
        self, sources: Sequence[Location], destinations: Sequence[Location]
    ) -> tuple[Rows, Rows]:
        """(seconds, metres), from the cache where possible."""
        with self._lock:
            values: dict[tuple[Location, Location], tuple[int, int]] = {}
            for a in sources:
                for b in destinations:
                    value = self._pairs.get((a, b))
                    if value is not None:
                        values[(a, b)] = value
                        self._pairs.move_to_end((a, b))
        # Sources that know nothing yet (new places) get whole rows; the other missing
        # pairs (old places to new ones) one more rectangle: re-planning from a new
        # position asks for one row and one column, not the whole matrix again.
        fresh_rows = [
            a for a in dict.fromkeys(sources) if not any((a, b) in values for b in destinations)
        ]
        rest = [
            a
            for a in dict.fromkeys(sources)
            if a not in fresh_rows and any((a, b) not in values for b in destinations)
        ]
        requests = []
        if fresh_rows:
            requests.append((fresh_rows, list(dict.fromkeys(destinations))))
        if rest:
            columns = dict.fromkeys(b for a in rest for b in destinations if (a, b) not in values)
            requests.append((rest, list(columns)))
        for src, dst in requests:
            # Outside the lock: this may be a network request.
            seconds, metres = self.source.table(src, dst)
            fresh = {
                (a, b): (sv, mv)
                for a, srow, mrow in zip(src, seconds, metres, strict=True)
                for b, sv, mv in zip(dst, srow, mrow, strict=True)
            }
            values.update(fresh)
            with self._lock:
                self.misses += 1
                self._pairs.update(fresh)
                while len(self._pairs) > self.max_pairs:
                    self._pairs.popitem(last=False)
        cells = [[values[(a, b)] for b in destinations] for a in sources]
        return (
            tuple(tuple(c[0] for c in row) for row in cells),
            tuple(tuple(c[1] for c in row) for row in cells),
        )
