"""geopy's real BANFrance and Nominatim, end to end against a local service, and the fallback.

The service (tests/geocoding_service.py) runs on 127.0.0.1 and answers in each
provider's format; timeouts and 5xx are real HTTP behaviour. No test touches
the internet.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import BANFrance, Nominatim

from routing.geocoding import (
    AddressQuery,
    GeocodingChain,
    MemoryCache,
    OfflineGeocoder,
    ProviderSettings,
    build_provider,
)

from .geocoding_service import NOMINATIM_GARIBALDI, FakeService, ban_feature, running_service

GARIBALDI = AddressQuery(street="12 rue Garibaldi", postal_code="69003", city="Lyon")
#: Lyon 3e's centre in La Poste's base: where the offline fallback puts Garibaldi.
LYON_3 = (45.75336, 4.86919)


@pytest.fixture(scope="module")
def offline() -> OfflineGeocoder:
    """The offline fallback (its gazetteer built once for the module)."""
    return OfflineGeocoder()


@pytest.fixture
def service() -> Iterator[FakeService]:
    """A fresh local service per test."""
    with running_service() as running:
        yield running


def chain_for(
    service: FakeService,
    offline: OfflineGeocoder,
    name: str = "ban",
    *,
    cache: MemoryCache | None = None,
    **overrides: object,
) -> GeocodingChain:
    """A chain asking ``service`` through geopy's class for ``name``, fast to fail in tests."""
    options: dict[str, object] = {
        "name": name,
        "domain": service.domain,
        "scheme": "http",
        "timeout": 2.0,
        "min_delay": 0.0,
        "retries": 0,
        "retry_wait": 0.0,
        "user_agent": "tournee-tests/1",
    }
    options.update(overrides)
    settings = ProviderSettings(**options)  # type: ignore[arg-type]
    return GeocodingChain(offline=offline, provider=build_provider(settings), cache=cache)


# --- BAN -------------------------------------------------------------------------------------


def test_ban_through_geopy_keeps_house_number_precision_and_score(
    service: FakeService, offline: OfflineGeocoder
) -> None:
    """geopy's BANFrance asks the service by domain and scheme; the house number is kept."""
    chain = chain_for(service, offline)
    assert isinstance(chain.provider.geocoder, BANFrance)  # type: ignore[union-attr]
    outcome = chain.geocode(GARIBALDI)
    result = outcome.result
    assert result is not None
    assert (result.precision, result.source, result.score) == ("housenumber", "ban", 0.9731)
    assert (result.latitude, result.longitude) == (45.75751, 4.85297)
    assert (result.insee, result.postal_code, result.label) == (
        "69383",
        "69003",
        "12 Rue Garibaldi 69003 Lyon",
    )
    assert outcome.definitive
    (request,) = service.requests
    assert request.path == "/search"
    assert request.query["q"] == "12 rue Garibaldi 69003 Lyon"
    assert request.user_agent == "tournee-tests/1"


def test_ban_street_and_locality_results_are_street_precision(
    service: FakeService, offline: OfflineGeocoder
) -> None:
    """A street (or lieu-dit) result is street precision, not a commune centre."""
    service.answer = ban_feature(
        4.8531, 45.7580, kind="street", score=0.81, citycode="69383", label="Rue Garibaldi"
    )
    result = chain_for(service, offline).geocode(GARIBALDI).result
    assert result is not None
    assert (result.precision, result.score) == ("street", 0.81)


def test_a_low_score_falls_back_to_the_commune(
    service: FakeService, offline: OfflineGeocoder
) -> None:
    """Below the minimum score the service's guess is not trusted: the commune centre is."""
    service.answer = ban_feature(
        4.85, 45.75, kind="housenumber", score=0.31, citycode="69383", label="12 Rue X Lyon"
    )
    outcome = chain_for(service, offline, min_score=0.5).geocode(GARIBALDI)
    assert outcome.result is not None
    assert (outcome.result.source, outcome.result.precision) == (
        "laposte-communes",
        "municipality",
    )
    assert (outcome.result.latitude, outcome.result.longitude) == LYON_3
    assert outcome.attempts[0].status == "rejected"
    assert "score 0.31" in outcome.attempts[0].detail
    assert outcome.definitive


def test_a_result_in_another_town_is_rejected(
    service: FakeService, offline: OfflineGeocoder
) -> None:
    """A same-named street in Grenoble is no answer for a Lyon address."""
    service.answer = ban_feature(
        5.7245, 45.1885, kind="housenumber", score=0.9, citycode="38185", label="12 Rue Garibaldi"
    )
    outcome = chain_for(service, offline).geocode(GARIBALDI)
    assert outcome.result is not None
    assert outcome.result.source == "laposte-communes"
    assert outcome.attempts[0].status == "rejected"
    assert "beyond the commune's reach" in outcome.attempts[0].detail


