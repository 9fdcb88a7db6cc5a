"""Row-level access, in one place.

A rep sees and writes the accounts they own and everything under them; a
manager those owned by anyone in their team; an admin everything. Every query
of a record goes through :func:`scoped`, every lookup by id through
:func:`get_or_404`, so no endpoint decides this on its own. A record outside the
caller's scope is answered 404, exactly like one that does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, TypeVar

from flask_smorest import abort
from sqlalchemy import Select, select
from sqlalchemy.sql.elements import ColumnElement

from . import memo
from .accounts.models import Account
from .auth.models import Role, User
from .dbfuncs import among, unindexed
from .extensions import db
from .records import SyncedRecord

R = TypeVar("R", bound=SyncedRecord)


def owner_ids_clause(
    user: User, *, by_id: bool = False, column: Any = None
) -> ColumnElement[bool] | None:
    """Condition on ``Account.owner_id`` for what ``user`` may see; None means everything.

    ``by_id``: as in :func:`scoped`. ``column``: the same test on another column holding
    an owner (a change row's former owner, for a pull).
    """
    if user.role == Role.ADMIN:
        return None
    owner_id = Account.owner_id if column is None else column
    if by_id:
        owner_id = unindexed(owner_id)
    if user.role == Role.MANAGER and user.team_id is not None:
        team = select(User.id).where(User.team_id == user.team_id)
        return owner_id.in_(team)
    return owner_id == user.id


def visible_account_ids(user: User) -> Select[tuple[uuid.UUID]]:
    """Sub-select of the ids of live accounts ``user`` may see."""
    stmt = select(Account.id).where(Account.deleted_at.is_(None))
    clause = owner_ids_clause(user)
    return stmt if clause is None else stmt.where(clause)


def scoped(stmt: Select, model: type[SyncedRecord], user: User, *, by_id: bool = False) -> Select:
    """Restrict ``stmt`` over ``model`` to live rows ``user`` may see.

    ``by_id``: the caller pages through ``model`` in ``id`` order (a first sync). The
    account test then does not drive the scan on SQLite (``dbfuncs.unindexed``), which
    would otherwise read and sort every visible row for each page.
    """
    stmt = stmt.where(model.deleted_at.is_(None))
    if model is Account:
        clause = owner_ids_clause(user, by_id=by_id)
        return stmt if clause is None else stmt.where(clause)
    account_id = getattr(model, "account_id", None)
    if account_id is None:
        # Not owned through an account (e.g. custom field definitions): shared reference data.
        return stmt
    if by_id:
        account_id = unindexed(account_id)
    if user.role == Role.ADMIN:
        # Children of deleted accounts disappear with them.
        return stmt.where(account_id.in_(select(Account.id).where(Account.deleted_at.is_(None))))
    return stmt.where(account_id.in_(visible_account_ids(user)))


def get_or_404(model: type[R], record_id: uuid.UUID, user: User) -> R:
    """Return the live ``model`` record ``record_id`` if ``user`` may see it, else abort 404."""
    stmt = scoped(select(model).where(model.id == record_id), model, user)
    record = db.session.execute(stmt).scalar_one_or_none()
    if record is None:
        abort(404, message=f"No {model.__entity__} with this id.")
    return record


def can_see_account(user: User, account_id: uuid.UUID) -> bool:
    """True when ``account_id`` is a live account within ``user``'s scope."""
    batch = memo.current()
    if batch is not None:
        return _sees_in_batch(batch, user, account_id)
    stmt = scoped(select(Account.id).where(Account.id == account_id), Account, user)
    return db.session.execute(stmt).first() is not None


def _sees_in_batch(batch: memo.Memo, user: User, account_id: uuid.UUID) -> bool:
    """:func:`can_see_account` from what the batch knows (the same rule as :func:`scoped`)."""
    state = _account_state(batch, account_id)
    if state is None:
        return False
    owner_id, live = state
    owners = _owner_ids(batch, user)
    return live and (owners is None or owner_id in owners)


def _account_state(batch: memo.Memo, account_id: uuid.UUID) -> tuple[uuid.UUID, bool] | None:
    """(owner, live) of an account, None when there is none: written in the batch or asked."""
    record = batch.written.get((Account, account_id))
    if record is not None:
        return record.owner_id, record.deleted_at is None
    key = ("account", account_id)
    if key not in batch.answers:
        prefetch_accounts([account_id])
    return batch.answers[key]


def prefetch_accounts(account_ids: Iterable[Any]) -> None:
    """Learn the owner and liveness of these accounts in one query (inside a batch)."""
    batch = memo.current()
    if batch is None:
        return
    wanted = {i for i in account_ids if isinstance(i, uuid.UUID)}
    wanted -= {key[1] for key in batch.answers if key[0] == "account"}
    if not wanted:
        return
    found = {
        row.id: (row.owner_id, row.deleted_at is None)
        for row in db.session.execute(
            select(Account.id, Account.owner_id, Account.deleted_at).where(
                among(Account.id, wanted)
            )
        )
    }
    for account_id in wanted:
        batch.answers[("account", account_id)] = found.get(account_id)


def owner_ids(user: User) -> set[uuid.UUID] | None:
    """Owners whose accounts ``user`` sees (None: all), as :func:`owner_ids_clause` says."""
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.MANAGER and user.team_id is not None:
        return set(db.session.scalars(select(User.id).where(User.team_id == user.team_id)))
    return {user.id}


def _owner_ids(batch: memo.Memo, user: User) -> set[uuid.UUID] | None:
    """:func:`owner_ids`, asked once per batch."""
    key = ("owners", user.id)
    if key not in batch.answers:
        batch.answers[key] = owner_ids(user)
    return batch.answers[key]


def find_visible(model: type[R], record_id: uuid.UUID, user: User) -> R | None:
    """The live ``model`` record ``record_id`` if ``user`` may see it (as :func:`get_or_404`)."""
    record = memo.written(model, record_id)
    if record is not None and model is not Account and hasattr(model, "account_id"):
        # Written earlier in this batch: the same rule as ``scoped``, without a query.
        visible = record.deleted_at is None and can_see_account(user, record.account_id)
        return record if visible else None
    stmt = scoped(select(model).where(model.id == record_id), model, user)
    return db.session.execute(stmt).scalar_one_or_none()


def assignable_owner_ids(user: User) -> Select[tuple[uuid.UUID]] | None:
    """Users ``user`` may make owner of an account; None means any active user."""
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.MANAGER and user.team_id is not None:
        return select(User.id).where(User.team_id == user.team_id, User.active.is_(True))
    return select(User.id).where(User.id == user.id)


def can_assign_owner(user: User, owner_id: uuid.UUID) -> bool:
    """True when ``user`` may make ``owner_id`` the owner of an account."""
    if owner_id == user.id and user.active:
        return True  # every role may own accounts itself (an inactive user is never signed in)
    allowed = assignable_owner_ids(user)
    stmt = select(User.id).where(User.id == owner_id, User.active.is_(True))
    if allowed is not None:
        stmt = stmt.where(User.id.in_(allowed))
    return db.session.execute(stmt).first() is not None


def visible_user_ids(user: User) -> Select[tuple[uuid.UUID]] | None:
    """Users whose profile and devices ``user`` may see; None means all."""
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.MANAGER and user.team_id is not None:
        return select(User.id).where(User.team_id == user.team_id)
    return select(User.id).where(User.id == user.id)


def require_role(user: User, *roles: Role) -> None:
    """Abort 403 unless ``user`` has one of ``roles``."""
    if user.role not in roles:
        abort(403, message="Your role does not allow this action.")


def can_see_user(user: User, other_id: uuid.UUID) -> bool:
    """True when ``other_id`` is a user ``user`` may name (as assignee, rep of a visit...)."""
    if other_id == user.id:
        return True  # every role sees itself (visible_user_ids always includes the caller)
    stmt = select(User.id).where(User.id == other_id)
    allowed = visible_user_ids(user)
    if allowed is not None:
        stmt = stmt.where(User.id.in_(allowed))
    return db.session.execute(stmt).first() is not None


def account_ids_in_scope(user: User, *, include_deleted: bool) -> Select[tuple[uuid.UUID]]:
    """Sub-select of the accounts ``user`` owns through their role, deleted ones included or not.

    Sync needs the deleted ones: a tombstone must reach the devices that held the record.
    """
    stmt = select(Account.id)
    if not include_deleted:
        stmt = stmt.where(Account.deleted_at.is_(None))
    clause = owner_ids_clause(user)
    return stmt if clause is None else stmt.where(clause)
