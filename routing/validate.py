"""An independent check of a plan against its problem.

It reads only the problem and the plan, and re-derives every rule from the model's
definitions: it imports neither the solver nor the scheduler, so a bug there cannot hide
itself here. Every plan the tests produce goes through :func:`violations`.

Rules checked:

- one route per shift, in the problem's order, with the shift's rep, day and places;
- every appointment kept, on its rep's route that day, starting inside its window;
- a candidate at most once in the whole plan, never if excluded, only by an allowed rep on
  an allowed day, the whole visit inside one opening window of that weekday;
- each customer at most once (appointments' customers included);
- times consistent with the matrix: the gap before each stop holds its drive, lunch if
  there, and the stated waiting; the return drive fits before the arrival; departure from
  the start and arrival at the end inside the working hours;
- lunch taken, of the right length, inside its window, never overlapping a visit, and
  where it is said to be;
- the day's driving and number of stops within the shift's limits;
- every candidate not visited is reported dropped exactly once, and no visited one is.
"""

from __future__ import annotations

from .model import Appointment, Candidate, Problem, Shift
from .plan import DropReason, Plan, Route, StopKind


class InvalidPlan(AssertionError):
    """A plan breaks its problem's rules; the message lists every violation."""


def check(problem: Problem, plan: Plan) -> None:
    """Raise :class:`InvalidPlan` listing the violations, if any."""
    found = violations(problem, plan)
    if found:
        raise InvalidPlan("\n".join(found))


def violations(problem: Problem, plan: Plan) -> list[str]:
    """Every rule the plan breaks, as readable sentences (empty when valid)."""
    out: list[str] = []
    if len(plan.routes) != len(problem.shifts):
        return [f"{len(plan.routes)} routes for {len(problem.shifts)} shifts"]
    appointments = {a.id: a for a in problem.appointments}
    candidates = {c.id: c for c in problem.candidates}
    seen: dict[str, str] = {}
    customers: set[str] = set()
    for shift, route in zip(problem.shifts, plan.routes, strict=True):
        where = f"{shift.rep_id} {shift.day}"
        if (route.rep_id, route.day, route.start, route.end) != (
            shift.rep_id,
            shift.day,
            shift.start,
            shift.end,
        ):
            out.append(f"{where}: route does not match its shift")
            continue
        for stop in route.stops:
            if stop.id in seen:
                out.append(f"{stop.id} visited twice ({seen[stop.id]} and {where})")
            seen[stop.id] = where
            item = appointments.get(stop.id) or candidates.get(stop.id)
            if item is None:
                out.append(f"{where}: unknown stop {stop.id}")
                continue
            customer = item.customer_id or item.id if isinstance(item, Appointment) else item.id
            if customer in customers:
                out.append(f"customer {customer} seen twice")
            customers.add(customer)
            out += _check_item(shift, stop.kind, stop.start, stop.departure, item, where)
        out += _check_times(problem, shift, route, where)
    for a in problem.appointments:
        if a.id not in seen:
            out.append(f"appointment {a.id} not kept")
    dropped_ids = [d.id for d in plan.dropped]
    for d in plan.dropped:
        if d.id not in candidates:
            out.append(f"dropped {d.id} is not a candidate")
        elif d.id in seen:
            out.append(f"{d.id} both visited and dropped")
        elif candidates[d.id].excluded != (d.reason == DropReason.EXCLUDED):
            out.append(f"{d.id}: excluded iff reason 'excluded' ({d.reason})")
    for c in problem.candidates:
        count = dropped_ids.count(c.id)
        if c.id not in seen and count != 1:
            out.append(f"candidate {c.id} neither visited nor dropped exactly once")
    return out


def _check_item(
    shift: Shift,
    kind: StopKind,
    start: int,
    departure: int,
    item: Appointment | Candidate,
    where: str,
) -> list[str]:
    """The stop fits what it visits: right rep and day, inside its windows, full duration."""
    out = []
    if departure - start != item.duration:
        out.append(f"{where}: {item.id} lasts {departure - start} s, not {item.duration}")
    if isinstance(item, Appointment):
        if kind != StopKind.APPOINTMENT:
            out.append(f"{where}: {item.id} is an appointment")
        if (item.rep_id, item.day) != shift.key:
            out.append(f"{where}: appointment {item.id} belongs to {item.rep_id} {item.day}")
        if not item.window.start <= start <= item.window.end:
            out.append(f"{where}: appointment {item.id} at {start}, outside {item.window}")
        return out
    if kind != StopKind.VISIT:
        out.append(f"{where}: {item.id} is a visit")
    if item.excluded:
        out.append(f"{where}: excluded {item.id} visited")
    if item.reps is not None and shift.rep_id not in item.reps:
        out.append(f"{where}: {item.id} outside the rep's territory")
    if item.days is not None and shift.day not in item.days:
        out.append(f"{where}: {item.id} not allowed that day")
    opening = item.opening.on(shift.day) if item.opening else (shift.hours,)
    if not any(w.start <= start and departure <= w.end for w in opening):
        out.append(f"{where}: {item.id} visited {start}-{departure}, not inside opening hours")
    return out


