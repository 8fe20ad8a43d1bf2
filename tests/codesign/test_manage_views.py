"""Officers' co-design pages through the test client: setting processes and rounds up, opening
and closing rounds, moderation, opinion jobs and syntheses, and who may use them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.codesign import moderation, services, syntheses
from engage.codesign.models import (
    CodesignProcess,
    Comment,
    Contribution,
    Moderation,
    PriorityMethod,
    Round,
    RoundKind,
    RoundStatus,
    Synthesis,
    Visibility,
)
from engage.extensions import db
from engage.jobs import Job
from engage.missions.models import Mission, StatementSource, StatementVersion
from engage.security import Role
from tests.codesign.conftest import address, audit_entries
from tests.conftest import AuthActions
from tests.factories import (
    make_comment,
    make_contribution,
    make_mission,
    make_process,
    make_round,
    make_user,
    make_votes,
)
from tests.missions.test_views import field_error, field_value, page_text, sign_in


@pytest.fixture
def mission(session: Session) -> Mission:
    return make_mission(
        session, title="Healthy Streets", slug="healthy-streets", statements=("Streets for all.",)
    )


@pytest.fixture
def signed_in(auth: AuthActions, officer: User) -> User:
    sign_in(auth, officer)
    return officer


def flashes(client: FlaskClient) -> list[str]:
    """The messages waiting for the next page, without following the redirect."""
    with client.session_transaction() as browser:
        return [message for _category, message in browser.get("_flashes", [])]


def reload(session: Session, model: Any, row_id: int) -> Any:
    session.rollback()
    return session.get(model, row_id)


def round_form(**changes: str) -> dict[str, str]:
    form = {
        "kind": "statements",
        "title": "Which statements do you agree with?",
        "prompt": "Vote on each statement about our streets.",
        "opens_at": "2030-01-01T09:00",
        "closes_at": "2030-02-01T17:00",
        "moderation": "after",
        "priority_method": "ranking",
        "points_budget": "",
        "items": "Cars should give way to people.\r\n\r\nEvery school needs a car-free street.\r\n",
    }
    form.update(changes)
    return form


# --- Processes ------------------------------------------------------------------------------------


def test_an_officer_creates_a_process_for_the_mission_they_came_from(
    app: Flask, client: FlaskClient, session: Session, signed_in: User, mission: Mission
) -> None:
    other = make_mission(session, title="Zero waste", slug="zero-waste")

    raw = client.get("/codesign/manage/new?mission=zero-waste").get_data(as_text=True)
    assert re.search(rf'<option selected value="{other.id}">Zero waste</option>', raw)

    response = client.post(
        "/codesign/manage/new",
        data={
            "mission_id": str(mission.id),
            "title": "Write the mission with residents",
            "description": "Three rounds.",
        },
    )

    assert response.status_code == 302
    session.rollback()
    process = session.scalars(sa.select(CodesignProcess)).one()
    assert response.headers["Location"] == address(app, "codesign.process", process_id=process.id)
    assert (process.mission_id, process.title, process.created_by_id) == (
        mission.id,
        "Write the mission with residents",
        signed_in.id,
    )
    [entry] = audit_entries(session, "codesign.process_created")
    assert entry.actor_id == signed_in.id


def test_a_process_without_a_title_comes_back_with_the_error_beside_it(
    client: FlaskClient, session: Session, signed_in: User, mission: Mission
) -> None:
    response = client.post(
        "/codesign/manage/new",
        data={"mission_id": str(mission.id), "title": "  ", "description": "Kept as typed."},
    )

    raw = response.get_data(as_text=True)
    assert "Give the process a title." in field_error(raw, "title")
    assert field_value(raw, "description") == "Kept as typed."
    session.rollback()
    assert session.scalars(sa.select(CodesignProcess)).all() == []


def test_editing_a_process_changes_its_wording(
    app: Flask, client: FlaskClient, session: Session, signed_in: User, mission: Mission
) -> None:
    process = make_process(session, mission, title="Old title")

    raw = client.get(f"/codesign/manage/{process.id}/edit").get_data(as_text=True)
    assert field_value(raw, "title") == "Old title"
    response = client.post(
        f"/codesign/manage/{process.id}/edit",
        data={"title": "New title", "description": "Now with a description."},
    )

    assert response.headers["Location"] == address(app, "codesign.process", process_id=process.id)
    saved = reload(session, CodesignProcess, process.id)
    assert (saved.title, saved.description) == ("New title", "Now with a description.")
    [entry] = audit_entries(session, "codesign.process_updated")
    assert entry.details["title"] == ["Old title", "New title"]


# --- Rounds ---------------------------------------------------------------------------------------


def test_a_statements_round_is_created_with_one_seed_statement_per_line(
    app: Flask, client: FlaskClient, session: Session, signed_in: User, mission: Mission
) -> None:
    process = make_process(session, mission)

    page = page_text(client.get(f"/codesign/manage/{process.id}/rounds/new"))
    assert "one at a time" in page  # each type of round is explained beside its choice
    response = client.post(f"/codesign/manage/{process.id}/rounds/new", data=round_form())

    assert response.status_code == 302
    session.rollback()
    round_ = session.scalars(sa.select(Round)).one()
    assert response.headers["Location"] == address(app, "codesign.round", round_id=round_.id)
    assert round_.kind is RoundKind.STATEMENTS
    assert round_.status is RoundStatus.DRAFT
    assert round_.opens_at == datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    assert round_.priority_method is None  # only a priorities round has one
    assert [item.text for item in services.seeded_items(session, round_.id)] == [
        "Cars should give way to people.",
        "Every school needs a car-free street.",
    ]


def test_a_draft_review_takes_paragraphs_separated_by_a_blank_line(
    client: FlaskClient, session: Session, signed_in: User, mission: Mission
) -> None:
    process = make_process(session, mission)
    draft = "By 2030 every street\nis healthy.\n\n  \nChildren walk to school."

    client.post(
        f"/codesign/manage/{process.id}/rounds/new",
        data=round_form(kind="draft_review", items=draft),
    )

    session.rollback()
    round_ = session.scalars(sa.select(Round)).one()
    assert [item.text for item in services.seeded_items(session, round_.id)] == [
        "By 2030 every street\nis healthy.",
        "Children walk to school.",
    ]


def test_an_invalid_round_comes_back_with_errors_beside_the_fields_and_what_was_typed(
    client: FlaskClient, session: Session, signed_in: User, mission: Mission
) -> None:
    process = make_process(session, mission)
    url = f"/codesign/manage/{process.id}/rounds/new"

    empty = client.post(url, data=round_form(title="", kind="")).get_data(as_text=True)
    assert "Give the round a title." in field_error(empty, "title")
    assert "Choose the type of round." in field_error(empty, "kind")
    assert "Cars should give way to people." in (field_value(empty, "items") or "")

    backwards = client.post(url, data=round_form(closes_at="2029-12-01T09:00"))
    raw = backwards.get_data(as_text=True)
    assert "The round must close after it opens." in field_error(raw, "closes_at")
    assert field_value(raw, "title") == "Which statements do you agree with?"
    assert field_value(raw, "closes_at") == "2029-12-01T09:00"

    no_budget = client.post(
        url, data=round_form(kind="priorities", priority_method="points", points_budget="")
    ).get_data(as_text=True)
    assert "how many points" in field_error(no_budget, "points_budget")
    assert re.search(r'<input checked[^>]*value="points"', no_budget)  # the choice is kept

    session.rollback()
    assert session.scalars(sa.select(Round)).all() == []


def test_round_times_are_typed_and_shown_in_the_citys_time_zone(make_app: Any) -> None:
    app = make_app(BABEL_DEFAULT_TIMEZONE="Europe/London")
    client = app.test_client()
    with app.app_context():
        officer = make_user(db.session, role=Role.OFFICER)
        round_ = make_round(
            db.session,
            status=RoundStatus.DRAFT,
            opens_at=datetime(2030, 7, 1, 8, 0, tzinfo=UTC),  # 09:00 in London (summer time)
            closes_at=datetime(2030, 8, 1, 16, 0, tzinfo=UTC),
        )
        round_id, email = round_.id, officer.email
    AuthActions(client).sign_in(email)

    raw = client.get(f"/codesign/manage/rounds/{round_id}/edit").get_data(as_text=True)
    assert field_value(raw, "opens_at") == "2030-07-01T09:00"

    fields = round_form(kind="ideas", opens_at="2030-07-01T10:30", closes_at="2030-08-01T17:00")
    assert client.post(f"/codesign/manage/rounds/{round_id}/edit", data=fields).status_code == 302
    with app.app_context():
        saved = db.session.get(Round, round_id)
        assert saved is not None
        assert saved.opens_at == datetime(2030, 7, 1, 9, 30, tzinfo=UTC)


def test_a_draft_round_is_edited_with_its_items_prefilled(
    client: FlaskClient, session: Session, signed_in: User
) -> None:
    round_ = make_round(
        session,
        kind=RoundKind.PRIORITIES,
        status=RoundStatus.DRAFT,
        items=("More trees", "Wider pavements"),
    )

    raw = client.get(f"/codesign/manage/rounds/{round_.id}/edit").get_data(as_text=True)
    assert field_value(raw, "items") == "More trees\nWider pavements"
    client.post(
        f"/codesign/manage/rounds/{round_.id}/edit",
        data=round_form(
            kind="priorities",
            priority_method="points",
            points_budget="100",
            items="More trees\nWider pavements\nSafe crossings",
        ),
    )

    saved = reload(session, Round, round_.id)
    assert (saved.priority_method, saved.points_budget) == (PriorityMethod.POINTS, 100)
    assert [item.text for item in services.seeded_items(session, round_.id)] == [
        "More trees",
        "Wider pavements",
        "Safe crossings",
    ]


def test_a_published_round_keeps_its_type_and_items_while_its_wording_changes(
    client: FlaskClient, session: Session, signed_in: User
) -> None:
    round_ = make_round(session, kind=RoundKind.STATEMENTS, items=("Cars should slow down.",))

    raw = client.get(f"/codesign/manage/rounds/{round_.id}/edit").get_data(as_text=True)
    assert field_value(raw, "items") is None  # not offered any more, only shown
    assert 'name="kind"' not in raw
    assert "Cars should slow down." in page_text(
        client.get(f"/codesign/manage/rounds/{round_.id}/edit")
    )
    response = client.post(
        f"/codesign/manage/rounds/{round_.id}/edit",
        data=round_form(kind="ideas", title="Reworded", items="Sneaked in"),
    )

    assert response.status_code == 302
    saved = reload(session, Round, round_.id)
    assert (saved.title, saved.kind) == ("Reworded", RoundKind.STATEMENTS)
    assert [item.text for item in services.seeded_items(session, round_.id)] == [
        "Cars should slow down."
    ]


def test_opening_then_closing_a_round(
    app: Flask, client: FlaskClient, session: Session, signed_in: User
) -> None:
    round_ = make_round(session, kind=RoundKind.STATEMENTS, status=RoundStatus.DRAFT, items=("A",))
    url = f"/codesign/manage/rounds/{round_.id}/status"

    client.post(url, data={"action": "publish"})  # no such button
    assert reload(session, Round, round_.id).status is RoundStatus.DRAFT
    assert flashes(client) == ["Nothing was changed. Use the Open or Close button on this page."]

    opened = client.post(url, data={"action": "open"})
    assert opened.headers["Location"] == address(app, "codesign.round", round_id=round_.id)
    assert reload(session, Round, round_.id).status is RoundStatus.OPEN

    closed = client.post(url, data={"action": "close"})
    assert closed.status_code == 302
    saved = reload(session, Round, round_.id)
    assert saved.status is RoundStatus.CLOSED
    assert saved.opinion_map is not None  # a small statements round's groups are stored at once
    assert [e.action for e in audit_entries(session, "codesign.round_closed")] == [
        "codesign.round_closed"
    ]


def test_a_round_that_cannot_open_stays_a_draft_and_says_why(
    client: FlaskClient, session: Session, signed_in: User
) -> None:
    round_ = make_round(
        session, kind=RoundKind.PRIORITIES, status=RoundStatus.DRAFT, items=("Only one",)
    )

    response = client.post(f"/codesign/manage/rounds/{round_.id}/status", data={"action": "open"})

    assert response.status_code == 302
    assert flashes(client) == ["Prepare at least 2 items before opening this round."]
    assert reload(session, Round, round_.id).status is RoundStatus.DRAFT


def test_moving_a_round_earlier_reorders_the_process(
    app: Flask, client: FlaskClient, session: Session, signed_in: User
) -> None:
    process = make_process(session)
    first = make_round(session, process, title="First")
    second = make_round(session, process, title="Second")

    response = client.post(f"/codesign/manage/rounds/{second.id}/move", data={"direction": "up"})

    assert response.headers["Location"] == address(app, "codesign.process", process_id=process.id)
    session.rollback()
    assert [r.title for r in reload(session, CodesignProcess, process.id).rounds] == [
        "Second",
        "First",
    ]
    assert reload(session, Round, first.id).position == 2


# --- Moderation -----------------------------------------------------------------------------------


def test_the_queue_shows_waiting_and_reported_items_with_the_reasons_given(
    client: FlaskClient, session: Session, signed_in: User
) -> None:
    round_ = make_round(session, moderation=Moderation.BEFORE)
    waiting = make_contribution(
        session, round_, title="Waiting idea", visibility=Visibility.PENDING
    )
    reported = make_contribution(session, round_, title="Reported idea")
    for reporter in (make_user(session) for _ in range(moderation.REPORTS_TO_HIDE)):
        moderation.report_contribution(session, reported.id, "Names a neighbour.", actor=reporter)
    make_contribution(session, round_, title="Ordinary idea")

    page = page_text(client.get(f"/codesign/manage/rounds/{round_.id}/moderation"))

    assert f"#{waiting.id} Waiting idea" in page
    assert f"#{reported.id} Reported idea" in page
    assert "Ordinary idea" not in page
    assert page.count("Names a neighbour.") == moderation.REPORTS_TO_HIDE
    assert "Hidden after reports, awaiting review" in page


def test_hiding_needs_a_public_reason_and_is_audited_then_restoring_shows_it_again(
    client: FlaskClient, session: Session, signed_in: User
) -> None:
    round_ = make_round(session)
    idea = make_contribution(session, round_, title="Rude idea")
    url = f"/codesign/manage/contributions/{idea.id}/moderate"

    refused = client.post(url, data={"action": "hide", "reason": ""})
    assert refused.status_code == 400
    raw = refused.get_data(as_text=True)
    assert "Give the reason people will see." in field_error(raw, f"contribution-{idea.id}-reason")
    assert reload(session, Contribution, idea.id).visibility is Visibility.VISIBLE

    hidden = client.post(url, data={"action": "hide", "reason": "Insults another resident."})
    assert hidden.headers["Location"] == f"/codesign/manage/rounds/{round_.id}/moderation"
    saved = reload(session, Contribution, idea.id)
    assert (saved.visibility, saved.moderation_reason) == (
        Visibility.HIDDEN,
        "Insults another resident.",
    )
    [entry] = audit_entries(session, "codesign.hide")
    assert entry.subject == f"codesign_contribution:{idea.id}"
    assert entry.details["reason"] == "Insults another resident."
    assert entry.actor_id == signed_in.id

    client.post(url, data={"action": "restore", "reason": "The author apologised."})
    assert reload(session, Contribution, idea.id).visibility is Visibility.VISIBLE
    assert len(audit_entries(session, "codesign.restore")) == 1


def test_approving_a_waiting_comment_publishes_it_and_a_next_page_is_followed_only_on_site(
    client: FlaskClient, session: Session, signed_in: User
) -> None:
    round_ = make_round(session, moderation=Moderation.BEFORE)
    idea = make_contribution(session, round_)
    first = make_comment(session, idea)
    second = make_comment(session, idea)
    for comment in (first, second):
        comment.visibility = Visibility.PENDING
    session.commit()
    back = f"/codesign/contributions/{idea.id}"

    response = client.post(
        f"/codesign/manage/comments/{first.id}/moderate",
        data={"action": "approve", "reason": "", "next": back},
    )
    assert response.headers["Location"] == back
    assert reload(session, Comment, first.id).visibility is Visibility.VISIBLE

    elsewhere = client.post(
        f"/codesign/manage/comments/{second.id}/moderate",
        data={"action": "approve", "next": "https://evil.example/"},
    )
    assert elsewhere.headers["Location"] == f"/codesign/manage/rounds/{round_.id}/moderation"


def test_a_refused_decision_is_explained_on_the_queue(
    client: FlaskClient, session: Session, signed_in: User
) -> None:
    round_ = make_round(session)
    idea = make_contribution(session, round_)  # published, so there is nothing to approve

    response = client.post(
        f"/codesign/manage/contributions/{idea.id}/moderate", data={"action": "approve"}
    )

    assert response.status_code == 400
    assert "Only a contribution waiting for approval can be approved." in page_text(response)


# --- Opinion groups -------------------------------------------------------------------------------


def test_computing_opinion_groups_sends_the_officer_to_the_job(
    app: Flask, client: FlaskClient, session: Session, signed_in: User
) -> None:
    round_ = make_round(session, kind=RoundKind.STATEMENTS, items=("A", "B"))

    response = client.post(f"/codesign/manage/rounds/{round_.id}/opinions")

    session.rollback()
    job = session.scalars(sa.select(Job)).one()
    assert response.headers["Location"] == address(app, "pages.job", job_id=job.id)
    assert (job.kind, job.params, job.created_by_id) == (
        services.OPINION_JOB,
        {"round_id": round_.id},
        signed_in.id,
    )


# --- Syntheses ------------------------------------------------------------------------------------


@pytest.fixture
def closed_round(session: Session, mission: Mission) -> Round:
    """A closed statements round with a resident's statement and a few votes."""
    process = make_process(session, mission)
    round_ = make_round(
        session,
        process,
        kind=RoundKind.STATEMENTS,
        status=RoundStatus.CLOSED,
        items=("Cars should give way to people.",),
    )
    [seed] = services.seeded_items(session, round_.id)
    statement = make_contribution(session, round_, text="Close my street to cars.")
    ada, bo, cy = (make_user(session) for _ in range(3))
    make_votes(
        session, round_, [(ada, seed, 1), (bo, seed, 1), (cy, seed, -1), (ada, statement, -1)]
    )
    return round_


