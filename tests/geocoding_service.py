"""A stand-in geocoding service on 127.0.0.1 answering like BAN (addok) or Nominatim.

Tests point geopy's real ``BANFrance`` and ``Nominatim`` classes at it: the HTTP
request, geopy's parsing, timeouts and HTTP errors are all real; only the
service's knowledge is canned. Nothing leaves the machine.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: 12 rue Garibaldi, Lyon 3e, as BAN answers it (GeoJSON FeatureCollection).
BAN_GARIBALDI: dict[str, Any] = {
    "type": "FeatureCollection",
    "version": "draft",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [4.85297, 45.75751]},
            "properties": {
                "label": "12 Rue Garibaldi 69003 Lyon",
                "score": 0.9731,
                "housenumber": "12",
                "id": "69383_2845_00012",
                "name": "12 Rue Garibaldi",
                "postcode": "69003",
                "citycode": "69383",
                "city": "Lyon",
                "district": "Lyon 3e Arrondissement",
                "context": "69, Rhône, Auvergne-Rhône-Alpes",
                "type": "housenumber",
                "importance": 0.70441,
                "street": "Rue Garibaldi",
            },
        }
    ],
    "attribution": "BAN",
    "licence": "ETALAB-2.0",
    "query": "12 rue Garibaldi 69003 Lyon",
    "limit": 5,
}

#: The same address as Nominatim answers it (jsonv2 list with address details).
NOMINATIM_GARIBALDI: list[dict[str, Any]] = [
    {
        "place_id": 84512937,
        "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
        "osm_type": "node",
        "osm_id": 2918273645,
        "lat": "45.7574212",
        "lon": "4.8529311",
        "category": "place",
        "type": "house",
        "place_rank": 30,
        "importance": 0.00000999999999995449,
        "addresstype": "place",
        "name": "",
        "display_name": "12, Rue Garibaldi, Lyon 3e Arrondissement, Lyon, Métropole de Lyon,"
        " Rhône, Auvergne-Rhône-Alpes, France métropolitaine, 69003, France",
        "address": {
            "house_number": "12",
            "road": "Rue Garibaldi",
            "suburb": "Lyon 3e Arrondissement",
            "city": "Lyon",
            "county": "Métropole de Lyon",
            "state": "Auvergne-Rhône-Alpes",
            "postcode": "69003",
            "country": "France",
            "country_code": "fr",
        },
        "boundingbox": ["45.7573712", "45.7574712", "4.8528811", "4.8529811"],
    }
]


def ban_feature(
    lon: float, lat: float, *, kind: str, score: float, citycode: str, label: str
) -> dict[str, Any]:
    """A BAN answer with one feature."""
    answer = json.loads(json.dumps(BAN_GARIBALDI))
    feature = answer["features"][0]
    feature["geometry"]["coordinates"] = [lon, lat]
    feature["properties"].update(type=kind, score=score, citycode=citycode, label=label)
    return answer


@dataclass
class Request:
    """What the service received."""

    path: str
    query: dict[str, str]
    user_agent: str


@dataclass
class FakeService:
    """The service's behaviour (set by tests) and what it received."""

    host: str = "127.0.0.1"
    port: int = 0
    #: Body answered with 200 (a JSON value).
    answer: Any = field(default_factory=lambda: BAN_GARIBALDI)
    #: HTTP status to answer instead (500, 503...), or None for 200.
    status: int | None = None
    #: Seconds to wait before answering (longer than the client's timeout: a timeout).
    delay: float = 0.0
    requests: list[Request] = field(default_factory=list)

    @property
    def domain(self) -> str:
        """What geopy calls the domain: host and port."""
        return f"{self.host}:{self.port}"


def _handler(service: FakeService) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to ``service``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            service.requests.append(Request(url.path, query, self.headers.get("User-Agent", "")))
            if service.delay:
                time.sleep(service.delay)
            status = service.status or 200
            body = json.dumps(service.answer if status == 200 else {"error": "boom"}).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout): nothing to answer to

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler


@contextmanager
def running_service() -> Iterator[FakeService]:
    """Start a fake service on a free port of 127.0.0.1; stop it afterwards."""
    service = FakeService()
    server = ThreadingHTTPServer((service.host, 0), _handler(service))
    server.daemon_threads = True
    service.port = server.server_address[1]
    # A short poll interval: shutdown() waits up to one interval.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
