"""Build ``fr_communes.csv.gz`` from La Poste's "Base officielle des codes postaux" (2020).

Usage::

    python routing/data/build_communes.py SOURCE.csv [OUTPUT.csv.gz]

The output defaults to ``fr_communes.csv.gz`` next to this script. The build is
deterministic: the same source gives the same bytes (sorted rows, fixed number
formatting, gzip header without a timestamp), so a rebuild shows up in git only
when the data really changed. See SOURCE.md for the transformation.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import sys
from pathlib import Path

#: Columns of La Poste's file, in its order (the header line is checked against it).
SOURCE_COLUMNS = (
    "Code_commune_INSEE",
    "Nom_commune",
    "Code_postal",
    "Ligne_5",
    "Libellé_d_acheminement",
    "coordonnees_gps",
)
#: Columns of the packaged file.
OUTPUT_COLUMNS = ("insee", "name", "postal_code", "ligne_5", "label", "lat", "lon")
#: Decimals kept for coordinates: 1e-5 degree is about 1 m, far finer than a
#: commune-centre point can mean; La Poste's 10-11 decimals are noise that
#: costs a quarter of the file.
COORD_DECIMALS = 5


def convert(source: str) -> list[tuple[str, ...]]:
    """Turn the text of La Poste's ``;``-separated file into sorted output rows.

    Every source row is kept. ``label`` is left empty when it equals ``name``
    (all but 377 rows), and the coordinate pair is split into rounded ``lat``
    and ``lon`` (both empty when the source has none).
    """
    reader = csv.reader(io.StringIO(source), delimiter=";")
    header = next(reader)
    if tuple(header) != SOURCE_COLUMNS:
        raise ValueError(f"unexpected header {header!r}")
    rows = []
    for line_no, fields in enumerate(reader, start=2):
        if len(fields) != len(SOURCE_COLUMNS):
            raise ValueError(f"line {line_no}: {len(fields)} fields")
        insee, name, postal_code, ligne_5, label, gps = (f.strip() for f in fields)
        lat = lon = ""
        if gps:
            raw_lat, raw_lon = gps.split(",")
            lat = f"{float(raw_lat):.{COORD_DECIMALS}f}"
            lon = f"{float(raw_lon):.{COORD_DECIMALS}f}"
        rows.append((insee, name, postal_code, ligne_5, "" if label == name else label, lat, lon))
    # The source order carries no meaning; sorting makes the output stable and
    # puts the rows of one commune together, which gzip rewards.
    rows.sort(key=lambda r: (r[0], r[2], r[3], r[1]))
    return rows


def to_csv_gz(rows: list[tuple[str, ...]]) -> bytes:
    """Serialize ``rows`` as a UTF-8 CSV, gzip'd with a zero mtime (reproducible bytes)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(OUTPUT_COLUMNS)
    writer.writerows(rows)
    buffer = io.BytesIO()
    # filename="" and mtime=0 keep the gzip header free of build-time details.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(text.getvalue().encode("utf-8"))
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    """Command-line entry point: build the package data file, print what was done."""
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    source_path = Path(argv[1])
    output_path = (
        Path(argv[2]) if len(argv) == 3 else Path(__file__).with_name("fr_communes.csv.gz")
    )
    raw = source_path.read_bytes()
    rows = convert(raw.decode("utf-8"))
    data = to_csv_gz(rows)
    output_path.write_bytes(data)
    print(f"source  {source_path} sha256 {hashlib.sha256(raw).hexdigest()}")
    print(f"wrote   {output_path}: {len(rows)} rows, {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
