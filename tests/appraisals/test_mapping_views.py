"""Multi-criteria mapping pages through the test client: the public list and exercise pages,
officers preparing, opening and closing exercises, residents answering (errors beside the cells,
everything typed kept), the results page and who may see it, and odd input."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import request_started
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.appraisals import mapping
from engage.appraisals.models import (
    MappingExercise,
    MappingOption,
    MappingResponse,
    MappingScore,
    MappingWeight,
    Status,
)
from engage.audit import AuditEntry
from engage.errors import Conflict
from engage.i18n import N_
from engage.missions.models import Mission, MissionStatus
from engage.security import Role
from tests.conftest import AuthActions
from tests.factories import DEFAULT_PASSWORD, make_exercise, make_mission, make_user
from tests.missions.test_views import field_error, field_value, page_text, sign_in


@pytest.fixture
def mission(session: Session) -> Mission:
    return make_mission(session, title="Healthy Streets", slug="healthy-streets")


def flashes(client: FlaskClient) -> list[str]:
    with client.session_transaction() as browser:
        return [message for _category, message in browser.get("_flashes", [])]


def audit_actions(session: Session) -> list[str]:
    session.rollback()
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def response_form(exercise: MappingExercise, **changes: str) -> dict[str, str]:
    """A complete answer as the browser posts it: weight 50 per criterion, 40-60 per cell."""
    form: dict[str, str] = {}
    for criterion in exercise.criteria:
        form[f"weight-{criterion.id}"] = "50"
    for option in exercise.options:
        for criterion in exercise.criteria:
            cell = f"{option.id}-{criterion.id}"
            form[f"low-{cell}"] = "40"
            form[f"high-{cell}"] = "60"
            form[f"reason-{cell}"] = f"{option.label} does fairly on {criterion.label}."
    form.update(changes)
    return form


def cell(exercise: MappingExercise, option: int, criterion: int) -> str:
    return f"{exercise.options[option].id}-{exercise.criteria[criterion].id}"


def stored_response(session: Session, user: User) -> MappingResponse | None:
    session.rollback()
    return session.scalars(
        sa.select(MappingResponse).where(MappingResponse.participant_id == user.id)
    ).one_or_none()


# --- Public pages -----------------------------------------------------------------------------


def test_the_public_list_shows_open_and_closed_exercises_only(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, mission: Mission
) -> None:
    make_exercise(session, mission, status=Status.OPEN).title = "Open one"
    make_exercise(session, mission, status=Status.CLOSED).title = "Closed one"
    make_exercise(session, mission, status=Status.DRAFT).title = "Draft one"
    hidden_mission = make_mission(session, status=MissionStatus.DRAFT)
    make_exercise(session, hidden_mission).title = "In a draft mission"
    session.commit()

    public = page_text(client.get("/mapping/"))
    assert "Open one" in public and "Closed one" in public
    assert "Draft one" not in public and "In a draft mission" not in public
    assert "New mapping exercise" not in public

    sign_in(auth, officer)
    staff = page_text(client.get("/mapping/"))
    assert "Draft one" in staff and "In a draft mission" in staff
    assert "New mapping exercise" in staff


@pytest.mark.parametrize("page", ["abc", "-3", "0", "99999999999999999999", "2"])
def test_the_list_survives_odd_page_numbers(
    client: FlaskClient, session: Session, page: str
) -> None:
    make_exercise(session)

    assert client.get(f"/mapping/?page={page}").status_code == 200


def test_the_exercise_page_shows_the_question_options_criteria_and_how_to_take_part(
    client: FlaskClient, session: Session, mission: Mission
) -> None:
    exercise = make_exercise(session, mission)
    exercise.criteria[0].description = "Nitrogen dioxide along the street."
    session.commit()

    page = page_text(client.get(f"/mapping/{exercise.slug}"))

    assert exercise.question in page
    for label in ("Low-traffic neighbourhood", "Bus gate", "Do nothing", "Air quality", "Cost"):
        assert label in page
    assert "Nitrogen dioxide along the street." in page
    assert "Open for answers" in page
    assert f'href="/mapping/{exercise.slug}/respond"' in page
    assert "Take part" in page
    assert "See the results" not in page  # not until it closes
    assert "For officers" not in page


def test_a_closed_exercise_offers_its_results_instead_of_taking_part(
    client: FlaskClient, session: Session
) -> None:
    exercise = make_exercise(session, status=Status.CLOSED)

    page = page_text(client.get(f"/mapping/{exercise.slug}"))

    assert "Take part" not in page
    assert f'href="/mapping/{exercise.slug}/results"' in page


def test_drafts_are_not_found_by_the_public_but_officers_see_them(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, resident: User
) -> None:
    draft = make_exercise(session, status=Status.DRAFT)

    assert client.get(f"/mapping/{draft.slug}").status_code == 404
    sign_in(auth, resident)
    assert client.get(f"/mapping/{draft.slug}").status_code == 404
    assert client.get(f"/mapping/{draft.slug}/respond").status_code == 404
    assert client.get(f"/mapping/{draft.slug}/results").status_code == 404
    auth.sign_out()
    sign_in(auth, officer)
    page = page_text(client.get(f"/mapping/{draft.slug}"))
    assert "Draft (only officers can see it)" in page
    assert "Open for answers" in page  # the button


@pytest.mark.parametrize(
    "path",
    [
        "/mapping/no-such-exercise",
        "/mapping/no-such-exercise/results",
        "/mapping/%00",
        "/mapping/" + "x" * 5000,
    ],
)
def test_unknown_exercises_are_not_found(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


# --- Who may do what --------------------------------------------------------------------------


def test_officer_pages_are_for_officers(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    exercise = make_exercise(session)
    option = exercise.options[0].id
    criterion = exercise.criteria[0].id
    gets = [
        "/mapping/new",
        f"/mapping/{exercise.slug}/edit",
        f"/mapping/{exercise.slug}/options/{option}",
    ]
    posts = [
        "/mapping/new",
        f"/mapping/{exercise.slug}/edit",
        f"/mapping/{exercise.slug}/status",
        f"/mapping/{exercise.slug}/options",
        f"/mapping/{exercise.slug}/criteria",
        f"/mapping/{exercise.slug}/options/{option}",
        f"/mapping/{exercise.slug}/criteria/{criterion}",
        f"/mapping/{exercise.slug}/options/{option}/delete",
        f"/mapping/{exercise.slug}/criteria/{criterion}/delete",
    ]

    for path in gets:
        assert client.get(path).status_code == 302, path  # to sign in
    for path in posts:
        assert client.post(path, data={"action": "close"}).status_code == 302, path
    sign_in(auth, resident)
    for path in gets:
        assert client.get(path).status_code == 403, path
    for path in posts:
        assert client.post(path, data={"action": "close", "label": "X"}).status_code == 403, path

    session.expire_all()
    assert exercise.status is Status.OPEN and len(exercise.options) == 3
    assert audit_actions(session) == []


def test_taking_part_needs_an_account(client: FlaskClient, session: Session) -> None:
    exercise = make_exercise(session)

    response = client.get(f"/mapping/{exercise.slug}/respond")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")
    assert (
        client.post(f"/mapping/{exercise.slug}/respond", data=response_form(exercise)).status_code
        == 302
    )
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(MappingResponse)) == 0


# --- Officers prepare, open and close ---------------------------------------------------------


def test_an_officer_creates_an_exercise_for_the_mission_they_came_from(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, mission: Mission
) -> None:
    other = make_mission(session, title="Zero waste", slug="zero-waste")
    sign_in(auth, officer)

    raw = client.get("/mapping/new?mission=zero-waste").get_data(as_text=True)
    assert re.search(rf'<option selected value="{other.id}">Zero waste</option>', raw)

    response = client.post(
        "/mapping/new",
        data={
            "mission_id": str(mission.id),
            "title": "Queen's Crescent traffic",
            "question": "How should we cut traffic?",
            "options": "Bus gate\r\nDo nothing\r\n\r\n",
            "criteria": "Air quality\r\nCost",
            "scale_min": "0",
            "scale_max": "10",
        },
    )

    session.rollback()
    exercise = session.scalars(sa.select(MappingExercise)).one()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/mapping/{exercise.slug}"
    assert (exercise.mission_id, exercise.status, exercise.scale_max) == (
        mission.id,
        Status.DRAFT,
        10,
    )
    assert [o.label for o in exercise.options] == ["Bus gate", "Do nothing"]
    assert [c.label for c in exercise.criteria] == ["Air quality", "Cost"]
    assert audit_actions(session) == ["mapping.exercise_created"]


def test_a_refused_new_exercise_comes_back_with_errors_beside_fields_and_values_kept(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, mission: Mission
) -> None:
    sign_in(auth, officer)
    form = {
        "mission_id": str(mission.id),
        "title": "Queen's Crescent traffic",
        "question": "How should we cut traffic?",
        "options": "Only one option",
        "criteria": "Cost",
        "scale_min": "0",
        "scale_max": "100",
    }

    response = client.post("/mapping/new", data=form)
    page = page_text(response)
    assert response.status_code == 400
    assert field_error(page, "options") == "List at least 2 options, one per line."
    assert field_value(page, "options") == "Only one option"
    assert field_value(page, "title") == "Queen's Crescent traffic"

    response = client.post(
        "/mapping/new", data={**form, "options": "A\nB", "scale_min": "5", "scale_max": "5"}
    )
    assert response.status_code == 400
    assert (
        field_error(page_text(response), "scale_max")
        == "The best score must be above the worst score."
    )

    response = client.post(
        "/mapping/new",
        data={**form, "mission_id": "99999999999", "scale_min": "1e9", "scale_max": "abc"},
    )
    page = page_text(response)
    assert response.status_code == 400
    assert field_error(page, "mission_id") and field_error(page, "scale_min")
    assert field_error(page, "scale_max")
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(MappingExercise)) == 0


def test_an_officer_edits_options_and_criteria_until_someone_answers(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, resident: User
) -> None:
    exercise = make_exercise(session, status=Status.DRAFT)
    slug, first, cost = exercise.slug, exercise.options[0], exercise.criteria[1]
    sign_in(auth, officer)

    page = page_text(client.get(f"/mapping/{slug}/edit"))
    assert "Add an option" in page and "Add a criterion" in page

    assert (
        client.post(
            f"/mapping/{slug}/options",
            data={"option-label": "Wider pavements", "option-description": "Both sides."},
        ).status_code
        == 302
    )
    assert (
        client.post(f"/mapping/{slug}/criteria", data={"criterion-label": "Safety"}).status_code
        == 302
    )
    assert (
        client.post(
            f"/mapping/{slug}/options/{first.id}", data={"label": "LTN", "description": "Filters."}
        ).status_code
        == 302
    )
    assert client.post(f"/mapping/{slug}/criteria/{cost.id}/delete").status_code == 302

    session.rollback()
    session.expire_all()
    assert [(o.label, o.description) for o in exercise.options] == [
        ("LTN", "Filters."),
        ("Bus gate", ""),
        ("Do nothing", ""),
        ("Wider pavements", "Both sides."),
    ]
    assert [c.label for c in exercise.criteria] == [
        "Air quality",
        "Access for disabled people",
        "Safety",
    ]

    # A refused addition comes back beside its field, with what was typed.
    response = client.post(
        f"/mapping/{slug}/options", data={"option-label": "ltn", "option-description": "Again"}
    )
    page = page_text(response)
    assert response.status_code == 400
    assert field_error(page, "option-label") == "The exercise already has one with this label."
    assert field_value(page, "option-description") == "Again"
    response = client.post(f"/mapping/{slug}/criteria", data={"criterion-label": ""})
    assert response.status_code == 400
    assert field_error(page_text(response), "criterion-label") == "Give it a label."

    # Once someone answers, everything but the title and question stays.
    mapping.open_exercise(session, slug, actor=officer)
    mapping.save_response(
        session, slug, actor=resident,
        weights={c.id: 1.0 for c in exercise.criteria},
        scores={(o.id, c.id): (1.0, 2.0, "r") for o in exercise.options for c in exercise.criteria},
    )  # fmt: skip
    page = page_text(client.get(f"/mapping/{slug}/edit"))
    assert "the options and criteria stay as they are" in page
    assert "Add an option" not in page
    client.post(f"/mapping/{slug}/options/{first.id}/delete")
    assert (
        "People have already answered, so the options, criteria and scale stay as they are."
        in flashes(client)
    )
    response = client.post(f"/mapping/{slug}/options/{first.id}", data={"label": "Renamed"})
    assert response.status_code == 400
    assert "People have already answered" in page_text(response)
    response = client.post(
        f"/mapping/{slug}/edit",
        data={"title": "Final title", "question": "Q?", "scale_min": "0", "scale_max": "100"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/mapping/{slug}/edit",
        data={"title": "Final title", "question": "Q?", "scale_min": "0", "scale_max": "7"},
    )
    assert response.status_code == 400
    assert field_error(page_text(response), "scale_min").startswith("People have already answered")
    session.rollback()
    session.expire_all()
    assert (exercise.title, exercise.scale_max, len(exercise.options)) == ("Final title", 100, 4)


def test_item_pages_of_other_exercises_or_unknown_ids_are_not_found(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User
) -> None:
    mine, other = make_exercise(session), make_exercise(session)
    sign_in(auth, officer)

    assert client.get(f"/mapping/{mine.slug}/options/{other.options[0].id}").status_code == 404
    assert client.get(f"/mapping/{mine.slug}/criteria/{other.criteria[0].id}").status_code == 404
    assert client.get(f"/mapping/{mine.slug}/options/99999999999").status_code == 404
    assert (
        client.post(f"/mapping/{mine.slug}/options/{other.options[0].id}/delete").status_code == 404
    )
    assert client.post(f"/mapping/{mine.slug}/criteria/2147483647/delete").status_code == 404
    assert client.post("/mapping/nothing-here/status", data={"action": "open"}).status_code == 404
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(MappingOption)) == 6


def test_an_officer_opens_and_closes_an_exercise(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User
) -> None:
    exercise = make_exercise(session, status=Status.DRAFT)
    sign_in(auth, officer)

    assert (
        client.post(f"/mapping/{exercise.slug}/status", data={"action": "open"}).status_code == 302
    )
    assert "Exercise opened: signed-in residents can now take part." in flashes(client)
    client.get("/")
    client.post(f"/mapping/{exercise.slug}/status", data={"action": "open"})
    assert "This exercise is already open." in flashes(client)
    client.get("/")
    client.post(f"/mapping/{exercise.slug}/status", data={"action": "sideways"})
    assert "Nothing was changed. Use the Open or Close button on this page." in flashes(client)
    client.get("/")
    client.post(f"/mapping/{exercise.slug}/status", data={"action": "close"})

    session.rollback()
    session.expire_all()
    assert exercise.status is Status.CLOSED
    assert audit_actions(session) == ["mapping.exercise_opened", "mapping.exercise_closed"]


# --- Taking part ------------------------------------------------------------------------------


def test_a_resident_answers_and_finds_their_answers_when_they_come_back(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    exercise = make_exercise(session)
    exercise.criteria[0].description = "Cleaner air for everyone."
    session.commit()
    sign_in(auth, resident)

    page = page_text(client.get(f"/mapping/{exercise.slug}/respond"))
    assert "How much does each criterion matter to you?" in page
    assert "Cleaner air for everyone." in page
    assert page.count('type="number"') == 3 + 2 * 9
    assert f'<label for="weight-{exercise.criteria[0].id}">Air quality</label>' in page
    assert "Bus gate on Cost" in page

    form = response_form(
        exercise,
        **{f"low-{cell(exercise, 1, 1)}": "12.5", f"weight-{exercise.criteria[2].id}": "0"},
    )
    response = client.post(f"/mapping/{exercise.slug}/respond", data=form)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/mapping/{exercise.slug}"
    stored = stored_response(session, resident)
    assert stored is not None
    assert sorted(w.weight for w in stored.weights) == [0, 50, 50]
    assert len(stored.scores) == 9
    assert 12.5 in {s.low for s in stored.scores}

    page = page_text(client.get(f"/mapping/{exercise.slug}/respond"))
    assert "these are your saved answers" in page
    assert field_value(page, f"low-{cell(exercise, 1, 1)}") == "12.5"
    assert field_value(page, f"high-{cell(exercise, 1, 1)}") == "60"
    assert field_value(page, f"weight-{exercise.criteria[2].id}") == "0"
    assert (
        field_value(page, f"reason-{cell(exercise, 2, 0)}")
        == "Do nothing does fairly on Air quality."
    )
    assert "Change my answers" in page_text(client.get(f"/mapping/{exercise.slug}"))

    # Saving again replaces the answers.
    again = response_form(exercise, **{f"reason-{cell(exercise, 0, 0)}": "Second thoughts."})
    assert client.post(f"/mapping/{exercise.slug}/respond", data=again).status_code == 302
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(MappingResponse)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(MappingWeight)) == 3
    reasons = set(session.scalars(sa.select(MappingScore.reason)))
    assert (
        "Second thoughts." in reasons
        and "Low-traffic neighbourhood does fairly on Air quality." not in reasons
    )


def test_errors_are_shown_beside_their_cells_with_everything_typed_kept(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    exercise = make_exercise(session)
    sign_in(auth, resident)
    a, b, c = (cell(exercise, 0, 0), cell(exercise, 1, 2), cell(exercise, 2, 1))
    weight = f"weight-{exercise.criteria[1].id}"
    form = response_form(
        exercise,
        **{
            weight: "-5",
            f"low-{a}": "70",
            f"high-{a}": "20",
            f"reason-{a}": "Typed & kept <b>",
            f"low-{b}": "",
            f"high-{b}": "1000000",
            f"reason-{c}": "   ",
        },
    )

    response = client.post(f"/mapping/{exercise.slug}/respond", data=form)
    page = page_text(response)

    assert response.status_code == 400
    assert field_error(page, weight) == "Give this criterion a weight from 0 to 100."
    assert field_error(page, f"high-{a}") == "The high score cannot be below the low score."
    assert field_error(page, f"low-{a}") == ""
    assert field_error(page, f"low-{b}") == "Give a low score from 0 to 100."
    assert field_error(page, f"high-{b}") == "Give a high score from 0 to 100."
    assert field_error(page, f"reason-{c}") == "Say why you gave these scores."
    assert field_value(page, weight) == "-5"
    assert field_value(page, f"low-{a}") == "70"
    assert field_value(page, f"reason-{a}") == "Typed & kept <b>"
    assert "Typed &amp; kept &lt;b&gt;" in response.get_data(as_text=True)
    assert field_value(page, f"high-{b}") == "1000000"
    assert "There is a problem" in page
    assert (
        "Bus gate, Access for disabled people, high score: Give a high score from 0 to 100." in page
    )
    assert f'href="#high-{a}"' in page
    assert stored_response(session, resident) is None


def test_all_zero_weights_are_refused_beside_the_weights(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    exercise = make_exercise(session)
    sign_in(auth, resident)
    zeros = {f"weight-{c.id}": "0" for c in exercise.criteria}

    response = client.post(
        f"/mapping/{exercise.slug}/respond", data=response_form(exercise, **zeros)
    )

    assert response.status_code == 400
    assert (
        field_error(page_text(response), "weights")
        == "Give at least one criterion a weight above 0."
    )
    assert stored_response(session, resident) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nan", "Enter an ordinary number."),
        ("inf", "Enter an ordinary number."),
        ("-Infinity", "Enter an ordinary number."),
        ("1e999", "Enter an ordinary number."),
        ("abc", "Enter a number, like 40 or 72.5."),
        ("1e300", "Give a low score from 0 to 100."),
        ("-0.001", "Give a low score from 0 to 100."),
        ("", "Give a low score from 0 to 100."),
    ],
)
def test_odd_numbers_are_refused_beside_the_cell(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    resident: User,
    value: str,
    message: str,
) -> None:
    exercise = make_exercise(session)
    sign_in(auth, resident)
    low = f"low-{cell(exercise, 1, 0)}"

    response = client.post(
        f"/mapping/{exercise.slug}/respond", data=response_form(exercise, **{low: value})
    )

    assert response.status_code == 400
    assert field_error(page_text(response), low) == message
    assert stored_response(session, resident) is None


def test_missing_cells_and_stray_fields_never_break_the_page(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    exercise = make_exercise(session)
    sign_in(auth, resident)
    form = response_form(exercise)
    missing = cell(exercise, 2, 2)
    for part in ("low", "high", "reason"):
        del form[f"{part}-{missing}"]
    form["low-99999999999-1"] = "5"
    form["weight-abc"] = "x"

    response = client.post(f"/mapping/{exercise.slug}/respond", data=form)
    page = page_text(response)

    assert response.status_code == 400
    assert field_error(page, f"low-{missing}") and field_error(page, f"high-{missing}")
    assert field_error(page, f"reason-{missing}")
    assert client.post(f"/mapping/{exercise.slug}/respond", data={}).status_code == 400
    too_long = response_form(exercise, **{f"reason-{cell(exercise, 0, 0)}": "x" * 1001})
    response = client.post(f"/mapping/{exercise.slug}/respond", data=too_long)
    assert response.status_code == 400
    assert field_error(page_text(response), f"reason-{cell(exercise, 0, 0)}") == (
        "Keep the reason to 1000 characters or fewer."
    )
    nul = response_form(exercise, **{f"reason-{cell(exercise, 0, 0)}": "a\x00b"})
    assert client.post(f"/mapping/{exercise.slug}/respond", data=nul).status_code == 400
    assert stored_response(session, resident) is None


def test_a_closed_exercise_takes_no_answers(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    exercise = make_exercise(session, status=Status.CLOSED)
    sign_in(auth, resident)

    response = client.get(f"/mapping/{exercise.slug}/respond")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/mapping/{exercise.slug}"
    assert "This exercise is not open for answers." in flashes(client)
    assert (
        client.post(f"/mapping/{exercise.slug}/respond", data=response_form(exercise)).status_code
        == 302
    )
    assert stored_response(session, resident) is None


def test_a_refusal_of_the_whole_answer_is_shown_above_the_form(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    resident: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The exercise closed between showing the form and saving it: the service refuses."""
    exercise = make_exercise(session)
    sign_in(auth, resident)

    def closed_meanwhile(*args: Any, **kwargs: Any) -> MappingResponse:
        raise Conflict(N_("This exercise is not open for answers."))

    monkeypatch.setattr(mapping, "save_response", closed_meanwhile)
    form = response_form(exercise, **{f"reason-{cell(exercise, 0, 0)}": "Kept."})
    response = client.post(f"/mapping/{exercise.slug}/respond", data=form)
    page = page_text(response)

    assert response.status_code == 400
    assert re.search(
        r'class="error-summary".*This exercise is not open for answers\.', page, re.DOTALL
    )
    assert field_value(page, f"reason-{cell(exercise, 0, 0)}") == "Kept."


