"""Small helpers shared by API tests."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient


def create(client: FlaskClient, who: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST ``body`` to ``path`` as ``who``; assert 201 and return the created record."""
    response = client.post(path, json=body, headers=who.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def patch(client: FlaskClient, who: Any, path: str, body: dict[str, Any]) -> Any:
    """GET ``path`` for its ETag, then PATCH ``body`` with If-Match; return the response."""
    etag = client.get(path, headers=who.headers).headers["ETag"]
    return client.patch(path, json=body, headers={**who.headers, "If-Match": etag})


def account_body(**overrides: Any) -> dict[str, Any]:
    """A valid company account."""
    body = {
        "name": "Boulangerie Martin",
        "siret": "73282932000074",
        "naf_code": "10.71C",
        "postal_code": "69003",
        "city": "Lyon",
        "address_line1": "12 rue Garibaldi",
        "status": "prospect_warm",
    }
    body.update(overrides)
    return body


def error_fields(response: Any) -> set[str]:
    """The ``field`` names of a problem+json response's ``errors`` list."""
    return {error["field"] for error in response.get_json().get("errors", [])}
