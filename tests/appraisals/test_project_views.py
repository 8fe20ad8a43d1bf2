"""Citizen-science project pages through the test client: the public list and project page, an
officer setting a project up and building its form (add, edit, move, delete, import, open and
close), errors beside their fields with what was typed kept, odd input, and who may do what."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.appraisals.models import FieldType, FormField, Project, Status
from engage.extensions import db
from engage.missions.models import Mission, MissionStatus
from engage.security import Role
from tests.conftest import AuthActions
from tests.factories import (
    DEFAULT_PASSWORD,
    make_mission,
    make_science_project,
    make_submission,
    make_user,
)
from tests.missions.test_views import field_error, field_value, page_text, sign_in, snapshot


@pytest.fixture
def mission(session: Session) -> Mission:
    return make_mission(session, title="Clean air", slug="clean-air")


@pytest.fixture
def draft(session: Session, mission: Mission) -> Project:
    """A draft project with no questions yet."""
    return make_science_project(
        session, mission, title="Tree count", status=Status.DRAFT, with_fields=False
    )


def flashes(page: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", message).strip()
        for message in re.findall(r'<p class="flash flash-\w+"[^>]*>(.*?)</p>', page, re.DOTALL)
    ]


def questions(session: Session, project: Project) -> list[FormField]:
    session.rollback()
    session.expire_all()
    return list(
        session.scalars(
            sa.select(FormField)
            .where(FormField.project_id == project.id)
            .order_by(FormField.position, FormField.id)
        )
    )


def field_form(**changes: str) -> dict[str, str]:
    return {
        "type": "decimal",
        "label": "PM2.5 reading",
        "name": "pm25",
        "hint": "Hold the sensor at head height.",
        "required": "y",
        "unit": "µg/m³",
        "min_value": "0",
        "max_value": "1000",
        "expected_min": "0",
        "expected_max": "150",
        "choices": "",
        "condition_field": "",
        "condition_value": "",
        **changes,
    }


def xlsx(survey: list[list[Any]], choices: list[list[Any]] | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    if choices:
        extra = book.create_sheet("choices")
        for row in choices:
            extra.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client: FlaskClient, slug: str, data: bytes, filename: str = "form.xlsx") -> Any:
    return client.post(
        f"/science/{slug}/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


# --- What everyone sees -------------------------------------------------------------------------


def test_the_list_shows_open_and_closed_projects_to_everyone(
    client: FlaskClient, session: Session, mission: Mission, draft: Project
) -> None:
    make_science_project(session, mission, title="Air quality on our streets")
    make_science_project(session, mission, title="Last year's flooding", status=Status.CLOSED)
    hidden_mission = make_mission(session, status=MissionStatus.DRAFT)
    make_science_project(session, hidden_mission, title="Secret survey")

    page = page_text(client.get("/science/"))

    assert "Air quality on our streets" in page
    assert "Last year's flooding" in page
    assert "For the mission: Clean air" in page
    assert "Tree count" not in page
    assert "Secret survey" not in page
    assert "New project" not in page


def test_officers_see_drafts_and_the_new_project_link(
    client: FlaskClient, auth: AuthActions, officer: User, draft: Project
) -> None:
    sign_in(auth, officer)
    page = page_text(client.get("/science/?mission=clean-air"))
    assert "Tree count" in page
    assert 'href="/science/new?mission=clean-air"' in page
    assert "Showing the projects of one mission." in page


@pytest.mark.parametrize(
    "query",
    [
        "?page=abc",
        "?page=-3",
        "?page=99999999999999999999",
        "?mission=%00",
        "?mission=" + "x" * 500,
    ],
)
def test_odd_list_queries_still_show_a_page(
    client: FlaskClient, session: Session, mission: Mission, query: str
) -> None:
    make_science_project(session, mission)
    assert client.get("/science/" + query).status_code == 200


def test_the_project_page_shows_the_protocol_and_questions_with_hints_units_and_ranges(
    client: FlaskClient, session: Session, mission: Mission
) -> None:
    project = make_science_project(session, mission)
    note = next(f for f in project.fields if f.name == "note")
    note.condition_field, note.condition_value = "site", "road"
    note.hint = "Anything that could explain the reading."
    session.commit()

    page = page_text(client.get(f"/science/{project.slug}"))

    assert "Hold the sensor at head height for two minutes" in page
    assert re.search(r"PM2.5 reading.*Decimal number · required · in µg/m³", page, re.DOTALL)
    assert "Allowed: from 0 to 1,000. Expected: from 0 to 150." in page
    assert "By a main road" in page
    assert "Anything that could explain the reading." in page
    assert "Asked only when the answer to “Where were you?” is “By a main road”." in page
    assert page.index("PM2.5 reading") < page.index("Where were you?") < page.index("A photo of")
    assert f'href="/science/{project.slug}/submit"' in page
    assert f'href="/science/{project.slug}/map"' in page
    assert "Review submissions" not in page
    assert "Edit the form" not in page
    assert "<code>" not in page  # names are for officers


def test_reviewers_and_officers_get_their_links(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, mission: Mission
) -> None:
    project = make_science_project(session, mission, status=Status.CLOSED)
    evaluator = make_user(session, role=Role.EVALUATOR)

    sign_in(auth, evaluator)
    page = page_text(client.get(f"/science/{project.slug}"))
    assert f'href="/science/{project.slug}/review"' in page
    assert "Send an observation" not in page  # closed
    assert "Edit the form" not in page
    auth.sign_out()

    sign_in(auth, officer)
    page = page_text(client.get(f"/science/{project.slug}"))
    assert f'href="/science/{project.slug}/form"' in page
    assert f'href="/science/{project.slug}/review"' in page


def test_drafts_are_not_found_for_residents_and_visitors(
    client: FlaskClient, auth: AuthActions, session: Session, draft: Project
) -> None:
    assert client.get(f"/science/{draft.slug}").status_code == 404
    sign_in(auth, make_user(session))
    assert client.get(f"/science/{draft.slug}").status_code == 404
    assert client.get("/science/no-such-project").status_code == 404


# --- Setting a project up -----------------------------------------------------------------------


def test_an_officer_creates_a_project_for_the_mission_given_in_the_address(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, mission: Mission
) -> None:
    sign_in(auth, officer)
    page = page_text(client.get("/science/new?mission=clean-air"))
    assert "For the mission: Clean air" in page
    assert f'<input type="hidden" name="mission_id" value="{mission.id}">' in page

    response = client.post(
        "/science/new?mission=clean-air",
        data={"mission_id": str(mission.id), "title": "Tree count", "summary": "Count trees.",
              "protocol": "Both sides of the street."},
    )  # fmt: skip

    assert response.status_code == 302
    assert response.headers["Location"] == "/science/tree-count/form"
    session.rollback()
    project = session.scalars(sa.select(Project)).one()
    assert (project.title, project.status, project.mission_id) == (
        "Tree count", Status.DRAFT, mission.id,
    )  # fmt: skip
    assert flashes(page_text(client.get(response.headers["Location"]))) == [
        "Project created. Now build its form."
    ]


def test_without_a_mission_in_the_address_the_officer_chooses_one(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, mission: Mission
) -> None:
    make_mission(session, title="Greener streets")
    sign_in(auth, officer)
    page = page_text(client.get("/science/new"))
    assert re.search(r'<select [^>]*name="mission_id"', page)
    assert '<option selected value="">Choose a mission</option>' in page
    assert "Greener streets" in page


def test_a_refused_project_form_keeps_what_was_typed(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, mission: Mission
) -> None:
    sign_in(auth, officer)
    before = snapshot(session)
    response = client.post(
        "/science/new",
        data={"mission_id": "99999999999", "title": "", "summary": "Keep me", "protocol": "Me too"},
    )
    page = page_text(response)
    assert response.status_code == 200
    assert field_error(page, "title") == "Give the project a title."
    assert field_error(page, "mission_id") == "Choose a mission from the list."
    assert field_value(page, "summary") == "Keep me"
    assert field_value(page, "protocol") == "Me too"
    assert snapshot(session) == before


def test_an_officer_edits_the_project(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, draft: Project
) -> None:
    sign_in(auth, officer)
    assert (
        field_value(page_text(client.get(f"/science/{draft.slug}/edit")), "title") == "Tree count"
    )
    response = client.post(
        f"/science/{draft.slug}/edit",
        data={"title": "Street tree count", "summary": "", "protocol": "Count each tree once."},
    )
    assert response.headers["Location"] == f"/science/{draft.slug}"
    session.rollback()
    changed = session.get(Project, draft.id)
    assert changed is not None
    assert (changed.title, changed.protocol) == ("Street tree count", "Count each tree once.")


# --- Building the form --------------------------------------------------------------------------


def test_an_officer_builds_a_form_and_opens_the_project(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, draft: Project
) -> None:
    sign_in(auth, officer)
    builder = f"/science/{draft.slug}/form"
    assert "No questions yet." in page_text(client.get(builder))

    response = client.post(f"/science/{draft.slug}/fields", data=field_form())
    assert response.headers["Location"] == builder
    response = client.post(
        f"/science/{draft.slug}/fields",
        data=field_form(type="single_choice", label="Where were you?", name="", unit="cm",
                        min_value="oops", choices="school | Outside a school\nBy a main road\n\n"),
    )  # fmt: skip
    assert response.status_code == 302
    client.post(
        f"/science/{draft.slug}/fields",
        data=field_form(type="integer", label="Lorries in two minutes", name="lorries",
                        unit="", min_value="0", max_value="", expected_min="", expected_max="50",
                        condition_field="where_were_you", condition_value="By a main road"),
    )  # fmt: skip
    client.post(f"/science/{draft.slug}/fields",
                data=field_form(type="location", label="Where", name="location"))  # fmt: skip

    page = page_text(client.get(builder))
    assert flashes(page)[-1] == "Question “Where” added, named location."
    assert "<code>where_were_you</code>" in page
    assert "Asked only when the answer to “Where were you?” is “By a main road”." in page
    fields = questions(session, draft)
    assert [(f.name, f.type) for f in fields] == [
        ("pm25", FieldType.DECIMAL), ("where_were_you", FieldType.SINGLE_CHOICE),
        ("lorries", FieldType.INTEGER), ("location", FieldType.LOCATION),
    ]  # fmt: skip
    pm25, site, lorries, _where = fields
    assert (pm25.unit, pm25.min_value, pm25.max_value, pm25.expected_max, pm25.required) == (
        "µg/m³", 0, 1000, 150, True,
    )  # fmt: skip
    assert site.choices == [
        {"value": "school", "label": "Outside a school"},
        {"value": "by_a_main_road", "label": "By a main road"},
    ]
    assert (site.unit, site.min_value) == ("", None)  # ignored for a choice
    assert (lorries.condition_field, lorries.condition_value) == (
        "where_were_you",
        "by_a_main_road",
    )

    response = client.post(f"/science/{draft.slug}/status", data={"status": "open"})
    assert response.headers["Location"] == builder
    assert flashes(page_text(client.get(builder))) == [
        "The project is open: residents can send observations."
    ]
    session.rollback()
    opened = session.get(Project, draft.id)
    assert opened is not None and opened.status is Status.OPEN


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"label": ""}, "label", "Give the question a label."),
        ({"name": "state"}, "name", "“state” is a column of every export. Choose another name."),
        ({"name": "PM 2.5"}, "name", "Start the name with a lower-case letter"),
        ({"min_value": "abc"}, "min_value", "Enter a number, like 40 or 72.5."),
        ({"max_value": "nan"}, "max_value", "Enter an ordinary number."),
        ({"max_value": "1e400"}, "max_value", "Enter an ordinary number."),
        ({"max_value": "1e300"}, "max_value", "Give a number between minus and plus"),
        ({"max_value": "-5"}, "max_value", "The highest allowed value cannot be below the lowest."),
        ({"expected_max": "2000"}, "expected_max", "The expected range must lie within"),
        ({"type": "single_choice", "choices": ""}, "choices", "Give at least one choice"),
        ({"type": "single_choice", "choices": "a | A\na | B"}, "choices", "Two choices have"),
        ({"type": "teleport"}, "type", "Choose a type of answer from the list."),
        ({"condition_field": "nowhere"}, "condition_field", "Choose a question from the list."),
        ({"unit": "x" * 41}, "unit", "Field cannot be longer than 40 characters."),
    ],
)
def test_a_refused_question_shows_the_error_beside_its_field_and_keeps_the_typing(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    officer: User,
    draft: Project,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    sign_in(auth, officer)
    before = snapshot(session)
    sent = field_form(hint="My careful hint", **changes)

    response = client.post(f"/science/{draft.slug}/fields", data=sent)

    page = page_text(response)
    assert response.status_code == 200
    assert field_error(page, field).startswith(message)
    assert field_value(page, "hint") == "My careful hint"
    for name in ("label", "name", "min_value", "max_value", "expected_max", "choices"):
        assert field_value(page, name) == sent[name]
    assert snapshot(session) == before


def test_a_second_location_question_is_refused_beside_the_type(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, mission: Mission
) -> None:
    project = make_science_project(session, mission)
    sign_in(auth, officer)
    response = client.post(
        f"/science/{project.slug}/fields", data=field_form(type="location", name="", label="Again")
    )
    assert field_error(page_text(response), "type").startswith("A form has only one location")


def test_an_officer_edits_a_question_and_the_form_comes_back_filled_in(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, mission: Mission
) -> None:
    project = make_science_project(session, mission)
    pm25, site, note = project.fields[:3]
    sign_in(auth, officer)

    page = page_text(client.get(f"/science/{project.slug}/fields/{pm25.id}"))
    assert field_value(page, "label") == "PM2.5 reading"
    assert field_value(page, "max_value") == "1000"
    assert field_value(page, "unit") == "µg/m³"
    page = page_text(client.get(f"/science/{project.slug}/fields/{site.id}"))
    assert field_value(page, "choices") == (
        "school | Outside a school\nroad | By a main road\npark | In a park"
    )
    page = page_text(client.get(f"/science/{project.slug}/fields/{note.id}"))
    assert '<option value="site">Where were you? (site)</option>' in page
    assert "(location)</option>" not in page  # only earlier questions

    response = client.post(
        f"/science/{project.slug}/fields/{note.id}",
        data=field_form(type="long_text", label="Tell us more", name="note",
                        condition_field="site", condition_value="road"),
    )  # fmt: skip
    assert response.headers["Location"] == f"/science/{project.slug}/form"
    session.rollback()
    changed = session.get(FormField, note.id)
    assert changed is not None
    assert (changed.label, changed.condition_field, changed.condition_value) == (
        "Tell us more", "site", "road",
    )  # fmt: skip
    assert changed.unit == ""  # numbers' options ignored for a long text


def test_a_refused_edit_keeps_the_typing(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, mission: Mission
) -> None:
    project = make_science_project(session, mission)
    make_submission(session, project)
    site = project.fields[1]
    sign_in(auth, officer)
    response = client.post(
        f"/science/{project.slug}/fields/{site.id}",
        data=field_form(type="single_choice", label="Renamed", name="site",
                        choices="school | School\nroad | Road"),
    )  # fmt: skip
    page = page_text(response)
    assert field_error(page, "choices").startswith("The project has submissions")
    assert field_value(page, "choices") == "school | School\nroad | Road"
    assert field_value(page, "label") == "Renamed"


def test_moving_and_deleting_questions(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, mission: Mission
) -> None:
    project = make_science_project(session, mission, status=Status.DRAFT)
    pm25, site = project.fields[:2]
    sign_in(auth, officer)
    page = page_text(client.get(f"/science/{project.slug}/form"))
    assert page.count('name="direction" value="up"') == 4
    assert page.count('name="direction" value="down"') == 4

    client.post(f"/science/{project.slug}/fields/{site.id}/move", data={"direction": "up"})
    assert [f.name for f in questions(session, project)][:2] == ["site", "pm25"]
    client.post(f"/science/{project.slug}/fields/{site.id}/move", data={"direction": "down"})
    assert [f.name for f in questions(session, project)][:2] == ["pm25", "site"]
    response = client.post(
        f"/science/{project.slug}/fields/{site.id}/move", data={"direction": "sideways"}
    )
    assert flashes(page_text(client.get(response.headers["Location"]))) == [
        "Choose to move the question up or down."
    ]

    response = client.post(f"/science/{project.slug}/fields/{pm25.id}/delete")
    assert response.headers["Location"] == f"/science/{project.slug}/form"
    assert flashes(page_text(client.get(response.headers["Location"]))) == [
        "Question “PM2.5 reading” deleted."
    ]
    assert "pm25" not in [f.name for f in questions(session, project)]


def test_refusals_of_buttons_come_back_as_messages(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, mission: Mission
) -> None:
    project = make_science_project(session, mission)
    make_submission(session, project)
    sign_in(auth, officer)
    page = page_text(client.get(f"/science/{project.slug}/form"))
    assert "Delete “" not in page  # no delete buttons once there are submissions
    assert "1 submission" in page

    response = client.post(f"/science/{project.slug}/fields/{project.fields[0].id}/delete")
    assert flashes(page_text(client.get(response.headers["Location"])))[0].startswith(
        "The project has submissions"
    )
    response = client.post(f"/science/{project.slug}/status", data={"status": "open"})
    assert flashes(page_text(client.get(response.headers["Location"]))) == [
        "This project is open already."
    ]
    response = client.post(f"/science/{project.slug}/status", data={"status": "draft"})
    assert flashes(page_text(client.get(response.headers["Location"]))) == [
        "Choose to open or to close the project."
    ]


def test_an_empty_project_cannot_open(
    client: FlaskClient, auth: AuthActions, officer: User, draft: Project
) -> None:
    sign_in(auth, officer)
    response = client.post(f"/science/{draft.slug}/status", data={"status": "open"})
    assert flashes(page_text(client.get(response.headers["Location"]))) == [
        "Add at least one question to the form before opening the project."
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/science/{slug}/fields/{other}",
        "/science/{slug}/fields/999999",
        "/science/{slug}/fields/99999999999999",
        "/science/{slug}/fields/abc",
        "/science/{slug}/fields/-1",
        "/science/no-such-project/fields/{own}",
    ],
)
def test_unknown_questions_are_not_found(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    officer: User,
    mission: Mission,
    path: str,
) -> None:
    project = make_science_project(session, mission)
    other = make_science_project(session, mission)
    url = path.format(slug=project.slug, other=other.fields[0].id, own=project.fields[0].id)
    sign_in(auth, officer)
    assert client.get(url).status_code == 404
    assert client.post(url, data=field_form()).status_code == 404
    assert client.post(url + "/delete").status_code == 404
    assert client.post(url + "/move", data={"direction": "up"}).status_code == 404


# --- Importing an XLSForm -----------------------------------------------------------------------


def test_an_officer_imports_an_xlsform_and_sees_what_was_left_out(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, draft: Project
) -> None:
    data = xlsx(
        [
            ["type", "name", "label::English (en)", "constraint"],
            ["start", "start"],
            ["select_one sites", "site", "Where were you?"],
            ["decimal", "pm25", "PM2.5 reading", ". >= 0 and . <= 1000"],
            ["text", "why", "Why?", "string-length(.) < 200"],
        ],
        [["list_name", "name", "label::English (en)"], ["sites", "road", "Road"]],
    )
    sign_in(auth, officer)
    assert "Import the form from an XLSForm" in page_text(
        client.get(f"/science/{draft.slug}/import")
    )

    response = upload(client, draft.slug, data)

    page = page_text(response)
    assert response.status_code == 200
    assert "3 questions imported." in page
    assert "2 things were left out or changed" in page
    assert re.search(r"<td>survey</td><td>2</td><td>“start” rows are not part", page)
    assert re.search(r"<td>survey</td><td>5</td><td>The constraint “string-length", page)
    assert [f.name for f in questions(session, draft)] == ["site", "pm25", "why"]


def test_an_xlsform_with_problems_lists_them_all_by_row_and_imports_nothing(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, mission: Mission
) -> None:
    project = make_science_project(session, mission)
    data = xlsx(
        [
            ["type", "name", "label"],
            ["text", "submitter", "Your name"],
            ["audio", "sound", "A recording"],
            ["geotrace", "route", "Your route"],
        ]
    )
    sign_in(auth, officer)
    before = snapshot(session)

    page = page_text(upload(client, project.slug, data))

    assert "The file has 3 problems. Nothing was imported." in page
    rows = re.findall(r"<tr><td>survey</td><td>(\d+)</td><td>(.*?)</td></tr>", page)
    assert [row for row, _message in rows] == ["2", "3", "4"]
    assert rows[0][1] == "“submitter” is a column of every export. Choose another name."
    assert rows[1][1].startswith("The question type “audio” cannot be imported. engage supports:")
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"type,name,label\ntext,a,A\n", "form.csv", "This file is not an Excel workbook."),
        (b"%PDF-1.4 not a workbook", "form.xlsx", "This file is not an Excel workbook."),
        (b"PK\x03\x04broken", "form.xlsx", "The file could not be read as a spreadsheet."),
    ],
)
def test_files_that_are_not_workbooks_get_a_clear_message(
    client: FlaskClient,
    auth: AuthActions,
    officer: User,
    draft: Project,
    data: bytes,
    filename: str,
    message: str,
) -> None:
    sign_in(auth, officer)
    response = upload(client, draft.slug, data, filename)
    assert response.status_code == 200
    assert message in page_text(response)
    assert "Nothing was imported." in page_text(response)


def test_a_file_over_5_mb_or_none_is_refused_beside_the_file_field(
    client: FlaskClient, auth: AuthActions, officer: User, draft: Project
) -> None:
    sign_in(auth, officer)
    page = page_text(upload(client, draft.slug, b"PK\x03\x04" + b"0" * (5 * 1024 * 1024 + 1)))
    assert field_error(page, "file") == "The file is larger than 5 MB."
    page = page_text(client.post(f"/science/{draft.slug}/import", data={}))
    assert field_error(page, "file") == "Choose the XLSForm file."


def test_an_upload_beyond_the_sites_limit_is_a_413_page(
    client: FlaskClient, auth: AuthActions, officer: User, draft: Project
) -> None:
    sign_in(auth, officer)
    response = upload(client, draft.slug, b"0" * (17 * 1024 * 1024))
    assert response.status_code == 413


# --- Who may do what ----------------------------------------------------------------------------

OFFICER_ROUTES = [
    ("GET", "/science/new"),
    ("POST", "/science/new"),
    ("GET", "/science/{slug}/edit"),
    ("POST", "/science/{slug}/edit"),
    ("GET", "/science/{slug}/form"),
    ("POST", "/science/{slug}/fields"),
    ("GET", "/science/{slug}/fields/{field}"),
    ("POST", "/science/{slug}/fields/{field}"),
    ("POST", "/science/{slug}/fields/{field}/delete"),
    ("POST", "/science/{slug}/fields/{field}/move"),
    ("GET", "/science/{slug}/import"),
    ("POST", "/science/{slug}/import"),
    ("POST", "/science/{slug}/status"),
]


@pytest.mark.parametrize(("method", "path"), OFFICER_ROUTES)
def test_only_officers_reach_the_builder(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    method: str,
    path: str,
) -> None:
    project = make_science_project(session, mission)
    url = path.format(slug=project.slug, field=project.fields[0].id)

    response = client.open(url, method=method, data={"status": "closed", "direction": "up"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")

    for role in (None, Role.EVALUATOR):
        sign_in(auth, make_user(session, role=role))
        before = snapshot(session)
        response = client.open(url, method=method, data={"status": "closed", "direction": "up"})
        assert response.status_code == 403
        assert snapshot(session) == before
        auth.sign_out()


def test_every_form_of_the_builder_carries_its_csrf_token(make_app: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        own = db.sessionmaker()
    project = make_science_project(own, status=Status.DRAFT)
    officer = make_user(own, role=Role.OFFICER)
    slug, field_id, email = project.slug, project.fields[0].id, officer.email
    own.close()
    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page_text(client.get("/sign-in")))
    assert token is not None
    client.post("/sign-in", data={"email": email, "password": DEFAULT_PASSWORD,
                                  "csrf_token": token.group(1)})  # fmt: skip

    for path in ("form", f"fields/{field_id}", "import", "edit"):
        page = page_text(client.get(f"/science/{slug}/{path}"))
        forms = re.findall(r'<form method="post".*?</form>', page, re.DOTALL)
        assert forms
        assert all('name="csrf_token"' in form for form in forms)
    assert client.post(f"/science/{slug}/status", data={"status": "open"}).status_code == 400
    with app.app_context():
        assert db.session.get(Project, project.id).status is Status.DRAFT  # type: ignore[union-attr]
