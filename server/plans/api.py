"""Planning endpoints: preview a plan, read it, accept it, re-plan from a position, export it.

Who may plan for whom is the users' scope (``access.can_see_user``): a rep for
themselves, a manager for their team, an admin for anyone. A plan of a rep outside the
caller's scope is answered 404, like one that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from routing.model import Location
from routing.plan import AppointmentsNotFeasible

from .. import access, crud
from ..accounts.models import Account
from ..auth.models import User
from ..auth.tokens import current_actor, current_user
from ..dbtypes import utcnow
from ..extensions import db
from . import exports, service
from .models import Plan, PlanDay, PlanStatus, RepProfile
from .schemas import (
    DayQuerySchema,
    LinksSchema,
    PlanListArgs,
    PlanRequestSchema,
    PlanSchema,
    ProfileSchema,
    ReplanSchema,
    profile_from_row,
    profile_to_row,
)

blp = Blueprint("plans", __name__, url_prefix="/api/plans", description="Tour plans")
profiles = Blueprint(
    "planning_profiles", __name__, url_prefix="/api/users", description="Tour plans"
)


def _rep_or_404(rep_id: uuid.UUID) -> User:
    """The user ``rep_id`` if the caller may plan for them, else 404."""
    rep = db.session.get(User, rep_id)
    if rep is None or not access.can_see_user(current_user(), rep_id):
        abort(404, message="No user with this id.")
    return rep


def _plan_or_404(record_id: uuid.UUID) -> Plan:
    """The plan if its rep is in the caller's scope, else 404."""
    plan = db.session.get(Plan, record_id)
    if plan is None or not access.can_see_user(current_user(), plan.rep_id):
        abort(404, message="No plan with this id.")
    return plan


def _labelled(plans: list[Plan]) -> list[Plan]:
    """Give each plan ``account_labels``: name and city of its accounts the caller may see.

    A board shows "Boulangerie Roux, Vichy" rather than ids, in one query for a whole page;
    an account reassigned out of the caller's scope since the plan keeps its name to itself.
    """
    wanted: set[uuid.UUID] = set()
    for plan in plans:
        wanted.update(stop.account_id for day in plan.days for stop in day.stops)
        for dropped in plan.dropped:
            try:
                wanted.add(uuid.UUID(dropped["account_id"]))
            except (KeyError, ValueError):
                continue
    labels: dict[str, dict[str, Any]] = {}
    if wanted:
        stmt = select(Account.id, Account.name, Account.city).where(Account.id.in_(wanted))
        for account_id, name, city in db.session.execute(
            access.scoped(stmt, Account, current_user())
        ):
            labels[str(account_id)] = {"name": name, "city": city}
    for plan in plans:
        ids = {str(stop.account_id) for day in plan.days for stop in day.stops}
        ids.update(str(d.get("account_id")) for d in plan.dropped)
        plan.account_labels = {i: labels[i] for i in sorted(ids) if i in labels}  # type: ignore[attr-defined]
    return plans


def _one(plan: Plan) -> Plan:
    """``plan`` with its account labels, for a single-plan answer."""
    return _labelled([plan])[0]


def _time_limit(requested: float | None) -> float:
    return requested or float(current_app.config.get("PLAN_TIME_LIMIT") or 2.0)


def _place(data: dict[str, Any] | None) -> Location | None:
    return None if data is None else Location(lat=data["lat"], lon=data["lon"])


def _planning_errors(exc: Exception) -> None:
    """Planning failures as 422s naming the field at fault."""
    if isinstance(exc, service.PlanningError):
        crud.invalid({key: [str(exc)] for key in exc.fields})
    if isinstance(exc, AppointmentsNotFeasible):
        abort(
            422,
            message="Some appointments cannot all be kept: move one and plan again.",
            errors={"json": {"date_from": [str(exc)]}},
            extra={"appointment_ids": list(exc.appointment_ids)},
        )
    raise exc