# --- Results ----------------------------------------------------------------------------------


def answer(
    session: Session,
    exercise: MappingExercise,
    person: User,
    weights: list[float],
    cells: dict[tuple[int, int], tuple[float, float]],
) -> None:
    mapping.save_response(
        session,
        exercise.slug,
        actor=person,
        weights={c.id: w for c, w in zip(exercise.criteria, weights, strict=True)},
        scores={
            (o.id, c.id): (*cells[(i, j)], f"Because {o.label} scores so on {c.label}.")
            for i, o in enumerate(exercise.options)
            for j, c in enumerate(exercise.criteria)
        },
    )


def two_answers(session: Session, exercise: MappingExercise) -> tuple[User, User]:
    """The hand-worked example of the ranking tests: options A, B, C; criteria Air, Cost."""
    amy, zed = (
        make_user(session, display_name="Amy Secret"),
        make_user(session, display_name="Zed Secret"),
    )
    answer(
        session,
        exercise,
        amy,
        [1, 1],
        {
            (0, 0): (60, 80),
            (0, 1): (80, 100),
            (1, 0): (40, 60),
            (1, 1): (50, 80),
            (2, 0): (0, 20),
            (2, 1): (10, 30),
        },
    )
    answer(
        session,
        exercise,
        zed,
        [1, 1],
        {
            (0, 0): (10, 30),
            (0, 1): (10, 30),
            (1, 0): (90, 100),
            (1, 1): (90, 100),
            (2, 0): (20, 40),
            (2, 1): (20, 40),
        },
    )
    return amy, zed


