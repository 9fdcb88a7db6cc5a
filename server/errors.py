"""application/problem+json (RFC 9457) for every error the API returns.

Validation errors carry an ``errors`` list naming each failing field, so a form
can put the message next to the right input.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from flask import Flask, Response, json
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

log = logging.getLogger(__name__)

PROBLEM_MIMETYPE = "application/problem+json"

#: Short, stable titles; ``detail`` carries the specifics.
TITLES = {
    400: "Malformed request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    426: "Upgrade required",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}

#: Seconds a client is asked to wait before retrying after a busy database (503).
RETRY_AFTER_BUSY_S = 1
#: PostgreSQL SQLSTATEs of a failure that retrying the request may not meet again: lock
#: wait or statement timeout, serialization failure, deadlock, too many connections, the
#: server shutting down or starting. Class 08 (connection exceptions) is transient too.
_TRANSIENT_SQLSTATES = frozenset(
    {"40001", "40P01", "55P03", "57014", "53300", "57P01", "57P02", "57P03"}
)


def field_errors(messages: Any, location: str | None = None) -> list[dict[str, str]]:
    """Flatten marshmallow/webargs messages into ``[{field, in, pointer, detail}]``.

    ``{"json": {"contact": {"email": ["Not a valid email."]}}}`` becomes one entry
    with field ``contact.email`` and pointer ``#/contact/email``.
    """

    def walk(node: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
        if isinstance(node, Mapping):
            for key, value in node.items():
                yield from walk(value, (*path, str(key)))
        elif isinstance(node, list | tuple):
            for item in node:
                if isinstance(item, Mapping | list | tuple):
                    yield from walk(item, path)
                else:
                    yield path, str(item)
        else:
            yield path, str(node)

    out = []
    for path, detail in walk(messages, ()):
        loc, rest = location, path
        if loc is None and path and path[0] in {"json", "query", "headers", "path", "form"}:
            loc, rest = path[0], path[1:]
        entry = {
            "field": ".".join(rest) or "_body",
            "pointer": "#/" + "/".join(rest),
            "detail": detail,
        }
        if loc:
            entry["in"] = loc
        out.append(entry)
    return out


def problem(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Build a problem+json response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or TITLES.get(status, "Error"),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    # Messages may quote the input, lone surrogates included: "backslashreplace" writes
    # them as JSON escapes (\udXXX) where strict UTF-8 encoding would fail with a 500.
    text = json.dumps(body).encode("utf-8", "backslashreplace")
    response = Response(text, status=status, mimetype=PROBLEM_MIMETYPE)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def from_http_exception(error: HTTPException) -> Response:
    """Turn any werkzeug/flask-smorest HTTP error into problem+json."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = None
    if "errors" in data:
        errors = field_errors(data["errors"])
    elif "messages" in data:
        errors = field_errors(data["messages"])
    detail = data.get("message") or error.description
    if status == 422 and not data.get("message"):
        detail = "Some fields are invalid; see errors."
    if status == 400 and errors and any("JSON" in e["detail"] for e in errors):
        detail = "The request body is not valid JSON."
    headers = dict(data.get("headers") or {})
    # Keep headers werkzeug sets itself (Allow on 405, Retry-After on 429...).
    for key, value in error.get_headers():
        if key.lower() != "content-type":
            headers.setdefault(key, value)
    return problem(status, detail, errors=errors, headers=headers, **data.get("extra", {}))


def init_app(app: Flask) -> None:
    """Register the handlers that make every error a problem document."""

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException) -> Response:
        return from_http_exception(error)

    @app.errorhandler(StaleDataError)
    def handle_stale(error: StaleDataError) -> Response:
        # Another writer committed between our read and our write.
        db.session.rollback()
        return problem(412, "The record was changed by someone else; reload it and retry.")

    @app.errorhandler(IntegrityError)
    def handle_integrity(error: IntegrityError) -> Response:
        db.session.rollback()
        log.info("integrity error: %s", error.orig)
        return problem(409, "The change conflicts with existing data (duplicate or reference).")

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def handle_database_busy(error: Exception) -> Response:
        if not database_busy(error):
            return handle_unexpected(error)
        log.warning("database busy or unreachable, answered 503: %s", error)
        _rollback_quietly()
        return problem(
            503,
            "The database is busy or unreachable; nothing was saved. Retry in a moment.",
            headers={"Retry-After": str(RETRY_AFTER_BUSY_S)},
            code="database_busy",
        )

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        _rollback_quietly()
        return from_http_exception(InternalServerError())


def database_busy(error: Exception) -> bool:
    """True when ``error`` is the database being busy or out of reach for a moment.

    A request that failed so changed nothing (its transaction is rolled back), and the
    same request may succeed a moment later: SQLite's write lock held past its busy
    timeout, a PostgreSQL lock or statement timeout, serialization failure, deadlock or
    lost connection, or no free connection in the pool. Anything else (a missing
    table, a syntax error) is a bug or a broken installation, not a reason to retry.
    """
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    orig = error.orig
    if type(orig).__module__.startswith("sqlite3"):
        message = str(orig).lower()
        return "database is locked" in message or "database table is locked" in message
    if type(orig).__module__.startswith("psycopg"):
        state = getattr(orig, "sqlstate", None)
        # No SQLSTATE: the client library's own failure, i.e. no (more) connection.
        return state is None or state.startswith("08") or state in _TRANSIENT_SQLSTATES
    return False


def _rollback_quietly() -> None:
    """Roll the request's transaction back; a dead connection cannot, and need not."""
    try:
        db.session.rollback()
    except DBAPIError:
        log.warning("rollback failed after a database error", exc_info=True)
