"""Exports of a project's submissions, for officers and evaluators: a tidy CSV, GeoJSON and the
photos as a zip. Each is chosen with the review's :class:`~engage.appraisals.review.SubmissionFilter`
(by default the approved submissions) and written in the audit log with what was asked for and
how many rows it holds, before the first byte leaves.

CSV (UTF-8, one row per submission, ordered by id): ``submission_id``, ``submitted_at`` (UTC,
ISO 8601), ``submitter`` (a pseudonym, see :func:`pseudonymiser`), ``state``, ``area``,
``latitude`` and ``longitude`` (the PUBLIC point, 6 decimals: the centre of its ~500 m cell unless
the submitter shared the exact point), ``location_generalised`` (``true``/``false``; empty without
a location), then one column per field in form order named by the field's ``name`` (the location
field has none: it is the latitude and longitude; multiple choices are joined with ``;``; a photo
field lists the photo files as named in the photos zip), then ``flags`` (the quality flags'
kinds, joined with ``;``). Text that a spreadsheet would run as a formula gets an apostrophe in
front. No name or e-mail address is ever exported.

GeoJSON (RFC 7946): a FeatureCollection whose Features have a Point geometry
``[longitude, latitude]`` (WGS 84, the public point) or a null geometry for a submission without
a location, the submission id as ``id``, and the CSV's columns but the coordinates as flat
properties (numbers stay numbers, ``location_generalised`` is a boolean or null).

Both stream: rows are read in batches of :data:`BATCH_SIZE` (``yield_per``, a server-side cursor
on PostgreSQL) and written out batch by batch, so the whole file is never in memory.

Photos: a zip of the stored full images (re-encoded without metadata when they were received),
each named ``<submission_id>-<field>-<photo_id>.jpg|png``, and ``manifest.csv`` listing every file
with its submission, field, size and SHA-256 (and ``missing`` for a stored file that has gone).
It is built in a temporary file, which is deleted when the download ends.
"""

from __future__ import annotations

import csv
import enum
import hashlib
import hmac
import io
import json
import math
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage import audit
from engage.appraisals import photos
from engage.appraisals.models import (
    Area,
    FieldType,
    Photo,
    Project,
    QualityFlag,
    Submission,
)
from engage.appraisals.projects import may_review
from engage.appraisals.review import SubmissionFilter, matching
from engage.db import begin_without_write_lock
from engage.errors import N_, Forbidden

BATCH_SIZE = 1000
PHOTO_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}
# The fixed columns around the form's own (projects.RESERVED_FIELD_NAMES keeps field names
# off them).
LEADING_COLUMNS = (
    "submission_id",
    "submitted_at",
    "submitter",
    "state",
    "area",
    "latitude",
    "longitude",
    "location_generalised",
)
TRAILING_COLUMNS = ("flags",)
MANIFEST_COLUMNS = (
    "file",
    "submission_id",
    "field",
    "photo_id",
    "content_type",
    "width",
    "height",
    "sha256",
    "status",
)
# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    GEOJSON = "geojson"
    PHOTOS = "photos"


@dataclass(frozen=True)
class StreamedExport:
    """A file to send as it is written: ``chunks`` reads the database while it is consumed."""

    filename: str
    content_type: str
    rows: int
    chunks: Iterator[str]


@dataclass(frozen=True)
class PhotoArchive:
    """The photos zip, in a temporary file (gone once closed)."""

    filename: str
    rows: int  # submissions matching the filter
    photos: int  # files in the zip
    missing: int  # photos whose stored file has gone (listed in the manifest only)
    file: IO[bytes]


@dataclass(frozen=True)
class _Column:
    name: str
    type: FieldType


@dataclass(frozen=True)
class _Record:
    """One submission as exported: every column but the coordinates, as typed values."""

    values: dict[str, Any]
    latitude: float | None
    longitude: float | None


def spreadsheet_cell(text: str) -> str:
    """Text no spreadsheet runs as a formula: an apostrophe in front of a formula character
    (also after apostrophes already there, so that removing one gives the text back)."""
    return "'" + text if text.lstrip("'").startswith(FORMULA_START) else text


def pseudonymiser(secret: str, project_id: int) -> Callable[[int | None], str]:
    """The ``submitter`` column: the first 12 hex digits of HMAC-SHA256 of the author's account
    id, keyed with a key derived from the app's secret key and the project. The same person has
    the same pseudonym in every export of one project, and unrelated ones in other projects;
    without the secret key, no one can tell whose it is."""
    key = hmac.new(
        secret.encode(), f"engage.appraisals.submitter:{project_id}".encode(), hashlib.sha256
    ).digest()

    def pseudonym(author_id: int | None) -> str:
        if author_id is None:  # the account was deleted
            return ""
        return hmac.new(key, str(author_id).encode(), hashlib.sha256).hexdigest()[:12]

    return pseudonym


