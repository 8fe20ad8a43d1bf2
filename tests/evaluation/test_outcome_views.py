"""The outcome and learning-log pages through the test client: who may use them, recording an
outcome with its indicators and evidence, errors beside their fields with the input kept, and
another mission's records and odd input answered without a server error."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.evaluation import outcomes
from engage.evaluation.models import HarvestedOutcome, LearningEntry, LearningLoop
from engage.evaluation.outcomes import LearningFields, OutcomeFields
from engage.missions.models import Indicator, Mission
from tests.conftest import AuthActions
from tests.factories import make_evidence, make_indicator, make_mission, make_outcome
from tests.missions.test_views import field_error, field_value, page_text, sign_in

FORM = {
    "what_changed": "The council opened two school streets.",
    "for_whom": "Families at Green Lane primary",
    "happened_on": "2026-05-04",
    "place": "Green Lane",
    "significance": "The first closures at school times.",
    "contribution": "The co-design round proposed them.",
    "substantiated_by": "",
    "mission_outcome_id": "",
}
ENTRY = {
    "loop": "double",
    "noted_on": "2026-06-01",
    "what_happened": "Few people came to the evening workshop.",
    "learned": "Our idea of who the workshops are for was wrong.",
    "next_step": "Ask schools to host them.",
}


def url(mission: Mission, *rest: object) -> str:
    return "/".join([f"/evaluation/{mission.slug}", *(str(part) for part in rest)])


def record(session: Session, mission: Mission, evaluator: User, **changes: Any) -> HarvestedOutcome:
    values: dict[str, Any] = {
        "what_changed": "A bus route changed.",
        "for_whom": "Bus users",
        "contribution": "The jury asked for it.",
    }
    values.update(changes)
    return outcomes.record_outcome(session, mission.id, OutcomeFields(**values), actor=evaluator)


def entry(session: Session, mission: Mission, evaluator: User, **changes: Any) -> LearningEntry:
    values: dict[str, Any] = {
        "loop": LearningLoop.SINGLE,
        "noted_on": date(2026, 5, 1),
        "what_happened": "The survey link broke.",
        "learned": "Test links before sending.",
    }
    values.update(changes)
    return outcomes.add_entry(session, mission.id, LearningFields(**values), actor=evaluator)


def audit_actions(session: Session) -> list[str]:
    session.rollback()
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def indicator(session: Session, mission: Mission) -> Indicator:
    return make_indicator(session, make_outcome(session, mission, title="Safer streets"))


# --- Who may use them ----------------------------------------------------------------------------


def test_residents_and_officers_get_403_and_visitors_sign_in(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    officer: User,
    resident: User,
) -> None:
    item = make_evidence(session, mission)
    harvested = record(session, mission, evaluator)
    outcomes.link_evidence(session, mission.id, harvested.id, str(item.id), actor=evaluator)
    logged = entry(session, mission, evaluator)
    pages = [
        url(mission, "outcomes"),
        url(mission, "outcomes", "new"),
        url(mission, "outcomes", harvested.id),
        url(mission, "outcomes", harvested.id, "edit"),
        url(mission, "learning"),
        url(mission, "learning", logged.id, "edit"),
    ]
    posts = {
        url(mission, "outcomes", "new"): FORM,
        url(mission, "outcomes", harvested.id, "edit"): FORM,
        url(mission, "outcomes", harvested.id, "delete"): {},
        url(mission, "outcomes", harvested.id, "evidence"): {"numbers": str(item.id)},
        url(mission, "outcomes", harvested.id, "evidence", item.id, "remove"): {},
        url(mission, "learning"): ENTRY,
        url(mission, "learning", logged.id, "edit"): ENTRY,
        url(mission, "learning", logged.id, "delete"): {},
    }
    before = audit_actions(session)
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    for page, data in posts.items():
        assert client.post(page, data=data).status_code == 302
    for person in (resident, officer):
        sign_in(auth, person)
        for page in pages:
            assert client.get(page).status_code == 403, page
        for page, data in posts.items():
            assert client.post(page, data=data).status_code == 403, page
        auth.sign_out()
    assert audit_actions(session) == before
    assert session.get(HarvestedOutcome, harvested.id) is not None


# --- Outcome records -----------------------------------------------------------------------------


def test_an_evaluator_records_an_outcome_with_indicators_and_evidence(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    indicator: Indicator,
) -> None:
    unused = make_indicator(session, indicator.outcome)
    walk = make_evidence(session, mission, title="Walk to school together")
    crossing = make_evidence(session, mission, title="A safer crossing", domain="juries")
    sign_in(auth, evaluator)
    form = client.get(url(mission, "outcomes", "new"))
    assert form.status_code == 200
    assert "Safer streets: Annual mean NO2 (µg/m³)" in page_text(form)
    data = {
        **FORM,
        "mission_outcome_id": str(indicator.outcome_id),
        "indicator_ids": [str(indicator.id)],
    }
    response = client.post(url(mission, "outcomes", "new"), data=data)
    assert response.status_code == 302
    session.rollback()
    stored = session.scalars(sa.select(HarvestedOutcome)).one()
    assert response.headers["Location"].endswith(url(mission, "outcomes", stored.id))
    assert stored.mission_outcome_id == indicator.outcome_id
    assert stored.happened_on == date(2026, 5, 4)
    assert outcomes.indicator_ids_of(session, stored.id) == [indicator.id]
    assert unused.id not in outcomes.indicator_ids_of(session, stored.id)

    page = client.get(response.headers["Location"])
    text = page_text(page)
    assert "Outcome recorded." in text and "Not yet substantiated" in text
    assert "Families at Green Lane primary" in text and "Safer streets" in text

    linked = client.post(
        url(mission, "outcomes", stored.id, "evidence"),
        data={"numbers": f"{walk.id}, #{crossing.id}"},
    )
    assert linked.status_code == 302
    text = page_text(client.get(url(mission, "outcomes", stored.id)))
    assert "2 evidence items linked." in text
    assert "Walk to school together" in text and "A safer crossing" in text
    assert "Citizens' juries" in text  # the source
    assert url(mission, "items", walk.id) in text  # the link to the item's page
    session.rollback()
    assert {item.id for item in session.get_one(HarvestedOutcome, stored.id).evidence} == {
        walk.id,
        crossing.id,
    }

    again = client.post(
        url(mission, "outcomes", stored.id, "evidence"), data={"numbers": str(walk.id)}
    )
    assert "1 item was already linked" in page_text(client.get(again.headers["Location"]))

    removed = client.post(url(mission, "outcomes", stored.id, "evidence", walk.id, "remove"))
    assert removed.status_code == 302
    assert f"Item {walk.id} is no longer linked." in page_text(
        client.get(removed.headers["Location"])
    )
    session.rollback()
    assert [item.id for item in session.get_one(HarvestedOutcome, stored.id).evidence] == [
        crossing.id
    ]
    assert audit_actions(session) == [
        "evaluation.outcome_recorded",
        "evaluation.outcome_updated",
        "evaluation.outcome_updated",
    ]


def test_a_bad_form_keeps_the_input_and_shows_errors_beside_fields(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    indicator: Indicator,
) -> None:
    theirs = make_indicator(session, make_outcome(session, make_mission(session)))
    sign_in(auth, evaluator)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    response = client.post(
        url(mission, "outcomes", "new"),
        data={**FORM, "what_changed": "", "happened_on": tomorrow, "place": "Green Lane"},
    )
    assert response.status_code == 400
    page = page_text(response)
    assert field_error(page, "what_changed") == "Say what changed."
    assert field_error(page, "happened_on") == "Give a date that is not in the future."
    assert field_value(page, "for_whom") == "Families at Green Lane primary"
    assert field_value(page, "place") == "Green Lane"
    assert field_value(page, "happened_on") == tomorrow
    assert "There is a problem" in page

    response = client.post(
        url(mission, "outcomes", "new"), data={**FORM, "indicator_ids": [str(theirs.id)]}
    )
    assert response.status_code == 400
    assert field_error(page_text(response), "indicator_ids") == (
        "Choose indicators of this mission only."
    )
    response = client.post(
        url(mission, "outcomes", "new"), data={**FORM, "mission_outcome_id": str(theirs.outcome_id)}
    )
    assert response.status_code == 400
    assert field_error(page_text(response), "mission_outcome_id") == (
        "Choose one of this mission's outcomes."
    )
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(HarvestedOutcome.id))) == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"mission_outcome_id": "abc"},
        {"mission_outcome_id": "99999999999999"},
        {"indicator_ids": ["x", "99999999999999"]},
        {"happened_on": "2026-13-45"},
        {"what_changed": "nul \x00 here"},
        {"for_whom": "x" * 301},
        {"significance": "x" * 10_001},
        {"contribution": None},
    ],
)
def test_odd_input_is_a_400_not_a_500(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    changes: dict[str, Any],
) -> None:
    sign_in(auth, evaluator)
    data = {**FORM, **changes}
    data = {name: value for name, value in data.items() if value is not None}
    response = client.post(url(mission, "outcomes", "new"), data=data)
    assert response.status_code == 400
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(HarvestedOutcome.id))) == 0


def test_the_list_filters_by_mission_outcome_and_substantiation(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    indicator: Indicator,
) -> None:
    record(session, mission, evaluator, what_changed="Linked and confirmed change",
           mission_outcome_id=indicator.outcome_id, substantiated_by="The head teacher")  # fmt: skip
    record(session, mission, evaluator, what_changed="Loose unconfirmed change")
    record(session, make_mission(session), evaluator, what_changed="Another mission's change")
    sign_in(auth, evaluator)
    text = page_text(client.get(url(mission, "outcomes")))
    assert "Linked and confirmed change" in text and "Loose unconfirmed change" in text
    assert "Another mission's change" not in text
    assert "2 outcome records." in text

    text = page_text(
        client.get(url(mission, "outcomes"), query_string={"mission_outcome": indicator.outcome_id})
    )
    assert "Linked and confirmed change" in text and "Loose unconfirmed change" not in text
    assert "1 of 2 outcome records matches this filter." in text
    text = page_text(client.get(url(mission, "outcomes"), query_string={"substantiated": "no"}))
    assert "Loose unconfirmed change" in text and "Linked and confirmed change" not in text
    text = page_text(client.get(url(mission, "outcomes"), query_string={"mission_outcome": "none"}))
    assert "Loose unconfirmed change" in text and "Linked and confirmed change" not in text
    odd = client.get(
        url(mission, "outcomes"), query_string={"mission_outcome": "\x00zz", "substantiated": "x"}
    )
    assert odd.status_code == 200
    assert "2 outcome records." in page_text(odd)


def test_an_outcome_is_edited_and_deleted(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    indicator: Indicator,
) -> None:
    harvested = record(session, mission, evaluator, indicator_ids=(indicator.id,))
    harvested_id = harvested.id
    sign_in(auth, evaluator)
    form = page_text(client.get(url(mission, "outcomes", harvested.id, "edit")))
    assert field_value(form, "for_whom") == "Bus users"
    box = re.search(rf'<input[^>]*name="indicator_ids"[^>]*value="{indicator.id}"[^>]*>', form)
    assert box is not None and "checked" in box.group(0)
    bad = client.post(url(mission, "outcomes", harvested.id, "edit"), data={**FORM, "for_whom": ""})
    assert bad.status_code == 400
    assert field_error(page_text(bad), "for_whom") == (
        "Say for whom it changed: people, a group or an organisation."
    )
    saved = client.post(
        url(mission, "outcomes", harvested.id, "edit"),
        data={**FORM, "substantiated_by": "The transport officer, by e-mail"},
    )
    assert saved.status_code == 302
    text = page_text(client.get(saved.headers["Location"]))
    assert "Outcome record saved." in text and "The transport officer, by e-mail" in text
    session.rollback()
    assert outcomes.indicator_ids_of(session, harvested.id) == []  # none checked: none kept
    deleted = client.post(url(mission, "outcomes", harvested.id, "delete"))
    assert deleted.status_code == 302 and deleted.headers["Location"].endswith(
        url(mission, "outcomes")
    )
    assert "Outcome record deleted." in page_text(client.get(deleted.headers["Location"]))
    session.rollback()
    assert session.get(HarvestedOutcome, harvested_id) is None


def test_bad_evidence_numbers_are_each_reported_beside_the_box(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    mine = make_evidence(session, mission)
    theirs = make_evidence(session, make_mission(session))
    harvested = record(session, mission, evaluator)
    sign_in(auth, evaluator)
    typed = f"{mine.id} {theirs.id}, 777777 pear"
    response = client.post(
        url(mission, "outcomes", harvested.id, "evidence"), data={"numbers": typed}
    )
    assert response.status_code == 400
    page = page_text(response)
    assert field_error(page, "numbers") == (
        f"These are not numbers of this mission's evidence items: {theirs.id}, 777777, pear."
    )
    assert field_value(page, "numbers") == typed
    empty = client.post(url(mission, "outcomes", harvested.id, "evidence"), data={"numbers": " "})
    assert empty.status_code == 400
    assert field_error(page_text(empty), "numbers") == (
        "Give the numbers of the evidence items to link."
    )
    session.rollback()
    assert session.get_one(HarvestedOutcome, harvested.id).evidence == []
    not_linked = client.post(url(mission, "outcomes", harvested.id, "evidence", mine.id, "remove"))
    assert not_linked.status_code == 302
    assert f"Item {mine.id} is not linked" in page_text(client.get(not_linked.headers["Location"]))


def test_another_missions_records_are_not_found(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    other = make_mission(session)
    theirs = record(session, other, evaluator)
    their_entry = entry(session, other, evaluator)
    mine = record(session, mission, evaluator)
    their_item = make_evidence(session, other)
    sign_in(auth, evaluator)
    for page in (
        url(mission, "outcomes", theirs.id),
        url(mission, "outcomes", theirs.id, "edit"),
        url(mission, "outcomes", 2**31 - 1),
        url(mission, "outcomes", 2**40),
        url(mission, "learning", their_entry.id, "edit"),
        "/evaluation/no-such-mission/outcomes",
    ):
        assert client.get(page).status_code == 404, page
    for page, data in {
        url(mission, "outcomes", theirs.id, "edit"): FORM,
        url(mission, "outcomes", theirs.id, "delete"): {},
        url(mission, "outcomes", theirs.id, "evidence"): {"numbers": str(their_item.id)},
        url(mission, "outcomes", mine.id, "evidence", their_item.id, "remove"): {},
        url(mission, "learning", their_entry.id, "edit"): ENTRY,
        url(mission, "learning", their_entry.id, "delete"): {},
    }.items():
        assert client.post(page, data=data).status_code == 404, page
    session.rollback()
    assert session.get(HarvestedOutcome, theirs.id) is not None
    assert session.get(LearningEntry, their_entry.id) is not None


# --- The learning log ----------------------------------------------------------------------------


def test_an_evaluator_adds_filters_edits_and_deletes_entries(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    entry(session, mission, evaluator, what_happened="The survey link broke.")
    sign_in(auth, evaluator)
    page = client.get(url(mission, "learning"))
    assert page.status_code == 200
    text = page_text(page)
    assert "Are we doing the right things?" in text and "1 entry in the log" in text
    assert field_value(text, "noted_on") == date.today().isoformat()

    added = client.post(url(mission, "learning"), data=ENTRY)
    assert added.status_code == 302 and added.headers["Location"].endswith(url(mission, "learning"))
    text = page_text(client.get(added.headers["Location"]))
    assert "Added to the learning log." in text
    assert text.index("Few people came") < text.index("The survey link broke.")  # newest first
    session.rollback()
    new = session.scalars(sa.select(LearningEntry).where(LearningEntry.loop == "double")).one()
    new_id = new.id
    assert new.author_id == evaluator.id and new.noted_on == date(2026, 6, 1)

    double = page_text(client.get(url(mission, "learning"), query_string={"loop": "double"}))
    assert "Few people came" in double and "The survey link broke." not in double
    odd = client.get(url(mission, "learning"), query_string={"loop": "\x00quadruple"})
    assert odd.status_code == 200 and "The survey link broke." in page_text(odd)

    edit = client.get(url(mission, "learning", new.id, "edit"))
    assert (
        field_value(page_text(edit), "what_happened") == "Few people came to the evening workshop."
    )
    saved = client.post(url(mission, "learning", new.id, "edit"), data={**ENTRY, "loop": "triple"})
    assert saved.status_code == 302
    session.rollback()
    assert session.get_one(LearningEntry, new.id).loop is LearningLoop.TRIPLE
    deleted = client.post(url(mission, "learning", new.id, "delete"))
    assert deleted.status_code == 302
    assert "Learning log entry deleted." in page_text(client.get(deleted.headers["Location"]))
    session.rollback()
    assert session.get(LearningEntry, new_id) is None
    assert audit_actions(session)[-3:] == [
        "evaluation.learning_added",
        "evaluation.learning_updated",
        "evaluation.learning_deleted",
    ]


def test_a_bad_entry_rerenders_the_list_with_400_and_errors(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    sign_in(auth, evaluator)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    response = client.post(
        url(mission, "learning"),
        data={**ENTRY, "loop": "quadruple", "noted_on": tomorrow, "learned": ""},
    )
    assert response.status_code == 400
    page = page_text(response)
    assert field_error(page, "loop") == "Choose one of the three loops."
    assert field_error(page, "noted_on") == "Give a date that is not in the future."
    assert field_error(page, "learned") == "Say what was learned."
    assert field_value(page, "what_happened") == ENTRY["what_happened"]
    assert field_value(page, "noted_on") == tomorrow
    missing = client.post(url(mission, "learning"), data={"what_happened": "x"})
    assert missing.status_code == 400
    assert field_error(page_text(missing), "loop") == "Choose the loop of learning."
    nul = client.post(url(mission, "learning"), data={**ENTRY, "learned": "a\x00b"})
    assert nul.status_code == 400
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(LearningEntry.id))) == 0


def test_a_bad_edit_shows_its_errors(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    logged = entry(session, mission, evaluator)
    sign_in(auth, evaluator)
    response = client.post(
        url(mission, "learning", logged.id, "edit"), data={**ENTRY, "what_happened": ""}
    )
    assert response.status_code == 400
    assert field_error(page_text(response), "what_happened") == "Say what happened."
    session.rollback()
    assert session.get_one(LearningEntry, logged.id).what_happened == "The survey link broke."
