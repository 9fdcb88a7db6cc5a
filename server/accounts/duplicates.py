"""Likely duplicates of an account (identification des doublons).

The same shop entered twice, by two reps or by a rep offline who did not find it, splits
its history, its figures and its visits. :func:`find_duplicates` compares an account's
values (stored or about to be created) with the live accounts the caller can see, and
says which look like the same customer, how strongly (a score out of 100) and why.

Candidates come from the database by exact keys: the same SIRET, SIREN, phone or e-mail
address, or the same postal code (or town, when one of the two has no postal code). They
are then scored in Python, names compared with rapidfuzz after folding accents and case
and dropping legal forms and small words ("SARL Boulangerie Morel" and "boulangerie
MOREL" are the same name). :func:`duplicate_pairs` lists the pairs of a whole scope. The
rules (docs/architecture.md, *Duplicates*):

- same SIRET: 100 (an establishment is one customer; a live account cannot have another's
  SIRET, so this only happens with values about to be created or a deleted one restored);
- same phone or same e-mail address: 85 (a role mailbox, "contact@" or "info@", only in
  the same postal code or town: a chain's shops share one);
- same street address (folded) and postal code: 75;
- names alike (token-set ratio ≥ 85) in the same postal code: the ratio minus 5, or
  minus 15 in the same town when one of the two has no postal code (two different postal
  codes are two places);
- same SIREN, SIRETs unknown on one side: 70 (two known, different SIRETs are two
  establishments of one company, each its own customer: not a duplicate by itself);
- a private customer's same birth date with alike names: 95; two known, different birth
  dates are two people, whatever their names.

An account's score is its best reason's plus 5 for each other reason, at most 100; those
at ``min_score`` or above are returned, best first.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import func, or_, select
from sqlalchemy.orm import load_only

from .. import access
from ..auth.models import User
from ..dbfuncs import fold
from ..enums import AccountKind
from ..extensions import db
from .models import Account

#: Default lowest score returned.
MIN_SCORE = 60
#: Most candidates returned.
LIMIT = 20
#: Most accounts read to score (a postal code of a big town holds a few hundred).
MAX_CANDIDATES = 5000
#: Most pairs listed by :func:`duplicate_pairs`.
PAIRS_LIMIT = 200
#: Name similarity (rapidfuzz token-set ratio, 0-100) from which two names are alike.
NAME_ALIKE = 85
#: Words that do not tell two customers apart: legal forms, "établissements", articles.
NOISE_WORDS = frozenset(
    {
        *("sa", "sas", "sasu", "sarl", "eurl", "sci", "snc", "scop", "sca", "selarl"),
        *("earl", "gaec", "ei", "eirl", "ets", "etablissement", "etablissements"),
        *("societe", "ste", "cie", "compagnie", "groupe"),
        *("et", "de", "du", "des", "la", "le", "les", "l", "d", "au", "aux", "chez"),
    }
)
_NOT_WORD = re.compile(r"[^a-z0-9]+")
#: Local parts of role mailboxes, which a company's shops or sites often share.
ROLE_MAILBOXES = frozenset(
    {
        *("contact", "contacts", "info", "infos", "information", "accueil", "bonjour"),
        *("hello", "commercial", "commerciale", "ventes", "vente", "sales", "commande"),
        *("commandes", "compta", "comptabilite", "facturation", "direction", "secretariat"),
        *("admin", "administration", "office", "mail", "service", "serviceclient", "sav"),
        *("magasin", "boutique", "reception", "noreply", "no-reply"),
    }
)


@dataclass
class Candidate:
    """An account that looks like the one compared, with its score and reasons."""

    account: Account
    score: int
    reasons: list[str] = field(default_factory=list)


def name_key(name: str | None) -> str:
    """A name folded for comparison: accents, case, punctuation and noise words gone."""
    words = _NOT_WORD.split(fold(name or ""))
    return " ".join(w for w in words if w and w not in NOISE_WORDS)


def _address_key(line: str | None) -> str:
    """A street address folded for comparison ("12, Rue de la Paix" = "12 rue de la paix")."""
    return " ".join(w for w in _NOT_WORD.split(fold(line or "")) if w)


#: The values compared.
COMPARED = (
    *("kind", "name", "first_name", "last_name", "siret", "siren", "phone", "email"),
    *("address_line1", "postal_code", "city", "birth_date"),
)
#: The columns read of a candidate: those compared and those the answer shows.
_LOADED = load_only(*(getattr(Account, name) for name in (*COMPARED, "status", "owner_id")))


def _values_of(account: Account) -> dict[str, Any]:
    """The compared values of a stored account, prepared."""
    return _prepared({name: getattr(account, name) for name in COMPARED})


def _prepared(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with what is compared of them worked out once per account: the folded
    name, street and town, the SIREN (of the SIRET when not given), the e-mail address in
    lower case."""
    if isinstance(values, dict) and "_name" in values:
        return values
    out = {name: values.get(name) for name in COMPARED}
    out["_name"] = _compared_name(out)
    out["_address"] = _address_key(out["address_line1"])
    out["_city"] = fold(out["city"] or "")
    out["_siren"] = out["siren"] or (out["siret"][:9] if out["siret"] else None)
    out["_email"] = (out["email"] or "").lower() or None
    return out


