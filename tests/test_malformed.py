"""No input, however malformed, makes the API answer 500.

Every write endpoint under /api (found in ``app.url_map``, so new ones are covered) gets
malformed JSON, JSON that is not an object, the wrong content type, unknown fields, every
field of its OpenAPI request schema set to every wrong type, and, one field at a time on
an otherwise valid body, the values that slip past a naive validator and bite the database:
NUL characters, lone surrogates, 10k and 1 MB strings, huge and non-finite numbers,
impossible dates and timestamps that overflow when turned to UTC. List endpoints get
hostile query strings, item endpoints bad UUIDs and bad If-Match headers.

Every answer must be below 500; every 4xx a problem document (RFC 9457) whose ``status``
is the HTTP status; every 422 lists the failing fields. Afterwards the database holds
exactly what it held, except rows that a successful answer accounts for.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.test import TestResponse

from server.auth.models import Device
from server.auth.tokens import new_token
from server.extensions import db

from .conftest import Person, TeamFixture

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


class Raw(str):
    """JSON text put into a body verbatim: NaN, lone surrogates, literals json.dumps refuses."""


SURROGATE = Raw('"a\\ud800b"')
NUL = "a\x00b"
NAN, INF, NEG_INF = Raw("NaN"), Raw("Infinity"), Raw("-Infinity")
HUGE_LITERAL = Raw("9" * 5000)
DEEP = Raw("[" * 10_000 + "]" * 10_000)

#: Every field at once is set to each of these: wrong types for any field.
WRONG_TYPES: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    10**30,
    "",
    "x",
    "\x00",
    [],
    [None],
    {},
    {"a": [1, {"b": None}]},
    NAN,
    INF,
    NEG_INF,
    SURROGATE,
    "2024-13-45",
    "not-a-uuid",
]

#: Malformed bodies: (name, raw bytes, content type, expected status or None for any 4xx/2xx).
RAW_BODIES: list[tuple[str, bytes, str, int | None]] = [
    ("not JSON", b"hello", "application/json", 400),
    ("truncated JSON", b'{"name": "abc', "application/json", 400),
    ("invalid UTF-8", b'{"name": "\xff\xfe"}', "application/json", 400),
    ("UTF-8 BOM", b'\xef\xbb\xbf{"name": "x"}', "application/json", 400),
    ("nested 10k levels", DEEP.encode(), "application/json", 400),
    (
        "object nested 10k levels",
        ('{"a":' * 10_000 + "1" + "}" * 10_000).encode(),
        "application/json",
        400,
    ),
    ("5000-digit number", b'{"name": ' + HUGE_LITERAL.encode() + b"}", "application/json", 400),
    ("JSON array", b"[]", "application/json", None),
    ("JSON array of objects", b'[{"name": "x"}]', "application/json", None),
    ("JSON string", b'"hello"', "application/json", None),
    ("JSON number", b"42", "application/json", None),
    ("JSON null", b"null", "application/json", None),
    ("empty body", b"", "application/json", None),
    ("text/plain", b'{"name": "x"}', "text/plain", 415),
    ("form", b"name=x&owner_id=y", "application/x-www-form-urlencoded", 415),
    ("no content type", b'{"name": "x"}', "", 415),
]

#: Actions whose success changes the records that refer to the one they act on.
CASCADING_ACTIONS = ("/erase",)

#: A field whose error a cross-field rule reports under another name.
CROSS_FIELD = {"longitude": {"latitude"}}  # "latitude and longitude go together"
BAD_PATH_IDS = ["not-a-uuid", "%00", "1" * 300, "00000000-0000-0000-0000-00000000000g", "%ED%A0%80"]
BAD_IF_MATCH = ['"garbage"', "garbage", 'W/"0"', '"' + "0" * 5000 + '"', '"\x7f"']

#: Query values thrown at every query parameter of every GET endpoint.
QUERY_VALUES = [
    "",
    "%00",
    "a%00b",
    "%ED%A0%80",
    "-1",
    "0",
    "100000",
    "1" * 40,
    "1.5",
    "bogus",
    "-",
    "-bogus",
    ",,",
    "2024-13-45",
    "0000-01-01",
    "0001-01-01",
    "10000-01-01",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00%2B14:00",
    "not-a-uuid",
    "x" * 10_000,
]
PAGE_QUERIES = [
    "page=-1",
    "page=0",
    "page=" + "9" * 30,
    "page=" + "9" * 5000,
    "page_size=100000",
    "page_size=0",
    "page_size=-5",
    "page=abc",
    "page=2147483648&page_size=500",
    "page=99999999999999&page_size=500",
    "page=1.5",
    "sort=nope",
    "sort=-",
    "sort=%00",
]


def tricky_values(spec: dict[str, Any]) -> list[Any]:
    """Values for one field, chosen by its OpenAPI type, that may get past validation."""
    kind, fmt = spec.get("type"), spec.get("format")
    if "enum" in spec:
        return ["bogus", NUL, SURROGATE]
    if kind == "string" and fmt == "date":
        return ["2024-13-45", "0000-01-01", "0001-01-01", "9999-12-31", "10000-01-01", NUL]
    if kind == "string" and fmt == "date-time":
        return [
            "2024-13-45T00:00:00Z",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "10000-01-01T00:00:00Z",
            "2024-01-01T25:00:00Z",
            "2024-01-01T00:00:00+25:00",
            NUL,
        ]
    if kind == "string" and fmt == "uuid":
        return ["not-a-uuid", "00000000-0000-0000-0000-000000000000", str(uuid.uuid4()), NUL]
    if kind == "string":
        values = [NUL, SURROGATE, "x" * 10_000, " "]
        if fmt == "url":
            values += [
                "https://example.com/a\x00b",
                Raw('"https://example.com/\\ud800"'),
                "https://" + "a" * 10_000 + ".fr",
            ]
        if fmt == "email":
            values += ["a\x00@example.fr", Raw('"a\\ud800@example.fr"'), "x" * 300 + "@example.fr"]
        return values
    if kind in {"integer", "number"}:
        return [-1, 2**31, 10**30, 1.5, "12", NAN, INF, Raw("1e400")]
    if kind == "boolean":
        return ["maybe", 2, NUL]
    if kind == "array":
        return [[NUL], [SURROGATE], ["x"] * 10_000, [[[]]], [None], [10**30], "x"]
    if kind == "object" or kind is None:
        return [
            {"\x00": "x"},
            {"k": NUL},
            Raw('{"a\\ud800": 1}'),
            Raw('{"k": "\\ud800"}'),
            {"mon": [["08:00", "12:00\x00"]]},
            {"k": 10**30},
            [],
            "x",
        ]
    return []


def dumps(body: Any) -> bytes:
    """JSON text of ``body`` with every :class:`Raw` value inserted verbatim."""
    raws: dict[str, str] = {}

    def mark(value: Any) -> Any:
        if isinstance(value, Raw):
            key = f"@@raw{len(raws)}@@"
            raws[key] = str(value)
            return key
        if isinstance(value, dict):
            return {mark(k): mark(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mark(v) for v in value]
        return value

    text = json.dumps(mark(body), ensure_ascii=False)
    for key, raw in raws.items():
        text = text.replace(json.dumps(key), raw)
    return text.encode("utf-8")


# --- valid bodies, and how to fill paths ---------------------------------------------------


@dataclass
class Ctx:
    """What the valid bodies refer to: the admin's records, created once per test."""

    team: TeamFixture
    ids: dict[str, str] = field(default_factory=dict)

    def new(self, prefix: str) -> str:
        """A fresh unique suffix."""
        return f"{prefix}{uuid.uuid4().hex[:10]}"


