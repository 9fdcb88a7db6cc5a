"""The planner end to end: days, weeks, teams, re-planning, drop reasons, determinism.

Every plan goes through the independent validator. Time limits are generous and solution
budgets explicit, so results do not depend on the machine's speed or load.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import timedelta

import pytest
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing import solver
from routing.matrix import GreatCircle
from routing.model import (
    Appointment,
    Candidate,
    Location,
    Problem,
    Rep,
    TimeWindow,
    WeeklyHours,
    replan,
    week_shifts,
)
from routing.plan import AppointmentsNotFeasible, DropReason, Plan
from routing.solver import solve, solve_vrp
from routing.validate import violations
from routing.vrp import VrpData, VrpNode, VrpVehicle
from tests.routing_support import HOME, MONDAY, hm, near, shift

#: Work limit of every solve here: a fraction of a second of search.
BUDGET = 150_000


def plan_of(problem: Problem, **kwargs: object) -> Plan:
    """Solve with a fixed budget and check the plan with the validator."""
    options = {"time_limit": 30.0, "work_limit": BUDGET, **kwargs}
    plan = solve(problem, **options)  # type: ignore[arg-type]
    assert violations(problem, plan) == []
    return plan


def candidates(seed: int, n: int, km: float = 15, **kwargs: object) -> tuple[Candidate, ...]:
    """``n`` open-all-day candidates around HOME with varied durations and priorities."""
    rnd = random.Random(seed)
    return tuple(
        Candidate(
            id=f"c{i}",
            location=near(rnd, km),
            duration=rnd.choice((1200, 1800, 2700)),
            priority=rnd.randint(1, 60),
            **kwargs,  # type: ignore[arg-type]
        )
        for i in range(n)
    )


def reasons(plan: Plan) -> dict[str, DropReason]:
    """Dropped candidate id -> reason."""
    return {d.id: d.reason for d in plan.dropped}


def test_day_with_appointments_and_lunch() -> None:
    """Appointments kept at their time, lunch taken, the day filled with valid visits."""
    appts = (
        Appointment(
            id="a1",
            rep_id="rep",
            day=MONDAY,
            location=near(random.Random(1), 10),
            window=TimeWindow.of("10:00", "10:00"),
            duration=3600,
        ),
        Appointment(
            id="a2",
            rep_id="rep",
            day=MONDAY,
            location=near(random.Random(2), 10),
            window=TimeWindow.of("15:00", "15:15"),
            duration=1800,
        ),
    )
    problem = Problem(
        shifts=(shift(hours=(hm(8), hm(18)), lunch=(hm(12), hm(14), 3600), max_visits=9),),
        appointments=appts,
        candidates=candidates(3, 20),
        travel=GreatCircle(),
    )
    plan = plan_of(problem)
    (route,) = plan.routes
    by_id = {s.id: s for s in route.stops}
    assert by_id["a1"].start == hm(10)
    assert hm(15) <= by_id["a2"].start <= hm(15, 15)
    assert route.lunch is not None
    assert route.lunch.length == 3600
    assert 3 < route.visits <= 9
    # Every candidate is either visited or explained.
    assert {s.id for s in route.stops} | set(reasons(plan)) == {"a1", "a2"} | {
        c.id for c in problem.candidates
    }


def test_results_are_deterministic_for_a_seed() -> None:
    """Same problem, seed and budget: the same plan, and the budget (not the clock) stopped it."""
    problem = Problem(
        shifts=(shift(lunch=(hm(12), hm(14), 3600)),),
        candidates=candidates(4, 25),
        travel=GreatCircle(),
    )
    first, second = plan_of(problem, seed=7), plan_of(problem, seed=7)
    assert first.routes == second.routes
    assert first.dropped == second.dropped
    assert first.stats.objective == second.stats.objective
    assert first.stats.stopped_by == "work_limit"


def test_default_work_limit_follows_the_time_limit() -> None:
    """Without an explicit work limit one is derived from the time limit, with a floor."""
    assert solver.work_budget(4.0) == 4 * solver.work_budget(1.0) == 4 * solver.WORK_PER_SECOND
    assert solver.work_budget(0.001) == solver.MIN_WORK


def test_a_search_with_nothing_to_do_ends_on_its_work_limit() -> None:
    """One visit: GLS finds no move; the work limit ends it long before the clock."""
    problem = Problem(shifts=(shift(),), candidates=candidates(1, 1), travel=GreatCircle())
    plan = solve(problem, time_limit=4)  # default work: 600,000 checks, about 1 s
    assert plan.stats.stopped_by == "work_limit"
    assert plan.visited == ("c0",)


def test_time_limit_bounds_the_search_and_the_best_so_far_comes_back() -> None:
    """Without a solution budget, GLS runs until the clock and returns its best plan."""
    problem = Problem(shifts=(shift(),), candidates=candidates(5, 12), travel=GreatCircle())
    plan = solve(problem, time_limit=0.3, work_limit=0)
    assert plan.stats.stopped_by == "time_limit"
    assert violations(problem, plan) == []
    assert plan.routes[0].visits > 0


def _tight_instance(seed: int) -> VrpData:
    """16 mandatory visits, 2 vehicles, 5-unit windows cut from a random feasible tour."""
    rnd = random.Random(seed)
    points = [(50.0, 50.0)] + [(rnd.uniform(0, 100), rnd.uniform(0, 100)) for _ in range(16)]
    time = [[math.ceil(math.dist(a, b)) for b in points] for a in points]
    order = list(range(1, 17))
    rnd.shuffle(order)
    windows = {}
    for half in (order[:8], order[8:]):
        clock, previous = 0, 0
        for i in half:
            clock += time[previous][i]
            windows[i] = (clock, clock + 5)
            clock, previous = clock + 5, i
    nodes = [VrpNode()] + [VrpNode(service=5, windows=(windows[i],)) for i in range(1, 17)]
    vehicle = VrpVehicle(start=0, end=0, earliest=0, latest=2000)
    return VrpData(nodes=tuple(nodes), vehicles=(vehicle, vehicle), time=time, cost=time)


@pytest.mark.parametrize("seed", [0, 1])
def test_tight_windows_defeat_path_cheapest_arc_but_not_our_first_solution(seed: int) -> None:
    """OR-Tools' default first solution finds nothing here; we find one (ILS, chosen for
    mandatory visits, has nothing to start from: the GLS path and its CP-SAT fallback do)."""
    data = _tight_instance(seed)
    # The same model, from the solver's own builder, searched with OR-Tools' defaults.
    model = solver._build(data, list(range(len(data.nodes))))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.time_limit.FromSeconds(1)
    assert model.routing.SolveWithParameters(params) is None
    solution = solve_vrp(data, time_limit=5.0, work_limit=100_000)
    assert solution.dropped == ()
    assert sorted(i for r in solution.routes for i in r) == list(range(1, 17))


def _capacitated_instance(seed: int, n: int = 30) -> VrpData:
    """A small Solomon-like instance: every visit mandatory, demands, capacity, windows."""
    rnd = random.Random(seed)
    points = [(50.0, 50.0)] + [(rnd.uniform(0, 100), rnd.uniform(0, 100)) for _ in range(n)]
    time = [[math.ceil(math.dist(a, b)) for b in points] for a in points]
    nodes = [VrpNode()]
    for i in range(1, n + 1):
        ready = rnd.randrange(0, 600)
        ready = max(ready, time[0][i])
        nodes.append(VrpNode(service=10, windows=((ready, ready + 200),), demand=rnd.randint(1, 9)))
    vehicle = VrpVehicle(start=0, end=0, earliest=0, latest=1200, capacity=40)
    return VrpData(nodes=tuple(nodes), vehicles=(vehicle,) * 8, time=time, cost=time)


def _check_vrp(data: VrpData, solution: object) -> None:
    """Every mandatory visit served once, within its window and the vehicle's capacity."""
    routes = solution.routes  # type: ignore[attr-defined]
    assert solution.dropped == ()  # type: ignore[attr-defined]
    assert sorted(i for r in routes for i in r) == list(range(1, len(data.nodes)))
    for route in routes:
        assert sum(data.nodes[i].demand for i in route) <= 40
        clock, here = 0, 0
        for i in route:
            clock = max(clock + data.time[here][i], data.nodes[i].windows[0][0])
            assert clock <= data.nodes[i].windows[0][1]
            clock, here = clock + data.nodes[i].service, i
        assert clock + data.time[here][0] <= 1200


