"""Back-office review of sync conflicts and of rejected or blocked mutations.

Every resolution is written through the shared write layer, so it is itself a change
that reaches every device concerned on its next pull.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from flask_smorest import abort
from sqlalchemy import Select, select

from sync.protocol import Mutation
from sync.push import Rejected

from .. import access, crud
from ..accounts.models import Account
from ..auth.models import Device, Role, User
from ..dbtypes import utcnow
from ..extensions import db
from ..records import Actor
from .entities import resource
from .models import ChangeRow, ReviewItem, ReviewKind, ReviewStatus
from .store import SqlStore

#: Fields that name who a record belongs to, and default to whoever writes it.
AUTHOR_FIELDS = ("owner_id", "user_id", "assignee_id")


def require_reviewer(user: User) -> None:
    """Reviews are for managers (their team) and admins."""
    access.require_role(user, Role.MANAGER, Role.ADMIN)


def reviewable(user: User) -> Select:
    """Review items of the users ``user`` manages."""
    stmt = select(ReviewItem)
    allowed = access.visible_user_ids(user)
    return stmt if allowed is None else stmt.where(ReviewItem.user_id.in_(allowed))


def filter_items(stmt: Select, args: Mapping[str, Any]) -> Select:
    """Apply the list filters: kind, status, rep, device, entity, record, dates."""
    simple = {
        "kind": ReviewItem.kind,
        "status": ReviewItem.status,
        "user_id": ReviewItem.user_id,
        "device_id": ReviewItem.device_id,
        "entity": ReviewItem.entity,
        "record_id": ReviewItem.record_id,
    }
    for name, column in simple.items():
        if args.get(name) is not None:
            stmt = stmt.where(column == args[name])
    if args.get("since") is not None:
        stmt = stmt.where(ReviewItem.created_at >= args["since"])
    if args.get("until") is not None:
        stmt = stmt.where(ReviewItem.created_at < args["until"])
    return stmt


def get_item(user: User, item_id: uuid.UUID) -> ReviewItem:
    """A review item the reviewer may see, else 404."""
    item = db.session.scalar(reviewable(user).where(ReviewItem.id == item_id))
    if item is None:
        abort(404, message="No review item with this id.")
    return item


def with_account_names(items: list[ReviewItem], user: User) -> list[ReviewItem]:
    """Give each item an ``account_name``: its account's, if live and within ``user``'s scope.

    A reviewer reads "Boulangerie Roux" rather than an id; an account reassigned out of the
    reviewer's scope since keeps its name to itself.
    """
    wanted = {item.account_id for item in items if item.account_id is not None}
    names: dict[uuid.UUID, str] = {}
    if wanted:
        stmt = select(Account.id, Account.name).where(Account.id.in_(wanted))
        names = dict(db.session.execute(access.scoped(stmt, Account, user)).all())
    for item in items:
        item.account_name = names.get(item.account_id)  # type: ignore[attr-defined]
    return items


def _close(item: ReviewItem, user: User, status: ReviewStatus, resolution: dict[str, Any]) -> None:
    """Mark ``item`` decided by ``user``."""
    item.status = status
    item.resolved_by_id = user.id
    item.resolved_at = utcnow()
    item.resolution = resolution


def resolve(
    item: ReviewItem,
    *,
    user: User,
    device: Device,
    action: str,
    choices: Mapping[str, Any] | None,
    values: Mapping[str, Any] | None,
) -> ReviewItem:
    """Decide a review item.

    - ``discard``: keep the server as it is (the device change is dropped, visibly).
    - ``choose`` (conflicts): per field, ``"server"``, ``"device"`` or ``{"value": ...}``.
    - ``apply`` (rejected or blocked): run the device's mutation again, as the reviewer,
      with ``values`` overriding some of its fields.
    """
    if item.status is not ReviewStatus.OPEN:
        abort(409, message=f"This item is already {item.status.value}.")
    if action == "discard":
        _close(item, user, ReviewStatus.DISCARDED, {"action": "discard"})
        return item
    if action == "choose":
        if item.kind is not ReviewKind.CONFLICT:
            abort(422, errors={"json": {"action": ["'choose' is for conflicts; use 'apply'."]}})
        _choose(item, user, device, choices or {})
        return item
    if item.kind is ReviewKind.CONFLICT:
        abort(422, errors={"json": {"action": ["A conflict is resolved with 'choose'."]}})
    _apply_again(item, user, device, values or {})
    return item


def _choose(item: ReviewItem, user: User, device: Device, choices: Mapping[str, Any]) -> None:
    """Write the chosen value of each conflicting field."""
    unknown = sorted(set(choices) - set(item.conflicts))
    missing = sorted(set(item.conflicts) - set(choices))
    if unknown or missing:
        errors = {f"fields.{name}": ["Not a conflicting field."] for name in unknown}
        errors.update({f"fields.{name}": ["Choose server, device or a value."] for name in missing})
        abort(422, errors={"json": errors})
    raw: dict[str, Any] = {}
    for name, choice in choices.items():
        if choice == "device":
            raw[name] = item.conflicts[name]["device"]
        elif isinstance(choice, Mapping) and set(choice) == {"value"}:
            raw[name] = choice["value"]
        elif choice != "server":
            abort(422, errors={"json": {f"fields.{name}": ["Choose server, device or a value."]}})
    res = resource(item.entity)
    if res is None:
        abort(422, message=f"Unknown entity {item.entity}.")
    record = access.get_or_404(res.model, item.record_id, user)
    if raw:
        data = _load_or_422(res, raw)
        crud.write_update(res, record, data, user, Actor(user.id, device.id))
    _close(item, user, ReviewStatus.RESOLVED, {"action": "choose", "fields": dict(choices)})


def _apply_again(item: ReviewItem, user: User, device: Device, values: Mapping[str, Any]) -> None:
    """Re-run a rejected or blocked mutation with the reviewer's rights and corrections."""
    fields = {**item.payload, **values}
    res = resource(item.entity)
    if item.op == "create" and res is not None:
        # Applied by the reviewer, the change is still the rep's: their prospect, their
        # visit, their follow-up (each defaults to the caller otherwise).
        for name in AUTHOR_FIELDS:
            if hasattr(res.model, name) and fields.get(name) is None:
                fields[name] = str(item.user_id)
    mutation = Mutation(
        mid=item.mid,
        entity=item.entity,
        op=item.op,  # type: ignore[arg-type]
        id=item.record_id,
        fields=fields,
        base_version=None,
    )
    store = SqlStore(user, device)
    try:
        with store.savepoint():
            applied = store.apply(mutation)
    except Rejected as rejection:
        abort(422, message=rejection.detail, errors={"json": dict(rejection.errors or {})})
    _close(
        item,
        user,
        ReviewStatus.RESOLVED,
        {"action": "apply", "values": dict(values), "version": applied.version},
    )