def duplicates_of(
    account: Account, user: User, *, min_score: int = MIN_SCORE, limit: int = LIMIT
) -> list[Candidate]:
    """Live accounts ``user`` can see that look like ``account`` (itself left out)."""
    return find_duplicates(
        _values_of(account), user, exclude=account.id, min_score=min_score, limit=limit
    )


def find_duplicates(
    values: Mapping[str, Any],
    user: User,
    *,
    exclude: uuid.UUID | None = None,
    min_score: int = MIN_SCORE,
    limit: int = LIMIT,
) -> list[Candidate]:
    """Live accounts ``user`` can see that look like an account of these ``values``."""
    values = _prepared(values)
    keys = []
    if values["siret"]:
        keys.append(Account.siret == values["siret"])
    if values["_siren"]:
        keys.append(Account.siren == values["_siren"])
    if values["phone"]:
        keys.append(Account.phone == values["phone"])
    if values["_email"]:
        keys.append(func.lower(Account.email) == values["_email"])
    same_city = func.lower(Account.city) == (values["city"] or "").lower()
    if values["postal_code"]:
        keys.append(Account.postal_code == values["postal_code"])
        if values["city"]:  # and the accounts of the town whose postal code is unknown
            keys.append(same_city & Account.postal_code.is_(None))
    elif values["city"]:
        keys.append(same_city)
    if not keys:
        return []
    stmt = access.scoped(select(Account).options(_LOADED).where(or_(*keys)), Account, user)
    if exclude is not None:
        stmt = stmt.where(Account.id != exclude)
    found = []
    for other in db.session.scalars(stmt.limit(MAX_CANDIDATES)):
        scored = score(values, _values_of(other))
        if scored is not None and scored[0] >= min_score:
            found.append(Candidate(other, *scored))
    found.sort(key=lambda c: (-c.score, c.account.name or "", str(c.account.id)))
    return found[:limit]


@dataclass
class Pair:
    """Two live accounts that look like one customer."""

    first: Account
    second: Account
    score: int
    reasons: list[str] = field(default_factory=list)


def duplicate_pairs(
    user: User, *, min_score: int = MIN_SCORE, limit: int = PAIRS_LIMIT
) -> list[Pair]:
    """The pairs of live accounts ``user`` can see that look like one customer, surest first.

    Every account in scope is read once and put in blocks by the keys by which
    :func:`find_duplicates` reads candidates (SIRET, SIREN, phone, e-mail, street, postal
    code; the town, for accounts whose postal code is unknown); only accounts sharing a
    block are compared, so the pairs are those :func:`duplicates_of` finds. In a place's
    block each name is compared with the others by rapidfuzz in one call
    (``process.extract``), and only the pairs whose names are alike are scored, with
    every pair of an exact key's block.
    """
    stmt = access.scoped(select(Account).options(_LOADED), Account, user)
    accounts = list(db.session.scalars(stmt))
    values = [_values_of(account) for account in accounts]
    exact: dict[tuple[str, str], list[int]] = defaultdict(list)
    places: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, v in enumerate(values):
        for key in ("siret", "siren", "phone"):
            if v[key]:
                exact[(key, v[key])].append(i)
        if v["_email"]:
            exact[("email", v["_email"])].append(i)
        address = v["_address"]
        if address and v["postal_code"]:
            exact[("address", f"{v['postal_code']} {address}")].append(i)
        if v["postal_code"]:
            places[("postal_code", v["postal_code"])].append(i)
        if v["city"]:
            places[("city", v["city"].lower())].append(i)  # as SQL's lower() in the query
    compared: set[tuple[int, int]] = set()
    for members in exact.values():
        compared.update(itertools.combinations(members, 2))
    for (place, _), members in places.items():
        if len(members) < 2:
            continue
        names = [values[i]["_name"] for i in members]
        for a, name in enumerate(names):
            # A town's block is for the accounts whose postal code is unknown: two known
            # postal codes are compared in their own block, or not at all.
            if not name or (place == "city" and values[members[a]]["postal_code"]):
                continue
            for _, _, b in process.extract(
                name, names, scorer=fuzz.token_set_ratio, score_cutoff=NAME_ALIKE, limit=None
            ):
                if b > a and names[b]:
                    compared.add((members[a], members[b]))
    pairs = []
    for a, b in compared:
        first, second = sorted((a, b), key=lambda i: (accounts[i].name or "", str(accounts[i].id)))
        scored = score(values[first], values[second])
        if scored is not None and scored[0] >= min_score:
            pairs.append(Pair(accounts[first], accounts[second], *scored))
    pairs.sort(key=lambda p: (-p.score, p.first.name or "", p.second.name or "", str(p.first.id)))
    return pairs[:limit]


