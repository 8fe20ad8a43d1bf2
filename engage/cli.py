"""The `engage` command: Flask's CLI group with the app's own commands."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from engage.security import STAFF_ROLES, Role


def main() -> None:
    from engage import create_app

    cli = FlaskGroup(
        create_app=lambda: create_app(),
        help="engage: participatory engagement for mission-oriented cities.",
    )
    cli.main(prog_name="engage")


def register_commands(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(db_group)
    app.cli.add_command(users_group)
    app.cli.add_command(audit_group)
    app.cli.add_command(worker_command)
    app.cli.add_command(juries_group)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the database and demo data, then stop.")
@click.pass_context
@with_appcontext
def demo_command(context: click.Context, host: str, port: int, no_serve: bool) -> None:
    """Create and migrate the database, seed a demo city (once), and serve it."""
    from flask import current_app

    from engage import demo, schema
    from engage.extensions import db

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    schema.upgrade(app)
    created = demo.seed(db.session)
    if created is None:
        click.echo("Demo data already present; its passwords were printed when it was created.")
        click.echo("Use `engage users create` to add an account you know the password of.")
    else:
        click.echo("Demo accounts (passwords are shown only this once):")
        for role, (email, password) in created.items():
            click.echo(f"  {role:<10} {email:<34} {password}")
    if not no_serve:
        from werkzeug.serving import run_simple

        click.echo(f"Serving the demo on http://{host}:{port}/ (Ctrl+C to stop)")
        # Not app.run(): Flask ignores it inside a CLI command.
        run_simple(host, port, app, threaded=True)


@click.group("db", cls=AppGroup)
def db_group() -> None:
    """Database schema migrations."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    from flask import current_app

    from engage import schema

    schema.upgrade(current_app._get_current_object(), revision)  # type: ignore[attr-defined]


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ("base" removes every table)."""
    from flask import current_app

    from engage import schema

    schema.downgrade(current_app._get_current_object(), revision)  # type: ignore[attr-defined]


@click.group("users", cls=AppGroup)
def users_group() -> None:
    """Accounts."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True, help="Name shown to others.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([role.value for role in Role]),
    help="Repeat for several roles. Without it the account is a resident's.",
)
@click.password_option(help="Asked for when not given.")
def users_create(email: str, display_name: str, roles: tuple[str, ...], password: str) -> None:
    """Create an account, optionally with staff roles."""
    from engage.accounts import services
    from engage.errors import DomainError
    from engage.extensions import db

    try:
        user = services.create_user(
            db.session,
            display_name=display_name,
            email=email,
            password=password,
            roles={Role(value) for value in roles},
            actor=None,
        )
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    granted = ", ".join(sorted(role.value for role in user.roles & set(STAFF_ROLES))) or "resident"
    click.echo(f"Created account {user.id} for {user.email} ({granted}).")


@click.group("audit", cls=AppGroup)
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
@click.option(
    "--anchor",
    metavar="HASH",
    help="A head hash printed by an earlier run and kept outside the database; it must still be in the chain.",
)
def audit_verify(anchor: str | None) -> None:
    """Recompute the chain; name the first broken entry (exit status 1 if any)."""
    from engage import audit
    from engage.db import begin_without_write_lock
    from engage.extensions import db

    begin_without_write_lock(db.session)
    report = audit.verify_chain(db.session, anchor=anchor)
    if report.first_broken_id is not None:
        click.echo(
            f"Audit log broken at entry {report.first_broken_id}: {report.reason}.", err=True
        )
        click.echo(f"{report.checked} entries before it verified.", err=True)
        sys.exit(1)
    if report.anchor_found is False:
        click.echo(
            f"Audit log does not contain the anchor {anchor}: entries up to it were rewritten or removed.",
            err=True,
        )
        sys.exit(1)
    click.echo(f"Audit log intact: {report.checked} entries verified.")
    if report.head_hash:
        click.echo(f"Chain head: {report.head_hash}")
        click.echo("Keep this hash outside the database; --anchor checks it later.")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run an RQ worker for engage jobs (needs ENGAGE_JOB_RUNNER=rq)."""
    from flask import current_app

    from engage import jobs

    try:
        jobs.serve_worker(current_app._get_current_object(), burst=burst)  # type: ignore[attr-defined]
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None


@click.group("juries", cls=AppGroup)
def juries_group() -> None:
    """Citizens' juries: selection from CSV files and checking a published draw."""
