"""Which entities devices may push, and each field's conflict policy."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from marshmallow import Schema

from sync.protocol import Policy

from .. import crud


@dataclass(frozen=True)
class EntitySync:
    """How one entity takes part in sync."""

    default_policy: Policy
    #: Per-field exceptions to the default policy.
    policy: Mapping[str, Policy] = field(default_factory=dict)
    #: False for what only the server writes (status history, custom field definitions).
    pushable: bool = True


#: Visit reports and follow-ups: the rep who was there knows best. Master data: the back
#: office curates it. Notes and consents are append-only evidence.
ENTITIES: dict[str, EntitySync] = {
    "account": EntitySync(Policy.SERVER_WINS),
    "contact": EntitySync(Policy.SERVER_WINS),
    "interaction": EntitySync(Policy.DEVICE_WINS),
    "note": EntitySync(Policy.DEVICE_WINS),
    "followup": EntitySync(Policy.DEVICE_WINS),
    "opportunity": EntitySync(Policy.SERVER_WINS),
    "order": EntitySync(Policy.SERVER_WINS),
    "consent": EntitySync(Policy.SERVER_WINS, pushable=False),
    "status_change": EntitySync(Policy.SERVER_WINS, pushable=False),
    "custom_field": EntitySync(Policy.SERVER_WINS, pushable=False),
}


def resource(entity: str) -> crud.Resource | None:
    """The REST resource of ``entity`` (its schema, rules and write functions)."""
    return crud.RESOURCES.get(entity)


def model_and_schema(entity: str) -> tuple[type, Schema] | None:
    """The model and REST schema of a syncable entity (what a pull sends as ``data``)."""
    found = _model_and_schema_class(entity)
    if found is None:
        return None
    return found[0], crud.schema_instance(found[1])


def schema_class(entity: str) -> type[Schema]:
    """The REST schema class of a syncable entity."""
    found = _model_and_schema_class(entity)
    if found is None:
        raise KeyError(entity)
    return found[1]


def _model_and_schema_class(entity: str) -> tuple[type, type[Schema]] | None:
    """The model and schema class of a syncable entity, or None."""
    res = resource(entity)
    if res is not None:
        return res.model, res.schema
    return _extra_entities().get(entity)


@functools.cache
def _extra_entities() -> dict[str, tuple[type, type[Schema]]]:
    """Entities synced without a generic CRUD resource (imported late: schemas import crud)."""
    from ..accounts.models import StatusChange
    from ..accounts.schemas import StatusChangeSchema
    from ..contacts.models import Consent
    from ..contacts.schemas import ConsentSchema

    return {
        "consent": (Consent, ConsentSchema),
        "status_change": (StatusChange, StatusChangeSchema),
    }


#: Entities under an account, in the order a device should store them (parents first).
CHILD_ENTITIES = (
    "contact",
    "consent",
    "interaction",
    "note",
    "followup",
    "opportunity",
    "order",
    "status_change",
)
#: Everything a device holds, in bootstrap order.
BOOTSTRAP_ORDER = ("custom_field", "account", *CHILD_ENTITIES)
