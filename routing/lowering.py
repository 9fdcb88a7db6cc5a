"""From a :class:`~routing.model.Problem` to solver instances, and from their solutions to a
:class:`~routing.plan.Plan` (no OR-Tools here: ``routing.solver`` calls both ends).

Lowering:

- one vehicle per shift (a week is one vehicle per day, a team one per rep and day), with
  its own start and end nodes; all times move to one clock, seconds since midnight of the
  problem's first day, so a week is a single instance;
- appointments are nodes allowed only on their shift;
- a candidate is allowed on the shifts where it could be visited *alone* (open that day,
  reachable and back within the hours, lunch and driving limit); its windows are the union
  of its windows on those days. A candidate allowed nowhere never reaches the solver and
  comes back dropped with the reason;
- shifts that share no candidate form independent parts, solved separately (a team whose
  territories do not overlap is one small instance per rep, which searches far better
  than one big one).

Penalties (the price of skipping a node, in the objective's unit: driving seconds):

- candidate: ``priority * unit``. With ``Problem.value_per_point`` unset, ``unit`` is one
  more than the longest possible total driving of the part (places x longest drive), so
  one point of priority outweighs any amount of driving: the objective is lexicographic,
  the most priority first, then the least driving. Penalties must outweigh insertion
  costs, or the search saves driving by dropping visits; this is the strongest form of
  that rule. With ``value_per_point``, a point of priority is worth that many seconds of
  driving, and a visit whose detour costs more is left out (``not_worth_detour``);
- pinned candidate: more than all candidates' penalties and all driving together;
- appointment: more than all pinned candidates together, so the search keeps appointments
  first. They are not hard constraints in the model: a mandatory node the first heuristic
  cannot place makes OR-Tools return nothing, without saying which appointment clashes;
  a dropped appointment is reported by name (:class:`~routing.plan.AppointmentsNotFeasible`).

Assembling: the solver's orders are timed by ``routing.schedule``; a repair pass then
inserts any dropped candidate that fits and is worth its detour (the local search is a
heuristic; this makes "dropped although it fitted" impossible); each dropped candidate gets
its reason (see :class:`~routing.plan.DropReason`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from . import schedule
from .model import Appointment, Candidate, Problem, Shift, TimeWindow
from .plan import (
    AppointmentsNotFeasible,
    Dropped,
    DropReason,
    Plan,
    Route,
    SolveStats,
    Stop,
    StopKind,
)
from .vrp import VrpBreak, VrpChoice, VrpData, VrpNode, VrpSolution, VrpVehicle

Item = Appointment | Candidate
#: How many nearby kept visits are tried as a swap when explaining a drop.
SWAP_TRIALS = 12


@dataclass
class Part:
    """One independent solver instance and how to read its nodes back."""

    data: VrpData
    #: Problem shift index of each vehicle.
    shifts: tuple[int, ...]
    #: What each node is; None for depots.
    items: tuple[Item | None, ...]


@dataclass
class Lowered:
    """The problem's solver instances plus what assembling a plan needs."""

    context: Context
    parts: tuple[Part, ...]
    #: Candidates that never reached the solver, with their reason.
    pre_dropped: tuple[Dropped, ...]
    #: Allowed shift indices of each candidate given to the solver.
    allowed: dict[str, tuple[int, ...]]
    #: Penalty of each candidate given to the solver (objective units).
    penalties: dict[str, int]


