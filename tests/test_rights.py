"""Rights: every API endpoint, walked as every role, leaks nothing and writes nothing out of scope.

The walker reads ``app.url_map``. Each endpoint under /api is either public (``PUBLIC``)
or listed in ``ENDPOINTS`` with what it does (list, read, update, delete, create, act) and
which roles may do it. An endpoint in neither fails :func:`test_every_api_endpoint_is_known`,
so nobody adds an unprotected endpoint without stating who may call it.

The world: for each rep (a and b in team Nord, c in team Sud) an account holding one
record of every kind (contact, consent, interaction, note, follow-up, opportunity, order),
plus a shared custom field, the two teams, every user and a spare device per user.
Scope is one rule (:func:`oversees`): an admin oversees everyone, a manager their team,
a rep themselves. Records owned by someone the caller does not oversee must be answered
404, never appear in a list, and their ids, account names and user e-mails must appear in
no response body the caller ever gets.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from server.auth.models import Device, Role
from server.extensions import db

from .conftest import PASSWORD, Person, TeamFixture
from .helpers import account_body, create, patch

PEOPLE = ("admin", "manager", "rep_a", "rep_b", "manager_south", "rep_c")
OWNERS = ("rep_a", "rep_b", "rep_c")
TEAM_OF = {
    "admin": None,
    "manager": "Nord",
    "rep_a": "Nord",
    "rep_b": "Nord",
    "manager_south": "Sud",
    "rep_c": "Sud",
}

#: First path segment after /api/ -> kind of the record the endpoint is about.
PREFIX_KIND = {
    "accounts": "account",
    "contacts": "contact",
    "interactions": "interaction",
    "notes": "note",
    "followups": "followup",
    "opportunities": "opportunity",
    "orders": "order",
    "custom-fields": "custom_field",
    "users": "user",
    "devices": "device",
    "teams": "team",
}
KIND_PREFIX = {kind: prefix for prefix, kind in PREFIX_KIND.items()}
#: Kinds every user reads (reference data), not owned through an account.
SHARED_KINDS = {"custom_field", "team"}
#: Kinds whose records hang under an account.
CHILD_KINDS = ("contact", "interaction", "note", "followup", "opportunity", "order")

ANY_ROLE = frozenset(Role)
MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})
ADMIN_ONLY = frozenset({Role.ADMIN})

Action = Literal["list", "read", "me", "update", "delete", "create", "act", "elsewhere"]


@dataclass(frozen=True)
class Expect:
    """What an endpoint does for the walker, and the roles allowed to do it within scope."""

    action: Action
    roles: frozenset[Role] = ANY_ROLE
    note: str = ""


def _crud(
    prefix: str, *, write: frozenset[Role] = ANY_ROLE, delete: frozenset[Role] = ANY_ROLE
) -> dict[tuple[str, str], Expect]:
    """The five endpoints ``server.crud.register`` gives a resource."""
    item = f"/api/{prefix}/<uuid:record_id>"
    return {
        (f"/api/{prefix}", "GET"): Expect("list"),
        (f"/api/{prefix}", "POST"): Expect("create", write),
        (item, "GET"): Expect("read"),
        (item, "PATCH"): Expect("update", write),
        (item, "DELETE"): Expect("delete", delete),
    }


#: Every authenticated endpoint. Add a line here when you add an endpoint.
ENDPOINTS: dict[tuple[str, str], Expect] = {
    **_crud("accounts", delete=MANAGERS),
    ("/api/accounts/<uuid:record_id>/timeline", "GET"): Expect("read"),
    ("/api/accounts/<uuid:record_id>/kpis", "GET"): Expect("read"),
    ("/api/accounts/<uuid:record_id>/status-history", "GET"): Expect("read"),
    ("/api/accounts/<uuid:record_id>/duplicates", "GET"): Expect("read"),
    ("/api/accounts/duplicates", "GET"): Expect(
        "elsewhere",
        note="tests/test_duplicates.py::test_the_base_s_pairs_stay_in_the_caller_s_scope",
    ),
    ("/api/accounts/duplicates/check", "POST"): Expect(
        "elsewhere", note="tests/test_duplicates.py::test_only_live_accounts_the_caller_can_see"
    ),
    ("/api/accounts/<uuid:record_id>/geocode", "POST"): Expect("act"),
    ("/api/accounts/<uuid:record_id>/position", "POST"): Expect("act"),
    ("/api/accounts/<uuid:record_id>/position-from-checkin", "POST"): Expect("act"),
    **_crud("contacts"),
    ("/api/contacts/<uuid:record_id>/consents", "GET"): Expect("read"),
    ("/api/contacts/<uuid:record_id>/consents", "POST"): Expect("act"),
    ("/api/contacts/<uuid:record_id>/personal-data", "GET"): Expect("read"),
    ("/api/contacts/<uuid:record_id>/erase", "POST"): Expect(
        "elsewhere", MANAGERS, note="tests/test_gdpr.py::test_erasure_is_for_managers_in_scope"
    ),
    **_crud("interactions"),
    **_crud("notes"),
    **_crud("followups"),
    **_crud("opportunities"),
    **_crud("orders", write=MANAGERS, delete=MANAGERS),
    **_crud("custom-fields", write=ADMIN_ONLY, delete=ADMIN_ONLY),
    ("/api/me", "GET"): Expect("me"),
    ("/api/auth/logout", "POST"): Expect("elsewhere", note="test_logout_kills_the_token"),
    ("/api/users", "GET"): Expect("list"),
    ("/api/users", "POST"): Expect("create", ADMIN_ONLY),
    ("/api/users/<uuid:user_id>", "GET"): Expect("read"),
    ("/api/users/<uuid:user_id>", "PATCH"): Expect("update", ADMIN_ONLY),
    ("/api/teams", "GET"): Expect("list"),
    ("/api/teams", "POST"): Expect("create", ADMIN_ONLY),
    ("/api/devices", "GET"): Expect("list"),
    ("/api/devices/<uuid:device_id>/revoke", "POST"): Expect("act"),
    ("/api/sync/push", "POST"): Expect(
        "elsewhere", note="tests/test_sync_push.py::test_other_reps_records_are_rejected_not_leaked"
    ),
    ("/api/sync/pull", "GET"): Expect(
        "elsewhere", note="tests/test_sync_pull.py::test_pull_never_shows_another_reps_records"
    ),
    ("/api/sync/review", "GET"): Expect(
        "elsewhere", MANAGERS, note="tests/test_sync_review.py::test_review_list_is_for_the_team"
    ),
    ("/api/sync/review/<uuid:item_id>", "GET"): Expect(
        "elsewhere", MANAGERS, note="tests/test_sync_review.py::test_review_list_is_for_the_team"
    ),
    ("/api/sync/review/<uuid:item_id>/resolve", "POST"): Expect(
        "elsewhere", MANAGERS, note="tests/test_sync_review.py (choose, apply, discard)"
    ),
    ("/api/sync/audit/<string:entity>/<uuid:record_id>", "GET"): Expect(
        "elsewhere", note="tests/test_sync_review.py::test_audit_trail_lists_every_change"
    ),
    ("/api/sync/bootstrap", "GET"): Expect(
        "elsewhere", note="tests/test_sync_pull.py::test_pull_never_shows_another_reps_records"
    ),
    ("/api/plans", "GET"): Expect(
        "elsewhere", note="tests/test_plans.py::test_plan_list_stays_in_scope"
    ),
    **{
        (path, method): Expect("elsewhere", note="tests/test_plans.py::test_plans_stay_in_scope")
        for path, method in (
            ("/api/plans", "POST"),
            ("/api/plans/<uuid:record_id>", "GET"),
            ("/api/plans/<uuid:record_id>/accept", "POST"),
            ("/api/plans/<uuid:record_id>/replan", "POST"),
            ("/api/plans/<uuid:record_id>/links", "GET"),
            ("/api/plans/<uuid:record_id>/calendar", "GET"),
            ("/api/plans/<uuid:record_id>/sheet", "GET"),
            ("/api/users/<uuid:user_id>/planning-profile", "GET"),
            ("/api/users/<uuid:user_id>/planning-profile", "PUT"),
        )
    },
}

#: Endpoints reachable without a token, with a path to call them by.
PUBLIC: dict[tuple[str, str], str] = {
    ("/api/auth/login", "POST"): "/api/auth/login",
    ("/api/openapi.json", "GET"): "/api/openapi.json",
    ("/api/docs", "GET"): "/api/docs",
    ("/api/docs/assets/<path:filename>", "GET"): "/api/docs/assets/swagger-ui.css",
}

#: A PATCH per kind that changes a field other than the labels the leak check looks for.
PROBE: dict[str, dict[str, Any]] = {
    "account": {"territory": "Sondé"},
    "contact": {"job_title": "Sondé"},
    "interaction": {"subject": "Sondé"},
    "note": {"body": "Sondé"},
    "followup": {"reason": "Sondé"},
    "opportunity": {"title": "Sondé"},
    "order": {"reference": "SONDE"},
    "custom_field": {"label": "Sondé"},
    "user": {"name": "Sondé"},
}

#: Body of a valid new child record of the account ``account_id``.
CHILD_BODY: dict[str, Callable[[str], dict[str, Any]]] = {
    "contact": lambda a: {"account_id": a, "last_name": "Dupont"},
    "interaction": lambda a: {
        "account_id": a,
        "kind": "visit",
        "starts_at": "2025-03-04T09:00:00Z",
    },
    "note": lambda a: {"account_id": a, "body": "Vu le gérant."},
    "followup": lambda a: {"account_id": a, "due_date": "2025-04-01", "reason": "Rappeler"},
    "opportunity": lambda a: {"account_id": a, "title": "Vitrine réfrigérée"},
    "order": lambda a: {"account_id": a, "order_date": "2025-02-01", "amount_excl_vat": "1200.00"},
}

#: Body of a valid new record of a kind that no account owns.
SHARED_BODY: dict[str, Callable[[], dict[str, Any]]] = {
    "custom_field": lambda: {
        "entity": "contact",
        "key": f"k_{uuid.uuid4().hex[:8]}",
        "label": "Champ",
        "type": "text",
    },
    "user": lambda: {
        "email": f"new.{uuid.uuid4().hex[:8]}@example.fr",
        "name": "Nouveau",
        "role": "rep",
        "password": "long enough password",
    },
    "team": lambda: {"name": f"Équipe {uuid.uuid4().hex[:8]}"},
}

CONSENT_BODY = {"purpose": "profiling", "state": "given", "source": "walker"}
#: Body of each action that takes one, by the end of its path (the world's accounts are in
#: Lyon: a fix at Place Bellecour is plausible for them).
ACT_BODY: dict[str, dict[str, Any]] = {
    "/consents": CONSENT_BODY,
    "/position": {"lat": 45.7578, "lon": 4.832},
    "/position-from-checkin": {"lat": 45.7578, "lon": 4.832, "accuracy_m": 15},
}
_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
STALE_ETAG = '"0123456789abcdef0123456789abcdef"'


# --- the world ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rec:
    """A record of the world, who it belongs to, and a distinctive text it carries."""

    kind: str
    id: str
    #: Person whose scope holds it; None for shared reference data.
    owner: str | None
    label: str | None = None
    #: False for records the walker must not aim writes at (the devices it logs in with).
    target: bool = True


@dataclass
class World:
    """The people, their records, and the scope rule."""

    people: dict[str, Person]
    records: list[Rec]
    accounts: dict[str, str]

    def oversees(self, caller: str, other: str) -> bool:
        """The one scope rule: admin everyone, manager their team, rep themselves."""
        role = self.people[caller].role
        if role is Role.ADMIN:
            return True
        if role is Role.MANAGER:
            return TEAM_OF[other] == TEAM_OF[caller]
        return other == caller

    def sees(self, caller: str, rec: Rec) -> bool:
        """True when ``rec`` is within ``caller``'s scope."""
        return rec.owner is None or self.oversees(caller, rec.owner)

    def of(self, kind: str) -> list[Rec]:
        """Records of ``kind`` the walker may aim at."""
        return [r for r in self.records if r.kind == kind and r.target]

    def visible_ids(self, caller: str, kind: str) -> set[str]:
        """Ids of every record of ``kind`` that ``caller`` may see."""
        return {r.id for r in self.records if r.kind == kind and self.sees(caller, r)}

    def secrets(self, caller: str) -> list[str]:
        """Ids and labels of records out of ``caller``'s scope: no response may carry them."""
        out: list[str] = []
        for rec in self.records:
            if not self.sees(caller, rec):
                out.append(rec.id)
                if rec.label:
                    out.append(rec.label)
        return out


