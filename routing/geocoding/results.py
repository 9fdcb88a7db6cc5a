"""What geocoding produces, whichever geocoder did it: typed results and outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: How precisely a result places an address, finest first (the server's
#: ``GeocodePrecision`` has these values and two more: manual and gps).
Precision = Literal["housenumber", "street", "municipality"]
PRECISIONS: tuple[Precision, ...] = ("housenumber", "street", "municipality")

#: ``source`` of results from the packaged La Poste base.
OFFLINE_SOURCE = "laposte-communes"


@dataclass(frozen=True, slots=True)
class GeocodeResult:
    """A position for an address, with how precise and how sure it is."""

    latitude: float
    longitude: float
    precision: Precision
    #: Which geocoder: "laposte-communes", "ban", "nominatim".
    source: str
    #: Match quality 0-1 as the geocoder rates it; None when it gives none (Nominatim).
    score: float | None
    #: The address as the geocoder understood it.
    label: str
    insee: str | None = None
    postal_code: str | None = None
    city: str | None = None


AttemptStatus = Literal["found", "not_found", "ambiguous", "rejected", "error", "skipped"]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One geocoder asked about one address, and what came of it."""

    source: str
    status: AttemptStatus
    detail: str = ""
    #: The answer came from the geocode cache, not from the service.
    cached: bool = False


@dataclass(frozen=True, slots=True)
class Candidate:
    """A place an ambiguous address may be."""

    label: str
    postal_code: str | None
    insee: str | None
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class GeocodeOutcome:
    """Everything a geocoding chain did for one address.

    ``definitive`` is False when a service failed (timeout, 5xx) on the way: the
    result, if any, is the offline fallback and asking again later may do better.
    """

    result: GeocodeResult | None
    attempts: tuple[Attempt, ...]
    definitive: bool
    #: The places an ambiguous address may be (empty otherwise).
    candidates: tuple[Candidate, ...] = field(default=())

    @property
    def reason(self) -> str:
        """Why there is no result, in one line (empty when there is one)."""
        if self.result is not None:
            return ""
        details = [f"{a.source}: {a.detail or a.status}" for a in self.attempts]
        return "; ".join(details) or "nothing to geocode"

    @property
    def ambiguous(self) -> bool:
        """True when the address matches several places and none was chosen."""
        return self.result is None and bool(self.candidates)