@pytest.mark.parametrize("metaheuristic", ["ils", "ils_descent"])
def test_iterated_local_search_is_deterministic_and_ends_on_its_work_limit(
    metaheuristic: str,
) -> None:
    """ILS draws random numbers, from OR-Tools' own fixed seed: same data, seed and work
    limit, same routes; the work limit (as a solution limit), not the clock, ends it."""
    data = _capacitated_instance(3)
    runs = [
        solve_vrp(data, time_limit=60.0, seed=5, work_limit=200_000, metaheuristic=metaheuristic)
        for _ in range(2)
    ]
    for run in runs:
        _check_vrp(data, run)
        assert run.stopped_by == "work_limit"
        assert run.wall_seconds < 60
    assert runs[0].routes == runs[1].routes
    assert runs[0].objective == runs[1].objective


def test_mandatory_visits_get_ils_and_optional_visits_gls() -> None:
    """The metaheuristic follows the problem's shape: "auto" is ILS when every visit is
    mandatory (Solomon; short routes here), GLS when visits may be dropped (field sales)."""
    mandatory = _capacitated_instance(4)
    options = {"time_limit": 60.0, "seed": 2, "work_limit": 100_000}
    auto = solve_vrp(mandatory, **options)  # type: ignore[arg-type]
    assert auto.routes == solve_vrp(mandatory, metaheuristic="ils", **options).routes  # type: ignore[arg-type]
    _check_vrp(mandatory, auto)
    optional = replace(
        mandatory,
        nodes=(mandatory.nodes[0], *(replace(n, penalty=10**6) for n in mandatory.nodes[1:])),
    )
    auto = solve_vrp(optional, **options)  # type: ignore[arg-type]
    gls = solve_vrp(optional, metaheuristic="gls", **options)  # type: ignore[arg-type]
    assert (auto.routes, auto.objective) == (gls.routes, gls.objective)
    with pytest.raises(ValueError, match="metaheuristic"):
        solve_vrp(mandatory, time_limit=1.0, metaheuristic="tabu")