def build_world(app: Flask, client: FlaskClient, team: TeamFixture) -> World:
    """Create, through the API, an account per rep with one record of every kind under it."""
    people = {name: getattr(team, name) for name in PEOPLE}
    admin = team.admin
    records: list[Rec] = []
    with app.app_context():
        for name, person in people.items():
            spare = Device(id=uuid.uuid4(), user_id=person.id, name="spare")
            db.session.add(spare)
            records.append(Rec("device", str(spare.id), name))
        db.session.commit()
    for name, person in people.items():
        records.append(Rec("user", str(person.id), name, label=person.email))
        records.append(Rec("device", str(person.device_id), name, target=False))
    for t in client.get("/api/teams", headers=admin.headers).get_json():
        records.append(Rec("team", t["id"], None))
    field = create(client, admin, "/api/custom-fields", SHARED_BODY["custom_field"]())
    records.append(Rec("custom_field", field["id"], None))

    accounts: dict[str, str] = {}
    for owner in OWNERS:
        rep = people[owner]
        name = f"Secret-{owner}-{uuid.uuid4().hex[:8]}"
        account = create(client, rep, "/api/accounts", {"name": name, "city": "Lyon"})
        accounts[owner] = account["id"]
        records.append(Rec("account", account["id"], owner, label=name))
        for kind in CHILD_KINDS:
            author = admin if kind == "order" else rep
            body = CHILD_BODY[kind](account["id"])
            child = create(client, author, f"/api/{KIND_PREFIX[kind]}", body)
            records.append(Rec(kind, child["id"], owner))
            if kind == "contact":
                consent = create(client, rep, f"/api/contacts/{child['id']}/consents", CONSENT_BODY)
                records.append(Rec("consent", consent["id"], owner))
    return World(people, records, accounts)


