"""Pull (changes since a cursor) and bootstrap (a consistent snapshot of a user's slice)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import orjson
from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import CursorResult
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import ColumnElement

from sync.protocol import Cursor, ResyncRequired

from .. import access
from ..accounts.models import Account
from ..auth.models import User
from ..dbfuncs import among, unindexed
from ..extensions import db
from . import docs, sqljson
from .entities import BOOTSTRAP_ORDER, CHILD_ENTITIES, model_and_schema, schema_class
from .models import ChangeRow, SyncState

EntryOp = Literal["put", "delete", "drop"]


class Entry(NamedTuple):
    """One record's news for a device (a named tuple: a first sync makes 55,000 of them)."""

    entity: str
    #: The record's id in canonical text form (as the database writes it, or ``str(uuid)``).
    id: str
    op: EntryOp
    version: int | None = None
    #: The record's REST JSON, as written by the database (``sqljson``).
    data: orjson.Fragment | None = None

    def to_json(self) -> dict[str, Any]:
        """Wire form."""
        out: dict[str, Any] = {"entity": self.entity, "id": self.id, "op": self.op}
        if self.version is not None:
            out["version"] = self.version
        if self.data is not None:
            out["data"] = self.data
        return out


class Chunk(NamedTuple):
    """The entries of one entity's records in a page, written by the database as JSON text.

    ``text`` is ``count`` entries' objects separated by commas, in change order: spliced
    into the page's ``changes`` array as it is (``to_json``), it adds them one by one.
    """

    entity: str
    text: str
    count: int

    def to_json(self) -> orjson.Fragment:
        """Wire form: the entries themselves."""
        return orjson.Fragment(self.text)

    def entries(self) -> list[Entry]:
        """The entries it holds, parsed (for the rare page that needs their ids)."""
        out = []
        for item in orjson.loads(f"[{self.text}]"):
            data = item.get("data")
            fragment = None if data is None else orjson.Fragment(orjson.dumps(data))
            out.append(Entry(item["entity"], item["id"], item["op"], item.get("version"), fragment))
        return out


def expanded(entries: Sequence[Entry | Chunk]) -> list[Entry]:
    """``entries`` with every :class:`Chunk` replaced by the entries it holds."""
    out: list[Entry] = []
    for entry in entries:
        out.extend(entry.entries() if isinstance(entry, Chunk) else (entry,))
    return out


@dataclass(frozen=True)
class Page:
    """A page of a pull or bootstrap."""

    cursor: str
    has_more: bool
    #: Entries, and chunks of entries the database wrote (:class:`Chunk`).
    entries: list[Entry | Chunk]


def head_seq() -> int:
    """The highest committed change number (commit order makes everything below final).

    Never below the purge horizon: once every row is purged, a fresh cursor still starts
    past what was forgotten (:func:`head_and_horizon`).
    """
    return head_and_horizon()[0]


def purge_horizon() -> int:
    """Changes up to this seq were purged: older cursors must resync."""
    state = db.session.get(SyncState, 1)
    return state.purged_through_seq if state else 0


#: The change-log head and the purge horizon, in one statement (one snapshot).
_HEAD_AND_HORIZON = select(
    select(func.coalesce(func.max(ChangeRow.seq), 0)).scalar_subquery(),
    func.coalesce(
        select(SyncState.purged_through_seq).where(SyncState.id == 1).scalar_subquery(), 0
    ),
)


def head_and_horizon() -> tuple[int, int]:
    """(:func:`head_seq`, :func:`purge_horizon`), read by one statement."""
    top, horizon = _core(_HEAD_AND_HORIZON).one()
    return max(top or 0, horizon or 0), horizon or 0


def _reader(entity: str) -> sqljson.Reader:
    """How to read ``entity``'s records with their REST JSON on this database."""
    model = model_and_schema(entity)[0]  # type: ignore[index]
    dialect = db.engine.dialect.name
    return sqljson.reader(entity, model, schema_class(entity), dialect, docs.current())


