"""Travel matrices: offline great circle, an OSRM server (a local fake here), the cache."""

from __future__ import annotations

import itertools
import json
import math
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from routing.matrix import (
    CachedTravel,
    Fixed,
    GreatCircle,
    MatrixError,
    OsrmTable,
    SpeedProfile,
    great_circle_metres,
)
from routing.model import Location

PARIS = Location(lat=48.8566, lon=2.3522)
LYON = Location(lat=45.7640, lon=4.8357)
MARSEILLE = Location(lat=43.2965, lon=5.3698)
#: A place the fake OSRM server cannot route to (as if it were at sea).
AT_SEA = Location(lat=43.0, lon=6.0)


def test_great_circle_distance_matches_known_values() -> None:
    """Paris-Lyon is about 392 km as the crow flies; a place is 0 m from itself."""
    assert great_circle_metres(PARIS, LYON) == pytest.approx(391_500, rel=0.005)
    assert great_circle_metres(LYON, LYON) == 0


def test_speed_profile_is_slow_in_town_and_fast_on_the_open_road() -> None:
    """5 km at 30 km/h is 10 min; 100 km mixes the bands; the overhead is added once."""
    profile = SpeedProfile()
    assert profile.seconds(5000) == 600
    assert profile.seconds(100_000) == math.ceil(3600 * (5 / 30 + 25 / 60 + 70 / 90))
    assert SpeedProfile(overhead=120).seconds(5000) == 720
    assert profile.seconds(0) == 0
    with pytest.raises(ValueError, match="detour"):
        SpeedProfile(detour=0.9)
    with pytest.raises(ValueError, match="infinity"):
        SpeedProfile(bands=((5.0, 30.0),))
    with pytest.raises(ValueError, match="increasing"):
        SpeedProfile(bands=((5.0, 30.0), (2.0, 50.0), (math.inf, 90.0)))


def test_great_circle_matrix_is_whole_units_and_keeps_the_triangle_inequality() -> None:
    """Integers, zero diagonal, symmetric, and no detour through a third place is faster."""
    places = [PARIS, LYON, MARSEILLE, Location(lat=45.80, lon=4.90), Location(lat=45.75, lon=4.80)]
    m = GreatCircle().matrix(places)
    n = len(places)
    for i, j in itertools.product(range(n), repeat=2):
        assert isinstance(m.seconds[i][j], int)
        assert isinstance(m.metres[i][j], int)
        assert m.seconds[i][j] == m.seconds[j][i]
    assert all(m.seconds[i][i] == 0 == m.metres[i][i] for i in range(n))
    for i, j, k in itertools.permutations(range(n), 3):
        # Rounding up each leg may add a second per leg, never more.
        assert m.seconds[i][j] <= m.seconds[i][k] + m.seconds[k][j] + 1
    # Road distance is the crow's distance times the detour factor.
    assert m.metres[0][1] == round(great_circle_metres(PARIS, LYON) * 1.3)


def test_fixed_travel_answers_given_pairs_only() -> None:
    """Hand-made tables answer what they were given and refuse the rest."""
    travel = Fixed({(PARIS, LYON): (100, 1000), (LYON, PARIS): (120, 1100)})
    m = travel.matrix([PARIS, LYON])
    assert m.seconds == ((0, 100), (120, 0))
    assert m.metres == ((0, 1000), (1100, 0))
    with pytest.raises(MatrixError, match="no travel"):
        travel.matrix([PARIS, MARSEILLE])


