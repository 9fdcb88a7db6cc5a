"""The demo base: believable, consistent, reproducible, and only seeded into an empty database."""

from __future__ import annotations

import itertools
import re
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import phonenumbers
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from routing.communes import load_communes
from server.accounts.duplicates import role_mailbox
from server.accounts.models import Account, StatusChange
from server.accounts.schemas import validate_opening_hours
from server.auth.models import Role, User
from server.contacts.models import Consent, Contact
from server.demo import (
    DEMO_PASSWORD,
    DEMO_USERS,
    REGION,
    DemoBase,
    DemoError,
    all_rows,
    demo_logins,
    generate,
    seed_demo,
)
from server.enums import (
    AccountKind,
    InteractionStatus,
    LifecycleStatus,
    OpportunityStage,
)
from server.extensions import db
from server.followups.models import FollowUp
from server.interactions.models import Interaction
from server.notes.models import Note
from server.opportunities.models import Opportunity
from server.orders.models import Order

NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)  # a Monday morning
ARA = ("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74")
# Auvergne-Rhône-Alpes fits in this box (with a little margin).
LAT_RANGE, LON_RANGE = (44.1, 46.9), (1.7, 7.2)


@pytest.fixture(scope="module")
def base() -> DemoBase:
    """A generated (not inserted) base, large enough for the proportions to show."""
    return generate(300, seed=11, now=NOW, password_hash="not-a-hash")


# ------------------------------------------------------------ pure generation


def test_same_seed_same_base_different_seed_different_base() -> None:
    """Generation is reproducible: names, ids and reports depend only on seed and clock."""
    first = generate(40, seed=5, now=NOW)
    again = generate(40, seed=5, now=NOW)
    other = generate(40, seed=6, now=NOW)

    def fingerprint(b: DemoBase) -> list[tuple[object, ...]]:
        return [
            (
                r.account.id,
                r.account.name,
                r.account.city,
                r.account.siret,
                [i.summary for i in r.interactions],
                [o.amount_excl_vat for o in r.orders],
            )
            for r in b.accounts
        ]

    assert fingerprint(first) == fingerprint(again)
    assert [u.id for u in first.users] == [u.id for u in again.users]
    assert [r.account.name for r in first.accounts] != [r.account.name for r in other.accounts]


def test_the_draws_do_not_depend_on_the_day() -> None:
    """Another day shifts the dates but keeps the same accounts (dates are offsets from today)."""
    today = generate(30, seed=5, now=NOW)
    later = generate(30, seed=5, now=NOW + timedelta(days=100))
    assert [r.account.name for r in today.accounts] == [r.account.name for r in later.accounts]
    shift = [
        (b.account.created_at - a.account.created_at).days
        for a, b in zip(today.accounts, later.accounts, strict=True)
    ]
    assert set(shift) <= {99, 100, 101}  # local-time rounding around midnight


def test_people_are_one_admin_one_manager_three_reps_in_one_team(base: DemoBase) -> None:
    """The fixed logins: admin outside the team, manager and reps inside it."""
    roles = Counter(u.role for u in base.users)
    assert roles == {Role.ADMIN: 1, Role.MANAGER: 1, Role.REP: 3}
    assert all(u.team_id == base.team.id for u in base.users if u.role is not Role.ADMIN)
    assert base.team.name == REGION
    assert [(u.email, u.role.value) for u in base.users] == demo_logins()
    assert "camille.martin@demo.tournee.fr" in {u.email for u in base.users}
    assert len(DEMO_PASSWORD) >= 10


def test_each_rep_plans_from_home_inside_their_territory(base: DemoBase) -> None:
    """Every rep has a planning profile whose start is a commune of their départements."""
    reps = {u.id: p for p, u in zip(DEMO_USERS, base.users, strict=True) if p.role is Role.REP}
    assert {profile.user_id for profile in base.profiles} == set(reps)
    for profile in base.profiles:
        (home,) = {
            c.departement
            for c in load_communes()
            if (c.lat, c.lon) == (profile.start_lat, profile.start_lon)
        }
        assert home in reps[profile.user_id].departements
        assert profile.end_lat is None  # back home at night
        assert profile.day_start < profile.lunch_start < profile.day_end


def test_accounts_are_owned_by_the_rep_of_their_departement(base: DemoBase) -> None:
    """Each rep covers whole départements; the account's territory is that rep's."""
    reps = {u.id: p for p, u in zip(DEMO_USERS, base.users, strict=True) if u.role is Role.REP}
    # The commune's département, not the postal code's: 05700 serves communes of the Drôme.
    departement = {(c.postal_code, c.lat, c.lon): c.departement for c in load_communes()}
    for rows in base.accounts:
        account = rows.account
        person = reps[account.owner_id]
        where = departement[(account.postal_code, account.latitude, account.longitude)]
        assert where in person.departements
        assert account.territory == person.territory
    assert len({r.account.owner_id for r in base.accounts}) == 3


