"""Residents' submission pages through the test client: the form rendered from the project's
fields, errors beside the fields with what was typed kept, sending once, photos and who may see
them, one's own submissions, and correcting a submission a reviewer sent back."""

from __future__ import annotations

import http.cookiejar
import io
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from engage.accounts.models import User
from engage.appraisals.models import (
    FieldType,
    FlagKind,
    Photo,
    Project,
    QualityFlag,
    Review,
    Status,
    Submission,
    SubmissionState,
)
from engage.missions.models import MissionStatus
from tests.appraisals.test_photos import encoded, jpeg_with_gps
from tests.conftest import AuthActions
from tests.factories import (
    DEFAULT_PASSWORD,
    make_field,
    make_mission,
    make_photo,
    make_science_project,
    make_submission,
    make_user,
)
from tests.missions.test_views import field_error, field_value, page_text, sign_in


@pytest.fixture
def project(session: Session) -> Project:
    return make_science_project(session)


def form_url(project: Project) -> str:
    return f"/science/{project.slug}/submit"


def hidden_client_id(page: str) -> str:
    found = re.search(r'<input[^>]*name="client-id"[^>]*>', page)
    assert found, "the form carries its client id"
    value = re.search(r'value="([^"]*)"', found.group(0))
    assert value
    return value.group(1)


