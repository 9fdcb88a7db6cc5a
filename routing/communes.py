"""French communes with their postal codes and centre positions (La Poste, 2020, ODbL).

The data ships with the package (``routing/data/fr_communes.csv.gz``, see
``routing/data/SOURCE.md`` for provenance, licence and attribution): no network
is needed to turn a postal code and a city into a commune-level position.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

DATA_FILE = "fr_communes.csv.gz"
#: Attribution the ODbL requires wherever positions from this data are shown.
ATTRIBUTION = "La Poste – Base officielle des codes postaux (ODbL)"


@dataclass(frozen=True, slots=True)
class Commune:
    """One row of La Poste's base: a commune under one postal code (and Ligne 5).

    Names are in La Poste's form (upper case, no accents, ``ST`` for Saint);
    :func:`display_name` gives a readable one. A commune with several postal
    codes or Ligne 5 values has several rows with the same position.
    """

    insee: str
    name: str
    postal_code: str
    #: Address line 5: old or delegated commune, lieu-dit; None when empty.
    ligne_5: str | None
    #: Libellé d'acheminement, the town line of a postal address.
    label: str
    lat: float | None
    lon: float | None

    @property
    def departement(self) -> str:
        """The commune's département ("69", "2A", "974"), from its INSEE code."""
        return departement_of(self.insee)


@functools.cache
def load_communes() -> tuple[Commune, ...]:
    """Every row of the packaged data (39,192), sorted by INSEE code; read once per process."""
    return tuple(read_communes())


def read_communes() -> Iterator[Commune]:
    """Read the packaged rows afresh, one at a time.

    For consumers that build their own compact index (the offline geocoder) and
    should not keep the whole tuple of :func:`load_communes` alive.
    """
    raw = resources.files("routing").joinpath("data", DATA_FILE).read_bytes()
    reader = csv.reader(io.StringIO(gzip.decompress(raw).decode("utf-8")))
    next(reader)  # header: insee,name,postal_code,ligne_5,label,lat,lon
    for insee, name, postal_code, ligne_5, label, lat, lon in reader:
        yield Commune(
            insee=insee,
            name=name,
            postal_code=postal_code,
            ligne_5=ligne_5 or None,
            label=label or name,  # the file leaves label empty when it equals name
            lat=float(lat) if lat else None,
            lon=float(lon) if lon else None,
        )


def departement_of(code: str) -> str:
    """The département of an INSEE commune code or a postal code.

    Corsica gives "2A"/"2B" (from a postal code: 200xx-201xx are Corse-du-Sud,
    202xx and 206xx Haute-Corse), overseas codes give three digits ("971".."976",
    "98x"). A postal code names the département of its distribution office, which
    for a few border communes differs from the commune's own: prefer the INSEE code.
    """
    code = code.strip().upper()
    if len(code) != 5:
        raise ValueError(f"not a 5-character INSEE or postal code: {code!r}")
    if code[:2] in ("2A", "2B") and code[2:].isdigit():
        return code[:2]
    if not code.isdigit():
        raise ValueError(f"not an INSEE or postal code: {code!r}")
    if code.startswith(("97", "98")):
        return code[:3]
    if code.startswith("20"):  # INSEE codes say 2A/2B, so "20..." is a Corsican postal code
        return "2A" if code < "20200" else "2B"
    return code[:2]


# La Poste drops accents; these are the words of common commune names whose
# accent a reader would miss. Best effort by design: an unknown word is only
# title-cased, which is still correct apart from the accent.
_ACCENTED = {
    "AMBERIEU": "Ambérieu",
    "ARGENTIERE": "Argentière",
    "BEZIERS": "Béziers",
    "CHAMALIERES": "Chamalières",
    "CHAMBERY": "Chambéry",
    "CHATEAU": "Château",
    "CHATEAUNEUF": "Châteauneuf",
    "CHATEL": "Châtel",
    "CHATILLON": "Châtillon",
    "CREMIEU": "Crémieu",
    "DAUPHINE": "Dauphiné",
    "DECINES": "Décines",
    "ECHIROLLES": "Échirolles",
    "ECULLY": "Écully",
    "EGLISE": "Église",
    "ETIENNE": "Étienne",
    "EVIAN": "Évian",
    "GIERES": "Gières",
    "HERES": "Hères",
    "ISERE": "Isère",
    "LEMAN": "Léman",
    "MONTELIMAR": "Montélimar",
    "MONTLUCON": "Montluçon",
    "NIMES": "Nîmes",
    "OLLIERES": "Ollières",
    "ORLEANS": "Orléans",
    "RHONE": "Rhône",
    "SAONE": "Saône",
    "SEVRES": "Sèvres",
    "TREVOUX": "Trévoux",
    "VENISSIEUX": "Vénissieux",
}
_SAINTS = {"ST": "Saint", "STE": "Sainte", "STS": "Saints", "STES": "Saintes"}
_ARTICLES = {"LE", "LA", "LES", "L"}
_PARTICLES = {"DE", "DU", "DES", "LA", "LE", "LES", "SUR", "SOUS", "EN", "ET", "AUX", "AU"}
_ELIDED = {"D", "L"}
_ARRONDISSEMENT = re.compile(r"^(.*) (\d{2})$")


def display_name(la_poste_name: str) -> str:
    """A readable commune name from La Poste's form, following French typography.

    "ST ETIENNE" -> "Saint-Étienne", "LE PUY EN VELAY" -> "Le Puy-en-Velay",
    "L ISLE D ABEAU" -> "L'Isle-d'Abeau", "LYON 03" -> "Lyon 3e". Accents are
    restored only for the words listed in ``_ACCENTED``.
    """
    text = " ".join(la_poste_name.split())
    arrondissement = _ARRONDISSEMENT.match(text)
    if arrondissement:
        number = int(arrondissement[2])
        return f"{display_name(arrondissement[1])} {number}{'er' if number == 1 else 'e'}"
    words = text.upper().split(" ")
    prefix = ""
    # A leading article stays a separate word ("Le Puy-en-Velay", "L'Isle-d'Abeau").
    if len(words) > 1 and words[0] in _ARTICLES:
        article = words.pop(0)
        prefix = "L'" if article == "L" else article.capitalize() + " "
    parts: list[str] = []
    elision = ""
    for index, word in enumerate(words):
        if word in _ELIDED and index < len(words) - 1:
            elision = word.lower() + "'"
            continue
        if word in _SAINTS:
            shaped = _SAINTS[word]
        elif word in _PARTICLES and 0 < index < len(words) - 1:
            shaped = word.lower()
        else:
            shaped = _ACCENTED.get(word, word.capitalize())
        parts.append(elision + shaped)
        elision = ""
    return prefix + "-".join(parts)