@blp.route("")
class Plans(MethodView):
    """Plans: the list, and new previews."""

    @blp.arguments(PlanListArgs, location="query")
    @blp.response(200, PlanSchema(many=True))
    @blp.paginate(page_size=50, max_page_size=200)
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """List stored plans, newest first: yours (rep), your team's (manager), all (admin)

        Filter by rep, by a day the plan covers, and by status.
        """
        stmt = select(Plan).options(selectinload(Plan.days).selectinload(PlanDay.stops))
        allowed = access.visible_user_ids(current_user())
        if allowed is not None:
            stmt = stmt.where(Plan.rep_id.in_(allowed))
        if args.get("rep_id") is not None:
            stmt = stmt.where(Plan.rep_id == args["rep_id"])
        if args.get("date") is not None:
            stmt = stmt.where(Plan.date_from <= args["date"], Plan.date_to >= args["date"])
        if args.get("status"):
            stmt = stmt.where(Plan.status.in_(args["status"]))
        plans = crud.paginate(stmt, pagination_parameters, Plan.created_at.desc(), Plan.id.desc())
        return _labelled(plans)

    @blp.arguments(PlanRequestSchema)
    @blp.response(201, PlanSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Plan a preview for a rep over one to seven days

        Candidates are the rep's accounts with a position, each with its priority;
        their planned interactions in those days are kept as appointments. The preview
        is stored; accept it to create the visits.
        """
        user = current_user()
        rep = _rep_or_404(data.get("rep_id") or user.id)
        request = service.Request(
            rep=rep,
            date_from=data["date_from"],
            days=data["days"],
            start=_place(data.get("start")),
            end=_place(data.get("end")),
            time_limit=_time_limit(data.get("time_limit")),
            seed=data["seed"],
        )
        try:
            plan = service.preview(request, created_by=user)
        except (service.PlanningError, AppointmentsNotFeasible) as exc:
            db.session.rollback()
            _planning_errors(exc)
        db.session.commit()
        return _one(plan)


@blp.route("/<uuid:record_id>")
class PlanById(MethodView):
    """One plan."""

    @blp.response(200, PlanSchema)
    def get(self, record_id: uuid.UUID) -> Any:
        """Read a plan with its days, stops and dropped candidates"""
        return _one(_plan_or_404(record_id))


@blp.route("/<uuid:record_id>/accept")
class PlanAccept(MethodView):
    """Accepting a preview."""

    @blp.response(200, PlanSchema)
    @blp.alt_response(409, description="The plan is not a preview any more")
    def post(self, record_id: uuid.UUID) -> Any:
        """Accept a preview: its visits become planned interactions, synced to the rep

        An older accepted plan of the same days is marked superseded (its visits stay
        in the calendar: cancel them there if they should go).
        """
        plan = _plan_or_404(record_id)
        if plan.status != PlanStatus.PREVIEW:
            abort(409, message=f"This plan is {plan.status.value}, not a preview.")
        service.accept(plan, current_actor())
        db.session.commit()
        return _one(plan)


@blp.route("/<uuid:record_id>/replan")
class PlanReplan(MethodView):
    """Re-planning the rest of a day."""

    @blp.arguments(ReplanSchema)
    @blp.response(201, PlanSchema)
    def post(self, data: dict[str, Any], record_id: uuid.UUID) -> Any:
        """Re-plan the rest of the day from where the rep is, visits already done fixed

        A new preview of that day (its ``parent_id`` is this plan), starting at the
        given position and time; done visits and past appointments are left out.
        """
        plan = _plan_or_404(record_id)
        rep = _rep_or_404(plan.rep_id)
        try:
            new = service.replan_from(
                plan,
                rep,
                position=Location(lat=data["lat"], lon=data["lon"]),
                at=data["at"],
                done=data["done"],
                created_by=current_user(),
                time_limit=_time_limit(None),
            )
        except (service.PlanningError, AppointmentsNotFeasible) as exc:
            db.session.rollback()
            _planning_errors(exc)
        db.session.commit()
        return _one(new)


def _day(plan: Plan, args: dict[str, Any]) -> PlanDay:
    """The requested day of ``plan`` (default: its first), else 404."""
    wanted = args.get("day") or plan.date_from
    for day in plan.days:
        if day.day == wanted:
            return day
    abort(404, message="The plan has no route that day.")


def _accounts_of(day: PlanDay) -> dict[uuid.UUID, Account]:
    ids = [s.account_id for s in day.stops]
    if not ids:
        return {}
    return {a.id: a for a in db.session.scalars(select(Account).where(Account.id.in_(ids)))}


@blp.route("/<uuid:record_id>/links")
class PlanLinks(MethodView):
    """Navigation links."""

    @blp.arguments(DayQuerySchema, location="query")
    @blp.response(200, LinksSchema)
    def get(self, args: dict[str, Any], record_id: uuid.UUID) -> Any:
        """Google Maps directions (legs of at most 10 places) and a Waze link per stop"""
        day = _day(_plan_or_404(record_id), args)
        return {
            "day": day.day,
            "google_maps": exports.google_maps_links(day),
            "waze": [
                {"account_id": str(s.account_id), "url": exports.waze_link(s)} for s in day.stops
            ],
        }


@blp.route("/<uuid:record_id>/calendar")
class PlanCalendar(MethodView):
    """The day as a calendar."""

    @blp.arguments(DayQuerySchema, location="query")
    @blp.response(200, description="text/calendar (RFC 5545)")
    def get(self, args: dict[str, Any], record_id: uuid.UUID) -> Response:
        """The day as an ICS calendar, one event per stop"""
        day = _day(_plan_or_404(record_id), args)
        body = exports.ics(day, _accounts_of(day), now=utcnow())
        return Response(
            body,
            mimetype="text/calendar",
            headers={"Content-Disposition": f'attachment; filename="tournee-{day.day}.ics"'},
        )


@blp.route("/<uuid:record_id>/sheet")
class PlanSheet(MethodView):
    """The day as a printable page."""

    @blp.arguments(DayQuerySchema, location="query")
    @blp.response(200, description="text/html, printable")
    def get(self, args: dict[str, Any], record_id: uuid.UUID) -> Response:
        """A printable HTML day sheet (no PDF needed: print it from the browser)"""
        plan = _plan_or_404(record_id)
        day = _day(plan, args)
        rep = db.session.get(User, plan.rep_id)
        page = exports.day_sheet(
            day,
            _accounts_of(day),
            rep_name=rep.name if rep else "",
            zone=service.timezone(),
            maps=exports.google_maps_links(day),
        )
        return Response(page, mimetype="text/html")


@profiles.route("/<uuid:user_id>/planning-profile")
class PlanningProfile(MethodView):
    """A rep's planning profile."""

    @profiles.response(200, ProfileSchema)
    def get(self, user_id: uuid.UUID) -> Any:
        """Read how a rep works for the planner (defaults where unset; start may be null)"""
        return profile_from_row(service.profile_of(_rep_or_404(user_id)))

    @profiles.arguments(ProfileSchema)
    @profiles.response(200, ProfileSchema)
    def put(self, data: dict[str, Any], user_id: uuid.UUID) -> Any:
        """Set how a rep works: start and end places, days, hours, lunch, limits

        The rep themselves, their manager or an admin.
        """
        rep = _rep_or_404(user_id)
        row = db.session.get(RepProfile, rep.id) or RepProfile(user_id=rep.id)
        for key, value in profile_to_row(data).items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        db.session.add(row)
        db.session.commit()
        return profile_from_row(service.profile_of(rep))
