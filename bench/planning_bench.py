"""Field-sales planning benchmark: a day, a week and a team morning, medians of several runs.

    .venv/bin/python bench/planning_bench.py [--runs N] [--only day|week|team]

Instances are synthetic but shaped like the product's (generated from a fixed seed, so
every run plans the same problems), around Lyon with the offline great-circle travel:

- day:  one rep, 40 candidates within ~35 km, 3 appointments, lunch 12:00-14:00 (1 h),
        8:00-18:30, at most 4 h driving and 12 stops; target under 1 s;
- week: one rep, 300 candidates within ~60 km over Monday-Friday, 8 appointments, a night
        in a hotel on Tuesday; target under 10 s;
- team: 20 reps spread over ~200 km, 40 candidates each in their own territory;
        target under 60 s on the 2-core benchmark machine.

Each run is checked by the independent validator. It prints, per scenario, the median wall
time (matrix, model, search and explanations included), visits kept, priority kept,
driving, and how the search stopped.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from dataclasses import dataclass
from datetime import date, timedelta

from routing.matrix import GreatCircle
from routing.model import (
    Appointment,
    Candidate,
    Location,
    Lunch,
    Problem,
    Rep,
    TimeWindow,
    WeeklyHours,
    week_shifts,
)
from routing.solver import solve
from routing.validate import check

MONDAY = date(2025, 3, 3)
LYON = Location(lat=45.76, lon=4.84)
HOURS = TimeWindow.of("08:00", "18:30")
LUNCH = Lunch(window=TimeWindow.of("12:00", "14:00"), duration=3600)

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OPENINGS = (
    # Shop with a lunch closing, the most common case.
    (0.55, WeeklyHours.from_json({d: [["08:30", "12:00"], ["14:00", "18:30"]] for d in _WEEKDAYS})),
    (0.20, WeeklyHours.from_json({d: [["09:00", "19:00"]] for d in _WEEKDAYS})),
    (0.10, WeeklyHours.from_json({d: [["08:00", "12:30"]] for d in _WEEKDAYS})),
    (0.05, WeeklyHours.from_json({d: [["14:00", "18:00"]] for d in ("tue", "thu")})),
    (0.10, None),
)


def _near(rnd: random.Random, centre: Location, km: float) -> Location:
    """A uniform point within ``km`` of ``centre`` (flat-Earth approximation)."""
    while True:
        dx, dy = rnd.uniform(-km, km), rnd.uniform(-km, km)
        if dx * dx + dy * dy <= km * km:
            return Location(lat=centre.lat + dy / 111.2, lon=centre.lon + dx / 78.0)


def _opening(rnd: random.Random) -> WeeklyHours | None:
    x, acc = rnd.random(), 0.0
    for share, hours in OPENINGS:
        acc += share
        if x < acc:
            return hours
    return None


def _candidates(
    rnd: random.Random, prefix: str, n: int, centre: Location, km: float, reps: frozenset[str]
) -> list[Candidate]:
    # Priorities skewed low: a few customers matter much more than the rest.
    return [
        Candidate(
            id=f"{prefix}{i}",
            location=_near(rnd, centre, km),
            duration=rnd.choice((1200, 1800, 1800, 2700)),
            priority=max(1, min(100, int(rnd.paretovariate(1.2) * 8))),
            opening=_opening(rnd),
            reps=reps,
        )
        for i in range(n)
    ]


def _rep(rep_id: str, home: Location) -> Rep:
    return Rep.weekdays(
        id=rep_id, start=home, hours=HOURS, lunch=LUNCH, max_driving=4 * 3600, max_visits=12
    )


def day_problem(seed: int = 1) -> Problem:
    """One rep's Monday: 40 candidates, 3 appointments, lunch."""
    rnd = random.Random(seed)
    rep = _rep("rep", LYON)
    appointments = tuple(
        Appointment(
            id=f"a{k}",
            rep_id="rep",
            day=MONDAY,
            location=_near(rnd, LYON, 20),
            window=TimeWindow.of(at, at),
            duration=duration,
        )
        for k, (at, duration) in enumerate((("09:00", 2700), ("11:15", 2700), ("16:00", 3600)))
    )
    return Problem(
        shifts=(rep.shift(MONDAY),),
        appointments=appointments,
        candidates=tuple(_candidates(rnd, "c", 40, LYON, 35, frozenset({"rep"}))),
        travel=GreatCircle(),
    )