#: A valid body per write endpoint that takes one. Add one when you add such an endpoint.
VALID: dict[tuple[str, str], Callable[[Ctx], dict[str, Any]]] = {
    ("/api/auth/login", "POST"): lambda c: {
        "email": "admin@example.fr",
        "password": "not the password",
        "device_id": str(uuid.uuid4()),
    },
    ("/api/users", "POST"): lambda c: {
        "email": c.new("u") + "@example.fr",
        "name": "Nouveau",
        "role": "rep",
        "password": "long enough password",
    },
    ("/api/teams", "POST"): lambda c: {"name": c.new("Équipe ")},
    ("/api/sync/push", "POST"): lambda c: {"protocol": 1, "mutations": []},
    ("/api/sync/review/<uuid:item_id>/resolve", "POST"): lambda c: {"action": "discard"},
    ("/api/accounts", "POST"): lambda c: {"name": c.new("Boulangerie "), "city": "Lyon"},
    ("/api/accounts/duplicates/check", "POST"): lambda c: {
        "name": "Boulangerie Morel",
        "postal_code": "69003",
        "phone": "04 78 12 34 56",
    },
    # The account above is in Lyon: a fix at Place Bellecour is a plausible check-in.
    ("/api/accounts/<uuid:record_id>/position", "POST"): lambda c: {"lat": 45.7578, "lon": 4.832},
    ("/api/accounts/<uuid:record_id>/position-from-checkin", "POST"): lambda c: {
        "lat": 45.7578,
        "lon": 4.832,
        "accuracy_m": 15,
    },
    ("/api/contacts", "POST"): lambda c: {"account_id": c.ids["accounts"], "last_name": "Durand"},
    ("/api/contacts/<uuid:record_id>/consents", "POST"): lambda c: {
        "purpose": "email_marketing",
        "state": "given",
        "source": "visite",
    },
    ("/api/interactions", "POST"): lambda c: {
        "account_id": c.ids["accounts"],
        "kind": "visit",
        "starts_at": "2025-03-04T09:00:00Z",
    },
    ("/api/notes", "POST"): lambda c: {"account_id": c.ids["accounts"], "body": "Vu le gérant."},
    ("/api/followups", "POST"): lambda c: {
        "account_id": c.ids["accounts"],
        "due_date": "2025-04-01",
        "reason": "Rappeler",
    },
    ("/api/opportunities", "POST"): lambda c: {"account_id": c.ids["accounts"], "title": "Vitrine"},
    ("/api/orders", "POST"): lambda c: {
        "account_id": c.ids["accounts"],
        "order_date": "2025-02-01",
        "amount_excl_vat": "10.00",
    },
    ("/api/custom-fields", "POST"): lambda c: {
        "entity": "contact",
        "key": c.new("k_"),
        "label": "Champ",
        "type": "text",
    },
    ("/api/plans", "POST"): lambda c: {
        "date_from": "2030-03-04",
        "start": {"lat": 45.7578, "lon": 4.832},
    },
    ("/api/plans/<uuid:record_id>/replan", "POST"): lambda c: {
        "lat": 45.7578,
        "lon": 4.832,
        "at": "2030-03-04T13:30:00Z",
    },
}
#: Order in which the world is created: later bodies refer to earlier records.
CREATION_ORDER = [
    "accounts",
    "contacts",
    "interactions",
    "notes",
    "followups",
    "opportunities",
    "orders",
    "custom-fields",
    "plans",
]