def _line_instance(*, capacity: int | None, latest: int, demand: int = 1) -> VrpData:
    """Ten visits 10 apart on a line, service 5, two vehicles: a shape we can count."""
    time = [[10 * abs(a - b) for b in range(11)] for a in range(11)]
    nodes = [VrpNode()] + [VrpNode(service=5, demand=demand) for _ in range(10)]
    vehicle = VrpVehicle(start=0, end=0, earliest=0, latest=latest, capacity=capacity)
    return VrpData(nodes=tuple(nodes), vehicles=(vehicle, vehicle), time=time, cost=time)


def test_route_visits_is_the_tighter_of_capacity_and_time() -> None:
    """A visit costs at least its service plus the drive to its nearest neighbour (5 + 10
    here): a 300-long day holds 20 of them; a capacity of 8 with demands of 2 holds 4."""
    assert solver.route_visits(_line_instance(capacity=None, latest=300)) == 20
    assert solver.route_visits(_line_instance(capacity=8, latest=300, demand=2)) == 4
    assert solver.route_visits(_line_instance(capacity=1000, latest=300, demand=2)) == 20
    # Without demands the capacity says nothing.
    assert solver.route_visits(_line_instance(capacity=8, latest=300, demand=0)) == 20


def test_long_mandatory_routes_get_ils_with_descents() -> None:
    """The shape picks the search: short mandatory routes plain ILS, routes of
    LONG_ROUTE_VISITS visits or more ILS with descents, optional visits GLS whatever
    the routes' length; and each choice solves the instance."""
    short = _line_instance(capacity=None, latest=15 * (solver.LONG_ROUTE_VISITS - 1))
    long = _line_instance(capacity=None, latest=15 * solver.LONG_ROUTE_VISITS)
    assert solver.default_metaheuristic(short) == "ils"
    assert solver.default_metaheuristic(long) == "ils_descent"
    droppable = tuple(replace(n, penalty=99) for n in long.nodes[1:])
    optional = replace(long, nodes=(long.nodes[0], *droppable))
    assert solver.default_metaheuristic(optional) == "gls"
    options = {"time_limit": 60.0, "seed": 1, "work_limit": 50_000}
    auto = solve_vrp(long, **options)  # type: ignore[arg-type]
    descent = solve_vrp(long, metaheuristic="ils_descent", **options)  # type: ignore[arg-type]
    assert (auto.routes, auto.objective) == (descent.routes, descent.objective)
    assert auto.dropped == ()
    assert sorted(i for r in auto.routes for i in r) == list(range(1, 11))


