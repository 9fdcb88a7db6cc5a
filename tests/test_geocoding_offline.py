"""The offline geocoder on real, tricky French addresses (no network, no database).

Homonym communes in different départements, Paris/Lyon/Marseille arrondissements,
CEDEX codes, old communes kept as Ligne 5, a postal code or a city alone, and
ambiguity reported rather than guessed.
"""

from __future__ import annotations

import pytest
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from routing.communes import load_communes
from routing.geocoding import (
    AddressQuery,
    AmbiguousQuery,
    OfflineGeocoder,
    check_address,
    check_position,
    distance_km,
    get_gazetteer,
    parse_address,
)
from routing.geocoding.text import fold, name_key, parse_city


@pytest.fixture(scope="module")
def geocoder() -> OfflineGeocoder:
    """One geocoder for the module: the gazetteer is built once."""
    return OfflineGeocoder()


def insee_of(geocoder: OfflineGeocoder, query: str | dict[str, str]) -> str | None:
    """The INSEE code of the one commune ``query`` is placed in."""
    location = geocoder.geocode(query)
    assert isinstance(location, Location), f"{query!r} was not placed"
    return location.raw["insee"]


# --- normalization ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Saint-Martin-d'Hères", "ST MARTIN D HERES"),
        ("SAINT MARTIN D'HÈRES", "ST MARTIN D HERES"),
        ("St-Martin-d’Hères", "ST MARTIN D HERES"),
        ("Sainte-Foy-lès-Lyon", "STE FOY LES LYON"),
        ("Villefranche s/ Saône", "VILLEFRANCHE SUR SAONE"),
        ("Œuilly", "OEUILLY"),
        ("  l'Isle-d'Abeau  ", "L ISLE D ABEAU"),
    ],
)
def test_names_normalize_as_la_poste_writes_them(text: str, expected: str) -> None:
    """Accents, case, hyphens, apostrophes and Saint/Sainte fold to La Poste's form."""
    assert name_key(text) == expected


@pytest.mark.parametrize(
    ("text", "key", "arrondissement"),
    [
        ("Paris 15e", "PARIS 15", 15),
        ("Paris 15ème", "PARIS 15", 15),
        ("PARIS-15EME ARRONDISSEMENT", "PARIS 15", 15),
        ("Paris XVe", "PARIS 15", 15),
        ("Paris 1er", "PARIS 01", 1),
        ("Lyon 3ème", "LYON 03", 3),
        ("Lyon 3e arr.", "LYON 03", 3),
        ("Marseille 8", "MARSEILLE 08", 8),
        ("LYON 03", "LYON 03", 3),
    ],
)
def test_arrondissements_are_understood(text: str, key: str, arrondissement: int) -> None:
    """Every usual way of writing an arrondissement gives La Poste's commune name."""
    city = parse_city(text)
    assert city is not None
    assert (city.key, city.arrondissement) == (key, arrondissement)


def test_cedex_numbers_are_sorting_offices_not_arrondissements() -> None:
    """A CEDEX number is a sorting office: "LYON CEDEX 03" is Lyon, flagged CEDEX."""
    city = parse_city("Lyon Cedex 03")
    assert city is not None
    assert (city.key, city.arrondissement, city.cedex) == ("LYON", None, True)


def test_departement_hints_in_brackets_or_after_the_name() -> None:
    """A département in brackets or after the name is a hint ("Lyon 69": no such arrondissement)."""
    for text in ("Beaumont (63)", "Beaumont 63"):
        city = parse_city(text)
        assert city is not None
        assert (city.key, city.departement) == ("BEAUMONT", "63")
    lyon = parse_city("Lyon 69")
    assert lyon is not None
    assert (lyon.key, lyon.departement, lyon.arrondissement) == ("LYON", "69", None)


def test_article_in_brackets_moves_to_the_front() -> None:
    """The old INSEE style "Puy-en-Velay (Le)" is "LE PUY EN VELAY"."""
    city = parse_city("Puy-en-Velay (Le)")
    assert city is not None
    assert city.key == "LE PUY EN VELAY"