def test_the_synthesis_page_lists_what_can_be_cited_with_its_votes(
    client: FlaskClient, session: Session, signed_in: User, closed_round: Round
) -> None:
    [seed] = services.seeded_items(session, closed_round.id)

    raw = client.get(f"/codesign/manage/rounds/{closed_round.id}/synthesis").get_data(as_text=True)

    assert field_value(raw, "statement") == "Streets for all."  # the mission's current statement
    row = re.search(rf"#{seed.id}</a></th>(.*?)</tr>", raw, re.DOTALL)
    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(1), re.DOTALL)
    assert cells[-2:] == ["2", "1"]  # agree, disagree
    assert "Close my street to cars." in raw


def test_saving_then_publishing_a_synthesis_with_a_new_statement_version(
    app: Flask, client: FlaskClient, session: Session, signed_in: User, closed_round: Round
) -> None:
    [seed] = services.seeded_items(session, closed_round.id)
    url = f"/codesign/manage/rounds/{closed_round.id}/synthesis"
    text = f"Most agreed that cars should give way (#{seed.id})."

    saved = client.post(url, data={"text": text, "action": "save"})
    assert saved.headers["Location"] == url
    assert field_value(client.get(url).get_data(as_text=True), "text") == text

    published = client.post(
        url,
        data={
            "text": text,
            "new_version": "y",
            "statement": "Streets for people first.",
            "action": "publish",
        },
    )

    assert published.headers["Location"] == address(app, "codesign.round", round_id=closed_round.id)
    assert reload(session, Round, closed_round.id).status is RoundStatus.SYNTHESISED
    synthesis = session.scalars(sa.select(Synthesis)).one()
    assert synthesis.published_at is not None
    version = session.get(StatementVersion, synthesis.statement_version_id)
    assert version is not None
    assert (version.text, version.rationale) == ("Streets for people first.", text)
    sources = session.scalars(
        sa.select(StatementSource).where(StatementSource.version_id == version.id)
    ).all()
    assert [(s.source_kind, s.source_id) for s in sources] == [
        (syntheses.CONTRIBUTION_SOURCE, seed.id)
    ]