def _check_times(problem: Problem, shift: Shift, route: Route, where: str) -> list[str]:
    """Drives, waiting, lunch, hours and limits of one route."""
    out = []
    hours, lunch = shift.hours, shift.lunch
    if route.departure < hours.start:
        out.append(f"{where}: leaves at {route.departure}, before the hours {hours}")
    if route.arrival > hours.end:
        out.append(f"{where}: back at {route.arrival}, after the hours {hours}")
    if lunch is not None:
        if route.lunch is None:
            return [*out, f"{where}: no lunch"]
        if route.lunch.length != lunch.duration:
            out.append(f"{where}: lunch lasts {route.lunch.length} s, not {lunch.duration}")
        if not (lunch.window.start <= route.lunch.start and route.lunch.end <= lunch.window.end):
            out.append(f"{where}: lunch {route.lunch} outside {lunch.window}")
    elif route.lunch is not None:
        out.append(f"{where}: lunch without a lunch break in the shift")
    duration = lunch.duration if lunch is not None and route.lunch is not None else 0

    place, leave = shift.start, route.departure
    lunch_gaps = 0
    for stop in route.stops:
        if stop.travel_seconds != problem.travel_seconds(place, stop.location):
            out.append(f"{where}: drive to {stop.id} is not the matrix's")
        if stop.travel_metres != problem.travel_metres(place, stop.location):
            out.append(f"{where}: distance to {stop.id} is not the matrix's")
        gap = stop.start - leave
        needed = stop.travel_seconds + (duration if stop.lunch_before else 0)
        if gap - needed != stop.waiting or stop.waiting < 0:
            out.append(f"{where}: gap before {stop.id} is {gap} s for {needed} s + waiting")
        if not (leave + stop.travel_seconds <= stop.arrival <= stop.start):
            out.append(f"{where}: arrival at {stop.id} inconsistent with the drive")
        if stop.lunch_before:
            lunch_gaps += 1
            if route.lunch and not (leave <= route.lunch.start and route.lunch.end <= stop.start):
                out.append(f"{where}: lunch {route.lunch} not in the gap before {stop.id}")
        if route.lunch and route.lunch.start < stop.departure and stop.start < route.lunch.end:
            out.append(f"{where}: lunch overlaps the visit {stop.id}")
        place, leave = stop.location, stop.departure
    if route.return_seconds != problem.travel_seconds(place, shift.end):
        out.append(f"{where}: return drive is not the matrix's")
    if route.return_metres != problem.travel_metres(place, shift.end):
        out.append(f"{where}: return distance is not the matrix's")
    back = route.arrival - leave
    if route.lunch_at_end and route.lunch is not None:
        lunch_gaps += 1
        if route.lunch.start >= route.arrival:
            pass  # after coming back: nothing to share the time with
        elif not (leave <= route.lunch.start and route.lunch.end <= route.arrival):
            out.append(f"{where}: lunch {route.lunch} not on the way back")
        elif back < route.return_seconds + duration:
            out.append(f"{where}: no room for the return drive and lunch")
    elif back < route.return_seconds:
        out.append(f"{where}: return drive does not fit ({back} s < {route.return_seconds} s)")
    if route.lunch is not None and lunch_gaps == 0 and route.lunch.end > route.departure:
        out.append(f"{where}: lunch {route.lunch} is neither before leaving nor in a gap")
    if lunch_gaps > 1:
        out.append(f"{where}: lunch placed in {lunch_gaps} gaps")
    if shift.max_driving is not None and route.driving_seconds > shift.max_driving:
        out.append(f"{where}: {route.driving_seconds} s driving > {shift.max_driving}")
    if shift.max_visits is not None and len(route.stops) > shift.max_visits:
        out.append(f"{where}: {len(route.stops)} stops > {shift.max_visits}")
    return out