def test_results_are_for_staff_while_open_and_public_once_closed(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, resident: User
) -> None:
    exercise = make_exercise(session, options=("A", "B", "C"), criteria=("Air", "Cost"))
    two_answers(session, exercise)
    evaluator = make_user(session, role=Role.EVALUATOR)
    address = f"/mapping/{exercise.slug}/results"

    response = client.get(address)
    assert response.status_code == 403
    assert "published when it closes" in page_text(response)
    sign_in(auth, resident)
    assert client.get(address).status_code == 403
    auth.sign_out()
    sign_in(auth, evaluator)
    page = page_text(client.get(address))
    assert "only staff see these results until it closes" in page
    auth.sign_out()
    sign_in(auth, officer)
    assert client.get(address).status_code == 200
    client.post(f"/mapping/{exercise.slug}/status", data={"action": "close"})
    auth.sign_out()

    response = client.get(address)
    assert response.status_code == 200
    assert "only staff see" not in page_text(response)


def test_the_results_page_shows_the_chart_its_tables_the_summaries_and_the_method(
    client: FlaskClient, session: Session
) -> None:
    exercise = make_exercise(session, options=("A", "B", "C"), criteria=("Air", "Cost"))
    two_answers(session, exercise)
    exercise.status = Status.CLOSED
    session.commit()

    response = client.get(f"/mapping/{exercise.slug}/results")
    raw = response.get_data(as_text=True)
    page = page_text(response)

    assert response.status_code == 200
    assert "Secret" not in page  # participants are never named
    # The chart: one band per option, a bar per participant per option, each with a title.
    svg = re.search(r"<svg viewBox[^>]*>.*?</svg>", raw, re.DOTALL)
    assert svg is not None
    assert 'role="img"' in svg.group(0) and 'aria-labelledby="rank-intervals-title"' in svg.group(0)
    assert len(re.findall(r'<rect [^>]*class="chart-bar chart-bar-[01]"', svg.group(0))) == 6
    assert "Participant 1: A at rank 1</title>" in page
    assert "Participant 2: A at ranks 2 to 3</title>" in page
    assert "Participant 1: B at ranks 1 to 2</title>" in page
    # Participants differ in position as well as shade: bar rows in a band have their own y.
    ys = re.findall(
        r'<rect x="[^"]+" y="([^"]+)"[^>]*class="chart-bar chart-bar-(\d)"', svg.group(0)
    )
    assert {y for y, shade in ys[:2]} == {ys[0][0], ys[1][0]} and ys[0][0] != ys[1][0]
    # The table behind it.
    assert "ranks 1–2" in page and "45–70" in page
    # Agreement and difference.
    assert (
        "All 2 participants place B in ranks 1–2, and every one of their intervals includes rank 1."
        in page
    )
    assert "Participants split on A: 1 rank it first at best, 1 last at worst." in page
    assert (
        "1 pair of participants sees it in ranks that do not overlap: Participant 1 and Participant 2."
        in page
    )
    # Robust preferences: B over C by both, A over C by participant 1, B over A by participant 2.
    preference = re.search(r"Robust preferences.*?</table>", page, re.DOTALL)
    assert preference is not None
    rows = re.findall(r"<tr><th scope=\"row\">(\w)</th>(.*?)</tr>", preference.group(0))
    counts = {label: re.findall(r"<td>(\d)</td>", cells) for label, cells in rows}
    assert counts == {"A": ["0", "1"], "B": ["1", "2"], "C": ["0", "0"]}
    # Weights: min, median and max share per criterion.
    assert re.search(r"<th scope=\"row\">Air</th><td>50%</td><td>50%</td><td>50%</td>", page)
    # Reasons, by participant number, per option and criterion.
    reasons = re.search(r"<h4>B on Cost</h4>.*?</ul>", page, re.DOTALL)
    assert reasons is not None
    assert re.findall(
        r"<strong>(Participant \d)</strong> \(low (\d+), high (\d+)\)", reasons.group(0)
    ) == [
        ("Participant 1", "50", "80"),
        ("Participant 2", "90", "100"),
    ]
    assert "Because B scores so on Cost." in reasons.group(0)
    assert "How the results are worked out" in page
    assert "rounded to 9 decimal places" in page