def week_problem(seed: int = 2) -> Problem:
    """One rep's week: 300 candidates, 8 appointments, a hotel night on Tuesday."""
    rnd = random.Random(seed)
    rep = _rep("rep", LYON)
    days = [MONDAY + timedelta(days=k) for k in range(5)]
    hotel = Location(lat=46.2, lon=5.22)  # Bourg-en-Bresse, ~60 km north-east
    # (day, time): Wednesday starts at the hotel, so its first meeting is late morning.
    slots = ((0, "10:00"), (0, "15:00"), (1, "11:30"), (2, "11:00"), (2, "15:30"))
    slots += ((3, "09:30"), (3, "14:30"), (4, "10:30"))
    appointments = tuple(
        Appointment(
            id=f"a{k}",
            rep_id="rep",
            day=days[d],
            location=_near(rnd, LYON, 30),
            window=TimeWindow.of(at, at),
            duration=3600,
        )
        for k, (d, at) in enumerate(slots)
    )
    return Problem(
        shifts=week_shifts(rep, days, nights_away={days[1]: hotel}),
        appointments=appointments,
        candidates=tuple(_candidates(rnd, "c", 300, LYON, 60, frozenset({"rep"}))),
        travel=GreatCircle(),
    )


def team_problem(seed: int = 3) -> Problem:
    """A team's Monday: 20 reps, 40 candidates each in their own territory."""
    rnd = random.Random(seed)
    shifts, candidates = [], []
    for r in range(20):
        home = _near(rnd, LYON, 100)
        rep = _rep(f"rep{r}", home)
        shifts.append(rep.shift(MONDAY))
        candidates += _candidates(rnd, f"r{r}c", 40, home, 35, frozenset({rep.id}))
    return Problem(shifts=tuple(shifts), candidates=tuple(candidates), travel=GreatCircle())


@dataclass(frozen=True)
class Scenario:
    name: str
    build: object
    time_limit: float
    target: float


SCENARIOS = (
    Scenario("day", day_problem, 0.8, 1.0),
    Scenario("week", week_problem, 8.0, 10.0),
    Scenario("team", team_problem, 50.0, 60.0),
)


def run(scenario: Scenario, runs: int) -> None:
    """Plan the scenario ``runs`` times (fresh problem and matrix each time) and report."""
    walls, kept, points, driving, stopped = [], [], [], [], set()
    for _ in range(runs):
        started = time.perf_counter()
        problem = scenario.build()  # type: ignore[operator]
        plan = solve(problem, time_limit=scenario.time_limit)
        walls.append(time.perf_counter() - started)
        check(problem, plan)
        priority = {c.id: c.priority for c in problem.candidates}
        visits = [s.id for r in plan.routes for s in r.stops if s.id in priority]
        kept.append(len(visits))
        points.append(sum(priority[v] for v in visits))
        driving.append(plan.driving_seconds / 3600)
        stopped.add(plan.stats.stopped_by)
    median = statistics.median(walls)
    print(
        f"{scenario.name}: median {median:.2f} s (target < {scenario.target:g} s, "
        f"{'ok' if median < scenario.target else 'MISSED'}) over {runs} runs; "
        f"time limit {scenario.time_limit:g} s; visits kept {statistics.median(kept):g}, "
        f"priority kept {statistics.median(points):g}, "
        f"driving {statistics.median(driving):.1f} h; stopped by {', '.join(sorted(stopped))}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per scenario (default 5)")
    parser.add_argument("--only", choices=[s.name for s in SCENARIOS], action="append")
    args = parser.parse_args(argv)
    for scenario in SCENARIOS:
        if not args.only or scenario.name in args.only:
            run(scenario, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