# --- walking ---------------------------------------------------------------------------------


def api_endpoints(app: Flask) -> set[tuple[str, str]]:
    """Every (rule, method) the app answers under /api."""
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.rule == "/api" or rule.rule.startswith("/api/"):
            out.update((rule.rule, m) for m in rule.methods or () if m not in {"HEAD", "OPTIONS"})
    return out


def fill(rule: str, value: str) -> str:
    """Put ``value`` in the one ``<uuid:...>`` parameter of ``rule`` (ValueError otherwise).

    An ``<string:entity>`` parameter (the audit trail's) names the kind of record: the
    walker's records are accounts.
    """
    rule = rule.replace("<string:entity>", "account")
    params = _PARAM.findall(rule)
    if len(params) > 1 or any(converter != "uuid" for converter, _ in params):
        raise ValueError(f"the walker cannot fill the parameters of {rule}")
    return _PARAM.sub(value, rule)


def kind_of(rule: str) -> str:
    """The kind of record an endpoint is about, from its first path segment."""
    segment = rule.removeprefix("/api/").split("/")[0]
    if segment not in PREFIX_KIND:
        raise ValueError(f"the walker does not know which records {rule} is about")
    return PREFIX_KIND[segment]


def problem_error(response: TestResponse, status: int) -> str | None:
    """Why ``response`` is not a problem+json document of ``status``, or None."""
    if response.status_code != status:
        text = response.get_data(as_text=True)[:200]
        return f"status {response.status_code}, expected {status}: {text}"
    if response.mimetype != "application/problem+json":
        return f"content type {response.mimetype}, expected application/problem+json"
    body = response.get_json(silent=True) or {}
    if body.get("status") != status or not body.get("title"):
        return f"problem document without status {status} and a title: {body}"
    return None


