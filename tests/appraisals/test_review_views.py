"""The review pages, the public map, its JSON and the list view, and the exports, through the
test client: who may use each, what they show, the errors beside fields, and odd input."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geojson  # type: ignore[import-untyped]  # no types published
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.appraisals.models import (
    FlagKind,
    Project,
    QualityFlag,
    Review,
    Status,
    Submission,
    SubmissionState,
)
from engage.audit import AuditEntry
from tests.conftest import AuthActions
from tests.factories import (
    make_area,
    make_photo,
    make_science_project,
    make_submission,
    make_user,
)
from tests.missions.test_views import field_error, field_value, page_text, sign_in

RECEIVED = SubmissionState.RECEIVED
APPROVED = SubmissionState.APPROVED
EXACT = (51.551234, -0.142345)


@pytest.fixture
def project(session: Session) -> Project:
    return make_science_project(session, title="Air quality on our streets")


def url(project: Project, *rest: object) -> str:
    return "/".join([f"/science/{project.slug}", *(str(part) for part in rest)])


def reload(session: Session, submission: Submission) -> Submission:
    session.rollback()  # see what the requests committed
    return session.get_one(Submission, submission.id)


def audit_actions(session: Session) -> list[str]:
    session.rollback()
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


# --- Who may use what ---------------------------------------------------------------------------


def test_residents_and_visitors_cannot_review_or_export(
    client: FlaskClient, auth: AuthActions, session: Session, project: Project, resident: User
) -> None:
    submission = make_submission(session, project)
    pages = [url(project, "review"), url(project, "review", submission.id), url(project, "export")]
    posts = {
        url(project, "review", submission.id): {"to_state": "approved"},
        url(project, "review", "bulk"): {"to_state": "approved", "ids": str(submission.id)},
        url(project, "export"): {"format": "csv", "state": "all"},
    }
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    for page, data in posts.items():
        assert client.post(page, data=data).status_code == 302
    sign_in(auth, resident)
    for page in pages:
        assert client.get(page).status_code == 403
    for page, data in posts.items():
        assert client.post(page, data=data).status_code == 403
    assert reload(session, submission).state is RECEIVED
    assert audit_actions(session) == []


def test_officers_and_evaluators_review(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    project: Project,
    officer: User,
    evaluator: User,
) -> None:
    submission = make_submission(session, project)
    for person in (officer, evaluator):
        sign_in(auth, person)
        assert client.get(url(project, "review")).status_code == 200
        assert client.get(url(project, "review", submission.id)).status_code == 200
        assert client.get(url(project, "export")).status_code == 200
        auth.sign_out()


def test_the_public_pages_are_public_but_drafts_are_not(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User
) -> None:
    project = make_science_project(session)
    draft = make_science_project(session, status=Status.DRAFT)
    for page in ("map", "map.json", "observations"):
        assert client.get(url(project, page)).status_code == 200
        assert client.get(url(draft, page)).status_code == 404
    assert client.get(url(draft, "map.json")).json == {
        "error": "There is no citizen-science project at this address."
    }
    assert client.get("/science/no-such-project/map").status_code == 404
    sign_in(auth, officer)
    assert client.get(url(draft, "map")).status_code == 200


# --- The queue ----------------------------------------------------------------------------------


def test_the_queue_shows_received_submissions_first_and_filters(
    client: FlaskClient, auth: AuthActions, session: Session, project: Project, officer: User
) -> None:
    area = make_area(session, project.mission, name="Kentish Town")
    waiting = make_submission(session, project, answers={"pm25": 31.5})
    approved = make_submission(session, project, answers={"pm25": 7.0}, state=APPROVED)
    flagged = make_submission(session, project, answers={"pm25": 170.0})
    flagged.area_id = area.id
    session.add(
        QualityFlag(submission_id=flagged.id, kind=FlagKind.OUT_OF_RANGE, field_name="pm25")
    )
    session.commit()
    sign_in(auth, officer)

    page = page_text(client.get(url(project, "review")))
    assert "2 submissions match this filter." in page
    assert f"#{waiting.id}" in page and f"#{flagged.id}" in page
    assert f"#{approved.id}<" not in page
    assert "PM2.5 reading: 31.5 µg/m³" in page
    assert "Out of the expected range" in page
    assert "Kentish Town" in page

    everything = page_text(client.get(url(project, "review") + "?state=all"))
    assert "3 submissions match this filter." in everything
    flagged_only = page_text(client.get(url(project, "review") + "?state=all&flagged=y"))
    assert "1 submission matches this filter." in flagged_only
    in_area = page_text(client.get(url(project, "review") + f"?state=all&area={area.id}"))
    assert "1 submission matches this filter." in in_area
    # The export link keeps the filter.
    assert f"/export?state=all&amp;area={area.id}" in client.get(
        url(project, "review") + f"?state=all&area={area.id}"
    ).get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        "?state=bogus",
        "?submitted_from=yesterday",
        "?submitted_from=2026-13-45",
        "?submitted_to=99999-01-01",
        "?area=abc",
        "?area=99999999999999999999",
        "?area=-1",
        "?page=-5",
        "?page=abc",
        "?page=99999999999999999999",
        "?flagged=%00",
        "?state=%00",
        "?submitted_from=2026-05-02&submitted_to=2026-05-01",
        "?submitted_to=9999-12-31",
    ],
)
def test_odd_queue_filters_are_errors_beside_fields_never_a_server_error(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    project: Project,
    officer: User,
    query: str,
) -> None:
    make_submission(session, project)
    sign_in(auth, officer)
    response = client.get(url(project, "review") + query)
    assert response.status_code == 200


def test_a_bad_filter_part_is_shown_beside_its_field_and_left_out(
    client: FlaskClient, auth: AuthActions, session: Session, project: Project, officer: User
) -> None:
    make_submission(session, project)
    sign_in(auth, officer)
    page = page_text(client.get(url(project, "review") + "?state=all&submitted_from=soon"))
    assert field_error(page, "submitted_from") == "Not a valid date value."
    assert field_value(page, "submitted_from") == "soon"
    assert "1 submission matches this filter." in page
    backwards = page_text(
        client.get(url(project, "review") + "?submitted_from=2026-05-02&submitted_to=2026-05-01")
    )
    assert field_error(backwards, "submitted_to") == "Give a date on or after the first date."


# --- One submission -----------------------------------------------------------------------------


def test_the_review_page_shows_answers_points_photos_flags_and_history(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    app: Flask,
    project: Project,
    officer: User,
    evaluator: User,
) -> None:
    submission = make_submission(
        session, project, answers={"pm25": 180.5, "site": "road"}, point=EXACT
    )
    earlier = make_submission(session, project)
    session.add_all(
        [
            QualityFlag(submission_id=submission.id, kind=FlagKind.OUT_OF_RANGE, field_name="pm25"),
            QualityFlag(
                submission_id=submission.id,
                kind=FlagKind.LIKELY_DUPLICATE,
                other_submission_id=earlier.id,
            ),
        ]
    )
    session.add(
        Review(
            submission_id=submission.id,
            reviewer_id=evaluator.id,
            from_state=RECEIVED,
            to_state=SubmissionState.HAS_ISSUES,
            comment="Which school was it?",
            created_at=datetime(2026, 5, 4, 10, tzinfo=UTC),
        )
    )
    session.add(
        Review(
            submission_id=submission.id,
            reviewer_id=submission.author_id,
            from_state=SubmissionState.HAS_ISSUES,
            to_state=RECEIVED,
            comment="It was outside St Dominic's.",
            created_at=datetime(2026, 5, 5, 10, tzinfo=UTC),
        )
    )
    session.commit()
    photo = make_photo(session, submission, Path(app.instance_path) / "appraisal-photos")
    sign_in(auth, officer)

    page = page_text(client.get(url(project, "review", submission.id)))
    assert "PM2.5 reading" in page and "180.5 µg/m³" in page
    assert "By a main road" in page
    assert "Not answered" in page  # the note
    assert "51.551234, -0.142345" in page  # the exact point, for reviewers
    assert "51.550000, -0.140000" in page and "generalised to about 500 m" in page
    assert f"/science/photos/{photo.id}/display" in page
    assert "outside the range expected for it (0 to 150 µg/m³)" in page
    assert "duplicate of an earlier submission" in page
    assert url(project, "review", earlier.id) in page
    history = page[page.index("History") :]
    assert history.index("Which school was it?") < history.index("Corrected by the submitter.")
    assert "It was outside St Dominic" in history
    assert "Person" in history  # the evaluator's display name
    assert "the submitter" in history


def test_approving_from_the_review_page(
    client: FlaskClient, auth: AuthActions, session: Session, project: Project, officer: User
) -> None:
    submission = make_submission(session, project)
    sign_in(auth, officer)
    response = client.post(
        url(project, "review", submission.id), data={"to_state": "approved", "comment": ""}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(url(project, "review", submission.id))
    assert reload(session, submission).state is APPROVED
    page = page_text(client.get(response.headers["Location"]))
    assert "Saved: the submission is now “Approved”." in page
    assert audit_actions(session) == ["appraisals.submission_reviewed"]


def test_a_rejection_needs_a_comment_shown_beside_it(
    client: FlaskClient, auth: AuthActions, session: Session, project: Project, officer: User
) -> None:
    submission = make_submission(session, project)
    sign_in(auth, officer)
    target = url(project, "review", submission.id)
    response = client.post(target, data={"to_state": "rejected", "comment": "   "})
    assert response.status_code == 400
    page = page_text(response)
    assert "the submitter needs to know" in field_error(page, "comment")
    assert re.search(r'<input[^>]*checked[^>]*value="rejected"', page)
    assert reload(session, submission).state is RECEIVED

    same = client.post(target, data={"to_state": "received", "comment": "x"})
    assert same.status_code == 400
    assert field_error(page_text(same), "to_state") == "Choose one of these decisions."
    nothing = client.post(target, data={"comment": "Kept"})
    assert nothing.status_code == 400
    assert field_value(page_text(nothing), "comment") == "Kept"
    assert client.post(target, data={"to_state": "approved"}).status_code == 302
    again = client.post(target, data={"to_state": "approved"})
    assert again.status_code == 400
    assert "already has this state" in field_error(page_text(again), "to_state")


def test_unknown_or_foreign_submissions_are_not_found(
    client: FlaskClient, auth: AuthActions, session: Session, project: Project, officer: User
) -> None:
    elsewhere = make_submission(session, make_science_project(session))
    sign_in(auth, officer)
    assert client.get(url(project, "review", elsewhere.id)).status_code == 404
    assert (
        client.post(url(project, "review", elsewhere.id), data={"to_state": "approved"}).status_code
        == 404
    )
    assert client.get(url(project, "review", 99999999999)).status_code == 404
    assert client.get(url(project, "review", "abc")).status_code == 404
    assert reload(session, elsewhere).state is RECEIVED


# --- Bulk review --------------------------------------------------------------------------------


def test_bulk_review_of_the_checked_submissions(
    client: FlaskClient, auth: AuthActions, session: Session, project: Project, officer: User
) -> None:
    first, second, third = (make_submission(session, project) for _ in range(3))
    sign_in(auth, officer)
    response = client.post(
        url(project, "review", "bulk"),
        data={
            "to_state": "approved",
            "comment": "",
            "scope": "checked",
            "ids": [str(first.id), str(third.id), "junk", "-4"],
            "state": "received",
        },
    )
    assert response.status_code == 302
    assert "state=received" in response.headers["Location"]
    assert [reload(session, s).state for s in (first, second, third)] == [
        APPROVED,
        RECEIVED,
        APPROVED,
    ]
    assert "2 submissions are now “Approved”." in page_text(
        client.get(response.headers["Location"])
    )


def test_bulk_review_of_everything_matching_the_filter(
    client: FlaskClient, auth: AuthActions, session: Session, project: Project, officer: User
) -> None:
    area = make_area(session, project.mission)
    inside = [make_submission(session, project) for _ in range(2)]
    outside = make_submission(session, project)
    for submission in inside:
        submission.area_id = area.id
    session.commit()
    sign_in(auth, officer)
    queue = page_text(client.get(url(project, "review") + f"?area={area.id}"))
    assert "Apply to all 2 submissions matching this filter" in queue
    assert 'name="matching" value="2"' in queue
    data = {
        "to_state": "has_issues",
        "comment": "Please add the time of day.",
        "scope": "all",
        "matching": "2",
        "state": "received",
        "area": str(area.id),
    }
    response = client.post(url(project, "review", "bulk"), data=data)
    assert response.status_code == 302
    assert [reload(session, s).state for s in (*inside, outside)] == [
        SubmissionState.HAS_ISSUES,
        SubmissionState.HAS_ISSUES,
        RECEIVED,
    ]
    session.rollback()
    comments = session.scalars(sa.select(Review.comment)).all()
    assert comments == ["Please add the time of day."] * 2
    entry = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "appraisals.submissions_bulk_reviewed")
    ).one()
    assert entry.details["changed"] == 2 and entry.details["filter"]["area_id"] == area.id


def test_bulk_review_errors_come_back_beside_the_fields(
    client: FlaskClient, auth: AuthActions, session: Session, project: Project, officer: User
) -> None:
    submission = make_submission(session, project)
    sign_in(auth, officer)
    target = url(project, "review", "bulk")
    no_comment = client.post(
        target,
        data={"to_state": "rejected", "scope": "checked", "ids": str(submission.id)},
    )
    assert no_comment.status_code == 400
    page = page_text(no_comment)
    assert "the submitter needs to know" in field_error(page, "comment")
    assert f'value="{submission.id}" id="check-{submission.id}" checked' in page  # still checked

    nothing_checked = client.post(target, data={"to_state": "approved", "scope": "checked"})
    assert nothing_checked.status_code == 400
    assert "Check at least one submission" in page_text(nothing_checked)

    changed_since = client.post(
        target, data={"to_state": "approved", "scope": "all", "matching": "5", "state": "all"}
    )
    assert changed_since.status_code == 400
    assert "The list changed since you looked at it: 1 submissions match now." in page_text(
        changed_since
    )
    bad_filter = client.post(
        target,
        data={"to_state": "approved", "scope": "all", "matching": "1", "submitted_from": "x"},
    )
    assert bad_filter.status_code == 400
    assert "The filter has a problem" in page_text(bad_filter)
    for odd in (
        {"to_state": "approved", "scope": "everything"},
        {"to_state": "received", "scope": "checked", "ids": str(submission.id)},
        {"to_state": "approved", "scope": "all", "matching": "abc"},
        {"to_state": "approved", "scope": "all", "matching": "99999999999999"},
    ):
        assert client.post(target, data=odd).status_code == 400
    assert reload(session, submission).state is RECEIVED


# --- The map, its data and the list -------------------------------------------------------------


def test_the_map_page_loads_leaflet_and_points_to_the_list(
    client: FlaskClient, project: Project
) -> None:
    response = client.get(url(project, "map"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "/static/vendor/leaflet/leaflet.js" in page
    assert "/static/js/submissions-map.js" in page
    assert "/static/vendor/leaflet/leaflet.css" in page
    assert f'data-points-url="{url(project, "map.json")}"' in page
    assert 'data-tile-url=""' in page  # no tile server in the tests: a plain background
    assert f'href="{url(project, "observations")}"' in page
    assert 'href="#after-map"' in page and 'id="after-map"' in page  # skip the map
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "no inline scripts"
    assert " style=" not in page


def test_map_json_gives_public_points_of_approved_submissions_only(
    client: FlaskClient, session: Session, project: Project
) -> None:
    author = make_user(session, display_name="Secret Person", email="secret@example.org")
    approved = [
        make_submission(session, project, author, point=EXACT, state=APPROVED) for _ in range(3)
    ]
    make_submission(session, project, author, point=EXACT, state=RECEIVED)
    make_submission(session, project, author, point=EXACT, state=SubmissionState.REJECTED)

    response = client.get(url(project, "map.json"))
    assert response.status_code == 200 and response.mimetype == "application/json"
    text = response.get_data(as_text=True)
    for secret in ("51.551234", "-0.142345", "Secret", "secret@example.org", "author"):
        assert secret not in text
    body = json.loads(text)
    assert [point["id"] for point in body["points"]] == [s.id for s in approved]
    assert body["next_after"] is None
    assert set(body["points"][0]) == {"id", "lat", "lon", "date", "area", "generalised", "label"}
    assert body["points"][0]["lat"] == pytest.approx(51.55)

    first = client.get(url(project, "map.json") + "?limit=2").json
    assert first is not None
    assert [point["id"] for point in first["points"]] == [s.id for s in approved[:2]]
    assert first["next_after"] == approved[1].id
    rest = client.get(url(project, "map.json") + f"?after={first['next_after']}&limit=2").json
    assert rest is not None
    assert [point["id"] for point in rest["points"]] == [approved[2].id]
    assert rest["next_after"] is None


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?after=abc", 400),
        ("?limit=lots", 400),
        ("?after=1.5", 400),
        ("?after=1e99", 400),
        ("?after=99999999999999999999999", 400),
        ("?after=%00", 400),
        ("?after=--1", 400),
        ("?after=%C2%B2", 400),  # a superscript two: a digit to str.isdigit, not to int
        ("?after=-1", 200),
        ("?after=9999999999", 200),
        ("?limit=0", 200),
        ("?limit=-3", 200),
        ("?limit=100000", 200),
        ("?after=&limit=", 200),
        ("?after=1&after=2", 200),
    ],
)
def test_odd_map_json_queries_are_json_answers_never_a_server_error(
    client: FlaskClient, session: Session, project: Project, query: str, status: int
) -> None:
    make_submission(session, project, state=APPROVED)
    response = client.get(url(project, "map.json") + query)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.json
    assert body is not None
    assert ("error" in body) == (status == 400)


def test_the_list_view_shows_what_the_map_shows(
    client: FlaskClient, session: Session, app: Flask, project: Project
) -> None:
    area = make_area(session, project.mission, name="Gospel Oak")
    author = make_user(session, display_name="Secret Person")
    generalised = make_submission(
        session,
        project,
        author,
        answers={"pm25": 22.5, "site": "park", "note": "Smoky <b>bonfire</b>"},
        point=EXACT,
        state=APPROVED,
        submitted_at=datetime(2026, 5, 3, tzinfo=UTC),
    )
    generalised.area_id = area.id
    exact = make_submission(
        session, project, point=EXACT, state=APPROVED, share_exact=True,
        submitted_at=datetime(2026, 5, 4, tzinfo=UTC),
    )  # fmt: skip
    exact.public_latitude, exact.public_longitude = EXACT
    session.commit()
    make_submission(session, project, answers={"pm25": 999.0}, state=RECEIVED)
    photo = make_photo(session, generalised, Path(app.instance_path) / "appraisal-photos")

    response = client.get(url(project, "observations"))
    raw = response.get_data(as_text=True)
    page = page_text(response)
    assert "2 approved observations." in page
    assert "22.5 µg/m³" in page and "In a park" in page and "Gospel Oak" in page
    assert "Smoky <b>bonfire</b>" in page and "<b>bonfire" not in raw  # escaped
    assert "location shown to ~500 m" in page and "exact location" in page
    assert "51.5500, -0.1400" in page
    assert "999" not in page and "Secret Person" not in page
    assert f"/science/photos/{photo.id}/display" in page
    assert page.index(f'id="observation-{exact.id}"') < page.index(
        f'id="observation-{generalised.id}"'
    )
    only_area = page_text(client.get(url(project, "observations") + f"?area={area.id}"))
    assert "1 approved observation." in only_area
    # Every column has a header: date, area, the three answers, location, photos.
    assert raw.count('<th scope="col">') == 7


def test_a_map_popup_link_opens_the_page_with_the_observation(
    client: FlaskClient, session: Session, project: Project
) -> None:
    sent = [make_submission(session, project, state=APPROVED) for _ in range(30)]
    oldest = sent[0]
    page = page_text(client.get(url(project, "observations") + f"?observation={oldest.id}"))
    assert f'id="observation-{oldest.id}"' in page
    assert "Page 2 of 2" in page


@pytest.mark.parametrize(
    "query",
    ["?area=abc", "?area=-1", "?area=99999999999999", "?page=-1", "?page=zz",
     "?observation=abc", "?observation=99999999999999", "?observation=-3", "?area=%00"],
)  # fmt: skip
def test_odd_list_queries_never_fail(
    client: FlaskClient, session: Session, project: Project, query: str
) -> None:
    make_submission(session, project, state=APPROVED)
    response = client.get(url(project, "observations") + query)
    assert response.status_code == 200
    assert "1 approved observation." in page_text(response)


# --- Exports ------------------------------------------------------------------------------------


def test_the_export_page_offers_approved_by_default(
    client: FlaskClient, auth: AuthActions, session: Session, project: Project, officer: User
) -> None:
    sign_in(auth, officer)
    page = page_text(client.get(url(project, "export")))
    assert '<option selected value="approved">' in page
    assert re.search(r'<input[^>]*checked[^>]*value="csv"', page)
    from_queue = page_text(client.get(url(project, "export") + "?state=all&flagged=y"))
    assert '<option selected value="all">' in from_queue


def test_exporting_csv_streams_a_tidy_file_and_is_audited(
    client: FlaskClient, auth: AuthActions, session: Session, project: Project, officer: User
) -> None:
    make_submission(session, project, answers={"pm25": 12.5, "note": "=1+1"}, state=APPROVED)
    make_submission(session, project, state=RECEIVED)
    sign_in(auth, officer)
    response = client.post(url(project, "export"), data={"format": "csv", "state": "approved"})
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1
    assert rows[0]["note"] == "'=1+1"
    assert rows[0]["pm25"] == "12.5"
    # The export's own read transaction ended with the file: others can write again.
    session.rollback()
    entry = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "appraisals.exported")
    ).one()
    assert entry.actor_id == officer.id
    assert entry.details["format"] == "csv" and entry.details["rows"] == 1


def test_exporting_geojson(
    client: FlaskClient, auth: AuthActions, session: Session, project: Project, evaluator: User
) -> None:
    make_submission(session, project, point=EXACT, state=APPROVED)
    sign_in(auth, evaluator)
    response = client.post(url(project, "export"), data={"format": "geojson", "state": "approved"})
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    collection = geojson.loads(response.get_data(as_text=True))
    assert collection.is_valid, collection.errors()
    [feature] = collection["features"]
    longitude, latitude = feature["geometry"]["coordinates"]
    assert (longitude, latitude) == (pytest.approx(-0.14), pytest.approx(51.55))


def test_exporting_photos(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    app: Flask,
    project: Project,
    officer: User,
) -> None:
    submission = make_submission(session, project, state=APPROVED)
    photo = make_photo(session, submission, Path(app.instance_path) / "appraisal-photos")
    sign_in(auth, officer)
    response = client.post(url(project, "export"), data={"format": "photos", "state": "approved"})
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as bundle:
        assert sorted(bundle.namelist()) == sorted(
            ["manifest.csv", f"{submission.id}-photo-{photo.id}.jpg"]
        )
    response.close()


@pytest.mark.parametrize(
    "data",
    [
        {"format": "pdf", "state": "approved"},
        {"state": "approved"},
        {"format": "csv", "state": "bogus"},
        {"format": "csv", "submitted_from": "tomorrow"},
        {"format": "csv", "area": "abc"},
        {"format": "csv", "area": "123456"},
        {"format": "csv", "submitted_from": "2026-05-02", "submitted_to": "2026-05-01"},
    ],
)
def test_a_bad_export_request_comes_back_with_errors(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    project: Project,
    officer: User,
    data: dict[str, Any],
) -> None:
    sign_in(auth, officer)
    response = client.post(url(project, "export"), data=data)
    assert response.status_code == 400
    assert 'class="error-message"' in response.get_data(as_text=True)
    assert audit_actions(session) == []
