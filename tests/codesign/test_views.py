"""Residents' co-design pages through the test client: finding processes and rounds, sharing and
changing ideas, discussing, supporting and reporting them, voting on statements one at a time,
rating a draft, setting priorities, the opinion groups, and what became of one's contributions."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.codesign import services, syntheses
from engage.codesign.models import (
    Comment,
    Contribution,
    ContributionKind,
    DraftRating,
    Moderation,
    PriorityAnswer,
    PriorityMethod,
    Report,
    Round,
    RoundKind,
    RoundStatus,
    Support,
    Visibility,
    Vote,
)
from engage.missions.models import Mission, MissionStatus
from tests.codesign.conftest import address, plant_two_camps
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
def ideas_round(session: Session, mission: Mission) -> Round:
    return make_round(session, make_process(session, mission), title="What would you change?")


def rows(session: Session, model: Any, *where: Any) -> list[Any]:
    """The rows as they are now in the database, after what the requests stored."""
    session.rollback()
    return list(session.scalars(sa.select(model).where(*where).order_by(model.id)))


def statements_round(
    session: Session, *, statements: int = 3, status: RoundStatus = RoundStatus.OPEN
) -> tuple[Round, list[Contribution]]:
    round_ = make_round(
        session,
        kind=RoundKind.STATEMENTS,
        status=status,
        items=tuple(f"Statement number {number}" for number in range(1, statements + 1)),
    )
    return round_, services.seeded_items(session, round_.id)


def offered_statement(raw: str) -> int | None:
    """The statement the vote page puts up for a vote (not those in the "your votes" table)."""
    form = re.search(r'<form method="post" class="vote-form">(.*?)</form>', raw, re.DOTALL)
    if form is None:
        return None
    found = re.search(r'name="statement_id" value="(\d+)"', form.group(1))
    return int(found.group(1)) if found else None


def error_summary(raw: str) -> str:
    found = re.search(r'<div class="error-summary".*?</div>', raw, re.DOTALL)
    return text_of(found.group(0)) if found else ""


def text_of(fragment: str) -> str:
    """What a person reads in a page or part of one: no tags, one space between words."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def section(raw: str, heading_id: str) -> str:
    """The text of the page's section labelled by ``heading_id``."""
    found = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', raw, re.DOTALL)
    assert found is not None, f"the page has a {heading_id} section"
    return text_of(found.group(0))


# --- Processes and rounds -------------------------------------------------------------------------


def test_the_index_lists_processes_with_their_open_rounds_but_not_draft_missions(
    client: FlaskClient, session: Session, mission: Mission
) -> None:
    process = make_process(session, mission, title="Write the mission with us")
    make_round(session, process)
    make_round(session, process, status=RoundStatus.DRAFT)
    other = make_process(session, make_mission(session, slug="zero-waste"), title="Zero waste")
    secret = make_mission(session, status=MissionStatus.DRAFT)
    make_process(session, secret, title="Secret process")

    page = page_text(client.get("/codesign/"))
    filtered = page_text(client.get("/codesign/?mission=healthy-streets"))

    assert "Write the mission with us" in page
    assert "For the mission “Healthy Streets”" in page
    assert "1 round open" in page  # the draft round is not counted as open
    assert other.title in page
    assert "Secret process" not in page
    assert "Write the mission with us" in filtered
    assert "Zero waste" not in filtered


def test_a_process_lists_its_published_rounds_and_only_officers_see_drafts(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, mission: Mission
) -> None:
    process = make_process(session, mission)
    make_round(session, process, title="Ideas for our streets")
    make_round(session, process, title="Rough draft round", status=RoundStatus.DRAFT)
    process_id = process.id

    public = page_text(client.get(f"/codesign/{process_id}"))
    sign_in(auth, officer)
    staff = page_text(client.get(f"/codesign/{process_id}"))

    assert "Ideas for our streets" in public
    assert "Rough draft round" not in public
    assert "Add a round" not in public
    assert "Rough draft round" in staff


def test_a_draft_round_and_its_items_are_not_found_except_by_officers(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, resident: User
) -> None:
    draft = make_round(session, status=RoundStatus.DRAFT, title="Not ready yet")
    idea = make_contribution(session, draft)
    draft_id, idea_id = draft.id, idea.id

    assert client.get(f"/codesign/rounds/{draft_id}").status_code == 404
    sign_in(auth, resident)
    assert client.get(f"/codesign/rounds/{draft_id}").status_code == 404
    assert client.get(f"/codesign/contributions/{idea_id}").status_code == 404
    assert client.get(f"/codesign/rounds/{draft_id}/contribute").status_code == 404
    auth.sign_out()
    sign_in(auth, officer)
    response = client.get(f"/codesign/rounds/{draft_id}")
    assert response.status_code == 200
    assert "Not ready yet" in page_text(response)


def test_an_ideas_round_lists_ideas_most_supported_first_with_their_counts(
    client: FlaskClient, session: Session, ideas_round: Round
) -> None:
    make_contribution(session, ideas_round, title="Fewer parked cars")
    popular = make_contribution(session, ideas_round, title="More benches")
    supporters = [make_user(session) for _ in range(2)]
    session.add_all(Support(contribution_id=popular.id, user_id=s.id) for s in supporters)
    session.commit()
    make_comment(session, popular)
    round_id = ideas_round.id

    raw = client.get(f"/codesign/rounds/{round_id}").get_data(as_text=True)

    ideas = section(raw, "ideas-heading")
    assert "2 ideas · Most supported first" in ideas
    assert ideas.index("More benches") < ideas.index("Fewer parked cars")
    assert re.search(r"More benches #\d+ 2 supporters · 1 comment ", ideas)
    assert re.search(r"Fewer parked cars #\d+ 0 supporters · 0 comments", ideas)
    assert f'href="/codesign/rounds/{round_id}?order=newest"' in raw


