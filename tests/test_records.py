"""The write layer (server.records) used directly: changes emitted, versions, conflicts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from server import records
from server.accounts.models import Account, StatusChange
from server.enums import LifecycleStatus
from server.extensions import db
from server.records import Actor, Change, SyncedRecord, VersionMismatch

from .conftest import TeamFixture


class Recorder:
    """An ``on_change`` listener that keeps what it hears."""

    def __init__(self) -> None:
        """Start with nothing heard."""
        self.changes: list[Change] = []
        self.records: list[SyncedRecord] = []

    def __call__(self, change: Change, record: SyncedRecord) -> None:
        """Keep ``change`` and the record it is about."""
        self.changes.append(change)
        self.records.append(record)

    def of(self, entity: str) -> list[Change]:
        """The changes heard for ``entity``, in order."""
        return [c for c in self.changes if c.entity == entity]


@pytest.fixture
def recorder(app: Flask) -> Iterator[Recorder]:
    """A listener registered for the test only (the listener list is module-global)."""
    rec = Recorder()
    records.on_change(rec)
    try:
        yield rec
    finally:
        records._listeners.remove(rec)


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An application context whose session is discarded afterwards."""
    with app.app_context():
        yield
        db.session.rollback()


def _account(team: TeamFixture, **values: Any) -> dict[str, Any]:
    """Values of a minimal account owned by rep A."""
    return {"name": "Boulangerie", "owner_id": team.rep_a.id, **values}


def test_create_emits_a_create_change(ctx: None, team: TeamFixture, recorder: Recorder) -> None:
    """A create is announced once, at version 1, with every written field's new value, the
    record's own change before the side effects it causes."""
    actor = Actor(team.rep_a.id, team.rep_a.device_id)
    chosen = uuid.uuid4()
    account = records.create(Account, _account(team, id=chosen, city="Lyon"), actor=actor)
    assert account.id == chosen

    first = recorder.changes[0]
    assert (first.op, first.entity, first.record_id, first.version) == (
        "create",
        "account",
        chosen,
        1,
    )
    assert first.actor == actor
    assert first.at == account.created_at == account.updated_at
    assert first.fields == {
        "name": (None, "Boulangerie"),
        "owner_id": (None, team.rep_a.id),
        "city": (None, "Lyon"),
    }
    assert recorder.records[0] is account
    assert [c.entity for c in recorder.changes] == ["account"]


def test_create_with_status_also_records_the_status_change(
    ctx: None, team: TeamFixture, recorder: Recorder
) -> None:
    """Setting a status on create writes a StatusChange, itself announced after the account."""
    actor = Actor(team.rep_a.id)
    account = records.create(Account, _account(team, status=LifecycleStatus.CLIENT), actor=actor)
    assert [c.entity for c in recorder.changes] == ["account", "status_change"]
    sc = recorder.records[1]
    assert isinstance(sc, StatusChange)
    assert (sc.account_id, sc.from_status, sc.to_status, sc.changed_by_id) == (
        account.id,
        None,
        LifecycleStatus.CLIENT,
        team.rep_a.id,
    )


def test_update_emits_old_and_new_values_of_changed_fields_only(
    ctx: None, team: TeamFixture, recorder: Recorder
) -> None:
    """An update bumps the version by one and announces only the fields that changed."""
    actor = Actor(team.manager.id)
    account = records.create(Account, _account(team, city="Lyon", tags=["bio"]), actor=actor)
    created_at = account.created_at
    change = records.update(
        account,
        {"city": "Bron", "name": "Boulangerie", "tags": ["bio"]},
        actor=actor,
        expected_version=1,
    )
    assert change is not None
    assert (change.op, change.entity, change.record_id, change.version) == (
        "update",
        "account",
        account.id,
        2,
    )
    assert change.fields == {"city": ("Lyon", "Bron")}
    assert account.version == 2
    assert account.updated_at == change.at > created_at
    assert recorder.of("account")[-1] == change


