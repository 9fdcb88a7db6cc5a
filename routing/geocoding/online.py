"""Online geocoders through geopy's own classes, rate limited: BAN and Nominatim.

- ``ban``: geopy's ``BANFrance``, the French national address base (Base Adresse
  Nationale, api-adresse.data.gouv.fr), or a self-hosted addok server given its
  domain and scheme. House-number precision, a match score.
- ``nominatim``: geopy's ``Nominatim`` (OpenStreetMap), public or self-hosted,
  with a user agent of your own as its usage policy requires. No match score.

Each call goes through geopy's ``RateLimiter`` (a minimum delay between requests,
retries after an error) with geopy's timeout. Errors are raised, not swallowed:
the geocoding chain (``chain.py``) records them and falls back to the offline
geocoder.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import BANFrance, Nominatim
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from .results import GeocodeResult, Precision
from .text import AddressQuery, clean_postal_code, parse_city

ProviderName = Literal["offline", "ban", "nominatim"]
PROVIDERS: tuple[ProviderName, ...] = ("offline", "ban", "nominatim")

DEFAULT_DOMAINS = {"ban": "api-adresse.data.gouv.fr", "nominatim": "nominatim.openstreetmap.org"}
#: Seconds between two requests unless configured: the public BAN allows 50 requests
#: per second per address, Nominatim's usage policy one.
DEFAULT_MIN_DELAY = {"ban": 1 / 40, "nominatim": 1.0}
DEFAULT_USER_AGENT = "tournee-crm/0.1"
#: BAN refuses a ``q`` longer than this.
BAN_MAX_QUERY = 200
_CEDEX = re.compile(r"\s*\bcedex\b.*$", re.IGNORECASE)


@dataclass(frozen=True)
class ProviderSettings:
    """Which online geocoder to use and how to talk to it."""

    name: ProviderName = "offline"
    #: Host (and port) of the service; None for the public one.
    domain: str | None = None
    scheme: Literal["http", "https"] = "https"
    user_agent: str = DEFAULT_USER_AGENT
    #: Seconds to wait for an answer (geopy's timeout).
    timeout: float = 5.0
    #: Seconds between requests; None for the provider's default.
    min_delay: float | None = None
    #: Retries after an error or timeout (geopy's RateLimiter), then fall back.
    retries: int = 1
    #: Seconds to wait before a retry.
    retry_wait: float = 2.0
    #: Results scored below this are not trusted (BAN scores; Nominatim gives none).
    min_score: float = 0.5

    def __post_init__(self) -> None:
        """Refuse settings that cannot work, naming the setting."""
        if self.name not in PROVIDERS:
            raise ValueError(f"geocoder must be one of {', '.join(PROVIDERS)}, not {self.name!r}")
        if self.scheme not in ("http", "https"):
            raise ValueError(f"geocoder scheme must be http or https, not {self.scheme!r}")
        if not self.timeout > 0:
            raise ValueError(f"geocoder timeout must be positive, not {self.timeout!r}")
        if self.retries < 0 or (self.min_delay is not None and self.min_delay < 0):
            raise ValueError("geocoder retries and minimum delay cannot be negative")
        if not 0 <= self.min_score <= 1:
            raise ValueError(f"geocoder minimum score must be within 0-1, not {self.min_score!r}")

    @property
    def online(self) -> bool:
        """True for a provider that makes network requests."""
        return self.name != "offline"


class OnlineProvider(ABC):
    """An online geocoder: what to send it, and how to read its answer."""

    name: ClassVar[ProviderName]

    def __init__(self, geocoder: Geocoder, settings: ProviderSettings) -> None:
        self.geocoder = geocoder
        self.settings = settings
        min_delay = settings.min_delay
        if min_delay is None:
            min_delay = DEFAULT_MIN_DELAY[self.name]
        self._geocode = RateLimiter(
            geocoder.geocode,
            min_delay_seconds=min_delay,
            max_retries=settings.retries,
            error_wait_seconds=settings.retry_wait,
            # Let errors through: the chain records why and falls back offline.
            swallow_exceptions=False,
        )

    @property
    def identity(self) -> str:
        """Which service answers: cached answers are kept per identity."""
        domain = self.settings.domain or DEFAULT_DOMAINS[self.name]
        return f"{self.name}:{self.settings.scheme}://{domain}"

    def covers(self, address: AddressQuery) -> bool:
        """True when the service can place addresses of this country."""
        return True

    def cache_key(self, address: AddressQuery) -> str:
        """The normalized form of what would be sent: same key, same answer."""
        return self.sent(address).key()

    def lookup(self, address: AddressQuery) -> GeocodeResult | None:
        """Ask the service; None when it finds nothing usable. Raises geopy errors."""
        location = self._geocode(self.request(self.sent(address)), **self.options(address))
        return self.parse(location) if location is not None else None

    @staticmethod
    def sent(address: AddressQuery) -> AddressQuery:
        """The address as the service gets it: no CEDEX (services do not know those codes)."""
        city = address.city
        code = clean_postal_code(address.postal_code)
        parsed = parse_city(city) if city else None
        if parsed is not None and parsed.cedex:
            city, code = _CEDEX.sub("", city or "").strip() or None, None
        return AddressQuery(
            street=(address.street or "").strip() or None,
            postal_code=code,
            city=city,
            country=address.country,
        )

    @abstractmethod
    def request(self, address: AddressQuery) -> str | dict[str, str]:
        """The query geopy sends."""

    def options(self, address: AddressQuery) -> dict[str, Any]:
        """Extra keyword arguments of the geopy ``geocode`` call."""
        return {}

    @abstractmethod
    def parse(self, location: Location) -> GeocodeResult | None:
        """A result from geopy's Location, or None when too coarse to use."""