def _puts(reader: sqljson.Reader, rows: Sequence[Any]) -> list[Entry]:
    """``put`` entries of rows read by ``reader.select``."""
    documents = reader.documents(rows)
    return [
        Entry(reader.entity, row.id, "put", row.version, data)
        for row, data in zip(rows, documents, strict=True)
    ]


def _shown(model: type, visible: Select) -> ColumnElement[bool]:
    """SQL: the record exists, is live and hangs under an account of ``visible`` (ids)."""
    shown = and_(model.id.is_not(None), model.deleted_at.is_(None))
    account_column = model.id if model is Account else getattr(model, "account_id", None)
    if account_column is None:  # shared reference data (custom field definitions)
        return shown
    return and_(shown, account_column.in_(visible))


def _core(statement: Executable, params: Mapping[str, Any] | None = None) -> CursorResult[Any]:
    """Run a Core statement of a page on the session's connection, as Core.

    ``Session.execute`` would take it through the ORM layer (compile state, ORM result
    rows) for nothing: these statements select columns, not mapped objects, and the
    page is read in its own transaction with nothing left to flush first. Its rows are
    the same ``Row`` objects; on SQLite, skipping that layer took ~5 ms of a
    1,000-change page's ~45.
    """
    return db.session.connection().execute(statement, params)


