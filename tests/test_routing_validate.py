"""The independent validator catches every kind of broken plan, and passes a good one."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from routing.matrix import GreatCircle
from routing.model import Appointment, Candidate, Problem, TimeWindow, WeeklyHours
from routing.plan import Dropped, DropReason, Plan, Route
from routing.solver import solve
from routing.validate import InvalidPlan, check, violations
from tests.routing_support import MONDAY, hm, near, shift


@pytest.fixture(scope="module")
def solved() -> tuple[Problem, Plan]:
    """A valid plan with an appointment, lunch, windows, a limit and drops."""
    rnd = random.Random(21)
    pool = tuple(
        Candidate(
            id=f"c{i}",
            location=near(rnd, 12),
            duration=1800,
            priority=rnd.randint(1, 50),
            opening=WeeklyHours.every_day(
                TimeWindow.of("08:00", "12:00"), TimeWindow.of("14:00", "18:00")
            ),
        )
        for i in range(12)
    )
    meeting = Appointment(
        id="meeting",
        rep_id="rep",
        day=MONDAY,
        location=near(rnd, 5),
        window=TimeWindow.of("10:00", "10:00"),
        duration=3600,
    )
    problem = Problem(
        shifts=(shift(hours=(hm(8), hm(17)), lunch=(hm(12), hm(14), 3600), max_visits=7),),
        appointments=(meeting,),
        candidates=(*pool, replace(pool[0], id="excluded", excluded=True)),
        travel=GreatCircle(),
    )
    plan = solve(problem, time_limit=20, work_limit=150_000)
    return problem, plan


def edit_route(plan: Plan, **changes: object) -> Plan:
    """The plan with its single route changed."""
    return replace(plan, routes=(replace(plan.routes[0], **changes),))


def edit_stop(plan: Plan, k: int, **changes: object) -> Plan:
    """The plan with stop ``k`` of its single route changed."""
    stops = list(plan.routes[0].stops)
    stops[k] = replace(stops[k], **changes)
    return edit_route(plan, stops=tuple(stops))


def test_a_solver_plan_is_valid(solved: tuple[Problem, Plan]) -> None:
    """The fixture plan passes: the mutations below start from a valid plan."""
    problem, plan = solved
    assert violations(problem, plan) == []
    check(problem, plan)
    assert len(plan.routes[0].stops) >= 3
    assert plan.dropped


def test_every_mutation_is_caught(solved: tuple[Problem, Plan]) -> None:
    """Late, early, too long, twice, unknown, no lunch, over the limit, wrong matrix..."""
    problem, plan = solved
    route = plan.routes[0]
    stops = route.stops
    k = next(i for i, s in enumerate(stops) if s.id != "meeting")
    meeting = next(i for i, s in enumerate(stops) if s.id == "meeting")
    broken: dict[str, Plan] = {
        "visit shifted to the night": edit_stop(
            plan, k, start=hm(22), departure=hm(22) + 1800, arrival=hm(22)
        ),
        "visit cut short": edit_stop(plan, k, departure=stops[k].start + 60),
        "appointment moved": edit_stop(
            plan, meeting, start=hm(11), departure=hm(12), arrival=hm(11)
        ),
        "appointment dropped": edit_route(plan, stops=tuple(s for s in stops if s.id != "meeting")),
        "stop twice": edit_route(plan, stops=(*stops, stops[k])),
        "unknown stop": edit_stop(plan, k, id="nobody"),
        "no lunch": edit_route(plan, lunch=None),
        "lunch over a visit": edit_route(
            plan, lunch=TimeWindow(start=stops[k].start, end=stops[k].start + 3600)
        ),
        "wrong drive": edit_stop(plan, k, travel_seconds=stops[k].travel_seconds + 1),
        "wrong distance": edit_stop(plan, k, travel_metres=stops[k].travel_metres + 10),
        "waiting misstated": edit_stop(plan, k, waiting=stops[k].waiting + 60),
        "leaves too early": edit_route(plan, departure=hm(7)),
        "back too late": edit_route(plan, arrival=hm(20)),
        "excluded visited": edit_stop(plan, k, id="excluded"),
        "route of another shift": edit_route(plan, rep_id="someone"),
        "dropped twice": replace(plan, dropped=(*plan.dropped, plan.dropped[0])),
        "visited and dropped": replace(
            plan, dropped=(*plan.dropped, Dropped(id=stops[k].id, reason=DropReason.NO_TIME_LEFT))
        ),
        "drop not reported": replace(plan, dropped=plan.dropped[1:]),
    }
    for name, bad in broken.items():
        assert violations(problem, bad), f"not caught: {name}"
    with pytest.raises(InvalidPlan):
        check(problem, broken["no lunch"])


def test_limits_are_checked(solved: tuple[Problem, Plan]) -> None:
    """Stricter limits than the plan uses are reported, visit count and driving."""
    problem, plan = solved
    route: Route = plan.routes[0]
    tighter = replace(
        problem,
        shifts=(
            replace(
                problem.shifts[0],
                max_visits=route.visits - 1,
                max_driving=route.driving_seconds - 1,
            ),
        ),
    )
    found = violations(tighter, plan)
    assert any("stops >" in v for v in found)
    assert any("driving >" in v for v in found)
