"""Planning from the customer base: build the problem, solve it, store it, accept it.

The planner itself is ``routing`` (plain Python); this module turns database rows into
its typed problem and its plan back into rows:

- candidates are the rep's live accounts with a position; their priority comes from
  ``routing.priority`` with figures computed here in a few grouped queries (last done
  visit, follow-ups due, overdue and 12-month orders, open opportunities);
- appointments are the rep's planned interactions in the date range, kept at their time;
- times are local inside the planner (``TIMEZONE``, from ``TOURNEE_TIMEZONE``, default
  Europe/Paris) and UTC in the database.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import case, func, select

from routing import priority as priorities
from routing.matrix import CachedTravel, GreatCircle, OsrmTable
from routing.model import (
    WEEKDAYS,
    Appointment,
    Candidate,
    Location,
    Lunch,
    Problem,
    Rep,
    TimeWindow,
    WeeklyHours,
    replan,
    week_shifts,
)
from routing.plan import Plan as RoutePlan
from routing.solver import solve

from .. import records
from ..accounts.models import Account
from ..accounts.service import VISIT_KINDS
from ..auth.models import User
from ..dbtypes import utcnow
from ..enums import InteractionKind, InteractionStatus, OpportunityStage
from ..extensions import db
from ..followups.models import FollowUp
from ..interactions.models import Interaction
from ..opportunities.models import Opportunity
from ..orders.models import Order
from .models import DEFAULT_PROFILE, Plan, PlanDay, PlanStatus, PlanStop, RepProfile

log = logging.getLogger(__name__)

OPEN_STAGES = (
    OpportunityStage.QUALIFICATION,
    OpportunityStage.PROPOSAL,
    OpportunityStage.NEGOTIATION,
)
#: Appointments without an end last this long.
DEFAULT_APPOINTMENT_MINUTES = 60

_travel: CachedTravel | None = None


class PlanningError(Exception):
    """The request cannot be planned as asked (the API answers 422 with this message)."""

    def __init__(self, message: str, *, field: str | tuple[str, ...] = "json") -> None:
        super().__init__(message)
        #: The request fields at fault.
        self.fields = (field,) if isinstance(field, str) else field


def travel_source() -> CachedTravel:
    """One cached travel source per process: OSRM when ``OSRM_URL`` is set."""
    # A module-level cache on purpose: the point is to share pairs across requests.
    global _travel
    if _travel is None:
        url = current_app.config.get("OSRM_URL") or None
        _travel = CachedTravel(OsrmTable(url) if url else GreatCircle())
    return _travel


def timezone() -> ZoneInfo:
    """The team's local time zone."""
    return ZoneInfo(current_app.config.get("TIMEZONE") or "Europe/Paris")


def to_utc(day: date, seconds: int) -> datetime:
    """Local ``day`` at ``seconds`` since midnight, as an aware UTC datetime."""
    local = datetime.combine(day, time(), tzinfo=timezone()) + timedelta(seconds=seconds)
    return local.astimezone(UTC)


def local_seconds(moment: datetime) -> tuple[date, int]:
    """(local day, seconds since local midnight) of an aware datetime."""
    local = moment.astimezone(timezone())
    return local.date(), local.hour * 3600 + local.minute * 60 + local.second


def profile_of(rep: User) -> dict[str, Any]:
    """The rep's profile as a dict, defaults filled in (start position may be missing)."""
    row = db.session.get(RepProfile, rep.id)
    values = dict(DEFAULT_PROFILE)
    if row is not None:
        values.update(
            {
                c.key: getattr(row, c.key)
                for c in RepProfile.__table__.columns
                if c.key not in ("user_id", "updated_at")
            }
        )
    return values


def _minutes(value: int | None) -> int | None:
    return None if value is None else value * 60