def api_endpoints(app: Flask) -> list[tuple[str, str]]:
    """Every (rule, method) under /api, sorted."""
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            out.update((rule.rule, m) for m in rule.methods or () if m not in {"HEAD", "OPTIONS"})
    return sorted(out)


def openapi_path(rule: str) -> str:
    """``/api/x/<uuid:record_id>`` as OpenAPI writes it: ``/api/x/{record_id}``."""
    return _PARAM.sub(lambda m: "{" + m[2] + "}", rule)


def prefix_of(rule: str) -> str:
    """First path segment after /api/ (two for /api/sync/..., whose areas differ)."""
    parts = rule.removeprefix("/api/").split("/")
    return "/".join(parts[:2]) if parts[0] == "sync" else parts[0]


def problem_errors(response: TestResponse, *, expect: int | None = None) -> list[str]:
    """What is wrong with ``response`` as an answer to bad input."""
    status = response.status_code
    out = []
    if status >= 500:
        return [f"status {status}"]
    if expect is not None and status != expect:
        out.append(f"status {status}, expected {expect}: {response.get_data(as_text=True)[:300]}")
    if status >= 400:
        if response.mimetype != "application/problem+json":
            out.append(f"{status} with content type {response.mimetype}")
        body = response.get_json(silent=True) or {}
        if body.get("status") != status or not body.get("title"):
            out.append(f"{status} problem without matching status and a title: {str(body)[:300]}")
        if status == 422:
            errors = body.get("errors")
            if not errors or not all(isinstance(e, dict) and e.get("field") for e in errors):
                out.append(f"422 without an errors list naming fields: {str(body)[:300]}")
    return out


