"""Community-appraisal pages through the test client: areas, instruments and criteria for
officers, residents appraising an area, facilitators entering a workshop group's scores, the
results and who may see them, and odd input."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.appraisals.models import Appraisal, AppraisalKind, Area, Criterion, Instrument, Status
from engage.audit import AuditEntry
from engage.missions.models import Mission, MissionStatus
from engage.security import Role
from tests.conftest import AuthActions
from tests.factories import make_appraisal, make_area, make_instrument, make_mission, make_user
from tests.missions.test_views import field_error, field_value, page_text, sign_in


@pytest.fixture
def mission(session: Session) -> Mission:
    return make_mission(session, title="Healthy Streets", slug="healthy-streets")


@pytest.fixture
def area(session: Session, mission: Mission) -> Area:
    return make_area(session, mission, name="Kentish Town")


@pytest.fixture
def instrument(session: Session, mission: Mission, area: Area) -> Instrument:
    """Open, three criteria on 1-7 (Moving around, Public transport, Streets and spaces)."""
    return make_instrument(session, mission)


def flashes(client: FlaskClient) -> list[str]:
    """The messages waiting for the next page (taken, so the next call sees only new ones)."""
    with client.session_transaction() as browser:
        return [message for _category, message in browser.pop("_flashes", [])]


def words(response: Any) -> str:
    """What a person reads on the page: the text without tags, spaces collapsed."""
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(text).split())


def checked(page: str, name: str) -> list[str]:
    """The values of the checked radio buttons called ``name``."""
    return [
        re.search(r'value="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
        for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)
        if "checked" in tag
    ]


def scores_form(instrument: Instrument, area: Area, *scores: int, **extra: str) -> dict[str, str]:
    given = scores or (4,) * len(instrument.criteria)
    form = {"area_id": str(area.id), "client_id": str(uuid.uuid4())}
    for criterion, score in zip(instrument.criteria, given, strict=True):
        form[f"score_{criterion.id}"] = str(score)
        form[f"justification_{criterion.id}"] = f"Because of {criterion.label.lower()}."
    form.update(extra)
    return form


def appraisals(session: Session) -> list[Appraisal]:
    session.rollback()
    return list(session.scalars(sa.select(Appraisal).order_by(Appraisal.id)))


def audit_actions(session: Session) -> list[str]:
    session.rollback()
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


# --- The index and an instrument's page -------------------------------------------------------


def test_the_index_lists_what_the_public_may_see(
    client: FlaskClient, session: Session, auth: AuthActions, officer: User, mission: Mission
) -> None:
    make_instrument(session, mission, status=Status.OPEN).title = "Open one"
    make_instrument(session, mission, status=Status.DRAFT).title = "Draft one"
    session.commit()

    public = page_text(client.get("/appraisals/"))
    assert "Open one" in public and "Draft one" not in public
    assert "Make an appraisal instrument" not in public

    sign_in(auth, officer)
    staff = page_text(client.get("/appraisals/"))
    assert "Open one" in staff and "Draft one" in staff
    assert "Make an appraisal instrument" in staff


def test_an_instruments_page_shows_its_questions_and_scale(
    client: FlaskClient, session: Session, auth: AuthActions, resident: User, instrument: Instrument
) -> None:
    page = page_text(client.get(f"/appraisals/{instrument.slug}"))

    assert "How good is it for Moving around?" in page
    assert "1 means “A lot of room for improvement”." in page
    assert "7 means “Very little room for improvement”." in page
    assert "Sign in to appraise an area" in page
    assert "See the results" not in page  # not while it is open

    sign_in(auth, resident)
    page = page_text(client.get(f"/appraisals/{instrument.slug}"))
    assert f'href="/appraisals/{instrument.slug}/appraise"' in page
    assert "Enter a workshop group's appraisal" not in page
    assert "Running this appraisal" not in page


def test_drafts_and_instruments_of_draft_missions_are_not_found_by_the_public(
    client: FlaskClient, session: Session, auth: AuthActions, officer: User, mission: Mission
) -> None:
    draft = make_instrument(session, mission, status=Status.DRAFT)
    hidden = make_instrument(
        session, make_mission(session, status=MissionStatus.DRAFT), status=Status.OPEN
    )

    for slug in (draft.slug, hidden.slug, "no-such-thing"):
        assert client.get(f"/appraisals/{slug}").status_code == 404
        assert client.get(f"/appraisals/{slug}/results").status_code == 404
    sign_in(auth, officer)
    assert client.get(f"/appraisals/{draft.slug}").status_code == 200


# --- Making and running an instrument ---------------------------------------------------------


def test_an_officer_starts_from_the_place_standard(
    client: FlaskClient, session: Session, auth: AuthActions, officer: User, mission: Mission
) -> None:
    sign_in(auth, officer)
    raw = client.get("/appraisals/new?mission=healthy-streets").get_data(as_text=True)
    assert re.search(rf'<option selected value="{mission.id}">Healthy Streets</option>', raw)
    assert (
        "NHS Health Scotland, Architecture and Design Scotland and the Scottish Government" in raw
    )
    assert field_value(raw, "title") == "How good is our place? (Place Standard)"
    assert checked(raw, "start") == ["place_standard"]

    response = client.post(
        "/appraisals/new",
        data={
            "mission_id": str(mission.id),
            "start": "place_standard",
            "title": "How good is Kentish Town?",
            "description": "",
            "scale_min": "1",
            "scale_max": "7",
            "low_label": "",
            "high_label": "",
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/appraisals/how-good-is-kentish-town"
    session.rollback()
    instrument = session.scalars(sa.select(Instrument)).one()
    assert len(instrument.criteria) == 14
    assert instrument.status is Status.DRAFT
    page = page_text(client.get(response.headers["Location"]))
    assert "Influence and sense of control" in page
    assert "Based on the Place Standard tool by NHS Health Scotland" in page
    assert audit_actions(session) == ["appraisals.instrument_created"]


def test_the_new_instrument_form_shows_errors_beside_fields_and_keeps_values(
    client: FlaskClient, session: Session, auth: AuthActions, officer: User, mission: Mission
) -> None:
    sign_in(auth, officer)
    form = {
        "mission_id": str(mission.id),
        "start": "blank",
        "title": "",
        "description": "What we want to know.",
        "scale_min": "5",
        "scale_max": "3",
        "low_label": "Bad",
        "high_label": "Good",
    }

    page = page_text(client.post("/appraisals/new", data=form))

    assert field_error(page, "title") == "Give the instrument a title."
    assert field_value(page, "description") == "What we want to know."
    assert field_value(page, "low_label") == "Bad"

    page = page_text(client.post("/appraisals/new", data=form | {"title": "Our place"}))
    assert (
        field_error(page, "scale_max") == "The highest point of the scale must be above the lowest."
    )
    assert field_value(page, "scale_min") == "5"

    page = page_text(
        client.post("/appraisals/new", data=form | {"title": "Our place", "scale_min": "one"})
    )
    assert field_error(page, "scale_min")
    page = page_text(
        client.post(
            "/appraisals/new",
            data=form
            | {"title": "Ours", "start": "place_standard", "scale_min": "0", "scale_max": "10"},
        )
    )
    assert "Place Standard is scored from 1 to 7" in field_error(page, "scale_min")
    page = page_text(
        client.post(
            "/appraisals/new", data=form | {"title": "Ours", "start": "wizard", "mission_id": "x"}
        )
    )
    assert field_error(page, "start") == "Choose how to start."
    assert field_error(page, "mission_id")
    session.rollback()
    assert session.scalars(sa.select(Instrument)).all() == []


def test_an_officer_edits_an_instrument_but_not_its_scale_once_appraised(
    client: FlaskClient,
    session: Session,
    auth: AuthActions,
    officer: User,
    instrument: Instrument,
    area: Area,
) -> None:
    make_appraisal(session, instrument, area, [3, 4, 5])
    sign_in(auth, officer)
    form = {
        "title": "Our place",
        "description": "",
        "scale_min": "1",
        "scale_max": "5",
        "low_label": "Poor",
        "high_label": "Great",
    }

    page = page_text(client.post(f"/appraisals/{instrument.slug}/edit", data=form))
    assert (
        field_error(page, "scale_min")
        == "The scale cannot change once people have appraised with it."
    )
    assert field_value(page, "title") == "Our place"

    response = client.post(f"/appraisals/{instrument.slug}/edit", data=form | {"scale_max": "7"})
    assert response.status_code == 302
    session.rollback()
    session.refresh(instrument)
    assert (instrument.title, instrument.high_label, instrument.scale_max) == (
        "Our place",
        "Great",
        7,
    )


def test_an_officer_manages_the_criteria(
    client: FlaskClient, session: Session, auth: AuthActions, officer: User, mission: Mission
) -> None:
    instrument = make_instrument(session, mission, status=Status.DRAFT)
    first, second, third = (c.id for c in instrument.criteria)
    slug = instrument.slug
    sign_in(auth, officer)

    page = page_text(
        client.post(f"/appraisals/{slug}/criteria/new", data={"label": "Trees", "question": ""})
    )
    assert field_error(page, "question") == "Write the question people answer."
    assert field_value(page, "label") == "Trees"
    assert (
        client.post(
            f"/appraisals/{slug}/criteria/new",
            data={"label": "Trees", "question": "Are there enough trees?", "hint": "Street trees."},
        ).status_code
        == 302
    )
    assert client.get(f"/appraisals/{slug}/criteria/{first}/edit").status_code == 200
    assert (
        client.post(
            f"/appraisals/{slug}/criteria/{second}/edit",
            data={"label": "Buses", "question": "Do buses meet my needs?", "hint": ""},
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"/appraisals/{slug}/criteria/{second}/move", data={"direction": "up"}
        ).status_code
        == 302
    )
    assert client.post(f"/appraisals/{slug}/criteria/{third}/delete").status_code == 302
    client.post(f"/appraisals/{slug}/criteria/{first}/move", data={"direction": "sideways"})
    assert flashes(client)[-1] == "Nothing was changed. Use the Move up or Move down button."

    session.rollback()
    labels = list(
        session.scalars(
            sa.select(Criterion.label)
            .where(Criterion.instrument_id == instrument.id)
            .order_by(Criterion.position)
        )
    )
    assert labels == ["Buses", "Moving around", "Trees"]


def test_criteria_of_another_instrument_or_unknown_ids_are_not_found(
    client: FlaskClient,
    session: Session,
    auth: AuthActions,
    officer: User,
    mission: Mission,
    instrument: Instrument,
) -> None:
    other = make_instrument(session, mission)
    sign_in(auth, officer)
    foreign = other.criteria[0].id

    assert client.get(f"/appraisals/{instrument.slug}/criteria/{foreign}/edit").status_code == 404
    assert (
        client.post(f"/appraisals/{instrument.slug}/criteria/{foreign}/delete").status_code == 404
    )
    assert (
        client.post(
            f"/appraisals/{instrument.slug}/criteria/{foreign}/move", data={"direction": "up"}
        ).status_code
        == 404
    )
    assert client.get(f"/appraisals/{instrument.slug}/criteria/99999999999/edit").status_code == 404
    assert client.get(f"/appraisals/{instrument.slug}/criteria/abc/edit").status_code == 404
    assert client.get("/appraisals/nothing/criteria/new").status_code == 404


def test_deleting_a_criterion_once_appraised_is_refused_with_a_reason(
    client: FlaskClient,
    session: Session,
    auth: AuthActions,
    officer: User,
    instrument: Instrument,
    area: Area,
) -> None:
    make_appraisal(session, instrument, area, [3, 4, 5])
    sign_in(auth, officer)

    page = page_text(client.get(f"/appraisals/{instrument.slug}"))
    assert "1 appraisal so far." in page
    assert f"/criteria/{instrument.criteria[0].id}/delete" not in page
    client.post(f"/appraisals/{instrument.slug}/criteria/{instrument.criteria[0].id}/delete")

    assert flashes(client) == [
        "Criteria cannot be deleted once people have appraised with the instrument."
    ]
    session.rollback()
    assert len(instrument.criteria) == 3


def test_opening_and_closing_an_instrument(
    client: FlaskClient, session: Session, auth: AuthActions, officer: User, mission: Mission
) -> None:
    instrument = make_instrument(session, mission, status=Status.DRAFT)
    sign_in(auth, officer)

    client.post(f"/appraisals/{instrument.slug}/status", data={"action": "open"})
    assert flashes(client) == [
        "Add at least one area to the mission before opening: appraisals are of an area."
    ]
    make_area(session, mission)
    client.post(f"/appraisals/{instrument.slug}/status", data={"action": "open"})
    assert flashes(client) == ["Instrument opened. Residents can appraise their areas now."]
    client.post(f"/appraisals/{instrument.slug}/status", data={"action": "close"})
    client.post(f"/appraisals/{instrument.slug}/status", data={"action": "close"})
    client.post(f"/appraisals/{instrument.slug}/status", data={"action": "explode"})

    assert flashes(client) == [
        "Instrument closed. Its results are now public.",
        "Only an open instrument can be closed.",
        "Nothing was changed. Use the Open or Close button on this page.",
    ]
    session.rollback()
    session.refresh(instrument)
    assert instrument.status is Status.CLOSED
    assert client.post("/appraisals/nothing/status", data={"action": "open"}).status_code == 404


# --- Appraising -------------------------------------------------------------------------------


def test_a_resident_appraises_an_area(
    client: FlaskClient,
    session: Session,
    auth: AuthActions,
    resident: User,
    instrument: Instrument,
    area: Area,
) -> None:
    sign_in(auth, resident)
    raw = client.get(f"/appraisals/{instrument.slug}/appraise?area={area.id}").get_data(
        as_text=True
    )
    # One fieldset per criterion, its legend the criterion, a radio for each point of the scale.
    assert raw.count('<fieldset class="field-group criterion"') == 3
    assert "<legend>Moving around</legend>" in raw
    criterion = instrument.criteria[0].id
    assert (
        len(re.findall(rf'<input[^>]*type="radio"[^>]*name="score_{criterion}"', raw))
        + len(re.findall(rf'<input[^>]*name="score_{criterion}"[^>]*type="radio"', raw))
        == 7
    )
    assert "1 (A lot of room for improvement)" in html.unescape(raw)
    assert re.search(rf'<option selected value="{area.id}">Kentish Town</option>', raw)

    form = scores_form(instrument, area, 2, 5, 7)
    response = client.post(f"/appraisals/{instrument.slug}/appraise", data=form)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/appraisals/{instrument.slug}"
    assert flashes(client) == ["Thank you. Your appraisal of Kentish Town is saved."]
    [stored] = appraisals(session)
    assert (stored.author_id, stored.area_id, stored.kind, stored.participants) == (
        resident.id, area.id, AppraisalKind.INDIVIDUAL, 1,
    )  # fmt: skip
    assert sorted(s.score for s in stored.scores) == [2, 5, 7]
    # The same form sent again (a double click) stores nothing new.
    assert client.post(f"/appraisals/{instrument.slug}/appraise", data=form).status_code == 302
    assert len(appraisals(session)) == 1
    # A new form is a new appraisal: the results count the latest.
    assert (
        client.post(
            f"/appraisals/{instrument.slug}/appraise", data=scores_form(instrument, area)
        ).status_code
        == 302
    )
    assert len(appraisals(session)) == 2


def test_errors_show_beside_each_criterion_with_what_was_typed_kept(
    client: FlaskClient,
    session: Session,
    auth: AuthActions,
    resident: User,
    instrument: Instrument,
    area: Area,
) -> None:
    sign_in(auth, resident)
    first, second, third = (c.id for c in instrument.criteria)
    form = scores_form(instrument, area, 2, 5, 7)
    del form[f"score_{first}"]
    form[f"justification_{second}"] = "   "
    form[f"justification_{third}"] = "Lovely <b>squares</b>."
    form[f"score_{third}"] = "9"

    response = client.post(f"/appraisals/{instrument.slug}/appraise", data=form)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert field_error(page, f"score_{first}") == "Choose a score."
    assert field_error(page, f"justification_{first}") == ""
    assert field_value(page, f"justification_{first}") == "Because of moving around."
    assert field_error(page, f"justification_{second}") == "Say why you gave this score."
    assert checked(page, f"score_{second}") == ["5"]
    assert field_error(page, f"score_{third}") == "Choose a score."
    assert field_value(page, f"justification_{third}") == "Lovely <b>squares</b>."
    assert "<b>squares</b>" not in page  # escaped
    assert field_value(page, "client_id") == form["client_id"]
    assert re.search(rf'<option selected value="{area.id}">', page)
    assert '<div class="error-summary"' in page
    assert appraisals(session) == []


def test_the_area_must_be_chosen_from_the_missions(
    client: FlaskClient,
    session: Session,
    auth: AuthActions,
    resident: User,
    instrument: Instrument,
    area: Area,
) -> None:
    elsewhere = make_area(session, make_mission(session), name="Elsewhere")
    sign_in(auth, resident)

    for area_id in ("", str(elsewhere.id), "abc", "99999999999999"):
        page = page_text(
            client.post(
                f"/appraisals/{instrument.slug}/appraise",
                data=scores_form(instrument, area, area_id=area_id),
            )
        )
        assert field_error(page, "area_id") == "Choose the area you are appraising.", area_id
    assert appraisals(session) == []


def test_a_forged_form_id_or_huge_score_is_refused_without_a_crash(
    client: FlaskClient,
    session: Session,
    auth: AuthActions,
    resident: User,
    instrument: Instrument,
    area: Area,
) -> None:
    sign_in(auth, resident)
    criterion = instrument.criteria[0].id

    page = page_text(
        client.post(
            f"/appraisals/{instrument.slug}/appraise",
            data=scores_form(instrument, area, client_id="nope"),
        )
    )
    assert "This form could not be recognised." in page
    huge = scores_form(instrument, area) | {f"score_{criterion}": "9" * 40}
    page = page_text(client.post(f"/appraisals/{instrument.slug}/appraise", data=huge))
    assert field_error(page, f"score_{criterion}") == "Choose a score."
    assert appraisals(session) == []


def test_appraising_needs_an_account_and_an_open_instrument(
    client: FlaskClient,
    session: Session,
    auth: AuthActions,
    resident: User,
    mission: Mission,
    instrument: Instrument,
    area: Area,
) -> None:
    response = client.get(f"/appraisals/{instrument.slug}/appraise")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]
    assert (
        client.post(
            f"/appraisals/{instrument.slug}/appraise", data=scores_form(instrument, area)
        ).status_code
        == 302
    )
    assert appraisals(session) == []

    closed = make_instrument(session, mission, status=Status.CLOSED)
    sign_in(auth, resident)
    page = page_text(client.get(f"/appraisals/{closed.slug}/appraise"))
    assert "This appraisal is not open" in page
    assert (
        client.post(
            f"/appraisals/{closed.slug}/appraise", data=scores_form(closed, area)
        ).status_code
        == 200
    )
    assert appraisals(session) == []


def test_a_facilitator_enters_a_workshop_groups_scores(
    client: FlaskClient,
    session: Session,
    auth: AuthActions,
    officer: User,
    instrument: Instrument,
    area: Area,
) -> None:
    sign_in(auth, officer)
    assert "How many people agreed these scores" in page_text(
        client.get(f"/appraisals/{instrument.slug}/group")
    )

    page = page_text(
        client.post(
            f"/appraisals/{instrument.slug}/group",
            data=scores_form(instrument, area, group_name="", participants="1"),
        )
    )
    assert (
        field_error(page, "group_name") == "Name the group (such as the workshop's place and date)."
    )
    assert field_error(page, "participants") == "A group has from 2 to 500 people."
    assert appraisals(session) == []

    response = client.post(
        f"/appraisals/{instrument.slug}/group",
        data=scores_form(
            instrument, area, 3, 3, 6, group_name="Library workshop", participants="14"
        ),
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"/appraisals/{instrument.slug}/group"
    [stored] = appraisals(session)
    assert (stored.kind, stored.group_name, stored.participants, stored.author_id) == (
        AppraisalKind.GROUP, "Library workshop", 14, officer.id,
    )  # fmt: skip
    assert audit_actions(session) == ["appraisals.group_appraisal_entered"]


def test_residents_cannot_enter_a_groups_scores(
    client: FlaskClient,
    session: Session,
    auth: AuthActions,
    resident: User,
    instrument: Instrument,
    area: Area,
) -> None:
    sign_in(auth, resident)

    assert client.get(f"/appraisals/{instrument.slug}/group").status_code == 403
    form = scores_form(instrument, area, group_name="Us", participants="3")
    assert client.post(f"/appraisals/{instrument.slug}/group", data=form).status_code == 403
    assert appraisals(session) == []


# --- Results ----------------------------------------------------------------------------------


def test_results_are_for_staff_while_open_and_for_everyone_once_closed(
    client: FlaskClient,
    session: Session,
    auth: AuthActions,
    officer: User,
    resident: User,
    instrument: Instrument,
    area: Area,
) -> None:
    make_appraisal(session, instrument, area, [3, 4, 5], author=resident)
    address = f"/appraisals/{instrument.slug}/results"

    assert client.get(address).status_code == 403
    sign_in(auth, resident)
    assert client.get(address).status_code == 403
    auth.sign_out()
    evaluator = make_user(session, role=Role.EVALUATOR)
    sign_in(auth, evaluator)
    assert client.get(address).status_code == 200
    auth.sign_out()

    instrument.status = Status.CLOSED
    session.commit()
    page = page_text(client.get(address))
    assert "Only staff see these results" not in page
    assert "Median score per area" in page


def test_the_results_page_shows_the_compass_its_table_the_spread_and_the_reasons(
    client: FlaskClient,
    session: Session,
    instrument: Instrument,
    mission: Mission,
    area: Area,
    officer: User,
) -> None:
    gospel_oak = make_area(session, mission, name="Gospel Oak")
    make_area(session, mission, name="Somers Town")
    rosa = make_user(session, display_name="Rosa Resident")
    make_appraisal(session, instrument, area, [5, 4, 7], author=rosa)
    make_appraisal(session, instrument, area, [3, 2, 6], participants=12, author=officer)
    make_appraisal(session, instrument, gospel_oak, [1, 2, 3])
    instrument.status = Status.CLOSED
    session.commit()

    response = client.get(f"/appraisals/{instrument.slug}/results?area={area.id}")

    assert response.status_code == 200
    raw = response.get_data(as_text=True)
    page = html.unescape(raw)
    # The chart: an image with a title and a description, an axis per criterion, a shape per area
    # in its own colour and dash pattern.
    svg = re.search(r"<svg[^>]*role=\"img\"[^>]*>.*?</svg>", raw, re.DOTALL)
    assert svg is not None
    assert 'aria-labelledby="compass-title"' in svg.group(0)
    assert '<title id="compass-title">' in svg.group(0)
    assert '<desc id="compass-desc">' in svg.group(0)
    assert svg.group(0).count('class="compass-axis"') == 3
    shapes = re.findall(
        r'<polygon points="[^"]*" fill="([^"]+)"[^>]*stroke-dasharray="([^"]+)"', svg.group(0)
    )
    assert len(shapes) == 2 and shapes[0] != shapes[1]
    assert shapes[0][0] != shapes[1][0] and shapes[0][1] != shapes[1][1]
    # The table behind it: medians per question and area.
    assert "Gospel Oak" in page and "Kentish Town" in page
    assert "Not appraised yet: Somers Town" in page
    # Kentish Town, moving around: the median of 5 and 3, from a resident and a group of 12.
    assert "4 (2 appraisals, 13 people)" in words(response)
    # The spread and the reasons for the chosen area, residents unnamed.
    assert "In detail: Kentish Town" in page
    assert "Scored 7" in page
    assert "Because 5." in page and "Because 3." in page
    assert "Group: Community centre workshop (12 people)" in page
    assert "Resident" in page and "Rosa" not in page
    assert "A workshop group's agreed score counts once" in page


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?area=abc", 200),
        ("?area=", 200),
        ("?area=-1", 404),
        ("?area=99999999999999999999", 404),
        ("?all=yes", 200),
    ],
)
def test_odd_results_queries_never_crash(
    client: FlaskClient,
    session: Session,
    auth: AuthActions,
    officer: User,
    instrument: Instrument,
    area: Area,
    query: str,
    status: int,
) -> None:
    make_appraisal(session, instrument, area, [3, 4, 5])
    sign_in(auth, officer)

    assert client.get(f"/appraisals/{instrument.slug}/results{query}").status_code == status


def test_reasons_are_capped_until_show_all(
    client: FlaskClient,
    session: Session,
    auth: AuthActions,
    officer: User,
    instrument: Instrument,
    area: Area,
) -> None:
    for _n in range(12):
        make_appraisal(session, instrument, area, [4, 4, 4])
    sign_in(auth, officer)

    page = page_text(client.get(f"/appraisals/{instrument.slug}/results?area={area.id}"))
    assert page.count("Because 4.") == 30  # ten per criterion
    assert "Show all 12 reasons" in page
    page = page_text(client.get(f"/appraisals/{instrument.slug}/results?area={area.id}&all=1"))
    assert page.count("Because 4.") == 36
    assert "Show all 12 reasons" not in page


def test_user_text_is_escaped_on_every_page(
    client: FlaskClient,
    session: Session,
    auth: AuthActions,
    officer: User,
    mission: Mission,
    area: Area,
) -> None:
    instrument = make_instrument(session, mission, criteria=("<script>alert(1)</script>",))
    make_appraisal(session, instrument, area, [4], author=officer)
    area.name = "<i>Town</i>"
    session.commit()
    sign_in(auth, officer)

    for address in (
        "",
        "/appraise",
        "/group",
        "/results",
        f"/criteria/{instrument.criteria[0].id}/edit",
    ):
        raw = client.get(f"/appraisals/{instrument.slug}{address}").get_data(as_text=True)
        assert "<script>alert(1)</script>" not in raw, address
        assert "<i>Town</i>" not in raw, address


# --- Areas ------------------------------------------------------------------------------------


def test_an_officer_adds_edits_and_deletes_areas(
    client: FlaskClient, session: Session, auth: AuthActions, officer: User, mission: Mission
) -> None:
    sign_in(auth, officer)
    assert "Healthy Streets" in page_text(client.get("/appraisals/areas"))
    assert "Healthy Streets" in page_text(client.get("/appraisals/areas?mission=%00"))
    assert "This mission has no areas yet" in page_text(
        client.get("/appraisals/areas?mission=healthy-streets")
    )

    form = {
        "name": "Gospel Oak",
        "description": "",
        "west": "-0.16",
        "south": "",
        "east": "",
        "north": "",
    }
    page = page_text(client.post("/appraisals/areas/new?mission=healthy-streets", data=form))
    assert field_error(page, "south") == "Give all four sides of the box, or none of them."
    assert field_value(page, "west") == "-0.16"
    page = page_text(
        client.post(
            "/appraisals/areas/new?mission=healthy-streets",
            data=form | {"south": "95", "east": "x", "north": "nan"},
        )
    )
    assert field_error(page, "south") == "Give a number of degrees between -90 and 90."
    assert field_error(page, "east")
    assert field_error(page, "north")

    response = client.post(
        "/appraisals/areas/new?mission=healthy-streets",
        data=form | {"south": "51.55", "east": "-0.14", "north": "51.56"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/appraisals/areas?mission=healthy-streets"
    session.rollback()
    area = session.scalars(sa.select(Area)).one()
    assert (area.name, area.west, area.north) == ("Gospel Oak", -0.16, 51.56)
    assert "Gospel Oak" in page_text(client.get("/appraisals/areas?mission=healthy-streets"))

    edit = client.post(
        f"/appraisals/areas/{area.id}/edit",
        data={
            "name": "Gospel Oak estate",
            "description": "",
            "west": "",
            "south": "",
            "east": "",
            "north": "",
        },
    )
    assert edit.status_code == 302
    session.rollback()
    session.refresh(area)
    assert (area.name, area.west) == ("Gospel Oak estate", None)

    assert client.post(f"/appraisals/areas/{area.id}/delete").status_code == 302
    assert flashes(client)[-1] == "Area deleted."
    session.rollback()
    assert session.scalars(sa.select(Area)).all() == []
    assert audit_actions(session) == [
        "appraisals.area_created", "appraisals.area_updated", "appraisals.area_deleted",
    ]  # fmt: skip


def test_an_area_with_appraisals_is_kept_with_a_reason(
    client: FlaskClient,
    session: Session,
    auth: AuthActions,
    officer: User,
    instrument: Instrument,
    area: Area,
) -> None:
    make_appraisal(session, instrument, area, [3, 4, 5])
    sign_in(auth, officer)

    response = client.post(f"/appraisals/areas/{area.id}/delete")

    assert response.headers["Location"] == f"/appraisals/areas/{area.id}/edit"
    assert flashes(client) == [
        "This area cannot be deleted while appraisals are about it (1 in all): they would be "
        "lost. Rename it instead if it has changed."
    ]
    session.rollback()
    assert session.get(Area, area.id) is not None


@pytest.mark.parametrize(
    "address",
    [
        "/appraisals/areas?mission=nowhere",
        "/appraisals/areas/new",
        "/appraisals/areas/99999/edit",
        "/appraisals/areas/99999999999999/edit",
    ],
)
def test_unknown_missions_and_areas_are_not_found(
    client: FlaskClient, auth: AuthActions, officer: User, address: str
) -> None:
    sign_in(auth, officer)

    assert client.get(address).status_code == 404


@pytest.mark.parametrize(
    ("method", "address"),
    [
        ("get", "/appraisals/areas"),
        ("get", "/appraisals/areas/new?mission=healthy-streets"),
        ("post", "/appraisals/areas/new?mission=healthy-streets"),
        ("get", "/appraisals/new"),
        ("post", "/appraisals/new"),
        ("get", "/appraisals/{slug}/edit"),
        ("post", "/appraisals/{slug}/status"),
        ("get", "/appraisals/{slug}/criteria/new"),
        ("post", "/appraisals/{slug}/criteria/{criterion}/delete"),
        ("post", "/appraisals/areas/{area}/delete"),
    ],
)
def test_officer_pages_refuse_residents_and_send_visitors_to_sign_in(
    client: FlaskClient,
    session: Session,
    auth: AuthActions,
    resident: User,
    instrument: Instrument,
    area: Area,
    method: str,
    address: str,
) -> None:
    url = address.format(slug=instrument.slug, criterion=instrument.criteria[0].id, area=area.id)
    before = (len(instrument.criteria), len(appraisals(session)))

    visitor: Any = getattr(client, method)(url)
    assert visitor.status_code == 302 and "/sign-in" in visitor.headers["Location"]
    sign_in(auth, resident)
    assert getattr(client, method)(url).status_code == 403

    session.rollback()
    assert session.get(Area, area.id) is not None
    assert (len(instrument.criteria), len(appraisals(session))) == before
