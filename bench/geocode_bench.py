"""Offline geocoding benchmark: load time, memory, throughput, and resolution of valid pairs.

    .venv/bin/python bench/geocode_bench.py [--runs N] [--addresses N] [--seed S]

Prints medians of ``--runs`` runs (default 5):

- load: building the gazetteer from the packaged La Poste base (read, normalize,
  index), and the memory it keeps (tracemalloc, after garbage collection) and the
  process's resident-memory growth on the first build;
- throughput: ``OfflineGeocoder.geocode`` (geopy interface: free-text parsing,
  matching, Location objects) on ``--addresses`` addresses (default 10,000) written
  as people write them, from a fixed seed: street + postal code + city in mixed case
  and accents, Saint/ST, CEDEX, arrondissements, old communes (Ligne 5), a postal
  code or a city alone, a département in brackets, and misspellings. Target: 20,000
  addresses/s or more after load. Also the typed interface (``locate``) on the same;
- resolution: every (postal code, commune name) pair of La Poste's base, the name
  written readably ("Saint-Étienne"), must resolve to its own commune. Target: 100%.

Timings are wall-clock on this machine; nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable

from routing.communes import Commune, display_name, load_communes, read_communes
from routing.geocoding import AddressQuery, AmbiguousQuery, Gazetteer, OfflineGeocoder

STREETS = (
    "rue de la République",
    "avenue Jean Jaurès",
    "bd Gambetta",
    "place de l'Église",
    "chemin des Vignes",
    "route de Lyon",
    "impasse du Moulin",
    "allée des Tilleuls",
)


def rss_mb() -> float:
    """Resident memory of this process, in MB (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 1e6


def misspell(rnd: random.Random, word: str) -> str:
    """Drop or double one letter inside ``word``."""
    if len(word) < 6:
        return word
    i = rnd.randrange(2, len(word) - 2)
    return word[:i] + word[i + 1 :] if rnd.random() < 0.5 else word[:i] + word[i] + word[i:]


def addresses(rows: list[Commune], count: int, seed: int) -> list[str]:
    """``count`` addresses in the many ways people write them (see the module docstring)."""
    rnd = random.Random(seed)
    regular_codes = {row.postal_code for row in rows}
    out = []
    for _ in range(count):
        row = rnd.choice(rows)
        city = display_name(row.label if rnd.random() < 0.5 else row.name)
        street = f"{rnd.randint(1, 120)} {rnd.choice(STREETS)}"
        style = rnd.random()
        if style < 0.35:
            text = f"{street}, {row.postal_code} {city}"
        elif style < 0.50:
            text = f"{street} {row.postal_code} {city.upper()}"
        elif style < 0.60:
            text = f"{street}, {row.postal_code} {city.lower().replace('saint', 'st')}"
        elif style < 0.65 and row.ligne_5:
            text = f"{street}, {row.ligne_5.title()}, {row.postal_code} {city}"
        elif style < 0.70:
            # A CEDEX code: in the département, but not a regular postal code.
            cedex = next(
                code
                for code in (
                    row.postal_code[:2] + f"{rnd.randint(0, 999):03d}" for _ in iter(int, 1)
                )
                if code not in regular_codes
            )
            text = f"BP {rnd.randint(1, 999)}, {cedex} {city.upper()} CEDEX"
        elif style < 0.75:
            text = row.postal_code
        elif style < 0.85:
            text = f"{street}, {city} ({row.departement})"
        elif style < 0.92:
            text = f"{street}, {row.postal_code} {misspell(rnd, city)}"
        else:
            text = f"{city}"
        out.append(text)
    return out


def timed(function: Callable[[], object], runs: int) -> tuple[float, float, object]:
    """Median wall-clock and CPU seconds of ``runs`` calls, and the last call's value.

    CPU time is shown beside wall time: on a shared machine, other processes slow
    the wall clock down, not the work done.
    """
    walls, cpus, value = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        value = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), value


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--addresses", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    import rapidfuzz  # noqa: F401 - imported before measuring: a library, not the gazetteer

    rss_before = rss_mb()
    first = Gazetteer.build(read_communes())
    rss_growth = rss_mb() - rss_before
    del first
    gc.collect()
    tracemalloc.start()
    gazetteer = Gazetteer.build(read_communes())
    gc.collect()
    kept_mb = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    load_s, load_cpu, _ = timed(lambda: Gazetteer.build(read_communes()), args.runs)
    print(
        f"load        {load_s * 1000:8.0f} ms   to build the gazetteer ({load_cpu * 1000:.0f} ms"
        f" CPU), median of {args.runs}"
    )
    print(
        f"memory      {kept_mb:8.1f} MB   kept by the gazetteer (tracemalloc);"
        f" the first build grew the process by {rss_growth:.1f} MB (RSS)"
    )

    geocoder = OfflineGeocoder(gazetteer=gazetteer)
    rows = list(load_communes())
    texts = addresses(rows, args.addresses, args.seed)

    def geocode_all() -> tuple[int, int, int]:
        placed = ambiguous = 0
        for text in texts:
            try:
                if geocoder.geocode(text) is not None:
                    placed += 1
            except AmbiguousQuery:
                ambiguous += 1
        return placed, ambiguous, len(texts) - placed - ambiguous

    tracemalloc.start()
    geocode_all()  # warm the caches a long-running process has (postal areas, fuzzy choices)
    gc.collect()
    warm_mb = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    print(f"            {kept_mb + warm_mb:8.1f} MB   after geocoding the addresses once (caches)")
    seconds, cpu, counts = timed(geocode_all, args.runs)
    placed, ambiguous, missed = counts  # type: ignore[misc]
    print(
        f"throughput  {len(texts) / seconds:8.0f} addresses/s   geocode() on {len(texts):,}"
        f" addresses ({len(texts) / cpu:.0f}/s of CPU time): {placed:,} placed,"
        f" {ambiguous:,} ambiguous, {missed:,} not placed"
    )
    queries = [geocoder.parse(text) for text in texts]
    seconds, cpu, _ = timed(lambda: [geocoder.locate(q) for q in queries], args.runs)
    print(
        f"            {len(texts) / seconds:8.0f} addresses/s   locate() on parsed addresses"
        f" ({len(texts) / cpu:.0f}/s of CPU time)"
    )

    def resolve_all() -> list[Commune]:
        return [
            row
            for row in rows
            if (
                best := geocoder.resolve(
                    AddressQuery(postal_code=row.postal_code, city=display_name(row.name))
                ).best
            )
            is None
            or best.place.insee != row.insee
        ]

    _, _, wrong = timed(resolve_all, 1)
    share = 1 - len(wrong) / len(rows)  # type: ignore[arg-type]
    placeable = sum(1 for row in rows if row.lat is not None) / len(rows)
    print(
        f"resolution  {share:8.2%}   of {len(rows):,} (postal code, commune) pairs of the base"
        f" resolve to their commune ({len(wrong):,} do not); {placeable:.2%} have a position"  # type: ignore[arg-type]
    )
    for row in wrong[:10]:  # type: ignore[index]
        print(f"            not resolved: {row.postal_code} {display_name(row.name)}")


if __name__ == "__main__":
    main()
