"""Sync endpoints: push, pull, bootstrap (docs/sync-protocol.md)."""

from __future__ import annotations

import json
import os
import signal
from typing import Any

import orjson
from flask import Response, current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from sync.protocol import (
    PROTOCOL_VERSION,
    BadBatch,
    Cursor,
    Mutation,
    ResyncRequired,
    UpgradeRequired,
    check_protocol,
    outcome_to_json,
)
from sync.push import process_batch

from .. import memo, newrows
from ..auth.tokens import current_user, stamp
from ..errors import problem
from ..extensions import db
from .pull import BootstrapCursor, Page, bootstrap, pull
from .schemas import PageSchema, PullArgs, PushResultSchema, PushSchema
from .store import SqlStore

blp = Blueprint("sync", __name__, url_prefix="/api/sync", description="Device synchronisation")


class ProtocolProblem(Exception):
    """A request-level sync refusal, answered as problem+json."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _refusal(error: Exception) -> Response:
    """problem+json for the protocol's request-level errors."""
    if isinstance(error, UpgradeRequired):
        return problem(426, str(error), code="upgrade_required")
    if isinstance(error, ResyncRequired):
        return problem(410, str(error), code="resync_required")
    return problem(422, str(error), code="bad_batch")


@blp.errorhandler(ProtocolProblem)
def _answer(error: ProtocolProblem) -> Response:
    return error.response


def _checked_protocol(version: int) -> None:
    """Refuse clients whose protocol is too old (426) or unknown (422)."""
    try:
        check_protocol(version)
    except (UpgradeRequired, BadBatch) as error:
        raise ProtocolProblem(_refusal(error)) from error


def _json(payload: dict[str, Any]) -> Response:
    """A JSON answer built here, not by the response schema (which documents it).

    The payload is JSON-ready already: dumping thousands of entries again through
    marshmallow doubled the time of a page, and orjson encodes a page several times
    faster than the standard library (UTF-8 as is, no spaces: smaller pages too).
    Anything orjson refuses (an integer beyond 64 bits...) goes through ``json``.
    """
    try:
        body = orjson.dumps(payload)
    except orjson.JSONEncodeError:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return current_app.response_class(body, mimetype="application/json")


def _page(page: Page) -> Response:
    """Wire form of a page."""
    return _json(
        {
            "protocol": PROTOCOL_VERSION,
            "cursor": page.cursor,
            "has_more": page.has_more,
            "changes": [entry.to_json() for entry in page.entries],
        }
    )


@blp.route("/push")
class Push(MethodView):
    """Send the device's outbox."""

    @blp.arguments(PushSchema)
    @blp.response(200, PushResultSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Apply a batch of mutations; replaying a batch returns the original outcomes"""
        _checked_protocol(data["protocol"])
        store = SqlStore(current_user(), g.device)
        store.lock_device()
        mutations = [
            Mutation(
                mid=m["mid"],
                entity=m["entity"],
                op=m["op"],
                id=m["id"],
                fields=m["fields"],
                base_version=m["base_version"],
            )
            for m in data["mutations"]
        ]
        try:
            # One memo for the batch (scope, ids, definitions asked once), and new records
            # queued as rows, inserted together when a chunk's savepoint is released.
            with memo.batch(), newrows.batch():
                store.prefetch(mutations)
                outcomes = process_batch(store, mutations)
        except BadBatch as error:
            db.session.rollback()
            raise ProtocolProblem(_refusal(error)) from error
        if data.get("pending") is not None:
            g.device.pending_reported = data["pending"]
        if data.get("app_version"):
            g.device.app_version = data["app_version"]
        last_mid = g.device.last_mid
        db.session.commit()
        if current_app.config.get("FAULT_KILL_AFTER_PUSH_COMMIT"):
            # Fault injection (tests/test_sync_fault.py): die between commit and answer.
            os.kill(os.getpid(), signal.SIGKILL)
        return _json(
            {
                "protocol": PROTOCOL_VERSION,
                "last_mid": last_mid,
                "outcomes": [outcome_to_json(o) for o in outcomes],
            }
        )


@blp.route("/pull")
class Pull(MethodView):
    """Receive what changed."""

    @blp.arguments(PullArgs, location="query")
    @blp.response(200, PageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Changes after the cursor visible to you, latest state per record; 410 = resync"""
        _checked_protocol(args["protocol"])
        try:
            cursor = Cursor.decode(args.get("cursor"))
            page = pull(current_user(), cursor, limit=args["limit"])
        except (BadBatch, ResyncRequired) as error:
            raise ProtocolProblem(_refusal(error)) from error
        stamp(g.device, "last_sync_at")  # when it last pulled
        return _page(page)


@blp.route("/bootstrap")
class Bootstrap(MethodView):
    """First download of a device."""

    @blp.arguments(PullArgs, location="query")
    @blp.response(200, PageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """A consistent snapshot of your slice, page by page; the last cursor is for pulls"""
        _checked_protocol(args["protocol"])
        try:
            cursor = BootstrapCursor.decode(args["cursor"]) if args.get("cursor") else None
        except ValueError as error:
            raise ProtocolProblem(_refusal(BadBatch("malformed bootstrap cursor"))) from error
        try:
            page = bootstrap(current_user(), cursor, limit=args["limit"])
        except ResyncRequired as error:
            raise ProtocolProblem(_refusal(error)) from error
        return _page(page)