def blamed(response: TestResponse) -> set[str]:
    """Top-level field names a 422 blames."""
    body = response.get_json(silent=True) or {}
    return {str(e.get("field", "")).split(".")[0] for e in body.get("errors") or []}


# --- the database, before and after ----------------------------------------------------------

#: Columns that change on every authenticated request, or every sync request.
VOLATILE = {("devices", "last_seen_at"), ("devices", "last_sync_at")}


def db_rows(app: Flask) -> dict[tuple[str, Any], dict[str, Any]]:
    """Every row of every table, keyed by (table, primary key)."""
    rows = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            pk = [c.name for c in table.primary_key.columns]
            for row in db.session.execute(select(table)).mappings():
                values = {k: v for k, v in row.items() if (table.name, k) not in VOLATILE}
                rows[(table.name, tuple(str(row[c]) for c in pk))] = values
        db.session.remove()
    return rows


def unexplained_changes(
    before: dict, after: dict, touched: set[str], known: set[str], cascaded: set[str]
) -> list[str]:
    """Rows that changed, appeared or vanished without a successful answer naming them.

    A record the test knows by id is explained only by an answer about that id; a side row
    (status history, change log...) by an answer about a record it refers to. An action that
    cascades (GDPR erasure) explains every row that refers to the record it acted on.
    """

    def refers_to(row: dict[str, Any], ids: set[str]) -> bool:
        return any(str(v) in ids for k, v in row.items() if k.endswith("_id"))

    def explained(row: dict[str, Any]) -> bool:
        own = str(row.get("id"))
        if refers_to(row, cascaded) or own in touched:
            return True
        return own not in known and refers_to(row, touched)

    out = []
    for key, row in before.items():
        if key not in after:
            out.append(f"row vanished: {key}")
        elif after[key] != row and not explained(row):
            changed = sorted(k for k in row if row[k] != after[key][k])
            out.append(f"row changed without a 2xx: {key} {changed}")
    out.extend(
        f"row appeared without a 2xx: {key}"
        for key in after.keys() - before.keys()
        if not explained(after[key])
    )
    return out


# --- the barrage -------------------------------------------------------------------------------