def photo_file_name(submission_id: int, field_name: str, photo_id: int, content_type: str) -> str:
    extension = PHOTO_EXTENSIONS.get(content_type, "bin")
    return f"{submission_id}-{field_name}-{photo_id}.{extension}"


def csv_header(project: Project) -> list[str]:
    return [*LEADING_COLUMNS, *(column.name for column in _columns(project)), *TRAILING_COLUMNS]


def _columns(project: Project) -> list[_Column]:
    return [
        _Column(field.name, field.type)
        for field in project.fields
        if field.type is not FieldType.LOCATION
    ]


def _file_name(project: Project, kind: str, extension: str) -> str:
    return f"{project.slug}-{kind}-{datetime.now(UTC).date().isoformat()}.{extension}"


def _begin(
    session: Session,
    project: Project,
    filters: SubmissionFilter,
    fmt: ExportFormat,
    actor: Any,
    **extra: int,
) -> int:
    """Count the rows, write the audit entry and commit it (before the first byte is sent)."""
    if not may_review(actor):
        raise Forbidden(N_("Only officers and evaluators export submissions."))
    rows = (
        session.scalar(
            sa.select(sa.func.count(Submission.id)).where(*matching(project.id, filters))
        )
        or 0
    )
    audit.record(
        session, actor, "appraisals.exported", f"appraisal_project:{project.id}",
        {"format": fmt.value, "filter": filters.details(), "rows": rows, **extra},
    )  # fmt: skip
    session.commit()
    return rows


def _reading(session: Session, chunks: Iterator[str]) -> Iterator[str]:
    """``chunks`` read in a transaction of their own, which takes no write lock (on SQLite,
    writers go on while the file streams) and ends with the file, however it ends. The
    request's own session handling may be over by then (the response is sent after the view
    returns), so the export does not rely on it."""
    if not session.in_transaction():
        begin_without_write_lock(session)
    try:
        yield from chunks
    finally:
        session.rollback()


def _typed(value: Any) -> Any:
    """An answer as one flat value: lists joined with ";", no NaN or infinity."""
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _records(
    session: Session,
    project_id: int,
    columns: Sequence[_Column],
    filters: SubmissionFilter,
    pseudonym: Callable[[int | None], str],
) -> Iterator[list[_Record]]:
    """The matching submissions, batch by batch, each batch's flags and photos read with one
    query each."""
    rows = session.execute(
        sa.select(
            Submission.id,
            Submission.submitted_at,
            Submission.author_id,
            Submission.state,
            Area.name.label("area"),
            Submission.public_latitude,
            Submission.public_longitude,
            Submission.share_exact,
            Submission.answers,
        )
        .outerjoin(Area, Area.id == Submission.area_id)
        .where(*matching(project_id, filters))
        .order_by(Submission.id)
        .execution_options(yield_per=BATCH_SIZE)
    )
    for batch in rows.partitions():
        ids = [row.id for row in batch]
        flags: dict[int, list[str]] = defaultdict(list)
        for submission_id, kind in session.execute(
            sa.select(QualityFlag.submission_id, QualityFlag.kind)
            .where(QualityFlag.submission_id.in_(ids))
            .order_by(QualityFlag.id)
        ):
            if kind.value not in flags[submission_id]:
                flags[submission_id].append(kind.value)
        photos: dict[tuple[int, str], list[str]] = defaultdict(list)
        for photo_id, submission_id, field_name, content_type in session.execute(
            sa.select(Photo.id, Photo.submission_id, Photo.field_name, Photo.content_type)
            .where(Photo.submission_id.in_(ids))
            .order_by(Photo.id)
        ):
            photos[submission_id, field_name].append(
                photo_file_name(submission_id, field_name, photo_id, content_type)
            )
        records = []
        for row in batch:
            located = row.public_latitude is not None and row.public_longitude is not None
            values: dict[str, Any] = {
                "submission_id": row.id,
                "submitted_at": row.submitted_at.astimezone(UTC)
                .isoformat(timespec="seconds")
                .replace("+00:00", "Z"),
                "submitter": pseudonym(row.author_id),
                "state": row.state.value,
                "area": row.area,
                "location_generalised": (not row.share_exact) if located else None,
            }
            answers = row.answers or {}
            for column in columns:
                if column.type is FieldType.PHOTO:
                    values[column.name] = ";".join(photos.get((row.id, column.name), [])) or None
                else:
                    values[column.name] = _typed(answers.get(column.name))
            values["flags"] = ";".join(flags.get(row.id, []))
            records.append(
                _Record(
                    values,
                    row.public_latitude if located else None,
                    row.public_longitude if located else None,
                )
            )
        yield records


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return spreadsheet_cell(str(value))