def error_fields(response: TestResponse) -> set[str]:
    """Names of the fields a problem document's ``errors`` list blames."""
    body = response.get_json(silent=True) or {}
    return {e.get("field", "") for e in body.get("errors") or []}


class Walker:
    """Calls endpoints as people of the world and collects every violation it sees."""

    def __init__(self, client: FlaskClient, world: World) -> None:
        self.client = client
        self.world = world
        self.violations: list[str] = []
        self._secrets = {name: world.secrets(name) for name in PEOPLE}

    def fail(self, message: str) -> None:
        """Record a violation."""
        self.violations.append(message)

    def send(
        self,
        caller: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        """Call as ``caller`` and check the answer carries nothing out of their scope."""
        response = self.client.open(
            path,
            method=method,
            json=json,
            headers={**self.world.people[caller].headers, **(headers or {})},
        )
        text = response.get_data(as_text=True)
        leaked = [s for s in self._secrets[caller] if s in text]
        if leaked:
            self.fail(f"{caller} {method} {path} -> {response.status_code} leaks {leaked}")
        return response

    def admin_get(self, path: str) -> TestResponse:
        """Read as the admin (the reference view of the database)."""
        return self.client.get(path, headers=self.world.people["admin"].headers)

    def expect_status(
        self, caller: str, method: str, path: str, response: TestResponse, status: int
    ) -> None:
        """Record a violation unless ``response`` is ``status`` (problem+json when an error)."""
        if status >= 400:
            error = problem_error(response, status)
        elif response.status_code != status:
            error = f"status {response.status_code}, expected {status}: {response.get_json()}"
        else:
            error = None
        if error:
            self.fail(f"{caller} {method} {path}: {error}")

    # -- snapshots: the admin's view of a record, to prove a refused write changed nothing

    def snapshot(self, rec: Rec) -> Any:
        """What the admin sees of ``rec`` (and of a contact's consents)."""
        if rec.kind == "device":
            devices = self.admin_get("/api/devices").get_json()
            return next(d for d in devices if d["id"] == rec.id)
        path = f"/api/{KIND_PREFIX[rec.kind]}/{rec.id}"
        state = [self.admin_get(path).get_json()]
        if rec.kind == "contact":
            state.append(self.admin_get(path + "/consents").get_json())
        return state

    def collection(self, kind: str, query: str = "") -> list[str]:
        """Ids the admin lists in the collection of ``kind``."""
        body = self.admin_get(f"/api/{KIND_PREFIX[kind]}?page_size=500{query}").get_json()
        return sorted(item["id"] for item in body)

    def etag(self, rec: Rec) -> dict[str, str]:
        """An If-Match header with the record's current ETag, when it has one."""
        tag = self.admin_get(f"/api/{KIND_PREFIX[rec.kind]}/{rec.id}").headers.get("ETag")
        return {"If-Match": tag} if tag else {}

    # -- reads

    def list_(self, caller: str, rule: str) -> None:
        """A list holds exactly the records of the caller's scope."""
        kind = kind_of(rule)
        path = f"{rule}?page_size=500"
        response = self.send(caller, "GET", path)
        self.expect_status(caller, "GET", path, response, 200)
        got = {item["id"] for item in response.get_json() or []}
        expected = self.world.visible_ids(caller, kind)
        if got - expected:
            self.fail(f"{caller} GET {rule} lists records out of scope: {sorted(got - expected)}")
        if expected - got:
            self.fail(f"{caller} GET {rule} misses records in scope: {sorted(expected - got)}")

    def read(self, caller: str, rule: str) -> None:
        """A record in scope reads 200; out of scope 404, like one that does not exist."""
        for rec in self.world.of(kind_of(rule)):
            path = fill(rule, rec.id)
            response = self.send(caller, "GET", path)
            status = 200 if self.world.sees(caller, rec) else 404
            self.expect_status(caller, "GET", path, response, status)

    def me(self, caller: str, rule: str) -> None:
        """/api/me is the caller."""
        response = self.send(caller, "GET", rule)
        if (response.get_json() or {}).get("id") != str(self.world.people[caller].id):
            self.fail(f"{caller} GET {rule} is not themselves: {response.get_json()}")

    # -- writes

    def refusal(self, caller: str, rec: Rec, roles: frozenset[Role]) -> int | None:
        """The status a write on ``rec`` must be refused with, or None when it is allowed.

        Scope comes first: a role limit must not reveal that an out-of-scope record exists.
        """
        if not self.world.sees(caller, rec):
            return 404
        return None if self.world.people[caller].role in roles else 403

    def update(self, caller: str, rule: str, roles: frozenset[Role]) -> None:
        """PATCH out of scope is 404, by a role not allowed 403; neither changes anything."""
        kind = kind_of(rule)
        for rec in self.world.of(kind):
            path = fill(rule, rec.id)
            refusal = self.refusal(caller, rec, roles)
            before = self.snapshot(rec) if refusal else None
            response = self.send(caller, "PATCH", path, json=PROBE[kind], headers=self.etag(rec))
            if refusal is None:
                self.expect_status(caller, "PATCH", path, response, 200)
                field, value = next(iter(PROBE[kind].items()))
                if (response.get_json() or {}).get(field) != value:
                    self.fail(f"{caller} PATCH {path} did not write {field}")
                continue
            self.expect_status(caller, "PATCH", path, response, refusal)
            if self.snapshot(rec) != before:
                self.fail(f"{caller} PATCH {path} refused with {refusal} but changed the record")

    def delete(self, caller: str, rule: str, roles: frozenset[Role]) -> None:
        """DELETE out of scope is 404, by a role not allowed 403, else it reaches the ETag check.

        Callers who may delete send a stale ETag: the 412 proves the request passed the scope
        and role checks without destroying the world the other callers walk.
        """
        for rec in self.world.of(kind_of(rule)):
            path = fill(rule, rec.id)
            before = self.snapshot(rec)
            refusal = self.refusal(caller, rec, roles)
            headers = self.etag(rec) if refusal else {"If-Match": STALE_ETAG}
            response = self.send(caller, "DELETE", path, headers=headers)
            self.expect_status(caller, "DELETE", path, response, refusal or 412)
            if self.snapshot(rec) != before:
                self.fail(f"{caller} DELETE {path} refused but changed the record")

    def act(self, caller: str, rule: str, roles: frozenset[Role]) -> None:
        """An action on a record (consent, revoke) out of scope is 404 and changes nothing."""
        body = next((b for end, b in ACT_BODY.items() if rule.endswith(end)), None)
        for rec in self.world.of(kind_of(rule)):
            path = fill(rule, rec.id)
            refusal = self.refusal(caller, rec, roles)
            before = self.snapshot(rec) if refusal else None
            response = self.send(caller, "POST", path, json=body)
            if refusal is None:
                if not 200 <= response.status_code < 300:
                    self.fail(f"{caller} POST {path}: {response.status_code} {response.get_json()}")
                continue
            self.expect_status(caller, "POST", path, response, refusal)
            if self.snapshot(rec) != before:
                self.fail(f"{caller} POST {path} refused with {refusal} but changed something")

    def create(self, caller: str, rule: str, roles: frozenset[Role]) -> None:
        """Creating is allowed by role, and only for owners or accounts within scope."""
        kind = kind_of(rule)
        role_ok = self.world.people[caller].role in roles
        if kind == "account":
            for owner in OWNERS:
                query = f"&owner_id={self.world.people[owner].id}"
                body = {
                    "name": f"Nouveau {uuid.uuid4().hex[:6]}",
                    "owner_id": str(self.world.people[owner].id),
                }
                if role_ok and self.world.oversees(caller, owner):
                    self._create(caller, rule, kind, body, query, 201)
                else:
                    self._create(caller, rule, kind, body, query, 403, "owner_id")
        elif kind in CHILD_KINDS:
            for owner, account_id in self.world.accounts.items():
                body = CHILD_BODY[kind](account_id)
                status = 403 if not role_ok else 201 if self.world.oversees(caller, owner) else 422
                self._create(
                    caller,
                    rule,
                    kind,
                    body,
                    f"&account_id={account_id}",
                    status,
                    "account_id" if status == 422 else None,
                )
        elif kind in SHARED_BODY:
            self._create(caller, rule, kind, SHARED_BODY[kind](), "", 201 if role_ok else 403)
        else:
            self.fail(f"the walker cannot build a body to POST {rule}")

    def _create(
        self,
        caller: str,
        rule: str,
        kind: str,
        body: dict[str, Any],
        query: str,
        status: int,
        blamed: str | None = None,
    ) -> None:
        """POST ``body``; expect ``status``; a refusal adds nothing to the collection."""
        before = self.collection(kind, query) if status >= 400 else None
        response = self.send(caller, "POST", rule, json=body)
        self.expect_status(caller, "POST", rule, response, status)
        if blamed and blamed not in error_fields(response):
            body = response.get_json()
            self.fail(f"{caller} POST {rule} -> {status} does not name {blamed}: {body}")
        if status >= 400 and self.collection(kind, query) != before:
            self.fail(f"{caller} POST {rule} refused with {status} but created a record")


def walk(app: Flask, walker: Walker, actions: set[Action]) -> None:
    """Call every endpoint whose action is in ``actions`` as every person."""
    for rule, method in sorted(api_endpoints(app)):
        expect = ENDPOINTS.get((rule, method))
        if expect is None or expect.action not in actions:
            continue
        for caller in PEOPLE:
            try:
                if expect.action == "list":
                    walker.list_(caller, rule)
                elif expect.action == "read":
                    walker.read(caller, rule)
                elif expect.action == "me":
                    walker.me(caller, rule)
                else:
                    getattr(walker, expect.action)(caller, rule, expect.roles)
            except ValueError as err:
                walker.fail(str(err))
                break


def report(violations: list[str]) -> str:
    """All violations, one a line."""
    return f"{len(violations)} violation(s):\n" + "\n".join(violations)


# --- the tests -------------------------------------------------------------------------------


def test_every_api_endpoint_is_known(app: Flask) -> None:
    """Every endpoint under /api is public on purpose or has a rights expectation here.

    A new endpoint fails this test until a line in ENDPOINTS says what it does and who may.
    """
    found = api_endpoints(app)
    unknown = sorted(found - ENDPOINTS.keys() - PUBLIC.keys())
    stale = sorted((ENDPOINTS.keys() | PUBLIC.keys()) - found)
    assert not unknown, f"endpoints without a rights expectation in tests/test_rights.py: {unknown}"
    assert not stale, f"expectations for endpoints that no longer exist: {stale}"
    cannot = []
    for (rule, _method), expect in ENDPOINTS.items():
        try:
            fill(rule, str(uuid.uuid4()))
            if expect.action not in {"me", "elsewhere"}:
                kind_of(rule)
        except ValueError as err:
            cannot.append(str(err))
    assert not cannot, cannot


def test_without_a_valid_token_every_endpoint_is_401(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """No token, a malformed header or an unknown token: 401 problem+json, on every endpoint."""
    violations = []
    variants: dict[str, dict[str, str]] = {
        "no token": {},
        "basic auth": {"Authorization": "Basic cmVwOnB3"},
        "empty bearer": {"Authorization": "Bearer "},
        "unknown token": {"Authorization": "Bearer trn_not-a-real-token"},
    }
    for rule, method in sorted(api_endpoints(app) - PUBLIC.keys()):
        try:
            path = fill(rule, str(uuid.uuid4()))
        except ValueError as err:
            violations.append(str(err))
            continue
        for name, headers in variants.items():
            response = client.open(path, method=method, json={}, headers=headers)
            error = problem_error(response, 401)
            if error:
                violations.append(f"{method} {path} with {name}: {error}")
            elif "WWW-Authenticate" not in response.headers:
                violations.append(f"{method} {path} with {name}: no WWW-Authenticate header")
    for (rule, method), path in PUBLIC.items():
        if client.open(path, method=method, json={}).status_code == 401:
            violations.append(f"public {method} {rule} asks for a token")
    assert not violations, report(violations)


def test_reads_return_only_what_the_caller_may_see(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """Every GET as every role: lists hold exactly the caller's scope, other records are 404.

    No response carries the id of a record out of scope, an account name or a user's e-mail.
    """
    world = build_world(app, client, team)
    walker = Walker(client, world)
    walk(app, walker, {"list", "read", "me"})
    assert not walker.violations, report(walker.violations)


def test_writes_out_of_scope_or_role_are_refused_and_change_nothing(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """Every POST/PATCH/DELETE as every role: 404 out of scope, 403 beyond the role.

    A refused write leaves the record as the admin saw it before; an allowed one succeeds
    (deletes are probed with a stale ETag, which must reach the 412 check).
    """
    world = build_world(app, client, team)
    walker = Walker(client, world)
    walk(app, walker, {"update", "delete", "create", "act"})
    assert not walker.violations, report(walker.violations)


def test_revoked_device_token_is_refused_at_once(client: FlaskClient, team: TeamFixture) -> None:
    """A manager revokes a rep's device: the rep's very next call is 401; others keep working."""
    assert client.get("/api/me", headers=team.rep_a.headers).status_code == 200
    r = client.post(f"/api/devices/{team.rep_a.device_id}/revoke", headers=team.manager.headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["revoked_at"] is not None
    assert problem_error(client.get("/api/me", headers=team.rep_a.headers), 401) is None
    assert problem_error(client.get("/api/accounts", headers=team.rep_a.headers), 401) is None
    assert client.get("/api/me", headers=team.rep_b.headers).status_code == 200
    relogin = client.post(
        "/api/auth/login",
        json={
            "email": team.rep_a.email,
            "password": PASSWORD,
            "device_id": str(team.rep_a.device_id),
        },
    )
    assert relogin.status_code == 403, relogin.get_json()
    assert "device_id" in error_fields(relogin)


def test_logout_kills_the_token(client: FlaskClient, team: TeamFixture) -> None:
    """After POST /api/auth/logout the token is dead; other devices stay logged in."""
    assert client.post("/api/auth/logout", headers=team.rep_a.headers).status_code == 204
    assert problem_error(client.get("/api/me", headers=team.rep_a.headers), 401) is None
    assert problem_error(client.post("/api/auth/logout", headers=team.rep_a.headers), 401) is None
    assert client.get("/api/me", headers=team.rep_b.headers).status_code == 200


def test_deactivating_a_user_kills_all_their_tokens(client: FlaskClient, team: TeamFixture) -> None:
    """An admin sets active=false: every device of that user is 401 and login is refused."""
    login = {"email": team.rep_a.email, "password": PASSWORD, "device_id": str(uuid.uuid4())}
    second = client.post("/api/auth/login", json=login)
    assert second.status_code == 200, second.get_json()
    second_headers = {"Authorization": f"Bearer {second.get_json()['token']}"}
    r = client.patch(
        f"/api/users/{team.rep_a.id}", json={"active": False}, headers=team.admin.headers
    )
    assert r.status_code == 200, r.get_json()
    for headers in (team.rep_a.headers, second_headers):
        assert problem_error(client.get("/api/me", headers=headers), 401) is None
    assert problem_error(client.post("/api/auth/login", json=login), 401) is None
    assert client.get("/api/me", headers=team.rep_b.headers).status_code == 200


def test_south_manager_sees_nothing_of_the_north(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """Team Sud's manager lists only Sud's accounts, users and devices; Nord's records are 404."""
    world = build_world(app, client, team)
    south = team.manager_south.headers
    accounts = client.get("/api/accounts", headers=south).get_json()
    assert [a["id"] for a in accounts] == [world.accounts["rep_c"]]
    users = {u["id"] for u in client.get("/api/users", headers=south).get_json()}
    assert users == {str(team.manager_south.id), str(team.rep_c.id)}
    devices = {d["user_id"] for d in client.get("/api/devices", headers=south).get_json()}
    assert devices == users
    for rec in world.records:
        if rec.owner in {"manager", "rep_a", "rep_b"} and rec.kind in KIND_PREFIX and rec.target:
            if rec.kind == "device":
                continue
            path = f"/api/{KIND_PREFIX[rec.kind]}/{rec.id}"
            assert problem_error(client.get(path, headers=south), 404) is None, path
    north_account = world.accounts["rep_a"]
    timeline = client.get(f"/api/accounts/{north_account}/timeline", headers=south)
    assert problem_error(timeline, 404) is None


def test_account_owner_follows_the_hierarchy(client: FlaskClient, team: TeamFixture) -> None:
    """A rep gives accounts only to themselves, a manager within their team, an admin to anyone."""
    r = client.post(
        "/api/accounts", json=account_body(owner_id=str(team.rep_b.id)), headers=team.rep_a.headers
    )
    assert problem_error(r, 403) is None
    assert "owner_id" in error_fields(r)

    account = create(client, team.rep_a, "/api/accounts", account_body())
    path = f"/api/accounts/{account['id']}"
    r = patch(client, team.rep_a, path, {"owner_id": str(team.rep_b.id)})
    assert problem_error(r, 403) is None
    assert "owner_id" in error_fields(r)

    r = patch(client, team.manager, path, {"owner_id": str(team.rep_b.id)})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["owner_id"] == str(team.rep_b.id)
    assert problem_error(client.get(path, headers=team.rep_a.headers), 404) is None
    assert client.get(path, headers=team.rep_b.headers).status_code == 200

    r = patch(client, team.manager, path, {"owner_id": str(team.rep_c.id)})
    assert problem_error(r, 403) is None
    assert "owner_id" in error_fields(r)

    r = patch(client, team.admin, path, {"owner_id": str(team.rep_c.id)})
    assert r.status_code == 200, r.get_json()
    assert client.get(path, headers=team.manager_south.headers).status_code == 200
    assert problem_error(client.get(path, headers=team.manager.headers), 404) is None

    r = client.post(
        "/api/accounts",
        json=account_body(siret=None, owner_id=str(team.rep_c.id)),
        headers=team.manager.headers,
    )
    assert problem_error(r, 403) is None
    r = client.post(
        "/api/accounts",
        json=account_body(siret=None, owner_id=str(team.rep_c.id)),
        headers=team.admin.headers,
    )
    assert r.status_code == 201, r.get_json()


def test_out_of_scope_looks_exactly_like_missing(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """A rep cannot tell another rep's account from an id that was never used."""
    world = build_world(app, client, team)
    other = client.get(f"/api/accounts/{world.accounts['rep_b']}", headers=team.rep_a.headers)
    missing = client.get(f"/api/accounts/{uuid.uuid4()}", headers=team.rep_a.headers)
    assert other.status_code == missing.status_code == 404
    assert other.get_json() == missing.get_json()
    note = CHILD_BODY["note"]
    rep_a = team.rep_a.headers
    other = client.post("/api/notes", json=note(world.accounts["rep_b"]), headers=rep_a)
    missing = client.post("/api/notes", json=note(str(uuid.uuid4())), headers=rep_a)
    assert other.status_code == missing.status_code == 422
    assert other.get_json() == missing.get_json()