@dataclass(frozen=True)
class _Latest:
    """The statements that read the records changed in a page, by their last change.

    For each record the database finds its last change in the page, reads the record,
    decides whether the user sees it (``shown``; else a tombstone) and writes its JSON.
    Entities whose JSON the database writes whole (no column for Python) are read
    ``together``, in one statement over the page's changes grouped once (``ord`` is the
    index of the entity in ``together_entities``); the others ``apart``, one statement each.

    On PostgreSQL the database also writes the whole entries of the entities with no
    field for Python (``encoded``): one row per entity, its entries as one text
    (``string_agg`` in change order, a :class:`Chunk`), so that neither the driver nor
    Python handles those records one by one.
    """

    together_entities: tuple[str, ...]
    together: Select | None
    apart: dict[str, Select]
    #: Entities read together whose columns for Python come packed in ``extra``
    #: (PostgreSQL) or in the slots ``x0``... (SQLite): ``Reader.unpack``.
    packed: frozenset[str]
    #: Entities read together whose entries come as one :class:`Chunk`.
    encoded: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        user: User,
        in_page: Sequence[ColumnElement[bool]],
        *,
        together: bool = True,
        encoded: bool = True,
    ) -> _Latest:
        """The statements for ``user`` over the changes ``in_page`` selects.

        ``together=False`` reads every entity apart, ``encoded=False`` writes no entries
        in SQL (the tests compare the ways).
        """
        entities = [e for e in BOOTSTRAP_ORDER if model_and_schema(e) is not None]
        packed = {e: _reader(e).packed_extra() for e in entities}
        postgres = db.engine.dialect.name == "postgresql"
        # SQLite: columns for Python in untyped columns x0, x1... shared by the entities.
        slots = 0 if postgres else max(len(_reader(e).extra) for e in entities)
        together_entities = tuple(
            e
            for e in entities
            if together and (not _reader(e).extra or packed[e] is not None or slots)
        )
        written = frozenset(
            e for e in together_entities if encoded and postgres and not _reader(e).python_fields
        )
        # Columns for Python, packed in one column (``extra``) where an entity has some.
        any_packed = any(packed[e] is not None for e in together_entities)
        page = (
            select(ChangeRow.entity, ChangeRow.record_id, func.max(ChangeRow.seq).label("last_seq"))
            .where(*in_page)
            .group_by(ChangeRow.entity, ChangeRow.record_id)
            .cte("page")
        )
        visible = access.visible_account_ids(user).cte("visible")
        branches = []
        for index, entity in enumerate(together_entities):
            reader = _reader(entity)
            latest = (
                select(page.c.record_id, page.c.last_seq)
                .where(page.c.entity == entity)
                .subquery(f"latest_{index}")
            )
            shown = _shown(reader.model, select(visible.c.id))
            more = [literal(index).label("ord")]
            if any_packed:
                extra = packed[entity] if packed[entity] is not None else cast(null(), Text)
                more.append(extra.label("extra"))
            if written:  # how many entries a row holds: NULL for a record's own row
                more.append(cast(null(), Integer).label("n"))
            if slots:
                more.extend(reader.slotted(slots))
            branch = reader.select_latest(latest, shown, *more, with_extra=False)
            if entity in written:
                branch = _written(entity, branch.subquery(f"rows_{index}"))
            branches.append(branch)
        union = union_all(*branches).subquery("together") if branches else None
        apart = {}
        for entity in entities:
            if entity in together_entities:
                continue
            reader = _reader(entity)
            latest = (
                select(ChangeRow.record_id, func.max(ChangeRow.seq).label("last_seq"))
                # (The seq range, not the entity, must choose the changes read: ``unindexed``.)
                .where(*in_page, unindexed(ChangeRow.entity) == entity)
                .group_by(ChangeRow.record_id)
                .subquery("latest")
            )
            shown = _shown(reader.model, access.visible_account_ids(user))
            stmt = reader.select_latest(latest, shown)
            apart[entity] = stmt.order_by(stmt.selected_columns.last_seq)
        if union is None:
            return cls((), None, apart, frozenset())
        ordered = select(union).order_by(union.c.ord, union.c.last_seq)
        unpacked = frozenset(
            e for e in together_entities if packed[e] is not None or (slots and _reader(e).extra)
        )
        return cls(together_entities, ordered, apart, unpacked, written)

    def entries(self, present: Collection[str], bounds: dict[str, int]) -> list[Entry | Chunk]:
        """The entries of the page's records, parents first, each entity in change order."""
        rows: dict[str, list[Any]] = defaultdict(list)
        chunks: dict[str, Chunk] = {}
        if self.together is not None and any(e in present for e in self.together_entities):
            for row in _core(self.together, bounds):
                entity = self.together_entities[row.ord]
                if entity in self.encoded:
                    chunks[entity] = Chunk(entity, row.json, row.n)
                else:
                    rows[entity].append(row)
        out: list[Entry | Chunk] = []
        for entity in BOOTSTRAP_ORDER:  # parents before children
            if entity in chunks:
                out.append(chunks[entity])
                continue
            if entity in self.apart and entity in present:
                rows[entity] = _core(self.apart[entity], bounds).all()
            if rows.get(entity):
                found = rows[entity]
                if entity in self.packed:
                    found = _reader(entity).unpack(found, db.engine.dialect)
                out.extend(_entries(entity, found))
        return out


def _written(entity: str, rows: Any) -> Select:
    """One row: the entries of ``rows`` (a :meth:`Reader.select_latest` subquery) as JSON
    text written by the database, in change order, with how many there are (``n``).

    Each is what :meth:`Entry.to_json` gives: ``put`` with the version and the stored
    JSON where the record is shown, else ``delete``. None when ``rows`` is empty.
    """
    head = literal(f'{{"entity":{orjson.dumps(entity).decode()},"id":"', Text)
    put = (
        head.concat(rows.c.id)
        .concat(literal('","op":"put","version":', Text))
        .concat(cast(rows.c.version, Text))
        .concat(literal(',"data":', Text))
        .concat(rows.c.json)
        .concat(literal("}", Text))
    )
    delete = head.concat(rows.c.id).concat(literal('","op":"delete"}', Text))
    entry = case((rows.c.shown, put), else_=delete)
    columns = []
    for column in rows.c:
        if column.key == "last_seq":
            columns.append(func.max(column).label("last_seq"))
        elif column.key == "ord":
            columns.append(func.min(column).label("ord"))
        elif column.key == "n":
            columns.append(cast(func.count(), Integer).label("n"))
        elif column.key == "json":
            order = aggregate_order_by(literal_column("','"), rows.c.last_seq)
            columns.append(func.string_agg(entry, order).label("json"))
        else:
            columns.append(cast(null(), column.type).label(column.key))
    return select(*columns).select_from(rows).having(func.count() > 0)


