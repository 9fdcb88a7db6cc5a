"""The fallback chain: the configured online service first, the offline geocoder always.

For one address:

1. The offline geocoder finds the commune (microseconds, no network). If the
   address fits several communes, stop: it is ambiguous, and no service is asked
   to guess which one is meant.
2. If an online service is configured, the address has a street (without one a
   service can do no better than the commune) and the service covers the
   country, ask it, through the answer cache when there is one: the same
   normalized address is never sent twice, and "nothing found" is remembered too.
   Its result is kept unless it scores below the minimum or lands outside the
   reach of the commune the offline geocoder found (a same-named street in the
   wrong town).
3. Otherwise the offline result stands. When the service failed (timeout, 5xx,
   unreachable) the outcome is not definitive: asking again later may do better.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from geopy.adapters import AdapterHTTPError
from geopy.exc import GeocoderTimedOut, GeopyError

from .gazetteer import distance_km
from .offline import OfflineGeocoder
from .online import OnlineProvider
from .results import Attempt, GeocodeOutcome, GeocodeResult
from .text import AddressQuery


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """What a service answered for an address: a result, or None for nothing found."""

    result: GeocodeResult | None


class AnswerCache(Protocol):
    """Where service answers are kept (the server keeps them in its database)."""

    def get(self, provider: str, address: str) -> CachedAnswer | None:
        """The answer ``provider`` gave for the normalized ``address``, if it was asked."""

    def put(self, provider: str, address: str, result: GeocodeResult | None) -> None:
        """Remember what ``provider`` answered for ``address``."""


class MemoryCache:
    """An :class:`AnswerCache` in a dict: for scripts and tests."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], CachedAnswer] = {}

    def get(self, provider: str, address: str) -> CachedAnswer | None:
        """The stored answer, if any."""
        return self.answers.get((provider, address))

    def put(self, provider: str, address: str, result: GeocodeResult | None) -> None:
        """Store an answer."""
        self.answers[(provider, address)] = CachedAnswer(result)


class GeocodingChain:
    """Geocode addresses with an optional online service and the offline fallback."""

    def __init__(
        self,
        *,
        offline: OfflineGeocoder | None = None,
        provider: OnlineProvider | None = None,
        cache: AnswerCache | None = None,
    ) -> None:
        self.offline = offline or OfflineGeocoder()
        self.provider = provider
        self.cache = cache

    def asks_provider(self, address: AddressQuery) -> bool:
        """True when geocoding ``address`` would involve the online service."""
        return (
            self.provider is not None
            and bool(address.street and address.street.strip())
            and self.provider.covers(address)
        )

    def geocode(self, address: AddressQuery) -> GeocodeOutcome:
        """Place ``address`` (see the module docstring for the order of things)."""
        offline = self.offline.locate(address)
        if offline.ambiguous or not self.asks_provider(address):
            return offline
        provider = self.provider
        assert provider is not None  # asks_provider checked it
        key = provider.cache_key(address)
        cached = self.cache.get(provider.identity, key) if self.cache is not None else None
        if cached is not None:
            result = cached.result
        else:
            try:
                result = provider.lookup(address)
            except (GeopyError, ValueError, LookupError, TypeError) as exc:
                # GeopyError: timeouts, HTTP errors, unreachable host. The others: an
                # answer in an unexpected shape. Either way, fall back and retry later.
                failure = Attempt(provider.name, "error", describe(exc, provider))
                return _fallback(offline, failure, definitive=False)
            if self.cache is not None:
                self.cache.put(provider.identity, key, result)
        verdict = self._verdict(result, offline.result, provider)
        attempt = Attempt(provider.name, verdict[0], verdict[1], cached=cached is not None)
        if verdict[0] == "found" and result is not None:
            return GeocodeOutcome(result, (attempt,), definitive=True)
        return _fallback(offline, attempt, definitive=True)

    def _verdict(
        self,
        result: GeocodeResult | None,
        commune: GeocodeResult | None,
        provider: OnlineProvider,
    ) -> tuple[str, str]:
        """("found" | "not_found" | "rejected", why) for a service's result."""
        if result is None:
            return "not_found", "no result precise enough"
        minimum = provider.settings.min_score
        if result.score is not None and result.score < minimum:
            return "rejected", f"score {result.score:.2f} below {minimum:.2f}"
        if commune is not None:
            reach = self.offline.reach_km(commune)
            away = distance_km(
                result.latitude, result.longitude, commune.latitude, commune.longitude
            )
            if reach is not None and away > reach:
                return "rejected", (
                    f"placed {away:.1f} km from {commune.label}, beyond the commune's"
                    f" reach ({reach:.1f} km)"
                )
        return "found", f"{result.precision}: {result.label}"


def _fallback(offline: GeocodeOutcome, attempt: Attempt, *, definitive: bool) -> GeocodeOutcome:
    """The offline outcome, after the service's attempt."""
    return GeocodeOutcome(
        result=offline.result,
        attempts=(attempt, *offline.attempts),
        definitive=definitive,
        candidates=offline.candidates,
    )


def describe(exc: BaseException, provider: OnlineProvider) -> str:
    """A one-line reason for a failed request."""
    cause = exc.__cause__
    if isinstance(cause, AdapterHTTPError):
        # geopy turns statuses into exception classes (503 into GeocoderTimedOut): say the status.
        return f"HTTP {cause.status_code} from the service"
    if isinstance(exc, GeocoderTimedOut):
        return f"timed out after {provider.settings.timeout:g} s"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]
