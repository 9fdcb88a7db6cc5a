"""Pull (changes since a cursor) and bootstrap (a consistent snapshot of a user's slice)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import orjson
from sqlalchemy import Select, func, select

from sync.protocol import Cursor, ResyncRequired

from .. import access
from ..accounts.models import Account
from ..auth.models import Role, User
from ..dbfuncs import among, unindexed
from ..extensions import db
from . import sqljson
from .entities import BOOTSTRAP_ORDER, CHILD_ENTITIES, model_and_schema, schema_class
from .models import ChangeRow, SyncState

EntryOp = Literal["put", "delete", "drop"]


class Entry(NamedTuple):
    """One record's news for a device (a named tuple: a first sync makes 55,000 of them)."""

    entity: str
    id: uuid.UUID
    op: EntryOp
    version: int | None = None
    #: The record's REST JSON, as written by the database (``sqljson``).
    data: orjson.Fragment | None = None

    def to_json(self) -> dict[str, Any]:
        """Wire form."""
        out: dict[str, Any] = {"entity": self.entity, "id": str(self.id), "op": self.op}
        if self.version is not None:
            out["version"] = self.version
        if self.data is not None:
            out["data"] = self.data
        return out


@dataclass(frozen=True)
class Page:
    """A page of a pull or bootstrap."""

    cursor: str
    has_more: bool
    entries: list[Entry]


def head_seq() -> int:
    """The highest committed change number (commit order makes everything below final).

    Never below the purge horizon: once every row is purged, a fresh cursor still starts
    past what was forgotten.
    """
    top = db.session.scalar(select(func.coalesce(func.max(ChangeRow.seq), 0))) or 0
    return max(top, purge_horizon())


def purge_horizon() -> int:
    """Changes up to this seq were purged: older cursors must resync."""
    state = db.session.get(SyncState, 1)
    return state.purged_through_seq if state else 0


def _owner_set(user: User) -> set[uuid.UUID] | None:
    """Owners whose accounts ``user`` sees; None for everyone (admin)."""
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.MANAGER and user.team_id is not None:
        return set(db.session.scalars(select(User.id).where(User.team_id == user.team_id)))
    return {user.id}


def _visible_account_ids(user: User, ids: set[uuid.UUID] | Select) -> set[uuid.UUID]:
    """Which of ``ids`` (a set, or a select of ids) are live accounts in ``user``'s scope now."""
    stmt = access.scoped(select(Account.id).where(Account.id.in_(ids)), Account, user)
    return set(db.session.scalars(stmt))


def _reader(entity: str) -> sqljson.Reader:
    """How to read ``entity``'s records with their REST JSON on this database."""
    model = model_and_schema(entity)[0]  # type: ignore[index]
    return sqljson.reader(entity, model, schema_class(entity), db.engine.dialect.name)


def _puts(reader: sqljson.Reader, rows: Sequence[Any]) -> list[Entry]:
    """``put`` entries of rows read by ``reader.select``."""
    documents = reader.documents(rows)
    return [
        Entry(reader.entity, row.id, "put", row.version, data)
        for row, data in zip(rows, documents, strict=True)
    ]


def _state_entries(
    entity: str, ids: list[uuid.UUID], page: Select, visible: set[uuid.UUID]
) -> list[Entry]:
    """Latest state of records: put when live and under a visible account, else delete.

    ``ids`` are the records to show, in order; ``page`` selects the ``record_id`` of the
    page's changes (at least ``ids``): the database finds them without a list of ids.
    """
    if model_and_schema(entity) is None:
        return []
    reader = _reader(entity)
    model = reader.model
    account_column = model.id if entity == "account" else getattr(model, "account_id", None)
    columns = [model.deleted_at.is_(None).label("live")]
    if account_column is not None:
        columns.append(account_column.label("scope_account_id"))
    # (The seq range, not the entity, must choose the changes read: hence ``unindexed``.)
    of_entity = page.where(unindexed(ChangeRow.entity) == entity)
    stmt = reader.select(*columns).where(model.id.in_(of_entity))
    rows = {r.id: r for r in db.session.execute(stmt).all()}
    shown = []
    for record_id in ids:
        record = rows.get(record_id)
        account_id = getattr(record, "scope_account_id", None)
        live = record is not None and record.live
        shown.append(record if live and (account_id is None or account_id in visible) else None)
    puts = iter(_puts(reader, [r for r in shown if r is not None]))
    return [
        next(puts) if record is not None else Entry(entity, record_id, "delete")
        for record_id, record in zip(ids, shown, strict=True)
    ]