def _entries(entity: str, rows: Sequence[Any]) -> list[Entry]:
    """Entries of rows of :class:`_Latest`: put when shown, else delete."""
    shown = [row for row in rows if row.shown]
    puts = iter(_puts(_reader(entity), shown))
    return [next(puts) if row.shown else Entry(entity, row.id, "delete") for row in rows]


@dataclass(frozen=True)
class _Queries:
    """The statements of a user's pull pages.

    Built once per user and worker (``_queries``): the page's bounds are parameters
    (``after``, ``until``, ``skip``), so a page neither builds nor hashes a statement
    of hundreds of clauses again (a tenth of a page's time).
    """

    #: The page's end (``top``: the ``skip + 1``-th visible change after the cursor, else
    #: ``until``), whether more follow (``more``), and per entity the page's visible
    #: changes and how many are reassignments: one statement.
    summary: Select
    #: The page's reassignments, in order.
    moves: Select
    #: The condition of a visible change (for the statements made on the fly).
    condition: ColumnElement[bool]
    #: The records changed in the page.
    latest: _Latest

    @classmethod
    def build(cls, user: User) -> _Queries:
        """The statements of ``user``'s pages."""
        in_scope = access.account_ids_in_scope(user, include_deleted=True)
        condition = ChangeRow.account_id.in_(in_scope) | ChangeRow.account_id.is_(None)
        reassigned = access.owner_ids_clause(user, column=ChangeRow.old_owner_id)
        if reassigned is not None:  # an account leaving the user's scope
            condition = condition | reassigned
        in_page = _in_page(condition)
        ends = (
            select(ChangeRow.seq)
            .where(*in_page)
            .order_by(ChangeRow.seq)
            .offset(bindparam("skip"))
            .limit(2)
            .cte("ends")
        )
        found_two = func.count(ends.c.seq) == 2
        until = bindparam("until", type_=BigInteger())
        bound = select(
            case((found_two, func.min(ends.c.seq)), else_=until).label("top"),
            case((found_two, 1), else_=0).label("more"),
        ).cte("bound")
        in_bound = and_(
            ChangeRow.seq > bindparam("after", type_=BigInteger()),
            ChangeRow.seq <= bound.c.top,
            condition,
        )
        return cls(
            summary=select(
                bound.c.top,
                bound.c.more,
                ChangeRow.entity,
                func.count(ChangeRow.old_owner_id).label("moved"),
            )
            .select_from(bound.outerjoin(ChangeRow, in_bound))
            .group_by(bound.c.top, bound.c.more, ChangeRow.entity),
            moves=select(ChangeRow.record_id, ChangeRow.old_owner_id, ChangeRow.new_owner_id)
            .where(*in_page, ChangeRow.old_owner_id.is_not(None))
            .order_by(ChangeRow.seq),
            condition=condition,
            latest=_Latest.build(user, in_page),
        )


