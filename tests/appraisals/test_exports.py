"""Exports of submissions: the tidy CSV (columns, pseudonyms, formula guard, streaming in
batches), GeoJSON checked with the geojson library, and the photos zip with its manifest."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geojson  # type: ignore[import-untyped]  # no types published
import pytest
import sqlalchemy as sa
from PIL import Image
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.appraisals import exports
from engage.appraisals.models import (
    FieldType,
    FlagKind,
    Photo,
    Project,
    QualityFlag,
    Submission,
    SubmissionState,
)
from engage.appraisals.review import SubmissionFilter
from engage.audit import AuditEntry
from engage.errors import Forbidden
from tests.conftest import counting_queries
from tests.factories import make_area, make_field, make_science_project, make_submission, make_user

SECRET = "test secret key, not for production"
APPROVED = SubmissionState.APPROVED
ONLY_APPROVED = SubmissionFilter(state=APPROVED)
EXACT = (51.551234, -0.142345)


@pytest.fixture
def project(session: Session) -> Project:
    project = make_science_project(session)
    make_field(
        project,
        "trees",
        FieldType.MULTIPLE_CHOICE,
        choices=[{"value": "oak", "label": "Oak"}, {"value": "ash", "label": "Ash"}],
    )
    make_field(project, "change", FieldType.INTEGER)
    session.commit()
    return project


def read_csv(export: exports.StreamedExport) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(export.chunks))))


def csv_rows(
    session: Session, project: Project, actor: User, filters: SubmissionFilter = ONLY_APPROVED
) -> list[dict[str, str]]:
    return read_csv(exports.export_csv(session, project, filters, secret=SECRET, actor=actor))


def geojson_text(
    session: Session, project: Project, actor: User, filters: SubmissionFilter = ONLY_APPROVED
) -> str:
    export = exports.export_geojson(session, project, filters, secret=SECRET, actor=actor)
    return "".join(export.chunks)


def test_the_csv_has_one_row_per_submission_and_one_column_per_field(
    session: Session, project: Project, officer: User
) -> None:
    area = make_area(session, project.mission, name="Kentish Town")
    author = make_user(session, email="ada@example.org", display_name="Ada Lovelace")
    generalised = make_submission(
        session,
        project,
        author,
        answers={"pm25": 180.5, "site": "road", "trees": ["oak", "ash"], "change": -3},
        point=EXACT,
        state=APPROVED,
        submitted_at=datetime(2026, 5, 4, 9, 30, 15, 123, tzinfo=UTC),
    )
    generalised.area_id = area.id
    session.add(
        QualityFlag(submission_id=generalised.id, kind=FlagKind.OUT_OF_RANGE, field_name="pm25")
    )
    exact = make_submission(
        session, project, author, answers={"note": "By the gate"}, state=APPROVED, share_exact=True
    )
    exact.public_latitude, exact.public_longitude = EXACT
    nowhere = make_submission(session, project, answers={"pm25": 3}, point=None, state=APPROVED)
    make_submission(session, project, state=SubmissionState.RECEIVED)  # not approved: left out
    session.commit()

    export = exports.export_csv(session, project, ONLY_APPROVED, secret=SECRET, actor=officer)
    assert export.content_type.startswith("text/csv")
    assert export.filename.endswith(".csv") and export.filename.startswith(project.slug)
    assert export.rows == 3
    text = "".join(export.chunks)
    header = next(csv.reader(io.StringIO(text)))
    assert header == [
        "submission_id",
        "submitted_at",
        "submitter",
        "state",
        "area",
        "latitude",
        "longitude",
        "location_generalised",
        "pm25",
        "site",
        "note",
        "photo",
        "trees",
        "change",
        "flags",
    ]
    first, second, third = csv.DictReader(io.StringIO(text))
    assert first == {
        "submission_id": str(generalised.id),
        "submitted_at": "2026-05-04T09:30:15Z",
        "submitter": first["submitter"],
        "state": "approved",
        "area": "Kentish Town",
        "latitude": "51.550000",
        "longitude": "-0.140000",
        "location_generalised": "true",
        "pm25": "180.5",
        "site": "road",
        "note": "",
        "photo": "",
        "trees": "oak;ash",
        "change": "-3",  # a number, not a formula: no apostrophe
        "flags": "out_of_range",
    }
    assert (second["latitude"], second["longitude"]) == ("51.551234", "-0.142345")
    assert second["location_generalised"] == "false"
    assert second["note"] == "By the gate"
    assert (third["latitude"], third["longitude"], third["location_generalised"]) == ("", "", "")
    assert third["submission_id"] == str(nowhere.id)
    # The same person has the same pseudonym; nobody's name, e-mail or exact point is there.
    assert len(first["submitter"]) == 12 and int(first["submitter"], 16) >= 0
    assert first["submitter"] == second["submitter"] != third["submitter"]
    for secret_text in ("Ada", "Lovelace", "ada@example.org", "51.5512", "-0.1423"):
        assert secret_text not in text.replace("51.551234,-0.142345", "")


def test_pseudonyms_differ_between_projects_and_secrets(session: Session, project: Project) -> None:
    same_person = 42
    here = exports.pseudonymiser(SECRET, project.id)
    assert here(same_person) == exports.pseudonymiser(SECRET, project.id)(same_person)
    assert here(same_person) != exports.pseudonymiser(SECRET, project.id + 1)(same_person)
    assert here(same_person) != exports.pseudonymiser("another secret", project.id)(same_person)
    assert here(same_person) != here(same_person + 1)
    assert here(None) == ""


@pytest.mark.parametrize(
    ("typed", "cell"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("'=already", "''=already"),
        ('Quote "this", please', 'Quote "this", please'),
        ("Line one\nline two", "Line one\nline two"),
    ],
)
def test_csv_cells_a_spreadsheet_would_run_get_an_apostrophe(
    session: Session, project: Project, officer: User, typed: str, cell: str
) -> None:
    make_submission(session, project, answers={"note": typed, "site": typed}, state=APPROVED)
    [row] = csv_rows(session, project, officer)
    assert row["note"] == cell
    assert row["site"] == cell


def test_area_names_are_guarded_too(session: Session, project: Project, officer: User) -> None:
    area = make_area(session, project.mission, name="=cmd|' /C calc'!A0")
    submission = make_submission(session, project, state=APPROVED)
    submission.area_id = area.id
    session.commit()
    [row] = csv_rows(session, project, officer)
    assert row["area"] == "'=cmd|' /C calc'!A0"


def test_the_export_follows_the_filter_and_is_audit_logged(
    session: Session, project: Project, officer: User
) -> None:
    make_submission(session, project, state=APPROVED)
    make_submission(session, project, state=SubmissionState.REJECTED)
    everything = SubmissionFilter()
    assert len(csv_rows(session, project, officer, everything)) == 2
    assert len(csv_rows(session, project, officer)) == 1
    geojson_text(session, project, officer)
    entries = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.action == "appraisals.exported")
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.details["format"], e.details["rows"]) for e in entries] == [
        ("csv", 2),
        ("csv", 1),
        ("geojson", 1),
    ]
    assert entries[1].details["filter"]["state"] == "approved"
    assert entries[0].details["filter"]["state"] == "all"
    assert {e.subject for e in entries} == {f"appraisal_project:{project.id}"}
    assert {e.actor_id for e in entries} == {officer.id}


def test_only_reviewers_export(session: Session, project: Project) -> None:
    resident = make_user(session)
    photo_dir = Path("/nonexistent")
    with pytest.raises(Forbidden):
        exports.export_csv(session, project, ONLY_APPROVED, secret=SECRET, actor=resident)
    with pytest.raises(Forbidden):
        exports.export_geojson(session, project, ONLY_APPROVED, secret=SECRET, actor=None)
    with pytest.raises(Forbidden):
        exports.export_photos(session, project, ONLY_APPROVED, photo_dir=photo_dir, actor=resident)
    assert session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


def test_the_csv_streams_in_batches_with_a_fixed_number_of_queries_per_batch(
    session: Session, project: Project, officer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "BATCH_SIZE", 3)
    for number in range(7):
        submission = make_submission(session, project, answers={"pm25": number}, state=APPROVED)
        session.add(QualityFlag(submission_id=submission.id, kind=FlagKind.LIKELY_DUPLICATE))
    session.commit()
    export = exports.export_csv(session, project, ONLY_APPROVED, secret=SECRET, actor=officer)
    assert isinstance(export.chunks, Iterator)
    with counting_queries(session) as statements:
        chunks = list(export.chunks)
    # The header, then one chunk per batch of three: 3 + 3 + 1.
    assert len(chunks) == 4
    assert [chunk.count("\n") for chunk in chunks] == [1, 3, 3, 1]
    # One query for the submissions, then one for the flags and one for the photos per batch.
    assert len([s for s in statements if "appraisal_flags" in s]) == 3
    assert len([s for s in statements if "FROM appraisal_photos" in s]) == 3
    assert len(statements) <= 1 + 3 * 2 + 1  # (+ the transaction's begin on SQLite)
    rows = list(csv.DictReader(io.StringIO("".join(chunks))))
    assert [row["pm25"] for row in rows] == [str(n) for n in range(7)]
    assert {row["flags"] for row in rows} == {"likely_duplicate"}


def test_geojson_is_valid_rfc_7946_with_longitude_first(
    session: Session, project: Project, officer: User
) -> None:
    area = make_area(session, project.mission, name="Kentish Town")
    located = make_submission(
        session,
        project,
        answers={"pm25": 12.5, "site": "park", "trees": ["oak"], "change": 2},
        point=EXACT,
        state=APPROVED,
    )
    located.area_id = area.id
    nowhere = make_submission(session, project, point=None, state=APPROVED)
    session.commit()

    export = exports.export_geojson(session, project, ONLY_APPROVED, secret=SECRET, actor=officer)
    assert export.content_type == "application/geo+json"
    assert export.filename.endswith(".geojson")
    text = "".join(export.chunks)
    collection = geojson.loads(text)
    assert collection.is_valid, collection.errors()
    assert collection.errors() == []
    assert collection["type"] == "FeatureCollection"
    assert "crs" not in json.loads(text)
    first, second = collection["features"]
    assert first.is_valid and second.is_valid
    assert first["id"] == located.id
    # Longitude first, the public point, at most 6 decimals.
    assert first["geometry"]["type"] == "Point"
    assert first["geometry"]["coordinates"] == [-0.14, 51.55]
    assert second["geometry"] is None and second["id"] == nowhere.id
    properties = first["properties"]
    assert properties["pm25"] == 12.5 and properties["change"] == 2
    assert properties["trees"] == "oak"
    assert properties["area"] == "Kentish Town"
    assert properties["location_generalised"] is True
    assert second["properties"]["location_generalised"] is None
    assert "latitude" not in properties and "longitude" not in properties
    assert set(properties) == {
        "submission_id",
        "submitted_at",
        "submitter",
        "state",
        "area",
        "location_generalised",
        "pm25",
        "site",
        "note",
        "photo",
        "trees",
        "change",
        "flags",
    }
    for feature in collection["features"]:  # flat: no objects or lists inside
        assert all(not isinstance(v, dict | list) for v in feature["properties"].values())


def test_an_empty_geojson_export_is_still_valid(
    session: Session, project: Project, officer: User
) -> None:
    collection = geojson.loads(geojson_text(session, project, officer))
    assert collection.is_valid and collection["features"] == []


# --- Photos -------------------------------------------------------------------------------------


def image_bytes(kind: str = "JPEG", colour: str = "green") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, kind)
    return buffer.getvalue()


def store_photo(
    session: Session,
    submission: Submission,
    folder: Path,
    *,
    kind: str = "JPEG",
    field_name: str = "photo",
    stored_name: str | None = None,
) -> Photo:
    data = image_bytes(kind)
    digest = hashlib.sha256(data).hexdigest()
    extension = "jpg" if kind == "JPEG" else "png"
    name = stored_name or f"{digest}.{extension}"
    if stored_name is None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    photo = Photo(
        submission_id=submission.id,
        field_name=field_name,
        content_type=f"image/{kind.lower()}",
        stored_name=name,
        display_name=f"{digest}-display.{extension}",
        width=40,
        height=30,
        byte_size=len(data),
        sha256=digest,
    )
    session.add(photo)
    session.commit()
    return photo


def test_the_photos_zip_holds_the_stored_images_and_a_manifest(
    session: Session, project: Project, officer: User, tmp_path: Path
) -> None:
    folder = tmp_path / "appraisal-photos"
    first = make_submission(session, project, state=APPROVED)
    second = make_submission(session, project, state=APPROVED)
    hidden = make_submission(session, project, state=SubmissionState.RECEIVED)
    jpeg = store_photo(session, first, folder)
    png = store_photo(session, second, folder, kind="PNG")
    gone = store_photo(session, second, folder, stored_name="vanished.jpg")
    sneaky = store_photo(session, second, folder, stored_name="../../etc/passwd")
    store_photo(session, hidden, folder)

    archive = exports.export_photos(
        session, project, ONLY_APPROVED, photo_dir=folder, actor=officer
    )
    assert (archive.rows, archive.photos, archive.missing) == (2, 2, 2)
    assert archive.filename.endswith(".zip")
    with zipfile.ZipFile(archive.file) as bundle:
        names = bundle.namelist()
        jpeg_name = f"{first.id}-photo-{jpeg.id}.jpg"
        png_name = f"{second.id}-photo-{png.id}.png"
        assert sorted(names) == sorted([jpeg_name, png_name, "manifest.csv"])
        stored = bundle.read(jpeg_name)
        assert stored == (folder / jpeg.stored_name).read_bytes()
        with Image.open(io.BytesIO(stored)) as image:
            assert image.format == "JPEG"
            assert len(image.getexif()) == 0
            assert "exif" not in image.info
        with Image.open(io.BytesIO(bundle.read(png_name))) as image:
            assert image.format == "PNG"
        manifest = list(csv.DictReader(io.StringIO(bundle.read("manifest.csv").decode())))
    archive.file.close()
    assert [(m["file"], m["submission_id"], m["field"], m["status"]) for m in manifest] == [
        (jpeg_name, str(first.id), "photo", "included"),
        (png_name, str(second.id), "photo", "included"),
        (f"{second.id}-photo-{gone.id}.jpg", str(second.id), "photo", "missing"),
        (f"{second.id}-photo-{sneaky.id}.jpg", str(second.id), "photo", "missing"),
    ]
    assert manifest[0]["sha256"] == jpeg.sha256
    [entry] = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "appraisals.exported")
    ).all()
    assert entry.details == {
        "format": "photos",
        "filter": ONLY_APPROVED.details(),
        "rows": 2,
        "photos": 4,
    }


def test_the_csv_names_the_photos_as_the_zip_does(
    session: Session, project: Project, officer: User, tmp_path: Path
) -> None:
    make_field(project, "second_photo", FieldType.PHOTO)
    session.commit()
    submission = make_submission(session, project, state=APPROVED)
    one = store_photo(session, submission, tmp_path)
    two = store_photo(session, submission, tmp_path, kind="PNG")
    other = store_photo(session, submission, tmp_path, field_name="second_photo")
    [row] = csv_rows(session, project, officer)
    assert row["photo"] == f"{submission.id}-photo-{one.id}.jpg;{submission.id}-photo-{two.id}.png"
    assert row["second_photo"] == f"{submission.id}-second_photo-{other.id}.jpg"
    archive = exports.export_photos(
        session, project, ONLY_APPROVED, photo_dir=tmp_path, actor=officer
    )
    with zipfile.ZipFile(archive.file) as bundle:
        zipped = set(bundle.namelist())
    archive.file.close()
    named: set[Any] = {*row["photo"].split(";"), row["second_photo"], "manifest.csv"}
    assert zipped == named
