"""The planning problem as typed, immutable values: who works when, where, and whom to see.

Everything inside is integer seconds and metres. A time of day is seconds since local
midnight of the day it belongs to (``hhmm("08:30") == 30_600``); days are ``datetime.date``.
Objects check themselves when built and raise a ``ValueError`` naming the field, so a
problem that reaches the solver is well formed.

The pieces:

- :class:`Location`, :class:`TimeWindow`, :class:`WeeklyHours` (several windows a day);
- :class:`Rep` (start and end places, hours per weekday, lunch, limits) and the
  :class:`Shift` it works on one day: one route of the plan;
- :class:`Appointment` (fixed, mandatory) and :class:`Candidate` (optional, with a priority,
  opening hours, pin/exclude, allowed reps and days);
- :class:`Problem`: shifts + appointments + candidates + a travel source. A day, a week
  (one shift per day, see :func:`week_shifts`) and a team (several reps' shifts) are all
  problems; :func:`replan` derives the rest of a day from the rep's position and time.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from typing import Protocol

SECONDS_PER_DAY = 86_400
#: Weekday keys as in the accounts' ``opening_hours`` JSON, Monday first (``date.weekday()``).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Priorities are whole points in this range; 0 would mean "not worth a visit" (leave it out).
MIN_PRIORITY, MAX_PRIORITY = 1, 100

_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def hhmm(text: str) -> int:
    """Seconds since midnight of a ``"HH:MM"`` time ("24:00" is the end of the day)."""
    match = _HHMM.match(text)
    if not match:
        raise ValueError(f"time {text!r} is not HH:MM")
    seconds = int(match[1]) * 3600 + int(match[2]) * 60
    if seconds > SECONDS_PER_DAY:
        raise ValueError(f"time {text!r} is after 24:00")
    return seconds


def clock(seconds: int) -> str:
    """``"HH:MM"`` of seconds since midnight (minutes rounded down)."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _require(condition: bool, message: str) -> None:
    """Raise the model boundary's ``ValueError`` unless ``condition`` holds."""
    if not condition:
        raise ValueError(message)


def _check_seconds(name: str, value: int, *, positive: bool = False) -> None:
    """Durations are whole, non-negative seconds (bool is not an int here)."""
    _require(
        isinstance(value, int) and not isinstance(value, bool), f"{name} must be whole seconds"
    )
    _require(
        value > 0 if positive else value >= 0, f"{name} must be {'> 0' if positive else '>= 0'}"
    )


def _check_id(name: str, value: str) -> None:
    _require(isinstance(value, str) and value != "", f"{name} must be a non-empty string")


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """A point on Earth in WGS 84 degrees."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        _require(
            isinstance(self.lat, int | float) and math.isfinite(self.lat) and -90 <= self.lat <= 90,
            f"lat must be a finite number in [-90, 90], got {self.lat!r}",
        )
        _require(
            isinstance(self.lon, int | float)
            and math.isfinite(self.lon)
            and -180 <= self.lon <= 180,
            f"lon must be a finite number in [-180, 180], got {self.lon!r}",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeWindow:
    """``[start, end]`` in seconds since midnight, both ends included."""

    start: int
    end: int

    def __post_init__(self) -> None:
        _check_seconds("window start", self.start)
        _check_seconds("window end", self.end)
        _require(self.end <= SECONDS_PER_DAY, f"window end {self.end} is after 24:00")
        _require(self.start <= self.end, f"window starts ({self.start}) after it ends ({self.end})")

    @classmethod
    def of(cls, start: str, end: str) -> TimeWindow:
        """A window from two ``"HH:MM"`` strings."""
        return cls(start=hhmm(start), end=hhmm(end))

    @property
    def length(self) -> int:
        """Seconds from start to end."""
        return self.end - self.start

    def __str__(self) -> str:
        return f"{clock(self.start)}-{clock(self.end)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class WeeklyHours:
    """Time windows per weekday, several a day, sorted and disjoint; a missing day is closed."""

    days: tuple[tuple[TimeWindow, ...], ...] = ((),) * 7

    def __post_init__(self) -> None:
        _require(len(self.days) == 7, "weekly hours need exactly 7 days, Monday first")
        for name, windows in zip(WEEKDAYS, self.days, strict=True):
            for before, after in itertools.pairwise(windows):
                _require(
                    before.end < after.start,
                    f"{name}: windows {before} and {after} overlap or are out of order",
                )

    @classmethod
    def from_json(cls, doc: Mapping[str, Sequence[Sequence[str]]]) -> WeeklyHours:
        """Read the accounts' format, ``{"mon": [["08:30", "12:00"], ["14:00", "18:30"]]}``."""
        unknown = set(doc) - set(WEEKDAYS)
        _require(not unknown, f"unknown weekday keys {sorted(unknown)}; use {WEEKDAYS}")
        days: list[tuple[TimeWindow, ...]] = []
        for name in WEEKDAYS:
            windows = []
            for pair in doc.get(name, ()):
                _require(len(pair) == 2, f"{name}: a window is [start, end], got {pair!r}")
                windows.append(TimeWindow.of(pair[0], pair[1]))
            days.append(tuple(sorted(windows, key=lambda w: w.start)))
        return cls(days=tuple(days))

    @classmethod
    def every_day(cls, *windows: TimeWindow) -> WeeklyHours:
        """The same windows on all seven days."""
        return cls(days=(tuple(windows),) * 7)

    def on(self, day: date) -> tuple[TimeWindow, ...]:
        """The windows of ``day``'s weekday."""
        return self.days[day.weekday()]