@dataclass
class Context:
    """The problem as the scheduler sees it: place rows and seconds since midnight.

    Every route lies within its own day, so each shift keeps its own local clock: nothing
    couples the times of two shifts (a week's days are linked by places, not by time).
    """

    problem: Problem
    days: tuple[schedule.Day, ...] = ()
    shift_of: dict[tuple[str, date], int] = field(default_factory=dict)
    _tasks: dict[tuple[str, int], schedule.Task] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.days = tuple(self._day(s) for s in self.problem.shifts)
        self.shift_of = {shift.key: s for s, shift in enumerate(self.problem.shifts)}

    def _day(self, shift: Shift) -> schedule.Day:
        place = self.problem.place_index
        lunch = None
        if shift.lunch is not None:
            lunch = (shift.lunch.window.start, shift.lunch.latest_start, shift.lunch.duration)
        return schedule.Day(
            start_place=place[shift.start],
            end_place=place[shift.end],
            earliest=shift.hours.start,
            latest=shift.hours.end,
            lunch=lunch,
            max_driving=shift.max_driving,
            max_visits=shift.max_visits,
        )

    def task(self, item: Item, s: int) -> schedule.Task:
        """``item`` as a task on shift ``s`` (its start windows that day)."""
        key = (item.id, s)
        task = self._tasks.get(key)
        if task is None:
            shift = self.problem.shifts[s]
            if isinstance(item, Appointment):
                windows = ((item.window.start, item.window.end),)
            else:
                windows = tuple((w.start, w.end) for w in item.visit_windows(shift))
            task = schedule.Task(
                place=self.problem.place_index[item.location],
                duration=item.duration,
                windows=windows,
            )
            self._tasks[key] = task
        return task

    def fits(self, s: int, items: Sequence[Item]) -> bool:
        """Whether ``items`` in this order fit shift ``s``."""
        return schedule.feasible(
            self.days[s], [self.task(i, s) for i in items], self.problem.matrix.seconds
        )

    def driving(self, s: int, items: Sequence[Item]) -> int:
        """Driving seconds of shift ``s`` through ``items``."""
        return schedule.driving(
            self.days[s], [self.task(i, s) for i in items], self.problem.matrix.seconds
        )


def lower(problem: Problem) -> Lowered:
    """Split ``problem`` into independent solver instances (see module docstring)."""
    shifts = problem.shifts
    ctx = Context(problem=problem)
    for s, shift in enumerate(shifts):
        if not ctx.fits(s, []):
            raise ValueError(
                f"shift {shift.rep_id} {shift.day}: the drive from start to end "
                "does not fit its hours, lunch or driving limit"
            )
    shift_of = ctx.shift_of
    for a in problem.appointments:
        s = shift_of[(a.rep_id, a.day)]
        if not ctx.fits(s, [a]):
            raise AppointmentsNotFeasible(
                (a.id,), f"appointment {a.id} does not fit {a.rep_id}'s shift on {a.day}"
            )

    pre_dropped: list[Dropped] = []
    allowed: dict[str, tuple[int, ...]] = {}
    for c in problem.candidates:
        reason, ok = _allowed_shifts(ctx, c)
        if reason is not None:
            pre_dropped.append(Dropped(id=c.id, reason=reason))
        else:
            allowed[c.id] = ok

    # Independent parts: shifts linked by a candidate allowed on both.
    parent = list(range(len(shifts)))

    def root(s: int) -> int:
        while parent[s] != s:
            parent[s] = parent[parent[s]]
            s = parent[s]
        return s

    for ok in allowed.values():
        for s in ok[1:]:
            parent[root(s)] = root(ok[0])
    groups: dict[int, list[int]] = {}
    for s in range(len(shifts)):
        groups.setdefault(root(s), []).append(s)

    penalties: dict[str, int] = {}
    parts = []
    for group in groups.values():
        members = set(group)
        appointments = [a for a in problem.appointments if shift_of[(a.rep_id, a.day)] in members]
        candidates = [
            c for c in problem.candidates if c.id in allowed and allowed[c.id][0] in members
        ]
        parts.append(_part(ctx, group, appointments, candidates, allowed, penalties))
    return Lowered(
        context=ctx,
        parts=tuple(parts),
        pre_dropped=tuple(pre_dropped),
        allowed=allowed,
        penalties=penalties,
    )