def test_several_windows_a_day_are_respected() -> None:
    """Open 08:00-09:00 and 17:00-18:00 only: visited inside one of them, whole."""
    c = Candidate(
        id="shop",
        location=near(random.Random(5), 5),
        duration=1800,
        priority=50,
        opening=WeeklyHours.every_day(
            TimeWindow.of("08:00", "09:00"), TimeWindow.of("17:00", "18:00")
        ),
    )
    problem = Problem(shifts=(shift(hours=(hm(9), hm(19))),), candidates=(c,), travel=GreatCircle())
    (stop,) = plan_of(problem).routes[0].stops
    assert hm(17) <= stop.start <= hm(17, 30)


def test_drop_reasons() -> None:
    """Each kind of drop is named: excluded, no route, closed, unreachable, priority, time."""
    far = Location(lat=48.85, lon=2.35)  # Paris: 4 h from Lyon, the day is 4 h long
    here = near(random.Random(6), 3)
    sunday_only = WeeklyHours.from_json({"sun": [["09:00", "12:00"]]})
    pool = (
        Candidate(id="excluded", location=here, duration=600, priority=90, excluded=True),
        Candidate(id="other-rep", location=here, duration=600, priority=90, reps=frozenset({"x"})),
        Candidate(id="closed", location=here, duration=600, priority=90, opening=sunday_only),
        Candidate(id="far", location=far, duration=600, priority=90),
        # Three 80-minute visits of which two fit: the least important loses.
        Candidate(id="big", location=here, duration=4800, priority=60),
        Candidate(id="mid", location=here, duration=4800, priority=50),
        Candidate(id="small", location=here, duration=4800, priority=10),
    )
    problem = Problem(shifts=(shift(hours=(hm(9), hm(13))),), candidates=pool, travel=GreatCircle())
    plan = plan_of(problem)
    assert {s.id for s in plan.routes[0].stops} == {"big", "mid"}
    assert reasons(plan) == {
        "excluded": DropReason.EXCLUDED,
        "other-rep": DropReason.NO_ROUTE,
        "closed": DropReason.OUTSIDE_OPENING_HOURS,
        "far": DropReason.UNREACHABLE,
        "small": DropReason.LOWER_PRIORITY,
    }
    (small,) = [d for d in plan.dropped if d.id == "small"]
    assert small.instead_of[0] in {"big", "mid"}


