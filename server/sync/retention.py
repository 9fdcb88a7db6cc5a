"""Change-log retention: ``flask sync-purge`` forgets changes older than the retention time.

A device whose cursor is older than what was purged is told to resync (410) on its next
pull; its outbox is still pushed first, so nothing it changed or deleted is lost.
Processed mutations (``sync_mutations``) are kept: they make replays idempotent and are
the record of what each device sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import delete, func, select

from ..dbtypes import utcnow
from ..extensions import db
from .models import ChangeRow, SyncState


@dataclass(frozen=True)
class PurgeResult:
    """What a purge removed."""

    removed: int
    purged_through_seq: int


def purge(*, days: int) -> PurgeResult:
    """Delete change rows older than ``days`` days and move the resync horizon past them."""
    horizon = utcnow() - timedelta(days=days)
    last = db.session.scalar(select(func.max(ChangeRow.seq)).where(ChangeRow.at < horizon))
    state = db.session.get(SyncState, 1) or SyncState(id=1, purged_through_seq=0)
    db.session.add(state)
    if last is None or last <= state.purged_through_seq:
        db.session.commit()
        return PurgeResult(0, state.purged_through_seq)
    removed = db.session.execute(delete(ChangeRow).where(ChangeRow.seq <= last)).rowcount
    state.purged_through_seq = last
    state.purged_at = utcnow()
    db.session.commit()
    return PurgeResult(removed or 0, last)


@click.command("sync-purge")
@click.option("--days", type=click.IntRange(min=1), default=None, help="Defaults to the config")
@with_appcontext
def sync_purge_command(days: int | None) -> None:
    """Forget sync changes older than the retention time (TOURNEE_SYNC_RETENTION_DAYS)."""
    days = days or current_app.config["SYNC_RETENTION_DAYS"]
    result = purge(days=days)
    click.echo(
        f"Removed {result.removed} change(s) older than {days} days; "
        f"devices behind change {result.purged_through_seq} will resync."
    )


def init_app(app: Flask) -> None:
    """Register the command."""
    app.cli.add_command(sync_purge_command)
