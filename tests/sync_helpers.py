"""Helpers for sync tests: push, pull, bootstrap as a given device."""

from __future__ import annotations

import uuid
from typing import Any

from flask.testing import FlaskClient

from .conftest import PASSWORD


def push(
    client: FlaskClient, headers: dict[str, str], mutations: list[dict[str, Any]], **extra: Any
) -> Any:
    """POST a batch; return the response."""
    body = {"protocol": 1, "mutations": mutations, **extra}
    return client.post("/api/sync/push", json=body, headers=headers)


def pull_all(
    client: FlaskClient, headers: dict[str, str], cursor: str | None = None, limit: int = 1000
) -> tuple[list[dict[str, Any]], str]:
    """Pull until has_more is false; return every entry and the final cursor."""
    entries: list[dict[str, Any]] = []
    while True:
        query = {"protocol": 1, "limit": limit}
        if cursor:
            query["cursor"] = cursor
        r = client.get("/api/sync/pull", query_string=query, headers=headers)
        assert r.status_code == 200, r.get_json()
        page = r.get_json()
        entries.extend(page["changes"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return entries, cursor


def bootstrap_all(
    client: FlaskClient, headers: dict[str, str], limit: int = 1000
) -> tuple[list[dict[str, Any]], str]:
    """Download the whole slice; return the entries and the pull cursor to continue from."""
    entries: list[dict[str, Any]] = []
    cursor = None
    while True:
        query: dict[str, Any] = {"protocol": 1, "limit": limit}
        if cursor:
            query["cursor"] = cursor
        r = client.get("/api/sync/bootstrap", query_string=query, headers=headers)
        assert r.status_code == 200, r.get_json()
        page = r.get_json()
        entries.extend(page["changes"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return entries, cursor


def second_device(client: FlaskClient, email: str) -> dict[str, str]:
    """Log ``email`` in from a new device; return its auth headers."""
    r = client.post(
        "/api/auth/login",
        json={
            "email": email,
            "password": PASSWORD,
            "device_id": str(uuid.uuid4()),
            "device_name": "second phone",
        },
    )
    assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def ids(entries: list[dict[str, Any]], entity: str, op: str = "put") -> set[str]:
    """Ids of the entries of ``entity`` with ``op``."""
    return {e["id"] for e in entries if e["entity"] == entity and e["op"] == op}


def new_id() -> str:
    """A fresh client-side UUID."""
    return str(uuid.uuid4())