def answers(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "client-id": str(uuid.uuid4()),
        "pm25": "12.5",
        "site": "school",
        "note": "",
        "location-latitude": "51.555012",
        "location-longitude": "-0.142034",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def rows(session: Session, model: Any) -> list[Any]:
    session.rollback()
    return list(session.scalars(sa.select(model).order_by(model.id)))


def photo_dir(app: Flask) -> Path:
    return Path(app.instance_path) / "appraisal-photos"


# --- The form ---------------------------------------------------------------------------------


def test_signing_in_comes_first(client: FlaskClient, project: Project) -> None:
    response = client.get(form_url(project))

    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_the_form_shows_the_protocol_every_question_and_a_map_with_coordinate_boxes(
    client: FlaskClient, auth: AuthActions, resident: User, project: Project
) -> None:
    sign_in(auth, resident)

    response = client.get(form_url(project))

    assert response.status_code == 200
    page = page_text(response)
    assert "Hold the sensor at head height for two minutes" in page
    assert 'enctype="multipart/form-data"' in page
    uuid.UUID(hidden_client_id(page))  # a fresh id, made when the form is shown
    assert hidden_client_id(page_text(client.get(form_url(project)))) != hidden_client_id(page)
    for label in (
        "PM2.5 reading (µg/m³)",
        "From 0 µg/m³ to 1000 µg/m³.",
        "Outside a school",
        "Anything else we should know? (optional)",
        "Latitude",
        "Longitude",
        "Show my exact location to the public",
        "about 500 m",
        "A photo of the site (optional)",
    ):
        assert label in page, label
    assert re.search(r'<label for="pm25">', page)
    assert re.search(
        r'<input[^>]*name="photo"[^>]*type="file"|<input[^>]*type="file"[^>]*name="photo"', page
    )
    map_box = re.search(r'<div id="location-map"[^>]*>', page)
    assert map_box and 'data-tile-url=""' in map_box.group(0)  # the tests' config: no tiles
    exact = re.search(r'<input[^>]*name="location-exact"[^>]*>', page)
    assert exact and "checked" not in exact.group(0)
    assert "/static/js/location-picker.js" in page
    assert "/static/js/conditional-fields.js" in page
    assert "<script>" not in page  # no inline script: the CSP forbids it


def test_a_conditional_question_says_when_to_answer_it(
    client: FlaskClient, auth: AuthActions, resident: User, session: Session
) -> None:
    project = make_science_project(session)
    make_field(
        project,
        "lorries",
        FieldType.INTEGER,
        label="Lorries per minute",
        condition_field="site",
        condition_value="road",
    )
    session.commit()
    sign_in(auth, resident)

    page = page_text(client.get(form_url(project)))

    assert 'data-condition-field="site" data-condition-value="road"' in page
    assert "Answer only if your answer to “Where were you?” is “By a main road”." in page


def test_a_closed_project_refuses_and_a_draft_is_not_found_by_residents(
    client: FlaskClient, auth: AuthActions, resident: User, session: Session
) -> None:
    closed = make_science_project(session, status=Status.CLOSED)
    draft = make_science_project(session, status=Status.DRAFT)
    sign_in(auth, resident)

    assert client.get(form_url(closed)).status_code == 409
    assert client.post(form_url(closed), data=answers()).status_code == 409
    assert client.get(form_url(draft)).status_code == 404
    assert client.post(form_url(draft), data=answers()).status_code == 404
    assert client.get("/science/no-such-project/submit").status_code == 404
    assert rows(session, Submission) == []


def test_staff_preview_a_draft_form_but_cannot_send_it(
    client: FlaskClient, auth: AuthActions, officer: User, session: Session
) -> None:
    draft = make_science_project(session, status=Status.DRAFT)
    in_draft_mission = make_science_project(
        session, make_mission(session, status=MissionStatus.DRAFT)
    )
    sign_in(auth, officer)

    for project in (draft, in_draft_mission):
        page = page_text(client.get(form_url(project)))
        assert "Preview: this project is not open to residents yet" in page
        assert "Send the observation" not in page
        response = client.post(form_url(project), data=answers())
        assert response.status_code == 200
        assert "This project is not taking observations at the moment." in page_text(response)
    assert rows(session, Submission) == []


# --- Sending ----------------------------------------------------------------------------------


def test_a_resident_sends_an_observation_and_sees_it(
    client: FlaskClient, auth: AuthActions, resident: User, project: Project, session: Session
) -> None:
    sign_in(auth, resident)

    response = client.post(form_url(project), data=answers(pm25="12,5", site="road"))

    [submission] = rows(session, Submission)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/science/submissions/{submission.id}")
    assert submission.answers == {"pm25": 12.5, "site": "road"}
    assert submission.author_id == resident.id
    page = page_text(client.get(response.headers["Location"]))
    assert "Thank you: your observation is stored." in page
    assert "12.5 µg/m³" in page
    assert "By a main road" in page
    assert "51.555012, -0.142034" in page
    assert "moved to the middle of its square of about 500 m" in page
    assert "Received: waiting for review" in page
    assert "Quality flags" not in page


@pytest.mark.parametrize(
    ("changes", "field_id", "message", "kept"),
    [
        ({"pm25": ""}, "pm25", "Answer this question.", {"site": None, "note": "Windy"}),
        ({"pm25": "twelve"}, "pm25", "Enter a number, like 12.5.", {"pm25": "twelve"}),
        (
            {"pm25": "1001"},
            "pm25",
            "Enter a value from 0 µg/m³ to 1000 µg/m³.",
            {"pm25": "1001", "note": "Windy"},
        ),
        ({"pm25": "nan"}, "pm25", "Enter a number, like 12.5.", {"pm25": "nan"}),
        ({"site": "moon"}, "site", "Choose one of the answers given.", {"pm25": "12.5"}),
        (
            {"location-latitude": "", "location-longitude": ""},
            "location-latitude",
            "Give the location: click on the map, or type its latitude and longitude.",
            {"pm25": "12.5"},
        ),
        (
            {"location-latitude": "91"},
            "location-latitude",
            "A latitude lies between -90 and 90 degrees.",
            {"location-latitude": "91", "location-longitude": "-0.142034"},
        ),
        (
            {"location-longitude": "west"},
            "location-longitude",
            "Enter the longitude in decimal degrees",
            {"location-longitude": "west"},
        ),
        (
            {"note": "x" * 10_001},
            "note",
            "Keep it to 10000 characters or fewer (this has 10001).",
            {"pm25": "12.5"},
        ),
        ({"note": "a\x00b"}, "note", "Remove the invisible control character", {"pm25": "12.5"}),
    ],
)
def test_a_refused_observation_comes_back_with_the_error_beside_the_field(
    client: FlaskClient,
    auth: AuthActions,
    resident: User,
    project: Project,
    session: Session,
    changes: dict[str, str],
    field_id: str,
    message: str,
    kept: dict[str, str | None],
) -> None:
    sign_in(auth, resident)
    data = answers(note="Windy")
    data.update(changes)

    response = client.post(form_url(project), data=data)

    assert response.status_code == 200
    page = page_text(response)
    assert message in field_error(response.get_data(as_text=True), field_id)
    assert "There is a problem" in page
    for name, value in kept.items():
        if value is not None:
            assert field_value(response.get_data(as_text=True), name) == value, name
    assert hidden_client_id(page) == data["client-id"]
    assert rows(session, Submission) == []


def test_a_kept_choice_stays_chosen(
    client: FlaskClient, auth: AuthActions, resident: User, project: Project
) -> None:
    sign_in(auth, resident)

    page = client.post(form_url(project), data=answers(pm25="", site="park")).get_data(as_text=True)

    park = re.search(r'<input[^>]*value="park"[^>]*>', page)
    assert park and "checked" in park.group(0)
    exact = re.search(r'<input[^>]*name="location-exact"[^>]*>', page)
    assert exact and "checked" not in exact.group(0)


def test_sending_the_same_form_twice_stores_it_once(
    client: FlaskClient, auth: AuthActions, resident: User, project: Project, session: Session
) -> None:
    sign_in(auth, resident)
    data = answers()

    first = client.post(form_url(project), data=data)
    second = client.post(form_url(project), data={**data, "pm25": "80"})

    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    [submission] = rows(session, Submission)
    assert submission.answers["pm25"] == 12.5
    assert "We had already received this observation" in page_text(
        client.get(second.headers["Location"])
    )


def test_a_made_up_client_id_is_refused_not_a_server_error(
    client: FlaskClient, auth: AuthActions, resident: User, project: Project, session: Session
) -> None:
    sign_in(auth, resident)

    for made_up in ("", "'; DROP TABLE", "x" * 10_000):
        response = client.post(form_url(project), data=answers(**{"client-id": made_up}))
        assert response.status_code == 200
        assert "Reload the page and fill it in again." in page_text(response)
    assert rows(session, Submission) == []


def test_a_photo_is_stored_without_its_metadata_and_shown(
    app: Flask,
    client: FlaskClient,
    auth: AuthActions,
    resident: User,
    project: Project,
    session: Session,
) -> None:
    sign_in(auth, resident)
    data = answers()
    data["photo"] = (io.BytesIO(jpeg_with_gps((800, 600))), "IMG_0001.jpg", "image/jpeg")

    response = client.post(form_url(project), data=data, content_type="multipart/form-data")

    assert response.status_code == 302
    [photo] = rows(session, Photo)
    stored = (photo_dir(app) / photo.stored_name).read_bytes()
    assert b"Exif" not in stored and b"GPS" not in stored
    page = page_text(client.get(response.headers["Location"]))
    assert f"/science/photos/{photo.id}/display" in page
    assert f"/science/photos/{photo.id}/full" in page
    picture = client.get(f"/science/photos/{photo.id}/full")
    assert picture.status_code == 200
    assert picture.mimetype == "image/jpeg"
    assert picture.get_data() == stored
    assert "private" in picture.headers["Cache-Control"]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ((encoded("GIF"), "photo.jpg", "image/jpeg"), "This image is a GIF."),
        ((b"hello", "photo.png", "image/png"), "This file is not a photo."),
        ((b"\xff\xd8" + b"\0" * (10 * 1024 * 1024), "big.jpg", "image/jpeg"), "larger than 10 MB"),
    ],
    ids=["gif-named-jpeg", "text", "too-large"],
)
def test_a_bad_photo_is_refused_beside_its_field(
    client: FlaskClient,
    auth: AuthActions,
    resident: User,
    project: Project,
    session: Session,
    upload: tuple[bytes, str, str],
    message: str,
) -> None:
    sign_in(auth, resident)
    data = answers(pm25="2000")
    data["photo"] = (io.BytesIO(upload[0]), upload[1], upload[2])

    response = client.post(form_url(project), data=data, content_type="multipart/form-data")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in field_error(page, "photo")
    assert "Enter a value from 0 µg/m³ to 1000 µg/m³." in field_error(page, "pm25")  # all at once
    assert "choose the photo again" in page
    assert rows(session, Submission) == []


