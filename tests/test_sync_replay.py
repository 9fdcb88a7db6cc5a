"""The push algorithm's chunks give the outcomes of one savepoint per mutation.

``sync.push`` applies a batch in chunks, each in one savepoint, and replays a chunk
around a rejected mutation. Against an in-memory store (plain Python, no database), any
batch (rejections while applying, rejections when a savepoint is released, creates
others depend on) gets the same outcomes, the same stored records and the same recorded
outcomes, in the same order, with any chunk size as with chunks of one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.protocol import Mutation, Outcome, Status
from sync.push import Applied, Rejected, process_batch


class MemoryStore:
    """``sync.push.Store`` over a dict: savepoints copy it, a rollback restores the copy.

    A mutation with ``bad`` in its fields is rejected while applied; one with ``late``
    makes the release of every savepoint it was applied in fail (as rows refused by the
    database at release would). A create needs a free id; ``other_id`` names a record
    that must exist (and makes the mutation blocked when that record's create failed).
    """

    def __init__(self) -> None:
        self.records: dict[uuid.UUID, int] = {}
        self.recorded: list[Outcome] = []
        self.savepoints = 0
        self._late = False
        self._last_mid = 0

    def last_mid(self) -> int:
        return self._last_mid

    def stored_outcomes(self, mids: Iterable[int]) -> Mapping[int, Outcome]:
        list(mids)
        return {}

    def failed_creates(self) -> set[uuid.UUID]:
        return set()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        self.savepoints += 1
        before, late_before = dict(self.records), self._late
        self._late = False
        try:
            yield
            if self._late:
                raise Rejected("conflicting_data", "refused at release")
        except Rejected:
            self.records = before
            raise
        finally:
            self._late = late_before or self._late

    def apply(self, mutation: Mutation) -> Applied:
        if mutation.fields.get("bad"):
            raise Rejected("invalid", "bad")
        ref = mutation.fields.get("other_id")
        if ref is not None and uuid.UUID(ref) not in self.records:
            raise Rejected("not_found", "unknown reference")
        if mutation.op == "create":
            if mutation.id in self.records:
                raise Rejected("conflicting_data", "id taken")
            self.records[mutation.id] = mutation.mid
        elif mutation.id not in self.records:
            raise Rejected("not_found", "unknown record")
        else:
            self.records[mutation.id] = mutation.mid
        if mutation.fields.get("late"):
            self._late = True
        return Applied(Status.APPLIED, 1)

    def record(self, mutation: Mutation, outcome: Outcome, applied: Applied | None) -> Outcome:
        self.recorded.append(outcome)
        return outcome

    def set_last_mid(self, mid: int) -> None:
        self._last_mid = mid

    def finish(self) -> None:
        pass


IDS = [uuid.UUID(int=i + 1) for i in range(6)]


@st.composite
def batches(draw: st.DrawFn) -> list[Mutation]:
    """Creates, updates and references over a few ids, some bad, some refused at release."""
    out = []
    for mid in range(1, draw(st.integers(0, 40)) + 1):
        fields: dict[str, Any] = {}
        if draw(st.integers(0, 5)) == 0:
            fields["bad"] = True
        if draw(st.integers(0, 7)) == 0:
            fields["late"] = True
        if draw(st.booleans()):
            fields["other_id"] = str(draw(st.sampled_from(IDS)))
        op = draw(st.sampled_from(["create", "create", "update"]))
        out.append(Mutation(mid, "thing", op, draw(st.sampled_from(IDS)), fields))
    return out


def run(batch: list[Mutation], chunk_size: int) -> tuple[list[Outcome], MemoryStore]:
    """Process ``batch`` in a new store."""
    store = MemoryStore()
    return process_batch(store, batch, chunk_size=chunk_size), store


@settings(max_examples=300, deadline=None)
@given(batches(), st.integers(2, 50))
def test_chunks_give_the_outcomes_of_one_savepoint_per_mutation(
    batch: list[Mutation], chunk_size: int
) -> None:
    """Same outcomes, same records, same recorded outcomes in the same order."""
    one_by_one, alone = run(batch, 1)
    chunked, together = run(batch, chunk_size)
    assert chunked == one_by_one
    assert together.records == alone.records
    assert together.recorded == alone.recorded


def test_a_batch_of_rejections_is_replayed_without_deep_recursion() -> None:
    """1000 rejected mutations in one chunk: each rejected alone, no RecursionError."""
    batch = [Mutation(mid, "thing", "update", uuid.uuid4()) for mid in range(1, 1001)]
    outcomes, _ = run(batch, 1000)
    assert {o.status for o in outcomes} == {Status.REJECTED}
    assert len(outcomes) == 1000


def test_a_clean_chunk_takes_one_savepoint() -> None:
    """The usual batch: one savepoint for the whole chunk."""
    batch = [Mutation(mid, "thing", "create", uuid.uuid4()) for mid in range(1, 501)]
    outcomes, store = run(batch, 500)
    assert {o.status for o in outcomes} == {Status.APPLIED}
    assert store.savepoints == 1
