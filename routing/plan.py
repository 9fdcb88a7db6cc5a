"""The planner's answer as typed, immutable values: routes of stops, and what was left out.

Times are seconds since local midnight of the route's day; travel is whole seconds and
metres from the travel matrix of the problem. Within a route, the gap before each stop
(from leaving the previous place to starting this visit) holds, in this order of
accounting, the drive, lunch if it falls in that gap, and waiting:
``start - previous departure == travel_seconds + lunch (if here) + waiting``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from .model import Location, TimeWindow


class AppointmentsNotFeasible(Exception):
    """Some appointments cannot be kept (outside the hours, too far, or clashing)."""

    def __init__(self, appointment_ids: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        #: The appointments that could not be placed.
        self.appointment_ids = appointment_ids


class StopKind(enum.StrEnum):
    """A fixed appointment or a planned candidate visit."""

    APPOINTMENT = "appointment"
    VISIT = "visit"


class DropReason(enum.StrEnum):
    """Why a candidate is not in the plan, from the most to the least definitive."""

    #: A manager excluded it.
    EXCLUDED = "excluded"
    #: No shift of the problem may visit it (territory or allowed days).
    NO_ROUTE = "no_route"
    #: Never open while the rep works (on the allowed days), or open too briefly for the visit.
    OUTSIDE_OPENING_HOURS = "outside_opening_hours"
    #: Open, but cannot be reached and left within the hours or the driving limit even alone.
    UNREACHABLE = "unreachable"
    #: Could have replaced a kept visit of equal or higher priority (named in ``instead_of``).
    LOWER_PRIORITY = "lower_priority"
    #: The days are full (appointments, pinned visits, limits): no single swap makes room.
    NO_TIME_LEFT = "no_time_left"
    #: Fits, but the detour costs more driving than its priority is worth (``value_per_point``).
    NOT_WORTH_DETOUR = "not_worth_detour"


@dataclass(frozen=True, slots=True, kw_only=True)
class Stop:
    """One appointment or visit of a route."""

    #: 1-based position in the route.
    order: int
    kind: StopKind
    #: The appointment's or the candidate's id.
    id: str
    location: Location
    #: When the rep gets there (after the drive, and after lunch if lunch cut the drive).
    arrival: int
    #: When the visit begins; ``start - arrival`` is waiting, plus lunch if eaten on site.
    start: int
    #: When the visit ends and the rep leaves.
    departure: int
    waiting: int
    #: Drive from the previous place (the shift's start for the first stop).
    travel_seconds: int
    travel_metres: int
    #: Whether lunch is taken in the gap before this stop.
    lunch_before: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """One shift's round: leave ``start`` at ``departure``, stops, reach ``end`` at ``arrival``."""

    rep_id: str
    day: date
    start: Location
    end: Location
    departure: int
    arrival: int
    stops: tuple[Stop, ...]
    #: When lunch is taken; None when the shift has no lunch.
    lunch: TimeWindow | None
    #: Whether lunch is in the gap from the last stop (or the start) to the end place, or after.
    lunch_at_end: bool
    #: Drive from the last stop (or the start) to the end place.
    return_seconds: int
    return_metres: int

    @property
    def driving_seconds(self) -> int:
        """Total driving time of the day."""
        return sum(s.travel_seconds for s in self.stops) + self.return_seconds

    @property
    def driving_metres(self) -> int:
        """Total driving distance of the day."""
        return sum(s.travel_metres for s in self.stops) + self.return_metres

    @property
    def waiting_seconds(self) -> int:
        """Total waiting at customers' doors."""
        return sum(s.waiting for s in self.stops)

    @property
    def visit_seconds(self) -> int:
        """Total time spent in appointments and visits."""
        return sum(s.departure - s.start for s in self.stops)

    @property
    def visits(self) -> int:
        """Number of stops (appointments and visits)."""
        return len(self.stops)


@dataclass(frozen=True, slots=True, kw_only=True)
class Dropped:
    """A candidate left out, and why."""

    id: str
    reason: DropReason
    #: For LOWER_PRIORITY: the kept visits it would have had to replace.
    instead_of: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SolveStats:
    """How the search went: useful to tell a reproducible result from a clock-bound one."""

    wall_seconds: float
    #: "work_limit" (reproducible), "time_limit" (may vary with the machine's speed),
    #: "search_ended" or "trivial" (nothing to search): the least reproducible of the parts.
    stopped_by: str
    #: Objective of the solver's model: penalties of dropped candidates + driving seconds.
    objective: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """Routes in the order of the problem's shifts, and the dropped candidates."""

    routes: tuple[Route, ...]
    dropped: tuple[Dropped, ...]
    stats: SolveStats

    @property
    def driving_seconds(self) -> int:
        """Driving time over all routes."""
        return sum(r.driving_seconds for r in self.routes)

    @property
    def driving_metres(self) -> int:
        """Driving distance over all routes."""
        return sum(r.driving_metres for r in self.routes)

    @property
    def visited(self) -> tuple[str, ...]:
        """Ids of every appointment and visit, route by route."""
        return tuple(s.id for r in self.routes for s in r.stops)

    def route(self, rep_id: str, day: date) -> Route:
        """The route of ``rep_id`` on ``day``."""
        for r in self.routes:
            if (r.rep_id, r.day) == (rep_id, day):
                return r
        raise KeyError((rep_id, day))