def test_no_time_left_when_appointments_fill_the_day() -> None:
    """A visit that fits alone but not around the appointments has no time left."""
    here = near(random.Random(7), 2)
    appts = tuple(
        Appointment(
            id=f"a{k}",
            rep_id="rep",
            day=MONDAY,
            location=here,
            window=TimeWindow(start=at, end=at),
            duration=3000,
        )
        for k, at in enumerate((hm(9), hm(10), hm(11)))
    )
    long_visit = Candidate(id="long", location=here, duration=5400, priority=80)
    problem = Problem(
        shifts=(shift(hours=(hm(8, 30), hm(12, 30))),),
        appointments=appts,
        candidates=(long_visit,),
        travel=GreatCircle(),
    )
    plan = plan_of(problem)
    assert reasons(plan) == {"long": DropReason.NO_TIME_LEFT}


def test_value_per_point_leaves_out_detours_not_worth_it() -> None:
    """With a point worth 60 s of driving, a priority-1 visit 40 km away is not worth it,
    a priority-30 one nearby is."""
    near_one = Candidate(id="near", location=near(random.Random(8), 2), duration=600, priority=30)
    far_one = Candidate(
        id="far", location=Location(lat=HOME.lat + 0.36, lon=HOME.lon), duration=600, priority=1
    )
    problem = Problem(
        shifts=(shift(),), candidates=(near_one, far_one), travel=GreatCircle(), value_per_point=60
    )
    plan = plan_of(problem)
    assert [s.id for s in plan.routes[0].stops] == ["near"]
    assert reasons(plan) == {"far": DropReason.NOT_WORTH_DETOUR}
    # By default priority comes first: the far visit is made.
    assert set(plan_of(replace(problem, value_per_point=None)).visited) == {"near", "far"}


def test_pinned_visit_is_kept_over_higher_priorities() -> None:
    """A manager's pin outranks any priority; excluded never appears."""
    here = near(random.Random(9), 3)
    pool = (
        Candidate(id="pinned", location=here, duration=7200, priority=1, pinned=True),
        Candidate(id="important", location=here, duration=7200, priority=100),
    )
    problem = Problem(shifts=(shift(hours=(hm(9), hm(12))),), candidates=pool, travel=GreatCircle())
    plan = plan_of(problem)
    assert plan.visited == ("pinned",)
    assert reasons(plan) == {"important": DropReason.LOWER_PRIORITY}


def test_appointment_conflicts_are_named() -> None:
    """Two meetings at the same time far apart: an error naming an appointment, no plan."""
    meetings = tuple(
        Appointment(
            id=f"m{k}",
            rep_id="rep",
            day=MONDAY,
            location=Location(lat=HOME.lat + k * 0.3, lon=HOME.lon),
            window=TimeWindow.of("10:00", "10:00"),
            duration=3600,
        )
        for k in range(2)
    )
    problem = Problem(shifts=(shift(),), appointments=meetings, travel=GreatCircle())
    with pytest.raises(AppointmentsNotFeasible) as caught:
        solve(problem, time_limit=5, work_limit=BUDGET)
    assert set(caught.value.appointment_ids) <= {"m0", "m1"}
    late = replace(meetings[0], window=TimeWindow.of("19:00", "19:00"))
    with pytest.raises(AppointmentsNotFeasible, match="m0"):
        solve(replace(problem, appointments=(late,)), time_limit=5)


def test_limits_per_day_hold() -> None:
    """Never more stops than allowed, never more driving than allowed."""
    problem = Problem(
        shifts=(shift(max_visits=4, max_driving=3600),),
        candidates=candidates(10, 20, km=25),
        travel=GreatCircle(),
    )
    (route,) = plan_of(problem).routes
    assert route.visits <= 4
    assert route.driving_seconds <= 3600