def test_free_text_is_split_into_street_postal_code_and_city() -> None:
    """The last 5-digit group is the postal code; the city follows it, or precedes it."""
    assert parse_address("12 rue Garibaldi, 69003 Lyon, France") == AddressQuery(
        street="12 rue Garibaldi", postal_code="69003", city="Lyon"
    )
    assert parse_address("12 rue X, Lyon 69 003") == AddressQuery(
        street="12 rue X", postal_code="69003", city="Lyon"
    )
    gazetteer = get_gazetteer()
    assert parse_address("8 place Bellecour Lyon", is_place=gazetteer.is_name) == AddressQuery(
        street="8 place Bellecour", city="Lyon"
    )
    assert parse_address(
        "3 rue de la Paix Saint-Martin-d'Hères", is_place=gazetteer.is_name
    ) == AddressQuery(street="3 rue de la Paix", city="Saint-Martin-d'Hères")


def test_address_keys_ignore_spelling_variants_but_not_content() -> None:
    """Same address written differently: same key; another street: another key."""
    a = AddressQuery(street="12 bd Gambetta", postal_code="42000", city="SAINT-ÉTIENNE")
    b = AddressQuery(street="12, Boulevard Gambetta", postal_code="42000", city="st etienne")
    c = AddressQuery(street="14 boulevard Gambetta", postal_code="42000", city="Saint-Étienne")
    assert a.key() == b.key()
    assert a.digest() == b.digest()
    assert a.key() != c.key()
    assert len(a.digest()) == 64
    assert fold("Saint-Étienne") == "SAINT ETIENNE"


# --- a real geopy geocoder -------------------------------------------------------------------


def test_is_a_geopy_geocoder_constructible_without_arguments() -> None:
    """Any geopy user can pick it up: a Geocoder subclass, no argument needed."""
    geocoder = OfflineGeocoder()
    assert isinstance(geocoder, Geocoder)
    location = geocoder.geocode("12 rue Garibaldi, 69003 Lyon")
    assert isinstance(location, Location)
    assert location.address == "69003 Lyon 3e"
    assert (location.latitude, location.longitude) == (45.75336, 4.86919)
    raw = location.raw
    assert raw["precision"] == "municipality"
    assert raw["source"] == "laposte-communes"
    assert (raw["insee"], raw["postal_code"], raw["city"], raw["score"]) == (
        "69383",
        "69003",
        "Lyon 3e",
        1.0,
    )
    assert "ODbL" in raw["attribution"]


def test_structured_queries_like_geopy_providers(geocoder: OfflineGeocoder) -> None:
    """Dicts with street/postalcode/city/country (and a département) are accepted."""
    query = {"street": "1 place de la Mairie", "postalcode": "63110", "city": "Beaumont"}
    assert insee_of(geocoder, {**query, "country": "France"}) == "63032"
    assert insee_of(geocoder, {"city": "Beaumont", "county": "19"}) == "19020"
    assert geocoder.geocode({**query, "country": "BE"}) is None


# --- homonyms -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "count"),
    # Saint-Martin: 5 communes, but the overseas one (97801) has no position in the base.
    [("Beaumont", 8), ("Saint-Martin", 4), ("Villeneuve", 6), ("Saint-Denis", 4)],
)
def test_a_name_several_communes_share_is_ambiguous_not_guessed(
    geocoder: OfflineGeocoder, name: str, count: int
) -> None:
    """Alone, a shared name raises AmbiguousQuery with every commune, each in its département."""
    with pytest.raises(AmbiguousQuery) as caught:
        geocoder.geocode(name)
    candidates = caught.value.candidates
    assert len(candidates) == count
    assert len({c.raw["departement"] for c in candidates}) == count
    assert "postal code" in str(caught.value)
    listed = geocoder.geocode(name, exactly_one=False)
    assert isinstance(listed, list)
    assert [c.raw["insee"] for c in listed] == [c.raw["insee"] for c in candidates]
    assert all(location.raw["ambiguous"] for location in listed)