def test_a_5xx_falls_back_offline_and_is_not_definitive(
    service: FakeService, offline: OfflineGeocoder
) -> None:
    """HTTP 500: the offline geocoder answers, and the outcome asks to try again later."""
    service.status = 500
    outcome = chain_for(service, offline).geocode(GARIBALDI)
    assert outcome.result is not None
    assert (outcome.result.latitude, outcome.result.longitude) == LYON_3
    assert not outcome.definitive
    error = outcome.attempts[0]
    assert (error.source, error.status) == ("ban", "error")
    assert error.detail == "HTTP 500 from the service"
    assert outcome.attempts[1].source == "laposte-communes"


def test_a_503_falls_back_offline(service: FakeService, offline: OfflineGeocoder) -> None:
    """HTTP 503 (geopy raises it as a timeout): reported with its status, offline answers."""
    service.status = 503
    outcome = chain_for(service, offline).geocode(GARIBALDI)
    assert outcome.result is not None
    assert outcome.result.source == "laposte-communes"
    assert outcome.attempts[0].detail == "HTTP 503 from the service"


def test_a_timeout_falls_back_offline_after_the_retries(
    service: FakeService, offline: OfflineGeocoder
) -> None:
    """The service answers after the configured timeout: the rate limiter retries once, then
    the offline geocoder answers."""
    service.delay = 1.0
    chain = chain_for(service, offline, timeout=0.2, retries=1)
    outcome = chain.geocode(GARIBALDI)
    assert outcome.result is not None
    assert outcome.result.source == "laposte-communes"
    assert not outcome.definitive
    assert outcome.attempts[0].detail == "timed out after 0.2 s"
    assert len(service.requests) == 2


def test_an_unreachable_service_falls_back_offline(offline: OfflineGeocoder) -> None:
    """Nothing listening on the port: an error, then the offline answer."""
    with running_service() as gone:
        domain = gone.domain
    settings = ProviderSettings(name="ban", domain=domain, scheme="http", timeout=1, retries=0)
    chain = GeocodingChain(offline=offline, provider=build_provider(settings))
    outcome = chain.geocode(GARIBALDI)
    assert outcome.result is not None
    assert outcome.result.source == "laposte-communes"
    assert outcome.attempts[0].status == "error"
    assert not outcome.definitive


def test_nothing_found_falls_back_and_is_definitive(
    service: FakeService, offline: OfflineGeocoder
) -> None:
    """An empty FeatureCollection: the commune centre, and no reason to ask again."""
    service.answer = {"type": "FeatureCollection", "features": []}
    outcome = chain_for(service, offline).geocode(GARIBALDI)
    assert outcome.result is not None
    assert outcome.result.source == "laposte-communes"
    assert outcome.attempts[0].status == "not_found"
    assert outcome.definitive


def test_the_cache_asks_the_same_normalized_address_once(
    service: FakeService, offline: OfflineGeocoder
) -> None:
    """The same address, however written, is sent once; "nothing found" is remembered too."""
    cache = MemoryCache()
    chain = chain_for(service, offline, cache=cache)
    first = chain.geocode(GARIBALDI)
    again = chain.geocode(
        AddressQuery(street="12, Rue GARIBALDI", postal_code="69003", city="LYON")
    )
    assert len(service.requests) == 1
    assert again.result == first.result
    assert again.attempts[0].cached
    service.answer = {"type": "FeatureCollection", "features": []}
    elsewhere = AddressQuery(street="1 place Bellecour", postal_code="69002", city="Lyon")
    chain.geocode(elsewhere)
    chain.geocode(elsewhere)
    assert len(service.requests) == 2


def test_failures_are_not_cached(service: FakeService, offline: OfflineGeocoder) -> None:
    """A 500 is asked again next time (and then succeeds)."""
    cache = MemoryCache()
    chain = chain_for(service, offline, cache=cache)
    service.status = 500
    assert not chain.geocode(GARIBALDI).definitive
    service.status = None
    outcome = chain.geocode(GARIBALDI)
    assert outcome.result is not None
    assert outcome.result.source == "ban"
    assert len(service.requests) == 2


def test_no_request_without_a_street_or_for_an_ambiguous_commune(
    service: FakeService, offline: OfflineGeocoder
) -> None:
    """A commune is the offline geocoder's job; an ambiguous one is not sent to be guessed."""
    chain = chain_for(service, offline)
    town_only = chain.geocode(AddressQuery(postal_code="69003", city="Lyon"))
    assert town_only.result is not None
    assert town_only.result.source == "laposte-communes"
    ambiguous = chain.geocode(AddressQuery(street="1 rue de la Mairie", city="Beaumont"))
    assert ambiguous.result is None
    assert ambiguous.ambiguous
    assert len(ambiguous.candidates) == 8
    assert service.requests == []


