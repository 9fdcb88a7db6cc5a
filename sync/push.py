"""Processing a device's pushed batch: order, idempotency, failure isolation, dependencies.

The algorithm is here, as plain Python; the storage (records, change log, stored outcomes,
review items) is behind :class:`Store`, which the server implements with SQLAlchemy inside
one transaction. See docs/sync-protocol.md.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from .merge import FieldConflict
from .protocol import BadBatch, Mutation, Outcome, Status


class Rejected(Exception):
    """A mutation that cannot be applied; it is kept for review, never dropped."""

    def __init__(self, reason: str, detail: str, errors: Mapping[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.errors = errors


@dataclass(frozen=True)
class Applied:
    """What applying one mutation did."""

    status: Status
    version: int | None
    conflicts: tuple[FieldConflict, ...] = ()
    kept: Mapping[str, str] | None = None


class Store(Protocol):
    """What the push algorithm needs from storage, all within one transaction."""

    def last_mid(self) -> int:
        """The highest mutation id of this device processed so far."""

    def stored_outcomes(self, mids: Iterable[int]) -> Mapping[int, Outcome]:
        """Outcomes already given to these mids (a replay returns them unchanged)."""

    def failed_creates(self) -> set[uuid.UUID]:
        """Ids of records whose create from this device was rejected or blocked, unresolved."""

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested transaction: leaving it by an exception undoes only this mutation."""

    def apply(self, mutation: Mutation) -> Applied:
        """Write one mutation through the application's rules, or raise :class:`Rejected`."""

    def record(self, mutation: Mutation, outcome: Outcome, applied: Applied | None) -> Outcome:
        """Store the outcome (and a review item when due); return it with its review id."""

    def set_last_mid(self, mid: int) -> None:
        """Move the device's last processed mutation id (same transaction as the effects)."""

    def finish(self) -> None:
        """Write whatever :meth:`record` kept for later (the batch is processed)."""


def check_order(mutations: Sequence[Mutation]) -> None:
    """Mutation ids must strictly increase within a batch (the device's outbox order)."""
    for previous, current in itertools.pairwise(mutations):
        if current.mid <= previous.mid:
            raise BadBatch(
                f"mutation ids must strictly increase: {current.mid} follows {previous.mid}"
            )


def check_not_behind(
    mutations: Sequence[Mutation], stored: Mapping[int, Outcome], last_mid: int
) -> None:
    """A new mutation must come after the device's last processed one.

    A mid at or below ``last_mid`` was processed already, so its outcome is stored; one
    without a stored outcome went backwards: applying it would break the rule that a
    mid at or below ``last_mid`` is never applied (again), so the batch is refused whole.
    """
    for mutation in mutations:
        if mutation.mid <= last_mid and mutation.mid not in stored:
            raise BadBatch(
                f"mutation id {mutation.mid} was never received but is not above the last "
                f"processed id {last_mid}: mutation ids must strictly increase"
            )


def referenced_ids(mutation: Mutation) -> set[uuid.UUID]:
    """Records a mutation depends on: its own (update/delete) and those its fields name."""
    ids = set() if mutation.op == "create" else {mutation.id}
    for name, value in mutation.fields.items():
        values = value if name == "contact_ids" and isinstance(value, list) else [value]
        if name.endswith("_id") or name == "contact_ids":
            ids.update(_as_uuid(v) for v in values if _as_uuid(v) is not None)
    ids.discard(None)  # type: ignore[arg-type]
    return ids