def test_huge_or_odd_input_never_makes_a_server_error(
    client: FlaskClient, auth: AuthActions, resident: User, project: Project
) -> None:
    sign_in(auth, resident)

    for changes in (
        {"pm25": "9" * 5000},
        {"pm25": "1e308"},
        {"location-latitude": "Infinity", "location-longitude": "-nan"},
        {"site": ["school", "road"]},
        {"note": "\u202e reversed \ufeff"},
        {"pm25": "１２"},  # full-width digits
    ):
        response = client.post(form_url(project), data=answers(**changes))
        assert response.status_code in (302, 200), changes


# --- Two at once ------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.fixture
def threaded_server(make_app: Callable[..., Flask]) -> Iterator[str]:
    app = make_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _post(opener: urllib.request.OpenerDirector, url: str, data: dict[str, str]) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode()
    try:
        with opener.open(url, data=body, timeout=60) as response:
            return response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as answer:  # the redirect, not followed
        return answer.code, answer.headers.get("Location", "")


def test_the_same_form_sent_at_the_same_moment_is_stored_once(
    threaded_server: str, session: Session, resident: User, project: Project
) -> None:
    tries = 6
    data = answers()
    email, url = resident.email, f"{threaded_server}{form_url(project)}"
    session.rollback()  # hold no lock while the server works
    # One person double-clicking (or in several tabs): one browser's cookies, several requests.
    cookies = http.cookiejar.CookieJar()
    openers = [
        urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies), _NoRedirects())
        for _ in range(tries)
    ]
    status, _where = _post(
        openers[0], f"{threaded_server}/sign-in", {"email": email, "password": DEFAULT_PASSWORD}
    )
    assert status == 302
    barrier = threading.Barrier(tries)

    def send(opener: urllib.request.OpenerDirector) -> tuple[int, str]:
        barrier.wait(timeout=30)
        return _post(opener, url, data)

    with ThreadPoolExecutor(max_workers=tries) as pool:
        results = list(pool.map(send, openers))

    [submission] = rows(session, Submission)
    assert {status for status, _where in results} == {302}
    assert {urllib.parse.urlsplit(where).path for _status, where in results} == {
        f"/science/submissions/{submission.id}"
    }