def routing_rep(rep: User, profile: dict[str, Any], start: Location, end: Location | None) -> Rep:
    """The planner's view of a rep from their profile."""
    hours = TimeWindow(start=profile["day_start"] * 60, end=profile["day_end"] * 60)
    lunch = None
    if profile.get("lunch_minutes") and profile.get("lunch_start") is not None:
        lunch = Lunch(
            window=TimeWindow(start=profile["lunch_start"] * 60, end=profile["lunch_end"] * 60),
            duration=profile["lunch_minutes"] * 60,
        )
    return Rep(
        id=str(rep.id),
        start=start,
        end=end,
        hours=tuple(hours if day in profile["workdays"] else None for day in WEEKDAYS),
        lunch=lunch,
        max_driving=_minutes(profile.get("max_driving_minutes")),
        max_visits=profile.get("max_visits"),
    )


@dataclass(frozen=True)
class Request:
    """What to plan: a rep, consecutive days from ``date_from``, optional places."""

    rep: User
    date_from: date
    days: int = 1
    start: Location | None = None
    end: Location | None = None
    time_limit: float = 2.0
    seed: int = 0


@dataclass(frozen=True)
class Built:
    """A problem and what its ids stand for in the database."""

    problem: Problem
    accounts: dict[str, Account]
    #: Appointment id (an interaction id) -> its account id.
    appointment_accounts: dict[str, uuid.UUID]
    priorities: dict[str, int]


def build_problem(request: Request, *, today: date | None = None) -> Built:
    """The planning problem of ``request`` from the customer base."""
    profile = profile_of(request.rep)
    start = request.start
    if start is None and profile.get("start_lat") is not None:
        start = Location(lat=profile["start_lat"], lon=profile["start_lon"])
    if start is None:
        raise PlanningError(
            "The rep has no planning profile: give a start position.", field="start"
        )
    end = request.end
    if end is None and profile.get("end_lat") is not None:
        end = Location(lat=profile["end_lat"], lon=profile["end_lon"])
    rep = routing_rep(request.rep, profile, start, end)
    days = [request.date_from + timedelta(days=k) for k in range(request.days)]
    shifts = week_shifts(rep, days)
    if not shifts:
        raise PlanningError("The rep works none of these days.", field="date_from")
    worked = [s.day for s in shifts]
    accounts = _accounts(request.rep)
    appointments, appointment_accounts = _appointments(request.rep, worked, accounts, profile)
    met = {a.customer_id for a in appointments}
    signals = _signals([a for a in accounts.values() if str(a.id) not in met], today or worked[0])
    duration = profile["visit_minutes"] * 60
    candidates = []
    scores: dict[str, int] = {}
    for account_id, sig in signals.items():
        account = accounts[account_id]
        scores[account_id] = priorities.priority(sig).score
        candidates.append(
            Candidate(
                id=account_id,
                location=Location(lat=account.latitude, lon=account.longitude),  # type: ignore[arg-type]
                duration=duration,
                priority=scores[account_id],
                opening=_opening(account),
            )
        )
    problem = Problem(
        shifts=shifts,
        appointments=tuple(appointments),
        candidates=tuple(candidates),
        travel=travel_source(),
    )
    return Built(problem, accounts, appointment_accounts, scores)


def _accounts(rep: User) -> dict[str, Account]:
    """The rep's live accounts that have a position, by id string."""
    rows = db.session.scalars(
        select(Account).where(
            Account.owner_id == rep.id,
            Account.deleted_at.is_(None),
            Account.latitude.is_not(None),
            Account.longitude.is_not(None),
        )
    )
    return {str(a.id): a for a in rows}


def _opening(account: Account) -> WeeklyHours | None:
    """The account's opening hours, or None (open whenever the rep works) if unreadable."""
    if not account.opening_hours:
        return None
    try:
        return WeeklyHours.from_json(account.opening_hours)
    except (ValueError, TypeError, AttributeError):
        log.warning("account %s: opening hours unreadable, planned as always open", account.id)
        return None