@dataclass(frozen=True, slots=True, kw_only=True)
class Lunch:
    """A break of ``duration`` seconds taken entirely inside ``window``."""

    window: TimeWindow
    duration: int

    def __post_init__(self) -> None:
        _check_seconds("lunch duration", self.duration, positive=True)
        _require(
            self.duration <= self.window.length,
            f"lunch of {self.duration} s does not fit in its window {self.window}",
        )

    @property
    def latest_start(self) -> int:
        """The last moment lunch can begin and still end inside the window."""
        return self.window.end - self.duration


@dataclass(frozen=True, kw_only=True)
class Shift:
    """One rep's working day: one route of the plan, from ``start`` to ``end``.

    ``hours`` bound the departure from ``start`` and the arrival at ``end``. ``lunch`` is
    taken between two stops, before leaving or after coming back, never during a visit.
    """

    rep_id: str
    day: date
    start: Location
    end: Location
    hours: TimeWindow
    lunch: Lunch | None = None
    #: Total driving over the day, seconds; None is no limit beyond the hours.
    max_driving: int | None = None
    #: Appointments and visits together; None is no limit.
    max_visits: int | None = None

    def __post_init__(self) -> None:
        _check_id("rep_id", self.rep_id)
        _require(isinstance(self.day, date), "day must be a date")
        if self.max_driving is not None:
            _check_seconds("max_driving", self.max_driving)
        if self.max_visits is not None:
            _require(
                isinstance(self.max_visits, int) and self.max_visits >= 0,
                "max_visits must be an integer >= 0",
            )

    @property
    def key(self) -> tuple[str, date]:
        """(rep, day): what identifies a route."""
        return (self.rep_id, self.day)


@dataclass(frozen=True, kw_only=True)
class Rep:
    """A sales rep's standing settings, from which :meth:`shift` builds each working day."""

    id: str
    start: Location
    #: Where the day ends when not sleeping away; None is back to ``start``.
    end: Location | None = None
    #: Working hours per weekday (Monday first); None is a day off.
    hours: tuple[TimeWindow | None, ...] = (None,) * 7
    lunch: Lunch | None = None
    max_driving: int | None = None
    max_visits: int | None = None

    def __post_init__(self) -> None:
        _check_id("rep id", self.id)
        _require(len(self.hours) == 7, "hours need exactly 7 entries, Monday first")

    @classmethod
    def weekdays(cls, *, hours: TimeWindow, **kwargs: object) -> Rep:
        """A rep working ``hours`` Monday to Friday."""
        return cls(hours=(hours,) * 5 + (None, None), **kwargs)  # type: ignore[arg-type]

    def works_on(self, day: date) -> bool:
        """Whether ``day`` is a working day."""
        return self.hours[day.weekday()] is not None

    def shift(
        self, day: date, *, start: Location | None = None, end: Location | None = None
    ) -> Shift:
        """The rep's shift on ``day``, optionally starting or ending elsewhere (a hotel)."""
        hours = self.hours[day.weekday()]
        if hours is None:
            raise ValueError(f"rep {self.id} does not work on {day} ({WEEKDAYS[day.weekday()]})")
        return Shift(
            rep_id=self.id,
            day=day,
            start=start or self.start,
            end=end or self.end or self.start,
            hours=hours,
            lunch=self.lunch,
            max_driving=self.max_driving,
            max_visits=self.max_visits,
        )


def week_shifts(
    rep: Rep, days: Iterable[date], *, nights_away: Mapping[date, Location] | None = None
) -> tuple[Shift, ...]:
    """The rep's shifts on the working ``days``; a night away links two days.

    ``nights_away[d]`` is where the rep sleeps after day ``d`` (a hotel): day ``d`` ends
    there and the next working day starts there, so each day starts where the previous
    one ended. Other days start and end at the rep's usual places.
    """
    nights_away = dict(nights_away or {})
    shifts: list[Shift] = []
    previous_night: Location | None = None
    for day in sorted(set(days)):
        if not rep.works_on(day):
            _require(day not in nights_away, f"night away after {day}, a day off for {rep.id}")
            continue
        shifts.append(rep.shift(day, start=previous_night, end=nights_away.get(day)))
        previous_night = nights_away.get(day)
    return tuple(shifts)


