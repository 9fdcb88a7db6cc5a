"""A simulated offline device for sync tests: a local replica, an outbox, push, pull, bootstrap.

The device follows docs/sync-protocol.md as a client would. Its **replica** holds only what
the server said (pull and bootstrap pages); its **view** (what the user sees and edits) is
the replica with the device's own writes on top: creates the server acknowledged but that no
pull has brought yet, then the outbox replayed. Once the outbox is empty and a pull has
caught up, the view is the replica, which must then be the server's view of the user's slice.

Every answer from the server goes through :func:`checked`: never a 5xx, every 4xx a problem
document. Every outcome the server ever gave for a mutation id is kept, so a replay that
answers differently is caught.
"""

from __future__ import annotations

import copy
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient

PROBLEM = "application/problem+json"
#: The outcome statuses after which the record was written.
WRITTEN = {"applied", "merged", "conflict"}

#: (method, path, headers, json body, query) -> (status, JSON answer).
Send = Callable[..., tuple[int, Any]]


def flask_sender(client: FlaskClient) -> Send:
    """A :data:`Send` through the Flask test client that checks every answer."""

    def send(
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        json: Any = None,
        query: dict[str, Any] | None = None,
    ) -> tuple[int, Any]:
        response = client.open(path, method=method, headers=headers, json=json, query_string=query)
        body = response.get_json(silent=True)
        checked(response.status_code, response.mimetype, body, f"{method} {path}")
        return response.status_code, body

    return send


def checked(status: int, mimetype: str, body: Any, what: str) -> None:
    """Fail on any 5xx, and on a 4xx that is not a problem document naming its status."""
    assert status < 500, f"{what} answered {status}: {body}"
    if status >= 400:
        assert mimetype == PROBLEM, f"{what} answered {status} as {mimetype}"
        assert isinstance(body, dict), f"{what} answered {status} without a problem body"
        assert body.get("status") == status, f"{what}: problem status {body.get('status')}"


@dataclass
class Held:
    """One record as the server last described it to this device."""

    version: int
    data: dict[str, Any]