def _appointments(
    rep: User, days: Sequence[date], accounts: dict[str, Account], profile: dict[str, Any]
) -> tuple[list[Appointment], dict[str, uuid.UUID]]:
    """The rep's planned interactions on ``days`` at accounts with a position."""
    first, last = to_utc(days[0], 0), to_utc(days[-1], 86_400)
    rows = db.session.scalars(
        select(Interaction).where(
            Interaction.user_id == rep.id,
            Interaction.deleted_at.is_(None),
            Interaction.status == InteractionStatus.PLANNED,
            Interaction.starts_at >= first,
            Interaction.starts_at < last,
        )
    )
    out, where = [], {}
    for row in rows:
        account = accounts.get(str(row.account_id))
        day, at = local_seconds(row.starts_at)
        if account is None or day not in days:
            continue  # no position to plan around, or a day off
        minutes = DEFAULT_APPOINTMENT_MINUTES
        if row.ends_at is not None and row.ends_at > row.starts_at:
            minutes = max(1, round((row.ends_at - row.starts_at).total_seconds() / 60))
        duration = min(minutes * 60, 86_400 - at)
        out.append(
            Appointment(
                id=str(row.id),
                rep_id=str(rep.id),
                day=day,
                location=Location(lat=account.latitude, lon=account.longitude),  # type: ignore[arg-type]
                window=TimeWindow(start=at, end=at),
                duration=duration,
                customer_id=str(account.id),
            )
        )
        where[str(row.id)] = account.id
    return out, where


def _money(value: Any) -> float:
    return float(Decimal(str(value or 0)))


def _signals(accounts: Iterable[Account], today: date) -> dict[str, priorities.Signals]:
    """Priority figures of ``accounts``, in one grouped query per table."""
    accounts = list(accounts)
    ids = [a.id for a in accounts]
    if not ids:
        return {}
    last_visit = dict(
        db.session.execute(
            select(Interaction.account_id, func.max(Interaction.starts_at))
            .where(
                Interaction.account_id.in_(ids),
                Interaction.deleted_at.is_(None),
                Interaction.kind.in_(VISIT_KINDS),
                Interaction.status == InteractionStatus.DONE,
            )
            .group_by(Interaction.account_id)
        ).all()
    )
    followups = dict(
        db.session.execute(
            select(FollowUp.account_id, func.count(FollowUp.id))
            .where(
                FollowUp.account_id.in_(ids),
                FollowUp.deleted_at.is_(None),
                FollowUp.done.is_(False),
                FollowUp.due_date <= today,
            )
            .group_by(FollowUp.account_id)
        ).all()
    )
    year_ago = today - timedelta(days=365)
    orders = {
        row[0]: (row[1], row[2])
        for row in db.session.execute(
            select(
                Order.account_id,
                func.sum(
                    case(
                        (
                            (Order.paid.is_(False)) & (Order.due_date < today),
                            Order.amount_excl_vat,
                        ),
                        else_=0,
                    )
                ),
                func.sum(case((Order.order_date >= year_ago, Order.amount_excl_vat), else_=0)),
            )
            .where(Order.account_id.in_(ids), Order.deleted_at.is_(None))
            .group_by(Order.account_id)
        ).all()
    }
    opportunities = {
        row[0]: (row[1], row[2])
        for row in db.session.execute(
            select(
                Opportunity.account_id,
                func.count(Opportunity.id),
                func.sum(Opportunity.amount * func.coalesce(Opportunity.probability, 0) / 100.0),
            )
            .where(
                Opportunity.account_id.in_(ids),
                Opportunity.deleted_at.is_(None),
                Opportunity.stage.in_(OPEN_STAGES),
            )
            .group_by(Opportunity.account_id)
        ).all()
    }
    out = {}
    for a in accounts:
        last = last_visit.get(a.id)
        if isinstance(last, str):  # aggregate over SQLite bypasses the column type
            last = datetime.fromisoformat(last)
        days_since = None if last is None else max(0, (today - last.date()).days)
        overdue, revenue = orders.get(a.id, (0, 0))
        count, weighted = opportunities.get(a.id, (0, 0))
        out[str(a.id)] = priorities.Signals(
            status=str(a.status.value if hasattr(a.status, "value") else a.status),
            days_since_last_visit=days_since,
            visit_frequency_days=a.visit_frequency_days or None,
            followups_due=followups.get(a.id, 0),
            overdue_amount=max(0.0, _money(overdue)),
            revenue_12_months=max(0.0, _money(revenue)),
            open_opportunities=count or 0,
            weighted_pipeline=max(0.0, _money(weighted)),
        )
    return out


