"""``flask --app server plan``: plan tomorrow (or any day) for one rep or every rep.

Each rep is planned in its own process (``--workers``, default the number of CPUs):
planning is CPU-bound and single-threaded in OR-Tools, so processes, not threads, use
the machine. Each worker builds its own app from the parent's settings, so it opens its
own database connections. Plans are stored as previews, or accepted with ``--accept``.
"""

from __future__ import annotations

import multiprocessing
import os
import uuid
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from routing.plan import AppointmentsNotFeasible

from .. import records
from ..auth.models import Role, User
from ..extensions import db
from . import service

#: Who accepts plans from the command line (no user, no device).
SYSTEM = records.Actor(user_id=None, device_id=None)


@dataclass(frozen=True)
class Outcome:
    """What planning one rep gave, for the summary."""

    email: str
    plan_id: str | None = None
    visits: int = 0
    appointments: int = 0
    dropped: int = 0
    driving_km: float = 0.0
    seconds: float = 0.0
    error: str | None = None


def _portable_config() -> dict[str, Any]:
    """The settings a worker needs to build the same app (plain values only)."""
    return {
        k: v
        for k, v in current_app.config.items()
        if isinstance(v, str | int | float | bool) and (k.isupper())
    }


def plan_rep(rep_id: uuid.UUID, day: date, days: int, time_limit: float, accept: bool) -> Outcome:
    """Plan one rep inside the current app context and commit."""
    rep = db.session.get(User, rep_id)
    assert rep is not None
    request = service.Request(rep=rep, date_from=day, days=days, time_limit=time_limit)
    try:
        plan = service.preview(request, created_by=None)
    except (service.PlanningError, AppointmentsNotFeasible) as exc:
        db.session.rollback()
        return Outcome(email=rep.email, error=str(exc))
    if accept:
        service.accept(plan, SYSTEM)
    db.session.commit()
    stops = [s for d in plan.days for s in d.stops]
    return Outcome(
        email=rep.email,
        plan_id=str(plan.id),
        visits=sum(1 for s in stops if s.kind == "visit"),
        appointments=sum(1 for s in stops if s.kind == "appointment"),
        dropped=len(plan.dropped),
        driving_km=sum(d.driving_metres for d in plan.days) / 1000,
        seconds=plan.stats.get("wall_seconds", 0.0),
    )


def _worker(config: dict[str, Any], *args: Any) -> Outcome:
    """Entry point of a worker process: its own app, its own connections."""
    from .. import create_app

    app = create_app(config)
    with app.app_context():
        try:
            return plan_rep(*args)
        finally:
            db.session.remove()
            db.engine.dispose()


def _reps(emails: tuple[str, ...], everyone: bool) -> list[User]:
    if everyone:
        return list(
            db.session.scalars(
                select(User)
                .where(User.role == Role.REP, User.active.is_(True))
                .order_by(User.email)
            )
        )
    reps = []
    for email in emails:
        user = db.session.scalar(select(User).where(User.email == email.lower()))
        if user is None:
            raise click.BadParameter(f"no user {email}", param_hint="--rep")
        reps.append(user)
    return reps


@click.command("plan")
@click.option("--rep", "emails", multiple=True, help="E-mail of a rep (repeatable).")
@click.option("--all", "everyone", is_flag=True, help="Every active rep.")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="First day to plan (default: tomorrow, local time).",
)
@click.option("--days", type=click.IntRange(1, 7), default=1, show_default=True)
@click.option("--time-limit", type=click.FloatRange(0.1, 600), default=5.0, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), help="Processes (default: CPUs).")
@click.option("--accept", is_flag=True, help="Accept the plans: create the planned visits.")
@with_appcontext
def plan_command(
    emails: tuple[str, ...],
    everyone: bool,
    day: datetime | None,
    days: int,
    time_limit: float,
    workers: int | None,
    accept: bool,
) -> None:
    """Plan tomorrow's rounds for one rep or every rep, in parallel, and summarise."""
    if not emails and not everyone:
        raise click.UsageError("say whom to plan: --rep EMAIL or --all")
    start = day.date() if day else datetime.now(service.timezone()).date() + timedelta(days=1)
    reps = _reps(emails, everyone)
    workers = min(workers or os.cpu_count() or 1, max(1, len(reps)))
    click.echo(f"Planning {len(reps)} rep(s) from {start}, {days} day(s), {workers} process(es)")
    outcomes: list[Outcome] = []
    args = [(r.id, start, days, time_limit, accept) for r in reps]
    if workers == 1:
        with click.progressbar(args, label="Planning") as bar:
            outcomes = [plan_rep(*a) for a in bar]
    else:
        config = _portable_config()
        db.session.remove()
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures: list[Future[Outcome]] = [pool.submit(_worker, config, *a) for a in args]
            with click.progressbar(length=len(futures), label="Planning") as bar:
                for future in as_completed(futures):
                    outcomes.append(future.result())
                    bar.update(1)
    _summary(sorted(outcomes, key=lambda o: o.email), accept)


def _summary(outcomes: list[Outcome], accepted: bool) -> None:
    """One line per rep, then totals."""
    for o in outcomes:
        if o.error:
            click.echo(f"  {o.email:30} FAILED: {o.error}")
        else:
            click.echo(
                f"  {o.email:30} {o.visits:3} visits, {o.appointments:2} appointments, "
                f"{o.dropped:4} left out, {o.driving_km:6.1f} km, {o.seconds:5.1f} s  {o.plan_id}"
            )
    ok = [o for o in outcomes if not o.error]
    click.echo(
        f"{len(ok)} plan(s) {'accepted' if accepted else 'stored as previews'}, "
        f"{len(outcomes) - len(ok)} failed; {sum(o.visits for o in ok)} visits, "
        f"{sum(o.driving_km for o in ok):.0f} km in total"
    )
