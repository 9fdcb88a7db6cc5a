"""Account rules (what a valid account is, who may own it), list filters, KPIs and timeline."""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask_smorest import abort
from marshmallow import Schema, ValidationError
from sqlalchemy import Select, case, func, select

from .. import access
from ..auth.models import User
from ..customfields.service import validate_custom
from ..dbfuncs import json_array_contains
from ..dbtypes import utcnow
from ..enums import AccountKind, InteractionKind, InteractionStatus, OpportunityStage
from ..extensions import db
from ..followups.models import FollowUp
from ..geocoding.service import check_address_on_write, update_position
from ..interactions.models import Interaction
from ..notes.models import Note
from ..opportunities.models import Opportunity
from ..orders.models import Order
from ..search import matches
from .models import Account, StatusChange

#: Kinds of interaction that count as a visit for "last visit" and visit frequency.
VISIT_KINDS = (InteractionKind.VISIT, InteractionKind.APPOINTMENT, InteractionKind.STORE_VISIT)


def prepare_account(values: dict[str, Any], record: Account | None, user: User) -> dict[str, Any]:
    """Check and complete an account before it is written.

    Derives the display name of a person and the SIREN of a SIRET, checks the
    postal code of a French address (and that it agrees with the city), the owner
    the caller may assign, the custom fields, and that no other live account has
    the same SIRET. Places the account when its address changes (server.geocoding).
    """
    errors: dict[str, list[str]] = {}
    if values.get("kind") is AccountKind.PERSON:
        # A name left as it was and equal to the one derived from the stored names was
        # derived, not chosen: it follows the names when they change.
        derived = (
            record is not None
            and values.get("name") == record.name
            and record.name == _person_name(record.last_name, record.first_name)
        )
        if not values.get("last_name"):
            errors["last_name"] = ["Required for a private customer."]
        elif not values.get("name") or derived:
            values["name"] = _person_name(values.get("last_name"), values.get("first_name"))
    if not values.get("name"):
        errors.setdefault("name", ["Required."])
    siret = values.get("siret")
    if siret:
        # On update the stored SIREN was derived from the old SIRET: it follows a new
        # SIRET unless the client sends a different SIREN along with it.
        siren_sent = record is None or values.get("siren") != record.siren
        if siren_sent and values.get("siren") and values["siren"] != siret[:9]:
            errors["siren"] = ["Does not match the SIRET."]
        values["siren"] = siret[:9]
    country = values.get("country") or "FR"
    values["country"] = country
    postal_code = values.get("postal_code")
    if country == "FR" and postal_code and not (len(postal_code) == 5 and postal_code.isdigit()):
        errors["postal_code"] = ["A French postal code has 5 digits."]
    if (values.get("latitude") is None) != (values.get("longitude") is None):
        errors["latitude"] = ["Latitude and longitude go together."]
    try:
        values["custom"] = validate_custom(
            "account", values.get("custom"), record.custom if record else None
        )
    except ValidationError as err:
        errors.update(err.messages)  # type: ignore[arg-type]
    if errors:
        raise ValidationError(errors)

    owner_id = values.get("owner_id") or user.id
    values["owner_id"] = owner_id
    if (record is None or record.owner_id != owner_id) and not access.can_assign_owner(
        user, owner_id
    ):
        abort(
            403,
            message="You cannot give an account to this owner.",
            errors={"json": {"owner_id": ["Not an owner you may assign."]}},
        )
    # Postal code and city must agree (422 when TOURNEE_ADDRESS_CHECK=error, else the
    # account's ``warnings`` say so); the position follows the address.
    check_address_on_write(values, record)
    update_position(values, record)
    values.setdefault("tags", [])
    if siret and (record is None or record.siret != siret):
        clash = db.session.scalar(
            select(Account.id).where(
                Account.siret == siret,
                Account.deleted_at.is_(None),
                Account.id != (record.id if record else uuid.uuid4()),
            )
        )
        if clash is not None:
            abort(
                409,
                message="Another account already has this SIRET.",
                errors={"json": {"siret": ["Already registered."]}},
            )
    return values


def _person_name(last_name: str | None, first_name: str | None) -> str:
    """Display name of a private customer: "Last First"."""
    return " ".join(p for p in (last_name, first_name) if p)