def _load_or_422(res: crud.Resource, raw: dict[str, Any]) -> dict[str, Any]:
    """Validate chosen values with the resource's schema."""
    try:
        return SqlStore._load(res, raw, partial=True)
    except Rejected as rejection:
        abort(422, message=rejection.detail, errors={"json": dict(rejection.errors or {})})
        raise  # unreachable


def audit_trail(user: User, entity: str, record_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every change of a record the caller may see (deleted records too), oldest first."""
    rows = db.session.scalars(
        select(ChangeRow)
        .where(ChangeRow.entity == entity, ChangeRow.record_id == record_id)
        .order_by(ChangeRow.seq)
    ).all()
    if not rows:
        abort(404, message="No history for this record.")
    account_id = rows[-1].account_id
    if account_id is not None:
        scope = access.account_ids_in_scope(user, include_deleted=True)
        if db.session.execute(scope.where(Account.id == account_id)).first() is None:
            abort(404, message="No history for this record.")
    users = _names(User, {r.user_id for r in rows})
    devices = _names(Device, {r.device_id for r in rows})
    return [
        {
            "seq": r.seq,
            "op": r.op,
            "version": r.version,
            "at": r.at,
            "user_id": r.user_id,
            "user_name": users.get(r.user_id),
            "device_id": r.device_id,
            "device_name": devices.get(r.device_id),
            "fields": {name: {"old": pair[0], "new": pair[1]} for name, pair in r.fields.items()},
        }
        for r in rows
    ]


def _names(model: type, ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Display names of users or devices by id."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(wanted))).all())