def test_status_update_is_recorded_in_history(
    ctx: None, team: TeamFixture, recorder: Recorder
) -> None:
    """Changing the status writes a StatusChange naming the old and new status and the actor
    (an account created with the default status has no entry before that)."""
    account = records.create(Account, _account(team), actor=Actor(team.rep_a.id))
    records.update(account, {"status": LifecycleStatus.PROSPECT_HOT}, actor=Actor(team.manager.id))
    changes = recorder.of("status_change")
    assert len(changes) == 1
    assert changes[-1].fields["from_status"] == (None, LifecycleStatus.SUSPECT)
    assert changes[-1].fields["to_status"] == (None, LifecycleStatus.PROSPECT_HOT)
    assert changes[-1].fields["changed_by_id"] == (None, team.manager.id)
    assert account.version == 2


def test_no_op_update_returns_none_and_emits_nothing(
    ctx: None, team: TeamFixture, recorder: Recorder
) -> None:
    """Writing the values a record already has changes nothing: no change, no version bump."""
    account = records.create(Account, _account(team, city="Lyon"), actor=Actor(team.rep_a.id))
    db.session.commit()
    heard, updated_at = len(recorder.changes), account.updated_at
    assert (
        records.update(account, {"city": "Lyon", "name": "Boulangerie"}, actor=Actor(team.rep_a.id))
        is None
    )
    db.session.commit()
    assert len(recorder.changes) == heard
    assert (account.version, account.updated_at) == (1, updated_at)


def test_delete_is_soft_and_emits_a_delete_change(
    ctx: None, team: TeamFixture, recorder: Recorder
) -> None:
    """A delete keeps the row, marks it, bumps the version and announces the tombstone."""
    account = records.create(Account, _account(team), actor=Actor(team.rep_a.id))
    db.session.commit()
    change = records.delete(account, actor=Actor(team.manager.id), expected_version=1)
    db.session.commit()
    assert (change.op, change.entity, change.record_id, change.version) == (
        "delete",
        "account",
        account.id,
        2,
    )
    assert change.fields == {"deleted_at": (None, account.deleted_at)}
    assert recorder.changes[-1] == change
    db.session.expire_all()
    row = db.session.get(Account, account.id)
    assert row is not None
    assert row.deleted_at is not None
    assert row.version == 2


def test_stale_expected_version_is_refused(
    ctx: None, team: TeamFixture, recorder: Recorder
) -> None:
    """A write based on an older version raises VersionMismatch and changes nothing."""
    account = records.create(Account, _account(team), actor=Actor(team.rep_a.id))
    records.update(account, {"city": "Lyon"}, actor=Actor(team.rep_a.id))
    heard = len(recorder.changes)
    with pytest.raises(VersionMismatch) as excinfo:
        records.update(account, {"city": "Bron"}, actor=Actor(team.rep_b.id), expected_version=1)
    assert (excinfo.value.current, excinfo.value.expected) == (2, 1)
    with pytest.raises(VersionMismatch):
        records.delete(account, actor=Actor(team.manager.id), expected_version=1)
    assert (account.city, account.deleted_at, len(recorder.changes)) == ("Lyon", None, heard)


def test_read_only_and_unknown_fields_cannot_be_written(ctx: None, team: TeamFixture) -> None:
    """The write layer refuses server-kept fields (version, timestamps) and unknown names."""
    account = records.create(Account, _account(team), actor=Actor(team.rep_a.id))
    for values in ({"version": 7}, {"deleted_at": None}, {"colour": "red"}):
        with pytest.raises(AttributeError):
            records.update(account, values, actor=Actor(team.rep_a.id))
    with pytest.raises(AttributeError):
        records.create(Account, _account(team, created_at=None), actor=Actor(team.rep_a.id))


def test_concurrent_update_loses_with_stale_data_error(
    ctx: None, team: TeamFixture, recorder: Recorder
) -> None:
    """Two writers that read the same version cannot both commit: the second flush fails and
    announces nothing."""
    account = records.create(Account, _account(team, city="Lyon"), actor=Actor(team.rep_a.id))
    db.session.commit()
    account_id = account.id
    heard = len(recorder.changes)
    assert account.city == "Lyon"  # loaded at version 1 in this session

    with Session(db.engine) as other:
        theirs = other.get(Account, account_id)
        assert theirs is not None
        theirs.city = "Bron"
        other.commit()

    with pytest.raises(StaleDataError):
        records.update(account, {"city": "Vienne"}, actor=Actor(team.rep_b.id))
    assert len(recorder.changes) == heard
    db.session.rollback()
    assert db.session.get(Account, account_id).city == "Bron"
    assert db.session.get(Account, account_id).version == 2