def test_positions_are_commune_centres_inside_the_region(base: DemoBase) -> None:
    """Every account sits on the centre of a real commune of its postal code, in ARA."""
    centres = {(c.postal_code, c.lat, c.lon) for c in load_communes()}
    for rows in base.accounts:
        a = rows.account
        assert (a.postal_code, a.latitude, a.longitude) in centres
        assert LAT_RANGE[0] < a.latitude < LAT_RANGE[1]
        assert LON_RANGE[0] < a.longitude < LON_RANGE[1]
        assert a.geocode_precision.value == "municipality"
        assert a.geocode_source == "laposte-communes"
        assert a.city
        assert a.city != a.city.upper()
        assert a.country == "FR"
        assert a.region == REGION
    cities = Counter(r.account.city for r in base.accounts)
    assert cities["Lyon"] > cities.most_common()[-1][1]  # big towns weigh more


def test_companies_have_valid_identifiers_and_plausible_profiles(base: DemoBase) -> None:
    """SIRET and SIREN pass their Luhn checks, NAF codes are well formed, no SIREN repeats."""
    companies = [r.account for r in base.accounts if r.account.kind is AccountKind.COMPANY]
    assert 0.75 < len(companies) / len(base.accounts) < 0.95
    for a in companies:
        assert stdnum_siret.is_valid(a.siret), a.siret
        assert stdnum_siren.is_valid(a.siren)
        assert a.siret.startswith(a.siren)
        assert re.fullmatch(r"\d{2}\.\d{2}[A-Z]", a.naf_code)
        assert a.headcount_band is not None
        assert a.annual_revenue > 0
        assert a.address_line1
        validate_opening_hours(a.opening_hours)
    assert len({a.siren for a in companies}) == len(companies)
    assert any(a.name.startswith("Boulangerie") and a.naf_code == "10.71C" for a in companies)
    persons = [r.account for r in base.accounts if r.account.kind is AccountKind.PERSON]
    assert persons
    for p in persons:
        assert p.siret is None
        assert p.last_name
        assert p.civility
        assert p.birth_date
        assert p.name == f"{p.last_name} {p.first_name}"


def test_opening_hours_vary(base: DemoBase) -> None:
    """Most shops close on Sunday, some on Monday, some open without a lunch break."""
    hours = [r.account.opening_hours for r in base.accounts if r.account.opening_hours]
    assert sum("sun" not in h for h in hours) > len(hours) / 2
    assert any("mon" not in h and "tue" in h for h in hours)
    assert any(len(h.get("tue", [])) == 1 for h in hours)


def test_every_phone_number_is_valid_e164(base: DemoBase) -> None:
    """Switchboards, mobiles and direct lines are valid French numbers in E.164."""
    numbers = [r.account.phone for r in base.accounts]
    numbers += [n for r in base.accounts for c in r.contacts for n in (c.mobile, c.phone) if n]
    assert len(numbers) > len(base.accounts)
    for number in numbers:
        parsed = phonenumbers.parse(number)
        assert phonenumbers.is_valid_number(parsed), number
        assert number == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    mobiles = [c.mobile for r in base.accounts for c in r.contacts if c.mobile]
    assert all(m.startswith(("+336", "+337")) for m in mobiles)


def test_accounts_share_no_e_mail_address_across_towns(base: DemoBase) -> None:
    """Two shops of one name in two towns do not share a mailbox, except a chain's
    contact@ (which the duplicate finder discounts): the demo's duplicates are not e-mails."""
    towns: dict[str, set[str]] = {}
    for rows in base.accounts:
        if rows.account.email and not role_mailbox(rows.account.email):
            towns.setdefault(rows.account.email.lower(), set()).add(rows.account.city)
    assert len(towns) > len(base.accounts) // 3
    assert {email: t for email, t in towns.items() if len(t) > 1} == {}


def test_companies_have_one_to_three_contacts_with_one_primary(base: DemoBase) -> None:
    """Contacts belong to their account, one primary each, consents point at them."""
    for rows in base.accounts:
        assert 1 <= len(rows.contacts) <= 3
        assert sum(c.is_primary for c in rows.contacts) == 1
        assert all(c.account_id == rows.account.id for c in rows.contacts)
        ids = {c.id for c in rows.contacts}
        assert all(c.contact_id in ids and c.account_id == rows.account.id for c in rows.consents)
    assert any(r.consents for r in base.accounts)


