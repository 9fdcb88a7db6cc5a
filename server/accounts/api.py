"""Account endpoints: CRUD plus timeline, KPIs and status history."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import access, crud
from ..auth.models import Role
from ..auth.tokens import current_user
from .duplicates import duplicate_pairs, duplicates_of, find_duplicates
from .models import Account
from .schemas import (
    AccountListArgs,
    AccountSchema,
    DuplicateArgs,
    DuplicateCheckSchema,
    DuplicatePairArgs,
    DuplicatePairSchema,
    DuplicateSchema,
    KpiSchema,
    PeriodArgs,
    StatusChangeSchema,
    TimelineItemSchema,
)
from .service import (
    TIMELINE_TYPES,
    account_kpis,
    account_timeline,
    filter_accounts,
    prepare_account,
    status_history,
)

blp = Blueprint(
    "accounts", __name__, url_prefix="/api/accounts", description="Companies and private customers"
)

RESOURCE = crud.Resource(
    model=Account,
    schema=AccountSchema,
    query_schema=AccountListArgs,
    plural="accounts",
    title="an account",
    sortable=("name", "city", "postal_code", "status", "created_at", "updated_at"),
    default_sort="name",
    filter=filter_accounts,
    prepare=prepare_account,
    # Reps may not delete customers: a manager or admin decides (and GDPR erasure is admin's).
    delete_roles=(Role.MANAGER, Role.ADMIN),
)
crud.register(blp, RESOURCE, "")


class TimelineArgs(Schema):
    """Which kinds of events to include in the timeline."""

    types = fields.List(
        fields.String(validate=validate.OneOf(TIMELINE_TYPES)),
        metadata={"description": ", ".join(TIMELINE_TYPES)},
    )


@blp.route("/<uuid:record_id>/timeline")
class AccountTimeline(MethodView):
    """The account's history."""

    @blp.arguments(TimelineArgs, location="query")
    @blp.response(200, TimelineItemSchema(many=True))
    @blp.paginate(page_size=50, max_page_size=200)
    def get(self, args: dict[str, Any], record_id: uuid.UUID, pagination_parameters: Any) -> Any:
        """Interactions, notes, follow-ups, orders, deals and status changes, newest first"""
        account = access.get_or_404(Account, record_id, current_user())
        types = set(args["types"]) if args.get("types") else None
        items, total = account_timeline(
            account,
            page=pagination_parameters.page,
            page_size=pagination_parameters.page_size,
            types=types,
        )
        pagination_parameters.item_count = total
        return items


@blp.route("/<uuid:record_id>/kpis")
class AccountKpis(MethodView):
    """The account's figures."""

    @blp.arguments(PeriodArgs, location="query")
    @blp.response(200, KpiSchema)
    def get(self, args: dict[str, Any], record_id: uuid.UUID) -> Any:
        """Revenue, margin and orders over a period; unpaid, visits, follow-ups, pipeline now"""
        account = access.get_or_404(Account, record_id, current_user())
        return account_kpis(account, args.get("date_from"), args.get("date_to"))


@blp.route("/<uuid:record_id>/status-history")
class AccountStatusHistory(MethodView):
    """The account's lifecycle."""

    @blp.response(200, StatusChangeSchema(many=True))
    def get(self, record_id: uuid.UUID) -> Any:
        """Every status change of the account, who made it and when, newest first"""
        account = access.get_or_404(Account, record_id, current_user())
        return status_history(account)


@blp.route("/<uuid:record_id>/duplicates")
class AccountDuplicates(MethodView):
    """Accounts that look like this one."""

    @blp.arguments(DuplicateArgs, location="query")
    @blp.response(200, DuplicateSchema(many=True))
    def get(self, args: dict[str, Any], record_id: uuid.UUID) -> Any:
        """Live accounts you can see that look like this one, with a score and the reasons"""
        user = current_user()
        account = access.get_or_404(Account, record_id, user)
        return duplicates_of(account, user, min_score=args["min_score"])


@blp.route("/duplicates/check")
class AccountDuplicateCheck(MethodView):
    """Before creating an account."""

    @blp.arguments(DuplicateCheckSchema)
    @blp.arguments(DuplicateArgs, location="query")
    @blp.response(200, DuplicateSchema(many=True))
    def post(self, values: dict[str, Any], args: dict[str, Any]) -> Any:
        """Live accounts you can see that look like the one you are about to create"""
        return find_duplicates(values, current_user(), min_score=args["min_score"])


@blp.route("/duplicates")
class AccountDuplicatePairs(MethodView):
    """The base's likely duplicates."""

    @blp.arguments(DuplicatePairArgs, location="query")
    @blp.response(200, DuplicatePairSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Pairs of live accounts you can see that look like one customer, surest first"""
        return duplicate_pairs(current_user(), min_score=args["min_score"], limit=args["limit"])