class FakeOsrm(BaseHTTPRequestHandler):
    """Answers OSRM's table service: 20 m/s along the great circle; null to AT_SEA.

    Like OSRM, it refuses tables with more coordinates than its maximum.
    """

    max_coordinates = 6
    requests: list[str] = []

    def do_GET(self) -> None:
        """Serve ``/table/v1/driving/lon,lat;...?sources=..&destinations=..``."""
        FakeOsrm.requests.append(self.path)
        url = urllib.parse.urlsplit(self.path)  # urlparse would cut the path at ";"
        prefix = "/table/v1/driving/"
        if not url.path.startswith(prefix):
            return self._answer(400, {"code": "InvalidUrl", "message": "bad path"})
        coords = [
            Location(lon=float(lon), lat=float(lat))
            for lon, lat in (pair.split(",") for pair in url.path[len(prefix) :].split(";"))
        ]
        if len(coords) > self.max_coordinates:
            return self._answer(400, {"code": "TooBig", "message": "Too many table coordinates"})
        query = urllib.parse.parse_qs(url.query)
        sources = [int(i) for i in query["sources"][0].split(";")]
        destinations = [int(i) for i in query["destinations"][0].split(";")]
        durations, distances = [], []
        for s in sources:
            drow, mrow = [], []
            for d in destinations:
                a, b = coords[s], coords[d]
                if AT_SEA in (a, b) and a != b:
                    drow.append(None)
                    mrow.append(None)
                else:
                    metres = great_circle_metres(a, b) * 1.2
                    drow.append(round(metres / 20, 1))
                    mrow.append(round(metres, 1))
            durations.append(drow)
            distances.append(mrow)
        return self._answer(200, {"code": "Ok", "durations": durations, "distances": distances})

    def _answer(self, status: int, doc: dict) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def osrm_url() -> Iterator[str]:
    """A fake OSRM server on a free local port, for the duration of one test."""
    FakeOsrm.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOsrm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_osrm_table_matches_the_server_in_blocks(osrm_url: str) -> None:
    """Tables larger than the server accepts are fetched block by block and reassembled."""
    places = [Location(lat=45.7 + k / 50, lon=4.8 + k / 40) for k in range(7)]
    m = OsrmTable(osrm_url, max_locations=6).matrix(places)
    assert len(FakeOsrm.requests) == 9  # 7 places in blocks of 3: 3 x 3 requests
    for i, j in itertools.product(range(7), repeat=2):
        metres = great_circle_metres(places[i], places[j]) * 1.2
        assert m.metres[i][j] == round(round(metres, 1))
        assert m.seconds[i][j] == round(round(metres / 20, 1))


def test_osrm_unroutable_pairs_fall_back_or_fail(osrm_url: str) -> None:
    """A null cell comes from the fallback source, or is an error without one."""
    m = OsrmTable(osrm_url).matrix([LYON, AT_SEA])
    expected = GreatCircle().matrix([LYON, AT_SEA])
    assert m.seconds[0][1] == expected.seconds[0][1]
    assert m.metres[1][0] == expected.metres[1][0]
    with pytest.raises(MatrixError, match="cannot route"):
        OsrmTable(osrm_url, fallback=None).matrix([LYON, AT_SEA])


def test_osrm_errors_are_named(osrm_url: str) -> None:
    """A refusal from the server or no server at all is a MatrixError, not a crash."""
    places = [Location(lat=45.7 + k / 50, lon=4.8) for k in range(8)]
    with pytest.raises(MatrixError, match="TooBig"):
        OsrmTable(osrm_url, max_locations=100).matrix(places)
    with pytest.raises(MatrixError, match="unreachable"):
        OsrmTable("http://127.0.0.1:9", timeout=1).matrix([LYON, PARIS])
    with pytest.raises(ValueError, match="OSRM url"):
        OsrmTable("ftp://example.org")


def test_cache_asks_only_for_missing_pairs(osrm_url: str) -> None:
    """The same places again cost nothing; a new place costs one row and one column."""
    travel = CachedTravel(OsrmTable(osrm_url, max_locations=6))
    places = [PARIS, LYON, MARSEILLE]
    first = travel.matrix(places)
    assert (travel.misses, len(FakeOsrm.requests)) == (1, 1)
    assert travel.matrix(list(reversed(places))).seconds[0][2] == first.seconds[2][0]
    assert (travel.misses, len(FakeOsrm.requests)) == (1, 1)
    here = Location(lat=45.8, lon=4.9)
    m = travel.matrix([*places, here])
    assert (travel.misses, len(FakeOsrm.requests)) == (3, 3)
    direct = OsrmTable(osrm_url, max_locations=6).matrix([*places, here])
    assert m == direct


def test_cache_is_bounded() -> None:
    """Past its size, the least recently used pairs are forgotten and asked again."""
    travel = CachedTravel(GreatCircle(), max_pairs=4)
    travel.matrix([PARIS, LYON])  # 4 pairs
    travel.matrix([MARSEILLE])  # 1 more: the oldest pair goes
    assert travel.misses == 2
    travel.matrix([PARIS, LYON])  # asks again for the pair it forgot
    assert travel.misses == 3