@dataclass
class SimDevice:
    """One registered device of one user, working offline between syncs."""

    name: str
    user_id: str
    headers: dict[str, str]
    send: Send
    #: Account owners whose accounts this user sees (to check that pulls leak nothing).
    owners: set[str]
    replica: dict[str, dict[str, Held]] = field(default_factory=lambda: defaultdict(dict))
    outbox: list[dict[str, Any]] = field(default_factory=list)
    next_mid: int = 1
    #: Pull cursor; None until the first bootstrap finished.
    cursor: str | None = None
    booting: bool = True
    boot_cursor: str | None = None
    boot_staged: dict[str, dict[str, Held]] = field(default_factory=lambda: defaultdict(dict))
    #: Every mutation the device made, by mid, as sent.
    made: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: The outcome the server gave each mid (first answer; any later answer must equal it).
    answers: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: Creates the server wrote, not yet brought back by a pull: (entity, id) -> fields.
    acked: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    #: Versions the server answered for records this device wrote.
    acked_versions: dict[str, int] = field(default_factory=dict)
    #: Copies of requests still in the network, which may be delivered (again) later.
    in_flight: list[list[dict[str, Any]]] = field(default_factory=list)
    #: Kinds of pull entries received, and how many times a resync was required (statistics).
    entry_ops: set[str] = field(default_factory=set)
    resyncs: int = 0

    # -- offline edits -----------------------------------------------------------------

    def mutate(
        self, entity: str, op: str, record_id: str, fields: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Append a mutation to the outbox with the next mid and the version it is based on."""
        mutation: dict[str, Any] = {
            "mid": self.next_mid,
            "entity": entity,
            "op": op,
            "id": record_id,
            "fields": fields or {},
        }
        if op != "create":
            mutation["base_version"] = self.base_version(entity, record_id)
        self.next_mid += 1
        self.outbox.append(mutation)
        self.made[mutation["mid"]] = mutation
        return mutation

    def base_version(self, entity: str, record_id: str) -> int:
        """The version the device last saw of a record (1 for its own unsynced creates)."""
        held = self.replica[entity].get(record_id)
        if held is not None:
            return held.version
        return self.acked_versions.get(record_id, 1)

    def view(self) -> dict[str, dict[str, dict[str, Any]]]:
        """What the user sees: the replica, acknowledged creates, then the outbox replayed."""
        out: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for entity, records in self.replica.items():
            for record_id, held in records.items():
                out[entity][record_id] = dict(held.data)
        for (entity, record_id), fields in self.acked.items():
            out[entity].setdefault(record_id, dict(fields))
        for m in self.outbox:
            records = out[m["entity"]]
            if m["op"] == "create":
                records[m["id"]] = dict(m["fields"])
            elif m["op"] == "update" and m["id"] in records:
                records[m["id"]].update(m["fields"])
            elif m["op"] == "delete":
                records.pop(m["id"], None)
        return out

    # -- push --------------------------------------------------------------------------

    def push(self, count: int, fate: str) -> None:
        """Send the first ``count`` outbox mutations; the network decides what comes back.

        ``ok``: the answer arrives. ``lost_request``: the request never reaches the server
        now (it stays in the network and may arrive later). ``lost_response``: the server
        processes it but the answer is lost. ``duplicate``: the request arrives twice.
        """
        batch = copy.deepcopy(self.outbox[:count])
        if not batch:
            return
        if fate == "lost_request":
            self.in_flight.append(batch)
            return
        answer = self.deliver(batch)
        if fate == "duplicate":
            again = self.deliver(batch)
            assert again == answer, f"{self.name}: a duplicated batch answered differently"
        if fate in ("ok", "duplicate") and answer is not None:
            self.acknowledge(answer)

    def deliver(self, batch: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The server receives ``batch``; return its answer (checked against earlier ones)."""
        status, body = self.send(
            "POST",
            "/api/sync/push",
            headers=self.headers,
            json={"protocol": 1, "mutations": batch, "pending": len(self.outbox)},
        )
        assert status == 200, f"{self.name}: push answered {status}: {body}"
        outcomes = body["outcomes"]
        assert [o["mid"] for o in outcomes] == [m["mid"] for m in batch], "one outcome per mid"
        for outcome, mutation in zip(outcomes, batch, strict=True):
            assert outcome["id"] == mutation["id"]
            first = self.answers.setdefault(outcome["mid"], outcome)
            assert outcome == first, f"{self.name}: mid {outcome['mid']} answered differently"
        assert body["last_mid"] >= batch[-1]["mid"]
        return body

    def deliver_late(self, pick: int) -> None:
        """A request held up in the network arrives now (the device has moved on)."""
        if self.in_flight:
            self.deliver(self.in_flight.pop(pick % len(self.in_flight)))

    def acknowledge(self, answer: dict[str, Any]) -> None:
        """Drop answered mutations from the outbox; remember what the server wrote."""
        done = {o["mid"]: o for o in answer["outcomes"]}
        for m in self.outbox:
            outcome = done.get(m["mid"])
            if outcome is None or outcome["status"] not in WRITTEN:
                continue
            if outcome.get("version") is not None:
                self.acked_versions[m["id"]] = outcome["version"]
            if m["op"] == "create":
                self.acked[(m["entity"], m["id"])] = dict(m["fields"])
        self.outbox = [m for m in self.outbox if m["mid"] not in done]

    # -- pull and bootstrap -------------------------------------------------------------

    def sync_page(self, limit: int) -> bool:
        """Fetch one page (bootstrap or pull); True once caught up with the server."""
        if self.booting:
            query: dict[str, Any] = {"protocol": 1, "limit": limit}
            if self.boot_cursor:
                query["cursor"] = self.boot_cursor
            status, body = self.send(
                "GET", "/api/sync/bootstrap", headers=self.headers, query=query
            )
            if status == 410:  # the snapshot's start was purged meanwhile: start again
                self.boot_cursor, self.boot_staged = None, defaultdict(dict)
                return False
            assert status == 200, f"{self.name}: bootstrap answered {status}: {body}"
            for entry in body["changes"]:
                assert entry["op"] == "put", entry
                self._check_in_scope(entry)
                self.boot_staged[entry["entity"]][entry["id"]] = Held(
                    entry["version"], entry["data"]
                )
            if body["has_more"]:
                self.boot_cursor = body["cursor"]
                return False
            self.replica, self.cursor, self.booting = self.boot_staged, body["cursor"], False
            self.boot_cursor, self.boot_staged = None, defaultdict(dict)
            return False  # pulls from the snapshot's watermark follow
        status, body = self.send(
            "GET",
            "/api/sync/pull",
            headers=self.headers,
            query={"protocol": 1, "limit": limit, "cursor": self.cursor},
        )
        if status == 410:  # resync required: download the slice again
            self.booting, self.resyncs = True, self.resyncs + 1
            return False
        assert status == 200, f"{self.name}: pull answered {status}: {body}"
        seen: set[tuple[str, str]] = set()
        for entry in body["changes"]:
            key = (entry["entity"], entry["id"])
            assert key not in seen, f"{self.name}: {key} twice in one page"
            seen.add(key)
            self.apply(entry)
        self.cursor = body["cursor"]
        if body["has_more"]:
            return False
        # Caught up: every create acknowledged before this request is in the replica now,
        # or was deleted or left the scope since.
        self.acked.clear()
        return True

    def apply(self, entry: dict[str, Any]) -> None:
        """Apply one pull entry to the replica."""
        entity, record_id, op = entry["entity"], entry["id"], entry["op"]
        self.entry_ops.add(f"{entity} {op}")
        if op == "put":
            self._check_in_scope(entry)
            self.replica[entity][record_id] = Held(entry["version"], entry["data"])
        elif op == "delete":
            self.replica[entity].pop(record_id, None)
        else:
            assert op == "drop", entry
            assert entity == "account", entry
            self.replica["account"].pop(record_id, None)
            for records in self.replica.values():
                for child in [
                    i for i, h in records.items() if h.data.get("account_id") == record_id
                ]:
                    del records[child]

    def _check_in_scope(self, entry: dict[str, Any]) -> None:
        """An account sent to this device is owned by someone whose accounts the user sees."""
        if entry["entity"] == "account":
            owner = entry["data"]["owner_id"]
            assert owner in self.owners, f"{self.name} was sent {entry['id']} owned by {owner}"

    def catch_up(self, limit: int = 1000) -> None:
        """Pull (bootstrapping when told to) until nothing is left."""
        for _ in range(1000):
            if self.sync_page(limit):
                return
        raise AssertionError(f"{self.name}: pull never caught up")

    def push_all(self) -> None:
        """Push the whole outbox over a healthy network."""
        while self.outbox:
            self.push(len(self.outbox), "ok")

    def held(self) -> dict[str, dict[str, tuple[int, dict[str, Any]]]]:
        """The replica as plain values, empty entities left out (for comparisons)."""
        return {
            entity: {i: (h.version, h.data) for i, h in records.items()}
            for entity, records in self.replica.items()
            if records
        }


def record_id(n: int) -> str:
    """A deterministic client-side UUID (Hypothesis replays need the same ids every run)."""
    return str(uuid.UUID(int=(0x70C0 << 112) | n))
