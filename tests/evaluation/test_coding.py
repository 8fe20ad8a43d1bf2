"""Applying codes to evidence items and excerpts, removing them, and what the item page shows
(independent coding from a sample included): the services, with a session."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.errors import Forbidden, Invalid, NotFound
from engage.evaluation import coding, memos
from engage.evaluation.index import EvidenceFilter
from engage.evaluation.models import CodeApplication, CodeStatus, EvidenceRecord
from engage.missions.models import Mission
from engage.security import Role
from tests.factories import make_code, make_evidence, make_mission, make_user

TEXT = "Wider pavements on the high street\nwould help   everyone walk safely."


@pytest.fixture
def item(session: Session, mission: Mission) -> EvidenceRecord:
    return make_evidence(session, mission, TEXT, title="Pavements")


def applications(session: Session) -> list[tuple[int, int, int | None, str]]:
    session.rollback()
    return [
        (row.code_id, row.evidence_id, row.coder_id, row.excerpt)
        for row in session.scalars(sa.select(CodeApplication).order_by(CodeApplication.id))
    ]


# --- Applying ---------------------------------------------------------------------------------


def test_an_evaluator_applies_a_code_to_the_whole_item_and_to_an_excerpt(
    session: Session, mission: Mission, item: EvidenceRecord, evaluator: User
) -> None:
    code = make_code(session, mission, "Walking")

    whole = coding.apply_code(session, mission.id, item.id, code.id, "", actor=evaluator)
    # Copied across the line break and the run of spaces: white space is compared collapsed.
    part = coding.apply_code(
        session, mission.id, item.id, code.id, " high street would help everyone ", actor=evaluator
    )

    assert whole.excerpt == "" and whole.coder_id == evaluator.id and whole.created_at
    assert part.excerpt == "high street would help everyone"
    assert applications(session) == [
        (code.id, item.id, evaluator.id, ""),
        (code.id, item.id, evaluator.id, "high street would help everyone"),
    ]


def test_applying_the_same_code_to_the_same_excerpt_twice_keeps_one_application(
    session: Session,
    mission: Mission,
    item: EvidenceRecord,
    evaluator: User,
    second_evaluator: User,
) -> None:
    code = make_code(session, mission, "Walking")
    first = coding.apply_code(session, mission.id, item.id, code.id, "walk safely", actor=evaluator)

    again = coding.apply_code(
        session, mission.id, item.id, code.id, "walk   safely", actor=evaluator
    )
    other_coder = coding.apply_code(
        session, mission.id, item.id, code.id, "walk safely", actor=second_evaluator
    )

    assert again.id == first.id  # idempotent: nothing added
    assert other_coder.id != first.id  # another coder's application is their own
    assert len(applications(session)) == 2


@pytest.mark.parametrize(
    "excerpt",
    [
        "narrower pavements",  # not in the text
        "WIDER PAVEMENTS",  # verbatim means the same letters
        "Pavements",  # the title is not the text
        "x" * (coding.EXCERPT_MAX_LENGTH + 1),
        "walk\x00safely",
    ],
)
def test_an_excerpt_must_be_a_verbatim_part_of_the_text(
    session: Session, mission: Mission, item: EvidenceRecord, evaluator: User, excerpt: str
) -> None:
    code = make_code(session, mission, "Walking")

    with pytest.raises(Invalid) as refused:
        coding.apply_code(session, mission.id, item.id, code.id, excerpt, actor=evaluator)

    assert refused.value.field == "excerpt"
    assert applications(session) == []


def test_only_active_codes_of_the_mission_apply_to_its_items(
    session: Session, mission: Mission, item: EvidenceRecord, evaluator: User
) -> None:
    retired = make_code(session, mission, "Old")
    retired.status = CodeStatus.RETIRED
    session.commit()
    elsewhere = make_mission(session)
    foreign_code = make_code(session, elsewhere, "Elsewhere")
    foreign_item = make_evidence(session, elsewhere)
    code = make_code(session, mission, "Walking")

    with pytest.raises(Invalid) as refused:
        coding.apply_code(session, mission.id, item.id, retired.id, "", actor=evaluator)
    assert refused.value.field == "code"
    with pytest.raises(NotFound):
        coding.apply_code(session, mission.id, item.id, foreign_code.id, "", actor=evaluator)
    with pytest.raises(NotFound):
        coding.apply_code(session, mission.id, foreign_item.id, code.id, "", actor=evaluator)
    with pytest.raises(NotFound):
        coding.apply_code(session, mission.id, item.id, 2**31 - 1, "", actor=evaluator)
    assert applications(session) == []


def test_only_evaluators_apply_and_remove_codes(
    session: Session,
    mission: Mission,
    item: EvidenceRecord,
    evaluator: User,
    officer: User,
    resident: User,
) -> None:
    code = make_code(session, mission, "Walking")
    application = coding.apply_code(session, mission.id, item.id, code.id, "", actor=evaluator)
    for person in (officer, resident, None):
        with pytest.raises(Forbidden):
            coding.apply_code(session, mission.id, item.id, code.id, "", actor=person)
        with pytest.raises(Forbidden):
            coding.remove_application(session, mission.id, item.id, application.id, actor=person)
    assert len(applications(session)) == 1


# --- Removing -----------------------------------------------------------------------------------


def test_a_coder_removes_their_own_applications_and_theme_proposals_but_not_anothers(
    session: Session,
    mission: Mission,
    item: EvidenceRecord,
    evaluator: User,
    second_evaluator: User,
) -> None:
    code = make_code(session, mission, "Walking")
    own = coding.apply_code(session, mission.id, item.id, code.id, "", actor=evaluator)
    theirs = coding.apply_code(session, mission.id, item.id, code.id, "", actor=second_evaluator)
    proposed = CodeApplication(code_id=code.id, evidence_id=item.id, coder_id=None)
    session.add(proposed)
    session.commit()
    own_id, theirs_id, proposed_id = own.id, theirs.id, proposed.id

    with pytest.raises(Forbidden):
        coding.remove_application(session, mission.id, item.id, theirs_id, actor=evaluator)
    coding.remove_application(session, mission.id, item.id, own_id, actor=evaluator)
    coding.remove_application(session, mission.id, item.id, proposed_id, actor=evaluator)

    assert applications(session) == [(code.id, item.id, second_evaluator.id, "")]


def test_removing_needs_the_application_of_that_item_in_that_mission(
    session: Session, mission: Mission, item: EvidenceRecord, evaluator: User
) -> None:
    code = make_code(session, mission, "Walking")
    application = coding.apply_code(session, mission.id, item.id, code.id, "", actor=evaluator)
    other_item = make_evidence(session, mission, "Another idea.")
    elsewhere = make_mission(session)

    for mission_id, evidence_id, application_id in [
        (mission.id, other_item.id, application.id),  # not this item's
        (elsewhere.id, item.id, application.id),  # not this mission's
        (mission.id, item.id, application.id + 1000),  # no such application
    ]:
        with pytest.raises(NotFound):
            coding.remove_application(
                session, mission_id, evidence_id, application_id, actor=evaluator
            )
    assert len(applications(session)) == 1


# --- The item page: everything, or only one's own in a sample ------------------------------------


def test_the_item_shows_every_coder_and_theme_proposal_with_names(
    session: Session,
    mission: Mission,
    item: EvidenceRecord,
    evaluator: User,
    second_evaluator: User,
) -> None:
    walking = make_code(session, mission, "walking")
    safety = make_code(session, mission, "Safety")
    coding.apply_code(session, mission.id, item.id, walking.id, "", actor=evaluator)
    coding.apply_code(
        session, mission.id, item.id, safety.id, "walk safely", actor=second_evaluator
    )
    session.add(CodeApplication(code_id=safety.id, evidence_id=item.id, coder_id=None))
    session.commit()
    memos.add_memo(session, mission.id, "Mentions children?", evidence_id=item.id, actor=evaluator)

    shown = coding.item_coding(session, mission.id, item.id, viewer=evaluator)

    assert not shown.independent
    # By code name, case aside; then oldest first.
    assert [(a.code.name, a.coder_id) for a in shown.applications] == [
        ("Safety", second_evaluator.id),
        ("Safety", None),
        ("walking", evaluator.id),
    ]
    assert [memo.body for memo in shown.memos] == ["Mentions children?"]
    assert shown.names == {evaluator.id: "Eva", second_evaluator.id: "Ezra"}


def test_a_coder_of_a_sample_sees_only_their_own_codes_and_memos_and_the_next_item(
    session: Session,
    mission: Mission,
    evaluator: User,
    second_evaluator: User,
) -> None:
    items = [make_evidence(session, mission, f"Idea {n}.") for n in range(3)]
    code = make_code(session, mission, "Walking")
    sample = coding.draw_sample(
        session, mission.id, "Pilot", 3, "seed", EvidenceFilter(),
        evaluator.id, second_evaluator.id, actor=evaluator,
    )  # fmt: skip
    order = [entry.evidence_id for entry in sample.items]
    first = order[0]
    coding.apply_code(session, mission.id, first, code.id, "", actor=second_evaluator)
    memos.add_memo(session, mission.id, "Ezra's thought", evidence_id=first, actor=second_evaluator)
    memos.add_memo(session, mission.id, "Eva's thought", evidence_id=first, actor=evaluator)

    mine = coding.item_coding(session, mission.id, first, viewer=evaluator, sample_id=sample.id)
    theirs = coding.item_coding(
        session, mission.id, first, viewer=second_evaluator, sample_id=sample.id
    )
    last = coding.item_coding(session, mission.id, order[2], viewer=evaluator, sample_id=sample.id)

    assert mine.step is not None and mine.step.position == 1 and mine.step.size == 3
    assert mine.step.next_evidence_id == order[1]
    assert mine.applications == []  # Ezra's code is hidden from Eva
    assert [memo.body for memo in mine.memos] == ["Eva's thought"]
    assert [a.coder_id for a in theirs.applications] == [second_evaluator.id]
    assert last.step is not None and last.step.next_evidence_id is None
    assert {i.id for i in items} == set(order)


def test_outside_the_sample_or_its_coders_the_item_shows_everything(
    session: Session,
    mission: Mission,
    item: EvidenceRecord,
    evaluator: User,
    second_evaluator: User,
) -> None:
    third = make_user(session, role=Role.EVALUATOR, display_name="Third")
    code = make_code(session, mission, "Walking")
    sample = coding.draw_sample(
        session, mission.id, "Pilot", 1, "s", EvidenceFilter(),
        evaluator.id, second_evaluator.id, actor=evaluator,
    )  # fmt: skip
    outside = make_evidence(session, mission, "Not in the sample.")
    coding.apply_code(session, mission.id, item.id, code.id, "", actor=second_evaluator)
    coding.apply_code(session, mission.id, outside.id, code.id, "", actor=second_evaluator)

    not_a_coder = coding.item_coding(
        session, mission.id, item.id, viewer=third, sample_id=sample.id
    )
    not_in_it = coding.item_coding(
        session, mission.id, outside.id, viewer=evaluator, sample_id=sample.id
    )

    assert not not_a_coder.independent and len(not_a_coder.applications) == 1
    assert not not_in_it.independent and len(not_in_it.applications) == 1
    elsewhere = make_mission(session)
    with pytest.raises(NotFound):
        coding.item_coding(session, elsewhere.id, item.id, viewer=evaluator)
    foreign_item = make_evidence(session, elsewhere)
    with pytest.raises(NotFound):  # a sample of another mission
        coding.item_coding(
            session, elsewhere.id, foreign_item.id, viewer=evaluator, sample_id=sample.id
        )


def test_collapse_makes_every_run_of_white_space_one_space() -> None:
    assert coding.collapse("  a\n\tb   c \r\n") == "a b c"