# --- Reading one's own ------------------------------------------------------------------------


def test_a_submission_page_is_for_its_author_and_reviewers(
    client: FlaskClient, auth: AuthActions, resident: User, officer: User, session: Session
) -> None:
    project = make_science_project(session)
    submission = make_submission(session, project, resident, answers={"pm25": 400.0})
    session.add(
        QualityFlag(submission_id=submission.id, kind=FlagKind.OUT_OF_RANGE, field_name="pm25")
    )
    session.commit()
    url = f"/science/submissions/{submission.id}"

    assert client.get(url).status_code == 302  # sign in first
    sign_in(auth, make_user(session, email="nosy@example.org"))
    assert client.get(url).status_code == 404
    auth.sign_out()

    sign_in(auth, resident)
    page = page_text(client.get(url))
    assert "400 µg/m³" in page
    assert "Quality flags" not in page  # for reviewers
    auth.sign_out()

    sign_in(auth, officer)
    page = page_text(client.get(url))
    assert "Outside the expected range: PM2.5 reading" in page
    assert "Rosa Resident" in page
    assert client.get("/science/submissions/99999999999").status_code == 404


def test_ones_own_observations_are_listed_a_page_at_a_time(
    client: FlaskClient, auth: AuthActions, resident: User, project: Project, session: Session
) -> None:
    mine = [make_submission(session, project, resident) for _ in range(22)]
    theirs = make_submission(session, project, make_user(session))
    sign_in(auth, resident)

    first = page_text(client.get(f"/science/{project.slug}/mine"))
    second = page_text(client.get(f"/science/{project.slug}/mine?page=2"))
    odd = client.get(f"/science/{project.slug}/mine?page=abc")

    assert f'/science/submissions/{mine[-1].id}"' in first
    assert "Page 1 of 2" in first
    assert f'/science/submissions/{mine[0].id}"' in second
    assert f'/science/submissions/{theirs.id}"' not in first + second
    assert odd.status_code == 200


# --- Photos -----------------------------------------------------------------------------------


def stored_photo(
    app: Flask, session: Session, project: Project, author: User, state: SubmissionState
) -> Photo:
    submission = make_submission(session, project, author, state=state)
    return make_photo(session, submission, photo_dir(app), data=jpeg_with_gps())


