"""Serve the web app in web/ (the PWA grows there; today a landing page)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, send_from_directory

from .auth.tokens import public

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"

bp = Blueprint("web", __name__)


@bp.route("/")
@public
def index():
    """The web app's entry page."""
    return send_from_directory(WEB_ROOT, "index.html", max_age=0)


@bp.route("/landing.css")
@public
def landing_css():
    """The landing page's style sheet."""
    return send_from_directory(WEB_ROOT, "landing.css", max_age=3600)


def init_app(app: Flask) -> None:
    """Register the web routes."""
    app.register_blueprint(bp)