def test_status_mix_and_history_are_consistent(base: DemoBase) -> None:
    """Clients are the largest group; each history starts at creation and ends at the status."""
    mix = Counter(r.account.status for r in base.accounts)
    assert mix.most_common(1)[0][0] is LifecycleStatus.CLIENT
    assert set(mix) == set(LifecycleStatus)
    for rows in base.accounts:
        history = rows.status_changes
        assert history[0].from_status is None
        assert history[0].changed_at == rows.account.created_at
        assert history[-1].to_status is rows.account.status
        for before, after in itertools.pairwise(history):
            assert after.from_status is before.to_status
            assert after.changed_at > before.changed_at


def test_interactions_belong_to_the_owner_and_look_like_a_year_of_work(base: DemoBase) -> None:
    """Past interactions are done (or cancelled/no-show), planned ones are in the next 2 weeks."""
    statuses: Counter[InteractionStatus] = Counter()
    for rows in base.accounts:
        contact_ids = {str(c.id) for c in rows.contacts}
        for i in rows.interactions:
            statuses[i.status] += 1
            assert i.user_id == rows.account.owner_id
            assert set(i.contact_ids) <= contact_ids
            assert i.starts_at >= rows.account.created_at
            if i.status is InteractionStatus.PLANNED:
                assert NOW < i.starts_at < NOW + timedelta(days=17)
            else:
                assert NOW - timedelta(days=370) < i.starts_at < NOW
                assert i.summary
    assert statuses[InteractionStatus.DONE] > 10 * statuses[InteractionStatus.CANCELLED] > 0
    assert statuses[InteractionStatus.NO_SHOW] > 0
    assert statuses[InteractionStatus.PLANNED] >= 20
    reports = [i for r in base.accounts for i in r.interactions]
    assert any(i.competitor and i.competitor_contract_end for i in reports)
    assert any(i.objections for i in reports)
    assert any(i.motivations for i in reports)


def test_planned_visits_make_feasible_days_per_area(base: DemoBase) -> None:
    """A rep's planned visits: at most six a day, never two at once, one area per day."""
    days: dict[tuple[object, object], list[Interaction]] = {}
    area: dict[tuple[object, object], set[str]] = {}
    departement = {(c.postal_code, c.lat, c.lon): c.departement for c in load_communes()}
    for rows in base.accounts:
        a = rows.account
        for i in rows.interactions:
            if i.status is InteractionStatus.PLANNED:
                key = (i.user_id, i.starts_at.date())
                days.setdefault(key, []).append(i)
                area.setdefault(key, set()).add(
                    departement[(a.postal_code, a.latitude, a.longitude)]
                )
    assert days
    for key, visits in days.items():
        assert len(visits) <= 6
        assert len({v.starts_at for v in visits}) == len(visits)
        assert key[1].weekday() < 5
    assert sum(len(a) == 1 for a in area.values()) >= 0.9 * len(area)


def test_orders_are_for_clients_with_margins_terms_and_some_unpaid(base: DemoBase) -> None:
    """Only (former) clients order; margins 15-40 %, 30/45-day terms, a few unpaid or overdue."""
    orders = []
    for rows in base.accounts:
        if rows.orders:
            assert rows.account.status in (LifecycleStatus.CLIENT, LifecycleStatus.FORMER_CLIENT)
        orders += rows.orders
    assert orders
    for o in orders:
        assert 0.149 <= float(o.margin / o.amount_excl_vat) <= 0.401  # rates, cent-rounded
        assert (o.due_date - o.order_date).days in (30, 45)
        assert o.order_date >= (NOW - timedelta(days=545)).date()
        assert o.paid == (o.paid_at is not None)
        assert re.fullmatch(r"FA-\d{4}-\d{5}", o.reference)
    assert len({o.reference for o in orders}) == len(orders)
    today = NOW.date()
    unpaid = [o for o in orders if not o.paid]
    assert 0 < len(unpaid) < len(orders) / 3
    assert any(o.due_date < today for o in unpaid)


def test_followups_opportunities_and_notes(base: DemoBase) -> None:
    """Open relances around today (some overdue), a pipeline at every stage, a few notes."""
    today = NOW.date()
    followups = [f for r in base.accounts for f in r.followups]
    open_ = [f for f in followups if not f.done]
    assert any(f.due_date < today for f in open_)
    assert any(f.due_date >= today for f in open_)
    assert any(f.done and f.done_at for f in followups)
    assert any(f.reason.startswith("Relancer le paiement de la facture FA-") for f in followups)
    stages = Counter(o.stage for r in base.accounts for o in r.opportunities)
    assert set(stages) == set(OpportunityStage)
    assert any(r.notes for r in base.accounts)