def _allowed_shifts(ctx: Context, c: Candidate) -> tuple[DropReason | None, tuple[int, ...]]:
    """Shifts that could visit ``c`` alone, or the reason there is none."""
    if c.excluded:
        return DropReason.EXCLUDED, ()
    shifts = ctx.problem.shifts
    eligible = [
        s
        for s, shift in enumerate(shifts)
        if (c.reps is None or shift.rep_id in c.reps) and (c.days is None or shift.day in c.days)
    ]
    if not eligible:
        return DropReason.NO_ROUTE, ()
    open_ = [s for s in eligible if c.visit_windows(shifts[s])]
    if not open_:
        return DropReason.OUTSIDE_OPENING_HOURS, ()
    # Alone on the day, ignoring the visit limit (a full day is "no time left", not "unreachable").
    reachable = []
    for s in open_:
        day = ctx.days[s]
        alone = replace(day, max_visits=None)
        if schedule.feasible(alone, [ctx.task(c, s)], ctx.problem.matrix.seconds):
            reachable.append(s)
    if not reachable:
        return DropReason.UNREACHABLE, ()
    return None, tuple(reachable)


def _part(
    ctx: Context,
    group: list[int],
    appointments: list[Appointment],
    candidates: list[Candidate],
    allowed: dict[str, tuple[int, ...]],
    penalties: dict[str, int],
) -> Part:
    """The solver instance of the shifts in ``group`` (penalties recorded in ``penalties``)."""
    problem = ctx.problem
    vehicle_of = {s: v for v, s in enumerate(group)}
    places: list[int] = []
    items: list[Item | None] = []
    vehicles = []
    for s in group:
        day = ctx.days[s]
        start, end = len(places), len(places) + 1
        places += [day.start_place, day.end_place]
        items += [None, None]
        lunch = None
        if day.lunch is not None:
            lunch = VrpBreak(start_min=day.lunch[0], start_max=day.lunch[1], duration=day.lunch[2])
        vehicles.append(
            VrpVehicle(
                start=start,
                end=end,
                earliest=day.earliest,
                latest=day.latest,
                lunch=lunch,
                max_driving=day.max_driving,
                max_visits=day.max_visits,
            )
        )
    # A candidate is one node per distinct set of opening windows over its allowed days
    # (usually one: the same hours every day), tied by a choice when there are several.
    # Holes between windows are cheap inside one day; a single node spanning days with
    # different hours would need holes over the whole week, which slows OR-Tools' search
    # tenfold (its domains become bitsets as long as the range).
    visits: list[tuple[Item, tuple[tuple[int, int], ...], tuple[int, ...]]] = []
    for a in appointments:
        s = ctx.shift_of[(a.rep_id, a.day)]
        visits.append((a, ((a.window.start, a.window.end),), (s,)))
    alternatives: list[tuple[Candidate, int, int]] = []
    for c in candidates:
        patterns: dict[tuple[tuple[int, int], ...], list[int]] = {}
        for s in allowed[c.id]:
            patterns.setdefault(_opening_starts(c, problem.shifts[s]), []).append(s)
        first = len(visits)
        for windows, shifts_ in patterns.items():
            visits.append((c, windows, tuple(shifts_)))
        alternatives.append((c, first, len(visits)))
    for item, _, _ in visits:
        places.append(problem.place_index[item.location])
        items.append(item)

    seconds = problem.matrix.seconds
    time = [[seconds[a][b] for b in places] for a in places]
    longest = max((max(row) for row in time), default=0)
    # Every arc of every route at its longest bounds the driving of any solution: a point
    # of priority worth more than that makes the objective lexicographic.
    driving_bound = len(places) * longest
    unit = problem.value_per_point or driving_bound + 1
    plain = {c.id: c.priority * unit for c in candidates if not c.pinned}
    pin = sum(plain.values()) + driving_bound + 1
    pinned = sum(1 for c in candidates if c.pinned)
    appointment = pin * (pinned + 1)
    penalties.update(plain)
    penalties.update({c.id: pin for c in candidates if c.pinned})

    depots = 2 * len(group)
    nodes: list[VrpNode] = [VrpNode()] * depots
    choices = []
    for item, windows, shifts_ in visits:
        nodes.append(
            VrpNode(
                service=item.duration,
                windows=windows,
                penalty=appointment if isinstance(item, Appointment) else None,
                vehicles=tuple(vehicle_of[s] for s in shifts_),
            )
        )
    for c, first, stop in alternatives:
        if stop - first == 1:
            nodes[depots + first] = replace(nodes[depots + first], penalty=penalties[c.id])
        else:
            choices.append(
                VrpChoice(
                    nodes=tuple(range(depots + first, depots + stop)), penalty=penalties[c.id]
                )
            )
    data = VrpData(
        nodes=tuple(nodes), vehicles=tuple(vehicles), time=time, cost=time, choices=tuple(choices)
    )
    return Part(data=data, shifts=tuple(group), items=tuple(items))