def test_a_synthesis_citing_an_unknown_number_or_missing_its_statement_is_refused(
    client: FlaskClient, session: Session, signed_in: User, closed_round: Round
) -> None:
    url = f"/codesign/manage/rounds/{closed_round.id}/synthesis"

    unknown = client.post(url, data={"text": "See #999999.", "action": "publish"})
    raw = unknown.get_data(as_text=True)
    assert "#999999" in field_error(raw, "text")
    assert field_value(raw, "text") == "See #999999."

    no_statement = client.post(
        url, data={"text": "Plain.", "new_version": "y", "statement": "", "action": "publish"}
    )
    assert "Write the new statement" in field_error(
        no_statement.get_data(as_text=True), "statement"
    )

    assert reload(session, Round, closed_round.id).status is RoundStatus.CLOSED
    assert session.scalars(sa.select(Synthesis)).all() == []


def test_an_open_round_has_no_synthesis_to_write_yet(
    client: FlaskClient, session: Session, signed_in: User
) -> None:
    round_ = make_round(session)
    url = f"/codesign/manage/rounds/{round_.id}/synthesis"

    page = page_text(client.get(url))
    refused = client.post(url, data={"text": "Too early.", "action": "publish"})

    assert "A synthesis is written once the round is closed." in page
    assert 'name="text"' not in page
    assert refused.status_code == 200
    assert reload(session, Round, round_.id).status is RoundStatus.OPEN
    assert session.scalars(sa.select(Synthesis)).all() == []


