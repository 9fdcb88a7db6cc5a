"""How much a visit to a customer is worth today: a priority from 1 to 100 points.

The planner maximises the total priority of the visits it keeps, so this formula is the
product's answer to "whom should the rep see?". It takes plain values (the server computes
them from the customer base, see ``server.accounts.service.account_kpis``) and returns the
score with its parts, so a plan can explain itself ("due for a visit, 2 follow-ups").

Points, added then clipped to [1, 100]:

============================  ==================================================  =======
part                          rule                                                max
============================  ==================================================  =======
status                        hot prospect 30, warm prospect 20, client 20,        30
                              partner 15, cold prospect 10, former client 8,
                              suspect 5
visit due                     days since the last visit / visit frequency:         30
                              0 up to half the frequency, 20 when due, 30 at
                              twice the frequency or more (linear in between);
                              never visited counts as due; no frequency, 0
follow-ups due                10 per open follow-up due today or earlier           20
overdue payments              5 x log10(1 + overdue EUR / 100): 1,000 EUR = 5,     15
                              10,000 EUR = 10 (a visit collects)
revenue (last 12 months)      4 x log10(1 + revenue EUR / 1,000): 10 kEUR = 4,     12
                              100 kEUR = 8
open opportunities            4 per open opportunity (max 12) + 3 x log10(1 +      20
                              weighted pipeline EUR / 1,000) (max 8)
============================  ==================================================  =======

Logarithms keep one huge account from drowning everything else; the status and the visit
rhythm carry most of the weight because they are what a field-sales manager asks about
first. A manager's pin (must visit) or exclusion is not a priority: it is a flag of the
candidate (``routing.model.Candidate.pinned`` / ``excluded``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .model import MAX_PRIORITY, MIN_PRIORITY

#: Points by lifecycle status (the API's wire values, ``server.enums.LifecycleStatus``).
STATUS_POINTS = {
    "prospect_hot": 30,
    "prospect_warm": 20,
    "client": 20,
    "partner": 15,
    "prospect_cold": 10,
    "former_client": 8,
    "suspect": 5,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Signals:
    """What the customer base says about one customer today (plain values)."""

    status: str
    #: None when never visited.
    days_since_last_visit: int | None = None
    #: The account's target rhythm; None when it has none.
    visit_frequency_days: int | None = None
    followups_due: int = 0
    overdue_amount: float = 0.0
    revenue_12_months: float = 0.0
    open_opportunities: int = 0
    weighted_pipeline: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in STATUS_POINTS:
            raise ValueError(f"unknown status {self.status!r}; one of {sorted(STATUS_POINTS)}")
        for name in ("followups_due", "open_opportunities"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        for name in ("overdue_amount", "revenue_12_months", "weighted_pipeline"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite amount >= 0")
        if self.days_since_last_visit is not None and self.days_since_last_visit < 0:
            raise ValueError("days_since_last_visit must be >= 0")
        if self.visit_frequency_days is not None and self.visit_frequency_days <= 0:
            raise ValueError("visit_frequency_days must be > 0")


@dataclass(frozen=True, slots=True)
class Priority:
    """The score the planner uses, and the parts it is made of (for explanations)."""

    score: int
    parts: tuple[tuple[str, float], ...]


def _log_points(amount: float, unit: float, weight: float, cap: float) -> float:
    return min(cap, weight * math.log10(1 + amount / unit))


def visit_due_points(days_since: int | None, frequency: int | None) -> float:
    """0 up to half the frequency, 20 when due, 30 at twice the frequency or more."""
    if frequency is None:
        return 0.0
    if days_since is None:
        return 20.0
    ratio = days_since / frequency
    if ratio <= 0.5:
        return 0.0
    if ratio <= 1:
        return 40 * (ratio - 0.5)
    return min(30.0, 20 + 10 * (ratio - 1))


def priority(signals: Signals) -> Priority:
    """The priority of a visit to the customer described by ``signals``."""
    s = signals
    parts = (
        ("status", float(STATUS_POINTS[s.status])),
        ("visit_due", visit_due_points(s.days_since_last_visit, s.visit_frequency_days)),
        ("followups_due", float(min(20, 10 * s.followups_due))),
        ("overdue_payments", _log_points(s.overdue_amount, 100, 5, 15)),
        ("revenue", _log_points(s.revenue_12_months, 1000, 4, 12)),
        (
            "opportunities",
            min(12, 4 * s.open_opportunities) + _log_points(s.weighted_pipeline, 1000, 3, 8),
        ),
    )
    total = round(sum(points for _, points in parts))
    return Priority(score=max(MIN_PRIORITY, min(MAX_PRIORITY, total)), parts=parts)