def test_an_approved_photo_is_public_in_its_display_size(
    app: Flask, client: FlaskClient, resident: User, project: Project, session: Session
) -> None:
    photo = stored_photo(app, session, project, resident, SubmissionState.APPROVED)

    display = client.get(f"/science/photos/{photo.id}/display")

    assert display.status_code == 200
    assert display.mimetype == "image/jpeg"
    assert "public" in display.headers["Cache-Control"]
    assert display.get_data() == (photo_dir(app) / photo.display_name).read_bytes()
    assert client.get(f"/science/photos/{photo.id}/full").status_code == 404
    assert client.get(f"/science/photos/{photo.id}/original").status_code == 404
    assert client.get("/science/photos/99999999999/display").status_code == 404
    assert client.get("/science/photos/12345/display").status_code == 404


def test_an_unapproved_photo_is_for_its_author_and_reviewers(
    app: Flask,
    client: FlaskClient,
    auth: AuthActions,
    resident: User,
    officer: User,
    project: Project,
    session: Session,
) -> None:
    photo = stored_photo(app, session, project, resident, SubmissionState.RECEIVED)
    url = f"/science/photos/{photo.id}/display"

    assert client.get(url).status_code == 404
    sign_in(auth, make_user(session, email="nosy@example.org"))
    assert client.get(url).status_code == 404
    auth.sign_out()
    for person in (resident, officer):
        sign_in(auth, person)
        response = client.get(url)
        assert response.status_code == 200
        assert "private" in response.headers["Cache-Control"]
        auth.sign_out()


# --- Corrections ------------------------------------------------------------------------------


def sent_back(session: Session, submission: Submission, officer: User) -> None:
    session.add(
        Review(
            submission_id=submission.id,
            reviewer_id=officer.id,
            from_state=SubmissionState.RECEIVED,
            to_state=SubmissionState.HAS_ISSUES,
            comment="Was it really 400? Please check the reading.",
        )
    )
    submission.state = SubmissionState.HAS_ISSUES
    session.commit()


def test_a_resident_corrects_an_observation_sent_back_to_them(
    client: FlaskClient,
    auth: AuthActions,
    resident: User,
    officer: User,
    project: Project,
    session: Session,
) -> None:
    submission = make_submission(
        session, project, resident, answers={"pm25": 400.0, "site": "road"}
    )
    sent_back(session, submission, officer)
    url = f"/science/submissions/{submission.id}/correct"
    sign_in(auth, resident)

    show = page_text(client.get(f"/science/submissions/{submission.id}"))
    assert "Correct this observation" in show
    assert "Was it really 400? Please check the reading." in show
    form = client.get(url).get_data(as_text=True)
    assert field_value(form, "pm25") == "400"
    assert field_value(form, "location-latitude") == "51.550000"
    assert "Was it really 400?" in page_text(client.get(url))

    refused = client.post(url, data=answers(pm25="-1"))
    assert refused.status_code == 200
    assert "Enter a value from 0 µg/m³ to 1000 µg/m³." in field_error(
        refused.get_data(as_text=True), "pm25"
    )

    response = client.post(url, data=answers(pm25="40", **{"correction-note": "Typo, sorry."}))
    assert response.status_code == 302
    session.rollback()
    corrected = session.get(Submission, submission.id)
    assert corrected is not None
    assert corrected.state is SubmissionState.RECEIVED
    assert corrected.answers["pm25"] == 40.0
    assert corrected.reviews[-1].comment == "Typo, sorry."

    # Sent again (a double click): nothing to correct any more.
    again = client.post(url, data=answers(pm25="41"))
    assert again.status_code == 302
    assert "not waiting for a correction" in page_text(client.get(again.headers["Location"]))
    session.rollback()
    assert session.get(Submission, submission.id).answers["pm25"] == 40.0  # type: ignore[union-attr]


def test_only_the_author_may_correct(
    client: FlaskClient,
    auth: AuthActions,
    resident: User,
    officer: User,
    project: Project,
    session: Session,
) -> None:
    submission = make_submission(session, project, resident)
    sent_back(session, submission, officer)
    url = f"/science/submissions/{submission.id}/correct"

    for someone in (officer, make_user(session, email="nosy@example.org")):
        sign_in(auth, someone)
        assert client.get(url).status_code == 404
        assert client.post(url, data=answers()).status_code == 404
        auth.sign_out()
    session.rollback()
    assert session.get(Submission, submission.id).state is SubmissionState.HAS_ISSUES  # type: ignore[union-attr]