@dataclass(frozen=True, kw_only=True)
class Appointment:
    """A fixed meeting: mandatory, starting inside ``window``, lasting ``duration``."""

    id: str
    rep_id: str
    day: date
    location: Location
    #: When the meeting may start; a point window (start == end) is an exact time.
    window: TimeWindow
    duration: int
    #: The customer met, so a candidate visit to the same customer is not planned too.
    customer_id: str | None = None

    def __post_init__(self) -> None:
        _check_id("appointment id", self.id)
        _check_id("appointment rep_id", self.rep_id)
        _check_seconds(f"appointment {self.id} duration", self.duration)
        _require(
            self.window.start + self.duration <= SECONDS_PER_DAY,
            f"appointment {self.id} ends after midnight",
        )


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """A customer worth seeing: optional, traded against travel by its ``priority``.

    A visit lies entirely inside one opening window: it starts at or after the opening and
    ends (start + duration) at or before the closing.
    """

    id: str
    location: Location
    duration: int
    priority: int
    #: None is "open whenever the rep works".
    opening: WeeklyHours | None = None
    #: A manager's pin: visit unless it is impossible.
    pinned: bool = False
    #: A manager's exclusion: never planned, reported as dropped.
    excluded: bool = False
    #: Reps allowed to visit (territory); None is any rep of the problem.
    reps: frozenset[str] | None = None
    #: Days the visit may happen; None is any day of the problem.
    days: frozenset[date] | None = None

    def __post_init__(self) -> None:
        _check_id("candidate id", self.id)
        _check_seconds(f"candidate {self.id} duration", self.duration)
        _require(
            isinstance(self.priority, int)
            and not isinstance(self.priority, bool)
            and MIN_PRIORITY <= self.priority <= MAX_PRIORITY,
            f"candidate {self.id} priority must be an integer in "
            f"[{MIN_PRIORITY}, {MAX_PRIORITY}], got {self.priority!r}",
        )
        _require(not (self.pinned and self.excluded), f"candidate {self.id} is pinned and excluded")
        if self.reps is not None:
            _require(isinstance(self.reps, frozenset), "candidate reps must be a frozenset")
        if self.days is not None:
            _require(isinstance(self.days, frozenset), "candidate days must be a frozenset")

    def visit_windows(self, shift: Shift) -> tuple[TimeWindow, ...]:
        """When a visit on ``shift`` may *start*: opening windows cut to fit the duration
        and the rep's hours; empty when the visit cannot happen that day."""
        if self.reps is not None and shift.rep_id not in self.reps:
            return ()
        if self.days is not None and shift.day not in self.days:
            return ()
        opening = self.opening.on(shift.day) if self.opening else (shift.hours,)
        windows = []
        for window in opening:
            start = max(window.start, shift.hours.start)
            end = min(window.end, shift.hours.end) - self.duration
            if start <= end:
                windows.append(TimeWindow(start=start, end=end))
        return tuple(windows)


@dataclass(frozen=True, slots=True, kw_only=True)
class TravelMatrix:
    """Travel between places: ``seconds[i][j]`` and ``metres[i][j]``, whole numbers."""

    seconds: tuple[tuple[int, ...], ...]
    metres: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        size = len(self.seconds)
        _require(len(self.metres) == size, "seconds and metres differ in size")
        for name, rows in (("seconds", self.seconds), ("metres", self.metres)):
            for i, row in enumerate(rows):
                _require(len(row) == size, f"{name} row {i} has {len(row)} entries, not {size}")
                _require(
                    all(isinstance(v, int) and v >= 0 for v in row),
                    f"{name} row {i} has a negative or non-integer entry",
                )

    @property
    def size(self) -> int:
        """Number of places."""
        return len(self.seconds)


class TravelSource(Protocol):
    """Anything that turns places into a travel matrix (see ``routing.matrix``)."""

    def matrix(self, places: Sequence[Location]) -> TravelMatrix:
        """The matrix between ``places``, in their order."""
        ...