def test_newest_first_shows_the_latest_idea_at_the_top(
    client: FlaskClient, session: Session, ideas_round: Round
) -> None:
    older = make_contribution(session, ideas_round, title="An older idea")
    session.add(Support(contribution_id=older.id, user_id=make_user(session).id))
    session.commit()
    make_contribution(session, ideas_round, title="The latest idea")
    round_id = ideas_round.id

    supported = page_text(client.get(f"/codesign/rounds/{round_id}"))
    newest = page_text(client.get(f"/codesign/rounds/{round_id}?order=newest"))

    assert supported.index("An older idea") < supported.index("The latest idea")
    assert newest.index("The latest idea") < newest.index("An older idea")
    assert "Show most supported first" in newest


def test_ideas_are_listed_twenty_to_a_page_and_the_next_page_keeps_the_order(
    client: FlaskClient, session: Session, ideas_round: Round
) -> None:
    author = make_user(session)
    for number in range(1, 22):
        make_contribution(session, ideas_round, author, title=f"Idea number {number:02d}")
    round_id = ideas_round.id

    first = client.get(f"/codesign/rounds/{round_id}?order=newest").get_data(as_text=True)
    next_link = re.search(r'<a rel="next" href="([^"]+)"', first)
    assert next_link is not None
    second = page_text(client.get(html.unescape(next_link.group(1))))

    assert "Page 1 of 2" in text_of(first)
    assert "Idea number 21" in text_of(first)
    assert "Idea number 01" not in text_of(first)
    assert "Page 2 of 2" in second
    assert "Idea number 01" in second  # the oldest, last in newest-first order
    assert "Idea number 21" not in second


def test_a_statements_round_offers_voting_while_open_and_shows_tallies_once_closed(
    client: FlaskClient, session: Session
) -> None:
    round_, statements = statements_round(session)
    voters = [make_user(session) for _ in range(3)]
    make_votes(session, round_, [(person, statements[0], 1) for person in voters])
    closed, closed_statements = statements_round(session, status=RoundStatus.CLOSED)
    make_votes(session, closed, [(voters[0], closed_statements[1], -1)])
    round_id, closed_id = round_.id, closed.id

    open_page = page_text(client.get(f"/codesign/rounds/{round_id}"))
    closed_page = client.get(f"/codesign/rounds/{closed_id}").get_data(as_text=True)

    assert "Vote on statements" in open_page
    assert "Add a statement" in open_page
    assert "Votes on each statement" not in open_page  # results wait for the close
    assert "opinion groups" not in open_page
    table = re.search(r"<table>.*?</table>", closed_page, re.DOTALL)
    assert table is not None
    cells = text_of(table.group(0))
    assert f"#{closed_statements[1].id} Statement number 2 0 1 0" in cells
    assert f'href="/codesign/rounds/{closed_id}/opinions"' in closed_page
    assert "Vote on statements" not in text_of(closed_page)