def score(mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> tuple[int, list[str]] | None:
    """How sure it is that the two accounts' values are one customer, and why; None if not.

    The score is the best reason's plus 5 per other reason, at most 100; the reasons come
    strongest first (then by name). The same either way round.
    """
    reasons = _reasons(_prepared(mine), _prepared(theirs))
    if not reasons:
        return None
    best = max(reasons.values())
    return min(100, best + 5 * (len(reasons) - 1)), sorted(reasons, key=lambda r: (-reasons[r], r))


def _reasons(mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> dict[str, int]:
    """Why ``theirs`` looks like ``mine`` (both prepared): reason -> its score."""
    reasons: dict[str, int] = {}
    a_siret_unknown = not (mine["siret"] and theirs["siret"])
    if mine["siret"] and mine["siret"] == theirs["siret"]:
        reasons["same_siret"] = 100
    elif mine["_siren"] and mine["_siren"] == theirs["_siren"] and a_siret_unknown:
        reasons["same_siren"] = 70
    if mine["phone"] and mine["phone"] == theirs["phone"]:
        reasons["same_phone"] = 85
    postal_code = mine["postal_code"]
    same_postal_code = bool(postal_code) and postal_code == theirs["postal_code"]
    same_city = mine["_city"] == theirs["_city"] != ""
    # A chain's contact@ serves many shops: shared elsewhere, it proves nothing.
    email = mine["_email"]
    shared_email = bool(email) and email == theirs["_email"]
    if shared_email and (same_postal_code or same_city or not role_mailbox(email)):
        reasons["same_email"] = 85
    address = mine["_address"]
    if address and same_postal_code and address == theirs["_address"]:
        reasons["same_address"] = 75
    birth_date = mine["birth_date"]
    born_apart = birth_date is not None and theirs["birth_date"] not in (None, birth_date)
    similarity = 0.0 if born_apart else _name_similarity(mine, theirs)
    if similarity >= NAME_ALIKE:
        if same_postal_code:
            reasons["similar_name"] = round(similarity) - 5
        elif same_city:
            reasons["similar_name"] = round(similarity) - 15
        if birth_date is not None and birth_date == theirs["birth_date"]:
            reasons["same_birth_date"] = 95
    return reasons


def role_mailbox(email: str) -> bool:
    """True for a mailbox of a role, not of a person ("contact@", "info@", "commandes@")."""
    local = email.rpartition("@")[0].lower()
    return local in ROLE_MAILBOXES or _NOT_WORD.split(local)[0] in ROLE_MAILBOXES


def _name_similarity(mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> float:
    """How alike the two names are, 0-100."""
    a, b = mine["_name"], theirs["_name"]
    if not a or not b:
        return 0.0
    return fuzz.token_set_ratio(a, b)


def _compared_name(values: Mapping[str, Any]) -> str:
    """The name compared: a person's last and first names, else the account's name."""
    if values.get("kind") is AccountKind.PERSON and values.get("last_name"):
        return name_key(f"{values.get('last_name') or ''} {values.get('first_name') or ''}")
    return name_key(values.get("name"))
