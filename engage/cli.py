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
    from engage.advisory.cli import advisory_group
    from engage.evaluation.cli import evaluation_group

    app.cli.add_command(demo_command)
    app.cli.add_command(db_group)
    app.cli.add_command(users_group)
    app.cli.add_command(audit_group)
    app.cli.add_command(worker_command)
    app.cli.add_command(juries_group)
    app.cli.add_command(advisory_group)
    app.cli.add_command(evaluation_group)


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
    if created is not None:
        from engage.evaluation import demo as evaluation_demo  # nothing in engage.demo may

        evaluator = evaluation_demo.demo_evaluator(db.session, created["evaluator"][0])
        evaluation_demo.seed(db.session, demo.DEMO_SLUG, evaluator)
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


@juries_group.command("purge-expired")
def juries_purge_expired() -> None:
    """Erase the personal data of every jury whose retention date has passed (run it daily,
    e.g. from cron). Keeps the aggregate counts, the published draws and the audit trail."""
    from datetime import date

    from flask import current_app

    from engage.extensions import db
    from engage.juries import draws, services, uploads

    purged = draws.purge_expired(db.session, today=date.today())
    base = uploads.base_folder(current_app.instance_path)
    for jury_id in purged:
        uploads.discard_jury(base, jury_id)
    if not purged:
        click.echo("No jury is past its retention date: nothing purged.")
        return
    click.echo("Personal data purged, the retention date having passed:")
    for jury_id in purged:
        jury = services.get_jury(db.session, jury_id)
        click.echo(
            f"  jury {jury.id}: {jury.title} (kept until {jury.retention_until.isoformat()})"
        )


@juries_group.command("verify-draw", with_appcontext=False)
@click.argument("bundle_path", metavar="BUNDLE.json", type=click.Path(exists=True, dir_okay=False))
@click.argument("random_value", metavar="RANDOM_VALUE")
@click.option(
    "--commitment",
    metavar="HASH",
    help="The commitment published before the draw; exit status 1 if the bundle does not match it.",
)
def juries_verify_draw(bundle_path: str, random_value: str, commitment: str | None) -> None:
    """Reproduce a published draw from its bundle and the public random value alone.

    Prints the bundle's commitment (compare it with the one published before the draw), the
    number of the chosen panel and its members' pseudonyms. Needs no database."""
    import json

    from engage.juries import lottery

    try:
        with open(bundle_path, "rb") as bundle_file:
            text = bundle_file.read().decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise click.ClickException("The bundle is not UTF-8 text.") from None
    try:
        verified = lottery.verify(text, random_value)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    panels = len(json.loads(text)["panels"])
    click.echo(f"Commitment: {verified.commitment}")
    click.echo(f"Random value: {verified.random_value}")
    click.echo(f"Chosen panel: {verified.index} (of {panels}, counting from 0)")
    click.echo(f"Panel ({len(verified.panel)} people):")
    for pseudonym in verified.panel:
        click.echo(f"  {pseudonym}")
    if commitment is not None and commitment.strip().lower() != verified.commitment:
        click.echo(
            f"This bundle does not match the published commitment {commitment.strip()}: "
            "it is not the bundle that was committed to.",
            err=True,
        )
        sys.exit(1)


@juries_group.command("select", with_appcontext=False)
@click.option(
    "--people",
    "people_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="The pool: a Sortition Foundation people file or the paper's respondents.csv.",
)
@click.option(
    "--quotas",
    "quotas_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="features.csv (Sortition Foundation) or categories.csv (paper).",
)
@click.option("--size", "panel_size", required=True, type=click.IntRange(min=1), help="Panel size.")
@click.option(
    "--algorithm",
    # Spelled out so the command line starts without importing the solvers.
    type=click.Choice(["leximin", "maximin", "legacy"]),
    default="leximin",
    show_default=True,
)
@click.option("--households", is_flag=True, help="At most one person per household.")
@click.option(
    "--seed", default=None, help="Text from which the selected panel is drawn; random when absent."
)
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="Where to write the result (JSON).",
)
def juries_select(
    people_path: str,
    quotas_path: str,
    panel_size: int,
    algorithm: str,
    households: bool,
    seed: str | None,
    out_path: str,
) -> None:
    """Compute a fair lottery over panels from two CSV files (either format, detected) and draw
    one panel. Exit status 1 for unreadable files (every bad row listed), 2 for quotas no panel
    can satisfy (with the smallest relaxation that would)."""
    import json
    import secrets
    from pathlib import Path

    from engage.juries import pooldata, selection

    try:
        pool = pooldata.read_pool(Path(people_path).read_bytes(), Path(quotas_path).read_bytes())
    except pooldata.PoolFileError as error:
        for row_error in error.errors:
            click.echo(row_error.text(), err=True)
        sys.exit(1)
    instance = pool.instance(panel_size)
    try:
        distribution = selection.select(
            instance,
            selection.Algorithm(algorithm),
            households=households,
            seed=seed or "",
        )
    except selection.InfeasibleQuotas as error:
        click.echo("No panel satisfies these quotas:", err=True)
        for reason in error.infeasibility.reasons:
            click.echo(f"  - {reason}", err=True)
        relaxation = error.infeasibility.relaxation
        if relaxation:
            click.echo("The smallest change that makes them feasible:", err=True)
            for change in relaxation:
                click.echo(f"  - {selection.describe_change(change)}", err=True)
        sys.exit(2)
    ids = list(instance.ids)
    chosen = selection.sample_panel(
        distribution.panels, distribution.probabilities, seed or secrets.token_hex(16)
    )
    result = {
        "algorithm": distribution.algorithm.value,
        "panels": [[ids[p] for p in panel] for panel in distribution.panels],
        "probabilities": distribution.probabilities,
        "marginals": dict(zip(ids, distribution.marginals, strict=True)),
        "min_probability": distribution.min_probability,
        "selected": [ids[p] for p in chosen],
        "seconds": distribution.seconds,
    }
    Path(out_path).write_text(json.dumps(result, indent=1), encoding="utf-8")
    click.echo(
        f"{distribution.algorithm.value}: {len(distribution.panels)} panels, minimum selection "
        f"probability {distribution.min_probability:.6f}, {distribution.seconds:.1f} s"
    )