def test_a_draft_review_shows_its_paragraphs_with_comment_counts_and_the_rating_form(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    round_ = make_round(
        session,
        kind=RoundKind.DRAFT_REVIEW,
        items=("Streets are for people first.", "Schools get car-free streets."),
    )
    first, _second = services.seeded_items(session, round_.id)
    make_comment(session, first)
    make_comment(session, first)
    round_id = round_.id

    anonymous = page_text(client.get(f"/codesign/rounds/{round_id}"))
    sign_in(auth, resident)
    raw = client.get(f"/codesign/rounds/{round_id}").get_data(as_text=True)

    draft = section(raw, "draft-heading")
    assert "Streets are for people first. 2 comments on paragraph 1" in draft
    assert "Schools get car-free streets. 0 comments on paragraph 2" in draft
    assert "Sign in to rate the draft" in anonymous
    assert raw.count('name="score"') == 5
    assert "Save my rating" in raw


def test_a_priorities_round_lists_its_options_and_its_results_once_closed(
    client: FlaskClient, session: Session
) -> None:
    options = ("Wider pavements", "More trees", "Cycle lanes")
    open_round = make_round(session, kind=RoundKind.PRIORITIES, items=options)
    closed = make_round(session, kind=RoundKind.PRIORITIES, items=options)
    first, second, third = services.seeded_items(session, closed.id)
    person = make_user(session)
    session.add_all(
        PriorityAnswer(round_id=closed.id, option_id=option.id, user_id=person.id, value=rank)
        for option, rank in ((first, 3), (second, 1), (third, 2))
    )
    closed.status = RoundStatus.CLOSED
    session.commit()
    open_id, closed_id = open_round.id, closed.id

    open_page = page_text(client.get(f"/codesign/rounds/{open_id}"))
    closed_page = client.get(f"/codesign/rounds/{closed_id}").get_data(as_text=True)

    assert all(option in open_page for option in options)
    assert "Set your priorities" in open_page
    assert "Priorities, highest first" not in open_page
    table = re.search(r"<table>.*?</table>", closed_page, re.DOTALL)
    assert table is not None
    cells = text_of(table.group(0))
    # More trees first, cycle lanes second, wider pavements third: Borda points 3, 2 and 1 of 6.
    assert "More trees 3 50.0% 1 Cycle lanes 2 33.3% 0 Wider pavements 1 16.7% 0" in cells


# --- Sharing and changing ideas -------------------------------------------------------------------


def test_an_idea_without_a_title_comes_back_with_the_error_beside_it_and_the_text_kept(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User, ideas_round: Round
) -> None:
    round_id = ideas_round.id
    sign_in(auth, resident)

    response = client.post(
        f"/codesign/rounds/{round_id}/contribute",
        data={"title": "", "text": "Plant trees <please>", "area": "Mill Road"},
    )

    raw = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(raw, "title") == "Give your idea a short title."
    assert field_value(raw, "text") == "Plant trees <please>"
    assert field_value(raw, "area") == "Mill Road"
    assert rows(session, Contribution) == []


def test_sharing_an_idea_publishes_it_and_shows_its_page(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    round_ = make_round(session)
    round_id = round_.id
    sign_in(auth, resident)

    assert "Share an idea" in page_text(client.get(f"/codesign/rounds/{round_id}/contribute"))
    response = client.post(
        f"/codesign/rounds/{round_id}/contribute",
        data={"title": "Parklets", "text": "Swap two parking spaces for seats.", "area": ""},
    )

    [idea] = rows(session, Contribution)
    assert response.status_code == 302
    assert response.headers["Location"] == address(
        app, "codesign.contribution", contribution_id=idea.id
    )
    assert (idea.title, idea.author_id, idea.visibility) == (
        "Parklets",
        resident.id,
        Visibility.VISIBLE,
    )
    page = page_text(client.get(response.headers["Location"]))
    assert "Thank you. Your contribution is published." in page
    assert "Swap two parking spaces for seats." in page
    assert "by Rosa Resident" in page


def test_a_pre_moderated_idea_awaits_approval_and_others_cannot_read_it(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    round_ = make_round(session, moderation=Moderation.BEFORE)
    neighbour = make_user(session)
    round_id = round_.id
    sign_in(auth, resident)

    form_page = page_text(client.get(f"/codesign/rounds/{round_id}/contribute"))
    response = client.post(
        f"/codesign/rounds/{round_id}/contribute",
        data={"title": "Secret garden", "text": "A hidden garden behind the library."},
        follow_redirects=True,
    )
    [idea] = rows(session, Contribution)
    auth.sign_out()
    sign_in(auth, neighbour)
    listing = page_text(client.get(f"/codesign/rounds/{round_id}"))
    other_view = page_text(client.get(f"/codesign/contributions/{idea.id}"))

    assert "An officer reads every contribution before it is published." in form_page
    author_view = page_text(response)
    assert "An officer will publish it once they have read it." in author_view
    assert "A hidden garden behind the library." in author_view  # the author still reads it
    assert "Waiting for approval" in author_view
    assert idea.visibility is Visibility.PENDING
    assert "Secret garden" not in listing
    assert "No ideas yet." in listing
    assert "A hidden garden behind the library." not in other_view
    assert "Hidden contribution" in other_view


def test_visitors_are_asked_to_sign_in_before_sharing_an_idea(
    client: FlaskClient, session: Session, ideas_round: Round
) -> None:
    round_id = ideas_round.id

    response = client.post(
        f"/codesign/rounds/{round_id}/contribute", data={"title": "Anonymous", "text": "Hello."}
    )

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")
    assert rows(session, Contribution) == []


def test_an_author_changes_their_idea(
    app: Flask,
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    resident: User,
    ideas_round: Round,
) -> None:
    idea = make_contribution(session, ideas_round, resident, title="Benches")
    idea_id = idea.id
    sign_in(auth, resident)

    shown = client.get(f"/codesign/contributions/{idea_id}").get_data(as_text=True)
    form = client.get(f"/codesign/contributions/{idea_id}/edit").get_data(as_text=True)
    response = client.post(
        f"/codesign/contributions/{idea_id}/edit",
        data={"title": "Benches with shade", "text": "Under the trees.", "area": "Park Road"},
    )

    assert f'href="/codesign/contributions/{idea_id}/edit"' in shown
    assert field_value(form, "title") == "Benches"
    assert response.headers["Location"] == address(
        app, "codesign.contribution", contribution_id=idea_id
    )
    [saved] = rows(session, Contribution)
    assert (saved.title, saved.text, saved.area) == (
        "Benches with shade",
        "Under the trees.",
        "Park Road",
    )


def test_changing_someone_elses_idea_is_forbidden(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User, ideas_round: Round
) -> None:
    idea = make_contribution(session, ideas_round, title="Not yours")
    idea_id = idea.id
    sign_in(auth, resident)

    shown = client.get(f"/codesign/contributions/{idea_id}").get_data(as_text=True)
    form = client.get(f"/codesign/contributions/{idea_id}/edit")
    post = client.post(
        f"/codesign/contributions/{idea_id}/edit", data={"title": "Mine now", "text": "Ha."}
    )

    assert f"/codesign/contributions/{idea_id}/edit" not in shown
    assert form.status_code == 403
    assert post.status_code == 403
    assert "You can only change your own contributions." in page_text(post)
    [unchanged] = rows(session, Contribution)
    assert unchanged.title == "Not yours"


def test_after_the_round_closes_an_idea_can_no_longer_be_changed(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User, officer: User
) -> None:
    round_ = make_round(session)
    idea = make_contribution(session, round_, resident, title="Too late")
    services.close_round(session, round_.id, actor=officer)
    idea_id = idea.id
    sign_in(auth, resident)

    shown = client.get(f"/codesign/contributions/{idea_id}").get_data(as_text=True)
    response = client.post(
        f"/codesign/contributions/{idea_id}/edit", data={"title": "Changed", "text": "New."}
    )

    assert f"/codesign/contributions/{idea_id}/edit" not in shown
    assert "This round is closed: contributions can no longer be added or changed." in (
        error_summary(response.get_data(as_text=True))
    )
    [unchanged] = rows(session, Contribution)
    assert unchanged.title == "Too late"


def test_text_residents_type_is_escaped_on_every_page_showing_it(
    client: FlaskClient, session: Session, ideas_round: Round
) -> None:
    idea = make_contribution(
        session, ideas_round, title="<script>alert(1)</script>", text="<b>bold</b> claim"
    )
    make_comment(session, idea, text="<img src=x onerror=alert(2)>")
    round_id, idea_id = ideas_round.id, idea.id

    listing = client.get(f"/codesign/rounds/{round_id}").get_data(as_text=True)
    detail = client.get(f"/codesign/contributions/{idea_id}").get_data(as_text=True)

    for raw in (listing, detail):
        assert "<script>alert(1)</script>" not in raw
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert "<b>bold</b>" not in detail
    assert "&lt;b&gt;bold&lt;/b&gt; claim" in detail
    assert "<img src=x" not in detail


# --- Comments -------------------------------------------------------------------------------------


def test_a_comment_is_added_to_the_discussion(
    app: Flask,
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    resident: User,
    ideas_round: Round,
) -> None:
    idea = make_contribution(session, ideas_round)
    idea_id = idea.id
    sign_in(auth, resident)

    response = client.post(
        f"/codesign/contributions/{idea_id}/comments", data={"text": "Yes, near the school."}
    )

    assert response.headers["Location"] == address(
        app, "codesign.contribution", contribution_id=idea_id
    )
    [comment] = rows(session, Comment)
    assert (comment.text, comment.author_id, comment.parent_id) == (
        "Yes, near the school.",
        resident.id,
        None,
    )
    page = page_text(client.get(response.headers["Location"]))
    assert "Your comment is added." in page
    assert "Rosa Resident" in page
    assert "Yes, near the school." in page
    assert "(1 thread)" in page


def test_replying_files_the_comment_under_the_one_replied_to(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User, ideas_round: Round
) -> None:
    idea = make_contribution(session, ideas_round)
    parent = make_comment(session, idea, text="Which street?")
    idea_id, parent_id = idea.id, parent.id
    sign_in(auth, resident)

    listing = client.get(f"/codesign/contributions/{idea_id}").get_data(as_text=True)
    form = client.get(f"/codesign/contributions/{idea_id}?reply_to={parent_id}").get_data(
        as_text=True
    )
    client.post(
        f"/codesign/contributions/{idea_id}/comments",
        data={"text": "Mill Road.", "parent_id": str(parent_id)},
    )

    assert f"reply_to={parent_id}" in listing
    assert f'<input type="hidden" name="parent_id" value="{parent_id}">' in form
    assert "Send reply" in form
    reply = rows(session, Comment, Comment.parent_id.is_not(None))
    assert [(r.text, r.parent_id) for r in reply] == [("Mill Road.", parent_id)]
    page = client.get(f"/codesign/contributions/{idea_id}").get_data(as_text=True)
    replies = re.search(r'<ol class="replies".*?</ol>', page, re.DOTALL)
    assert replies is not None
    assert "Mill Road." in replies.group(0)


def test_a_reply_to_a_reply_joins_the_thread(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User, ideas_round: Round
) -> None:
    idea = make_contribution(session, ideas_round)
    top = make_comment(session, idea, text="Which street?")
    reply = make_comment(session, idea, text="Mill Road.", parent=top)
    idea_id, top_id, reply_id = idea.id, top.id, reply.id
    sign_in(auth, resident)

    page = client.get(f"/codesign/contributions/{idea_id}").get_data(as_text=True)
    client.post(
        f"/codesign/contributions/{idea_id}/comments",
        data={"text": "And Hills Road.", "parent_id": str(reply_id)},
    )

    # The reply link under a reply already points at its thread.
    assert f"reply_to={reply_id}" not in page
    [added] = rows(session, Comment, Comment.text == "And Hills Road.")
    assert added.parent_id == top_id


def test_authors_change_their_own_comments_only(
    app: Flask,
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    resident: User,
    ideas_round: Round,
) -> None:
    idea = make_contribution(session, ideas_round)
    own = make_comment(session, idea, resident, text="Typo in here")
    others = make_comment(session, idea, text="Someone else's words")
    idea_id, own_id, others_id = idea.id, own.id, others.id
    sign_in(auth, resident)

    form = client.get(f"/codesign/comments/{own_id}/edit").get_data(as_text=True)
    saved = client.post(f"/codesign/comments/{own_id}/edit", data={"text": "No typo now"})
    refused = client.post(f"/codesign/comments/{others_id}/edit", data={"text": "Changed"})

    assert field_value(form, "text") == "Typo in here"
    assert saved.headers["Location"] == address(
        app, "codesign.contribution", contribution_id=idea_id
    )
    assert refused.status_code == 403
    assert client.get(f"/codesign/comments/{others_id}/edit").status_code == 403
    texts = {c.id: c.text for c in rows(session, Comment)}
    assert texts == {own_id: "No typo now", others_id: "Someone else's words"}


def test_an_empty_comment_comes_back_with_status_400_and_the_error(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User, ideas_round: Round
) -> None:
    idea = make_contribution(session, ideas_round, title="Benches")
    idea_id = idea.id
    sign_in(auth, resident)

    response = client.post(f"/codesign/contributions/{idea_id}/comments", data={"text": "  "})

    raw = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_error(raw, "text") == "Write your comment."
    assert "Benches" in text_of(raw)  # the discussion is shown again around the form
    assert rows(session, Comment) == []


def test_threads_come_twenty_to_a_page(
    client: FlaskClient, session: Session, ideas_round: Round
) -> None:
    idea = make_contribution(session, ideas_round)
    author = make_user(session)
    for number in range(1, 22):
        make_comment(session, idea, author, text=f"Comment number {number:02d}")
    idea_id = idea.id

    first = client.get(f"/codesign/contributions/{idea_id}").get_data(as_text=True)
    next_link = re.search(r'<a rel="next" href="([^"]+)"', first)
    assert next_link is not None
    second = client.get(html.unescape(next_link.group(1)))

    assert "(21 threads)" in text_of(first)
    assert "Comment number 20" in text_of(first)
    assert "Comment number 21" not in text_of(first)
    assert second.status_code == 200
    assert "Comment number 21" in page_text(second)
    assert "Comment number 01" not in page_text(second)


# --- Supports and reports -------------------------------------------------------------------------


def test_supporting_an_idea_then_withdrawing_the_support(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User, ideas_round: Round
) -> None:
    idea = make_contribution(session, ideas_round, title="Benches")
    idea_id, round_id = idea.id, ideas_round.id
    sign_in(auth, resident)

    supported = client.post(f"/codesign/contributions/{idea_id}/support", follow_redirects=True)
    stored = [(s.contribution_id, s.user_id) for s in rows(session, Support)]
    listing = page_text(client.get(f"/codesign/rounds/{round_id}"))
    withdrawn = client.post(f"/codesign/contributions/{idea_id}/support", follow_redirects=True)

    assert stored == [(idea_id, resident.id)]
    assert "You support this idea." in page_text(supported)
    assert "1 supporter" in page_text(supported)
    assert "Withdraw my support" in page_text(supported)
    assert "1 supporter · 0 comments · you support it" in listing
    assert "Your support is withdrawn." in page_text(withdrawn)
    assert rows(session, Support) == []


def test_a_report_needs_a_reason(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User, ideas_round: Round
) -> None:
    idea = make_contribution(session, ideas_round)
    idea_id = idea.id
    sign_in(auth, resident)

    assert "Report this" in page_text(client.get(f"/codesign/contributions/{idea_id}"))
    response = client.post(f"/codesign/contributions/{idea_id}/report", data={"reason": ""})

    assert response.status_code == 200
    assert field_error(response.get_data(as_text=True), "reason") == "Say what is wrong with it."
    assert rows(session, Report) == []


def test_three_reports_from_different_residents_hide_an_idea_from_others(
    client: FlaskClient, auth: AuthActions, session: Session, ideas_round: Round
) -> None:
    author = make_user(session, email="author@example.org")
    idea = make_contribution(session, ideas_round, author, title="Buy cheap watches")
    reporters = [make_user(session) for _ in range(3)]
    bystander = make_user(session)
    idea_id, round_id = idea.id, ideas_round.id

    for reporter in reporters:
        sign_in(auth, reporter)
        response = client.post(
            f"/codesign/contributions/{idea_id}/report",
            data={"reason": "Advertising."},
            follow_redirects=True,
        )
        assert "Thank you. An officer will look at your report." in page_text(response)
        auth.sign_out()
    sign_in(auth, bystander)
    hidden_page = page_text(client.get(f"/codesign/contributions/{idea_id}"))
    listing = page_text(client.get(f"/codesign/rounds/{round_id}"))
    auth.sign_out()
    sign_in(auth, author)
    authors_page = page_text(client.get(f"/codesign/contributions/{idea_id}"))

    assert len(rows(session, Report)) == 3
    [hidden] = rows(session, Contribution)
    assert hidden.visibility is Visibility.REPORTED
    assert "Hidden contribution" in hidden_page
    assert "Buy cheap watches" not in hidden_page
    assert "Buy cheap watches" not in listing
    assert "Buy cheap watches" in authors_page  # the author still reads it, and sees why
    assert "Hidden after reports, awaiting review" in authors_page


def test_a_comment_can_be_reported_too(
    app: Flask,
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    resident: User,
    ideas_round: Round,
) -> None:
    idea = make_contribution(session, ideas_round)
    comment = make_comment(session, idea, text="Rude words")
    idea_id, comment_id = idea.id, comment.id
    sign_in(auth, resident)

    form = page_text(client.get(f"/codesign/comments/{comment_id}/report"))
    response = client.post(f"/codesign/comments/{comment_id}/report", data={"reason": "Rude."})

    assert "Rude words" in form
    assert response.headers["Location"] == address(
        app, "codesign.contribution", contribution_id=idea_id
    )
    [report] = rows(session, Report)
    assert (report.comment_id, report.reporter_id, report.reason) == (
        comment_id,
        resident.id,
        "Rude.",
    )


# --- Voting on statements -------------------------------------------------------------------------


def test_the_vote_page_puts_up_one_statement_with_three_choices(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    round_, statements = statements_round(session)
    round_id = round_.id
    sign_in(auth, resident)

    raw = client.get(f"/codesign/rounds/{round_id}/vote").get_data(as_text=True)

    offered = offered_statement(raw)
    texts = {s.id: s.text for s in statements}
    assert offered in texts
    assert f'<blockquote class="statement" id="statement-text">{texts[offered]}' in raw
    form = re.search(r'<form method="post" class="vote-form">.*?</form>', raw, re.DOTALL)
    assert form is not None
    buttons = re.findall(r'<button type="submit" name="vote" value="(\w+)"', form.group(0))
    assert buttons == ["agree", "disagree", "pass"]
    assert "You have voted on 0 of 3 statements." in text_of(raw)


def test_a_vote_is_recorded_and_a_different_unseen_statement_comes_next(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    round_, _statements = statements_round(session)
    round_id = round_.id
    sign_in(auth, resident)
    first = offered_statement(
        client.get(f"/codesign/rounds/{round_id}/vote").get_data(as_text=True)
    )

    response = client.post(
        f"/codesign/rounds/{round_id}/vote", data={"statement_id": str(first), "vote": "disagree"}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == address(app, "codesign.vote", round_id=round_id)
    [vote] = rows(session, Vote)
    assert (vote.statement_id, vote.user_id, vote.value) == (first, resident.id, -1)
    following = client.get(f"/codesign/rounds/{round_id}/vote").get_data(as_text=True)
    assert offered_statement(following) not in (None, first)
    assert "You have voted on 1 of 3 statements." in text_of(following)


def test_once_every_statement_has_a_vote_the_page_says_so(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    round_, statements = statements_round(session)
    round_id = round_.id
    sign_in(auth, resident)

    seen = []
    for choice in ("agree", "pass", "disagree"):
        raw = client.get(f"/codesign/rounds/{round_id}/vote").get_data(as_text=True)
        seen.append(offered_statement(raw))
        client.post(
            f"/codesign/rounds/{round_id}/vote", data={"statement_id": seen[-1], "vote": choice}
        )
    done = client.get(f"/codesign/rounds/{round_id}/vote").get_data(as_text=True)

    assert sorted(s for s in seen if s is not None) == [s.id for s in statements]
    assert offered_statement(done) is None
    assert "You have voted on every statement so far." in text_of(done)
    assert "You have voted on 3 of 3 statements." in text_of(done)
    assert sorted(v.value for v in rows(session, Vote)) == [-1, 0, 1]


def test_a_vote_is_changed_from_the_your_votes_table(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    round_, statements = statements_round(session)
    make_votes(session, round_, [(resident, statements[1], 1)])
    round_id, statement_id = round_.id, statements[1].id
    sign_in(auth, resident)

    raw = client.get(f"/codesign/rounds/{round_id}/vote").get_data(as_text=True)
    mine = re.search(r'<details class="my-votes">.*?</details>', raw, re.DOTALL)
    assert mine is not None
    row = re.search(
        r"<tr>\s*<th scope=\"row\">Statement number 2</th>.*?</tr>", mine.group(0), re.S
    )
    assert row is not None
    assert f'name="statement_id" value="{statement_id}"' in row.group(0)
    assert re.findall(r'name="vote" value="(\w+)"', row.group(0)) == ["disagree", "pass"]

    client.post(
        f"/codesign/rounds/{round_id}/vote", data={"statement_id": statement_id, "vote": "pass"}
    )

    assert [(v.statement_id, v.value) for v in rows(session, Vote)] == [(statement_id, 0)]


def test_an_own_statement_returns_to_voting_and_is_not_offered_to_its_author(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    round_, statements = statements_round(session, statements=1)
    make_votes(session, round_, [(resident, statements[0], 1)])
    round_id = round_.id
    sign_in(auth, resident)

    assert "Add a statement" in page_text(client.get(f"/codesign/rounds/{round_id}/contribute"))
    response = client.post(
        f"/codesign/rounds/{round_id}/contribute", data={"text": "Slow traffic near schools."}
    )

    assert response.headers["Location"] == address(app, "codesign.vote", round_id=round_id)
    [own] = rows(session, Contribution, Contribution.author_id == resident.id)
    assert (own.kind, own.text) == (ContributionKind.STATEMENT, "Slow traffic near schools.")
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert offered_statement(after) is None
    assert "Thank you. Your contribution is published." in text_of(after)


def test_a_statement_over_280_characters_is_refused_beside_the_field(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    round_, _statements = statements_round(session)
    round_id = round_.id
    too_long = ("Slow down. " * 26).strip()  # 285 characters
    sign_in(auth, resident)

    response = client.post(f"/codesign/rounds/{round_id}/contribute", data={"text": too_long})

    raw = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(raw, "text") == "Keep it to 280 characters or fewer."
    assert field_value(raw, "text") == too_long
    assert rows(session, Contribution, Contribution.seeded.is_(False)) == []


def test_a_vote_in_a_closed_round_is_refused_and_nothing_is_stored(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    round_, statements = statements_round(session, status=RoundStatus.CLOSED)
    round_id, statement_id = round_.id, statements[0].id
    sign_in(auth, resident)

    page = page_text(client.get(f"/codesign/rounds/{round_id}/vote"))
    response = client.post(
        f"/codesign/rounds/{round_id}/vote",
        data={"statement_id": statement_id, "vote": "agree"},
        follow_redirects=True,
    )

    assert "This round is not open for votes." in page
    assert "This round is closed" not in page
    assert "This round is closed" in page_text(response)  # the refusal, flashed
    assert rows(session, Vote) == []


def test_a_vote_that_is_not_agree_disagree_or_pass_is_refused(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    round_, statements = statements_round(session)
    round_id, statement_id = round_.id, statements[0].id
    sign_in(auth, resident)

    response = client.post(
        f"/codesign/rounds/{round_id}/vote", data={"statement_id": statement_id, "vote": "maybe"}
    )

    assert "Choose agree, disagree or pass." in page_text(response)
    assert rows(session, Vote) == []


# --- Draft ratings and priorities -----------------------------------------------------------------


def test_rating_a_draft_is_saved_changed_and_shown_as_chosen(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    round_ = make_round(session, kind=RoundKind.DRAFT_REVIEW, items=("A first paragraph.",))
    round_id = round_.id
    sign_in(auth, resident)

    response = client.post(f"/codesign/rounds/{round_id}/rate", data={"score": "4"})
    client.post(f"/codesign/rounds/{round_id}/rate", data={"score": "2"})
    page = client.get(f"/codesign/rounds/{round_id}").get_data(as_text=True)

    assert response.headers["Location"] == (
        address(app, "codesign.round", round_id=round_id) + "#rating"
    )
    assert [(r.user_id, r.score) for r in rows(session, DraftRating)] == [(resident.id, 2)]
    assert re.search(r'<input checked[^>]*value="2"', page)
    assert "Your rating is saved." in text_of(page)


def test_a_rating_without_a_score_is_refused(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    round_ = make_round(session, kind=RoundKind.DRAFT_REVIEW, items=("A first paragraph.",))
    round_id = round_.id
    sign_in(auth, resident)

    response = client.post(f"/codesign/rounds/{round_id}/rate", data={}, follow_redirects=True)

    assert "Choose a rating from 1 to 5." in page_text(response)
    assert rows(session, DraftRating) == []


def priorities_round(
    session: Session, method: PriorityMethod, budget: int | None = None
) -> tuple[int, list[str]]:
    """A priorities round's id and the form's field name for each of its three options."""
    round_ = make_round(
        session,
        kind=RoundKind.PRIORITIES,
        items=("Wider pavements", "More trees", "Cycle lanes"),
        priority_method=method,
        points_budget=budget,
    )
    return round_.id, [f"option_{o.id}" for o in services.seeded_items(session, round_.id)]


def answers(fields: list[str], *values: int) -> dict[str, str]:
    """The priorities form as sent: each option's field with its place or points."""
    return {name: str(value) for name, value in zip(fields, values, strict=True)}


def test_a_ranking_that_gives_two_options_one_place_is_refused(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    round_id, fields = priorities_round(session, PriorityMethod.RANKING)
    sign_in(auth, resident)

    response = client.post(f"/codesign/rounds/{round_id}/priorities", data=answers(fields, 1, 1, 2))

    raw = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Give each option a different place, from 1 to 3." in error_summary(raw)
    assert re.search(rf'<select[^>]*name="{fields[2]}".*?<option selected value="2"', raw, re.S)
    assert rows(session, PriorityAnswer) == []


def test_a_ranking_is_saved_and_shown_again_on_return(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    round_id, fields = priorities_round(session, PriorityMethod.RANKING)
    ranking = answers(fields, 2, 3, 1)
    sign_in(auth, resident)

    response = client.post(f"/codesign/rounds/{round_id}/priorities", data=ranking)
    again = client.get(f"/codesign/rounds/{round_id}/priorities").get_data(as_text=True)

    assert response.headers["Location"] == address(app, "codesign.round", round_id=round_id)
    saved = {f"option_{a.option_id}": str(a.value) for a in rows(session, PriorityAnswer)}
    assert saved == ranking
    for name, place in ranking.items():
        assert re.search(
            rf'<select[^>]*name="{name}".*?<option selected value="{place}"', again, re.S
        )
    assert "You have answered already" in text_of(again)


def test_points_must_add_up_to_the_budget_and_saved_points_are_shown_again(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    round_id, fields = priorities_round(session, PriorityMethod.POINTS, budget=100)
    sign_in(auth, resident)

    short = client.post(
        f"/codesign/rounds/{round_id}/priorities", data=answers(fields, 50, 30, 10)
    ).get_data(as_text=True)
    nothing_yet = rows(session, PriorityAnswer)
    client.post(f"/codesign/rounds/{round_id}/priorities", data=answers(fields, 50, 30, 20))
    again = client.get(f"/codesign/rounds/{round_id}/priorities").get_data(as_text=True)

    assert "Share out exactly 100 points; you gave 90." in error_summary(short)
    assert field_value(short, fields[2]) == "10"  # what was typed comes back
    assert nothing_yet == []
    assert sorted(a.value for a in rows(session, PriorityAnswer)) == [20, 30, 50]
    assert [field_value(again, name) for name in fields] == ["50", "30", "20"]


# --- Opinion groups -------------------------------------------------------------------------------


def two_camp_round(session: Session) -> tuple[Round, list[Contribution], list[User]]:
    """12 participants and 6 statements in two camps (see ``plant_two_camps``)."""
    round_, statements = statements_round(session, statements=6)
    camp_a, camp_b = plant_two_camps(session, round_, statements)
    return round_, statements, camp_a + camp_b


def test_residents_cannot_see_the_opinion_groups_while_the_round_is_open(
    client: FlaskClient, auth: AuthActions, session: Session, resident: User
) -> None:
    round_, _statements, _people = two_camp_round(session)
    round_id = round_.id

    anonymous = client.get(f"/codesign/rounds/{round_id}/opinions")
    sign_in(auth, resident)
    signed_in = client.get(f"/codesign/rounds/{round_id}/opinions")

    assert anonymous.status_code == 403
    assert signed_in.status_code == 403
    assert "The opinion groups are published when the round closes." in page_text(signed_in)


@pytest.mark.parametrize("viewer", ["officer while open", "visitor after close"])
def test_the_opinion_groups_show_the_two_camps_and_the_method_but_nobody_in_them(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, viewer: str
) -> None:
    # Statements numbered past every account's number, so a participant's number on the page
    # cannot pass for a statement's.
    make_round(session, kind=RoundKind.STATEMENTS, items=tuple(f"Filler {n}" for n in range(30)))
    round_, statements, people = two_camp_round(session)
    assert min(s.id for s in statements) > max(p.id for p in people)
    if viewer == "officer while open":
        sign_in(auth, officer)
    else:
        services.close_round(session, round_.id, actor=officer)
    round_id = round_.id
    statement_ids = {s.id for s in statements}
    names = [(p.display_name, p.email) for p in people]

    response = client.get(f"/codesign/rounds/{round_id}/opinions")

    raw = response.get_data(as_text=True)
    page = text_of(raw)
    assert response.status_code == 200
    assert "Group A (6 people)" in page
    assert "Group B (6 people)" in page
    groups = section(raw, "groups-heading")
    assert re.search(r"Group A 6 #\d+ Statement number \d", groups)
    assert "How the groups are found" in page
    assert "How the opinion groups were found. Each participant voted agree" in page
    for display_name, email in names:
        assert display_name not in page
        assert email not in page
    # Every number shown as "#n" is a statement's, never a participant's.
    assert {int(n) for n in re.findall(r"#(\d+)", page)} <= statement_ids


# --- What became of my contributions --------------------------------------------------------------


def test_my_contributions_say_where_they_were_cited_and_which_statement_they_informed(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    resident: User,
    officer: User,
    mission: Mission,
) -> None:
    round_ = make_round(session, make_process(session, mission), title="Ideas for our streets")
    cited = make_contribution(session, round_, resident, title="School streets")
    uncited = make_contribution(session, round_, resident, title="Paint the bollards")
    make_contribution(session, round_, title="Someone else's idea")
    round_id, cited_id, uncited_id = round_.id, cited.id, uncited.id
    sign_in(auth, resident)

    before = page_text(client.get("/codesign/mine"))
    services.close_round(session, round_id, actor=officer)
    syntheses.publish_synthesis(
        session, round_id, f"We heard #{cited_id}", statement="New text", actor=officer
    )
    raw = client.get("/codesign/mine").get_data(as_text=True)

    assert "Not cited yet" in before
    assert "Someone else's idea" not in before
    card = re.search(rf'<li class="card" id="contribution-{cited_id}">.*?</li>\s*</ul>', raw, re.S)
    assert card is not None
    assert "Cited in the synthesis of Ideas for our streets" in text_of(card.group(0))
    assert "Informed version 2 of the mission statement" in text_of(card.group(0))
    assert f'href="/codesign/rounds/{round_id}#synthesis-heading"' in card.group(0)
    other = re.search(rf'<li class="card" id="contribution-{uncited_id}">.*?</li>', raw, re.S)
    assert other is not None
    assert "does not cite it directly" in text_of(other.group(0))


def test_visitors_are_asked_to_sign_in_to_see_their_contributions(client: FlaskClient) -> None:
    response = client.get("/codesign/mine")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


def test_the_mission_page_shows_the_latest_change_linked_to_the_contribution_it_cites(
    client: FlaskClient, session: Session, officer: User, mission: Mission
) -> None:
    round_ = make_round(session, make_process(session, mission))
    idea = make_contribution(session, round_, title="School streets")
    services.close_round(session, round_.id, actor=officer)
    syntheses.publish_synthesis(
        session,
        round_.id,
        f"We heard #{idea.id}",
        statement="Streets for all, schools first.",
        actor=officer,
    )
    idea_id = idea.id

    raw = client.get("/missions/healthy-streets").get_data(as_text=True)

    diff = re.search(r'<p class="diff" data-testid="diff">(.*?)</p>', raw, re.DOTALL)
    assert diff is not None
    assert re.search(r"<ins>.*schools first.*</ins>", diff.group(1), re.DOTALL)
    link = re.search(rf'<a href="/codesign/contributions/{idea_id}">([^<]*)</a>', raw)
    assert link is not None
    assert html.unescape(link.group(1)) == f"#{idea_id} School streets"
    assert f"We heard #{idea_id}" in text_of(raw)
