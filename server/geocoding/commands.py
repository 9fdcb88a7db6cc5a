"""``flask --app server geocode``: place every account whose position is missing or stale."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from routing.geocoding import PROVIDERS, GeocodingChain

from .. import records
from ..accounts.models import Account
from ..extensions import db
from .service import SYSTEM, address_of, get_chain, plan_geocoding

#: Failures listed in full in the summary; beyond, only counted.
MAX_LISTED = 50


@dataclass
class Summary:
    """What a run did, for the closing report."""

    provider: str
    up_to_date: int = 0
    without_address: int = 0
    #: precision -> accounts placed at it.
    placed: Counter[str] = field(default_factory=Counter)
    kept: int = 0
    #: (account, reason) of accounts that could not be placed.
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: (account, reason) where a service failed and the offline fallback answered.
    fell_back: list[tuple[str, str]] = field(default_factory=list)
    changed_meanwhile: int = 0

    def lines(self) -> list[str]:
        """The report, line by line."""
        done = sum(self.placed.values()) + self.kept + len(self.failed)
        out = [f"Geocoded {done} account(s) with {self.provider}."]
        for precision in ("housenumber", "street", "municipality"):
            if self.placed[precision]:
                out.append(f"  {precision:<13} {self.placed[precision]:>6}")
        if self.kept:
            out.append(f"  {'kept':<13} {self.kept:>6}  (a person's position that still fits)")
        out.append(f"  {'not placed':<13} {len(self.failed):>6}")
        if self.fell_back:
            out.append(
                f"{len(self.fell_back)} time(s) the service failed and the offline geocoder"
                " answered; the next run asks the service again:"
            )
            out += [f"  {who}: {why}" for who, why in self.fell_back[:MAX_LISTED]]
        if self.failed:
            out.append("Not placed:")
            out += [f"  {who}: {why}" for who, why in self.failed[:MAX_LISTED]]
            if len(self.failed) > MAX_LISTED:
                out.append(f"  ... and {len(self.failed) - MAX_LISTED} more")
        if self.changed_meanwhile:
            out.append(f"{self.changed_meanwhile} account(s) changed meanwhile: run again.")
        out.append(
            f"Up to date: {self.up_to_date}; without postal code or city: {self.without_address}."
        )
        return out


def accounts_to_geocode(*, everything: bool) -> tuple[list[uuid.UUID], int, int]:
    """Ids of live accounts to geocode, oldest first; and how many are up to date or addressless.

    An account needs geocoding when it has an address and no position settled for
    that address (no position, or its hash is not the address's). ``everything``
    takes every account with an address.
    """
    rows = db.session.execute(
        select(
            Account.id,
            Account.address_line1,
            Account.address_line2,
            Account.postal_code,
            Account.city,
            Account.country,
            Account.geocoded_address_hash,
        )
        .where(Account.deleted_at.is_(None))
        .order_by(Account.created_at, Account.id)
    ).mappings()
    todo, up_to_date, without_address = [], 0, 0
    for row in rows:
        address = address_of(row)
        if address is None:
            without_address += 1
        elif everything or row["geocoded_address_hash"] != address.digest():
            todo.append(row["id"])
        else:
            up_to_date += 1
    return todo, up_to_date, without_address


def geocode_one(account_id: uuid.UUID, chain: GeocodingChain, summary: Summary) -> None:
    """Geocode one account, write and commit it (so an interrupted run resumes here)."""
    account = db.session.get(Account, account_id)
    if account is None or account.deleted_at is not None:
        return
    who = f"{account.id} {account.name}"
    outcome, placement = plan_geocoding(account, chain)
    try:
        if placement.values:
            records.update(account, placement.values, actor=SYSTEM)
        db.session.commit()
    except StaleDataError:
        # Someone saved the account while we asked: theirs wins; the next run retries.
        db.session.rollback()
        summary.changed_meanwhile += 1
        return
    if not outcome.definitive:
        failure = next((a for a in outcome.attempts if a.status == "error"), None)
        summary.fell_back.append((who, failure.detail if failure else outcome.reason))
    if placement.status == "placed" and outcome.result is not None:
        summary.placed[outcome.result.precision] += 1
    elif placement.status == "kept":
        summary.kept += 1
    elif placement.status == "unplaced" or outcome.result is None:
        address = address_of(account)
        summary.failed.append((f"{who} ({address.text() if address else ''})", outcome.reason))


@click.command("geocode")
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Also accounts whose position is up to date (a person's position that fits is kept).",
)
@click.option(
    "--limit", type=click.IntRange(min=1), help="At most this many accounts; run again to go on."
)
@click.option(
    "--provider",
    type=click.Choice(PROVIDERS),
    help="Geocoder for this run instead of TOURNEE_GEOCODER.",
)
@with_appcontext
def geocode_command(everything: bool, limit: int | None, provider: str | None) -> None:
    """Geocode accounts missing a position or whose address changed since.

    Each account is committed as soon as it is done: stop at any time, run again,
    and it goes on where it stopped. Ends with how many accounts were placed at
    each precision and which could not be placed, and why.
    """
    chain = get_chain(provider)
    name = chain.provider.identity if chain.provider else chain.offline.source
    summary = Summary(provider=name)
    todo, summary.up_to_date, summary.without_address = accounts_to_geocode(everything=everything)
    if limit is not None:
        todo = todo[:limit]
    with click.progressbar(todo, label="Geocoding", show_pos=True, show_percent=True) as bar:
        for account_id in bar:
            geocode_one(account_id, chain, summary)
    for line in summary.lines():
        click.echo(line)
