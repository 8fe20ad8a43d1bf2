"""`engage evaluation`: the evidence package from the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
from flask.cli import AppGroup

EXIT_USAGE = 2


@click.group("evaluation", cls=AppGroup)
def evaluation_group() -> None:
    """Evaluation: documented, anonymised evidence packages."""


def _refuse(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(EXIT_USAGE)


@evaluation_group.command("export")
@click.option("--mission", "slug", required=True, metavar="SLUG", help="The mission's slug.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    metavar="DIR",
    type=click.Path(file_okay=True, dir_okay=True, path_type=Path),
    help="A new or empty directory to write the unpacked package into.",
)
@click.option(
    "--no-refresh",
    is_flag=True,
    help="Export the evidence index as it stands instead of updating it first.",
)
def evaluation_export(slug: str, out_dir: Path, no_refresh: bool) -> None:
    """Write the mission's evidence package (a Frictionless Data Package: datapackage.json,
    README.md, CSV files and GeoJSON) into DIR, after updating the mission's evidence index.
    Exit status 2 for an unknown mission or a DIR that is a file or not empty."""
    from engage.db import begin_without_write_lock
    from engage.errors import NotFound
    from engage.evaluation import index, package
    from engage.extensions import db

    # Read every domain without SQLite's write lock: the refresh writes only at its end.
    begin_without_write_lock(db.session)
    try:
        mission = index.get_mission(db.session, slug)
    except NotFound:
        _refuse(f"There is no mission with the slug “{slug}”.")
    if out_dir.exists() and not out_dir.is_dir():
        _refuse(f"{out_dir} is a file: give a new or empty directory.")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        _refuse(f"{out_dir} is not empty: give a new or empty directory.")
    if not no_refresh:
        counts = index.refresh_index(db.session, mission.id)
        click.echo(
            f"Evidence index updated: {counts.total} items "
            f"({counts.added} new, {counts.removed} removed)."
        )
    summary = package.export_package(
        db.session,
        mission,
        out_dir,
        filters=index.EvidenceFilter(),
        actor=None,
        via=package.VIA_COMMAND_LINE,
    )
    click.echo(f"Wrote the evidence package {summary.name} into {out_dir}:")
    click.echo(f"  {'datapackage.json':<24} sha256:{summary.datapackage_sha256}")
    for info in summary.files:
        rows = "" if info.rows is None else f"{info.rows} rows"
        if info.path.endswith(".geojson"):
            rows = f"{info.rows} features"
        click.echo(f"  {info.path:<24} {rows:<14} {info.bytes} bytes")
    click.echo("Check it with: frictionless validate " + str(out_dir / "datapackage.json"))