def _in_page(condition: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    """The page's visible changes: ``after < seq <= until`` (parameters) and ``condition``."""
    return [
        ChangeRow.seq > bindparam("after", type_=BigInteger()),
        ChangeRow.seq <= bindparam("until", type_=BigInteger()),
        condition,
    ]


#: ``_Queries`` by (database, user, role, team): a worker's recent pullers. About 320 KiB
#: each (tracemalloc), so a worker keeps at most ``_QUERIES_KEPT`` users' (~10 MB) and
#: starts afresh when full; building them again takes a few milliseconds.
_QUERIES: dict[tuple[Any, ...], _Queries] = {}
_QUERIES_KEPT = 32


def _queries(user: User) -> _Queries:
    """``user``'s pull statements, built on their first pull in this worker."""
    key = (db.engine.url, docs.current(), user.id, user.role, user.team_id)
    found = _QUERIES.get(key)
    if found is None:
        if len(_QUERIES) >= _QUERIES_KEPT:
            _QUERIES.clear()
        found = _QUERIES[key] = _Queries.build(user)
    return found


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


def _orphaned(account_ids: list[uuid.UUID], listed: set[tuple[str, str]]) -> list[Entry]:
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
        out.extend(Entry(entity, str(i), "delete") for i in rows if (entity, str(i)) not in listed)
    return out


def pull(user: User, cursor: Cursor, *, limit: int) -> Page:
    """The changes after ``cursor`` that ``user`` may see, latest state per record.

    A page is the next ``limit`` changes the user may see; each record changed in it
    comes once, in its latest state, ordered by entity (parents first) and then by its
    last change in the page. The database does the work: a handful of statements per
    page whatever its size (docs/sync-protocol.md, *How it stays fast*).
    """
    # Read first: everything up to head is committed and final.
    head, horizon = head_and_horizon()
    if cursor.scope != user.scope_generation or cursor.seq < horizon:
        raise ResyncRequired("Your copy is too old or your scope changed: download it again.")
    queries = _queries(user)
    # The page's last change (the limit-th visible one, else the head), whether another
    # follows, and what the page holds per entity. Everything up to the head is committed
    # and final: these are the page's changes.
    rows = _core(queries.summary, {"after": cursor.seq, "until": head, "skip": limit - 1}).all()
    new_seq, has_more = int(rows[0].top), bool(rows[0].more)
    bounds = {"after": cursor.seq, "until": new_seq}
    summary = {row.entity: row.moved for row in rows if row.entity is not None}
    latest = queries.latest
    moves: dict[uuid.UUID, str] = {}
    owners = access.owner_ids(user) if any(summary.values()) else None
    if owners is not None:  # reassignments in the page: accounts entering or leaving
        for record_id, old_owner_id, new_owner_id in _core(queries.moves, bounds):
            before, after = old_owner_id in owners, new_owner_id in owners
            if before != after:
                moves[record_id] = "enter" if after else "drop"
    # The records of a moved account come with its whole subtree, or go with its drop.
    moved: dict[uuid.UUID, set[tuple[str, str]]] = defaultdict(set)
    if moves:
        in_page = _in_page(queries.condition)
        for entity, record_id, account_id in db.session.execute(
            select(ChangeRow.entity, ChangeRow.record_id, ChangeRow.account_id).where(
                *in_page, among(ChangeRow.account_id, list(moves))
            ),
            bounds,
        ):
            moved[account_id].add((entity, str(record_id)))
        unmoved = ChangeRow.account_id.is_(None) | ChangeRow.account_id.not_in(list(moves))
        latest = _Latest.build(user, [*in_page, unmoved])

    entries = latest.entries(summary, bounds)
    gone = [
        uuid.UUID(e.id)
        for e in entries
        if isinstance(e, Entry) and e.entity == "account" and e.op == "delete"
    ]
    if gone:
        entries.extend(_orphaned(gone, {(e.entity, e.id) for e in expanded(entries)}))
    for account_id, move in moves.items():
        if move == "enter" and access.can_see_account(user, account_id):
            subtree = _subtree(account_id)
            entries.extend(subtree)
            # Left and back within this page: the device never saw the drop and still
            # holds the records it had; those deleted meanwhile are not in the subtree.
            listed = {(e.entity, e.id) for e in subtree}
            entries.extend(
                Entry(entity, record_id, "delete")
                for entity, record_id in sorted(moved[account_id] - listed)
            )
        else:  # left the scope, or came back and was deleted: nothing of it stays
            entries.append(Entry("account", str(account_id), "drop"))
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
            after = uuid.UUID(rows[-1].id) if rows else after
    if index >= len(BOOTSTRAP_ORDER):
        return Page(Cursor(cursor.watermark, cursor.scope).encode(), False, entries)
    next_cursor = BootstrapCursor(cursor.watermark, index, after, cursor.scope)
    return Page(next_cursor.encode(), True, entries)