def store(
    request: Request,
    built: Built,
    result: RoutePlan,
    *,
    created_by: User | None,
    parent: Plan | None = None,
) -> Plan:
    """A preview plan row with its days and stops (added to the session, not committed)."""
    problem = built.problem
    plan = Plan(
        id=uuid.uuid4(),
        rep_id=request.rep.id,
        created_by_id=created_by.id if created_by else None,
        parent_id=parent.id if parent else None,
        status=PlanStatus.PREVIEW,
        date_from=request.date_from,
        date_to=request.date_from + timedelta(days=request.days - 1),
        created_at=utcnow(),
        settings={
            "time_limit": request.time_limit,
            "seed": request.seed,
            "start": _place(problem.shifts[0].start),
        },
        stats={
            "wall_seconds": round(result.stats.wall_seconds, 3),
            "stopped_by": result.stats.stopped_by,
            "objective": result.stats.objective,
            "candidates": len(problem.candidates),
            "appointments": len(problem.appointments),
        },
        dropped=[
            {"account_id": d.id, "reason": d.reason.value, "instead_of": list(d.instead_of)}
            for d in result.dropped
        ],
    )
    for route in result.routes:
        day = PlanDay(
            id=uuid.uuid4(),
            day=route.day,
            start_lat=route.start.lat,
            start_lon=route.start.lon,
            end_lat=route.end.lat,
            end_lon=route.end.lon,
            departure=to_utc(route.day, route.departure),
            arrival=to_utc(route.day, route.arrival),
            lunch_start=to_utc(route.day, route.lunch.start) if route.lunch else None,
            lunch_end=to_utc(route.day, route.lunch.end) if route.lunch else None,
            driving_seconds=route.driving_seconds,
            driving_metres=route.driving_metres,
            waiting_seconds=route.waiting_seconds,
            visit_seconds=route.visit_seconds,
        )
        for stop in route.stops:
            appointment = stop.id in built.appointment_accounts
            day.stops.append(
                PlanStop(
                    id=uuid.uuid4(),
                    position=stop.order,
                    kind=stop.kind.value,
                    account_id=built.appointment_accounts[stop.id]
                    if appointment
                    else uuid.UUID(stop.id),
                    interaction_id=uuid.UUID(stop.id) if appointment else None,
                    priority=None if appointment else built.priorities.get(stop.id),
                    arrival=to_utc(route.day, stop.arrival),
                    start=to_utc(route.day, stop.start),
                    departure=to_utc(route.day, stop.departure),
                    waiting_seconds=stop.waiting,
                    travel_seconds=stop.travel_seconds,
                    travel_metres=stop.travel_metres,
                    lunch_before=stop.lunch_before,
                    lat=stop.location.lat,
                    lon=stop.location.lon,
                )
            )
        plan.days.append(day)
    db.session.add(plan)
    return plan


def _place(location: Location) -> dict[str, float]:
    return {"lat": location.lat, "lon": location.lon}


def preview(request: Request, *, created_by: User | None) -> Plan:
    """Plan ``request`` and store the preview (caller commits)."""
    built = build_problem(request)
    result = _solve(built.problem, request.time_limit, request.seed, field="start")
    return store(request, built, result, created_by=created_by)