def test_timestamps_are_in_the_past_and_ordered(base: DemoBase) -> None:
    """Every synced row was created before now and not updated before it was created."""
    for row in all_rows(base):
        assert row.created_at is not None
        assert row.updated_at is not None
        assert row.created_at <= row.updated_at <= NOW, row
        assert row.deleted_at is None


# ------------------------------------------------------------ in the database


def _count(model: type) -> int:
    """Rows of ``model`` in the database."""
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_fills_an_empty_database_and_refuses_a_second_time(app: Flask) -> None:
    """All rows land at version 1; a database with users is refused with DemoError."""
    lines: list[str] = []
    with app.app_context():
        summary = seed_demo(n_accounts=60, seed=3, progress=lines.append)
        counts = summary.counts
        models = {
            "users": User, "accounts": Account, "contacts": Contact, "consents": Consent,
            "interactions": Interaction, "orders": Order, "opportunities": Opportunity,
            "followups": FollowUp, "notes": Note, "status_changes": StatusChange,
        }  # fmt: skip
        assert {name: _count(model) for name, model in models.items()} == counts
        assert counts["accounts"] == 60
        for model in models.values():
            if model is not User:
                assert db.session.scalar(select(func.max(model.version))) in (1, None)
        reps = set(db.session.scalars(select(User.id).where(User.role == Role.REP)))
        owners = set(db.session.scalars(select(Account.owner_id)))
        assert owners <= reps
        assert db.session.scalar(
            select(func.count()).select_from(Order).where(Order.paid.is_(False))
        )
        # Every account has its creation in the status history.
        assert (
            db.session.scalar(
                select(func.count(func.distinct(StatusChange.account_id))).where(
                    StatusChange.from_status.is_(None)
                )
            )
            == 60
        )
        with pytest.raises(DemoError, match="already has 5 user"):
            seed_demo(n_accounts=10, seed=3, progress=lines.append)
        assert _count(Account) == 60
    assert lines[-1] == "accounts 60/60"
    assert "60 accounts" in summary.describe()
    assert summary.logins == demo_logins()


def test_demo_login_works_over_http(app: Flask, client: FlaskClient) -> None:
    """A demo e-mail with DEMO_PASSWORD opens a session whose token reaches the API."""
    with app.app_context():
        seed_demo(n_accounts=5, seed=1, progress=lambda line: None)
    email = demo_logins()[2][0]
    r = client.post(
        "/api/auth/login",
        json={
            "email": email,
            "password": DEMO_PASSWORD,
            "device_id": str(uuid.uuid4()),
            "device_name": "Démo",
        },
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["user"]["email"] == email
    token = r.get_json()["token"]
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200


def test_a_demo_rep_gets_a_plan_without_any_setting(app: Flask, client: FlaskClient) -> None:
    """The seeded profiles and positions are enough to preview a rep's next working day."""
    with app.app_context():
        seed_demo(n_accounts=60, seed=5, progress=lambda line: None)
    r = client.post(
        "/api/auth/login",
        json={
            "email": demo_logins()[2][0],
            "password": DEMO_PASSWORD,
            "device_id": str(uuid.uuid4()),
            "device_name": "Démo",
        },
    )
    headers = {"Authorization": f"Bearer {r.get_json()['token']}"}
    monday = datetime.now(UTC).date() + timedelta(days=7 - datetime.now(UTC).weekday())
    plan = client.post(
        "/api/plans", json={"date_from": monday.isoformat(), "time_limit": 1}, headers=headers
    )
    assert plan.status_code == 201, plan.get_json()
    (day,) = plan.get_json()["days"]
    assert any(stop["kind"] == "visit" for stop in day["stops"])


def test_seed_demo_command_prints_counts_and_logins(app: Flask, runner) -> None:
    """``flask seed-demo --accounts 30`` seeds, lists the logins, and refuses a second run."""
    result = runner.invoke(args=["seed-demo", "--accounts", "30"])
    assert result.exit_code == 0, result.output
    assert "accounts 30/30" in result.output
    assert DEMO_PASSWORD in result.output
    for email, role in demo_logins():
        assert re.search(rf"{role}\s+{re.escape(email)}", result.output)
    again = runner.invoke(args=["seed-demo", "--accounts", "30"])
    assert again.exit_code != 0
    assert "already has" in again.output
