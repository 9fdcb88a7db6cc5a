"""Field-level merge of a device's update with what changed on the server meanwhile.

Conflicts are found by version, never by clocks: the server knows, from its change log,
which fields other writers changed after the version the device based its edit on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .protocol import Policy, Status


@dataclass(frozen=True)
class FieldConflict:
    """One field changed on both sides: the values and who won."""

    field: str
    base: Any
    server: Any
    device: Any
    winner: str  # "device" or "server"


@dataclass(frozen=True)
class MergeResult:
    """What to write, and how to describe it to the device."""

    status: Status
    #: The fields to write (device values that won or had no competition).
    write: dict[str, Any]
    conflicts: tuple[FieldConflict, ...]
    #: field -> "device" / "server": whose value the record now holds, for changed fields.
    kept: dict[str, str]


def merge_update(
    *,
    device_fields: Mapping[str, Any],
    current: Mapping[str, Any],
    server_changed: Mapping[str, Any],
    policy_of: Mapping[str, Policy],
    default_policy: Policy,
) -> MergeResult:
    """Decide, field by field, what a device update writes.

    ``server_changed`` maps each field that other writers changed after the device's base
    version to its value *at* that base version. A field the device sends with the value the
    server already holds is no conflict: both sides agree.
    """
    write: dict[str, Any] = {}
    conflicts: list[FieldConflict] = []
    kept: dict[str, str] = {}
    for name, value in device_fields.items():
        if name not in server_changed or current.get(name) == value:
            write[name] = value
            kept[name] = "device"
            continue
        policy = policy_of.get(name, default_policy)
        winner = "device" if policy is Policy.DEVICE_WINS else "server"
        conflicts.append(
            FieldConflict(name, server_changed[name], current.get(name), value, winner)
        )
        kept[name] = winner
        if winner == "device":
            write[name] = value
    if conflicts:
        status = Status.CONFLICT
    elif set(server_changed) - set(device_fields):
        status = Status.MERGED
    else:
        status = Status.APPLIED
    return MergeResult(status, write, tuple(conflicts), kept)
