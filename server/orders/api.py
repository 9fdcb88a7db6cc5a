"""Order and invoice endpoints (reps read; managers and admins write)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy import Select

from .. import crud
from ..auth.models import Role, User
from ..dbtypes import utcnow
from .models import Order
from .schemas import OrderListArgs, OrderSchema

blp = Blueprint(
    "orders", __name__, url_prefix="/api/orders", description="Order and invoice history"
)


def prepare_order(values: dict[str, Any], record: Order | None, user: User) -> dict[str, Any]:
    """Check the due date; stamp ``paid_at`` when an order is marked paid."""
    if values.get("due_date") and values["due_date"] < values["order_date"]:
        raise ValidationError({"due_date": ["Must not be before order_date."]})
    if values.get("paid"):
        values["paid_at"] = record.paid_at if record and record.paid else utcnow()
    else:
        values["paid_at"] = None
    return values


def filter_orders(stmt: Select, args: Mapping[str, Any], user: User) -> Select:
    """Apply the order list's filters."""
    if args.get("paid") is not None:
        stmt = stmt.where(Order.paid.is_(args["paid"]))
    if args.get("date_from"):
        stmt = stmt.where(Order.order_date >= args["date_from"])
    if args.get("date_to"):
        stmt = stmt.where(Order.order_date <= args["date_to"])
    return stmt


crud.register(
    blp,
    crud.Resource(
        model=Order,
        schema=OrderSchema,
        query_schema=OrderListArgs,
        plural="orders",
        title="an order",
        sortable=("order_date", "amount_excl_vat", "due_date", "created_at", "updated_at"),
        default_sort="-order_date",
        filter=filter_orders,
        prepare=prepare_order,
        # Orders come from invoicing; reps read them on the customer sheet.
        write_roles=(Role.MANAGER, Role.ADMIN),
        delete_roles=(Role.MANAGER, Role.ADMIN),
        immutable=("account_id",),
    ),
    "",
)