def test_cedex_is_not_sent_to_the_service(service: FakeService, offline: OfflineGeocoder) -> None:
    """BAN knows no CEDEX code: the query drops it, and the word."""
    chain_for(service, offline).geocode(
        AddressQuery(street="12 rue Garibaldi", postal_code="69441", city="LYON CEDEX 03")
    )
    assert service.requests[0].query["q"] == "12 rue Garibaldi LYON"


def test_requests_go_through_geopys_rate_limiter(offline: OfflineGeocoder) -> None:
    """Every provider call is wrapped in geopy's RateLimiter with the configured delay, retries
    and errors raised (so the chain can fall back)."""
    settings = ProviderSettings(name="nominatim", min_delay=None, retries=3, retry_wait=1.5)
    provider = build_provider(settings)
    assert provider is not None
    limiter = provider._geocode
    assert isinstance(limiter, RateLimiter)
    assert (limiter.min_delay_seconds, limiter.max_retries, limiter.error_wait_seconds) == (
        1.0,
        3,
        1.5,
    )
    assert not limiter.swallow_exceptions
    assert build_provider(ProviderSettings(name="offline")) is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"name": "google"}, "geocoder must be one of"),
        ({"scheme": "ftp"}, "scheme"),
        ({"timeout": 0}, "timeout"),
        ({"min_score": 2}, "minimum score"),
    ],
)
def test_bad_settings_are_refused_by_name(options: dict[str, object], message: str) -> None:
    """Settings that cannot work fail at once, naming what is wrong."""
    with pytest.raises(ValueError, match=message):
        ProviderSettings(**options)  # type: ignore[arg-type]


# --- Nominatim --------------------------------------------------------------------------------


def test_nominatim_through_geopy_with_a_structured_query(
    service: FakeService, offline: OfflineGeocoder
) -> None:
    """geopy's Nominatim sends a structured query, the user agent and the country; the house
    number is kept; Nominatim's importance is not taken for a score."""
    service.answer = NOMINATIM_GARIBALDI
    chain = chain_for(service, offline, "nominatim", user_agent="acme-crm/2 (ops@acme.fr)")
    assert isinstance(chain.provider.geocoder, Nominatim)  # type: ignore[union-attr]
    outcome = chain.geocode(GARIBALDI)
    result = outcome.result
    assert result is not None
    assert (result.precision, result.source, result.score) == ("housenumber", "nominatim", None)
    assert (result.latitude, result.longitude) == (45.7574212, 4.8529311)
    assert (result.postal_code, result.city) == ("69003", "Lyon")
    (request,) = service.requests
    assert request.path == "/search"
    assert request.user_agent == "acme-crm/2 (ops@acme.fr)"
    assert {k: request.query[k] for k in ("street", "postalcode", "city", "countrycodes")} == {
        "street": "12 rue Garibaldi",
        "postalcode": "69003",
        "city": "Lyon",
        "countrycodes": "fr",
    }
    assert request.query["addressdetails"] == "1"


@pytest.mark.parametrize(
    ("rank", "address", "precision"),
    [
        (26, {"road": "Rue Garibaldi", "city": "Lyon", "postcode": "69003"}, "street"),
        (16, {"city": "Lyon", "postcode": "69003"}, "municipality"),
        (8, {"state": "Auvergne-Rhône-Alpes"}, None),
    ],
)
def test_nominatim_precision_follows_the_place_rank(
    service: FakeService,
    offline: OfflineGeocoder,
    rank: int,
    address: dict[str, str],
    precision: str | None,
) -> None:
    """Street and city results keep their precision; a region is too coarse to use."""
    place = {**NOMINATIM_GARIBALDI[0], "place_rank": rank, "address": address}
    service.answer = [place]
    outcome = chain_for(service, offline, "nominatim").geocode(GARIBALDI)
    assert outcome.result is not None
    if precision is None:
        assert outcome.result.source == "laposte-communes"
        assert outcome.attempts[0].status == "not_found"
    else:
        assert (outcome.result.source, outcome.result.precision) == ("nominatim", precision)


def test_nominatim_5xx_and_empty_answers_fall_back(
    service: FakeService, offline: OfflineGeocoder
) -> None:
    """Nominatim down, or finding nothing: the commune centre."""
    service.status = 502
    down = chain_for(service, offline, "nominatim").geocode(GARIBALDI)
    assert down.result is not None
    assert down.result.source == "laposte-communes"
    assert not down.definitive
    service.status, service.answer = None, []
    empty = chain_for(service, offline, "nominatim").geocode(GARIBALDI)
    assert empty.result is not None
    assert empty.result.source == "laposte-communes"
    assert empty.definitive