@pytest.mark.parametrize(
    ("query", "insee"),
    [
        ("Beaumont (63)", "63032"),
        ("Beaumont 74", "74031"),
        ("63110 Beaumont", "63032"),
        ("1 rue de la Poste, 89250 Beaumont", "89031"),
        ("Villeneuve (04)", "04242"),
        ("33710 Villeneuve", "33551"),
        ("97400 Saint-Denis", "97411"),
        ("93200 St Denis", "93066"),
        ("Saint-Martin (65)", "65392"),
        ("Saint-Martin 67", "67426"),
    ],
)
def test_homonyms_are_told_apart_by_postal_code_or_departement(
    geocoder: OfflineGeocoder, query: str, insee: str
) -> None:
    """A postal code or a département picks the right one of several same-named communes."""
    assert insee_of(geocoder, query) == insee


def test_a_commune_name_beats_a_lieu_dit_of_the_same_name(geocoder: OfflineGeocoder) -> None:
    """Rochetaillée is a commune (52) and a Ligne 5 of Saint-Étienne: alone, the commune wins;
    with Saint-Étienne's postal code, the old commune."""
    assert insee_of(geocoder, "Rochetaillée") == "52431"
    assert insee_of(geocoder, "42100 Rochetaillée") == "42218"


# --- arrondissements -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "insee"),
    [
        ("Paris 15e", "75115"),
        ("75015 Paris", "75115"),
        ("75116 Paris", "75116"),
        ("Paris XVIe", "75116"),
        ("69003 Lyon", "69383"),
        ("Lyon 3ème", "69383"),
        ("Lyon 1er", "69381"),
        ("Marseille 8", "13208"),
        ("13008 Marseille", "13208"),
        ("13016 Marseille", "13216"),
    ],
)
def test_arrondissements_place_in_the_arrondissement(
    geocoder: OfflineGeocoder, query: str, insee: str
) -> None:
    """Paris, Lyon and Marseille resolve to the arrondissement the code or the name gives."""
    assert insee_of(geocoder, query) == insee


def test_the_city_alone_is_the_whole_city(geocoder: OfflineGeocoder) -> None:
    """Lyon alone is the whole city (INSEE 69123), among its arrondissements, no postal code."""
    location = geocoder.geocode("Lyon")
    assert location is not None
    assert location.raw["insee"] == "69123"
    assert location.raw["postal_code"] is None
    assert 45.74 < location.latitude < 45.78
    assert 4.82 < location.longitude < 4.86
    assert insee_of(geocoder, "Paris") == "75056"
    assert insee_of(geocoder, "Marseille") == "13055"


def test_an_arrondissement_beyond_the_city_count_is_not_one(geocoder: OfflineGeocoder) -> None:
    """Lyon has 9 arrondissements: "Lyon 10" reads as Lyon in département 10, which fails."""
    assert geocoder.geocode("Lyon 10") is None
    resolution = geocoder.resolve("Lyon 10")
    assert resolution.reason is not None
    assert "département 10" in resolution.reason


# --- CEDEX, old communes, postal code or city alone ---------------------------------------------


@pytest.mark.parametrize(
    ("query", "insee"),
    [
        ("69441 Lyon Cedex 03", "69123"),
        ("BP 123, 75700 PARIS CEDEX 07", "75056"),
        ("38042 GRENOBLE CEDEX 9", "38185"),
        ("12 rue Garibaldi 69003 LYON CEDEX 03", "69383"),
    ],
)
def test_cedex_addresses_are_placed_in_the_city(
    geocoder: OfflineGeocoder, query: str, insee: str
) -> None:
    """A CEDEX code is not in La Poste's base: its département narrows the city, which places it."""
    assert insee_of(geocoder, query) == insee


@pytest.mark.parametrize(
    ("query", "insee", "ligne_5"),
    [
        ("42100 Terrenoire", "42218", "TERRENOIRE"),
        ("Saint-Victor-sur-Loire, 42230", "42218", "ST VICTOR SUR LOIRE"),
        ("11560 Saint-Pierre-la-Mer", "11145", "ST PIERRE LA MER"),
        ("13008 Les Goudes", "13208", "LES GOUDES"),
    ],
)
def test_old_communes_from_ligne_5_place_in_todays_commune(
    geocoder: OfflineGeocoder, query: str, insee: str, ligne_5: str
) -> None:
    """An old commune or lieu-dit (Ligne 5) is placed at the commune it belongs to, said so."""
    location = geocoder.geocode(query)
    assert location is not None
    assert (location.raw["insee"], location.raw["ligne_5"]) == (insee, ligne_5)
    assert location.raw["score"] < 1.0


