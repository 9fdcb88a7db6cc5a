"""Solomon VRPTW benchmark of the planner's OR-Tools model builder.

    .venv/bin/python bench/routing_bench.py [--time-limit S] [--routes-out FILE.json] \\
        [--workers N] INSTANCE_FILE...

e.g. ``bench/routing_bench.py /work/shared/data/solomon/*.txt`` (about 5 minutes at the
default 10 s per instance).

Standard output has exactly one CSV line per instance, ``instance,vehicles,distance,seconds``
(no header): vehicles used, total Euclidean distance in full double precision, wall time
of the solve. Standard error has, per instance, the gap to the best-known *distance-only*
solution (``bks_distance_only.csv`` next to the instance files, when present: the fleet is
free and only distance counts, as here) and a feasibility check of the routes in floating
point; then a summary with the mean gap and the worst instance.

``--routes-out`` writes ``{"R101": [[customer numbers as in the file], ...], ...}`` so the
routes can be checked independently.

The instance goes through the same builder as field-sales plans (``routing.solver``): one
mandatory node per customer with its time window and service time, a capacity dimension,
25 identical vehicles at the depot, first solution by parallel cheapest insertion, then
(every customer being mandatory) iterated local search, SISR ruin and recreate, with a
descent after each recreate when routes are long (``routing.solver.route_visits``),
until the time limit (no work limit by default: the best in the time given).

``--workers N`` (default: the number of CPUs) runs N such searches at once in separate
processes, each with its own seed and metaheuristic, and keeps the shortest: on this
benchmark the result of one search swings by several percent with the seed, instance by
instance, so a portfolio is the cheapest way to use a second core. The searches are
:data:`PORTFOLIO` (the solver's own choice by shape, one seed each), or ``--portfolio
0:ils,1:gls:0.3`` (seed, ``auto``, ``ils``, ``ils_descent`` or ``gls``, GLS lambda).
``--workers 1`` is the plain single search. The summary counts which limit stopped the
searches (``time_limit`` results depend on the machine's load).

``--work-limit N`` stops each search after N units of the solver's work counter instead
of the clock (see ``routing.solver``): results then do not depend on the machine's load,
which makes comparisons on a busy machine fair; about 4,000,000 is 10 CPU-seconds (for
ILS it becomes a number of explored solutions, see ``routing.solver``).
Distances are scaled by 1000 to integers inside the solver: rounded for the objective,
rounded *up* for the time dimension, so every route the solver accepts is feasible with
exact distances too (the check on stderr confirms it).
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import math
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from routing.solver import solve_vrp
from routing.vrp import VrpData, VrpNode, VrpSolution, VrpVehicle

#: Integer units per Solomon unit inside the solver.
SCALE = 1000
#: (seed, metaheuristic, GLS lambda or None) of each worker of the portfolio, in order;
#: "auto" is the solver's own choice by the instance's shape
#: (``routing.solver.default_metaheuristic``), so the workers differ by their seed only.
PORTFOLIO: tuple[tuple[int, str, float | None], ...] = (
    (0, "auto", None),
    (1, "auto", None),
    (2, "auto", None),
    (3, "auto", None),
)
EPSILON = 1e-6


@dataclass(frozen=True)
class Customer:
    """One row of a Solomon file (row 0 is the depot)."""

    number: int
    x: float
    y: float
    demand: int
    ready: float
    due: float
    service: float


@dataclass(frozen=True)
class Instance:
    """A Solomon instance: name, fleet and customers (depot first)."""

    name: str
    vehicles: int
    capacity: int
    customers: tuple[Customer, ...]

    def distance(self, a: int, b: int) -> float:
        """Euclidean distance between rows ``a`` and ``b``, full precision."""
        p, q = self.customers[a], self.customers[b]
        return math.hypot(p.x - q.x, p.y - q.y)


def read_instance(path: Path) -> Instance:
    """Parse the standard Solomon text format (name, VEHICLE block, CUSTOMER rows)."""
    lines = [line.split() for line in path.read_text().splitlines()]
    name = lines[0][0] if lines and lines[0] else path.stem
    vehicles = capacity = None
    rows: list[Customer] = []
    for k, tokens in enumerate(lines):
        if tokens[:1] == ["NUMBER"] and vehicles is None:
            vehicles, capacity = (int(v) for v in lines[k + 1])
        elif len(tokens) == 7 and all(_number(t) for t in tokens):
            n, x, y, demand, ready, due, service = tokens
            rows.append(
                Customer(
                    int(n),
                    float(x),
                    float(y),
                    int(demand),
                    float(ready),
                    float(due),
                    float(service),
                )
            )
    if vehicles is None or capacity is None or not rows:
        raise ValueError(f"{path}: not a Solomon instance")
    return Instance(name=name, vehicles=vehicles, capacity=capacity, customers=tuple(rows))


def _number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def to_vrp(instance: Instance) -> VrpData:
    """The instance as the planner's generic model (all customers mandatory)."""
    rows = instance.customers
    n = len(rows)
    distance = [[instance.distance(a, b) for b in range(n)] for a in range(n)]
    depot = rows[0]
    nodes = [VrpNode()] + [
        VrpNode(
            service=round(c.service * SCALE),
            windows=((round(c.ready * SCALE), round(c.due * SCALE)),),
            demand=c.demand,
        )
        for c in rows[1:]
    ]
    vehicle = VrpVehicle(
        start=0,
        end=0,
        earliest=round(depot.ready * SCALE),
        latest=round(depot.due * SCALE),
        capacity=instance.capacity,
    )
    return VrpData(
        nodes=tuple(nodes),
        vehicles=(vehicle,) * instance.vehicles,
        time=[[math.ceil(d * SCALE - EPSILON) for d in row] for row in distance],
        cost=[[round(d * SCALE) for d in row] for row in distance],
    )