class Thrower:
    """Sends bad input as one person and collects every violation."""

    def __init__(self, app: Flask, client: FlaskClient, ctx: Ctx, doc: dict[str, Any]) -> None:
        self.app = app
        self.client = client
        self.ctx = ctx
        self.doc = doc
        self.violations: list[str] = []
        #: Ids a successful answer created or changed: their rows may differ afterwards.
        self.touched: set[str] = set()
        self.cascaded: set[str] = set()
        self.etags: dict[str, str] = {}
        #: Every row of the database once the world is built.
        self.before: dict[tuple[str, Any], dict[str, Any]] = {}

    def send(
        self,
        who: Person | None,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        expect: int | None = None,
        what: str = "",
    ) -> TestResponse:
        """Send, check the answer, and remember what a 2xx touched."""
        data = raw if raw is not None else (dumps(body) if body is not None else None)
        all_headers = {**(who.headers if who else {}), **(headers or {})}
        if content_type:
            all_headers["Content-Type"] = content_type
        try:
            response = self.client.open(path, method=method, data=data, headers=all_headers)
        except Exception as exc:  # escaping the error handlers: a 500 in production
            self.violations.append(f"{method} {path} [{what}]: raised {exc!r:.200}")
            return TestResponse([], "599 RAISED", {}, None)  # type: ignore[arg-type]
        for problem in problem_errors(response, expect=expect):
            self.violations.append(f"{method} {path} [{what}]: {problem}")
        if 200 <= response.status_code < 300:
            self.touched.update(_ids_in(response.get_json(silent=True)))
            self.touched.update(_UUID.findall(path))
            if path.endswith(CASCADING_ACTIONS):
                self.cascaded.update(_UUID.findall(path))
            if response.headers.get("ETag"):
                self.etags[path] = response.headers["ETag"]
        return response

    def finish(self) -> None:
        """Fail with every violation seen, and with every row changed without a 2xx saying so."""
        after = db_rows(self.app)
        known = set(self.ctx.ids.values()) | {str(p.id) for p in self.ctx.team.all()}
        self.violations.extend(
            unexplained_changes(self.before, after, self.touched, known, self.cascaded)
        )
        assert not self.violations, report(self.violations)

    def fields(self, rule: str, method: str) -> dict[str, dict[str, Any]]:
        """Writable properties of the endpoint's OpenAPI request schema."""
        op = self.doc["paths"].get(openapi_path(rule), {}).get(method.lower(), {})
        ref = op.get("requestBody", {}).get("content", {}).get("application/json", {})
        schema = ref.get("schema", {})
        if "$ref" in schema:
            schema = self.doc["components"]["schemas"][schema["$ref"].split("/")[-1]]
        props = schema.get("properties", {})
        return {k: v for k, v in props.items() if not v.get("readOnly")}

    def takes_body(self, rule: str, method: str) -> bool:
        """True when the OpenAPI document declares a request body."""
        op = self.doc["paths"].get(openapi_path(rule), {}).get(method.lower(), {})
        return "requestBody" in op

    def if_match(self, path: str, who: Person) -> dict[str, str]:
        """A correct If-Match for ``path`` (from the last answer that gave its ETag)."""
        if path not in self.etags:
            tag = self.client.get(path, headers=who.headers).headers.get("ETag")
            if tag:
                self.etags[path] = tag
        return {"If-Match": self.etags[path]} if path in self.etags else {}

    def fill(self, rule: str) -> str:
        """The path of a live record for ``rule`` (ValueError when the walker cannot tell)."""
        rule = rule.replace("<string:entity>", "account")  # the audit trail's record kind
        params = _PARAM.findall(rule)
        if not params:
            return rule
        if len(params) > 1 or params[0][0] != "uuid":
            raise ValueError(f"cannot fill the parameters of {rule}")
        prefix = prefix_of(rule)
        if prefix not in self.ctx.ids:
            raise ValueError(f"no record to aim {rule} at: add one to the Ctx")
        return _PARAM.sub(self.ctx.ids[prefix], rule)

    def throw_at(self, who: Person, rule: str, method: str, *, per_field: bool = True) -> None:
        """Everything bad at one write endpoint (``per_field``: also one field at a time)."""
        try:
            path = self.fill(rule)
        except ValueError as err:
            self.violations.append(str(err))
            return
        if method == "DELETE":
            self._throw_at_delete(who, rule)
            return
        if rule == "/api/auth/logout":
            for name, raw, ctype, _ in RAW_BODIES[:6]:
                self.send(
                    None,
                    method,
                    path,
                    raw=raw,
                    content_type=ctype,
                    what=name,
                    headers=self._fresh_token(who),
                )
            return
        if not self.takes_body(rule, method):
            for name, raw, ctype, _ in RAW_BODIES:
                self.send(who, method, path, raw=raw, content_type=ctype, what=name)
            return
        if method == "POST" and (rule, method) not in VALID:
            self.violations.append(f"no valid body for POST {rule}: add one to VALID")
            return
        valid = (lambda: VALID[(rule, method)](self.ctx)) if method == "POST" else dict
        headers = (lambda: self.if_match(path, who)) if method in {"PATCH", "PUT"} else dict
        fields = self.fields(rule, method)

        for name, raw, ctype, expect in RAW_BODIES:
            self.send(
                who,
                method,
                path,
                raw=raw,
                content_type=ctype,
                headers=headers(),
                expect=expect,
                what=name,
            )
        unknown = {**valid(), "zz_unknown": 1, "\x00": 2}
        r = self.send(
            who, method, path, body=unknown, headers=headers(), expect=422, what="unknown fields"
        )
        if "zz_unknown" not in blamed(r):
            self.violations.append(f"{method} {path}: unknown field not named: {r.get_json()}")
        for value in WRONG_TYPES:
            body = {**valid(), **dict.fromkeys(fields, value)}
            self.send(
                who, method, path, body=body, headers=headers(), what=f"every field = {value!r:.40}"
            )
        for name, spec in fields.items() if per_field else ():
            for value in tricky_values(spec):
                what = f"{name} = {value!r:.40}"
                r = self.send(
                    who, method, path, body={**valid(), name: value}, headers=headers(), what=what
                )
                if r.status_code == 422 and not blamed(r) & ({name} | CROSS_FIELD.get(name, set())):
                    self.violations.append(
                        f"{method} {path} [{what}]: 422 does not name {name}: {sorted(blamed(r))}"
                    )
        strings = [n for n, spec in fields.items() if spec.get("type") == "string"]
        if strings:
            self.send(
                who,
                method,
                path,
                body={**valid(), strings[0]: "x" * 1_000_000},
                headers=headers(),
                expect=422,
                what=f"{strings[0]} = 1 MB",
            )
        too_big = self.app.config["MAX_CONTENT_LENGTH"] + 1
        self.send(
            who,
            method,
            path,
            raw=b'{"name": "' + b"a" * too_big + b'"}',
            headers=headers(),
            expect=413,
            what="body over MAX_CONTENT_LENGTH",
        )

    def _throw_at_delete(self, who: Person, rule: str) -> None:
        """DELETE ignores bodies: throw them at a record created for each throw."""
        collection = rule.rsplit("/", 1)[0]
        for name, raw, ctype, expect in RAW_BODIES[:8] + RAW_BODIES[-3:]:
            created = self.send(
                who,
                "POST",
                collection,
                body=VALID[(collection, "POST")](self.ctx),
                expect=201,
                what="disposable record",
            )
            if created.status_code != 201:
                return
            path = f"{collection}/{created.get_json()['id']}"
            self.send(
                who,
                "DELETE",
                path,
                raw=raw,
                content_type=ctype,
                headers={"If-Match": created.headers["ETag"]},
                # A DELETE's body is ignored, whatever its type: only bad JSON is refused.
                expect=204 if expect in (None, 415) else expect,
                what=name,
            )

    def _fresh_token(self, who: Person) -> dict[str, str]:
        """A new device token for ``who`` (logging out kills the token it is sent with)."""
        token, digest = new_token()
        with self.app.app_context():
            device = Device(id=uuid.uuid4(), user_id=who.id, name="throwaway", token_hash=digest)
            db.session.add(device)
            db.session.commit()
            self.touched.add(str(device.id))
        return {"Authorization": f"Bearer {token}"}


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _ids_in(body: Any) -> Iterator[str]:
    """Every "id" value in a JSON answer."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "id" and isinstance(value, str):
                yield value
            else:
                yield from _ids_in(value)
    elif isinstance(body, list):
        for item in body:
            yield from _ids_in(item)


def build(app: Flask, client: FlaskClient, team: TeamFixture) -> Thrower:
    """Create one record of every kind as the admin, and a thrower aimed at them."""
    ctx = Ctx(team)
    doc = client.get("/api/openapi.json").get_json()
    thrower = Thrower(app, client, ctx, doc)
    for prefix in CREATION_ORDER:
        r = client.post(
            f"/api/{prefix}",
            json=VALID[(f"/api/{prefix}", "POST")](ctx),
            headers=team.admin.headers,
        )
        assert r.status_code == 201, (prefix, r.get_json())
        ctx.ids[prefix] = r.get_json()["id"]
    consent = VALID[("/api/contacts/<uuid:record_id>/consents", "POST")](ctx)
    r = client.post(
        f"/api/contacts/{ctx.ids['contacts']}/consents", json=consent, headers=team.admin.headers
    )
    assert r.status_code == 201, r.get_json()
    ctx.ids["consents"] = r.get_json()["id"]
    for entity in ("account", "contact"):
        # Custom values reach a JSON column: a text field "k" lets NUL and surrogates try.
        definition = {"entity": entity, "key": "k", "label": "K", "type": "text"}
        r = client.post("/api/custom-fields", json=definition, headers=team.admin.headers)
        assert r.status_code == 201, r.get_json()
    # A rejected device change, for the review endpoints; the audit trail of the account.
    bad_create = {
        "mid": 1,
        "entity": "account",
        "op": "create",
        "id": str(uuid.uuid4()),
        "fields": {"name": "x", "postal_code": "bad"},
    }
    r = client.post(
        "/api/sync/push",
        json={"protocol": 1, "mutations": [bad_create]},
        headers=team.admin.headers,
    )
    ctx.ids["sync/review"] = r.get_json()["outcomes"][0]["review_id"]
    ctx.ids["sync/audit"] = ctx.ids["accounts"]
    ctx.ids["users"] = str(team.rep_c.id)
    with app.app_context():
        spare = Device(id=uuid.uuid4(), user_id=team.rep_c.id, name="spare")
        db.session.add(spare)
        db.session.commit()
        ctx.ids["devices"] = str(spare.id)
    thrower.before = db_rows(app)
    return thrower


def report(violations: list[str]) -> str:
    """Violations, one a line (the first 80)."""
    return f"{len(violations)} violation(s):\n" + "\n".join(v[:400] for v in violations[:80])


# --- the tests -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_last_seen_writes(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of requests: skip the device's last-seen write each one makes (not tested here)."""
    monkeypatch.setitem(app.config, "DEVICE_SEEN_RESOLUTION_S", 3600)