def filter_accounts(stmt: Select, args: Mapping[str, Any], user: User) -> Select:
    """Apply the account list's filters."""
    if args.get("q"):
        stmt = stmt.where(matches(Account, args["q"]))
    if args.get("status"):
        stmt = stmt.where(Account.status.in_(args["status"]))
    if args.get("kind"):
        stmt = stmt.where(Account.kind == args["kind"])
    if args.get("owner_id"):
        stmt = stmt.where(Account.owner_id == args["owner_id"])
    if args.get("postal_code"):
        stmt = stmt.where(Account.postal_code.startswith(args["postal_code"], autoescape=True))
    if args.get("city"):
        stmt = stmt.where(func.lower(Account.city) == args["city"].lower())
    if args.get("tag"):
        stmt = stmt.where(json_array_contains(Account.tags, args["tag"]))
    if args.get("territory"):
        stmt = stmt.where(Account.territory == args["territory"])
    return stmt


@dataclass(frozen=True)
class Kpis:
    """An account's figures over a period (see ``KpiSchema`` for the meaning)."""

    date_from: date
    date_to: date
    revenue: Decimal
    margin: Decimal
    margin_rate: float | None
    order_count: int
    average_order: Decimal | None
    unpaid: Decimal
    overdue: Decimal
    last_visit_at: datetime | None
    days_since_last_visit: int | None
    visit_overdue: bool
    next_planned_at: datetime | None
    open_followups: int
    overdue_followups: int
    open_opportunities: int
    pipeline_amount: Decimal
    weighted_pipeline: Decimal


def _money(value: Any) -> Decimal:
    """A SUM result as cents-exact Decimal (SQLite hands back floats or None)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def account_kpis(account: Account, date_from: date | None, date_to: date | None) -> Kpis:
    """Compute revenue, margin, unpaid, visits, follow-ups and pipeline of ``account``."""
    today = utcnow().date()
    date_to = date_to or today
    # A year back, but not before 0001-01-01 (date arithmetic would overflow).
    date_from = date_from or (date_to - min(timedelta(days=365), date_to - date.min))
    live = Order.deleted_at.is_(None)
    of_account = Order.account_id == account.id
    revenue, margin, count = db.session.execute(
        select(func.sum(Order.amount_excl_vat), func.sum(Order.margin), func.count(Order.id)).where(
            of_account, live, Order.order_date.between(date_from, date_to)
        )
    ).one()
    unpaid, overdue = db.session.execute(
        select(
            func.sum(Order.amount_excl_vat),
            func.sum(case((Order.due_date < today, Order.amount_excl_vat), else_=0)),
        ).where(of_account, live, Order.paid.is_(False))
    ).one()
    last_visit_at = db.session.scalar(
        select(func.max(Interaction.starts_at)).where(
            Interaction.account_id == account.id,
            Interaction.deleted_at.is_(None),
            Interaction.kind.in_(VISIT_KINDS),
            Interaction.status == InteractionStatus.DONE,
        )
    )
    next_planned_at = db.session.scalar(
        select(func.min(Interaction.starts_at)).where(
            Interaction.account_id == account.id,
            Interaction.deleted_at.is_(None),
            Interaction.status == InteractionStatus.PLANNED,
            Interaction.starts_at >= utcnow(),
        )
    )
    if isinstance(last_visit_at, str):  # aggregate over SQLite bypasses the column type
        last_visit_at = datetime.fromisoformat(last_visit_at)
    if isinstance(next_planned_at, str):
        next_planned_at = datetime.fromisoformat(next_planned_at)
    if last_visit_at is not None and last_visit_at.tzinfo is None:
        last_visit_at = last_visit_at.replace(tzinfo=UTC)
    if next_planned_at is not None and next_planned_at.tzinfo is None:
        next_planned_at = next_planned_at.replace(tzinfo=UTC)
    days_since = (utcnow() - last_visit_at).days if last_visit_at else None
    frequency = account.visit_frequency_days
    visit_overdue = bool(frequency) and (days_since is None or days_since > frequency)
    open_followups, overdue_followups = db.session.execute(
        select(
            func.count(FollowUp.id),
            func.coalesce(func.sum(case((FollowUp.due_date < today, 1), else_=0)), 0),
        ).where(
            FollowUp.account_id == account.id,
            FollowUp.deleted_at.is_(None),
            FollowUp.done.is_(False),
        )
    ).one()
    open_stages = (
        OpportunityStage.QUALIFICATION,
        OpportunityStage.PROPOSAL,
        OpportunityStage.NEGOTIATION,
    )
    opp_count, pipeline, weighted = db.session.execute(
        select(
            func.count(Opportunity.id),
            func.sum(Opportunity.amount),
            func.sum(Opportunity.amount * func.coalesce(Opportunity.probability, 0) / 100.0),
        ).where(
            Opportunity.account_id == account.id,
            Opportunity.deleted_at.is_(None),
            Opportunity.stage.in_(open_stages),
        )
    ).one()
    revenue_d, margin_d = _money(revenue), _money(margin)
    return Kpis(
        date_from=date_from,
        date_to=date_to,
        revenue=revenue_d,
        margin=margin_d,
        margin_rate=float(margin_d / revenue_d) if revenue_d else None,
        order_count=count,
        average_order=_money(revenue_d / count) if count else None,
        unpaid=_money(unpaid),
        overdue=_money(overdue),
        last_visit_at=last_visit_at,
        days_since_last_visit=days_since,
        visit_overdue=visit_overdue,
        next_planned_at=next_planned_at,
        open_followups=open_followups,
        overdue_followups=int(overdue_followups),
        open_opportunities=opp_count,
        pipeline_amount=_money(pipeline),
        weighted_pipeline=_money(weighted),
    )


#: Kinds of event in an account timeline, as named in its ``types`` filter.
TIMELINE_TYPES = ("interaction", "note", "followup", "order", "opportunity", "status_change")


@dataclass(frozen=True)
class TimelineSource:
    """One kind of event in the timeline: its model, time column, title and schema."""

    type: str
    model: type
    at: Any
    title: Any
    schema: Schema


@dataclass(frozen=True)
class TimelineItem:
    """One event of an account's history, newest first in the timeline."""

    type: str
    id: uuid.UUID
    at: datetime
    title: str
    data: dict[str, Any]


