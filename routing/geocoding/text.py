"""Normalizing French place names and splitting addresses into their parts.

Everything here is pure string work: it knows what French addresses look like
(``ST`` for Saint, CEDEX, Paris/Lyon/Marseille arrondissements, a département
in brackets) but not which communes exist. The gazetteer applies the same
:func:`name_key` to La Poste's names, so a query and the reference data meet
in one normalized form.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: Letters NFKD does not decompose into ASCII (ligatures, stroked letters), and the
#: accents it splits off letters, dropped.
_LIGATURES_AND_MARKS = str.maketrans(
    {
        "Œ": "OE",
        "Æ": "AE",
        "Ø": "O",
        "Ł": "L",
        "Đ": "D",
        "ß": "SS",
        # Combining diacritical marks, as NFKD leaves them after their letter.
        **dict.fromkeys(map(chr, range(0x300, 0x370))),
    }
)
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
#: La Poste abbreviates these words; queries spell them either way.
_ABBREVIATIONS = {"SAINT": "ST", "SAINTE": "STE", "SAINTS": "STS", "SAINTES": "STES"}
#: Street-type abbreviations (AFNOR NF Z10-011) folded to one form in cache keys, so
#: "bd Gambetta" and "boulevard Gambetta" are one address for the cache.
_STREET_WORDS = {
    "AV": "AVENUE",
    "AVE": "AVENUE",
    "BD": "BOULEVARD",
    "BVD": "BOULEVARD",
    "BLD": "BOULEVARD",
    "CHE": "CHEMIN",
    "CHEM": "CHEMIN",
    "FBG": "FAUBOURG",
    "FG": "FAUBOURG",
    "IMP": "IMPASSE",
    "PL": "PLACE",
    "RTE": "ROUTE",
    **_ABBREVIATIONS,
}
ARTICLES = frozenset({"LE", "LA", "LES", "L"})
#: The three communes La Poste lists per arrondissement, with how many each has.
ARRONDISSEMENT_CITIES = {"PARIS": 20, "LYON": 9, "MARSEILLE": 16}
_ROMAN = {
    "I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10,
    "XI": 11, "XII": 12, "XIII": 13, "XIV": 14, "XV": 15, "XVI": 16, "XVII": 17, "XVIII": 18,
    "XIX": 19, "XX": 20,
}  # fmt: skip
# "15", "15E", "15EME", "1ER", "XVE", "15 E", "15E ARR", "15EME ARRONDISSEMENT"
_ARRONDISSEMENT = re.compile(
    r"^(\d{1,2}|[IVX]{1,5}?)\s?(?:E|EME|EM|ER|ERE|ND|NDE)?(?:\s(?:ARR|ARRDT|ARRONDISSEMENT))?$"
)
_BRACKETED_ARTICLE = re.compile(r"^(.+?)\s*\(\s*(LE|LA|LES|L')\s*\)\s*$", re.IGNORECASE)
_BRACKETED_DEPARTEMENT = re.compile(r"\(\s*(\d{2,3}|2[AB])\s*\)", re.IGNORECASE)
_POSTAL_CODE = re.compile(r"(?<![0-9])([0-9]{5})(?![0-9])")
_POSTAL_CODE_SPACED = re.compile(r"(?<![0-9])([0-9]{2}) ([0-9]{3})(?![0-9])")
_SUR = re.compile(r"\bs/", re.IGNORECASE)
_COUNTRY_SUFFIX = re.compile(r"[\s,]*\b(FRANCE|FR)\s*$", re.IGNORECASE)
#: Longest place name we try as a suffix of an address without commas, in words.
_MAX_NAME_WORDS = 8


def fold(text: str) -> str:
    """Upper case, accents removed, every non-alphanumeric run as one space.

    "L'Isle-d'Abeau" -> "L ISLE D ABEAU", "Œuilly" -> "OEUILLY".
    """
    text = text.upper()
    if not text.isascii():
        # Decompose "É" into "E" + accent, drop the accents; any other non-ASCII
        # character (’, «, –) then becomes a separator like ASCII punctuation.
        text = unicodedata.normalize("NFKD", text).translate(_LIGATURES_AND_MARKS)
    return _NON_ALNUM.sub(" ", text).strip()


def name_key(text: str) -> str:
    """The form names are compared in: folded, Saint/Sainte abbreviated as La Poste does.

    "Saint-Martin-d'Hères" -> "ST MARTIN D HERES"; "Villefranche s/ Saône" (the usual
    abbreviation of "sur") -> "VILLEFRANCHE SUR SAONE".
    """
    if "/" in text:
        text = _SUR.sub(" SUR ", text)
    words = fold(text).split()
    return " ".join([_ABBREVIATIONS.get(w, w) for w in words])


def street_key(text: str) -> str:
    """A street line folded for cache keys: accents, case, punctuation, common abbreviations."""
    return " ".join([_STREET_WORDS.get(w, w) for w in fold(text).split()])


def without_article(key: str) -> str | None:
    """``key`` without its leading article ("LE PUY EN VELAY" -> "PUY EN VELAY"), or None."""
    first, _, rest = key.partition(" ")
    return rest if first in ARTICLES and rest else None


def is_departement(code: str) -> bool:
    """True for a département (or overseas collectivity) code as La Poste's base uses them:
    01-95 (no 20), 2A, 2B, 971-978, 984-988."""
    if code in ("2A", "2B"):
        return True
    if len(code) == 2 and code.isdigit():
        return code not in ("00", "20") and code <= "95"
    return len(code) == 3 and ("971" <= code <= "978" or "984" <= code <= "988")


@dataclass(frozen=True, slots=True)
class CityName:
    """A city as written in an address, understood.

    ``key`` is what to look up: "LYON 03" for "Lyon 3ème", "LYON" for "LYON CEDEX 03"
    (a CEDEX number is a sorting office, not an arrondissement).
    """

    key: str
    #: The key without an arrondissement ("LYON" for "Lyon 3e"): how La Poste's
    #: routing label names every arrondissement.
    base: str
    arrondissement: int | None = None
    #: Département named with the city: "Beaumont (63)", "Beaumont 63".
    departement: str | None = None
    cedex: bool = False


def parse_city(text: str) -> CityName | None:
    """Understand a city field; None when nothing name-like is left."""
    raw = text.strip()
    departement = None
    if "(" in raw:
        article = _BRACKETED_ARTICLE.match(raw)
        if article:  # "Bono (Le)", the old INSEE style
            raw = f"{article[2].replace(chr(39), '')} {article[1]}"
        bracketed = _BRACKETED_DEPARTEMENT.search(raw)
        if bracketed and is_departement(bracketed[1].upper()):
            departement = bracketed[1].upper()
            raw = raw[: bracketed.start()] + " " + raw[bracketed.end() :]
    words = name_key(raw).split()
    cedex = "CEDEX" in words
    if cedex:
        # "LYON CEDEX 03", "GRENOBLE CEDEX 9": the rest names a sorting office.
        words = words[: words.index("CEDEX")]
    if not words:
        return None
    arrondissement = None
    for base, count in ARRONDISSEMENT_CITIES.items():
        if words[0] == base and len(words) > 1:
            number = _arrondissement_number(" ".join(words[1:]))
            if number is not None and 1 <= number <= count:
                arrondissement = number
                words = [base]
            break
    if (
        departement is None
        and arrondissement is None
        and len(words) > 1
        and is_departement(words[-1])
    ):
        departement = words.pop()
    base = " ".join(words)
    key = f"{base} {arrondissement:02d}" if arrondissement else base
    return CityName(key, base, arrondissement, departement, cedex)


def _arrondissement_number(text: str) -> int | None:
    """15 for "15", "15E", "15EME ARRONDISSEMENT", "XVE"; None otherwise."""
    match = _ARRONDISSEMENT.match(text)
    if not match:
        return None
    number = match[1]
    return int(number) if number.isdigit() else _ROMAN.get(number)


def clean_postal_code(text: str | None) -> str | None:
    """A 5-digit postal code from "69003", " 69 003 ", "F-69003"; None otherwise."""
    if not text:
        return None
    if len(text) == 5 and text.isascii() and text.isdigit():
        return text
    digits = "".join(c for c in text if c in "0123456789")
    return digits if len(digits) == 5 else None


@dataclass(frozen=True, slots=True)
class AddressQuery:
    """An address to place, in parts. Every geocoder in this package takes one.

    Build it from fields you already have, or with :func:`parse_address` from free
    text or a geopy-style structured query.
    """

    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    #: ISO 3166 alpha-2; the offline gazetteer and BAN cover "FR" only.
    country: str = "FR"
    #: A département hint ("63", "2A"), e.g. from a form; the city may carry one too.
    departement: str | None = None

    @property
    def is_french(self) -> bool:
        """True when the address is in France (the La Poste base's coverage)."""
        return self.country.upper() in ("FR", "FRA", "FRANCE")

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to place (no postal code, no city)."""
        return not (clean_postal_code(self.postal_code) or (self.city and fold(self.city)))

    def key(self) -> str:
        """The normalized form of the address: equal keys, same place.

        Accents, case, punctuation, Saint/ST, street-type abbreviations and CEDEX
        numbers do not change it.
        """
        city = parse_city(self.city) if self.city else None
        return "|".join(
            (
                street_key(self.street or ""),
                clean_postal_code(self.postal_code) or "",
                city.key if city else "",
                self.departement or "",
                fold(self.country),
            )
        )

    def digest(self) -> str:
        """SHA-256 (hex) of :meth:`key`: a fixed-size fingerprint to store beside a position."""
        return hashlib.sha256(self.key().encode("utf-8")).hexdigest()

    def text(self) -> str:
        """The address on one line, as a person writes it: "12 rue X, 69003 Lyon"."""
        town = " ".join(p for p in (self.postal_code, self.city) if p)
        return ", ".join(p for p in (self.street, town) if p)


def parse_address(
    query: str | Mapping[str, Any], *, is_place: Callable[[str], bool] | None = None
) -> AddressQuery:
    """Split a free-text address, or read a structured one, into an :class:`AddressQuery`.

    Structured queries use geopy/Nominatim's keys (``street``, ``postalcode``,
    ``city``, ``country``; ``postal_code`` and ``departement``/``county`` also work).
    Free text: the last 5-digit group is the postal code and the words after it
    (or, failing that, before it) the city; without a postal code the last
    comma-separated part is the city, and without commas the longest run of final
    words that ``is_place`` recognises.
    """
    if isinstance(query, Mapping):
        return _structured(query)
    text = str(query)
    if "FR" in text[-8:].upper():
        text = _COUNTRY_SUFFIX.sub("", text)
    text = text.strip(" ,")
    codes = list(_POSTAL_CODE.finditer(text))
    if not codes:
        text = _POSTAL_CODE_SPACED.sub(r"\1\2", text)  # "69 003" -> "69003"
        codes = list(_POSTAL_CODE.finditer(text))
    if codes:
        code = codes[-1]
        before, after = text[: code.start()], text[code.end() :]
        city = after.split(",")[0].strip(" ,-")
        street = before.strip(" ,-")
        if not city:
            # "Lyon 69003" or "12 rue X, Lyon 69003": the city precedes the code.
            head, _, last = before.rstrip(" ,-").rpartition(",")
            city, street = last.strip(" ,-"), head.strip(" ,-")
        return AddressQuery(street=street or None, postal_code=code[1], city=city or None)
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        return AddressQuery()
    if len(parts) > 1:
        return AddressQuery(street=", ".join(parts[:-1]), city=parts[-1])
    words = parts[0].split()
    if is_place is not None and len(words) > 1:
        for size in range(min(len(words), _MAX_NAME_WORDS), 0, -1):
            candidate = " ".join(words[-size:])
            city = parse_city(candidate)
            if city and is_place(city.key):
                street = " ".join(words[:-size])
                return AddressQuery(street=street or None, city=candidate)
    return AddressQuery(city=parts[0])


def _structured(query: Mapping[str, Any]) -> AddressQuery:
    """An :class:`AddressQuery` from a geopy-style dict."""

    def get(*names: str) -> str | None:
        for name in names:
            value = query.get(name)
            if value not in (None, ""):
                return str(value).strip()
        return None

    departement = get("departement", "county", "state")
    if departement is not None:
        departement = departement.upper()
        departement = departement if is_departement(departement) else None
    country = get("country", "country_code") or "FR"
    return AddressQuery(
        street=get("street", "address"),
        postal_code=get("postalcode", "postal_code", "postcode"),
        city=get("city", "town", "municipality"),
        country="FR" if fold(country) in ("FR", "FRA", "FRANCE") else country.upper(),
        departement=departement,
    )