def _opening_starts(c: Candidate, shift: Shift) -> tuple[tuple[int, int], ...]:
    """When a visit to ``c`` may start that weekday, by opening hours alone (the shift's
    hours bound the vehicle, so cutting them here too would only split nodes)."""
    if c.opening is None:
        return ()
    return tuple(
        (w.start, w.end - c.duration) for w in c.opening.on(shift.day) if w.length >= c.duration
    )


def assemble(
    problem: Problem, lowered: Lowered, solutions: Sequence[VrpSolution], *, wall_seconds: float
) -> Plan:
    """The plan: solver orders, repaired, timed, with a reason for every drop."""
    ctx = lowered.context
    sequences: list[list[Item]] = [[] for _ in problem.shifts]
    dropped: list[Candidate] = []
    lost: list[str] = []
    for part, solution in zip(lowered.parts, solutions, strict=True):
        for v, route in enumerate(solution.routes):
            sequences[part.shifts[v]] = [part.items[i] for i in route]  # type: ignore[misc]
        served = {part.items[i].id for route in solution.routes for i in route}  # type: ignore[union-attr]
        unserved = {part.items[i].id: part.items[i] for i in solution.dropped}  # type: ignore[union-attr]
        for item_id, item in unserved.items():
            if item_id in served:
                continue  # another alternative of the same candidate was served
            if isinstance(item, Appointment):
                lost.append(item_id)
            else:
                dropped.append(item)  # type: ignore[arg-type]
    if lost:
        raise AppointmentsNotFeasible(
            tuple(sorted(lost)), f"appointments that cannot all be kept: {sorted(lost)}"
        )
    for s, items in enumerate(sequences):
        if not ctx.fits(s, items):  # the solver and the scheduler disagree: a bug, say so
            raise RuntimeError(f"solver route for shift {s} does not time: {[i.id for i in items]}")

    still_dropped = _repair(lowered, sequences, dropped)
    reasons = [_explain(lowered, sequences, c) for c in still_dropped]
    routes = tuple(_route(ctx, s, items) for s, items in enumerate(sequences))
    kept = {i.id for items in sequences for i in items}
    objective = sum(r.driving_seconds for r in routes) + sum(
        penalty for cid, penalty in lowered.penalties.items() if cid not in kept
    )
    stopped = {sol.stopped_by for sol in solutions}
    ranking = ("time_limit", "search_ended", "work_limit", "trivial")
    stats = SolveStats(
        wall_seconds=wall_seconds,
        stopped_by=next((r for r in ranking if r in stopped), "trivial"),
        objective=objective,
    )
    order = {c.id: k for k, c in enumerate(problem.candidates)}
    all_dropped = sorted([*lowered.pre_dropped, *reasons], key=lambda d: order[d.id])
    return Plan(routes=routes, dropped=tuple(all_dropped), stats=stats)


def _best_insertion(
    ctx: Context, s: int, items: list[Item], c: Candidate
) -> tuple[int, int] | None:
    """(added driving, position) of the cheapest feasible insertion of ``c``, or None.

    Positions are tried cheapest first, so the first that times is the answer; the
    visit and driving limits rule positions out before any timing is computed.
    """
    day = ctx.days[s]
    if day.max_visits is not None and len(items) >= day.max_visits:
        return None
    seconds = ctx.problem.matrix.seconds
    places = [day.start_place, *(ctx.task(i, s).place for i in items), day.end_place]
    here = ctx.task(c, s).place
    base = ctx.driving(s, items)
    options = sorted(
        (seconds[a][here] + seconds[here][b] - seconds[a][b], k)
        for k, (a, b) in enumerate(itertools.pairwise(places))
    )
    for added, k in options:
        if day.max_driving is not None and base + added > day.max_driving:
            break
        if ctx.fits(s, [*items[:k], c, *items[k:]]):
            return added, k
    return None


