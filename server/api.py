"""The flask-smorest Api: OpenAPI document, Swagger UI served locally, problem+json errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, abort, request, send_from_directory
from flask_smorest import Api
from flask_smorest import abort as api_abort
from werkzeug.exceptions import HTTPException

from .auth.tokens import public
from .errors import from_http_exception

#: Where npm puts front-end packages (web/package.json); Swagger UI comes from there.
NODE_MODULES = Path(__file__).resolve().parent.parent / "web" / "node_modules"


class TourneeApi(Api):
    """flask-smorest's Api, answering errors as problem+json (RFC 9457)."""

    def handle_http_exception(self, error: HTTPException):  # type: ignore[override]
        """Every HTTP error, validation included, becomes a problem document."""
        return from_http_exception(error)


def schema_name(schema: Any) -> str:
    """OpenAPI component name: ``AccountSchema`` is ``Account``, its PATCH form ``AccountPatch``."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    if getattr(schema, "partial", False):
        name += "Patch"
    return name


api = TourneeApi(
    spec_kwargs={
        "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name),
        "info": {
            "description": (
                "Tournée's system of record for a field-sales team. Log in with "
                "POST /api/auth/login, then press Authorize and paste the token."
            )
        },
    }
)

docs_assets = Blueprint("docs_assets", __name__)


@docs_assets.route("/api/docs/assets/<path:filename>")
@public
def swagger_ui_asset(filename: str):
    """Serve Swagger UI's files from the npm package ``swagger-ui-dist``."""
    folder = NODE_MODULES / "swagger-ui-dist"
    if not folder.is_dir():
        abort(404, "swagger-ui-dist is not installed: run 'npm ci --prefix web'.")
    return send_from_directory(folder, filename, max_age=86400)


def check_request_body() -> None:
    """Refuse an API body that is not JSON (415) or cannot be parsed (400), on every endpoint.

    Without the 415, webargs would read a text/plain or form body as "no JSON fields" and a
    PATCH would answer 200 having changed nothing: the client would believe it saved.
    webargs answers only JSONDecodeError with a 400; the parser's other failures
    (RecursionError for arrays nested a thousand deep, ValueError for integer literals over
    Python's 4300-digit limit) were 500s.
    """
    has_body = request.content_length or request.headers.get("Transfer-Encoding")
    if not request.path.startswith("/api/") or not has_body:
        return
    if request.method in {"POST", "PUT", "PATCH"} and not request.is_json:
        api_abort(415, message="Send the request body as application/json.")
    if not request.is_json:
        return
    try:
        json.loads(request.get_data(cache=True).decode("utf-8"))
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError included
        api_abort(
            400,
            message="The request body is not valid JSON.",
            errors={"json": ["Invalid JSON body."]},
        )


#: What Flask-Compress appends to a strong ETag it compresses ("abc" -> "abc:gzip").
_ENCODED_ETAG = re.compile(r':(?:gzip|br|deflate|zstd)"')


def accept_encoded_etags() -> None:
    """Read an If-Match ETag as the record's, whatever encoding the GET was sent in.

    Flask-Compress marks the ETag of a compressed answer with the encoding, as it must for
    caches. A browser then sends ``If-Match: "abc:gzip"``, which would never match the
    record's ``"abc"`` and make every update from a browser a 412. A record's version does
    not depend on how its JSON travelled, so the suffix is dropped before the check.
    """
    value = request.environ.get("HTTP_IF_MATCH")
    if value and _ENCODED_ETAG.search(value):
        request.environ["HTTP_IF_MATCH"] = _ENCODED_ETAG.sub('"', value)


def init_app(app: Flask) -> None:
    """Bind the Api, declare bearer auth in the spec, and register every resource blueprint."""
    from .accounts.api import blp as accounts
    from .auth.api import blp as auth
    from .contacts.api import blp as contacts
    from .customfields.api import blp as customfields
    from .followups.api import blp as followups
    from .geocoding.api import blp as geocoding
    from .interactions.api import blp as interactions
    from .notes.api import blp as notes
    from .opportunities.api import blp as opportunities
    from .orders.api import blp as orders
    from .plans.api import blp as plans
    from .plans.api import profiles as planning_profiles
    from .sync.api import blp as sync
    from .sync.review_api import blp as sync_review

    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "opaque token"}
    )
    api.spec.options["security"] = [{"bearerAuth": []}]
    for blp in (
        auth,
        accounts,
        geocoding,
        contacts,
        interactions,
        notes,
        followups,
        opportunities,
        orders,
        customfields,
        plans,
        planning_profiles,
        sync,
        sync_review,
    ):
        api.register_blueprint(blp)
    app.register_blueprint(docs_assets)
    # Registered after the token check, so anonymous callers cannot make us parse bodies.
    app.before_request(check_request_body)
    app.before_request(accept_encoded_etags)
