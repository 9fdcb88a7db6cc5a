"""``flask --app server ...`` commands: database, users, demo data, demo server, geocoding."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select
from werkzeug.serving import run_simple

from .extensions import db


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database or bring it to the latest migration."""
    upgrade()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["rep", "manager", "admin"]), default="rep")
@click.option("--team", "team_name", help="Team name; created if missing")
@click.password_option()
def create_user_command(
    email: str, name: str, role: str, team_name: str | None, password: str
) -> None:
    """Create a user (asks for the password twice)."""
    from .auth.models import Role, Team, User
    from .auth.passwords import hash_password

    if db.session.scalar(select(User.id).where(func.lower(User.email) == email.lower())):
        raise click.ClickException(f"a user with e-mail {email} already exists")
    if len(password) < 10:
        raise click.ClickException("the password needs at least 10 characters")
    team = None
    if team_name:
        team = db.session.scalar(select(Team).where(Team.name == team_name))
        if team is None:
            team = Team(name=team_name)
            db.session.add(team)
    user = User(
        email=email.lower(),
        name=name,
        role=Role(role),
        team=team,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {role} {email}")


@click.command("seed-demo")
@with_appcontext
@click.option("--accounts", "n_accounts", default=600, show_default=True)
@click.option("--seed", default=42, show_default=True, help="Random seed (same seed, same data)")
def seed_demo_command(n_accounts: int, seed: int) -> None:
    """Fill an empty database with a believable team and customer base in Auvergne-Rhône-Alpes."""
    from .demo import DEMO_PASSWORD, DemoError, seed_demo

    try:
        summary = seed_demo(n_accounts=n_accounts, seed=seed, progress=click.echo)
    except DemoError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary.describe())
    click.echo(f"Demo logins (password '{DEMO_PASSWORD}'):")
    for email, role in summary.logins:
        click.echo(f"  {role:8} {email}")


@click.command("demo")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def demo_command(host: str, port: int) -> None:
    """Migrate, seed the demo data if the base is empty, and serve the app."""
    from .auth.models import User
    from .demo import DEMO_PASSWORD, demo_logins, seed_demo

    upgrade()
    if not db.session.scalar(select(func.count(User.id))):
        summary = seed_demo(n_accounts=600, seed=42, progress=click.echo)
        click.echo(summary.describe())
    url = f"http://{host}:{port}/"
    click.echo("")
    click.echo(f"Tournée is running at {url}  (API docs: {url}api/docs)")
    click.echo(f"Demo logins, password '{DEMO_PASSWORD}':")
    for email, role in demo_logins():
        click.echo(f"  {role:8} {email}")
    click.echo("")
    # Flask refuses app.run() inside its own CLI; serve with werkzeug directly.
    run_simple(host, port, current_app._get_current_object(), threaded=True)


def init_app(app: Flask) -> None:
    """Register the commands on ``app``."""
    from .geocoding.commands import geocode_command
    from .plans.commands import plan_command

    for command in (
        init_db_command,
        create_user_command,
        seed_demo_command,
        demo_command,
        geocode_command,
        plan_command,
    ):
        app.cli.add_command(command)