def _subtree(account_id: uuid.UUID) -> list[Entry]:
    """An account entering scope: the account and every live record under it."""
    out = []
    for entity in ("account", *CHILD_ENTITIES):
        reader = _reader(entity)
        model = reader.model
        column = model.id if entity == "account" else model.account_id
        stmt = (
            reader.select()
            .where(column == account_id, model.deleted_at.is_(None))
            .order_by(model.id)
        )
        out.extend(_puts(reader, db.session.execute(stmt).all()))
    return out


def _orphaned(account_ids: list[uuid.UUID], listed: set[tuple[str, uuid.UUID]]) -> list[Entry]:
    """Tombstones for the live records under deleted accounts, not already in the page.

    Deleting an account leaves its records as they are, but nobody sees them any more
    (``access.scoped``) and none of them gets a change of its own: without these
    tombstones a device would keep them for ever.
    """
    out: list[Entry] = []
    if not account_ids:
        return out
    for entity in CHILD_ENTITIES:
        model, _schema = model_and_schema(entity)  # type: ignore[misc]
        rows = db.session.scalars(
            select(model.id)
            .where(among(model.account_id, account_ids), model.deleted_at.is_(None))
            .order_by(model.id)
        )
        out.extend(Entry(entity, i, "delete") for i in rows if (entity, i) not in listed)
    return out


def pull(user: User, cursor: Cursor, *, limit: int) -> Page:
    """The changes after ``cursor`` that ``user`` may see, latest state per record."""
    if cursor.scope != user.scope_generation or cursor.seq < purge_horizon():
        raise ResyncRequired("Your copy is too old or your scope changed: download it again.")
    head = head_seq()  # read first: everything up to head is committed and final
    owners = _owner_set(user)
    in_scope = access.account_ids_in_scope(user, include_deleted=True)
    condition = ChangeRow.account_id.in_(in_scope) | ChangeRow.account_id.is_(None)
    if owners is not None:
        condition = condition | ChangeRow.old_owner_id.in_(owners)
    rows = db.session.execute(
        select(
            ChangeRow.seq,
            ChangeRow.entity,
            ChangeRow.record_id,
            ChangeRow.account_id,
            ChangeRow.old_owner_id,
            ChangeRow.new_owner_id,
        )
        .where(ChangeRow.seq > cursor.seq, ChangeRow.seq <= head, condition)
        .order_by(ChangeRow.seq)
        .limit(limit + 1)
    ).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    new_seq = rows[-1].seq if has_more else head

    # Accounts entering or leaving scope, by the last reassignment in this page.
    moves: dict[uuid.UUID, str] = {}
    if owners is not None:
        for row in rows:
            if row.old_owner_id is None:
                continue
            before, after = row.old_owner_id in owners, row.new_owner_id in owners
            if before != after:
                moves[row.record_id] = "enter" if after else "drop"
    # Each record once, ordered by its last change in the page: walking the page backwards,
    # the first change met of a record is its last.
    latest: dict[tuple[str, uuid.UUID], None] = {}
    moved: dict[uuid.UUID, set[tuple[str, uuid.UUID]]] = defaultdict(set)
    for row in reversed(rows):
        if moves and row.account_id in moves:
            moved[row.account_id].add((row.entity, row.record_id))
            continue  # covered by the account's whole subtree, or by its drop
        latest.setdefault((row.entity, row.record_id))
    by_entity: dict[str, list[uuid.UUID]] = defaultdict(list)
    for entity, record_id in reversed(latest):
        by_entity[entity].append(record_id)
    # The page's changes again, as a subquery: exactly ``rows``, since everything up to
    # ``new_seq`` is committed and final.
    in_page = ChangeRow.seq > cursor.seq, ChangeRow.seq <= new_seq, condition
    visible = _visible_account_ids(user, select(ChangeRow.account_id).where(*in_page))

    entries: list[Entry] = []
    page = select(ChangeRow.record_id).where(*in_page)
    for entity in BOOTSTRAP_ORDER:  # parents before children
        if by_entity.get(entity):
            entries.extend(_state_entries(entity, by_entity[entity], page, visible))
    gone = [e.id for e in entries if e.entity == "account" and e.op == "delete"]
    if gone:
        entries.extend(_orphaned(gone, {(e.entity, e.id) for e in entries}))
    for account_id, move in moves.items():
        if move == "enter" and account_id in _visible_account_ids(user, {account_id}):
            subtree = _subtree(account_id)
            entries.extend(subtree)
            # Left and back within this page: the device never saw the drop and still
            # holds the records it had; those deleted meanwhile are not in the subtree.
            listed = {(e.entity, e.id) for e in subtree}
            entries.extend(
                Entry(entity, record_id, "delete")
                for entity, record_id in sorted(moved[account_id] - listed, key=str)
            )
        else:  # left the scope, or came back and was deleted: nothing of it stays
            entries.append(Entry("account", account_id, "drop"))
    return Page(Cursor(new_seq, user.scope_generation).encode(), has_more, entries)