def test_results_without_answers_say_so(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User
) -> None:
    exercise = make_exercise(session)
    sign_in(auth, officer)

    page = page_text(client.get(f"/mapping/{exercise.slug}/results"))

    assert "No one has answered yet." in page
    assert "How the results are worked out" in page


def test_the_forms_carry_their_csrf_tokens(make_app: Any, session: Session, officer: User) -> None:
    """With CSRF on, as in production: the prefixed add-option form and the response form."""
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    # Like the session fixture does for the default app: let go before each request.
    request_started.connect(lambda sender, **extra: session.rollback(), app, weak=False)
    draft = make_exercise(session, status=Status.DRAFT)
    open_one = make_exercise(session)

    def token(path: str, name: str = "csrf_token") -> str:
        page = client.get(path).get_data(as_text=True)
        found = re.search(rf'name="{name}"[^>]*value="([^"]+)"', page)
        assert found is not None, (path, name)
        return found.group(1)

    signed = client.post(
        "/sign-in",
        data={
            "email": officer.email,
            "password": DEFAULT_PASSWORD,
            "csrf_token": token("/sign-in"),
        },
    )
    assert signed.status_code == 302

    added = client.post(
        f"/mapping/{draft.slug}/options",
        data={
            "option-label": "Wider pavements",
            "option-csrf_token": token(f"/mapping/{draft.slug}/edit", "option-csrf_token"),
        },
    )
    assert added.status_code == 302
    answered = client.post(
        f"/mapping/{open_one.slug}/respond",
        data={**response_form(open_one), "csrf_token": token(f"/mapping/{open_one.slug}/respond")},
    )
    assert answered.status_code == 302
    refused = client.post(f"/mapping/{open_one.slug}/respond", data=response_form(open_one))
    assert refused.status_code == 400

    session.rollback()
    session.expire_all()
    assert [o.label for o in draft.options][-1] == "Wider pavements"
    assert stored_response(session, officer) is not None


def test_the_list_can_show_one_missions_exercises(client: FlaskClient, session: Session) -> None:
    ours = make_exercise(session, make_mission(session, slug="ours"))
    theirs = make_exercise(session, make_mission(session, slug="theirs"))
    ours.title, theirs.title = "Our question", "Someone else asks"
    session.commit()

    page = client.get("/mapping/?mission=ours").get_data(as_text=True)

    assert "Our question" in page
    assert "Someone else" not in page
    assert "Someone else" in client.get("/mapping/").get_data(as_text=True)