def test_bad_bodies_at_every_write_endpoint_never_500(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """Malformed JSON, wrong types, NUL, surrogates, huge values: 4xx problem+json, never 500.

    Afterwards no row changed, appeared or vanished unless a 2xx answer accounts for it.
    """
    thrower = build(app, client, team)
    for rule, method in api_endpoints(app):
        if method in WRITE_METHODS:
            thrower.throw_at(team.admin, rule, method)
    thrower.finish()


def test_bad_bodies_from_a_rep_never_500(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """The same barrage as a rep (own account, and endpoints their role refuses): never a 500."""
    thrower = build(app, client, team)
    account = thrower.send(
        team.rep_a,
        "POST",
        "/api/accounts",
        body={"name": "Chez moi"},
        expect=201,
        what="the rep's account",
    )
    thrower.ctx.ids["accounts"] = account.get_json()["id"]
    thrower.throw_at(team.rep_a, "/api/accounts", "POST")
    for rule, method in [
        ("/api/accounts/<uuid:record_id>", "PATCH"),
        ("/api/notes", "POST"),
        ("/api/interactions", "POST"),
        ("/api/orders", "POST"),
        ("/api/custom-fields", "POST"),
    ]:
        thrower.throw_at(team.rep_a, rule, method, per_field=False)
    thrower.finish()


def test_hostile_query_strings_never_500(
    app: Flask, client: FlaskClient, team: TeamFixture
) -> None:
    """Every query parameter of every GET endpoint gets bad enums, NUL, huge pages, bad dates."""
    thrower = build(app, client, team)
    for rule, method in api_endpoints(app):
        if method != "GET" or rule in {"/api/docs", "/api/openapi.json"} or "<path:" in rule:
            continue
        try:
            path = thrower.fill(rule)
        except ValueError as err:
            thrower.violations.append(str(err))
            continue
        op = thrower.doc["paths"].get(openapi_path(rule), {}).get("get", {})
        names = [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"]
        for name in names:
            for value in QUERY_VALUES:
                thrower.send(team.admin, "GET", f"{path}?{name}={value}", what=name)
        if "page" in names:
            for query in PAGE_QUERIES:
                thrower.send(team.admin, "GET", f"{path}?{query}", what=query)
    thrower.finish()


def test_bad_path_ids_and_preconditions(app: Flask, client: FlaskClient, team: TeamFixture) -> None:
    """Bad UUIDs in paths are 404; a wrong If-Match is 412, a missing one 428; a reused id 409."""
    thrower = build(app, client, team)
    admin = team.admin
    for rule, method in api_endpoints(app):
        if "<uuid:" not in rule:
            continue
        for bad in BAD_PATH_IDS:
            path = _PARAM.sub(bad, rule)
            thrower.send(admin, method, path, body={}, expect=404, what="bad path id")
    for rule, method in api_endpoints(app):
        if method not in {"PATCH", "DELETE"} or "<uuid:" not in rule:
            continue
        op = thrower.doc["paths"].get(openapi_path(rule), {}).get(method.lower(), {})
        if not any("IF_MATCH" in p.get("$ref", "") for p in op.get("parameters", [])):
            continue
        path = thrower.fill(rule)
        for tag in BAD_IF_MATCH:
            thrower.send(
                admin,
                method,
                path,
                body={},
                headers={"If-Match": tag},
                expect=412,
                what=f"If-Match {tag:.20}",
            )
        thrower.send(admin, method, path, body={}, expect=428, what="no If-Match")
    for (rule, method), valid in VALID.items():
        fields = thrower.fields(rule, method)
        if "id" not in fields:
            continue
        prefix = "consents" if rule.endswith("/consents") else prefix_of(rule)
        body = {**valid(thrower.ctx), "id": thrower.ctx.ids[prefix]}
        thrower.send(admin, method, thrower.fill(rule), body=body, expect=409, what="reused id")
    thrower.finish()


def _field_names(app: Flask, name: str) -> list[str]:
    """Writable field names of an OpenAPI component schema."""
    with app.test_client() as c:
        props = c.get("/api/openapi.json").get_json()["components"]["schemas"][name]["properties"]
    return [k for k, v in props.items() if not v.get("readOnly")]


_text = st.text(st.characters(exclude_categories=()), max_size=30)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)


@pytest.mark.parametrize("collection", ["accounts", "contacts"])
def test_arbitrary_json_objects_never_500(
    app: Flask, client: FlaskClient, team: TeamFixture, collection: str
) -> None:
    """Hypothesis: any JSON object, keyed by real field names or not, is never answered 5xx."""
    account = client.post("/api/accounts", json={"name": "Base"}, headers=team.admin.headers)
    account_id = account.get_json()["id"]
    schema = {"accounts": "Account", "contacts": "Contact"}[collection]
    keys = st.sampled_from(_field_names(app, schema)) | _text
    values = _json | st.sampled_from([account_id, "2024-02-30", "FR", "+33612345678"])

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(body=st.dictionaries(keys, values, max_size=8))
    def check(body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        r = client.post(
            f"/api/{collection}",
            data=data,
            content_type="application/json",
            headers=team.admin.headers,
        )
        assert not problem_errors(r), (body, problem_errors(r))

    check()
