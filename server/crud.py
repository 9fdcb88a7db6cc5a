"""One implementation of list / create / read / update / delete for every synced resource.

Each resource package declares a :class:`Resource` (model, schema, filters,
rules) and calls :func:`register`. Scoping (``server.access``), optimistic
concurrency (ETag / If-Match), validation errors as 422 with field names, and
writes through ``server.records`` are therefore the same everywhere.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, ValidationError, fields, missing
from sqlalchemy import Select, func, select

from . import access, memo, records
from .auth.models import Role, User
from .auth.tokens import current_actor, current_user
from .dbfuncs import among
from .extensions import db
from .fields import Line, Timestamp
from .records import Actor, SyncedRecord

ALL_ROLES = (Role.REP, Role.MANAGER, Role.ADMIN)
MAX_PAGE_SIZE = 500

#: (stmt, query args, user) -> stmt with the resource's own filters applied.
Filter = Callable[[Select, Mapping[str, Any], User], Select]
#: (values after merge, record or None on create, user) -> values to write; raises
#: ValidationError({field: [message]}) for a 422, or aborts for 403/409.
Prepare = Callable[[dict[str, Any], Any, User], dict[str, Any]]


class ListArgs(Schema):
    """Query arguments every list endpoint accepts."""

    sort = Line(
        200,
        metadata={"description": "Comma-separated fields, '-' for descending: '-updated_at,name'"},
    )
    updated_since = Timestamp(metadata={"description": "Only records changed after this time"})


class ChildListArgs(ListArgs):
    """Query arguments of lists of records that belong to an account."""

    account_id = fields.UUID()


class RecordSchema(Schema):
    """Fields every synced record has; the client may choose ``id`` on create."""

    id = fields.UUID(metadata={"description": "Client-generated UUID allowed on create"})
    created_at = Timestamp(dump_only=True)
    updated_at = Timestamp(dump_only=True)
    version = fields.Integer(dump_only=True)


@dataclass(frozen=True)
class Resource:
    """How one synced resource is exposed over the REST API."""

    model: type[SyncedRecord]
    schema: type[Schema]
    query_schema: type[Schema]
    plural: str
    title: str
    sortable: tuple[str, ...]
    default_sort: str
    filter: Filter | None = None
    prepare: Prepare | None = None
    write_roles: tuple[Role, ...] = ALL_ROLES
    delete_roles: tuple[Role, ...] = ALL_ROLES
    #: Fields that cannot change after creation.
    immutable: tuple[str, ...] = ()
    #: field -> model of a record that must belong to the same account.
    same_account_refs: Mapping[str, type[SyncedRecord]] = field(default_factory=dict)


@functools.cache
def schema_instance(schema: type[Schema]) -> Schema:
    """One instance per schema class, reused: building one copies every field (slow).

    A marshmallow schema keeps no state between ``load``/``dump`` calls; ``partial`` is
    passed to ``load`` instead of the constructor.
    """
    return schema()


def schema_for_create(schema: type[Schema], sent: Iterable[str]) -> Schema:
    """A schema that loads a create sent with the keys ``sent`` exactly as ``schema()`` does.

    Loading visits every field of the schema, sent or not (a few microseconds each); one
    that is neither sent, required nor defaulted adds nothing to the result nor to the
    errors. The schema restricted to the sent, required and defaulted fields (``only``, in
    the schema's order) gives the same data and the same errors; a sent key that is not a
    loadable field stays unknown to it, as to the whole schema. The sync push loads each
    create with it: a record usually sends a third of its schema's fields.
    """
    full = schema_instance(schema)
    by_key = _load_keys(schema)
    names = frozenset(by_key[key] for key in sent if key in by_key) | _always_loaded(schema)
    if len(names) == len(full.load_fields):
        return full
    return _restricted(schema, names)


@functools.cache
def _load_keys(schema: type[Schema]) -> dict[str, str]:
    """Input key -> field name, for the fields ``schema`` loads."""
    fields_ = schema_instance(schema).load_fields
    return {f.data_key if f.data_key is not None else name: name for name, f in fields_.items()}


@functools.cache
def _always_loaded(schema: type[Schema]) -> frozenset[str]:
    """Fields that give a value or an error even when not sent: required or defaulted."""
    return frozenset(
        name
        for name, f in schema_instance(schema).load_fields.items()
        if f.required or f.load_default is not missing
    )


@functools.lru_cache(maxsize=256)
def _restricted(schema: type[Schema], names: frozenset[str]) -> Schema:
    """``schema`` restricted to ``names`` (one instance per set of names, reused)."""
    return schema(only=[name for name in schema_instance(schema).load_fields if name in names])


def etag_data(record: SyncedRecord) -> dict[str, Any]:
    """What an ETag is computed from: identity and version, nothing else."""
    return {"id": str(record.id), "version": record.version}


def invalid(messages: Mapping[str, Any]) -> None:
    """Abort with 422 naming the failing body fields."""
    abort(422, errors={"json": messages})


def sort_order(model: type, spec: str | None, res: Resource) -> list[Any]:
    """ORDER BY terms of a ``-a,b`` spec restricted to ``res.sortable``; id breaks ties."""
    order = []
    for raw in (spec or res.default_sort).split(","):
        name = raw.strip()
        desc = name.startswith("-")
        name = name.lstrip("-+")
        if name not in res.sortable:
            abort(
                422,
                errors={
                    "query": {"sort": [f"Cannot sort by '{name}'; use one of {res.sortable}."]}
                },
            )
        column = getattr(model, name)
        order.append(column.desc() if desc else column.asc())
    return [*order, model.id]


def paginate(stmt: Select, pagination_parameters: Any, *order: Any) -> list[Any]:
    """One page of ``stmt`` sorted by ``order``, and its total for the X-Pagination header.

    Every paginated list of the API goes through here, so a page past the end is an empty
    list everywhere (which also keeps a huge page number out of OFFSET, where it overflows).
    """
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pagination_parameters.item_count = total
    page, size = pagination_parameters.page, pagination_parameters.page_size
    if (page - 1) * size >= total:
        return []
    return list(db.session.scalars(stmt.order_by(*order).limit(size).offset((page - 1) * size)))


def _check_references(res: Resource, values: Mapping[str, Any], user: User) -> None:
    """Refuse an account or sibling reference the caller cannot see or that does not match."""
    errors: dict[str, list[str]] = {}
    account_id = values.get("account_id")
    owned = hasattr(res.model, "account_id")
    if owned and (account_id is None or not access.can_see_account(user, account_id)):
        errors["account_id"] = ["Unknown account."]
    for name, ref_model in res.same_account_refs.items():
        ref_id = values.get(name)
        if ref_id is None:
            continue
        ref = access.find_visible(ref_model, ref_id, user)
        if ref is None or ref.account_id != account_id:
            errors[name] = [f"Unknown {ref_model.__entity__} for this account."]
    if errors:
        invalid(errors)


def _prepare(res: Resource, values: dict[str, Any], record: Any, user: User) -> dict[str, Any]:
    """Run the resource's own checks, turning ValidationError into a 422."""
    if res.prepare is None:
        return values
    try:
        return res.prepare(values, record, user)
    except ValidationError as err:
        invalid(err.messages if isinstance(err.messages, dict) else {"_schema": err.messages})
        raise  # unreachable: abort raised


def id_taken(model: type[SyncedRecord], record_id: uuid.UUID) -> bool:
    """True when a record of ``model`` (live or deleted) has this id."""
    batch = memo.current()
    if batch is None:
        return db.session.get(model, record_id) is not None
    if memo.written(model, record_id) is not None:
        return True
    key = ("exists", model, record_id)
    if key not in batch.answers:
        prefetch_ids(model, [record_id])
    return batch.answers[key]


def prefetch_ids(model: type[SyncedRecord], record_ids: Iterable[Any]) -> None:
    """Learn which of these ids ``model`` already has, in one query (inside a batch)."""
    batch = memo.current()
    if batch is None:
        return
    wanted = {i for i in record_ids if isinstance(i, uuid.UUID)}
    wanted = {i for i in wanted if ("exists", model, i) not in batch.answers}
    if not wanted:
        return
    found = set(db.session.scalars(select(model.id).where(among(model.id, wanted))))
    for record_id in wanted:
        batch.answers[("exists", model, record_id)] = record_id in found


def live_ids_of_account(
    model: type[SyncedRecord], ids: Iterable[uuid.UUID], account_id: Any
) -> set[uuid.UUID]:
    """Which of ``ids`` are live ``model`` records of ``account_id`` (any scope)."""
    found, unknown = set(), []
    for record_id in ids:
        record = memo.written(model, record_id)
        if record is None:
            unknown.append(record_id)
        elif record.deleted_at is None and record.account_id == account_id:
            found.add(record_id)
    if unknown:
        found.update(
            db.session.scalars(
                select(model.id).where(
                    model.id.in_(unknown),
                    model.account_id == account_id,
                    model.deleted_at.is_(None),
                )
            )
        )
    return found


def write_create(res: Resource, data: dict[str, Any], user: User, actor: Actor) -> Any:
    """Create a record of ``res`` from validated ``data`` through every rule (REST and sync).

    Aborts with 403 (role), 409 (id taken) or 422 (rules, references).
    """
    access.require_role(user, *res.write_roles)
    model = res.model
    if data.get("id") is not None and id_taken(model, data["id"]):
        abort(409, message=f"A {model.__entity__} with id {data['id']} already exists.")
    values = _prepare(res, dict(data), None, user)
    _check_references(res, values, user)
    return records.create(model, values, actor=actor)


def write_update(
    res: Resource, record: Any, data: dict[str, Any], user: User, actor: Actor
) -> records.Change | None:
    """Apply validated partial ``data`` to ``record`` through every rule (REST and sync)."""
    if "id" in data and data["id"] != record.id:
        invalid({"id": ["Cannot be changed."]})
    data = {k: v for k, v in data.items() if k != "id"}
    for name in res.immutable:
        if name in data and data[name] != getattr(record, name):
            invalid({name: ["Cannot be changed."]})
    loadable = schema_instance(res.schema).load_fields
    current = {key: getattr(record, key) for key in loadable if key != "id"}
    merged = _prepare(res, {**current, **data}, record, user)
    _check_references(res, merged, user)
    return records.update(record, merged, actor=actor)


def write_delete(res: Resource, record: Any, user: User, actor: Actor) -> records.Change:
    """Soft-delete ``record`` if the caller's role may (REST and sync)."""
    access.require_role(user, *res.delete_roles)
    return records.delete(record, actor=actor)


#: entity name -> its Resource, filled by :func:`register` (the sync push uses it).
RESOURCES: dict[str, Resource] = {}


def register(blp: Blueprint, res: Resource, url: str) -> None:
    """Add ``url`` (collection) and ``url/<id>`` (item) views for ``res`` to ``blp``."""
    model, schema = res.model, res.schema
    RESOURCES[model.__entity__] = res
    name = model.__name__

    def list_records(self: MethodView, args: dict[str, Any], pagination_parameters: Any) -> Any:
        user = current_user()
        stmt = access.scoped(select(model), model, user)
        if args.get("updated_since") is not None:
            stmt = stmt.where(model.updated_at > args["updated_since"])
        if args.get("account_id") is not None and hasattr(model, "account_id"):
            stmt = stmt.where(model.account_id == args["account_id"])
        if res.filter is not None:
            stmt = res.filter(stmt, args, user)
        order = sort_order(model, args.get("sort"), res)
        return paginate(stmt, pagination_parameters, *order)

    def create_record(self: MethodView, data: dict[str, Any]) -> Any:
        record = write_create(res, data, current_user(), current_actor())
        db.session.commit()
        blp.set_etag(etag_data(record))
        location = url_for(f"{blp.name}.{name}ById", record_id=record.id)
        return record, 201, {"Location": location}

    def get_record(self: MethodView, record_id: uuid.UUID) -> Any:
        record = access.get_or_404(model, record_id, current_user())
        blp.set_etag(etag_data(record))
        return record

    def update_record(self: MethodView, data: dict[str, Any], record_id: uuid.UUID) -> Any:
        user = current_user()
        record = access.get_or_404(model, record_id, user)
        access.require_role(user, *res.write_roles)
        blp.check_etag(etag_data(record))
        write_update(res, record, data, user, current_actor())
        db.session.commit()
        blp.set_etag(etag_data(record))
        return record

    def delete_record(self: MethodView, record_id: uuid.UUID) -> None:
        user = current_user()
        record = access.get_or_404(model, record_id, user)
        access.require_role(user, *res.delete_roles)
        blp.check_etag(etag_data(record))
        write_delete(res, record, user, current_actor())
        db.session.commit()

    title = res.title
    collection = type(
        f"{name}s",
        (MethodView,),
        {
            "get": blp.doc(summary=f"List {res.plural}")(
                blp.arguments(res.query_schema, location="query")(
                    blp.response(200, schema(many=True))(
                        blp.paginate(page_size=50, max_page_size=MAX_PAGE_SIZE)(list_records)
                    )
                )
            ),
            # etag: the 201 carries the ETag create_record sets, ready for a first PATCH.
            "post": blp.doc(summary=f"Create {title}")(
                blp.etag(blp.arguments(schema)(blp.response(201, schema)(create_record)))
            ),
        },
    )
    item = type(
        f"{name}ById",
        (MethodView,),
        {
            "get": blp.doc(summary=f"Get one {title}")(blp.response(200, schema)(get_record)),
            "patch": blp.doc(summary=f"Update {title} (send If-Match with its ETag)")(
                blp.arguments(schema(partial=True))(blp.response(200, schema)(update_record))
            ),
            "delete": blp.doc(summary=f"Delete {title} (soft delete; send If-Match)")(
                blp.response(204)(delete_record)
            ),
        },
    )
    blp.route(url)(collection)
    blp.route(f"{url}/<uuid:record_id>")(blp.etag(item))
