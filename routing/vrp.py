"""The generic vehicle-routing model the solver understands, as plain typed values.

Field-sales problems (``routing.lowering``) and the Solomon benchmark (``bench/``) both
describe their instance in these terms, so one OR-Tools model builder serves both and the
benchmark measures the code the product runs. Everything is an integer on one clock
("time units": seconds for the product, scaled Solomon units for the benchmark).

Node ``i`` is a place to be at: a vehicle's start or end (a depot node) or a visit.
``time[i][j]`` is the drive from ``i`` to ``j``; a visit's ``service`` is spent at the node
before leaving it; ``cost[i][j]`` is what the objective pays for the arc.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True, slots=True, kw_only=True)
class VrpNode:
    """A visit: service duration, allowed start windows, penalty if skipped, demand."""

    service: int = 0
    #: Sorted, disjoint [lo, hi] intervals for the service start; empty is "any time".
    windows: tuple[tuple[int, int], ...] = ()
    #: What dropping the visit costs; None makes it mandatory (unless in a choice).
    penalty: int | None = None
    demand: int = 0
    #: Vehicles allowed to serve it; None is all.
    vehicles: tuple[int, ...] | None = None
    #: Whether it counts against a vehicle's ``max_visits``.
    counts: bool = True

    def __post_init__(self) -> None:
        _require(self.service >= 0, "service must be >= 0")
        _require(self.penalty is None or self.penalty >= 0, "penalty must be >= 0")
        previous = None
        for lo, hi in self.windows:
            _require(lo <= hi, f"window ({lo}, {hi}) is empty")
            _require(previous is None or previous < lo, "windows must be sorted and disjoint")
            previous = hi
        _require(self.vehicles is None or len(self.vehicles) > 0, "no vehicle may serve it")


@dataclass(frozen=True, slots=True, kw_only=True)
class VrpChoice:
    """Alternative nodes for one visit: at most one is served; ``penalty`` if none is.

    A customer whose opening hours differ between the days of a week is one node per
    distinct set of windows, each allowed on its days, tied by a choice.
    """

    nodes: tuple[int, ...]
    penalty: int


@dataclass(frozen=True, slots=True, kw_only=True)
class VrpBreak:
    """A break of ``duration`` starting in [``start_min``, ``start_max``], never during service."""

    start_min: int
    start_max: int
    duration: int


@dataclass(frozen=True, slots=True, kw_only=True)
class VrpVehicle:
    """A route from node ``start`` to node ``end`` between ``earliest`` and ``latest``."""

    start: int
    end: int
    earliest: int
    latest: int
    lunch: VrpBreak | None = None
    #: Sum of ``time`` over the route's arcs.
    max_driving: int | None = None
    max_visits: int | None = None
    capacity: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VrpData:
    """A complete instance: depot nodes carry no service, window or penalty of their own."""

    nodes: tuple[VrpNode, ...]
    vehicles: tuple[VrpVehicle, ...]
    time: Sequence[Sequence[int]]
    cost: Sequence[Sequence[int]]
    #: Groups of alternative nodes (their own ``penalty`` is None).
    choices: tuple[VrpChoice, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.nodes)
        _require(len(self.vehicles) > 0, "no vehicle")
        for name, matrix in (("time", self.time), ("cost", self.cost)):
            _require(len(matrix) == n and all(len(r) == n for r in matrix), f"{name} not n x n")
        depots = {v.start for v in self.vehicles} | {v.end for v in self.vehicles}
        _require(all(0 <= d < n for d in depots), "vehicle start or end outside the nodes")
        for v, vehicle in enumerate(self.vehicles):
            _require(vehicle.earliest <= vehicle.latest, f"vehicle {v} ends before it starts")
        chosen = [i for choice in self.choices for i in choice.nodes]
        _require(len(chosen) == len(set(chosen)), "a node is in two choices")
        for i in chosen:
            _require(0 <= i < n and i not in depots, f"choice node {i} is not a visit")
            _require(self.nodes[i].penalty is None, f"choice node {i} has its own penalty")
        for i, node in enumerate(self.nodes):
            if node.vehicles is not None:
                _require(
                    all(0 <= v < len(self.vehicles) for v in node.vehicles),
                    f"node {i} allows an unknown vehicle",
                )

    @property
    def depots(self) -> frozenset[int]:
        """Nodes that are some vehicle's start or end."""
        return frozenset(v.start for v in self.vehicles) | frozenset(v.end for v in self.vehicles)

    @property
    def horizon(self) -> int:
        """The latest moment any vehicle may end: the time dimension's capacity."""
        return max(v.latest for v in self.vehicles)


@dataclass(frozen=True, slots=True, kw_only=True)
class VrpSolution:
    """Visits per vehicle in route order (depots left out), and how the search went."""

    routes: tuple[tuple[int, ...], ...]
    #: Visit nodes not served (including the unused alternatives of a choice).
    dropped: tuple[int, ...]
    objective: int
    wall_seconds: float
    #: "work_limit" (reproducible), "time_limit" (may vary with the machine's speed),
    #: "search_ended" or "trivial" (nothing to search); see ``routing.solver``.
    stopped_by: str
