"""When each stop of a route happens, given only the order: the earliest feasible timing.

The solver decides *who* and *in which order*; this module decides *when*, the same way
for every caller (the solver's output, the drop explanations, the repair of a plan), so
reported times never depend on how OR-Tools happened to leave its time variables.

Semantics (the validator checks the same rules independently):

- a stop starts inside one of its start windows, after the drive from the previous place;
  arriving early means waiting;
- lunch is one uninterrupted break inside its window, taken before leaving, in a gap
  between two places (the drive may be split around it), or after reaching the end place;
  never during a visit;
- the rep leaves the start place no earlier than the hours start and reaches the end place
  no later than the hours end; the day's driving and number of stops respect the limits.

Earliest times dominate (arriving earlier never hurts: one can wait), so a forward pass with
two states, "lunch not yet taken" and "lunch taken", finds a feasible timing in O(n)
whenever one exists (:func:`earliest`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Lunch gap index meaning "before leaving the start place".
BEFORE = -1


@dataclass(frozen=True, slots=True)
class Task:
    """A stop as the scheduler sees it: a place row, a duration, sorted start windows."""

    place: int
    duration: int
    windows: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Day:
    """A shift as the scheduler sees it (times on the solver's clock)."""

    start_place: int
    end_place: int
    earliest: int
    latest: int
    #: (window start, latest lunch start, duration) or None.
    lunch: tuple[int, int, int] | None
    max_driving: int | None
    max_visits: int | None


@dataclass(frozen=True, slots=True)
class Timing:
    """The timing of one route: leave, start each task, arrive; lunch and where it falls.

    ``lunch_gap`` is :data:`BEFORE`, ``k`` for the gap before task ``k``, ``len(tasks)``
    for the gap to the end place, or ``len(tasks) + 1`` for after arriving at the end.
    """

    departure: int
    starts: tuple[int, ...]
    arrival: int
    lunch_gap: int | None
    lunch_start: int | None


def first_start(ready: int, windows: Sequence[tuple[int, int]]) -> int | None:
    """The earliest time >= ``ready`` inside one of ``windows``, or None."""
    for lo, hi in windows:
        if ready <= hi:
            return max(ready, lo)
    return None


def driving(day: Day, tasks: Sequence[Task], seconds: Sequence[Sequence[int]]) -> int:
    """Total driving seconds of the route through ``tasks``."""
    place = day.start_place
    total = 0
    for task in tasks:
        total += seconds[place][task.place]
        place = task.place
    return total + seconds[place][day.end_place]


def _end_lunch_options(
    day: Day, free: int | None, taken: int | None, taken_gap: int | None, t_end: int, n: int
) -> tuple[int, int | None] | None:
    """Best (arrival at the end place, lunch gap) from the two states before the last drive."""
    options: list[tuple[int, int | None]] = []
    if day.lunch is None:
        if free is not None:
            options.append((free + t_end, None))
    else:
        ws, ls, dur = day.lunch
        if free is not None:
            arrival = free + t_end
            if max(arrival, ws) <= ls:  # lunch after reaching the end place
                options.append((arrival, n + 1))
            elif max(free, ws) <= ls:  # lunch on the way back
                options.append((max(arrival, ws) + dur, n))
        if taken is not None:
            options.append((taken + t_end, taken_gap))
    feasible = [o for o in options if o[0] <= day.latest]
    return min(feasible, key=lambda o: o[0]) if feasible else None


def earliest(day: Day, tasks: Sequence[Task], seconds: Sequence[Sequence[int]]) -> Timing | None:
    """The earliest feasible timing of ``tasks`` in this order, or None if there is none."""
    if day.max_visits is not None and len(tasks) > day.max_visits:
        return None
    if day.max_driving is not None and driving(day, tasks, seconds) > day.max_driving:
        return None
    gap = _best_lunch_gap(day, tasks, seconds)
    if gap is False:
        return None
    return _forward(day, tasks, seconds, gap)


def feasible(day: Day, tasks: Sequence[Task], seconds: Sequence[Sequence[int]]) -> bool:
    """Whether ``tasks`` in this order fit the day (cheaper than :func:`earliest`)."""
    if day.max_visits is not None and len(tasks) > day.max_visits:
        return False
    if day.max_driving is not None and driving(day, tasks, seconds) > day.max_driving:
        return False
    return _best_lunch_gap(day, tasks, seconds) is not False


def _best_lunch_gap(
    day: Day, tasks: Sequence[Task], seconds: Sequence[Sequence[int]]
) -> int | bool | None:
    """The lunch gap of the earliest timing (None without lunch), or False if infeasible."""
    free: int | None = day.earliest  # leaving the previous place, lunch not taken yet
    taken: int | None = None  # leaving the previous place, lunch taken
    taken_gap: int | None = None
    if day.lunch is not None:
        ws, ls, dur = day.lunch
        taken, taken_gap = max(day.earliest, ws + dur), BEFORE
    place = day.start_place
    for k, task in enumerate(tasks):
        t = seconds[place][task.place]
        new_free = new_taken = None
        new_gap = taken_gap
        if free is not None:
            s = first_start(free + t, task.windows)
            new_free = None if s is None else s + task.duration
            if day.lunch is not None and max(free, ws) <= ls:
                s = first_start(max(free + t, ws) + dur, task.windows)
                if s is not None:
                    new_taken, new_gap = s + task.duration, k
        if taken is not None:
            s = first_start(taken + t, task.windows)
            # On a tie keep the later gap: lunch near the customers rather than at home.
            if s is not None and (new_taken is None or s + task.duration < new_taken):
                new_taken, new_gap = s + task.duration, taken_gap
        free, taken, taken_gap = new_free, new_taken, new_gap
        if free is None and taken is None:
            return False
        place = task.place
    best = _end_lunch_options(
        day, free, taken, taken_gap, seconds[place][day.end_place], len(tasks)
    )
    return False if best is None else best[1]


def _forward(
    day: Day, tasks: Sequence[Task], seconds: Sequence[Sequence[int]], gap: int | None
) -> Timing | None:
    """The earliest timing with lunch in ``gap``; departure pushed as late as harmless."""
    n = len(tasks)
    ws, ls, dur = day.lunch if day.lunch is not None else (0, 0, 0)
    clock = day.earliest
    lunch_start = None
    if gap == BEFORE:
        clock = max(day.earliest, ws + dur)
        lunch_start = min(ls, clock - dur)
    departure = clock
    starts: list[int] = []
    place = day.start_place
    arrival = clock
    for k, task in enumerate([*tasks, None]):
        target = day.end_place if task is None else task.place
        t = seconds[place][target]
        if gap == k:
            lunch_start = max(clock, ws)
            if lunch_start > ls:
                return None
            ready = max(clock + t, ws) + dur
            # Prefer eating after arriving (near the customer) when the window allows.
            if max(clock + t, ws) <= ls:
                lunch_start = max(clock + t, ws)
        else:
            ready = clock + t
        if task is None:
            arrival = ready
            break
        s = first_start(ready, task.windows)
        if s is None:
            return None
        starts.append(s)
        clock = s + task.duration
        place = task.place
    if gap == n + 1:
        lunch_start = max(arrival, ws)
        if lunch_start > ls:
            return None
    if arrival > day.latest:
        return None
    if n and gap not in (BEFORE, 0):
        # Leave as late as possible without delaying the first stop: no waiting at its door.
        departure = max(departure, starts[0] - seconds[day.start_place][tasks[0].place])
    return Timing(
        departure=departure,
        starts=tuple(starts),
        arrival=arrival,
        lunch_gap=gap,
        lunch_start=lunch_start,
    )
