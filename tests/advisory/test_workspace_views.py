"""The members' workspace and the group's recommendations through the test client: who may use
the workspace, drafting, adopting at a meeting, the public record of the city's answers, and the
`engage advisory remind` command."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.advisory.cli import advisory_group
from engage.advisory.models import DraftRecommendation, DraftStatus, DraftVersion
from engage.mail import Mail, MemoryBackend
from engage.missions.models import Recommendation
from engage.security import Role
from tests.advisory.test_workspace import (
    REVISED,
    TEXT,
    Circle,
    adopt,
    adopt_overdue,
    make_circle,
    respond,
    start,
)
from tests.conftest import AuthActions
from tests.factories import make_user
from tests.missions.test_views import field_error, field_value, marked, page_text, sign_in

TODAY = date.today()


@pytest.fixture
def circle(session: Session) -> Circle:
    return make_circle(session)


def address(app: Flask, endpoint: str, **values: Any) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


def flashes(client: FlaskClient) -> list[str]:
    """The messages waiting for the next page, without following the redirect."""
    with client.session_transaction() as browser:
        return [message for _category, message in browser.get("_flashes", [])]


def main_content(response: Any) -> str:
    """The page without its header (which differs for a signed-in person)."""
    page = page_text(response)
    return page[page.index('<main id="main"') :]


def drafts(session: Session) -> list[DraftRecommendation]:
    session.rollback()  # see what the requests committed
    return list(session.scalars(sa.select(DraftRecommendation).order_by(DraftRecommendation.id)))


def register(session: Session) -> list[Recommendation]:
    session.rollback()
    return list(session.scalars(sa.select(Recommendation).order_by(Recommendation.id)))


# --- Who may use the workspace ------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(
    app: Flask, client: FlaskClient, session: Session, circle: Circle
) -> None:
    draft = start(session, circle)
    for path in (
        address(app, "advisory_workspace.workspace", group_slug=circle.group.slug),
        address(app, "advisory_workspace.draft", draft_id=draft.id),
    ):
        response = client.get(path)
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert location.path == "/sign-in"
        assert path in location.query


WHO: dict[str, Callable[[Session, Circle], User]] = {
    "a resident who is not a member": lambda session, circle: make_user(session),
    "an officer": lambda session, circle: circle.officer,
    "an admin": lambda session, circle: make_user(session, role=Role.ADMIN),
}


@pytest.mark.parametrize("who", WHO)
def test_only_members_see_the_workspace(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, circle: Circle, who: str
) -> None:
    draft = start(session, circle)
    sign_in(auth, WHO[who](session, circle))
    slug = circle.group.slug

    gets = [
        address(app, "advisory_workspace.workspace", group_slug=slug),
        address(app, "advisory_workspace.draft", draft_id=draft.id),
    ]
    posts = {
        address(app, "advisory_workspace.new_draft", group_slug=slug): {"title": "T", "text": TEXT},
        address(app, "advisory_workspace.revise", draft_id=draft.id): {
            "text": REVISED,
            "note": "Mine.",
        },
        address(app, "advisory_workspace.comment", draft_id=draft.id): {"comment": "Hello"},
        address(app, "advisory_workspace.adopt", draft_id=draft.id): {
            "meeting_id": str(circle.meeting.id)
        },
        address(app, "advisory_workspace.withdraw", draft_id=draft.id): {},
    }
    for path in gets:
        assert client.get(path).status_code == 403, path
    for path, data in posts.items():
        assert client.post(path, data=data).status_code == 403, path

    [stored] = drafts(session)
    assert (stored.status, len(stored.versions), stored.comments) == (DraftStatus.DRAFTING, 1, [])
    assert register(session) == []


def test_a_member_sees_the_workspace_and_its_drafts(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, circle: Circle
) -> None:
    start(session, circle, "School streets")
    sign_in(auth, circle.member)

    response = client.get(
        address(app, "advisory_workspace.workspace", group_slug=circle.group.slug)
    )

    assert response.status_code == 200
    page = page_text(response)
    assert "School streets" in page
    assert field_value(page, "title") == ""


# --- Drafting through the forms -----------------------------------------------------------------


def test_members_draft_revise_and_comment_through_the_forms(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, circle: Circle
) -> None:
    sign_in(auth, circle.member)

    response = client.post(
        address(app, "advisory_workspace.new_draft", group_slug=circle.group.slug),
        data={"title": "School streets", "text": TEXT},
    )

    [draft] = drafts(session)
    draft_page = address(app, "advisory_workspace.draft", draft_id=draft.id)
    assert response.status_code == 302
    assert response.headers["Location"] == draft_page
    assert (draft.title, draft.created_by_id) == ("School streets", circle.member.id)

    response = client.post(
        address(app, "advisory_workspace.revise", draft_id=draft.id),
        data={"text": REVISED, "note": "Secondary schools too."},
    )
    assert response.status_code == 302
    response = client.post(
        address(app, "advisory_workspace.comment", draft_id=draft.id),
        data={"comment": "Should we name a date?"},
    )
    assert response.status_code == 302

    page = page_text(client.get(draft_page))
    assert "Version 2" in page and "Secondary schools too." in page
    assert "and secondary " in marked(page, "ins")
    assert "Should we name a date?" in page
    assert field_value(page, "text") == REVISED, "the revise form starts from the current text"
    [draft] = drafts(session)
    assert [v.number for v in draft.versions] == [1, 2]
    assert [c.text for c in draft.comments] == ["Should we name a date?"]


def test_a_refused_draft_comes_back_with_errors_beside_the_fields(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, circle: Circle
) -> None:
    sign_in(auth, circle.member)

    response = client.post(
        address(app, "advisory_workspace.new_draft", group_slug=circle.group.slug),
        data={"title": "", "text": TEXT},
    )

    assert response.status_code == 400
    page = page_text(response)
    assert field_error(page, "title") == "Give the recommendation a title."
    assert field_value(page, "text") == TEXT
    assert drafts(session) == []


def test_a_revision_with_the_same_wording_is_refused_beside_the_text(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, circle: Circle
) -> None:
    draft = start(session, circle)
    sign_in(auth, circle.chair)

    response = client.post(
        address(app, "advisory_workspace.revise", draft_id=draft.id),
        data={"text": TEXT, "note": "Nothing really."},
    )
    no_comment = client.post(
        address(app, "advisory_workspace.comment", draft_id=draft.id), data={"comment": " "}
    )

    assert response.status_code == 400
    page = page_text(response)
    assert "This is the wording of the current version" in field_error(page, "text")
    assert field_value(page, "note") == "Nothing really."
    assert no_comment.status_code == 400
    assert field_error(page_text(no_comment), "comment") == "Write your comment."
    session.rollback()
    assert session.scalars(sa.select(DraftVersion.number)).all() == [1]


def test_a_withdrawn_draft_offers_no_more_forms_and_refuses_changes(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, circle: Circle
) -> None:
    draft = start(session, circle)
    sign_in(auth, circle.member)

    response = client.post(address(app, "advisory_workspace.withdraw", draft_id=draft.id))

    draft_page = address(app, "advisory_workspace.draft", draft_id=draft.id)
    assert response.headers["Location"] == draft_page
    assert flashes(client) == ["Draft withdrawn."]
    page = page_text(client.get(draft_page))
    assert "Withdrawn" in page
    assert field_value(page, "note") is None and field_value(page, "comment") is None

    response = client.post(
        address(app, "advisory_workspace.revise", draft_id=draft.id),
        data={"text": REVISED, "note": "Too late."},
    )
    assert response.headers["Location"] == draft_page
    assert flashes(client) == ["This draft was withdrawn: it is closed."]
    [draft] = drafts(session)
    assert (draft.status, len(draft.versions)) == (DraftStatus.WITHDRAWN, 1)


# --- Adoption -----------------------------------------------------------------------------------


def test_the_chair_adopts_a_draft_at_a_meeting_and_it_enters_the_register(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, circle: Circle
) -> None:
    draft = start(session, circle)
    sign_in(auth, circle.chair)
    draft_page = address(app, "advisory_workspace.draft", draft_id=draft.id)
    form = page_text(client.get(draft_page))
    assert re.search(rf'<option value="{circle.meeting.id}">Spring meeting, ', form)
    assert 'name="mission_id"' not in form, "a mission's group sends it to its own mission"
    due = TODAY + timedelta(weeks=6)

    response = client.post(
        address(app, "advisory_workspace.adopt", draft_id=draft.id),
        data={"meeting_id": str(circle.meeting.id), "response_due": due.isoformat()},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == draft_page
    [entry] = register(session)
    assert (entry.mission_id, entry.response_due, entry.text) == (circle.mission.id, due, TEXT)
    [draft] = drafts(session)
    assert (draft.status, draft.adopted_at_meeting_id, draft.register_entry_id) == (
        DraftStatus.ADOPTED,
        circle.meeting.id,
        entry.id,
    )
    page = page_text(client.get(draft_page))
    meeting_link = address(app, "advisory_meetings.show", meeting_id=circle.meeting.id)
    register_link = (
        address(app, "missions.register", slug=circle.mission.slug) + f"#recommendation-{entry.id}"
    )
    assert f'href="{meeting_link}"' in page
    assert f'href="{register_link}"' in page
    assert 'name="meeting_id"' not in page and 'name="note"' not in page, "closed once adopted"


def test_adopting_twice_is_refused(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, circle: Circle
) -> None:
    draft = start(session, circle)
    sign_in(auth, circle.chair)
    path = address(app, "advisory_workspace.adopt", draft_id=draft.id)
    data = {"meeting_id": str(circle.meeting.id)}

    assert client.post(path, data=data).status_code == 302
    flashes(client)  # the first adoption's message
    client.get("/")
    again = client.post(path, data=data)

    assert again.status_code == 302
    assert flashes(client) == ["This recommendation has already been adopted."]
    assert len(register(session)) == 1


def test_a_member_who_does_not_chair_is_not_offered_the_adoption(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, circle: Circle
) -> None:
    draft = start(session, circle)
    sign_in(auth, circle.member)

    page = page_text(client.get(address(app, "advisory_workspace.draft", draft_id=draft.id)))
    response = client.post(
        address(app, "advisory_workspace.adopt", draft_id=draft.id),
        data={"meeting_id": str(circle.meeting.id)},
    )

    assert 'name="meeting_id"' not in page
    assert response.status_code == 403
    assert register(session) == []


def test_a_city_wide_group_must_choose_the_mission(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session
) -> None:
    circle = make_circle(session, city_wide=True)
    draft = start(session, circle)
    sign_in(auth, circle.chair)
    path = address(app, "advisory_workspace.adopt", draft_id=draft.id)

    missing = client.post(path, data={"meeting_id": str(circle.meeting.id), "response_due": ""})

    assert missing.status_code == 400
    page = page_text(missing)
    assert field_error(page, "mission_id") == "Choose the mission whose register receives it."
    assert re.search(rf'<option selected value="{circle.meeting.id}">', page), "value kept"
    assert register(session) == []

    chosen = client.post(
        path, data={"meeting_id": str(circle.meeting.id), "mission_id": str(circle.mission.id)}
    )

    assert chosen.status_code == 302
    [entry] = register(session)
    assert entry.mission_id == circle.mission.id


def test_an_adoption_at_a_meeting_not_yet_held_is_refused_beside_the_meeting(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, circle: Circle
) -> None:
    draft = start(session, circle)
    sign_in(auth, circle.chair)
    path = address(app, "advisory_workspace.adopt", draft_id=draft.id)

    unknown = client.post(path, data={"meeting_id": "999999"})
    unparseable = client.post(
        path, data={"meeting_id": str(circle.meeting.id), "response_due": "31/12/2026"}
    )

    assert unknown.status_code == 400
    assert field_error(page_text(unknown), "meeting_id")
    assert unparseable.status_code == 400
    assert field_error(page_text(unparseable), "response_due")
    assert register(session) == []


# --- The public record: you said, we did --------------------------------------------------------


def test_the_public_sees_each_recommendation_its_status_and_the_citys_response(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, circle: Circle
) -> None:
    late = adopt_overdue(session, circle, "Trees on every street")
    draft = adopt(session, circle, start(session, circle, "School streets"))
    answered = session.get_one(Recommendation, draft.register_entry_id)
    respond(session, answered, circle.officer)
    path = address(app, "advisory_workspace.recommendations", group_slug=circle.group.slug)

    response = client.get(path)

    assert response.status_code == 200
    page = page_text(response)
    overdue = re.search(r'id="recommendation-(\d+)"', page[page.index("recommendation-overdue") :])
    assert overdue is not None and int(overdue.group(1)) == late.id
    assert "Response overdue:" in page
    assert "We will pilot it at five schools." in page
    assert "Cabinet Member for Transport" in page
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', page))
    assert rows == {
        "Accepted": "1",
        "Partly accepted": "0",
        "Not accepted": "0",
        "Awaiting response": "0",
        "Response overdue": "1",
    }
    assert "<svg" in page, "the chart beside its table"
    meeting_link = address(app, "advisory_meetings.show", meeting_id=circle.meeting.id)
    assert f'href="{meeting_link}"' in page

    for mission_page in (
        address(app, "missions.register", slug=circle.mission.slug),
        address(app, "missions.show", slug=circle.mission.slug),
    ):
        shown = page_text(client.get(mission_page))
        assert "School streets" in shown, mission_page
        assert "Healthy Streets Advisory Group" in shown, mission_page
    assert "We will pilot it at five schools." in page_text(
        client.get(address(app, "missions.register", slug=circle.mission.slug))
    )

    sign_in(auth, circle.member)
    assert main_content(client.get(path)) == main_content(response), "members see the same"


def test_a_group_with_no_recommendation_yet_says_so(
    app: Flask, client: FlaskClient, session: Session, circle: Circle
) -> None:
    page = page_text(
        client.get(address(app, "advisory_workspace.recommendations", group_slug=circle.group.slug))
    )
    assert "The group has not adopted any recommendation yet." in page


# --- The reminder command -----------------------------------------------------------------------


def outbox(app: Flask) -> list[Mail]:
    backend = app.extensions["engage.mail"]
    assert isinstance(backend, MemoryBackend)
    return backend.outbox


def test_the_remind_command_mails_each_officer_their_overdue_responses(
    app: Flask, session: Session, circle: Circle
) -> None:
    late_id = adopt_overdue(session, circle, "Trees on every street").id
    adopt(session, circle, start(session, circle, "Not yet due"))
    officer = circle.officer.email
    session.rollback()  # the command writes; this session must not hold SQLite's lock meanwhile
    runner = app.test_cli_runner()

    result = runner.invoke(advisory_group, ["remind"])

    assert result.exit_code == 0, result.output
    assert f"Reminded {officer} of 1 overdue response(s)" in result.output
    assert "Trees on every street" in result.output
    assert "Not yet due" not in result.output
    [mail] = outbox(app)
    assert mail.to == officer
    assert "Hello Olu Officer," in mail.body
    assert "Trees on every street" in mail.body and "Not yet due" not in mail.body
    base = app.config["BASE_URL"].rstrip("/")
    link = base + address(app, "missions.recommendation", recommendation_id=late_id)
    assert link in mail.body


def test_the_remind_command_counts_from_the_date_given(
    app: Flask, session: Session, circle: Circle
) -> None:
    due = adopt_overdue(session, circle, "Trees on every street").response_due
    session.rollback()  # the command writes; this session must not hold SQLite's lock meanwhile
    runner = app.test_cli_runner()

    before_due = runner.invoke(advisory_group, ["remind", "--today", due.isoformat()])

    assert before_due.exit_code == 0, before_due.output
    assert "no reminder sent" in before_due.output
    assert outbox(app) == []
    bad = runner.invoke(advisory_group, ["remind", "--today", "tomorrow"])
    assert bad.exit_code == 2


def test_the_remind_command_fails_when_a_group_has_nobody_to_remind(
    app: Flask, session: Session, circle: Circle
) -> None:
    adopt_overdue(session, circle, "Trees on every street")
    circle.group.responsible_officer = None
    session.commit()

    result = app.test_cli_runner().invoke(advisory_group, ["remind"])

    assert result.exit_code == 1
    assert "Not sent (the group has no responsible officer)" in result.output
    assert outbox(app) == []


def test_a_member_of_one_group_is_an_outsider_to_another_groups_workspace(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, circle: Circle
) -> None:
    other = make_circle(session, name="Water group")
    sign_in(auth, circle.member)

    response = client.post(
        address(app, "advisory_workspace.new_draft", group_slug=other.group.slug),
        data={"title": "Taps", "text": TEXT},
    )

    assert response.status_code == 403
    assert drafts(session) == []
