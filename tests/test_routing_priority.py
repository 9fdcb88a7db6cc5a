"""The documented priority formula: each part as the table in routing.priority says."""

from __future__ import annotations

import pytest

from routing.priority import Signals, priority, visit_due_points


def parts(signals: Signals) -> dict[str, float]:
    """Points per part."""
    return dict(priority(signals).parts)


def test_status_sets_the_base() -> None:
    """A hot prospect outranks a client, who outranks a suspect, all else equal."""
    hot, client, suspect = (
        priority(Signals(status=s)).score for s in ("prospect_hot", "client", "suspect")
    )
    assert (hot, client, suspect) == (30, 20, 5)


def test_visit_due_follows_the_rhythm() -> None:
    """0 up to half the frequency, 20 when due, 30 at twice the frequency; never = due."""
    assert visit_due_points(10, 30) == 0
    assert visit_due_points(15, 30) == 0
    assert visit_due_points(30, 30) == 20
    assert visit_due_points(45, 30) == 25
    assert visit_due_points(90, 30) == 30
    assert visit_due_points(None, 30) == 20
    assert visit_due_points(400, None) == 0


def test_money_and_pipeline_are_logarithmic_and_capped() -> None:
    """10x the overdue amount adds 5 points, not 10x; caps hold for huge accounts."""
    small = parts(Signals(status="client", overdue_amount=10_000))["overdue_payments"]
    large = parts(Signals(status="client", overdue_amount=100_000))["overdue_payments"]
    assert large - small == pytest.approx(5, abs=0.1)
    huge = parts(
        Signals(
            status="client",
            overdue_amount=1e9,
            revenue_12_months=1e9,
            open_opportunities=10,
            weighted_pipeline=1e9,
        )
    )
    assert huge["overdue_payments"] == 15
    assert huge["revenue"] == 12
    assert huge["opportunities"] == 20


def test_score_is_clipped_to_the_planner_range() -> None:
    """Everything at once is 100; nothing at all is still 1 or more."""
    everything = Signals(
        status="prospect_hot",
        days_since_last_visit=100,
        visit_frequency_days=30,
        followups_due=5,
        overdue_amount=1e6,
        revenue_12_months=1e6,
        open_opportunities=5,
        weighted_pipeline=1e6,
    )
    assert priority(everything).score == 100
    assert priority(Signals(status="suspect")).score >= 1


def test_follow_ups_count_up_to_two() -> None:
    """10 points per follow-up due, at most 20."""
    assert parts(Signals(status="client", followups_due=1))["followups_due"] == 10
    assert parts(Signals(status="client", followups_due=7))["followups_due"] == 20


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": "vip"}, "unknown status"),
        ({"status": "client", "followups_due": -1}, "followups_due"),
        ({"status": "client", "overdue_amount": float("inf")}, "overdue_amount"),
        ({"status": "client", "visit_frequency_days": 0}, "visit_frequency_days"),
        ({"status": "client", "days_since_last_visit": -3}, "days_since_last_visit"),
    ],
)
def test_signals_are_checked(kwargs: dict, message: str) -> None:
    """Impossible values are refused with the field's name."""
    with pytest.raises(ValueError, match=message):
        Signals(**kwargs)