@dataclass(frozen=True, kw_only=True)
class Problem:
    """What to plan: the routes (shifts), the fixed appointments, the candidate visits.

    The objective: keep every appointment (and pinned visit), then maximise the total
    priority of the visits made, then minimise driving seconds. ``value_per_point`` changes
    the exchange rate: None (default) puts priority strictly first; a number of seconds
    makes a point of priority worth that much driving, so a visit whose detour costs more
    than ``priority * value_per_point`` is left out.
    """

    shifts: tuple[Shift, ...]
    travel: TravelSource = field(compare=False, repr=False)
    appointments: tuple[Appointment, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    value_per_point: int | None = None

    def __post_init__(self) -> None:
        _require(len(self.shifts) > 0, "a problem needs at least one shift")
        keys = [s.key for s in self.shifts]
        _require(len(set(keys)) == len(keys), "two shifts for the same rep and day")
        ids = [a.id for a in self.appointments] + [c.id for c in self.candidates]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        _require(not duplicates, f"ids used more than once: {duplicates}")
        met = {a.customer_id for a in self.appointments if a.customer_id}
        both = sorted(met & {c.id for c in self.candidates})
        _require(not both, f"customers with an appointment and a candidate visit: {both}")
        shift_keys = set(keys)
        for a in self.appointments:
            _require(
                (a.rep_id, a.day) in shift_keys,
                f"appointment {a.id} is on {a.rep_id} {a.day}, which has no shift",
            )
        if self.value_per_point is not None:
            _check_seconds("value_per_point", self.value_per_point, positive=True)

    @cached_property
    def places(self) -> tuple[Location, ...]:
        """Distinct locations in order of first use: shift ends, appointments, candidates."""
        seen: dict[Location, None] = {}
        for s in self.shifts:
            seen.setdefault(s.start)
            seen.setdefault(s.end)
        for a in self.appointments:
            seen.setdefault(a.location)
        for c in self.candidates:
            seen.setdefault(c.location)
        return tuple(seen)

    @cached_property
    def place_index(self) -> dict[Location, int]:
        """Row of each place in :attr:`matrix`."""
        return {place: i for i, place in enumerate(self.places)}

    @cached_property
    def matrix(self) -> TravelMatrix:
        """Travel between :attr:`places`, computed once per problem from :attr:`travel`."""
        matrix = self.travel.matrix(self.places)
        _require(matrix.size == len(self.places), "travel source returned a matrix of wrong size")
        return matrix

    def travel_seconds(self, a: Location, b: Location) -> int:
        """Driving seconds from ``a`` to ``b``."""
        return self.matrix.seconds[self.place_index[a]][self.place_index[b]]

    def travel_metres(self, a: Location, b: Location) -> int:
        """Driving metres from ``a`` to ``b``."""
        return self.matrix.metres[self.place_index[a]][self.place_index[b]]

    def shift(self, rep_id: str, day: date) -> Shift:
        """The shift of ``rep_id`` on ``day``."""
        for s in self.shifts:
            if s.key == (rep_id, day):
                return s
        raise KeyError((rep_id, day))


def replan(
    problem: Problem,
    *,
    rep_id: str,
    day: date,
    position: Location,
    now: int,
    done: Iterable[str] = (),
    driven: int = 0,
    lunch_taken: bool = False,
) -> Problem:
    """The rest of a day: ``rep_id`` is at ``position`` at ``now`` (seconds since midnight).

    Visits and appointments in ``done`` are fixed in the past: they leave the problem and
    count against the day's visit limit, as ``driven`` seconds count against its driving
    limit. Lunch is dropped once taken, or when its window has passed. Other shifts of the
    problem (other days, other reps) are kept unchanged.
    """
    done = set(done)
    shift = problem.shift(rep_id, day)
    known = {a.id for a in problem.appointments} | {c.id for c in problem.candidates}
    unknown = sorted(done - known)
    _require(not unknown, f"done visits not in the problem: {unknown}")
    _require(
        shift.hours.start <= now <= shift.hours.end,
        f"now ({clock(now)}) is outside the shift's hours {shift.hours}",
    )
    _check_seconds("driven", driven)
    done_here = sum(
        1 for a in problem.appointments if a.id in done and (a.rep_id, a.day) == shift.key
    ) + sum(1 for c in problem.candidates if c.id in done)
    lunch = shift.lunch
    if lunch is not None and (lunch_taken or now > lunch.latest_start):
        lunch = None
    elif lunch is not None and now > lunch.window.start:
        # Lunch may not be placed in the past (the solver allows it before a route starts).
        lunch = replace(lunch, window=TimeWindow(start=now, end=lunch.window.end))
    rest = replace(
        shift,
        start=position,
        hours=TimeWindow(start=now, end=shift.hours.end),
        lunch=lunch,
        max_driving=None if shift.max_driving is None else max(0, shift.max_driving - driven),
        max_visits=None if shift.max_visits is None else max(0, shift.max_visits - done_here),
    )
    return replace(
        problem,
        shifts=tuple(rest if s.key == shift.key else s for s in problem.shifts),
        appointments=tuple(a for a in problem.appointments if a.id not in done),
        candidates=tuple(c for c in problem.candidates if c.id not in done),
    )
