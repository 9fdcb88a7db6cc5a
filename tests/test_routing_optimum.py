"""Small days solved to their proven optimum, and every plan valid.

Each instance has up to 7 candidates and up to 2 appointments (at most 8 stops in any
plan, usually fewer fit): tight hours, lunch, one or two opening windows a day, and
sometimes a driving or a visit limit. ``tests.routing_support.exhaustive_best`` enumerates
every order of every subset with the model's timing rules and keeps the best by the
planner's objective (most priority, then least driving); the solver must match it.
"""

from __future__ import annotations

import pytest

from routing.solver import solve
from routing.validate import violations
from tests.routing_support import exhaustive_best, kept_priority, random_day

#: Work limit: results do not depend on the machine's speed or load (see routing.solver).
BUDGET = 400_000


@pytest.mark.parametrize("seed", range(8))
def test_small_day_reaches_the_exhaustive_optimum(seed: int) -> None:
    """The plan keeps as much priority as the best possible plan, driving as little."""
    problem = random_day(seed, candidates=7, appointments=seed % 3)
    best = exhaustive_best(problem)
    plan = solve(problem, time_limit=5, work_limit=BUDGET)
    assert violations(problem, plan) == []
    assert (kept_priority(problem, plan.visited), plan.driving_seconds) == best


def test_exhaustive_reference_agrees_with_itself_on_a_hand_made_case() -> None:
    """Sanity of the reference: without limits or windows everything fits, driving least."""
    problem = random_day(100, candidates=3, appointments=0)
    gain, _ = exhaustive_best(problem)
    assert gain == kept_priority(problem, [c.id for c in problem.candidates])
