"""The packaged La Poste communes: complete, faithful to the source, and readable."""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from routing.communes import Commune, departement_of, display_name, load_communes

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the checkout, as on the developers' machines and in CI.
SOURCE = ROOT.parent / "shared" / "data" / "fr_communes" / "laposte_hexasmal_2020.csv"
BUILDER = ROOT / "routing" / "data" / "build_communes.py"


def by_insee(insee: str) -> list[Commune]:
    """Every row of commune ``insee``."""
    return [c for c in load_communes() if c.insee == insee]


def test_every_source_row_is_packaged() -> None:
    """The 39,192 data rows of La Poste's file are all there, with 5-character codes."""
    communes = load_communes()
    assert len(communes) == 39_192
    assert all(len(c.insee) == 5 and len(c.postal_code) == 5 for c in communes)
    assert len({c.insee for c in communes}) == 35_099
    assert len({(c.insee, c.postal_code) for c in communes}) == 35_600
    assert sum(1 for c in communes if c.ligne_5) == 4_661


def test_load_is_cached() -> None:
    """The file is read once per process: later calls return the same tuple."""
    assert load_communes() is load_communes()


def test_lyon_is_listed_per_arrondissement_with_positions() -> None:
    """Lyon appears as 69381..69389 (no 69123 row), routed as LYON, placed in Lyon."""
    for number in range(1, 10):
        (row,) = by_insee(f"6938{number}")
        assert row.name == f"LYON 0{number}"
        assert row.postal_code == f"6900{number}"
        assert row.label == "LYON"
        assert row.lat is not None
        assert row.lon is not None
        assert 45.70 < row.lat < 45.81
        assert 4.77 < row.lon < 4.90
    assert by_insee("69123") == []
    assert display_name("LYON 01") == "Lyon 1er"


def test_ligne_5_rows_share_their_commune_position() -> None:
    """Saint-Étienne's lieux-dits (Ligne 5) are rows of their own at the commune centre."""
    rows = by_insee("42218")
    assert {r.ligne_5 for r in rows} >= {None, "TERRENOIRE", "ROCHETAILLEE", "ST VICTOR SUR LOIRE"}
    assert {(r.lat, r.lon) for r in rows} == {(45.43012, 4.37914)}
    assert {r.postal_code for r in rows} == {"42000", "42100", "42230"}


def test_routing_label_is_restored_where_it_differs() -> None:
    """A label different from the name survives the compaction; an equal one is filled in."""
    (bono,) = by_insee("56262")
    assert (bono.name, bono.label) == ("BONO", "LE BONO")
    (grenoble, *_) = by_insee("38185")
    assert grenoble.label == grenoble.name == "GRENOBLE"
    assert sum(1 for c in load_communes() if c.label != c.name) == 377


def test_coordinates_are_missing_only_where_the_source_lacks_them() -> None:
    """270 rows have no position, mostly in the Pacific; all others are WGS84 pairs."""
    missing = [c for c in load_communes() if c.lat is None]
    assert len(missing) == 270
    assert all(c.lon is None for c in missing)
    assert Counter(c.insee[:3] for c in missing).most_common(2)[0][0] in {"987", "988"}
    assert {"55138", "76095", "76601", "99138"} <= {c.insee for c in missing}
    placed = [c for c in load_communes() if c.lat is not None]
    assert all(-90 <= c.lat <= 90 and -180 <= c.lon <= 180 for c in placed)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("69381", "69"),
        ("01053", "01"),
        ("2A004", "2A"),
        ("2B033", "2B"),
        ("20000", "2A"),
        ("20167", "2A"),
        ("20200", "2B"),
        ("20600", "2B"),
        ("97411", "974"),
        ("97600", "976"),
        ("98800", "988"),
        (" 38000 ", "38"),
    ],
)
def test_departement_of_codes(code: str, expected: str) -> None:
    """INSEE and postal codes map to départements, Corsica and overseas included."""
    assert departement_of(code) == expected


@pytest.mark.parametrize("code", ["6900", "690011", "2C001", "ABCDE", ""])
def test_departement_of_rejects_non_codes(code: str) -> None:
    """Anything that is not a 5-character code is a ValueError."""
    with pytest.raises(ValueError, match="code"):
        departement_of(code)


def test_departement_of_every_packaged_commune_matches_corsica_postal_codes() -> None:
    """For Corsica, the département read from the postal code is the INSEE one."""
    corsica = [c for c in load_communes() if c.insee[:2] in ("2A", "2B")]
    assert corsica
    assert all(departement_of(c.postal_code) == c.departement for c in corsica)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ST ETIENNE", "Saint-Étienne"),
        ("CLERMONT FERRAND", "Clermont-Ferrand"),
        ("LE PUY EN VELAY", "Le Puy-en-Velay"),
        ("L ISLE D ABEAU", "L'Isle-d'Abeau"),
        ("ST MARTIN D HERES", "Saint-Martin-d'Hères"),
        ("VILLEFRANCHE SUR SAONE", "Villefranche-sur-Saône"),
        ("CALUIRE ET CUIRE", "Caluire-et-Cuire"),
        ("LA TOUR DU PIN", "La Tour-du-Pin"),
        ("AIX LES BAINS", "Aix-les-Bains"),
        ("ST GENIS LAVAL", "Saint-Genis-Laval"),
        ("STE FOY L ARGENTIERE", "Sainte-Foy-l'Argentière"),
        ("LYON 03", "Lyon 3e"),
        ("GRENOBLE", "Grenoble"),
    ],
)
def test_display_name_follows_french_typography(raw: str, expected: str) -> None:
    """La Poste's upper-case names become the usual written form."""
    assert display_name(raw) == expected


def test_package_file_decompresses_to_the_documented_csv() -> None:
    """The shipped file is a gzip'd CSV with the header SOURCE.md documents."""
    raw = resources.files("routing").joinpath("data", "fr_communes.csv.gz").read_bytes()
    text = gzip.decompress(raw).decode("utf-8")
    assert text.startswith("insee,name,postal_code,ligne_5,label,lat,lon\n")
    assert text.count("\n") == 39_193
    assert (ROOT / "routing" / "data" / "SOURCE.md").read_text().count("ODbL") >= 2


@pytest.mark.skipif(not SOURCE.exists(), reason="La Poste source file not available")
def test_rebuild_is_deterministic_and_matches_the_packaged_data(tmp_path: Path) -> None:
    """Building twice gives identical bytes, and the same CSV as the packaged file."""
    outputs = []
    for name in ("a.csv.gz", "b.csv.gz"):
        out = tmp_path / name
        subprocess.run(
            [sys.executable, str(BUILDER), str(SOURCE), str(out)], check=True, capture_output=True
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    packaged = resources.files("routing").joinpath("data", "fr_communes.csv.gz").read_bytes()
    # Compare content, not bytes: another zlib may compress the same text differently.
    assert gzip.decompress(outputs[0]) == gzip.decompress(packaged)
