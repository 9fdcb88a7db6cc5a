"""The Solomon benchmark's command line: its output contract and its independent checks.

Instances come from the shared benchmark data when present (outside the repository);
a small instance in the same format is written here so the contract is always tested.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "routing_bench.py"
# ../shared beside the checkout, as on the developers' machines and in CI.
SHARED = ROOT.parent / "shared" / "data" / "solomon" / "C101.txt"

SMALL = """TINY

VEHICLE
NUMBER     CAPACITY
  3         20

CUSTOMER
CUST NO.   XCOORD.   YCOORD.    DEMAND   READY TIME   DUE DATE   SERVICE TIME

    0          50      50           0       0         500           0
    1          60      50          10      10          60          10
    2          40      50          10      10          60          10
    3          50      70           5      50         150          10
    4          50      30           5       0         300          10
   10          80      80          10     100         200          10
"""


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the benchmark script as a user would."""
    return subprocess.run(
        [sys.executable, str(BENCH), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_csv_lines_and_routes_out(tmp_path: Path) -> None:
    """One 4-column CSV line per instance; routes use the file's customer numbers and
    serve each customer once; the feasibility check in floating point passes."""
    instance = tmp_path / "TINY.txt"
    instance.write_text(SMALL)
    routes_file = tmp_path / "routes.json"
    done = run_bench("--time-limit", "0.5", "--routes-out", str(routes_file), str(instance))
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    name, vehicles, distance, seconds = line.split(",")
    assert name == "TINY"
    assert 1 <= int(vehicles) <= 3
    assert float(distance) > 0
    assert float(seconds) < 30
    routes = json.loads(routes_file.read_text())["TINY"]
    assert sorted(c for r in routes for c in r) == [1, 2, 3, 4, 10]
    assert len(routes) == int(vehicles)
    assert "INFEASIBLE" not in done.stderr


@pytest.mark.skipif(not SHARED.exists(), reason="shared Solomon data not on this machine")
def test_solomon_instance_reports_its_gap() -> None:
    """On a real instance the gap to the distance-only best known goes to stderr."""
    done = run_bench("--time-limit", "0.5", str(SHARED))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("C101,")
    assert "C101: gap" in done.stderr
    assert "mean gap" in done.stderr


@pytest.mark.parametrize("portfolio", ["3:ils_descent", "0:gls:0.3"])
def test_portfolio_option_runs_the_given_search(tmp_path: Path, portfolio: str) -> None:
    """--portfolio picks each worker's seed and metaheuristic (and GLS lambda): every
    kind of search serves each customer once, feasibly."""
    instance = tmp_path / "TINY.txt"
    instance.write_text(SMALL)
    routes_file = tmp_path / "routes.json"
    done = run_bench(
        "--time-limit", "0.5", "--workers", "1", "--portfolio", portfolio,
        "--routes-out", str(routes_file), str(instance),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    routes = json.loads(routes_file.read_text())["TINY"]
    assert sorted(c for r in routes for c in r) == [1, 2, 3, 4, 10]
    assert "INFEASIBLE" not in done.stderr