class BanProvider(OnlineProvider):
    """The national address base (BAN) or a self-hosted addok, through geopy's ``BANFrance``."""

    name = "ban"
    #: BAN result types and the precision each gives.
    PRECISION: ClassVar[dict[str, Precision]] = {
        "housenumber": "housenumber",
        "street": "street",
        # A lieu-dit point: far finer than a commune centre, as good as a street.
        "locality": "street",
        "municipality": "municipality",
    }

    def covers(self, address: AddressQuery) -> bool:
        """BAN knows French addresses only."""
        return address.is_french

    def request(self, address: AddressQuery) -> str:
        """Free text: "12 rue Garibaldi 69003 Lyon", shortened to what BAN accepts."""
        town = " ".join(p for p in (address.postal_code, address.city) if p)
        street = (address.street or "")[: max(0, BAN_MAX_QUERY - len(town) - 1)]
        return " ".join(p for p in (street, town) if p)[:BAN_MAX_QUERY]

    def parse(self, location: Location) -> GeocodeResult | None:
        """Read the feature's properties: type, score, label, postcode, city, citycode."""
        props = location.raw.get("properties") or {}
        precision = self.PRECISION.get(str(props.get("type")))
        if precision is None:
            return None
        score = props.get("score")
        return GeocodeResult(
            latitude=float(location.latitude),
            longitude=float(location.longitude),
            precision=precision,
            source=self.name,
            score=round(float(score), 4) if score is not None else None,
            label=str(props.get("label") or location.address or ""),
            insee=props.get("citycode"),
            postal_code=props.get("postcode"),
            city=props.get("city"),
        )


class NominatimProvider(OnlineProvider):
    """OpenStreetMap's Nominatim (public or self-hosted) through geopy's ``Nominatim``."""

    name = "nominatim"
    _CITY_KEYS = ("city", "town", "village", "municipality", "hamlet")

    def request(self, address: AddressQuery) -> dict[str, str]:
        """A structured query: street, postalcode, city, country."""
        query = {
            "street": address.street,
            "postalcode": address.postal_code,
            "city": address.city,
            "country": address.country,
        }
        return {k: v for k, v in query.items() if v}

    def options(self, address: AddressQuery) -> dict[str, Any]:
        """Address details (to read the postcode and city back), limited to the country."""
        return {"addressdetails": True, "country_codes": [address.country.lower()[:2]]}

    def parse(self, location: Location) -> GeocodeResult | None:
        """Precision from the place rank (or class and type); Nominatim gives no score.

        ``importance`` is how notable a place is, not how well it matches, so it is
        not used as a score.
        """
        raw = location.raw
        address = raw.get("address") or {}
        precision = self._precision(raw, address)
        if precision is None:
            return None
        city = next((address[k] for k in self._CITY_KEYS if address.get(k)), None)
        return GeocodeResult(
            latitude=float(location.latitude),
            longitude=float(location.longitude),
            precision=precision,
            source=self.name,
            score=None,
            label=str(raw.get("display_name") or location.address or ""),
            insee=None,
            postal_code=address.get("postcode"),
            city=city,
        )

    @staticmethod
    def _precision(raw: dict[str, Any], address: dict[str, Any]) -> Precision | None:
        """House number, street or municipality; None for anything coarser (a county...)."""
        rank = raw.get("place_rank")
        category = raw.get("category") or raw.get("class")  # jsonv2 / json
        if address.get("house_number"):
            return "housenumber"
        if isinstance(rank, int):
            if rank >= 28:
                return "housenumber"
            if rank >= 26:
                return "street"
            return "municipality" if rank >= 12 else None
        if category == "highway":
            return "street"
        if category in ("building", "amenity", "shop", "office"):
            return "housenumber"
        if category in ("place", "boundary"):
            return "municipality"
        return None


def build_provider(settings: ProviderSettings) -> OnlineProvider | None:
    """The online provider ``settings`` name, or None for offline only."""
    if not settings.online:
        return None
    common = {
        "domain": settings.domain or DEFAULT_DOMAINS[settings.name],
        "scheme": settings.scheme,
        "timeout": settings.timeout,
        "user_agent": settings.user_agent,
    }
    if settings.name == "ban":
        return BanProvider(BANFrance(**common), settings)
    return NominatimProvider(Nominatim(**common), settings)