def _repair(
    lowered: Lowered, sequences: list[list[Item]], dropped: list[Candidate]
) -> list[Candidate]:
    """Insert dropped candidates that fit and are worth their detour; return the others."""
    ctx = lowered.context
    remaining = []
    for c in sorted(dropped, key=lambda c: (not c.pinned, -c.priority, c.id)):
        best = None
        for s in lowered.allowed[c.id]:
            found = _best_insertion(ctx, s, sequences[s], c)
            if found is not None and (best is None or found[0] < best[0]):
                best = (found[0], found[1], s)
        if best is not None and best[0] < lowered.penalties[c.id]:
            _, k, s = best
            sequences[s].insert(k, c)
        else:
            remaining.append(c)
    return remaining


def _explain(lowered: Lowered, sequences: list[list[Item]], c: Candidate) -> Dropped:
    """Why ``c``, possible alone on some shift, is not in the plan."""
    ctx = lowered.context
    seconds, place = ctx.problem.matrix.seconds, ctx.problem.place_index
    if any(_best_insertion(ctx, s, sequences[s], c) for s in lowered.allowed[c.id]):
        return Dropped(id=c.id, reason=DropReason.NOT_WORTH_DETOUR)
    here = place[c.location]
    rivals = [
        (seconds[here][place[k.location]], s, k)
        for s in lowered.allowed[c.id]
        for k in sequences[s]
        if isinstance(k, Candidate) and (k.pinned or (not c.pinned and k.priority >= c.priority))
    ]
    rivals.sort(key=lambda r: (r[0], r[2].id))
    for _, s, k in rivals[:SWAP_TRIALS]:
        without = [i for i in sequences[s] if i is not k]
        if _best_insertion(ctx, s, without, c) is not None:
            return Dropped(id=c.id, reason=DropReason.LOWER_PRIORITY, instead_of=(k.id,))
    return Dropped(id=c.id, reason=DropReason.NO_TIME_LEFT)


def _route(ctx: Context, s: int, items: list[Item]) -> Route:
    """The timed route of shift ``s`` through ``items`` (times back to the day's clock)."""
    shift = ctx.problem.shifts[s]
    seconds, metres = ctx.problem.matrix.seconds, ctx.problem.matrix.metres
    tasks = [ctx.task(i, s) for i in items]
    timing = schedule.earliest(ctx.days[s], tasks, seconds)
    if timing is None:
        raise RuntimeError(f"route of shift {s} does not time")
    dur = shift.lunch.duration if shift.lunch else 0
    stops = []
    previous, leave = ctx.days[s].start_place, timing.departure
    for k, (item, task, start) in enumerate(zip(items, tasks, timing.starts, strict=True)):
        t = seconds[previous][task.place]
        arrival, waiting = leave + t, start - leave - t
        lunch_here = timing.lunch_gap == k
        if lunch_here:
            waiting -= dur
            if timing.lunch_start is not None and timing.lunch_start < leave + t:
                arrival += dur  # lunch cut the drive short
        stops.append(
            Stop(
                order=k + 1,
                kind=StopKind.APPOINTMENT if isinstance(item, Appointment) else StopKind.VISIT,
                id=item.id,
                location=item.location,
                arrival=arrival,
                start=start,
                departure=start + task.duration,
                waiting=waiting,
                travel_seconds=t,
                travel_metres=metres[previous][task.place],
                lunch_before=lunch_here,
            )
        )
        previous, leave = task.place, start + task.duration
    end_place = ctx.days[s].end_place
    lunch = None
    if shift.lunch is not None and timing.lunch_start is not None:
        lunch = TimeWindow(start=timing.lunch_start, end=timing.lunch_start + dur)
    return Route(
        rep_id=shift.rep_id,
        day=shift.day,
        start=shift.start,
        end=shift.end,
        departure=timing.departure,
        arrival=timing.arrival,
        stops=tuple(stops),
        lunch=lunch,
        lunch_at_end=timing.lunch_gap is not None and timing.lunch_gap >= len(items),
        return_seconds=seconds[previous][end_place],
        return_metres=metres[previous][end_place],
    )
