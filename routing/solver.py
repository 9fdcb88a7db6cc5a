"""The one module that imports OR-Tools: a typed adapter from :class:`~routing.vrp.VrpData`
to a ``RoutingModel``, and :func:`solve` for field-sales problems.

How the model is built (``_build``), and why:

- **Time** dimension: transit ``i -> j`` is the service at ``i`` plus the drive; slack is
  waiting, up to the horizon; each visit's cumul (its service start) is limited to its
  windows. *Several windows a day* are one node whose cumul domain has holes
  (``SetRange`` to the outer bounds, then ``RemoveInterval`` for each gap): one node per
  visit keeps "at most once" structural, and the holes propagate like any domain.
- **Lunch** is a break interval of the vehicle on the Time dimension
  (``SetBreakIntervalsOfVehicle`` with each node's service as its visit transit), not a
  dummy node: a dummy node would need a travel time to and from "wherever the rep happens
  to be", which a fixed matrix cannot express, so it would either add a fake detour or
  erase the drive it sits in. The break may fall in any gap between visits (the drive is
  split around it), before the route starts or after it ends, never during a visit;
  ``routing.schedule`` applies the same rule when it times the routes.
- **Driving** (sum of drives) and **Visits** (count) dimensions carry the per-day limits;
  an optional **Capacity** dimension serves the Solomon benchmark.
- **Disjunctions**: every optional visit has one with its penalty; the caller scales
  penalties to outweigh insertion costs (see ``routing.lowering``), otherwise the solver
  happily saves a few seconds of driving by dropping visits. Mandatory nodes (Solomon)
  have none. Allowed vehicles restrict territories and days.
- **Search**: ``PARALLEL_CHEAPEST_INSERTION`` builds the first solution (with tight windows
  ``PATH_CHEAPEST_ARC``, the default, often finds none at all), then a metaheuristic by
  the problem's shape (:func:`default_metaheuristic`): ``GUIDED_LOCAL_SEARCH`` when
  visits are optional (field sales), iterated local search (SISR ruin and recreate, see
  :data:`ILS_MAX_STRING`) when every visit is mandatory (Solomon), measured better there
  and kept away from the tuned field-sales search; with a greedy descent after each
  recreate when routes are long (:func:`route_visits`, :data:`LONG_ROUTE_VISITS`), where
  reinsertion alone leaves each route's order poor. None stops by itself: a time limit
  is always set and the best solution found so far is returned.

Multiple windows: one node, with holes, as above; a customer whose hours differ between
the days of a week is one node per distinct set of windows, tied by a choice (a shared
disjunction, at most one served), see ``routing.lowering``.

Determinism: the search is single-threaded and OR-Tools' local search has no randomness,
so two runs differ only if they stop at different points. A time limit stops at a point
that depends on the machine and its load; so does, in practice, "single thread + fixed
time limit". A solution limit does not, but GLS may accept no solution for a long time
(a one-visit day has no move to make: it would run to the clock), and its rate varies
sixty-fold between instances. So :func:`solve_vrp` counts *work*: a custom search limit
whose check OR-Tools calls at every step of the search, a count that grows with the work
done (0.3 to 1.1 million a second on the benchmark machine for every kind of instance
measured) and depends on nothing else. The default work limit is derived from the time
limit at a rate well below the slowest measured (:data:`WORK_PER_SECOND`), so the work
limit, not the clock, ends the search; the time limit stays as a cap, and
``VrpSolution.stopped_by`` says which one stopped it: only ``"time_limit"`` results may
differ from run to run. Both limits apply once a first solution exists: the first
solution always completes (OR-Tools' own clock, set far beyond the time limit, only
guards against one that never ends), because a late plan beats no plan. Logging is
off, one solution is collected, path LNS (on for tiny instances only) gets a generous
clock for each of its sub-searches so they finish instead of being cut short. The seed
permutes the visit nodes before the model is built, which changes the order in which
heuristics meet them: another seed, another (deterministic) search. ILS draws random
numbers from OR-Tools' own constant-seeded generator (deterministic as well), anneals at a
constant temperature (OR-Tools would cool it by elapsed time), and, since its loop ignores
search monitors, takes its work limit as a solution limit (:data:`ILS_WORK_PER_SOLUTION`).
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Sequence

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from . import lowering
from .model import Problem
from .plan import Plan
from .vrp import VrpData, VrpNode, VrpSolution, VrpVehicle

#: Default work limit per second of time limit, in checks of the search limit (see the
#: module docstring). Measured rates: 1.1 M/s (one visit), 1.0 M/s (a 40-candidate day),
#: 0.45 M/s (Solomon R101), 0.35 M/s (a 300-candidate week) on the 2-core benchmark
#: machine under load; 150,000 leaves a margin of more than 2x on the slowest. Planning
#: instances converge early (ten accepted solutions give a benchmark day the plan a 5 s
#: search gives), so stopping before the clock costs little.
WORK_PER_SECOND = 150_000
#: Never less work than this, whatever the time limit (about 0.1 s).
MIN_WORK = 20_000
#: The default work of an instance is at most this times its number of nodes squared
#: (10 nodes: 0.2 M, a 40-candidate day: 4 M): small instances converge in a moment.
WORK_PER_SQUARED_NODE = 2_000

#: Guided local search's penalty weight (OR-Tools' default is 0.1), see _search_parameters.
GLS_LAMBDA_OPTIONAL = 0.5
GLS_LAMBDA_MANDATORY = 0.3
#: Above this many nodes the swap-in-and-out operators cost more than they find.
SWAP_OPERATORS_MAX_NODES = 120
#: Local search operators off by default that move a visit in and another out at once.
SWAP_IN_AND_OUT_OPERATORS = (
    "use_extended_swap_active",
    "use_exchange_and_make_active",
    "use_relocate_and_make_active",
)
#: Up to this many nodes, path LNS (exact re-optimisation of two routes) is on.
PATH_LNS_MAX_NODES = 16
#: OptionalBoolean.BOOL_TRUE in OR-Tools' parameters protocol buffers.
_BOOL_TRUE = 3
_BOOL_FALSE = 2

#: Iterated local search (mandatory visits only, see _search_parameters): the SISR ruin
#: ("slack induction by string removals", Christiaens & Vanden Berghe 2020) removes
#: strings of at most this many consecutive visits from nearby routes...
ILS_MAX_STRING = 10
#: ...about this many visits in all, on average (the paper's 10 was worse on every
#: Solomon family measured, 15, 30 and 40 too)...
ILS_AVG_REMOVED = 20
#: ...sparing a part of a string with this probability factor (the paper's alpha); then
#: local cheapest insertion recreates (and, for "ils_descent", greedy descent improves).
ILS_BYPASS = 0.01
#: Simulated-annealing acceptance of the reference solution, at a constant temperature of
#: this fraction of the mean arc cost (measured: 0.01 and 0.1 worse, 0.025 slightly).
#: Constant, because OR-Tools cools by elapsed wall time, which would make the accepted
#: trajectory depend on the machine's load.
ILS_TEMPERATURE = 0.05
#: Operators left out of ILS's descents: insertion LNS and (de)activation moves, which
#: cost time and have nothing to do when every visit is mandatory, and pickup-delivery
#: pair moves (there are no pairs).
ILS_DESCENT_OFF_OPERATORS = (
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
    "use_make_active",
    "use_make_inactive",
    "use_make_chain_inactive",
    "use_swap_active",
    "use_swap_active_chain",
    "use_shortest_path_swap_active",
    "use_shortest_path_two_opt",
    "use_relocate_pair",
    "use_light_relocate_pair",
    "use_exchange_pair",
    "use_relocate_subtrip",
    "use_exchange_subtrip",
)
#: OR-Tools' ILS loop cannot be stopped by a search monitor (an aborted iteration just
#: starts the next one, until the clock), so its work limit is a number of explored
#: solutions: one per this many units of the work counter. Measured on Solomon R101,
#: R205, RC204, C101: plain ILS explores 216-329 solutions a CPU-second (the counter
#: itself moves irregularly there, 30,000-230,000 a second: insertion rarely checks it),
#: ILS with descents 98-182; like WORK_PER_SECOND against GLS's slowest rate, these
#: leave a margin of more than 2x (150,000 / 1,600 = 94 solutions a second).
ILS_WORK_PER_SOLUTION = {"ils": 1_600, "ils_descent": 3_600}
#: Mandatory visits whose routes hold at least this many visits (see :func:`route_visits`)
#: get ILS *with* a descent after each recreate: on long routes, reinsertion alone leaves
#: the order inside a route poor, and the descent's intra-route moves fix it. Measured at
#: the same CPU time (Solomon type 2, 36-66 visits a route: -1.3 and -1.6 points of mean
#: gap on 8 instances, seeds 0 and 1); on short routes (type 1, 11-14) many cheap
#: iterations stay better (+0.4 points with descents on 5). 25 sits between the groups.
LONG_ROUTE_VISITS = 25


class NoSolution(RuntimeError):
    """OR-Tools found no solution at all (only possible with mandatory nodes)."""


def work_budget(time_limit: float) -> int:
    """The default work limit for a search of ``time_limit`` seconds."""
    return max(MIN_WORK, round(time_limit * WORK_PER_SECOND))


def solve_vrp(
    data: VrpData,
    *,
    time_limit: float,
    seed: int = 0,
    work_limit: int | None = None,
    gls_lambda: float | None = None,
    metaheuristic: str = "auto",
) -> VrpSolution:
    """Solve ``data``: PARALLEL_CHEAPEST_INSERTION, then a metaheuristic.

    ``time_limit`` (seconds) always bounds the call; ``work_limit`` (default
    :func:`work_budget`; 0 for no limit but the clock) makes the result reproducible.
    ``metaheuristic`` is ``"gls"`` (guided local search), ``"ils"`` (iterated local
    search, ruin and recreate), ``"ils_descent"`` (the same with a descent after each
    recreate) or ``"auto"``, chosen by the problem's shape
    (:func:`default_metaheuristic`). ``gls_lambda`` overrides GLS's penalty weight; with
    ``metaheuristic``, for portfolios of searches that differ in more than their seed.
    """
    if metaheuristic not in ("auto", "gls", "ils", "ils_descent"):
        raise ValueError(f"unknown metaheuristic {metaheuristic!r}")
    if time_limit <= 0:
        raise ValueError("time_limit must be > 0 seconds")
    started = time.perf_counter()
    visits = [i for i in range(len(data.nodes)) if i not in data.depots]
    if not visits:
        return VrpSolution(
            routes=tuple(() for _ in data.vehicles),
            dropped=(),
            objective=sum(data.cost[v.start][v.end] for v in data.vehicles),
            wall_seconds=time.perf_counter() - started,
            stopped_by="trivial",
        )
    order = _node_order(data, visits, seed)
    model = _build(data, order)
    budget = work_budget(time_limit) if work_limit is None else work_limit
    if metaheuristic == "auto":
        metaheuristic = default_metaheuristic(data)
    ils = metaheuristic != "gls"
    # The time limit covers building the model too; the search gets what is left, but
    # never less than a quarter.
    search_limit = max(time_limit / 4, time_limit - (time.perf_counter() - started))
    searching = time.perf_counter()
    deadline = searching + search_limit
    work, found, stopped = 0, False, "search_ended"
    solutions = 0

    def at_solution() -> None:
        nonlocal found, solutions
        found = True
        solutions += 1

    def check() -> bool:
        # Both limits count from the first solution on: the first solution always
        # completes (a plan late is better than no plan), then work or clock end the
        # improvement. The clock is read every 1024 checks (about a millisecond).
        nonlocal work, stopped
        if not found:
            return False
        work += 1
        if budget and work >= budget and not ils:
            stopped = "work_limit"
            return True
        if work % 1024 == 0 and time.perf_counter() >= deadline:
            stopped = "time_limit"
            return True
        return False

    limit = model.routing.solver().CustomLimit(check)
    model.keep += [check, at_solution, limit]
    model.routing.AddAtSolutionCallback(at_solution)
    model.routing.AddSearchMonitor(limit)
    if ils:
        # The ILS loop only ends on OR-Tools' own clock or its solution limit (see
        # ILS_WORK_PER_SOLUTION); the first solution takes a moment of a 100-node
        # instance, so the clock is the search limit itself.
        params = _search_parameters(data, search_limit, ils=metaheuristic)
        ils_solutions = max(1, budget // ILS_WORK_PER_SOLUTION[metaheuristic]) if budget else 0
        if ils_solutions:
            params.solution_limit = ils_solutions
        solution = model.routing.SolveWithIteratedLocalSearch(params)
        if ils_solutions and solutions >= ils_solutions:
            stopped = "work_limit"
        elif stopped == "search_ended":
            stopped = "time_limit"  # ILS never ends by itself
        # Without a first solution by insertion (very tight windows), ILS has nothing to
        # iterate on; the GLS path below also has OR-Tools' CP-SAT fallback (small
        # instances), which finds one.
        ils = solution is not None
        if not ils:
            stopped = "search_ended"
    if not ils:
        # OR-Tools' own clock only guards against a first solution that never ends.
        params = _search_parameters(data, max(60.0, 10 * search_limit))
        if gls_lambda is not None:
            params.guided_local_search_lambda_coefficient = gls_lambda
        solution = model.routing.SolveWithParameters(params)
    wall = time.perf_counter() - started
    if solution is None:
        raise NoSolution(f"no solution (OR-Tools status {model.routing.status()})")
    routes = []
    routing, manager = model.routing, model.manager
    for v in range(len(data.vehicles)):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        route = []
        while not routing.IsEnd(index):
            route.append(order[manager.IndexToNode(index)])
            index = solution.Value(routing.NextVar(index))
        routes.append(tuple(route))
    served = {i for r in routes for i in r}
    return VrpSolution(
        routes=tuple(routes),
        dropped=tuple(i for i in visits if i not in served),
        objective=solution.ObjectiveValue(),
        wall_seconds=wall,
        stopped_by=stopped,
    )


def _node_order(data: VrpData, visits: list[int], seed: int) -> list[int]:
    """Model node k is data node ``order[k]``: depots stay, visits are shuffled by seed."""
    shuffled = list(visits)
    if seed:
        random.Random(seed).shuffle(shuffled)
    it = iter(shuffled)
    return [i if i in data.depots else next(it) for i in range(len(data.nodes))]


class _Model:
    """The OR-Tools objects kept alive together (the SWIG wrappers reference each other)."""

    def __init__(self, manager: pywrapcp.RoutingIndexManager) -> None:
        self.manager = manager
        self.routing = pywrapcp.RoutingModel(manager)
        self.keep: list[object] = []


def _permute(matrix: Sequence[Sequence[int]], order: list[int]) -> list[list[int]]:
    """``matrix`` re-indexed so row k is data node ``order[k]``."""
    return [[int(matrix[a][b]) for b in order] for a in order]


def _build(data: VrpData, order: list[int]) -> _Model:
    """The RoutingModel of ``data`` with its nodes in ``order`` (see module docstring)."""
    n, vehicles = len(data.nodes), data.vehicles
    position = {node: k for k, node in enumerate(order)}
    nodes = [data.nodes[i] for i in order]
    depots = {position[i] for i in data.depots}
    manager = pywrapcp.RoutingIndexManager(
        n, len(vehicles), [position[v.start] for v in vehicles], [position[v.end] for v in vehicles]
    )
    model = _Model(manager)
    routing = model.routing
    horizon = data.horizon

    drive = _permute(data.time, order)
    cost = routing.RegisterTransitMatrix(_permute(data.cost, order))
    routing.SetArcCostEvaluatorOfAllVehicles(cost)

    service = [0 if k in depots else nodes[k].service for k in range(n)]
    transit = routing.RegisterTransitMatrix(
        [[service[a] + drive[a][b] for b in range(n)] for a in range(n)]
    )
    routing.AddDimension(transit, horizon, horizon, False, "Time")
    time_dim = routing.GetDimensionOrDie("Time")
    for k, node in enumerate(nodes):
        if k in depots or not node.windows:
            continue
        cumul = time_dim.CumulVar(manager.NodeToIndex(k))
        cumul.SetRange(node.windows[0][0], node.windows[-1][1])
        for lo, hi in _holes(node, vehicles):
            cumul.RemoveInterval(lo, hi)
    for v, vehicle in enumerate(vehicles):
        time_dim.CumulVar(routing.Start(v)).SetRange(vehicle.earliest, vehicle.latest)
        time_dim.CumulVar(routing.End(v)).SetRange(vehicle.earliest, vehicle.latest)

    if any(v.lunch for v in vehicles):
        visit_transits = [service[manager.IndexToNode(i)] for i in range(routing.Size())]
        solver = routing.solver()
        for v, vehicle in enumerate(vehicles):
            if vehicle.lunch is None:
                continue
            lunch = solver.FixedDurationIntervalVar(
                vehicle.lunch.start_min,
                vehicle.lunch.start_max,
                vehicle.lunch.duration,
                False,
                f"lunch {v}",
            )
            model.keep.append(lunch)
            time_dim.SetBreakIntervalsOfVehicle([lunch], v, visit_transits)

    if any(v.max_driving is not None for v in vehicles):
        driving = routing.RegisterTransitMatrix(drive)
        routing.AddDimensionWithVehicleCapacity(
            driving,
            0,
            [horizon if v.max_driving is None else v.max_driving for v in vehicles],
            True,
            "Driving",
        )
    if any(v.max_visits is not None for v in vehicles):
        counts = routing.RegisterUnaryTransitVector(
            [0 if k in depots or not nodes[k].counts else 1 for k in range(n)]
        )
        routing.AddDimensionWithVehicleCapacity(
            counts,
            0,
            [n if v.max_visits is None else v.max_visits for v in vehicles],
            True,
            "Visits",
        )
    if any(v.capacity is not None for v in vehicles):
        demand = routing.RegisterUnaryTransitVector(
            [0 if k in depots else nodes[k].demand for k in range(n)]
        )
        total = sum(node.demand for node in nodes)
        routing.AddDimensionWithVehicleCapacity(
            demand,
            0,
            [total if v.capacity is None else v.capacity for v in vehicles],
            True,
            "Capacity",
        )

    for choice in data.choices:
        routing.AddDisjunction(
            [manager.NodeToIndex(position[i]) for i in choice.nodes], choice.penalty, 1
        )
    for k, node in enumerate(nodes):
        if k in depots:
            continue
        index = manager.NodeToIndex(k)
        if node.penalty is not None:
            routing.AddDisjunction([index], node.penalty)
        if node.vehicles is not None and len(node.vehicles) < len(vehicles):
            # SetAllowedVehiclesForIndex's Span argument is not callable from Python in
            # 9.15; restricting the vehicle variable is equivalent (-1: not performed).
            routing.VehicleVar(index).SetValues([-1, *node.vehicles])
    return model


def _holes(node: VrpNode, vehicles: Sequence[VrpVehicle]) -> list[tuple[int, int]]:
    """Gaps between the node's windows, only where an allowed vehicle can be.

    Removing a hole costs OR-Tools time in proportion to its length (the domain becomes
    a bitset), and a week's nights are long. A vehicle's times stay inside its own
    [earliest, latest], so the parts of a gap no allowed vehicle can reach are already
    impossible and need not be removed.
    """
    allowed = range(len(vehicles)) if node.vehicles is None else node.vehicles
    reach = sorted((vehicles[v].earliest, vehicles[v].latest) for v in allowed)
    holes = []
    for (_, hi), (lo, _) in itertools.pairwise(node.windows):
        for start, end in reach:
            a, b = max(hi + 1, start), min(lo - 1, end)
            if a <= b:
                holes.append((a, b))
    return holes


def route_visits(data: VrpData) -> float:
    """About how many visits one route can hold: a problem's "route length" shape.

    The tighter of two bounds: the mean vehicle capacity over the mean demand (when there
    are demands), and the mean vehicle day (``latest - earliest``) over what a visit costs
    at least, its service plus the drive to its nearest other visit. Solomon type 1
    instances give 11-14, type 2 36-66.
    """
    visits = [i for i in range(len(data.nodes)) if i not in data.depots]
    if len(visits) < 2:
        return float(len(visits))
    nearest = [min(data.time[i][j] for j in visits if j != i) for i in visits]
    per_visit = (sum(data.nodes[i].service for i in visits) + sum(nearest)) / len(visits)
    day = sum(v.latest - v.earliest for v in data.vehicles) / len(data.vehicles)
    bound = day / per_visit if per_visit > 0 else float(len(visits))
    demand = sum(data.nodes[i].demand for i in visits) / len(visits)
    capacities = [v.capacity for v in data.vehicles if v.capacity is not None]
    if demand > 0 and len(capacities) == len(data.vehicles):
        bound = min(bound, sum(capacities) / len(capacities) / demand)
    return bound


def default_metaheuristic(data: VrpData) -> str:
    """What ``metaheuristic="auto"`` runs on ``data``, by the problem's shape.

    Optional visits (field sales): ``"gls"``. Every visit mandatory: ``"ils"``, or
    ``"ils_descent"`` when routes are long (:data:`LONG_ROUTE_VISITS`).
    """
    if _optional(data):
        return "gls"
    return "ils_descent" if route_visits(data) >= LONG_ROUTE_VISITS else "ils"


def _optional(data: VrpData) -> bool:
    """Whether some visit may be left out (field sales), rather than all mandatory."""
    return bool(data.choices) or any(node.penalty is not None for node in data.nodes)


def _search_parameters(data: VrpData, time_limit: float, *, ils: str | None = None) -> object:
    """First solution by parallel cheapest insertion, then GLS or ILS, a time limit.

    Changes from OR-Tools' defaults, each measured (see ``docs/planning.md``):

    - GLS's lambda: 0.5 when visits are optional (stronger arc penalties leave plateaus
      of equal priority sooner: fewer misses on the exhaustive-search instances), 0.3
      when every node is mandatory (lower mean gap on the hard Solomon instances); 0.1,
      the default, was worse on both;
    - on small instances with optional visits, the operators that swap a visit in and
      another out at once (``extended_swap_active``, ``exchange_and_make_active``,
      ``relocate_and_make_active``): when a day is full, the better plan often needs
      both moves together, which one-at-a-time operators only reach through a worse
      plan. Their cost grows with the number of dropped visits, so a week (300 nodes)
      is better off without them.
    """
    optional = _optional(data)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    if ils:
        _iterated_local_search(params, data, descent=ils == "ils_descent")
    params.guided_local_search_lambda_coefficient = (
        GLS_LAMBDA_OPTIONAL if optional else GLS_LAMBDA_MANDATORY
    )
    if optional and len(data.nodes) <= SWAP_OPERATORS_MAX_NODES:
        for name in SWAP_IN_AND_OUT_OPERATORS:
            setattr(params.local_search_operators, name, _BOOL_TRUE)
    if optional and len(data.nodes) <= PATH_LNS_MAX_NODES:
        params.local_search_operators.use_path_lns = _BOOL_TRUE
        # Each LNS move re-solves two routes exactly; give it the whole time limit so it
        # runs to completion (a sub-search cut by the clock would make results vary).
        params.lns_time_limit.FromMilliseconds(max(1000, round(time_limit * 1000)))
    params.time_limit.FromMilliseconds(max(1, round(time_limit * 1000)))
    params.log_search = False
    params.number_of_solutions_to_collect = 1
    return params


def _iterated_local_search(params: object, data: VrpData, *, descent: bool) -> None:
    """Turn ``params`` into ruin-and-recreate ILS (the SISR ruin, see ILS_MAX_STRING).

    Each iteration ruins strings of visits around a random one, reinserts them by local
    cheapest insertion, with ``descent`` improves that by greedy descent (GLS would never
    hand back; on short routes many cheap iterations without measured better, on long
    routes the descent, see LONG_ROUTE_VISITS), and keeps the result as
    the next reference by simulated annealing at a constant temperature. OR-Tools draws
    from its own generator with a fixed seed, so the run is deterministic; our seed (the
    node order) still makes each search different.
    """
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    params.use_iterated_local_search = True
    params.iterated_local_search_parameters.improve_perturbed_solution = descent
    for name in ILS_DESCENT_OFF_OPERATORS:
        setattr(params.local_search_operators, name, _BOOL_FALSE)
    ruin_recreate = params.iterated_local_search_parameters.ruin_recreate_parameters
    del ruin_recreate.ruin_strategies[:]
    sisr = ruin_recreate.ruin_strategies.add().sisr
    sisr.max_removed_sequence_size = ILS_MAX_STRING
    sisr.avg_num_removed_visits = ILS_AVG_REMOVED
    sisr.bypass_factor = ILS_BYPASS
    visits = [i for i in range(len(data.nodes)) if i not in data.depots]
    arcs = [data.cost[a][b] for a in visits for b in visits if a != b] or [0]
    temperature = max(1.0, ILS_TEMPERATURE * sum(arcs) / len(arcs))
    annealing = params.iterated_local_search_parameters.reference_solution_acceptance_strategy
    annealing.simulated_annealing.initial_temperature = temperature
    annealing.simulated_annealing.final_temperature = temperature
    annealing.simulated_annealing.automatic_temperatures = False


def solve(
    problem: Problem,
    *,
    time_limit: float,
    seed: int = 0,
    work_limit: int | None = None,
) -> Plan:
    """Plan ``problem``: who is visited, by which route, in which order and when.

    ``time_limit`` (seconds) bounds the whole call (matrix, search, explanations add a
    little); ``work_limit`` (default from the time limit, see :func:`solve_vrp`) makes the
    plan the same on every run for a given ``seed``. Independent parts of the problem
    (groups of shifts that share no candidate) are solved one after the other, each with
    a share of both limits in proportion to its size. Raises
    :class:`routing.plan.AppointmentsNotFeasible` when an appointment cannot be kept,
    ``ValueError`` for a malformed problem.
    """
    if time_limit <= 0:
        raise ValueError("time_limit must be > 0 seconds")
    started = time.perf_counter()
    lowered = lowering.lower(problem)  # computes the travel matrix too
    # Work shares come from the nominal time limit (reproducible); the clocks get what
    # the preparation left, so the whole call stays close to ``time_limit``.
    left = max(time_limit / 4, time_limit - (time.perf_counter() - started))
    total = work_budget(time_limit) if work_limit is None else work_limit
    total_nodes = sum(len(part.data.nodes) for part in lowered.parts) or 1
    solutions = []
    for part in lowered.parts:
        nodes = len(part.data.nodes)
        share = nodes / total_nodes
        work = total and max(1, round(total * share))  # 0 stays 0: clock only
        if work and work_limit is None:
            # A small instance needs little search: no point running it to the clock.
            work = min(work, max(MIN_WORK, WORK_PER_SQUARED_NODE * nodes**2))
        solutions.append(solve_vrp(part.data, time_limit=left * share, seed=seed, work_limit=work))
    return lowering.assemble(
        problem, lowered, solutions, wall_seconds=time.perf_counter() - started
    )