def _coordinate(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def _csv_chunks(header: list[str], batches: Iterator[list[_Record]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield buffer.getvalue()
    for records in batches:
        buffer.seek(0)
        buffer.truncate()
        for record in records:
            cells = [_csv_cell(record.values.get(name)) for name in header]
            cells[header.index("latitude")] = _coordinate(record.latitude)
            cells[header.index("longitude")] = _coordinate(record.longitude)
            writer.writerow(cells)
        yield buffer.getvalue()


def export_csv(
    session: Session,
    project: Project,
    filters: SubmissionFilter,
    *,
    secret: str,
    actor: Any,
) -> StreamedExport:
    """The CSV export: counted and audit-logged now, written while ``chunks`` is read."""
    header = csv_header(project)
    columns = _columns(project)
    project_id = project.id
    filename = _file_name(project, "submissions", "csv")
    rows = _begin(session, project, filters, ExportFormat.CSV, actor)
    batches = _records(session, project_id, columns, filters, pseudonymiser(secret, project_id))
    chunks = _reading(session, _csv_chunks(header, batches))
    return StreamedExport(filename, "text/csv; charset=utf-8", rows, chunks)


def _feature(record: _Record) -> dict[str, Any]:
    geometry = None
    if record.latitude is not None and record.longitude is not None:
        geometry = {
            "type": "Point",
            "coordinates": [round(record.longitude, 6), round(record.latitude, 6)],
        }
    return {
        "type": "Feature",
        "id": record.values["submission_id"],
        "geometry": geometry,
        "properties": record.values,
    }


def _geojson_chunks(batches: Iterator[list[_Record]]) -> Iterator[str]:
    yield '{"type":"FeatureCollection","features":['
    separator = ""
    for records in batches:
        if not records:
            continue
        features = ",".join(
            json.dumps(_feature(record), ensure_ascii=False, separators=(",", ":"))
            for record in records
        )
        yield separator + features
        separator = ","
    yield "]}\n"


def export_geojson(
    session: Session,
    project: Project,
    filters: SubmissionFilter,
    *,
    secret: str,
    actor: Any,
) -> StreamedExport:
    """The GeoJSON export (RFC 7946), streamed like the CSV."""
    columns = _columns(project)
    project_id = project.id
    filename = _file_name(project, "submissions", "geojson")
    rows = _begin(session, project, filters, ExportFormat.GEOJSON, actor)
    batches = _records(session, project_id, columns, filters, pseudonymiser(secret, project_id))
    chunks = _reading(session, _geojson_chunks(batches))
    return StreamedExport(filename, "application/geo+json", rows, chunks)


def export_photos(
    session: Session,
    project: Project,
    filters: SubmissionFilter,
    *,
    photo_dir: Path,
    actor: Any,
) -> PhotoArchive:
    """The photos of the matching submissions as a zip with a manifest, in a temporary file."""
    where = matching(project.id, filters)
    photo_rows = sa.select(Photo).join(Submission, Submission.id == Photo.submission_id)
    photo_count = (
        session.scalar(
            sa.select(sa.func.count(Photo.id))
            .join(Submission, Submission.id == Photo.submission_id)
            .where(*where)
        )
        or 0
    )
    filename = _file_name(project, "photos", "zip")
    rows = _begin(session, project, filters, ExportFormat.PHOTOS, actor, photos=photo_count)
    begin_without_write_lock(session)
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(MANIFEST_COLUMNS)
    archive = tempfile.TemporaryFile(suffix=".zip")  # noqa: SIM115  # closed by the response
    included = missing = 0
    try:
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as bundle:
            stored = session.scalars(
                photo_rows.where(*where)
                .order_by(Photo.submission_id, Photo.id)
                .execution_options(yield_per=BATCH_SIZE)
            )
            for photo in stored:
                name = photo_file_name(
                    photo.submission_id, photo.field_name, photo.id, photo.content_type
                )
                path = photos.stored_path(photo_dir, photo.stored_name)
                if path is not None:
                    bundle.write(path, arcname=name)
                    included += 1
                    status = "included"
                else:
                    missing += 1
                    status = "missing"
                writer.writerow(
                    [name, photo.submission_id, photo.field_name, photo.id, photo.content_type,
                     photo.width, photo.height, photo.sha256, status]
                )  # fmt: skip
            bundle.writestr("manifest.csv", manifest.getvalue())
        archive.seek(0)
    except BaseException:
        archive.close()
        raise
    return PhotoArchive(filename, rows, included, missing, archive)