def check_routes(instance: Instance, routes: list[list[int]]) -> list[str]:
    """Feasibility of ``routes`` (row indices) with exact distances; problems found."""
    problems = []
    rows = instance.customers
    seen = [i for route in routes for i in route]
    if sorted(seen) != list(range(1, len(rows))):
        problems.append("customers not served exactly once")
    if len(routes) > instance.vehicles:
        problems.append(f"{len(routes)} routes for {instance.vehicles} vehicles")
    for route in routes:
        if sum(rows[i].demand for i in route) > instance.capacity:
            problems.append(f"route {route[:3]}... over capacity")
        t, here = rows[0].ready, 0
        for i in route:
            t = max(t + instance.distance(here, i), rows[i].ready)
            if t > rows[i].due + EPSILON:
                problems.append(f"customer {rows[i].number} served at {t:.3f} > {rows[i].due}")
            t += rows[i].service
            here = i
        if t + instance.distance(here, 0) > rows[0].due + EPSILON:
            problems.append(f"route {route[:3]}... back after the depot closes")
    return problems


def best_known(directory: Path) -> dict[str, float]:
    """Distance-only best-known values from ``bks_distance_only.csv``, if present."""
    path = directory / "bks_distance_only.csv"
    if not path.exists():
        return {}
    with path.open(newline="") as f:
        return {row["instance"]: float(row["distance"]) for row in csv.DictReader(f)}


def parse_portfolio(text: str) -> tuple[tuple[int, str, float | None], ...]:
    """``"0:ils,1:gls:0.3"`` as portfolio entries (seed, metaheuristic, GLS lambda)."""
    entries = []
    for item in text.split(","):
        seed, metaheuristic, *rest = item.split(":")
        entries.append((int(seed), metaheuristic, float(rest[0]) if rest else None))
    return tuple(entries)


def _search(
    data: VrpData,
    time_limit: float,
    work_limit: int,
    seed: int,
    metaheuristic: str,
    gls_lambda: float | None,
) -> VrpSolution:
    """One search of the portfolio (runs in a worker process)."""
    return solve_vrp(
        data,
        time_limit=time_limit,
        seed=seed,
        metaheuristic=metaheuristic,
        gls_lambda=gls_lambda,
        work_limit=work_limit,
    )


