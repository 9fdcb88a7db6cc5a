"""Wire types of the sync protocol: mutations, outcomes, cursors, versions, errors.

Plain Python: the server parses JSON into these and serializes them back.
See docs/sync-protocol.md.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

#: The protocol this server speaks, and the oldest one it still accepts.
PROTOCOL_VERSION = 1
OLDEST_SUPPORTED_PROTOCOL = 0

Op = Literal["create", "update", "delete"]


class Status(enum.StrEnum):
    """What happened to one pushed mutation."""

    APPLIED = "applied"
    MERGED = "merged"
    CONFLICT = "conflict"
    REJECTED = "rejected"
    BLOCKED = "blocked"


#: Outcomes after which the record was written.
WRITTEN = frozenset({Status.APPLIED, Status.MERGED, Status.CONFLICT})
#: Outcomes kept for back-office review.
FOR_REVIEW = frozenset({Status.CONFLICT, Status.REJECTED, Status.BLOCKED})


class Policy(enum.StrEnum):
    """Who wins when a field changed both on the device and on the server."""

    DEVICE_WINS = "device_wins"
    SERVER_WINS = "server_wins"


@dataclass(frozen=True)
class Mutation:
    """One change made on a device, in the order the device made it."""

    mid: int
    entity: str
    op: Op
    id: uuid.UUID
    fields: Mapping[str, Any] = field(default_factory=dict)
    base_version: int | None = None


@dataclass(frozen=True)
class Outcome:
    """The server's answer to one mutation; stored so a replay returns it unchanged."""

    mid: int
    status: Status
    id: uuid.UUID
    version: int | None = None
    reason: str | None = None
    detail: str | None = None
    errors: Mapping[str, Any] | None = None
    review_id: uuid.UUID | None = None
    #: For merges and conflicts: field -> "device" or "server" (whose value was kept).
    fields: Mapping[str, str] | None = None


def outcome_to_json(outcome: Outcome) -> dict[str, Any]:
    """The wire (and stored) form of an outcome; absent values are left out."""
    out: dict[str, Any] = {
        "mid": outcome.mid,
        "status": outcome.status.value,
        "id": str(outcome.id),
    }
    for name in ("version", "reason", "detail", "errors", "fields"):
        value = getattr(outcome, name)
        if value is not None:
            out[name] = value
    if outcome.review_id is not None:
        out["review_id"] = str(outcome.review_id)
    return out


def outcome_from_json(data: Mapping[str, Any]) -> Outcome:
    """Rebuild an outcome stored with :func:`outcome_to_json`."""
    return Outcome(
        mid=int(data["mid"]),
        status=Status(data["status"]),
        id=uuid.UUID(data["id"]),
        version=data.get("version"),
        reason=data.get("reason"),
        detail=data.get("detail"),
        errors=data.get("errors"),
        review_id=uuid.UUID(data["review_id"]) if data.get("review_id") else None,
        fields=data.get("fields"),
    )


class SyncError(Exception):
    """Base of the protocol's request-level errors."""


class UpgradeRequired(SyncError):
    """The client speaks a protocol older than the server accepts."""


class ResyncRequired(SyncError):
    """The cursor is older than the retained change log: bootstrap again."""


class BadBatch(SyncError):
    """The batch as a whole is malformed (e.g. mutation ids not increasing)."""


def check_protocol(version: int) -> None:
    """Refuse protocols older than the oldest supported one, and unknown future ones."""
    if version < OLDEST_SUPPORTED_PROTOCOL:
        raise UpgradeRequired(
            f"protocol {version} is no longer supported; update the app "
            f"(server speaks {PROTOCOL_VERSION}, accepts {OLDEST_SUPPORTED_PROTOCOL}+)"
        )
    if version > PROTOCOL_VERSION:
        raise BadBatch(f"unknown protocol {version}; this server speaks {PROTOCOL_VERSION}")


@dataclass(frozen=True)
class Cursor:
    """A position in the change log, and the scope generation it was computed for.

    ``scope`` changes when the user's team or role changes: a cursor from another scope
    generation cannot be continued (the set of visible accounts changed wholesale).
    """

    seq: int
    scope: int = 0

    def encode(self) -> str:
        """Opaque string form given to clients."""
        return f"c1.{self.seq}.{self.scope}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor:
        """Parse a client's cursor; ``None`` or empty means the beginning."""
        if not text:
            return cls(0, 0)
        parts = text.split(".")
        # isdigit() alone accepts "²", which int() refuses: ASCII digits only.
        digits = all(p.isascii() and p.isdigit() for p in parts[1:])
        if len(parts) != 3 or parts[0] != "c1" or not digits:
            raise BadBatch("malformed cursor")
        seq, scope = int(parts[1]), int(parts[2])
        if seq > 2**62 or scope > 2**31:
            raise BadBatch("malformed cursor")
        return cls(seq, scope)
