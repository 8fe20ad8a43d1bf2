"""The coding frame's pages through the test client: who may use them, adding, editing,
merging, splitting, retiring and reinstating codes, memos, versions, errors beside their
fields, and odd input."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.evaluation import frame, memos
from engage.evaluation.models import Code, CodeApplication, CodeStatus
from engage.missions.models import Mission
from tests.conftest import AuthActions
from tests.evaluation.test_frame import apply
from tests.factories import DEFAULT_PASSWORD, make_code, make_evidence, make_mission
from tests.missions.test_views import field_error, field_value, page_text, sign_in
from tests.test_security import csrf_token

MAX_ID = 2**31 - 1


def url(mission: Mission, *rest: object) -> str:
    return "/".join([f"/evaluation/{mission.slug}/frame", *(str(part) for part in rest)])


def reload(session: Session, code: Code) -> Code:
    session.rollback()  # see what the requests committed
    return session.get_one(Code, code.id)


def code_of(session: Session, application: CodeApplication) -> int:
    session.rollback()
    return session.get_one(CodeApplication, application.id).code_id


def version_count(session: Session, mission: Mission) -> int:
    session.rollback()
    return len(frame.list_versions(session, mission.id))


# --- Who may use what ---------------------------------------------------------------------------


def test_residents_and_officers_get_403_and_visitors_are_sent_to_sign_in(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    resident: User,
    officer: User,
) -> None:
    code = make_code(session, mission, "Safety")
    other = make_code(session, mission, "Lighting")
    item = make_evidence(session, mission)
    application = apply(session, code, item, None)
    pages = [url(mission), url(mission, code.id), url(mission, "versions")]
    posts = {
        url(mission): {"name": "New", "definition": "Def."},
        url(mission, code.id, "edit"): {"name": "Renamed", "definition": ""},
        url(mission, code.id, "merge"): {"into": str(other.id)},
        url(mission, code.id, "split"): {
            "split_name": "Part",
            "split_definition": "Def.",
            "applications": str(application.id),
        },
        url(mission, code.id, "retire"): {"reason": "Why."},
        url(mission, code.id, "reinstate"): {},
        url(mission, code.id, "memos"): {"body": "A note."},
    }
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    for page, data in posts.items():
        assert client.post(page, data=data).status_code == 302
    for person in (resident, officer):
        sign_in(auth, person)
        for page in pages:
            assert client.get(page).status_code == 403
        for page, data in posts.items():
            assert client.post(page, data=data).status_code == 403
        auth.sign_out()
    assert reload(session, code).name == "Safety"
    assert reload(session, code).status is CodeStatus.ACTIVE
    assert version_count(session, mission) == 0
    assert memos.list_memos(session, mission.id) == []


def test_another_missions_code_and_unknown_ids_are_not_found(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    other = make_mission(session)
    theirs = make_code(session, other, "Theirs")
    mine = make_code(session, mission, "Mine")
    sign_in(auth, evaluator)
    for code_id in (theirs.id, MAX_ID):
        assert client.get(url(mission, code_id)).status_code == 404
        for action, data in {
            "edit": {"name": "Stolen", "definition": ""},
            "merge": {"into": str(mine.id)},
            "split": {"split_name": "X", "split_definition": "Y", "applications": "1"},
            "retire": {},
            "reinstate": {},
            "memos": {"body": "Hello"},
        }.items():
            assert client.post(url(mission, code_id, action), data=data).status_code == 404
    # Merging into another mission's code is not possible either.
    response = client.post(url(mission, mine.id, "merge"), data={"into": str(theirs.id)})
    assert response.status_code == 400
    assert field_error(page_text(response), "into") == "Choose a code from the list."
    assert client.get(url(mission, MAX_ID + 1)).status_code == 404
    assert client.get("/evaluation/no-such-mission/frame").status_code == 404
    assert client.get(url(mission, "versions", 1)).status_code == 404
    assert client.get(url(mission, "versions", MAX_ID)).status_code == 404
    assert reload(session, theirs).name == "Theirs"
    assert reload(session, mine).status is CodeStatus.ACTIVE
    assert memos.list_memos(session, other.id) == []


# --- The frame and a new code -------------------------------------------------------------------


def test_the_frame_lists_active_retired_and_merged_codes(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    safety = make_code(session, mission, "Road safety", definition="Traffic and crossings.")
    lights = make_code(session, mission, "Lights")
    old = make_code(session, mission, "Old idea")
    item = make_evidence(session, mission)
    apply(session, safety, item, evaluator)
    frame.merge_code(session, mission.id, lights.id, safety.id, actor=evaluator)
    frame.retire_code(session, mission.id, old.id, actor=evaluator)
    sign_in(auth, evaluator)
    response = client.get(url(mission))
    assert response.status_code == 200
    page = page_text(response)
    assert "Traffic and crossings." in page and "Written by an evaluator" in page
    active, rest = page.split("Add a code", 1)
    assert "Road safety" in active and "Lights" not in active and "Old idea" not in active
    retired, merged = rest.split("Merged codes", 1)
    assert "Old idea" in retired
    assert "Lights" in merged and "Road safety" in merged  # merged into it
    assert 'aria-current="page">Coding frame' in page


def test_an_evaluator_adds_a_code(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    sign_in(auth, evaluator)
    response = client.post(url(mission), data={"name": " Lighting ", "definition": "Dark streets."})
    assert response.status_code == 302 and response.headers["Location"] == url(mission)
    page = page_text(client.get(url(mission)))
    assert "Added the code “Lighting” to the frame." in page
    session.rollback()
    [code] = frame.list_codes(session, mission.id)
    assert (code.name, code.definition, code.created_by_id) == (
        "Lighting",
        "Dark streets.",
        evaluator.id,
    )
    assert version_count(session, mission) == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "definition": "Kept text"}, "name", "Give the code a name."),
        ({"name": "Kept name", "definition": ""}, "definition", "Write a definition of the code."),
        (
            {"name": "x" * 121, "definition": "Kept text"},
            "name",
            "Keep the name to 120 characters.",
        ),
        (
            {"name": "A\x00B", "definition": "Kept text"},
            "name",
            "Remove the invisible control character (NUL) from this text.",
        ),
        (
            {"name": "SAFETY", "definition": "Kept text"},
            "name",
            "Another code of this frame is already called “SAFETY”.",
        ),
    ],
)
def test_a_bad_new_code_shows_its_error_beside_the_field_with_what_was_typed(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    make_code(session, mission, "Safety")
    sign_in(auth, evaluator)
    response = client.post(url(mission), data=data)
    assert response.status_code == 400
    page = page_text(response)
    assert field_error(page, field) == message
    assert "There is a problem" in page
    if data["definition"]:
        assert field_value(page, "definition") == data["definition"]
    if data["name"] and "\x00" not in data["name"]:
        assert field_value(page, "name") == data["name"]
    session.rollback()
    assert [c.name for c in frame.list_codes(session, mission.id)] == ["Safety"]
    assert version_count(session, mission) == 0


def test_a_post_missing_its_fields_or_huge_is_refused_not_a_crash(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    code = make_code(session, mission, "Safety")
    sign_in(auth, evaluator)
    for action in (
        "",
        f"{code.id}/edit",
        f"{code.id}/merge",
        f"{code.id}/split",
        f"{code.id}/memos",
    ):
        assert client.post(f"{url(mission)}/{action}".rstrip("/"), data={}).status_code == 400
    huge = {"name": "Big", "definition": "x" * 100_000}
    assert client.post(url(mission), data=huge).status_code == 400
    assert (
        client.post(url(mission, code.id, "memos"), data={"body": "y" * 100_000}).status_code == 400
    )
    assert client.post(url(mission, code.id, "merge"), data={"into": "\x00"}).status_code == 400
    assert (
        client.post(url(mission, code.id, "merge"), data={"into": "99999999999999"}).status_code
        == 400
    )
    assert version_count(session, mission) == 0


# --- Editing, merging, splitting ----------------------------------------------------------------


def test_an_evaluator_renames_a_code_and_a_clash_is_shown_beside_the_name(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    code = make_code(session, mission, "Safety", definition="Old.")
    make_code(session, mission, "Lighting")
    sign_in(auth, evaluator)
    page = page_text(client.get(url(mission, code.id)))
    assert field_value(page, "name") == "Safety" and field_value(page, "definition") == "Old."
    clash = client.post(
        url(mission, code.id, "edit"), data={"name": "lighting", "definition": "New."}
    )
    assert clash.status_code == 400
    page = page_text(clash)
    assert field_error(page, "name") == "Another code of this frame is already called “lighting”."
    assert field_value(page, "name") == "lighting" and field_value(page, "definition") == "New."
    done = client.post(
        url(mission, code.id, "edit"), data={"name": "Road safety", "definition": "New."}
    )
    assert done.status_code == 302 and done.headers["Location"] == url(mission, code.id)
    assert "Saved the code “Road safety”." in page_text(client.get(url(mission, code.id)))
    assert (reload(session, code).name, reload(session, code).definition) == ("Road safety", "New.")


def test_an_evaluator_merges_two_codes_through_the_page(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    second_evaluator: User,
) -> None:
    source = make_code(session, mission, "Crossings")
    target = make_code(session, mission, "Road safety")
    one = make_evidence(session, mission, title="Zebra crossing please")
    two = make_evidence(session, mission, title="Cars too fast")
    apply(session, target, one, evaluator)
    duplicate_id = apply(session, source, one, evaluator).id
    moved = apply(session, source, two, second_evaluator, "too fast")
    sign_in(auth, evaluator)

    page = page_text(client.get(url(mission, source.id)))
    assert f'<option value="{target.id}">Road safety</option>' in page
    assert f'<option value="{source.id}">' not in page  # not into itself
    assert "Zebra crossing please" in page and "Ezra" in page  # who applied it

    response = client.post(url(mission, source.id, "merge"), data={"into": str(target.id)})
    assert response.status_code == 302
    assert response.headers["Location"] == url(mission, target.id)
    page = page_text(client.get(response.headers["Location"]))
    assert (
        "Merged “Crossings” into “Road safety”. 1 application moved. "
        "1 was already there and was dropped." in page
    )
    assert "Cars too fast" in page and "too fast" in page
    source = reload(session, source)
    assert (source.status, source.merged_into_id) == (CodeStatus.MERGED, target.id)
    assert code_of(session, moved) == target.id
    assert (
        session.scalar(sa.select(CodeApplication.id).where(CodeApplication.id == duplicate_id))
        is None
    )
    # The merged code's page says where it went and offers no more changes but a rename.
    page = page_text(client.get(url(mission, source.id)))
    assert "Merged into" in page and "Merge into another code" not in page
    assert (
        client.post(url(mission, source.id, "merge"), data={"into": str(target.id)}).status_code
        == 400
    )


def test_a_merge_without_a_choice_shows_its_error(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    code = make_code(session, mission, "Safety")
    make_code(session, mission, "Lighting")
    sign_in(auth, evaluator)
    response = client.post(url(mission, code.id, "merge"), data={"into": ""})
    assert response.status_code == 400
    assert field_error(page_text(response), "into") == "Choose the code to merge this one into."
    into_itself = client.post(url(mission, code.id, "merge"), data={"into": str(code.id)})
    assert into_itself.status_code == 400
    assert field_error(page_text(into_itself), "into") == "Choose a code from the list."
    assert reload(session, code).status is CodeStatus.ACTIVE


def test_an_evaluator_splits_a_code(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    code = make_code(session, mission, "Safety")
    make_code(session, mission, "Lighting")
    dark = apply(
        session, code, make_evidence(session, mission, title="Dark lane"), evaluator, "no lights"
    )
    fast = apply(session, code, make_evidence(session, mission, title="Fast cars"), None)
    sign_in(auth, evaluator)
    page = page_text(client.get(url(mission, code.id)))
    assert "Dark lane: “no lights”" in page and "Fast cars (the whole item)" in page

    nothing = client.post(
        url(mission, code.id, "split"),
        data={"split_name": "Darkness", "split_definition": "Unlit places."},
    )
    assert nothing.status_code == 400
    page = page_text(nothing)
    assert field_error(page, "applications") == "Tick the applications that move to the new code."
    assert field_value(page, "split_name") == "Darkness"
    clash = client.post(
        url(mission, code.id, "split"),
        data={"split_name": "LIGHTING", "split_definition": "Unlit.", "applications": str(dark.id)},
    )
    assert clash.status_code == 400
    page = page_text(clash)
    assert (
        field_error(page, "split_name")
        == "Another code of this frame is already called “LIGHTING”."
    )
    ticked = (
        f'<input checked id="applications-0" name="applications" type="checkbox" value="{dark.id}">'
    )
    assert ticked in page  # what was ticked stays ticked
    wrong = client.post(
        url(mission, code.id, "split"),
        data={
            "split_name": "Darkness",
            "split_definition": "Unlit.",
            "applications": ["abc", str(MAX_ID)],
        },
    )
    assert wrong.status_code == 400
    assert field_error(page_text(wrong), "applications").startswith(
        "Tick only applications of this code"
    )

    done = client.post(
        url(mission, code.id, "split"),
        data={
            "split_name": "Darkness",
            "split_definition": "Unlit places.",
            "applications": str(dark.id),
        },
    )
    assert done.status_code == 302
    session.rollback()
    new = session.scalars(sa.select(Code).where(Code.name == "Darkness")).one()
    assert done.headers["Location"] == url(mission, new.id)
    assert "Split “Darkness” off from “Safety”, with 1 application." in page_text(
        client.get(done.headers["Location"])
    )
    assert new.split_from_id == code.id
    assert code_of(session, dark) == new.id and code_of(session, fast) == code.id


def test_an_evaluator_retires_with_a_reason_and_reinstates(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    code = make_code(session, mission, "Safety")
    sign_in(auth, evaluator)
    too_long = client.post(url(mission, code.id, "retire"), data={"reason": "x" * 5001})
    assert too_long.status_code == 400
    assert field_error(page_text(too_long), "reason") == "Keep the reason to 5000 characters."
    response = client.post(url(mission, code.id, "retire"), data={"reason": "Too broad."})
    assert response.status_code == 302
    page = page_text(client.get(url(mission, code.id)))
    assert "Retired “Safety”" in page and "Too broad." in page and "Reinstate this code" in page
    assert reload(session, code).status is CodeStatus.RETIRED
    # Retiring twice is refused on the page, not a crash.
    again = client.post(url(mission, code.id, "retire"), data={})
    assert again.status_code == 400 and "is no longer an active code" in page_text(again)

    assert client.post(url(mission, code.id, "reinstate")).status_code == 302
    assert "Reinstated “Safety”: it is active again." in page_text(
        client.get(url(mission, code.id))
    )
    assert reload(session, code).status is CodeStatus.ACTIVE
    refused = client.post(url(mission, code.id, "reinstate"), follow_redirects=True)
    assert "Only a retired code can be reinstated." in page_text(refused)
    assert version_count(session, mission) == 2


def test_memos_on_a_code(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    code = make_code(session, mission, "Safety")
    sign_in(auth, evaluator)
    empty = client.post(url(mission, code.id, "memos"), data={"body": "   "})
    assert empty.status_code == 400
    assert field_error(page_text(empty), "body") == "Write the memo."
    response = client.post(
        url(mission, code.id, "memos"), data={"body": "Overlaps with <b>lighting</b>?"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == url(mission, code.id) + "#memos"
    raw = client.get(url(mission, code.id)).get_data(as_text=True)
    assert "Overlaps with &lt;b&gt;lighting&lt;/b&gt;?" in raw and "<b>lighting" not in raw
    assert "Eva" in page_text(client.get(url(mission, code.id)))
    session.rollback()
    [memo] = memos.list_memos(session, mission.id, code_id=code.id)
    assert memo.author_id == evaluator.id


# --- Versions -----------------------------------------------------------------------------------


def test_the_versions_and_one_version_with_what_changed(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    sign_in(auth, evaluator)
    assert "The frame has no versions yet" in page_text(client.get(url(mission, "versions")))
    safety = frame.create_code(session, mission.id, "Safety", "Traffic.", actor=evaluator)
    frame.create_code(session, mission.id, "<script>x</script>", "Lights.", actor=evaluator)
    frame.edit_code(session, mission.id, safety.id, "Road safety", "Traffic.", actor=evaluator)
    frame.retire_code(session, mission.id, safety.id, actor=evaluator)

    response = client.get(url(mission, "versions"))
    assert response.status_code == 200
    raw = response.get_data(as_text=True)
    assert "<script>x" not in raw and "&lt;script&gt;x&lt;/script&gt;" in raw
    page = page_text(response)
    for change in (
        "Added the code “Safety”",
        "Renamed “Safety” to “Road safety”",
        "Retired “Road safety”",
    ):
        assert change in page
    assert page.count("Eva") >= 4

    page = page_text(client.get(url(mission, "versions", 3)))
    assert "Version 3 of the coding frame" in page
    assert "Changes since version 2" in page
    assert "Renamed “Safety” to “Road safety”" in page
    assert "Road safety" in page and "Traffic." in page
    page = page_text(client.get(url(mission, "versions", 4)))
    assert "“Road safety”: Active → Retired" in page
    page = page_text(client.get(url(mission, "versions", 1)))
    assert "The first version" in page and "Added “Safety” (Active)" in page
    assert client.get(url(mission, "versions", 5)).status_code == 404


def test_the_code_pages_forms_carry_a_working_csrf_token(
    make_app: Callable[..., Flask], session: Session, mission: Mission, evaluator: User
) -> None:
    code = make_code(session, mission, "Safety")
    make_code(session, mission, "Lighting")
    apply(session, code, make_evidence(session, mission), evaluator)
    page_url, email = url(mission, code.id), evaluator.email
    session.rollback()  # this app's requests do not end the test's transaction for it
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    token = csrf_token(client.get("/sign-in"))
    client.post(
        "/sign-in", data={"email": email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    )
    page = client.get(page_url).get_data(as_text=True)
    forms = dict(
        re.findall(
            r'<form method="post" action="([^"]+)"[^>]*>\s*'
            r'<input type="hidden" name="csrf_token" value="([^"]+)"',
            page,
        )
    )
    actions = {action.split("?")[0].removeprefix(page_url) for action in forms}
    assert actions >= {"/memos", "/edit", "/merge", "/split", "/retire"}
    assert 'id="csrf_token"' not in page
    memo_url = f"{page_url}/memos"
    assert client.post(memo_url, data={"body": "Forged"}).status_code == 400
    real = client.post(memo_url, data={"body": "A note", "csrf_token": forms[memo_url]})
    assert real.status_code == 302
    assert [m.body for m in memos.list_memos(session, mission.id)] == ["A note"]
