"""Duplicates benchmark: how long finding likely duplicates takes on a demo base.

    .venv/bin/python bench/duplicates_bench.py                  # 5,000 accounts, SQLite
    .venv/bin/python bench/duplicates_bench.py --accounts 600 --repeats 3
    .venv/bin/python bench/duplicates_bench.py --database-url postgresql://postgres@127.0.0.1:5432/x

Seeds the demo base (``flask demo``'s generator) into an empty database (by default a
SQLite file in a temporary directory; a given URL must name an empty database), then times,
in process, with the app's own functions:

- ``duplicate_pairs`` (``GET /api/accounts/duplicates``) for the admin (every account) and
  for one rep (their own), median of ``--repeats`` runs, with the number of accounts and of
  pairs found;
- ``duplicates_of`` (``GET /api/accounts/{id}/duplicates``) for 50 accounts picked with a
  fixed seed, as the admin: median and slowest call.

No target: the issues set none for duplicates. Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from server import create_app
from server.accounts.duplicates import duplicate_pairs, duplicates_of
from server.accounts.models import Account
from server.auth.models import Role, User
from server.demo import seed_demo
from server.extensions import db


def timed(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median seconds of ``repeats`` calls of ``run``, and the last result."""
    seconds, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        seconds.append(time.perf_counter() - start)
        db.session.expire_all()  # each run reads the accounts again, as a request would
    return statistics.median(seconds), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tournee-dup-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'dup.sqlite'}"
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            db.create_all()
            seed_demo(n_accounts=args.accounts, seed=11, progress=lambda _line: None)
            admin = db.session.scalar(select(User).where(User.role == Role.ADMIN))
            rep = db.session.scalar(select(User).where(User.role == Role.REP).order_by(User.email))
            total = db.session.scalar(select(func.count()).select_from(Account))
            mine = db.session.scalar(
                select(func.count()).select_from(Account).where(Account.owner_id == rep.id)
            )
            print(f"Duplicates on {db.engine.dialect.name}, demo base of {total:,} accounts")
            for who, count in ((admin, total), (rep, mine)):
                seconds, pairs = timed(lambda w=who: duplicate_pairs(w, limit=500), args.repeats)
                print(
                    f"  duplicate_pairs as {who.role.value:<5} ({count:,} accounts in scope): "
                    f"{seconds * 1000:,.0f} ms median of {args.repeats}, {len(pairs)} pairs"
                )
            ids = list(db.session.scalars(select(Account.id).order_by(Account.id)))
            sample = random.Random(3).sample(ids, min(50, len(ids)))
            calls = []
            for account_id in sample:
                account = db.session.get(Account, account_id)
                start = time.perf_counter()
                duplicates_of(account, admin)
                calls.append(time.perf_counter() - start)
            print(
                f"  duplicates_of one account, as admin: {statistics.median(calls) * 1000:,.1f} ms"
                f" median of {len(calls)}, slowest {max(calls) * 1000:,.1f} ms"
            )
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