def test_a_postal_code_alone(geocoder: OfflineGeocoder) -> None:
    """One commune: that commune. Several close together: the centre of the postal area.
    Several far apart: ambiguous."""
    assert insee_of(geocoder, "69003") == "69383"
    area = geocoder.geocode("38190")
    assert area is not None
    assert area.raw["insee"] is None
    assert area.raw["score"] == 0.5
    communes = get_gazetteer().communes_of_postal_code("38190")
    assert len(communes) == 9
    assert all(
        distance_km(area.latitude, area.longitude, c.lat, c.lon) < 15  # type: ignore[arg-type]
        for c in communes
    )
    with pytest.raises(AmbiguousQuery, match="give the city"):
        geocoder.geocode("04200")


def test_a_city_alone_unique_in_france_is_found_less_surely(geocoder: OfflineGeocoder) -> None:
    """A name only one commune has needs no postal code; its score says it was not confirmed."""
    location = geocoder.geocode("Villeurbanne")
    assert location is not None
    assert location.raw["insee"] == "69266"
    assert location.raw["score"] == 0.8


def test_a_misspelt_city_is_found_under_its_postal_code(geocoder: OfflineGeocoder) -> None:
    """Villeurbane under 69100 is Villeurbanne, with a lower score and the reason."""
    location = geocoder.geocode("69100 Villeurbane")
    assert location is not None
    assert location.raw["insee"] == "69266"
    assert "spelling" in location.raw["how"]
    assert 0.8 < location.raw["score"] < 0.9


def test_a_wrong_postal_code_near_the_city_trusts_the_city(geocoder: OfflineGeocoder) -> None:
    """38000 is Grenoble's; Saint-Égrève (38120) is next door: the city wins, flagged."""
    resolution = geocoder.resolve("38000 Saint-Égrève")
    match = resolution.best
    assert match is not None
    assert match.place.insee == "38382"
    assert match.postal_code_mismatch
    assert match.score == 0.7


def test_a_postal_code_and_city_far_apart_are_ambiguous(geocoder: OfflineGeocoder) -> None:
    """69003 (Lyon 3e) with Grenoble: 100 km apart, so neither is guessed."""
    with pytest.raises(AmbiguousQuery) as caught:
        geocoder.geocode("69003 Grenoble")
    assert {c.raw["insee"] for c in caught.value.candidates} == {"38185", "69383"}


def test_spelling_variants_give_the_same_commune(geocoder: OfflineGeocoder) -> None:
    """Accents, case, hyphens, apostrophes, Saint/St, articles: one commune."""
    variants = [
        "Saint-Martin-d'Hères",
        "ST MARTIN D HERES",
        "st-martin-d’hères",
        "Saint Martin d'Heres",
    ]
    assert {insee_of(geocoder, v) for v in variants} == {"38421"}
    assert {insee_of(geocoder, v) for v in ("Le Puy-en-Velay", "Puy-en-Velay (Le)")} == {"43157"}
    assert insee_of(geocoder, "Sainte-Foy-lès-Lyon") == "69202"


def test_every_postal_code_and_commune_of_the_base_resolves_to_itself(
    geocoder: OfflineGeocoder,
) -> None:
    """All 39,192 (postal code, commune name) pairs of La Poste's base find their commune."""
    wrong = [
        (row.postal_code, row.name)
        for row in load_communes()
        if (
            match := geocoder.resolve(AddressQuery(postal_code=row.postal_code, city=row.name)).best
        )
        is None
        or match.place.insee != row.insee
    ]
    assert wrong == []


def test_nothing_to_place(geocoder: OfflineGeocoder) -> None:
    """Unknown places, foreign countries and empty queries give None, never an exception."""
    assert geocoder.geocode("Xyzzyville") is None
    assert geocoder.geocode("") is None
    assert geocoder.geocode({"city": "Bruxelles", "country": "BE"}) is None


