"""Property: devices working offline over a bad network converge on the server's truth.

Four devices of team Nord (rep A's phone and tablet, rep B's phone, the manager's phone)
make random offline changes: prospects (some invalid), contacts, visits, notes on records
created offline in the same or an earlier batch, edits of the same and of different fields,
deletes. Meanwhile the manager works in the web app through the REST API (If-Match): edits,
notes, deletes and reassignments of accounts between the reps. The network loses requests
and answers, duplicates requests, and delivers held-up requests late, interleaved between
devices; pulls and bootstraps go page by page between other writes; now and then the change
log is purged, so that devices must bootstrap again (410).

When the network heals and every outbox is pushed and every device has pulled:

(a) each device's replica is the server's view of its user's slice: the same records, at the
    same versions, with the same data (checked against the database and a fresh bootstrap);
(b) every mutation has exactly one outcome, replays answered the same, each written create
    exists exactly once and a failed one not at all, deleted is deleted exactly when a
    written delete said so, and each record's version counts its change-log rows;
(c) every conflict, rejected and blocked mutation has its review item, payload kept;
(d) no answer was ever a 5xx (checked on every request).

CI runs a fixed number of examples; ``HYPOTHESIS_PROFILE=long`` runs 500 (docs/sync-protocol.md).
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from server import access, crud
from server.auth.models import Device, Role, Team, User
from server.auth.tokens import new_token
from server.extensions import db
from server.records import Actor
from server.sync.entities import BOOTSTRAP_ORDER, model_and_schema
from server.sync.models import ChangeRow, ReviewItem, SyncMutation
from server.sync.retention import purge

from .conftest import make_user
from .sync_device import WRITTEN, SimDevice, checked, flask_sender, record_id

_COMMON = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,  # the world is rebuilt inside each example
        HealthCheck.data_too_large,
    ],
}
PROFILES = {
    "ci": settings(max_examples=25, **_COMMON),
    "long": settings(max_examples=500, **_COMMON),
}
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in PROFILES:
    raise ValueError(f"HYPOTHESIS_PROFILE must be one of {sorted(PROFILES)}, not {PROFILE!r}")
MAX_OPS = 32 if PROFILE == "ci" else 80

DEVICES = ("a1", "a2", "b1", "m1")
CHILDREN = ("contact", "interaction", "note")
SYNCED = tuple(e for e in BOOTSTRAP_ORDER if e != "custom_field")
CITIES = ("Clermont-Ferrand", "Riom", "Vichy", "Thiers")

#: (field, value) a device or the web may set. Text values name their writer ("{who}"), so
#: two writers of one field disagree (a conflict) unless the same device wrote both; the
#: last ones are invalid (the device's edit is rejected and kept for review).
EDITS: dict[str, list[tuple[str, Any]]] = {
    "account": [
        ("city", "Riom {who}"),
        ("status", "client"),
        ("phone", "04 73 00 00 01"),
        ("name", "Chez Paul {who}"),
        ("status", "prospect_hot"),
        ("phone", "04 73 00 00 02"),
        ("description", "Livraison le mardi {who}"),
        ("postal_code", "ABC"),
    ],
    "contact": [
        ("job_title", "Gérant {who}"),
        ("last_name", "Dupuis {who}"),
        ("mobile", "06 12 34 56 78"),
        ("email", "pas-un-email"),
    ],
    "interaction": [
        ("summary", "Commande de 40 cartons {who}"),
        ("status", "done"),
        ("outcome", "positive"),
        ("status", "cancelled"),
        ("ends_at", "2000-01-01T00:00:00Z"),  # before starts_at
    ],
    "note": [("body", "Rappeler en mars {who}"), ("body", "   ")],
}
INVALID = {"ABC", "pas-un-email", "2000-01-01T00:00:00Z", "   "}
WEB_EDITS = {
    entity: [(f, v) for f, v in EDITS[entity] if v not in INVALID]
    for entity in ("account", "contact", "interaction")
}


def _edit(
    entity: str, n: int, who: str, choices: dict[str, list[tuple[str, Any]]]
) -> tuple[str, Any]:
    """The ``n``-th (field, value) of ``entity`` as written by ``who``."""
    name, value = choices[entity][n % len(choices[entity])]
    return name, value.format(who=who) if isinstance(value, str) else value


device = st.sampled_from(DEVICES)
#: Which record an operation targets, as an index into the records sorted by id (creation
#: order): a third of the picks go to the oldest (the seeded customers every device of the
#: team holds: contention, hence merges and conflicts), a third to the newest (records
#: created offline, maybe not pushed yet), a third anywhere.
pick = st.one_of(st.integers(0, 3), st.integers(-3, -1), st.integers(0, 255))
choice = st.integers(0, 7)
_WEIGHTED = [
    (st.tuples(st.just("edit"), device, st.sampled_from(tuple(EDITS)), pick, choice), 5),
    (
        st.tuples(st.just("edit"), device, st.sampled_from(tuple(EDITS)), pick, choice, choice),
        2,
    ),
    (
        st.tuples(
            st.just("push"),
            device,
            st.integers(1, 6),
            st.sampled_from(("ok", "lost_response", "ok", "duplicate", "lost_request")),
        ),
        5,
    ),
    (st.tuples(st.just("sync"), device, st.sampled_from((1000, 1, 2, 5))), 4),
    (st.tuples(st.just("create_child"), device, st.sampled_from(CHILDREN), pick, pick), 3),
    # A prospect met on the road; one in four has a bad postal code (rejected).
    (st.tuples(st.just("create_account"), device, pick, st.sampled_from((1, 1, 1, 0))), 1),
    (st.tuples(st.just("visit_prospect"), device, pick, st.sampled_from((1, 1, 1, 0))), 2),
    (st.tuples(st.just("web_edit"), st.sampled_from(tuple(WEB_EDITS)), pick, choice), 1),
    # Two writers change the same field of a shared record before either syncs.
    (
        st.tuples(
            st.just("contend"),
            st.sampled_from((*DEVICES, "web")),
            st.sampled_from((*DEVICES, "web")),
            st.sampled_from(tuple(WEB_EDITS)),
            st.integers(0, 3),
            choice,
        ),
        2,
    ),
    (st.tuples(st.just("delete"), device, st.sampled_from(tuple(EDITS)), pick), 1),
    (st.tuples(st.just("deliver_late"), device, pick), 1),
    (st.tuples(st.just("web_reassign"), pick, st.sampled_from(("rep_b", "rep_a", "manager"))), 1),
    (st.tuples(st.just("web_note"), pick), 1),
    (st.tuples(st.just("web_delete"), st.sampled_from(("note", "contact", "account")), pick), 1),
    # Rarely: the change log is purged up to now, so devices must bootstrap again.
    (st.tuples(st.just("purge"), st.sampled_from((0, 0, 0, 1))), 1),
]
OPERATIONS = st.lists(
    st.one_of(*[s for s, weight in _WEIGHTED for _ in range(weight)]), min_size=15, max_size=MAX_OPS
)


def _new_device(user_id: uuid.UUID, name: str) -> tuple[uuid.UUID, dict[str, str]]:
    """Register another device of a user (in the caller's transaction); its id and headers."""
    token, digest = new_token()
    device_id = uuid.uuid4()
    db.session.add(Device(id=device_id, user_id=user_id, name=name, token_hash=digest))
    return device_id, {"Authorization": f"Bearer {token}"}


def _change_log() -> list[tuple[int, str, str, str, uuid.UUID | None]]:
    """The change log: (seq, entity, record id, op, device id) per row."""
    rows = db.session.execute(
        select(
            ChangeRow.seq, ChangeRow.entity, ChangeRow.record_id, ChangeRow.op, ChangeRow.device_id
        )
    )
    return [(seq, e, str(r), op, d) for seq, e, r, op, d in rows]


def _clear() -> None:
    """Empty every table (DELETE: on these few rows much faster than conftest's TRUNCATE)."""
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def _examples(histories: list[list[tuple[Any, ...]]]) -> Any:
    """``@example`` for each history."""

    def decorate(test: Any) -> Any:
        for ops in reversed(histories):
            test = example(ops=ops)(test)
        return test

    return decorate


def _nth(items: list[str], n: int) -> str | None:
    """The ``n``-th of ``items`` modulo their number, or None when there are none."""
    return items[n % len(items)] if items else None


class World:
    """Team Nord with four devices and the manager's browser, on a freshly wiped database."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.app = app
        self.client = client
        self.send = flask_sender(client)
        self.counter = 0
        self.web_created: Counter[str] = Counter()
        self.web_deleted: set[str] = set()
        self.known: dict[str, list[str]] = {e: [] for e in EDITS}
        #: Change-log rows deleted by purges: (seq, entity, record id, op, device id).
        self.purged: list[tuple[int, str, str, str, uuid.UUID | None]] = []
        with app.app_context():
            _clear()
            north, south = Team(name="Nord"), Team(name="Sud")
            db.session.add_all([north, south])
            db.session.flush()
            manager = make_user("manager@example.fr", Role.MANAGER, north)
            rep_a = make_user("rep.a@example.fr", Role.REP, north)
            rep_b = make_user("rep.b@example.fr", Role.REP, north)
            self.rep_c = make_user("rep.c@example.fr", Role.REP, south)
            tablet_id, tablet = _new_device(rep_a.id, "tablet")
            #: The manager's web session: a device of its own, so not m1's own edits.
            self.browser = _new_device(manager.id, "browser")[1]
            self.manager = manager
            self.users = {
                "rep_a": str(rep_a.id),
                "rep_b": str(rep_b.id),
                "manager": str(manager.id),
            }
            self.seed()
            db.session.commit()
        team = set(self.users.values())
        self.devices = {
            "a1": SimDevice("a1", str(rep_a.id), rep_a.headers, self.send, {str(rep_a.id)}),
            "a2": SimDevice("a2", str(rep_a.id), tablet, self.send, {str(rep_a.id)}),
            "b1": SimDevice("b1", str(rep_b.id), rep_b.headers, self.send, {str(rep_b.id)}),
            "m1": SimDevice("m1", str(manager.id), manager.headers, self.send, team),
        }
        self.device_ids = {
            "a1": rep_a.device_id,
            "a2": tablet_id,
            "b1": rep_b.device_id,
            "m1": manager.device_id,
        }

    def seed(self) -> None:
        """Each rep starts with two customers, each with a contact, a visit and a note.

        Written by the manager through the write layer the REST API uses (in the caller's
        transaction: it is only the starting point, and HTTP would just be slower).
        """
        user = db.session.get(User, self.manager.id)
        actor = Actor(user_id=user.id)

        def create(entity: str, body: dict[str, Any]) -> str:
            res = crud.RESOURCES[entity]
            record_id = self.new_id(entity)
            crud.write_create(res, res.schema().load({"id": record_id, **body}), user, actor)
            self.web_created[entity] += 1
            return record_id

        for owner in ("rep_a", "rep_a", "rep_b", "rep_b"):
            account = create(
                "account",
                {
                    "name": f"Client {self.counter + 1}",
                    "city": "Issoire",
                    "status": "client",
                    "owner_id": self.users[owner],
                },
            )
            create("contact", {"account_id": account, "last_name": "Martin"})
            create(
                "interaction",
                {"account_id": account, "kind": "visit", "starts_at": "2026-02-02T10:00:00Z"},
            )
            create("note", {"account_id": account, "body": "Client historique"})

    def web_create(self, entity: str, body: dict[str, Any]) -> str:
        """The manager creates a record in the browser; return its id."""
        body = {"id": self.new_id(entity), **body}
        status, answer = self.send("POST", f"/api/{entity}s", headers=self.browser, json=body)
        assert status == 201, answer
        self.web_created[entity] += 1
        return body["id"]

    def new_id(self, entity: str) -> str:
        """A fresh deterministic id, remembered for the web's picks."""
        self.counter += 1
        rid = record_id(self.counter)
        self.known[entity].append(rid)
        return rid

    # -- one operation -----------------------------------------------------------------

    def run(self, op: tuple[Any, ...]) -> None:
        """Carry out one generated operation."""
        getattr(self, "op_" + op[0])(*op[1:])

    def op_create_account(self, dev: str, n: int, valid: int) -> None:
        """A prospect met on the road (with a bad postal code unless ``valid``)."""
        fields = {
            "name": f"Compte {self.counter + 1}",
            "postal_code": "63000" if valid else "ABCDE",
            "city": CITIES[n % len(CITIES)],
            "status": "prospect_warm",
        }
        self.devices[dev].mutate("account", "create", self.new_id("account"), fields)

    def op_visit_prospect(self, dev: str, n: int, valid: int) -> None:
        """A new prospect, the visit and a note about it, all offline (same batch)."""
        self.op_create_account(dev, n, valid)
        account = self.known["account"][-1]
        visit = self.new_id("interaction")
        device = self.devices[dev]
        device.mutate(
            "interaction",
            "create",
            visit,
            {"account_id": account, "kind": "visit", "starts_at": "2026-03-03T14:00:00Z"},
        )
        body = {"account_id": account, "interaction_id": visit, "body": "Intéressé"}
        device.mutate("note", "create", self.new_id("note"), body)

    def op_create_child(self, dev: str, entity: str, n: int, m: int) -> None:
        """A contact, visit or note under an account the device holds or created offline."""
        device = self.devices[dev]
        view = device.view()
        account = _nth(sorted(view["account"]), n)
        if account is None:
            return
        fields: dict[str, Any] = {"account_id": account}
        if entity == "contact":
            fields |= {"last_name": "Roux", "first_name": "Léa"}
        elif entity == "interaction":
            fields |= {
                "kind": "visit",
                "starts_at": "2026-03-02T09:00:00Z",
                "status": "done",
                "summary": "Première visite",
            }
        else:
            refs = [
                (name, rid)
                for name, ref_entity in (
                    ("contact_id", "contact"),
                    ("interaction_id", "interaction"),
                )
                for rid, data in sorted(view[ref_entity].items())
                if data.get("account_id") == account
            ]
            fields["body"] = "Note de terrain"
            if refs and m % 3:
                name, rid = refs[m % len(refs)]
                fields[name] = rid
        device.mutate(entity, "create", self.new_id(entity), fields)

    def op_edit(self, dev: str, entity: str, n: int, first: int, second: int | None = None) -> None:
        """Change one or two fields of a record in the device's view."""
        device = self.devices[dev]
        target = _nth(sorted(device.view()[entity]), n)
        if target is None:
            return
        fields = dict([_edit(entity, first, dev, EDITS)])
        if second is not None:
            fields.update([_edit(entity, second, dev, EDITS)])
        device.mutate(entity, "update", target, fields)

    def op_contend(self, one: str, other: str, entity: str, n: int, m: int) -> None:
        """``one`` and ``other`` (devices or the web) set the same field of the same record:
        whoever pushes second gets a conflict (or agrees, when it is the same device)."""
        views = [
            set(self._web_live(entity)) if who == "web" else set(self.devices[who].view()[entity])
            for who in (one, other)
        ]
        target = _nth(sorted(views[0] & views[1]), n)
        if target is None:
            return
        for who in (one, other):
            field = dict([_edit(entity, m, who, WEB_EDITS)])
            if who == "web":
                assert self.web("PATCH", f"/api/{entity}s/{target}", field) == 200
            else:
                self.devices[who].mutate(entity, "update", target, field)

    def op_delete(self, dev: str, entity: str, n: int) -> None:
        """Delete a record (a rep deleting an account is refused: kept for review)."""
        device = self.devices[dev]
        target = _nth(sorted(device.view()[entity]), n)
        if target is not None:
            device.mutate(entity, "delete", target)

    def op_push(self, dev: str, count: int, fate: str) -> None:
        """Push the head of the outbox through the unreliable network."""
        self.devices[dev].push(count, fate)

    def op_deliver_late(self, dev: str, n: int) -> None:
        """A request held up in the network arrives now."""
        self.devices[dev].deliver_late(n)

    def op_sync(self, dev: str, limit: int) -> None:
        """One page of pull (or bootstrap) between other writes."""
        self.devices[dev].sync_page(limit)

    def _web_live(self, entity: str) -> list[str]:
        """Known records of ``entity`` the manager sees now, in creation order."""
        model, _schema = model_and_schema(entity)  # type: ignore[misc]
        with self.app.app_context():
            user = db.session.get(User, self.manager.id)
            stmt = access.scoped(select(model.id), model, user)
            live = {str(i) for i in db.session.scalars(stmt)}
        return [rid for rid in self.known[entity] if rid in live]

    def op_web_edit(self, entity: str, n: int, m: int) -> None:
        """The manager edits a record in the browser."""
        target = _nth(self._web_live(entity), n)
        if target is None:
            return
        body = dict([_edit(entity, m, "web", WEB_EDITS)])
        status = self.web("PATCH", f"/api/{entity}s/{target}", body)
        assert status == 200, (entity, target)

    def op_web_reassign(self, n: int, owner: str) -> None:
        """The manager gives an account to another rep (or takes it)."""
        target = _nth(self._web_live("account"), n)
        if target is not None:
            body = {"owner_id": self.users[owner]}
            assert self.web("PATCH", f"/api/accounts/{target}", body) == 200

    def op_web_delete(self, entity: str, n: int) -> None:
        """The manager deletes a record in the browser."""
        target = _nth(self._web_live(entity), n)
        if target is not None:
            assert self.web("DELETE", f"/api/{entity}s/{target}", None) == 204
            self.web_deleted.add(target)

    def op_web_note(self, n: int) -> None:
        """The manager writes a note on an account."""
        account = _nth(self._web_live("account"), n)
        if account is None:
            return
        self.web_create("note", {"account_id": account, "body": "Note du bureau"})

    def op_purge(self, now: int) -> None:
        """``flask sync-purge`` with no retention: the change log so far is deleted and
        every older cursor must resync (410). The purged rows are kept for the checks."""
        if not now:
            return
        with self.app.app_context():
            before = _change_log()
            purge(days=0)
            left = {row[0] for row in _change_log()}
        self.purged += [row for row in before if row[0] not in left]

    def web(self, method: str, path: str, body: dict[str, Any] | None) -> int:
        """A browser write with the If-Match of a fresh read; return the status."""
        headers = self.browser
        read = self.client.get(path, headers=headers)
        assert read.status_code == 200, path
        response = self.client.open(
            path, method=method, json=body, headers={**headers, "If-Match": read.headers["ETag"]}
        )
        checked(response.status_code, response.mimetype, response.get_json(silent=True), path)
        return response.status_code

    # -- the end -----------------------------------------------------------------------

    def statistics(self) -> set[str]:
        """What this example exercised (``pytest --hypothesis-show-statistics``)."""
        seen = {f"outcome {o['status']}" for d in self.devices.values() for o in d.answers.values()}
        seen |= {f"pull {op}" for d in self.devices.values() for op in d.entry_ops}
        seen |= {f"resync {d.name}" for d in self.devices.values() if d.resyncs}
        return seen

    def heal(self) -> None:
        """The network heals: held-up requests arrive, outboxes empty, everyone pulls."""
        for device in self.devices.values():
            while device.in_flight:
                device.deliver_late(0)
        for device in self.devices.values():
            device.push_all()
        for device in self.devices.values():
            device.catch_up()


def _bootstrap(world: World, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    """A fresh download of a user's slice: {entity: {id: (version, data)}}."""
    out: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        query: dict[str, Any] = {"protocol": 1, "limit": 1000}
        if cursor:
            query["cursor"] = cursor
        status, page = world.send("GET", "/api/sync/bootstrap", headers=headers, query=query)
        assert status == 200, page
        for entry in page["changes"]:
            out.setdefault(entry["entity"], {})[entry["id"]] = (entry["version"], entry["data"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return out


def _scope_in_db(owners: set[str]) -> dict[str, dict[str, int]]:
    """{entity: {id: version}} of the live records under live accounts of ``owners``."""
    account_model, _ = model_and_schema("account")  # type: ignore[misc]
    accounts = select(account_model.id).where(
        account_model.owner_id.in_([uuid.UUID(o) for o in owners]),
        account_model.deleted_at.is_(None),
    )
    out: dict[str, dict[str, int]] = {}
    for entity in SYNCED:
        model, _ = model_and_schema(entity)  # type: ignore[misc]
        column = model.id if entity == "account" else model.account_id
        rows = db.session.execute(
            select(model.id, model.version).where(column.in_(accounts), model.deleted_at.is_(None))
        )
        found = {str(i): v for i, v in rows}
        if found:
            out[entity] = found
    return out


def check_replicas(world: World) -> None:
    """(a) Each replica is the user's slice: the database's ids and versions, the data of a
    fresh bootstrap; and the other team's rep sees none of it."""
    fresh: dict[str, dict[str, dict[str, Any]]] = {}
    for name, device in world.devices.items():
        held = device.held()
        with world.app.app_context():
            expected = _scope_in_db(device.owners)
        versions = {e: {i: v for i, (v, _d) in records.items()} for e, records in held.items()}
        assert versions == expected, f"{name}: replica ids/versions differ from the database"
        if device.user_id not in fresh:
            fresh[device.user_id] = _bootstrap(world, device.headers)
        assert held == fresh[device.user_id], f"{name}: replica data differ from a bootstrap"
    assert _bootstrap(world, world.rep_c.headers) == {}


def check_mutations(world: World) -> None:
    """(b) and (c): exactly-once effects, stored outcomes, review items for the rest."""
    written_creates: Counter[str] = Counter(world.web_created)
    deleted_by_writes = set(world.web_deleted)
    with world.app.app_context():
        log = world.purged + _change_log()  # every change ever logged
        creators: dict[str, list[uuid.UUID | None]] = {}
        for _seq, _entity, record_id, op, device_id in log:
            if op == "create":
                creators.setdefault(record_id, []).append(device_id)
        for name, device in world.devices.items():
            device_id = world.device_ids[name]
            mids = list(range(1, device.next_mid))
            assert sorted(device.answers) == mids, f"{name}: every mutation has one outcome"
            row = db.session.get(Device, device_id)
            assert row.last_mid == device.next_mid - 1
            stored = {
                m.mid: m
                for m in db.session.scalars(
                    select(SyncMutation).where(SyncMutation.device_id == device_id)
                )
            }
            assert sorted(stored) == mids
            items = {
                i.mid: i
                for i in db.session.scalars(
                    select(ReviewItem).where(ReviewItem.device_id == device_id)
                )
            }
            for mid in mids:
                mutation, outcome = device.made[mid], device.answers[mid]
                assert stored[mid].outcome == outcome, f"{name} mid {mid}: stored outcome"
                status = outcome["status"]
                model, _ = model_and_schema(mutation["entity"])  # type: ignore[misc]
                record = db.session.get(model, uuid.UUID(mutation["id"]))
                if status in ("conflict", "rejected", "blocked"):
                    item = items.pop(mid, None)
                    assert item is not None, f"{name} mid {mid}: {status} without review item"
                    assert (item.kind.value, item.op, item.entity) == (
                        status,
                        mutation["op"],
                        mutation["entity"],
                    )
                    assert str(item.record_id) == mutation["id"]
                    assert item.payload == mutation["fields"], "the device's change is kept"
                    assert outcome["review_id"] == str(item.id)
                if mutation["op"] == "create":
                    if status in WRITTEN:
                        written_creates[mutation["entity"]] += 1
                        assert record is not None, f"{name} mid {mid}: written create missing"
                        assert creators[mutation["id"]] == [device_id], (
                            f"{name} mid {mid}: created once, by this device"
                        )
                    else:
                        assert record is None, f"{name} mid {mid}: {status} create was written"
                elif mutation["op"] == "delete" and status in WRITTEN:
                    deleted_by_writes.add(mutation["id"])
            assert items == {}, f"{name}: review items for mutations that needed none"
        for entity in EDITS:
            model, _ = model_and_schema(entity)  # type: ignore[misc]
            rows = db.session.execute(select(model.id, model.deleted_at)).all()
            assert len(rows) == written_creates[entity], f"{entity}: one row per written create"
            for rid, deleted_at in rows:
                assert (deleted_at is not None) == (str(rid) in deleted_by_writes), (
                    f"{entity} {rid}: deleted exactly when a written delete said so"
                )
        logged = Counter((entity, record_id) for _seq, entity, record_id, _op, _d in log)
        versions: Counter[tuple[str, str]] = Counter()
        for entity in SYNCED:
            model, _ = model_and_schema(entity)  # type: ignore[misc]
            for rid, version in db.session.execute(select(model.id, model.version)):
                versions[(entity, str(rid))] = version
        assert logged == versions, "each version of each record is one change-log row"


#: Histories that once broke an invariant, replayed on every run before the random ones.
REGRESSIONS = [
    # A batch whose applied mutations come before a rejected one: the rejection's rolled-back
    # savepoint used to discard the whole batch's change-log rows (a2 never pulled them).
    [("create_account", "a1", 0, 1), ("create_account", "a1", 0, 0), ("push", "a1", 2, "ok")],
    # The manager deletes rep A's customer: rep A's devices used to keep its contact, visit,
    # note and status history for ever (tombstone for the account only).
    [("delete", "m1", "account", 0)],
    # A customer of rep B goes to the manager, loses its note, comes back, all before rep B
    # pulls: the pull sent the customer's live subtree, and rep B's phone kept the note.
    [("web_reassign", 2, "manager"), ("web_delete", "note", 2), ("web_reassign", 2, "rep_b")],
    # ... or comes back and is deleted: the pull sent nothing, rep B's phone kept it all.
    [("web_reassign", 2, "manager"), ("web_reassign", 2, "rep_b"), ("web_delete", "account", 2)],
]


@PROFILES[PROFILE]
@given(ops=OPERATIONS)
@_examples(REGRESSIONS)
def test_offline_devices_converge_on_the_servers_view_and_nothing_is_lost_or_doubled(
    app: Flask, client: FlaskClient, ops: list[tuple[Any, ...]]
) -> None:
    """Random offline work on four devices and the web, over a lossy network, converges."""
    world = World(app, client)
    for device in world.devices.values():
        device.catch_up()
    for step, op in enumerate(ops):
        try:
            world.run(op)
        except AssertionError as error:
            error.add_note(f"at step {step}: {op!r}")
            raise
    world.heal()
    check_replicas(world)
    check_mutations(world)
    for name in sorted(world.statistics()):
        event(name)
