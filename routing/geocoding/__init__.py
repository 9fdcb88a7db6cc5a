"""Geocoding French addresses through geopy, offline by default (no Flask here).

- :class:`OfflineGeocoder` (``offline.py``): a geopy ``Geocoder`` placing an address
  at its commune's centre from La Poste's base shipped with the package; copes with
  accents, ST/Saint, CEDEX, arrondissements, old communes (Ligne 5), a postal code or
  a city alone, and reports ambiguity instead of guessing.
- ``online.py``: geopy's ``BANFrance`` and ``Nominatim``, rate limited, chosen by
  :class:`ProviderSettings`.
- :class:`GeocodingChain` (``chain.py``): the online service when configured, the
  offline geocoder as fallback, service answers kept in an :class:`AnswerCache`.
- :func:`check_address` (``check.py``): do a postal code and city agree?
- ``gazetteer.py``: the index of communes; ``text.py``: normalization and parsing.
"""

from .chain import AnswerCache, CachedAnswer, GeocodingChain, MemoryCache
from .check import AddressFinding, Suggestion, check_address, check_position
from .gazetteer import Gazetteer, Place, distance_km, get_gazetteer
from .offline import AmbiguousQuery, OfflineGeocoder
from .online import PROVIDERS, ProviderName, ProviderSettings, build_provider
from .results import (
    OFFLINE_SOURCE,
    Attempt,
    Candidate,
    GeocodeOutcome,
    GeocodeResult,
    Precision,
)
from .text import AddressQuery, parse_address

__all__ = [
    "OFFLINE_SOURCE",
    "PROVIDERS",
    "AddressFinding",
    "AddressQuery",
    "AmbiguousQuery",
    "AnswerCache",
    "Attempt",
    "CachedAnswer",
    "Candidate",
    "Gazetteer",
    "GeocodeOutcome",
    "GeocodeResult",
    "GeocodingChain",
    "MemoryCache",
    "OfflineGeocoder",
    "Place",
    "Precision",
    "ProviderName",
    "ProviderSettings",
    "Suggestion",
    "build_provider",
    "check_address",
    "check_position",
    "distance_km",
    "get_gazetteer",
    "parse_address",
]