def _solve(
    problem: Problem, time_limit: float, seed: int, *, field: str | tuple[str, ...]
) -> RoutePlan:
    """``routing.solver.solve``; a problem the model refuses (e.g. a start too far to come
    back within the hours) is the request's fault, blamed on ``field``."""
    try:
        return solve(problem, time_limit=time_limit, seed=seed)
    except ValueError as exc:
        raise PlanningError(str(exc), field=field) from None


def accept(plan: Plan, actor: records.Actor) -> list[Interaction]:
    """Create the proposed visits as planned interactions; supersede older accepted plans.

    The interactions go through ``server.records``, so the rep's devices receive them by
    sync like any other change. Accepting twice is refused by the caller (status check).
    """
    created = []
    for day in plan.days:
        for stop in day.stops:
            if stop.kind != "visit":
                continue
            interaction = records.create(
                Interaction,
                {
                    "account_id": stop.account_id,
                    "user_id": plan.rep_id,
                    "kind": InteractionKind.VISIT,
                    "status": InteractionStatus.PLANNED,
                    "starts_at": stop.start,
                    "ends_at": stop.departure,
                    "subject": "Visite planifiée",
                },
                actor=actor,
            )
            stop.interaction_id = interaction.id
            created.append(interaction)
    older = db.session.scalars(
        select(Plan).where(
            Plan.rep_id == plan.rep_id,
            Plan.status == PlanStatus.ACCEPTED,
            Plan.id != plan.id,
            Plan.date_from <= plan.date_to,
            Plan.date_to >= plan.date_from,
        )
    )
    for other in older:
        other.status = PlanStatus.SUPERSEDED
    plan.status = PlanStatus.ACCEPTED
    plan.accepted_at = utcnow()
    return created


def replan_from(
    plan: Plan,
    rep: User,
    *,
    position: Location,
    at: datetime,
    done: Sequence[uuid.UUID],
    created_by: User | None,
    time_limit: float,
) -> Plan:
    """A new preview for the rest of ``at``'s day, from ``position``, ``done`` visits fixed."""
    day, now = local_seconds(at)
    if not plan.date_from <= day <= plan.date_to:
        raise PlanningError("The time is outside the plan's days.", field="at")
    start = Location(**plan.settings.get("start", {})) if plan.settings.get("start") else None
    request = Request(rep=rep, date_from=day, days=1, start=start, time_limit=time_limit)
    built = build_problem(request)
    problem = built.problem
    shift = problem.shifts[0]
    if not shift.hours.start <= now <= shift.hours.end:
        raise PlanningError("The time is outside the rep's working hours.", field="at")
    done_ids = {str(d) for d in done}
    planned = next((d for d in plan.days if d.day == day), None)
    driven, lunch_taken = 0, False
    known = {c.id for c in problem.candidates} | {a.id for a in problem.appointments}
    if planned is not None:
        for stop in planned.stops:
            if str(stop.account_id) in done_ids:
                driven += stop.travel_seconds
        lunch_taken = planned.lunch_end is not None and planned.lunch_end <= at
    fixed = sorted(
        {i for i in done_ids if i in known}
        | {a.id for a in problem.appointments if a.customer_id in done_ids}
    )
    try:
        rest = replan(
            problem,
            rep_id=shift.rep_id,
            day=day,
            position=position,
            now=now,
            done=fixed,
            driven=driven,
            lunch_taken=lunch_taken,
        )
    except ValueError as exc:
        raise PlanningError(str(exc), field="at") from None
    # Appointments that already started are in the past: not planned around any more.
    rest = _without_past_appointments(rest, now)
    result = _solve(rest, time_limit, 0, field=("lat", "lon"))
    built = Built(rest, built.accounts, built.appointment_accounts, built.priorities)
    return store(request, built, result, created_by=created_by, parent=plan)


def _without_past_appointments(problem: Problem, now: int) -> Problem:
    """``problem`` without the appointments that started before ``now``."""
    return replace(
        problem, appointments=tuple(a for a in problem.appointments if a.window.end >= now)
    )