def test_week_plans_each_day_once_per_customer_with_a_hotel_night() -> None:
    """Five routes; Tuesday ends at the hotel and Wednesday starts there; each customer once;
    a customer open only on Thursday is seen on Thursday; appointments stay on their day."""
    hotel = Location(lat=46.2, lon=5.22)
    rep = Rep.weekdays(id="rep", start=HOME, hours=TimeWindow.of("08:00", "18:00"))
    days = [MONDAY + timedelta(days=k) for k in range(5)]
    thursday_only = WeeklyHours.from_json({"thu": [["09:00", "12:00"]]})
    pool = (
        *candidates(11, 30, km=30),
        Candidate(
            id="thursday",
            location=near(random.Random(12), 10),
            duration=1800,
            priority=100,
            opening=thursday_only,
        ),
    )
    meeting = Appointment(
        id="meeting",
        rep_id="rep",
        day=days[2],
        location=near(random.Random(13), 10),
        window=TimeWindow.of("14:00", "14:00"),
        duration=3600,
    )
    problem = Problem(
        shifts=week_shifts(rep, days, nights_away={days[1]: hotel}),
        appointments=(meeting,),
        candidates=pool,
        travel=GreatCircle(),
    )
    plan = plan_of(problem)
    assert [r.day for r in plan.routes] == days
    assert plan.routes[1].end == hotel == plan.routes[2].start
    assert len(plan.visited) == len(set(plan.visited))
    assert "thursday" in {s.id for s in plan.routes[3].stops}
    assert "meeting" in {s.id for s in plan.routes[2].stops}
    assert plan.dropped == ()  # five days are plenty for 31 visits


def test_team_respects_territories_and_shares_border_customers() -> None:
    """Each rep sees only their territory; a shared customer goes to one rep only."""
    north = Location(lat=HOME.lat + 0.3, lon=HOME.lon)
    south = Location(lat=HOME.lat - 0.3, lon=HOME.lon)
    rnd = random.Random(14)
    pool = [
        Candidate(
            id=f"{name}{i}",
            location=near(rnd, 10, centre),
            duration=1800,
            priority=rnd.randint(1, 50),
            reps=frozenset({name}),
        )
        for name, centre in (("n", north), ("s", south))
        for i in range(8)
    ]
    pool.append(
        Candidate(id="border", location=HOME, duration=1800, priority=100, reps=frozenset("ns"))
    )
    problem = Problem(
        shifts=(shift(rep_id="n", start=north), shift(rep_id="s", start=south)),
        candidates=tuple(pool),
        travel=GreatCircle(),
    )
    plan = plan_of(problem)
    for route in plan.routes:
        assert all(s.id.startswith(route.rep_id) or s.id == "border" for s in route.stops)
    assert plan.visited.count("border") == 1


def test_replan_from_the_middle_of_the_day() -> None:
    """After two visits, from where the rep stands: the rest is planned from there, later."""
    meeting = Appointment(
        id="meeting",
        rep_id="rep",
        day=MONDAY,
        location=near(random.Random(15), 10),
        window=TimeWindow.of("16:00", "16:00"),
        duration=1800,
    )
    problem = Problem(
        shifts=(shift(lunch=(hm(12), hm(14), 3600)),),
        appointments=(meeting,),
        candidates=candidates(16, 15),
        travel=GreatCircle(),
    )
    plan = plan_of(problem)
    first, second = plan.routes[0].stops[:2]
    rest = replan(
        problem,
        rep_id="rep",
        day=MONDAY,
        position=second.location,
        now=second.departure,
        done=[first.id, second.id],
        driven=first.travel_seconds + second.travel_seconds,
    )
    again = plan_of(rest)
    (route,) = again.routes
    assert route.start == second.location
    assert route.departure >= second.departure
    assert all(s.start >= second.departure for s in route.stops)
    assert {first.id, second.id}.isdisjoint(again.visited)
    assert "meeting" in again.visited


def test_solver_refuses_bad_input() -> None:
    """A non-positive time limit or a shift too short for its own drive are ValueErrors."""
    problem = Problem(shifts=(shift(),), travel=GreatCircle())
    with pytest.raises(ValueError, match="time_limit"):
        solve(problem, time_limit=0)
    paris = Location(lat=48.85, lon=2.35)
    with pytest.raises(ValueError, match="does not fit"):
        solve(
            Problem(shifts=(shift(end=paris, hours=(hm(9), hm(10))),), travel=GreatCircle()),
            time_limit=1,
        )