# -- bootstrap -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BootstrapCursor:
    """Where an interrupted first download resumes: watermark, entity, last id."""

    watermark: int
    entity_index: int
    after: uuid.UUID | None
    scope: int

    def encode(self) -> str:
        """Opaque string form."""
        after = self.after.hex if self.after else "-"
        return f"b1.{self.watermark}.{self.entity_index}.{after}.{self.scope}"

    @classmethod
    def decode(cls, text: str) -> BootstrapCursor:
        """Parse a bootstrap cursor; ValueError when malformed."""
        parts = text.split(".")
        if len(parts) != 5 or parts[0] != "b1":
            raise ValueError("malformed bootstrap cursor")
        watermark, index, scope = int(parts[1]), int(parts[2]), int(parts[4])
        if not (0 <= index <= len(BOOTSTRAP_ORDER)) or watermark < 0 or not 0 <= scope < 2**31:
            raise ValueError("malformed bootstrap cursor")
        after = None if parts[3] == "-" else uuid.UUID(hex=parts[3])
        return cls(watermark, index, after, scope)


def bootstrap(user: User, cursor: BootstrapCursor | None, *, limit: int) -> Page:
    """One page of the user's whole slice; the last page's cursor is a pull cursor.

    The first page fixes the watermark ``S`` (the change-log head) before reading any
    record. Every page then reads records at a state at least as new as ``S``; whatever
    changes afterwards has a ``seq`` above ``S`` and comes with the pulls that follow.
    """
    if cursor is None:
        cursor = BootstrapCursor(head_seq(), 0, None, user.scope_generation)
    elif cursor.scope != user.scope_generation or cursor.watermark < purge_horizon():
        raise ResyncRequired("Your scope changed during the download: start it again.")
    entries: list[Entry] = []
    index, after = cursor.entity_index, cursor.after
    while index < len(BOOTSTRAP_ORDER) and len(entries) < limit:
        reader = _reader(BOOTSTRAP_ORDER[index])
        model = reader.model
        stmt = access.scoped(reader.select(), model, user, by_id=True).order_by(model.id)
        if after is not None:
            stmt = stmt.where(model.id > after)
        rows = db.session.execute(stmt.limit(limit - len(entries))).all()
        entries.extend(_puts(reader, rows))
        if len(entries) < limit:
            index, after = index + 1, None
        else:
            after = rows[-1].id if rows else after
    if index >= len(BOOTSTRAP_ORDER):
        return Page(Cursor(cursor.watermark, cursor.scope).encode(), False, entries)
    next_cursor = BootstrapCursor(cursor.watermark, index, after, cursor.scope)
    return Page(next_cursor.encode(), True, entries)
