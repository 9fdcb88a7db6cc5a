"""Shared pieces of the routing tests: small instances and an exhaustive reference solver.

The exhaustive solver re-implements the timing rules of ``routing.model`` / ``routing.plan``
in the most literal way (enumerate every order of every subset, and for each order every
place lunch could go), independently of ``routing.schedule`` and of OR-Tools.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from datetime import date

from routing.matrix import GreatCircle
from routing.model import (
    Appointment,
    Candidate,
    Location,
    Lunch,
    Problem,
    Shift,
    TimeWindow,
    WeeklyHours,
)

MONDAY = date(2025, 3, 3)
HOME = Location(lat=45.76, lon=4.84)


def near(rnd: random.Random, km: float, centre: Location = HOME) -> Location:
    """A point within about ``km`` of ``centre``."""
    return Location(
        lat=centre.lat + rnd.uniform(-km, km) / 111.2, lon=centre.lon + rnd.uniform(-km, km) / 78
    )


def hm(h: int, m: int = 0) -> int:
    """Seconds since midnight."""
    return h * 3600 + m * 60


def shift(
    *,
    rep_id: str = "rep",
    day: date = MONDAY,
    start: Location = HOME,
    end: Location | None = None,
    hours: tuple[int, int] = (hm(8), hm(18)),
    lunch: tuple[int, int, int] | None = None,
    max_driving: int | None = None,
    max_visits: int | None = None,
) -> Shift:
    """A shift with compact arguments (lunch as (window start, window end, duration))."""
    return Shift(
        rep_id=rep_id,
        day=day,
        start=start,
        end=end or start,
        hours=TimeWindow(start=hours[0], end=hours[1]),
        lunch=None
        if lunch is None
        else Lunch(window=TimeWindow(start=lunch[0], end=lunch[1]), duration=lunch[2]),
        max_driving=max_driving,
        max_visits=max_visits,
    )


def random_day(seed: int, *, candidates: int = 6, appointments: int = 1) -> Problem:
    """A tight morning: not everything fits, windows (sometimes two a day), lunch."""
    rnd = random.Random(seed)
    cands = []
    for i in range(candidates):
        opening = None
        kind = rnd.random()
        if kind < 0.4:
            a = rnd.choice((hm(8), hm(8, 30), hm(9)))
            b = rnd.choice((hm(10), hm(10, 30)))
            c = rnd.choice((hm(11), hm(11, 30)))
            opening = WeeklyHours.every_day(
                TimeWindow(start=a, end=b), TimeWindow(start=c, end=hm(14))
            )
        elif kind < 0.7:
            a = rnd.choice((hm(8), hm(9), hm(10)))
            opening = WeeklyHours.every_day(TimeWindow(start=a, end=a + hm(2)))
        cands.append(
            Candidate(
                id=f"c{i}",
                location=near(rnd, 12),
                duration=rnd.choice((900, 1200, 1800, 2700)),
                priority=rnd.randint(1, 10),
                opening=opening,
            )
        )
    appts = [
        Appointment(
            id=f"a{k}",
            rep_id="rep",
            day=MONDAY,
            location=near(rnd, 8),
            window=TimeWindow(start=at, end=at + rnd.choice((0, 900))),
            duration=1800,
        )
        for k, at in enumerate(rnd.sample((hm(9), hm(10), hm(11)), appointments))
    ]
    return Problem(
        shifts=(
            shift(
                hours=(hm(8), hm(13, 30)),
                lunch=(hm(11, 30), hm(13, 30), 1800),
                max_driving=rnd.choice((None, 5400)),
                max_visits=rnd.choice((None, 4)),
            ),
        ),
        appointments=tuple(appts),
        candidates=tuple(cands),
        travel=GreatCircle(),
    )


def _first(ready: int, windows: Sequence[TimeWindow]) -> int | None:
    for w in windows:
        if ready <= w.end:
            return max(ready, w.start)
    return None


def times_ok(problem: Problem, s: Shift, items: Sequence[Appointment | Candidate]) -> bool:
    """Whether ``items`` in this order fit ``s``: every lunch position is tried."""
    if s.max_visits is not None and len(items) > s.max_visits:
        return False
    places = [s.start, *(i.location for i in items), s.end]
    drives = [problem.travel_seconds(a, b) for a, b in itertools.pairwise(places)]
    if s.max_driving is not None and sum(drives) > s.max_driving:
        return False
    windows = [(i.window,) if isinstance(i, Appointment) else i.visit_windows(s) for i in items]
    # Lunch positions: -1 before leaving, k in the gap before item k (len = way back),
    # len + 1 after coming back; None when there is no lunch.
    options: list[int | None] = [None] if s.lunch is None else list(range(-1, len(items) + 2))
    return any(_fits_with_lunch(s, items, drives, windows, option) for option in options)


def _fits_with_lunch(
    s: Shift,
    items: Sequence[Appointment | Candidate],
    drives: list[int],
    windows: list[Sequence[TimeWindow]],
    option: int | None,
) -> bool:
    lunch = s.lunch
    leave = s.hours.start
    if option == -1:
        assert lunch is not None
        leave = max(leave, lunch.window.start + lunch.duration)
    for k, item in enumerate(items):
        ready = leave + drives[k]
        if option == k:
            assert lunch is not None
            eat = max(leave, lunch.window.start)
            if eat > lunch.latest_start:
                return False
            ready = max(ready, eat) + lunch.duration
        start = _first(ready, windows[k])
        if start is None:
            return False
        leave = start + item.duration
    back = leave + drives[-1]
    if option == len(items):
        assert lunch is not None
        eat = max(leave, lunch.window.start)
        if eat > lunch.latest_start:
            return False
        back = max(back, eat) + lunch.duration
    if option == len(items) + 1:
        assert lunch is not None
        if max(back, lunch.window.start) > lunch.latest_start:
            return False
    return back <= s.hours.end


def _prefix_ok(problem: Problem, s: Shift, items: Sequence[Appointment | Candidate]) -> bool:
    """Whether ``items`` can begin a feasible day: timed with lunch already placed in it,
    or with lunch still possible later. Extending a dead prefix never revives it."""
    if s.max_visits is not None and len(items) > s.max_visits:
        return False
    places = [s.start, *(i.location for i in items)]
    drives = [problem.travel_seconds(a, b) for a, b in itertools.pairwise(places)]
    if s.max_driving is not None and sum(drives) > s.max_driving:
        return False
    windows = [(i.window,) if isinstance(i, Appointment) else i.visit_windows(s) for i in items]
    options: list[int | None] = [None] if s.lunch is None else [-1, *range(len(items)), None]
    for option in options:
        leave: int | None = s.hours.start
        if option == -1:
            leave = max(s.hours.start, s.lunch.window.start + s.lunch.duration)  # type: ignore[union-attr]
        for k, item in enumerate(items):
            ready = leave + drives[k]
            if option == k:
                eat = max(leave, s.lunch.window.start)  # type: ignore[union-attr]
                if eat > s.lunch.latest_start:  # type: ignore[union-attr]
                    leave = None
                    break
                ready = max(ready, eat) + s.lunch.duration  # type: ignore[union-attr]
            start = _first(ready, windows[k])
            if start is None:
                leave = None
                break
            leave = start + item.duration
        if leave is None or leave > s.hours.end:
            continue
        if option is None and s.lunch is not None and leave > s.lunch.latest_start:
            # Lunch still to take but no later gap can hold it (the options where it is
            # taken before leaving or inside this prefix are tried separately).
            continue
        return True
    return False


def exhaustive_best(problem: Problem) -> tuple[int, int]:
    """(most priority kept, least driving with it) over every feasible order of every subset.

    One shift; all appointments must be in; excluded candidates never are. Orders are
    enumerated depth first, cutting every prefix that no lunch placement can time.
    """
    (s,) = problem.shifts
    items = [*problem.appointments, *(c for c in problem.candidates if not c.excluded)]
    appts = {a.id for a in problem.appointments}
    best: list[tuple[int, int]] = []

    def visit(prefix: list[Appointment | Candidate]) -> None:
        ids = {i.id for i in prefix}
        if appts <= ids and times_ok(problem, s, prefix):
            gain = kept_priority(problem, [i.id for i in prefix])
            places = [s.start, *(i.location for i in prefix), s.end]
            drive = sum(problem.travel_seconds(a, b) for a, b in itertools.pairwise(places))
            if not best or (gain, -drive) > (best[0][0], -best[0][1]):
                best[:] = [(gain, drive)]
        for item in items:
            if item.id not in ids and _prefix_ok(problem, s, [*prefix, item]):
                visit([*prefix, item])

    visit([])
    assert best, "no feasible plan at all"
    return best[0]


def kept_priority(problem: Problem, visited: Sequence[str]) -> int:
    """Total priority of the candidates in ``visited``."""
    priority = {c.id: c.priority for c in problem.candidates}
    return sum(priority.get(i, 0) for i in visited)