def _as_datetime(value: date | datetime) -> datetime:
    """Dates (orders) sort as midnight UTC of their day."""
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time.min, tzinfo=UTC)


def timeline_sources() -> list[TimelineSource]:
    """The record kinds an account timeline merges (imported late: schemas import crud)."""
    from ..followups.schemas import FollowUpSchema
    from ..interactions.schemas import InteractionSchema
    from ..notes.schemas import NoteSchema
    from ..opportunities.schemas import OpportunitySchema
    from ..orders.schemas import OrderSchema
    from .schemas import StatusChangeSchema

    return [
        TimelineSource(
            "interaction",
            Interaction,
            Interaction.starts_at,
            lambda r: (
                f"{r.kind.value} ({r.status.value})" + (f": {r.subject}" if r.subject else "")
            ),
            InteractionSchema(),
        ),
        TimelineSource("note", Note, Note.created_at, lambda r: r.body[:80], NoteSchema()),
        TimelineSource(
            "followup",
            FollowUp,
            FollowUp.created_at,
            lambda r: f"Relance {r.due_date.isoformat()}: {r.reason[:60]}",
            FollowUpSchema(),
        ),
        TimelineSource(
            "order",
            Order,
            Order.order_date,
            lambda r: f"Commande {r.reference or ''} {r.amount_excl_vat} € HT".replace("  ", " "),
            OrderSchema(),
        ),
        TimelineSource(
            "opportunity",
            Opportunity,
            Opportunity.created_at,
            lambda r: f"Affaire: {r.title}",
            OpportunitySchema(),
        ),
        TimelineSource(
            "status_change",
            StatusChange,
            StatusChange.changed_at,
            lambda r: f"Statut: {r.from_status or '-'} → {r.to_status}",
            StatusChangeSchema(),
        ),
    ]


def account_timeline(
    account: Account, *, page: int, page_size: int, types: set[str] | None
) -> tuple[list[TimelineItem], int]:
    """One page of the account's history, newest first, and the total number of events.

    Each source yields its newest ``page * page_size`` rows; merging those is
    enough to know the first ``page`` pages exactly.
    """
    streams, total = [], 0
    for src in timeline_sources():
        if types and src.type not in types:
            continue
        base = select(src.model).where(
            src.model.account_id == account.id, src.model.deleted_at.is_(None)
        )
        count = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
        total += count
        # Never more than the source holds: a huge page number would overflow LIMIT.
        rows = db.session.scalars(
            base.order_by(src.at.desc(), src.model.id.desc()).limit(min(page * page_size, count))
        ).all()
        streams.append(
            [
                TimelineItem(
                    src.type,
                    r.id,
                    _as_datetime(getattr(r, src.at.key)),
                    src.title(r),
                    src.schema.dump(r),
                )
                for r in rows
            ]
        )
    merged = heapq.merge(*streams, key=lambda item: (item.at, str(item.id)), reverse=True)
    items = list(merged)[(page - 1) * page_size : page * page_size]
    return items, total


def status_history(account: Account) -> list[StatusChange]:
    """The account's status changes, newest first."""
    return list(
        db.session.scalars(
            select(StatusChange)
            .where(StatusChange.account_id == account.id, StatusChange.deleted_at.is_(None))
            .order_by(StatusChange.changed_at.desc())
        )
    )