def _as_uuid(value: Any) -> uuid.UUID | None:
    """``value`` as a UUID, or None when it is not one (validation reports that later)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


#: New mutations applied together in one savepoint. A rejection among them rolls the
#: chunk back and replays it: the mutations before the rejected one as a chunk, the
#: rejected one in its own savepoint, the rest as a chunk (see :func:`_process_chunk`), so
#: that a rejection still undoes only itself. Savepoints (and the inserts each one's
#: release sends) cost more than the writes when every mutation has its own.
CHUNK_SIZE = 500


def process_batch(
    store: Store, mutations: Sequence[Mutation], *, chunk_size: int | None = None
) -> list[Outcome]:
    """Apply a device's batch and return one outcome per mutation, in order.

    A mutation already processed (its outcome is stored) is not applied again: its
    original outcome is returned. New ones are applied in chunks, each in a savepoint;
    a chunk in which a mutation is rejected is undone and replayed around it, so a
    rejection undoes only itself. One that depends on a failed create is blocked. The
    device's last mid moves in the caller's transaction, with the effects.
    """
    check_order(mutations)
    stored = store.stored_outcomes(m.mid for m in mutations)
    check_not_behind(mutations, stored, store.last_mid())
    failed = store.failed_creates()
    fresh = [m for m in mutations if m.mid not in stored]
    new: dict[int, Outcome] = {}
    size = max(chunk_size or CHUNK_SIZE, 1)
    for start in range(0, len(fresh), size):
        chunk = fresh[start : start + size]
        for outcome in _process_chunk(store, chunk, failed):
            new[outcome.mid] = outcome
    store.finish()
    if mutations:
        store.set_last_mid(max(store.last_mid(), mutations[-1].mid))
    return [stored[m.mid] if m.mid in stored else new[m.mid] for m in mutations]


def _process_chunk(
    store: Store, chunk: Sequence[Mutation], failed: set[uuid.UUID]
) -> list[Outcome]:
    """Apply ``chunk`` in one savepoint; on a rejection, undo it and replay around it.

    When mutation ``i`` is rejected while being applied, the replay is: ``chunk[:i]``
    as a chunk (it applied before, on the same state), ``chunk[i]`` alone, and
    ``chunk[i + 1:]`` as a chunk, each part by this same rule. When the savepoint fails
    as a whole (its rows refused at release), no mutation is known to be at fault: the
    chunk is replayed one savepoint per mutation. Either way every rejection ends in a
    savepoint of its own, and the outcomes are those of one savepoint per mutation.
    """
    outcomes: list[Outcome] = []
    while len(chunk) > 1:
        tried = _try_chunk(store, chunk, failed)
        if isinstance(tried, list):
            return outcomes + tried
        if tried is None:
            return outcomes + [_process_one(store, mutation, failed) for mutation in chunk]
        outcomes.extend(_process_chunk(store, chunk[:tried], failed))
        outcomes.append(_process_one(store, chunk[tried], failed))
        chunk = chunk[tried + 1 :]
    if chunk:
        outcomes.append(_process_one(store, chunk[0], failed))
    return outcomes


def _try_chunk(
    store: Store, chunk: Sequence[Mutation], failed: set[uuid.UUID]
) -> list[Outcome] | int | None:
    """Apply ``chunk`` in one savepoint and record the outcomes.

    On a rejection nothing of the chunk is kept (nor recorded), and the answer is the
    position of the mutation that was rejected, or None when the savepoint's release
    was refused.
    """
    failed_before = set(failed)
    done: list[tuple[Mutation, Outcome | None, Applied | None]] = []
    releasing = False
    try:
        with store.savepoint():
            for mutation in chunk:
                blocked = _blocked(mutation, failed)
                if blocked is not None:
                    done.append((mutation, blocked, None))
                else:
                    done.append((mutation, None, store.apply(mutation)))
            releasing = True
    except Rejected:
        failed.clear()
        failed.update(failed_before)
        return None if releasing else len(done)
    return [
        store.record(mutation, blocked or _written(mutation, applied), applied)  # type: ignore[arg-type]
        for mutation, blocked, applied in done
    ]


def _blocked(mutation: Mutation, failed: set[uuid.UUID]) -> Outcome | None:
    """The ``blocked`` outcome of a mutation that depends on a failed create, else None."""
    if not failed:
        return None  # nothing to depend on (the usual case: skip parsing every reference)
    blockers = referenced_ids(mutation) & failed
    if not blockers:
        return None
    if mutation.op == "create":
        failed.add(mutation.id)
    return Outcome(
        mutation.mid,
        Status.BLOCKED,
        mutation.id,
        reason="depends_on_rejected",
        detail="Depends on a record whose creation was rejected: "
        + ", ".join(sorted(str(b) for b in blockers)),
    )


def _written(mutation: Mutation, applied: Applied) -> Outcome:
    """The outcome of a mutation that was written."""
    merged = applied.kept and applied.status is not Status.APPLIED
    return Outcome(
        mutation.mid,
        applied.status,
        mutation.id,
        version=applied.version,
        fields=dict(applied.kept) if merged else None,
        detail=_describe(applied.conflicts),
    )


def _process_one(store: Store, mutation: Mutation, failed: set[uuid.UUID]) -> Outcome:
    """Apply, block or reject one new mutation in its own savepoint, and record what happened."""
    blocked = _blocked(mutation, failed)
    if blocked is not None:
        return store.record(mutation, blocked, None)
    try:
        with store.savepoint():
            applied = store.apply(mutation)
    except Rejected as rejection:
        if mutation.op == "create":
            failed.add(mutation.id)
        outcome = Outcome(
            mutation.mid,
            Status.REJECTED,
            mutation.id,
            reason=rejection.reason,
            detail=rejection.detail,
            errors=rejection.errors,
        )
        return store.record(mutation, outcome, None)
    return store.record(mutation, _written(mutation, applied), applied)


def _describe(conflicts: Iterable[FieldConflict]) -> str | None:
    """A sentence for the device's sync screen."""
    parts = [f"{c.field}: {c.winner} value kept" for c in conflicts]
    return ("Changed on both sides; " + "; ".join(parts)) if parts else None
