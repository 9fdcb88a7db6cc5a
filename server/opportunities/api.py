"""Opportunity endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import Select

from .. import crud
from ..auth.models import User
from ..contacts.models import Contact
from ..enums import OpportunityStage
from .models import Opportunity
from .schemas import OpportunityListArgs, OpportunitySchema

blp = Blueprint("opportunities", __name__, url_prefix="/api/opportunities", description="Deals")


def prepare_opportunity(
    values: dict[str, Any], record: Opportunity | None, user: User
) -> dict[str, Any]:
    """A won deal is certain and a lost one impossible, whatever was typed."""
    if values.get("stage") is OpportunityStage.WON:
        values["probability"] = 100
    elif values.get("stage") is OpportunityStage.LOST:
        values["probability"] = 0
    return values


def filter_opportunities(stmt: Select, args: Mapping[str, Any], user: User) -> Select:
    """Apply the opportunity list's filters."""
    if args.get("stage"):
        stmt = stmt.where(Opportunity.stage.in_(args["stage"]))
    if args.get("closing_before"):
        stmt = stmt.where(Opportunity.expected_close_date <= args["closing_before"])
    return stmt


crud.register(
    blp,
    crud.Resource(
        model=Opportunity,
        schema=OpportunitySchema,
        query_schema=OpportunityListArgs,
        plural="opportunities",
        title="an opportunity",
        sortable=("expected_close_date", "amount", "created_at", "updated_at"),
        default_sort="expected_close_date",
        filter=filter_opportunities,
        prepare=prepare_opportunity,
        immutable=("account_id",),
        same_account_refs={"contact_id": Contact},
    ),
    "",
)
