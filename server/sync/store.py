"""The SQLAlchemy side of a push: ``sync.push.Store`` for one device, in one transaction."""

from __future__ import annotations

import contextlib
import math
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from sync.merge import merge_update
from sync.protocol import FOR_REVIEW, Mutation, Outcome, Status, outcome_from_json, outcome_to_json
from sync.push import Applied, Rejected

from .. import access, crud, memo, newrows
from ..accounts.models import Account
from ..auth.models import Device, User
from ..dbfuncs import among, insert_rows
from ..dbtypes import utcnow
from ..errors import field_errors
from ..extensions import db
from ..records import Actor
from . import changelog
from .entities import ENTITIES, resource
from .jsonvalues import encodable, storable
from .models import ChangeRow, ReviewItem, ReviewKind, ReviewStatus, SyncMutation

#: HTTP statuses of the shared write rules, as rejection reasons a device can show.
_REASONS = {403: "forbidden", 404: "not_found", 409: "conflicting_data", 422: "invalid"}
#: Nesting kept of a device's raw fields; deeper parts are replaced by a marker. No form
#: nests this deep, and converting to JSON recurses (a 500-level list hit the stack limit).
MAX_PAYLOAD_DEPTH = 32


class SqlStore:
    """Storage of one device's push (``sync.push.Store``)."""

    def __init__(self, user: User, device: Device) -> None:
        self.user = user
        self.device = device
        self.actor = Actor(user_id=user.id, device_id=device.id)
        #: Stored outcomes waiting for :meth:`finish` (one INSERT for the whole batch).
        self._outcome_rows: list[dict[str, Any]] = []

    # -- bookkeeping -------------------------------------------------------------------

    def lock_device(self) -> None:
        """Write to the device row first: concurrent pushes of one device queue here.

        On PostgreSQL the row lock serializes them; on SQLite the write takes the
        database write lock before anything is read, so a replayed batch always sees
        the first one's results.
        """
        db.session.execute(
            update(Device).where(Device.id == self.device.id).values(last_sync_at=utcnow())
        )
        db.session.refresh(self.device)

    def last_mid(self) -> int:
        """The device's last processed mutation id."""
        return self.device.last_mid

    def set_last_mid(self, mid: int) -> None:
        """Move the device's last processed mutation id, in this transaction."""
        self.device.last_mid = mid

    def stored_outcomes(self, mids: Iterable[int]) -> Mapping[int, Outcome]:
        """Outcomes already given to these mids by this device.

        Only a mid at or below the device's ``last_mid`` can have one: outcomes are stored
        in the transaction that moves ``last_mid`` to the batch's last mid. A batch of new
        mutations (the usual push) therefore asks nothing.
        """
        wanted = [mid for mid in mids if mid <= self.device.last_mid]
        if not wanted:
            return {}
        rows = db.session.scalars(
            select(SyncMutation).where(
                SyncMutation.device_id == self.device.id, among(SyncMutation.mid, wanted)
            )
        )
        return {row.mid: outcome_from_json(row.outcome) for row in rows}

    def failed_creates(self) -> set[uuid.UUID]:
        """Records whose create from this device was rejected or blocked and is still open."""
        return set(
            db.session.scalars(
                select(ReviewItem.record_id).where(
                    ReviewItem.device_id == self.device.id,
                    ReviewItem.op == "create",
                    ReviewItem.kind.in_([ReviewKind.REJECTED, ReviewKind.BLOCKED]),
                    ReviewItem.status == ReviewStatus.OPEN,
                )
            )
        )

    def prefetch(self, mutations: Iterable[Mutation]) -> None:
        """Ask once for what the batch's rules would ask mutation by mutation.

        Inside :func:`server.memo.batch`: whether the ids of the creates are taken, and
        the owner of every account the batch names (by ``account_id`` or as an account).
        """
        creates: dict[str, set[uuid.UUID]] = {}
        accounts: set[uuid.UUID] = set()
        for mutation in mutations:
            if mutation.op == "create":
                creates.setdefault(mutation.entity, set()).add(mutation.id)
            if mutation.entity == "account":
                accounts.add(mutation.id)
            account_id = mutation.fields.get("account_id")
            if isinstance(account_id, str):
                with contextlib.suppress(ValueError):  # validation reports it
                    accounts.add(uuid.UUID(account_id))
        for entity, ids in creates.items():
            res = resource(entity)
            if res is not None:
                crud.prefetch_ids(res.model, ids)
        access.prefetch_accounts(accounts)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Run mutations in a SAVEPOINT; the shared rules' errors become rejections.

        Leaving it by an exception undoes its writes, its change rows, the new rows it
        queued and what the batch memo learned inside it.
        """
        newrows.insert_pending(db.session)  # rows queued before it are not its to undo
        changes, rows, known = changelog.mark(), newrows.mark(), memo.mark()

        def undo() -> None:
            changelog.discard_since(changes)
            newrows.discard_since(rows)
            memo.rewind(known)

        try:
            with db.session.begin_nested():
                yield
        except Rejected:
            undo()
            raise
        except HTTPException as exc:
            undo()
            data = getattr(exc, "data", None) or {}
            messages = data.get("errors") or data.get("messages")
            raise Rejected(
                _REASONS.get(exc.code or 0, "refused"),
                data.get("message") or exc.description or "Refused.",
                {e["field"]: e["detail"] for e in field_errors(messages)} if messages else None,
            ) from exc
        except IntegrityError as exc:
            undo()
            raise Rejected("conflicting_data", "Conflicts with existing data.") from exc
        except StaleDataError as exc:
            undo()
            raise Rejected(
                "concurrent_update", "Changed by someone else at the same time."
            ) from exc

    # -- applying ----------------------------------------------------------------------

    def apply(self, mutation: Mutation) -> Applied:
        """Write one mutation with the REST API's schemas, rules and write layer."""
        spec = ENTITIES.get(mutation.entity)
        res = resource(mutation.entity)
        # Read-only first: status changes and consents have no REST resource of their own.
        if spec is not None and not spec.pushable:
            raise Rejected(
                "read_only", f"{mutation.entity} records are written by the server only."
            )
        if spec is None or res is None:
            raise Rejected("unknown_entity", f"Unknown entity '{mutation.entity}'.")
        if mutation.op == "create":
            # The id is a UUID already (the envelope was loaded): fields.UUID keeps it as is.
            data = self._load(res, {**mutation.fields, "id": mutation.id}, partial=False)
            record = crud.write_create(res, data, self.user, self.actor)
            return Applied(Status.APPLIED, record.version)
        record = db.session.get(res.model, mutation.id)
        already_deleted = record is not None and record.deleted_at is not None
        if mutation.op == "delete" and already_deleted and self._had_in_scope(record):
            return Applied(Status.APPLIED, record.version)  # deleting twice is deleting
        record = access.get_or_404(res.model, mutation.id, self.user)
        if mutation.op == "delete":
            crud.write_delete(res, record, self.user, self.actor)
            return Applied(Status.APPLIED, record.version)
        return self._update(res, record, mutation)

    def _had_in_scope(self, record: Any) -> bool:
        """True when a (possibly deleted) record hangs under an account in the user's scope."""
        account_id = changelog.account_of(record)
        if account_id is None:
            return True
        scope = access.account_ids_in_scope(self.user, include_deleted=True)
        return db.session.execute(scope.where(Account.id == account_id)).first() is not None

    def _update(self, res: crud.Resource, record: Any, mutation: Mutation) -> Applied:
        """Merge a device update with what others changed since its base version."""
        data = self._load(res, dict(mutation.fields), partial=True)
        data.pop("id", None)
        spec = ENTITIES[mutation.entity]
        result = merge_update(
            device_fields=data,
            current={name: getattr(record, name) for name in data},
            server_changed=self._changed_since(mutation),
            policy_of=spec.policy,
            default_policy=spec.default_policy,
        )
        if result.write:
            crud.write_update(res, record, result.write, self.user, self.actor)
        return Applied(result.status, record.version, result.conflicts, result.kept)

    def _changed_since(self, mutation: Mutation) -> dict[str, Any]:
        """Fields others changed after the device's base version -> their value at that base."""
        rows = db.session.scalars(
            select(ChangeRow)
            .where(
                ChangeRow.entity == mutation.entity,
                ChangeRow.record_id == mutation.id,
                ChangeRow.version > (mutation.base_version or 0),
                (ChangeRow.device_id != self.device.id) | ChangeRow.device_id.is_(None),
            )
            .order_by(ChangeRow.seq)
        )
        base: dict[str, Any] = {}
        for row in rows:
            for name, (old, _new) in row.fields.items():
                base.setdefault(name, old)
        return base

    @staticmethod
    def _load(res: crud.Resource, fields: dict[str, Any], *, partial: bool) -> dict[str, Any]:
        """Validate device fields with the resource's REST schema.

        A create is loaded by the schema restricted to what it can use (same data, same
        errors: ``crud.schema_for_create``); an update is partial, unsent fields cost nothing.
        """
        if partial:
            schema = crud.schema_instance(res.schema)
        else:
            schema = crud.schema_for_create(res.schema, fields)
        try:
            return schema.load(fields, partial=partial)
        except ValidationError as err:
            messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
            raise Rejected(
                "invalid",
                "Some fields are invalid.",
                {e["field"]: e["detail"] for e in field_errors(messages)},
            ) from err

    # -- recording ---------------------------------------------------------------------

    def record(self, mutation: Mutation, outcome: Outcome, applied: Applied | None) -> Outcome:
        """Store the outcome (for replays) and, for conflicts and failures, a review item."""
        payload = _as_sent(mutation.fields)
        if outcome.status in FOR_REVIEW:
            item = ReviewItem(
                id=uuid.uuid4(),
                kind=ReviewKind(outcome.status.value),
                device_id=self.device.id,
                user_id=self.user.id,
                mid=mutation.mid,
                entity=mutation.entity[:30],
                record_id=mutation.id,
                account_id=self._account_of(mutation),
                op=mutation.op,
                payload=payload,
                conflicts={
                    c.field: storable(
                        {"base": c.base, "server": c.server, "device": c.device, "winner": c.winner}
                    )
                    for c in (applied.conflicts if applied else ())
                },
                reason=outcome.reason,
                detail=outcome.detail,
                errors=storable(outcome.errors) if outcome.errors else None,
            )
            db.session.add(item)
            outcome = Outcome(**{**outcome.__dict__, "review_id": item.id})
        self._outcome_rows.append(
            {
                "device_id": self.device.id,
                "mid": mutation.mid,
                "user_id": self.user.id,
                "entity": mutation.entity[:30],
                "op": mutation.op,
                "record_id": mutation.id,
                "base_version": mutation.base_version,
                "payload": payload,
                "outcome": storable(outcome_to_json(outcome)),
                "status": outcome.status.value,
                "received_at": utcnow(),
            }
        )
        return outcome

    def finish(self) -> None:
        """Insert the batch's stored outcomes, all at once (same transaction)."""
        if self._outcome_rows:
            insert_rows(db.session.connection(), SyncMutation.__table__, self._outcome_rows)
            self._outcome_rows = []

    def _account_of(self, mutation: Mutation) -> uuid.UUID | None:
        """The account a mutation concerns, so reviewers see only their team's items."""
        if mutation.entity == "account":
            return mutation.id
        res = resource(mutation.entity)
        if res is not None:
            record = db.session.get(res.model, mutation.id)
            if record is not None:
                return changelog.account_of(record)
        try:
            return uuid.UUID(str(mutation.fields.get("account_id")))
        except ValueError:
            return None


def _as_sent(value: Any, depth: int = 0) -> Any:
    """A device's raw fields in a form any JSON column takes, otherwise as sent.

    NaN and infinities (which Python's JSON parser accepts) become their text: JSON and
    PostgreSQL's JSONB have no such numbers. Nesting beyond ``MAX_PAYLOAD_DEPTH`` becomes
    a marker. Text goes through ``storable`` (NUL and lone surrogates replaced); anything
    that is not plain JSON too.
    """
    kind = type(value)
    if kind is str:
        # The common case first: one C-level check instead of storable's walk.
        return value if "\x00" not in value and encodable(value) else storable(value)
    if kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping | list):
        if depth >= MAX_PAYLOAD_DEPTH:
            return "[nested too deep]"
        if isinstance(value, Mapping):
            return {_as_sent(str(k), depth): _as_sent(v, depth + 1) for k, v in value.items()}
        return [_as_sent(v, depth + 1) for v in value]
    return storable(value)