# --- reverse -----------------------------------------------------------------------------------


def test_reverse_gives_the_nearest_commune_centres(geocoder: OfflineGeocoder) -> None:
    """Place Bellecour is nearest to Lyon 2e's centre; mid-ocean is nowhere."""
    location = geocoder.reverse((45.7578, 4.8320))
    assert location is not None
    assert location.raw["insee"] == "69382"
    assert location.raw["distance_km"] < 2
    nearest = geocoder.reverse("45.19, 5.72", exactly_one=False)
    assert isinstance(nearest, list)
    assert nearest[0].raw["insee"] == "38185"
    distances = [n.raw["distance_km"] for n in nearest]
    assert distances == sorted(distances)
    assert geocoder.reverse((45.0, -20.0)) is None


def test_reach_grows_with_the_size_of_communes() -> None:
    """A Paris arrondissement reaches 3 km; Arles (the largest commune) far more; Lyon as a
    whole reaches further than any of its arrondissements."""
    g = get_gazetteer()
    paris_15 = g.reach_km(g.places["75115"])
    arles = g.reach_km(g.places["13004"])
    lyon = g.reach_km(g.places["69123"])
    assert paris_15 == 3.0
    assert 15 < arles <= 25
    assert lyon > max(g.reach_km(g.places[f"6938{n}"]) for n in range(1, 10))


# --- the address check ---------------------------------------------------------------------------


def test_a_postal_code_and_city_that_agree_say_nothing() -> None:
    """The right pairs, written any usual way, give no finding."""
    for code, city in [
        ("69003", "Lyon"),
        ("69003", "LYON 3E"),
        ("42000", "Saint Etienne"),
        ("42100", "Terrenoire"),
        ("69441", "Lyon Cedex 03"),
    ]:
        assert check_address(code, city) == (), (code, city)
    assert check_address("69003", None) == ()
    assert check_address("1000", "Bruxelles", "BE") == ()


def test_a_mismatch_names_both_fields_and_suggests_both_ways() -> None:
    """69100 is Villeurbanne's: for "Lyon" it suggests Lyon's nearest codes and Villeurbanne."""
    (finding,) = check_address("69100", "Lyon")
    assert finding.code == "postal_code_city_mismatch"
    assert finding.fields == ("postal_code", "city")
    assert finding.blocking
    assert "Villeurbanne" in finding.detail
    pairs = [(s.postal_code, s.city) for s in finding.suggestions]
    assert pairs[0][1] == "Lyon"
    assert pairs[0][0].startswith("6900")
    assert ("69100", "Villeurbanne") in pairs


def test_unknown_codes_cities_and_spellings_are_reported() -> None:
    """Unknown postal code, unknown city, a misspelling (which does not block), a CEDEX code of
    another département."""
    (code,) = check_address("69999", "Lyon")
    assert (code.code, code.fields) == ("unknown_postal_code", ("postal_code",))
    assert code.suggestions[0].postal_code == "69001"
    (city,) = check_address("69003", "Blorgville")
    assert city.code == "unknown_city"
    assert [s.commune for s in city.suggestions] == ["Lyon 3e"]
    (spelling,) = check_address("69100", "Villeurbane")
    assert spelling.code == "city_spelling"
    assert not spelling.blocking
    assert spelling.suggestions[0].city == "Villeurbanne"
    (cedex,) = check_address("75700", "Lyon Cedex")
    assert cedex.code == "postal_code_city_mismatch"


def test_a_position_far_from_the_commune_is_reported() -> None:
    """A position in Lyon for a Grenoble address is flagged; one in Grenoble is not."""
    (finding,) = check_position(45.76, 4.83, "38000", "Grenoble")
    assert finding.code == "position_outside_commune"
    assert finding.fields == ("latitude", "longitude")
    assert not finding.blocking
    assert check_position(45.19, 5.72, "38000", "Grenoble") == ()
    assert check_position(None, None, "38000", "Grenoble") == ()