def test_a_draft_review_synthesis_starts_from_the_draft(
    client: FlaskClient, session: Session, signed_in: User
) -> None:
    round_ = make_round(
        session,
        kind=RoundKind.DRAFT_REVIEW,
        status=RoundStatus.CLOSED,
        items=("First paragraph.", "Second paragraph."),
    )

    raw = client.get(f"/codesign/manage/rounds/{round_.id}/synthesis").get_data(as_text=True)

    assert field_value(raw, "statement") == "First paragraph.\n\nSecond paragraph."


# --- Who may use these pages ----------------------------------------------------------------------

ROUTES = [
    ("GET", "/codesign/manage/new"),
    ("POST", "/codesign/manage/new"),
    ("GET", "/codesign/manage/{process}/edit"),
    ("POST", "/codesign/manage/{process}/edit"),
    ("GET", "/codesign/manage/{process}/rounds/new"),
    ("POST", "/codesign/manage/{process}/rounds/new"),
    ("GET", "/codesign/manage/rounds/{round}/edit"),
    ("POST", "/codesign/manage/rounds/{round}/edit"),
    ("POST", "/codesign/manage/rounds/{round}/status"),
    ("POST", "/codesign/manage/rounds/{round}/move"),
    ("GET", "/codesign/manage/rounds/{round}/moderation"),
    ("POST", "/codesign/manage/contributions/{contribution}/moderate"),
    ("POST", "/codesign/manage/comments/{comment}/moderate"),
    ("POST", "/codesign/manage/rounds/{round}/opinions"),
    ("GET", "/codesign/manage/rounds/{round}/synthesis"),
    ("POST", "/codesign/manage/rounds/{round}/synthesis"),
]


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_residents_cannot_use_the_officers_pages(
    client: FlaskClient, auth: AuthActions, session: Session, method: str, route: str
) -> None:
    round_ = make_round(session, kind=RoundKind.STATEMENTS, items=("A",))
    idea = make_contribution(session, round_, visibility=Visibility.PENDING)
    comment = make_comment(session, idea)
    url = route.format(
        process=round_.process_id, round=round_.id, contribution=idea.id, comment=comment.id
    )
    sign_in(auth, make_user(session))

    response = client.open(url, method=method, data={"action": "open", "direction": "up"})

    assert response.status_code == 403
    assert reload(session, Round, round_.id).status is RoundStatus.OPEN
    assert reload(session, Contribution, idea.id).visibility is Visibility.PENDING


def test_people_not_signed_in_are_sent_to_sign_in(client: FlaskClient, session: Session) -> None:
    response = client.get("/codesign/manage/new")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