def _length(instance: Instance, solution: VrpSolution) -> float:
    """Total Euclidean length of the solution's routes, full precision."""
    return sum(
        instance.distance(a, b)
        for r in solution.routes
        if r
        for a, b in zip([0, *r], [*r, 0], strict=True)
    )


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; exit status 1 if any instance has no feasible solution."""
    parser = argparse.ArgumentParser(
        description="Solve Solomon VRPTW instances; one CSV line per instance on stdout: "
        "instance,vehicles,distance,seconds."
    )
    parser.add_argument("--time-limit", type=float, default=10.0, metavar="S")
    parser.add_argument("--routes-out", type=Path, metavar="FILE.json")
    parser.add_argument(
        "--workers", type=int, metavar="N", help="parallel searches (default: CPUs, max 4)"
    )
    parser.add_argument(
        "--work-limit",
        type=int,
        default=0,
        metavar="N",
        help="stop each search after N units of work (reproducible, machine-independent; "
        "about 300,000-550,000 per CPU-second here); the time limit stays as a cap",
    )
    parser.add_argument(
        "--portfolio",
        type=parse_portfolio,
        default=PORTFOLIO,
        metavar="SEED:auto|ils|ils_descent|gls[:LAMBDA],...",
        help="the searches of the portfolio, in order (default: PORTFOLIO, the solver's "
        "choice by shape with seeds 0-3); the first --workers of them run",
    )
    parser.add_argument("instances", nargs="+", type=Path, metavar="INSTANCE_FILE")
    args = parser.parse_args(argv)

    all_routes: dict[str, list[list[int]]] = {}
    gaps: dict[str, float] = {}
    failed = []
    stopped: collections.Counter[str] = collections.Counter()
    portfolio = args.portfolio
    workers = max(1, min(args.workers or os.cpu_count() or 1, len(portfolio)))
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    for path in args.instances:
        instance = read_instance(path)
        started = time.perf_counter()
        data = to_vrp(instance)
        # Each worker gets the whole time limit, less what building the data took.
        left = max(0.1, args.time_limit - (time.perf_counter() - started))
        if pool is None:
            solutions = [_search(data, left, args.work_limit, *portfolio[0])]
        else:
            futures = [
                pool.submit(_search, data, left, args.work_limit, *portfolio[k])
                for k in range(workers)
            ]
            solutions = [f.result() for f in futures]
        stopped.update(s.stopped_by for s in solutions)
        solution = min(solutions, key=lambda s: (len(s.dropped), _length(instance, s)))
        seconds = time.perf_counter() - started
        routes = [list(r) for r in solution.routes if r]
        distance = _length(instance, solution)
        print(f"{instance.name},{len(routes)},{distance:.2f},{seconds:.2f}", flush=True)
        problems = check_routes(instance, routes)
        if problems or solution.dropped:
            failed.append(instance.name)
            print(f"{instance.name}: INFEASIBLE: {'; '.join(problems[:5])}", file=sys.stderr)
        all_routes[instance.name] = [[instance.customers[i].number for i in r] for r in routes]
        bks = best_known(path.parent).get(instance.name)
        if bks:
            gaps[instance.name] = 100 * (distance / bks - 1)
            print(
                f"{instance.name}: gap {gaps[instance.name]:+.2f}% to {bks:.2f} (distance-only)",
                file=sys.stderr,
                flush=True,
            )
    if pool is not None:
        pool.shutdown()
    if args.routes_out:
        # One instance per line: readable, and still plain JSON.
        lines = [f"{json.dumps(name)}: {json.dumps(r)}" for name, r in all_routes.items()]
        args.routes_out.write_text("{\n" + ",\n".join(lines) + "\n}\n")
    if gaps:
        worst = max(gaps, key=gaps.__getitem__)
        print(
            f"summary: {len(gaps)} instances, mean gap {statistics.mean(gaps.values()):+.2f}%, "
            f"worst {worst} {gaps[worst]:+.2f}%, without a feasible solution: {len(failed)}; "
            f"searches stopped by {', '.join(f'{k} {n}' for k, n in sorted(stopped.items()))}; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
            file=sys.stderr,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
