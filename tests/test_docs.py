"""The landing page, the OpenAPI document and Swagger UI are served by the app itself."""

from __future__ import annotations


def test_landing_page_links_to_api_docs(client):
    """The root URL answers an HTML page that leads to the API docs."""
    r = client.get("/")
    assert r.status_code == 200
    assert "/api/docs" in r.get_data(as_text=True)


def test_openapi_document_declares_bearer_auth_and_every_resource(client):
    """The OpenAPI 3 document covers the resources and declares bearer authentication."""
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path in (
        "/api/accounts",
        "/api/contacts",
        "/api/interactions",
        "/api/notes",
        "/api/followups",
        "/api/opportunities",
        "/api/orders",
        "/api/auth/login",
    ):
        assert path in spec["paths"], path
    assert spec["paths"]["/api/auth/login"]["post"]["security"] == []


def test_swagger_ui_is_served_locally_not_from_a_cdn(client):
    """Swagger UI's page loads its scripts from the app, and the app serves them."""
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/api/docs/assets/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    bundle = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert len(bundle.data) > 100_000
