"""Row-level access, in one place.

A rep sees and writes the accounts they own and everything under them; a
manager those owned by anyone in their team; an admin everything. Every query
of a record goes through :func:`scoped`, every lookup by id through
:func:`get_or_404`, so no endpoint decides this on its own. A record outside the
caller's scope is answered 404, exactly like one that does not exist.
"""

from __future__ import annotations

import uuid
from typing import TypeVar

from flask_smorest import abort
from sqlalchemy import Select, select
from sqlalchemy.sql.elements import ColumnElement

from .accounts.models import Account
from .auth.models import Role, User
from .extensions import db
from .records import SyncedRecord

R = TypeVar("R", bound=SyncedRecord)


def owner_ids_clause(user: User) -> ColumnElement[bool] | None:
    """Condition on ``Account.owner_id`` for what ``user`` may see; None means everything."""
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.MANAGER and user.team_id is not None:
        team = select(User.id).where(User.team_id == user.team_id)
        return Account.owner_id.in_(team)
    return Account.owner_id == user.id


def visible_account_ids(user: User) -> Select[tuple[uuid.UUID]]:
    """Sub-select of the ids of live accounts ``user`` may see."""
    stmt = select(Account.id).where(Account.deleted_at.is_(None))
    clause = owner_ids_clause(user)
    return stmt if clause is None else stmt.where(clause)


def scoped(stmt: Select, model: type[SyncedRecord], user: User) -> Select:
    """Restrict ``stmt`` over ``model`` to live rows ``user`` may see."""
    stmt = stmt.where(model.deleted_at.is_(None))
    if model is Account:
        clause = owner_ids_clause(user)
        return stmt if clause is None else stmt.where(clause)
    account_id = getattr(model, "account_id", None)
    if account_id is None:
        # Not owned through an account (e.g. custom field definitions): shared reference data.
        return stmt
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
    stmt = scoped(select(Account.id).where(Account.id == account_id), Account, user)
    return db.session.execute(stmt).first() is not None


def assignable_owner_ids(user: User) -> Select[tuple[uuid.UUID]] | None:
    """Users ``user`` may make owner of an account; None means any active user."""
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.MANAGER and user.team_id is not None:
        return select(User.id).where(User.team_id == user.team_id, User.active.is_(True))
    return select(User.id).where(User.id == user.id)


def can_assign_owner(user: User, owner_id: uuid.UUID) -> bool:
    """True when ``user`` may make ``owner_id`` the owner of an account."""
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
