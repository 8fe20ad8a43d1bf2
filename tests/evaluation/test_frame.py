"""The coding frame's services, with a session: adding, editing, merging, splitting, retiring
and reinstating codes, the version each change writes, and what the frame's pages read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.errors import Forbidden, Invalid, NotFound
from engage.evaluation import frame, memos
from engage.evaluation.models import (
    Code,
    CodeApplication,
    CodeOrigin,
    CodeStatus,
    EvidenceRecord,
    FrameVersion,
)
from engage.missions.models import Mission
from tests.factories import make_code, make_evidence, make_mission

ACTIVE, RETIRED, MERGED = CodeStatus.ACTIVE, CodeStatus.RETIRED, CodeStatus.MERGED


def apply(
    session: Session,
    code: Code,
    item: EvidenceRecord,
    coder: User | None = None,
    excerpt: str = "",
) -> CodeApplication:
    """A code applied to an item (coder None: proposed by a theme run)."""
    application = CodeApplication(
        code_id=code.id,
        evidence_id=item.id,
        coder_id=coder.id if coder else None,
        excerpt=excerpt,
    )
    session.add(application)
    session.commit()
    return application


def applications(session: Session, code: Code) -> list[tuple[int, int | None, str]]:
    """(item, coder, excerpt) of every application of the code, as the database has them."""
    session.expire_all()
    rows = session.execute(
        sa.select(CodeApplication.evidence_id, CodeApplication.coder_id, CodeApplication.excerpt)
        .where(CodeApplication.code_id == code.id)
        .order_by(CodeApplication.id)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def versions(session: Session, mission: Mission) -> list[FrameVersion]:
    session.expire_all()
    return list(reversed(frame.list_versions(session, mission.id)))


def audit_actions(session: Session) -> list[str]:
    return list(
        session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.action.like("evaluation.%"))
            .order_by(AuditEntry.id)
        )
    )


def reload(session: Session, code: Code) -> Code:
    session.expire_all()
    return session.get_one(Code, code.id)


def by_name(snapshot: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in snapshot}


# --- Adding codes -------------------------------------------------------------------------------


def test_an_evaluator_adds_a_code_and_the_frame_gets_a_version(
    session: Session, mission: Mission, evaluator: User
) -> None:
    code = frame.create_code(
        session, mission.id, "  Road safety ", "Fear of traffic, crossings.", actor=evaluator
    )
    assert (code.name, code.definition, code.origin, code.status) == (
        "Road safety",
        "Fear of traffic, crossings.",
        CodeOrigin.EVALUATOR,
        ACTIVE,
    )
    [version] = versions(session, mission)
    assert version.number == 1
    assert version.change == "Added the code “%(name)s”"
    assert version.change_params == {"name": "Road safety"}
    assert version.created_by_id == evaluator.id
    assert [(c["id"], c["name"], c["status"]) for c in version.snapshot] == [
        (code.id, "Road safety", "active")
    ]
    entry = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "evaluation.code_created")
    ).one()
    assert entry.subject == f"mission:{mission.id}"
    assert entry.details == {"code_id": code.id, "name": "Road safety", "frame_version": 1}


def test_names_are_unique_in_a_mission_ignoring_case(
    session: Session, mission: Mission, evaluator: User
) -> None:
    frame.create_code(session, mission.id, "Road safety", "Traffic.", actor=evaluator)
    with pytest.raises(Invalid) as refused:
        frame.create_code(session, mission.id, "ROAD SAFETY", "Again.", actor=evaluator)
    assert refused.value.field == "name"
    assert str(refused.value) == "Another code of this frame is already called “ROAD SAFETY”."
    session.rollback()
    # Another mission may use the name.
    other = make_mission(session)
    frame.create_code(session, other.id, "road safety", "Theirs.", actor=evaluator)
    assert len(versions(session, mission)) == 1


@pytest.mark.parametrize(
    ("name", "definition", "field", "message"),
    [
        ("", "Something.", "name", "Give the code a name."),
        ("x" * 121, "Something.", "name", "Keep the name to 120 characters."),
        (
            "A\x00B",
            "Something.",
            "name",
            "Remove the invisible control character (NUL) from this text.",
        ),
        (
            "Fine",
            "  ",
            "definition",
            "Write a definition: what the code covers, so every coder applies it alike.",
        ),
        ("Fine", "x" * 5001, "definition", "Keep the definition to 5000 characters."),
    ],
)
def test_a_new_code_needs_a_name_and_a_definition(
    session: Session,
    mission: Mission,
    evaluator: User,
    name: str,
    definition: str,
    field: str,
    message: str,
) -> None:
    with pytest.raises(Invalid) as refused:
        frame.create_code(session, mission.id, name, definition, actor=evaluator)
    assert (refused.value.field, str(refused.value)) == (field, message)
    session.rollback()
    assert frame.list_codes(session, mission.id) == []
    assert versions(session, mission) == []


def test_only_evaluators_change_the_frame(
    session: Session, mission: Mission, evaluator: User, officer: User, resident: User
) -> None:
    code = make_code(session, mission, "Safety")
    other = make_code(session, mission, "Lighting")
    item = make_evidence(session, mission)
    application = apply(session, code, item, evaluator)
    changes: list[Callable[[User | None], object]] = [
        lambda actor: frame.create_code(session, mission.id, "New", "Def.", actor=actor),
        lambda actor: frame.edit_code(session, mission.id, code.id, "Renamed", "", actor=actor),
        lambda actor: frame.merge_code(session, mission.id, code.id, other.id, actor=actor),
        lambda actor: frame.split_code(
            session, mission.id, code.id, "Part", "Def.", [application.id], actor=actor
        ),
        lambda actor: frame.retire_code(session, mission.id, code.id, "Why.", actor=actor),
        lambda actor: frame.reinstate_code(session, mission.id, code.id, actor=actor),
    ]
    for change in changes:
        for person in (officer, resident, None):
            with pytest.raises(Forbidden):
                change(person)
    assert versions(session, mission) == []
    assert audit_actions(session) == []
    assert [c.name for c in frame.list_codes(session, mission.id)] == ["Lighting", "Safety"]


# --- Editing ------------------------------------------------------------------------------------


def test_rename_and_redefine_each_write_a_version(
    session: Session, mission: Mission, evaluator: User
) -> None:
    code = make_code(session, mission, "Safety", definition="Old.")
    frame.edit_code(session, mission.id, code.id, "Road safety", "Old.", actor=evaluator)
    frame.edit_code(session, mission.id, code.id, "Road safety", "New.", actor=evaluator)
    frame.edit_code(session, mission.id, code.id, "road Safety", "Newer.", actor=evaluator)
    assert [(v.number, v.change, v.change_params) for v in versions(session, mission)] == [
        (1, "Renamed “%(old)s” to “%(name)s”", {"old": "Safety", "name": "Road safety"}),
        (2, "Changed the definition of “%(name)s”", {"old": "Road safety", "name": "Road safety"}),
        (
            3,
            "Renamed “%(old)s” to “%(name)s” and changed its definition",
            {"old": "Road safety", "name": "road Safety"},
        ),
    ]
    assert (reload(session, code).name, reload(session, code).definition) == (
        "road Safety",
        "Newer.",
    )
    assert audit_actions(session) == ["evaluation.code_edited"] * 3


def test_an_edit_is_refused_when_the_name_is_taken_or_nothing_changed(
    session: Session, mission: Mission, evaluator: User
) -> None:
    code = make_code(session, mission, "Safety", definition="Def.")
    make_code(session, mission, "Lighting")
    with pytest.raises(Invalid) as taken:
        frame.edit_code(session, mission.id, code.id, "lighting", "Def.", actor=evaluator)
    assert taken.value.field == "name"
    session.rollback()
    with pytest.raises(Invalid) as same:
        frame.edit_code(session, mission.id, code.id, " Safety ", "Def. ", actor=evaluator)
    assert str(same.value) == "The name and the definition are as they were: nothing to save."
    session.rollback()
    with pytest.raises(NotFound):
        frame.edit_code(session, mission.id, 2**31 - 1, "X", "", actor=evaluator)
    other = make_mission(session)
    with pytest.raises(NotFound):
        frame.edit_code(session, other.id, code.id, "X", "", actor=evaluator)
    assert reload(session, code).name == "Safety"
    assert versions(session, mission) == []


# --- Merging ------------------------------------------------------------------------------------


def test_merge_moves_applications_drops_duplicates_and_unions_keywords(
    session: Session, mission: Mission, evaluator: User, second_evaluator: User
) -> None:
    source = make_code(session, mission, "Crossings", origin=CodeOrigin.THEME)
    source.keywords = ["crossing", "traffic", "lights"]
    target = make_code(session, mission, "Road safety", origin=CodeOrigin.THEME)
    target.keywords = ["traffic", "speed"]
    session.commit()
    one, two, three = (make_evidence(session, mission) for _ in range(3))
    # The target already has these:
    apply(session, target, one, evaluator)
    apply(session, target, two, None)
    apply(session, target, three, evaluator, "too fast")
    # Duplicates of them (same item, coder and excerpt) are dropped...
    apply(session, source, one, evaluator)
    apply(session, source, two, None)
    apply(session, source, three, evaluator, "too fast")
    # ...anything else moves: another coder, another excerpt, another item.
    apply(session, source, one, second_evaluator)
    apply(session, source, three, evaluator, "no crossing")
    apply(session, source, two, evaluator)

    result = frame.merge_code(session, mission.id, source.id, target.id, actor=evaluator)

    assert (result.moved, result.dropped) == (3, 3)
    assert applications(session, source) == []
    assert sorted(applications(session, target), key=str) == sorted(
        [
            (one.id, evaluator.id, ""),
            (two.id, None, ""),
            (three.id, evaluator.id, "too fast"),
            (one.id, second_evaluator.id, ""),
            (three.id, evaluator.id, "no crossing"),
            (two.id, evaluator.id, ""),
        ],
        key=str,
    )
    source, target = reload(session, source), reload(session, target)
    assert (source.status, source.merged_into_id) == (MERGED, target.id)
    assert (target.name, target.status) == ("Road safety", ACTIVE)
    assert target.keywords == ["traffic", "speed", "crossing", "lights"]
    [version] = versions(session, mission)
    assert version.change == "Merged “%(name)s” into “%(into)s”"
    assert version.change_params == {"name": "Crossings", "into": "Road safety"}
    assert by_name(version.snapshot)["Crossings"]["status"] == "merged"
    assert by_name(version.snapshot)["Crossings"]["merged_into_id"] == target.id
    entry = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "evaluation.code_merged")
    ).one()
    assert entry.details == {
        "code_id": source.id,
        "into_id": target.id,
        "moved": 3,
        "dropped": 3,
        "frame_version": 1,
    }
    assert [c.name for c in frame.list_codes(session, mission.id)] == ["Road safety"]


def test_codes_merged_earlier_follow_their_applications(
    session: Session, mission: Mission, evaluator: User
) -> None:
    first = make_code(session, mission, "Pavements")
    second = make_code(session, mission, "Walking")
    third = make_code(session, mission, "Active travel")
    frame.merge_code(session, mission.id, first.id, second.id, actor=evaluator)
    frame.merge_code(session, mission.id, second.id, third.id, actor=evaluator)
    assert reload(session, first).merged_into_id == third.id
    assert reload(session, second).merged_into_id == third.id
    assert [v.number for v in versions(session, mission)] == [1, 2]


def test_merge_refusals(session: Session, mission: Mission, evaluator: User) -> None:
    code = make_code(session, mission, "Safety")
    target = make_code(session, mission, "Lighting")
    retired = make_code(session, mission, "Old")
    frame.retire_code(session, mission.id, retired.id, actor=evaluator)
    their = make_code(session, make_mission(session), "Theirs")
    refusals: list[tuple[int, int, type[Exception], str | None]] = [
        (code.id, code.id, Invalid, "into"),
        (code.id, retired.id, Invalid, "into"),
        (retired.id, target.id, Invalid, None),
        (code.id, their.id, NotFound, None),
        (their.id, code.id, NotFound, None),
    ]
    for source_id, into_id, error, field in refusals:
        with pytest.raises(error) as refused:
            frame.merge_code(session, mission.id, source_id, into_id, actor=evaluator)
        assert refused.value.field == field  # type: ignore[attr-defined]
        session.rollback()
    assert [v.number for v in versions(session, mission)] == [1]  # the retirement only
    assert reload(session, code).status is ACTIVE
    with pytest.raises(Invalid) as into_merged:
        frame.merge_code(session, mission.id, code.id, target.id, actor=evaluator)
        frame.merge_code(session, mission.id, target.id, code.id, actor=evaluator)
    assert str(into_merged.value) == "“Safety” is no longer an active code of the frame."


# --- Splitting ----------------------------------------------------------------------------------


def test_split_moves_the_ticked_applications_to_a_new_code(
    session: Session, mission: Mission, evaluator: User
) -> None:
    code = make_code(session, mission, "Safety")
    one, two, three = (make_evidence(session, mission) for _ in range(3))
    a = apply(session, code, one, evaluator, "dark at night")
    b = apply(session, code, two, None)
    c = apply(session, code, three, evaluator)

    new = frame.split_code(
        session,
        mission.id,
        code.id,
        "Lighting",
        "Street lights, darkness.",
        [a.id, c.id, a.id],
        actor=evaluator,
    )

    assert (new.split_from_id, new.origin, new.status) == (code.id, CodeOrigin.EVALUATOR, ACTIVE)
    assert applications(session, new) == [
        (one.id, evaluator.id, "dark at night"),
        (three.id, evaluator.id, ""),
    ]
    assert applications(session, code) == [(two.id, None, "")]
    assert reload(session, code).status is ACTIVE
    [version] = versions(session, mission)
    assert version.change == "Split “%(name)s” off from “%(source)s”"
    assert version.change_params == {"name": "Lighting", "source": "Safety", "moved": 2}
    assert by_name(version.snapshot)["Lighting"]["split_from_id"] == code.id
    assert audit_actions(session) == ["evaluation.code_split"]
    # Taking every application is allowed: the old code stays, for future coding.
    frame.split_code(session, mission.id, code.id, "Other", "Def.", [b.id], actor=evaluator)
    assert applications(session, code) == []
    assert reload(session, code).status is ACTIVE
    assert [v.number for v in versions(session, mission)] == [1, 2]


def test_split_refusals(session: Session, mission: Mission, evaluator: User) -> None:
    code = make_code(session, mission, "Safety")
    other = make_code(session, mission, "Lighting")
    item = make_evidence(session, mission)
    mine = apply(session, code, item, evaluator)
    theirs = apply(session, other, item, evaluator)
    refusals: list[tuple[str, str, list[int], str, str]] = [
        ("New", "Def.", [], "applications", "Tick the applications"),
        ("New", "Def.", [theirs.id], "applications", "Tick only applications of this code"),
        ("New", "Def.", [mine.id, 0], "applications", "Tick only applications of this code"),
        ("new", "Def.", [mine.id, 2**31 - 1], "applications", "Tick only"),
        ("lighting", "Def.", [mine.id], "name", "Another code of this frame"),
        ("New", "", [mine.id], "definition", "Write a definition"),
    ]
    for name, definition, ids, field, message in refusals:
        with pytest.raises(Invalid) as refused:
            frame.split_code(session, mission.id, code.id, name, definition, ids, actor=evaluator)
        assert refused.value.field == field
        assert str(refused.value).startswith(message)
        session.rollback()
    frame.retire_code(session, mission.id, code.id, actor=evaluator)
    with pytest.raises(Invalid):
        frame.split_code(session, mission.id, code.id, "New", "Def.", [mine.id], actor=evaluator)
    session.rollback()
    assert applications(session, code) == [(item.id, evaluator.id, "")]
    assert [c.name for c in frame.list_codes(session, mission.id, statuses=tuple(CodeStatus))] == [
        "Lighting",
        "Safety",
    ]


# --- Retiring and reinstating -------------------------------------------------------------------


def test_retire_with_a_reason_and_reinstate(
    session: Session, mission: Mission, evaluator: User
) -> None:
    code = make_code(session, mission, "Safety")
    item = make_evidence(session, mission)
    apply(session, code, item, evaluator)

    frame.retire_code(
        session, mission.id, code.id, "  Too broad to code reliably. ", actor=evaluator
    )

    assert reload(session, code).status is RETIRED
    assert applications(session, code) == [(item.id, evaluator.id, "")]  # kept
    assert frame.list_codes(session, mission.id) == []  # no longer a coding choice
    [memo] = memos.list_memos(session, mission.id, code_id=code.id)
    assert (memo.body, memo.author_id) == ("Too broad to code reliably.", evaluator.id)

    frame.reinstate_code(session, mission.id, code.id, actor=evaluator)
    assert reload(session, code).status is ACTIVE
    assert [(v.change, v.change_params) for v in versions(session, mission)] == [
        ("Retired “%(name)s”", {"name": "Safety"}),
        ("Reinstated “%(name)s”", {"name": "Safety"}),
    ]
    assert audit_actions(session) == [
        "evaluation.memo_added",
        "evaluation.code_retired",
        "evaluation.code_reinstated",
    ]


def test_retire_and_reinstate_refusals(session: Session, mission: Mission, evaluator: User) -> None:
    code = make_code(session, mission, "Safety")
    target = make_code(session, mission, "Lighting")
    with pytest.raises(Invalid) as long_reason:
        frame.retire_code(session, mission.id, code.id, "x" * 5001, actor=evaluator)
    assert long_reason.value.field == "reason"
    session.rollback()
    with pytest.raises(Invalid):
        frame.reinstate_code(session, mission.id, code.id, actor=evaluator)  # active
    session.rollback()
    frame.retire_code(session, mission.id, code.id, actor=evaluator)
    with pytest.raises(Invalid):
        frame.retire_code(session, mission.id, code.id, actor=evaluator)  # already retired
    session.rollback()
    frame.merge_code(
        session, mission.id, target.id, make_code(session, mission).id, actor=evaluator
    )
    with pytest.raises(Invalid):
        frame.reinstate_code(session, mission.id, target.id, actor=evaluator)  # merged
    session.rollback()
    assert memos.list_memos(session, mission.id) == []
    assert [v.number for v in versions(session, mission)] == [1, 2]


# --- Versions and what the pages read -----------------------------------------------------------


def test_version_numbers_increase_and_each_keeps_the_frame_as_it_stood(
    session: Session, mission: Mission, evaluator: User
) -> None:
    safety = frame.create_code(session, mission.id, "Safety", "Traffic.", actor=evaluator)
    lights = frame.create_code(session, mission.id, "Lights", "Darkness.", actor=evaluator)
    frame.edit_code(session, mission.id, lights.id, "Lighting", "Darkness.", actor=evaluator)
    frame.merge_code(session, mission.id, lights.id, safety.id, actor=evaluator)
    frame.retire_code(session, mission.id, safety.id, actor=evaluator)

    history = versions(session, mission)
    assert [v.number for v in history] == [1, 2, 3, 4, 5]
    states = [{entry["name"]: entry["status"] for entry in version.snapshot} for version in history]
    assert states == [
        {"Safety": "active"},
        {"Safety": "active", "Lights": "active"},
        {"Safety": "active", "Lighting": "active"},
        {"Safety": "active", "Lighting": "merged"},
        {"Safety": "retired", "Lighting": "merged"},
    ]
    # Another mission's frame is numbered on its own.
    other = make_mission(session)
    assert frame.create_code(session, other.id, "Safety", "Def.", actor=evaluator)
    assert [v.number for v in versions(session, other)] == [1]

    shown = frame.version_with_changes(session, mission.id, 3)
    assert (shown.version.number, shown.previous, shown.latest) == (3, 2, 5)
    assert shown.changes.renamed == [frame.Renamed(lights.id, "Lights", "Lighting")]
    assert not (shown.changes.added or shown.changes.status_changed or shown.changes.removed)
    merged = frame.version_with_changes(session, mission.id, 4).changes
    assert merged.status_changed == [frame.StatusChanged(lights.id, "Lighting", "active", "merged")]
    first = frame.version_with_changes(session, mission.id, 1)
    assert first.previous is None and [c["name"] for c in first.changes.added] == ["Safety"]
    for missing in (0, 6, 2**31 - 1):
        with pytest.raises(NotFound):
            frame.version_with_changes(session, mission.id, missing)
    with pytest.raises(NotFound):
        frame.get_version(session, other.id, 2)

    page = frame.page_of_versions(session, mission.id, 1)
    assert [v.number for v in page.items] == [5, 4, 3, 2, 1] and page.total == 5
    assert frame.page_of_versions(session, mission.id, 99).items == []


def test_compare_snapshots_names_every_kind_of_change() -> None:
    before = [
        {"id": 1, "name": "A", "status": "active", "definition": ""},
        {"id": 2, "name": "B", "status": "active", "definition": "b"},
        {"id": 3, "name": "C", "status": "active", "definition": ""},
    ]
    after = [
        {"id": 1, "name": "A2", "status": "active", "definition": ""},
        {"id": 2, "name": "B", "status": "retired", "definition": "b, better"},
        {"id": 4, "name": "D", "status": "active", "definition": ""},
    ]
    changes = frame.compare_snapshots(before, after)
    assert [c["name"] for c in changes.added] == ["D"]
    assert [c["name"] for c in changes.removed] == ["C"]
    assert changes.renamed == [frame.Renamed(1, "A", "A2")]
    assert changes.status_changed == [frame.StatusChanged(2, "B", "active", "retired")]
    assert [c["name"] for c in changes.redefined] == ["B"]
    assert frame.compare_snapshots(after, after).empty


def test_the_overview_counts_items_and_lists_applications(
    session: Session, mission: Mission, evaluator: User, second_evaluator: User
) -> None:
    safety = make_code(session, mission, "safety")
    lighting = make_code(session, mission, "Lighting")
    old = make_code(session, mission, "Old")
    first = make_evidence(session, mission, title="First")
    second = make_evidence(session, mission, title="Second")
    apply(session, safety, first, evaluator)
    apply(session, safety, first, second_evaluator, "an excerpt")  # same item: counted once
    apply(session, safety, second, None)
    apply(session, lighting, second, evaluator)
    frame.retire_code(session, mission.id, old.id, actor=evaluator)

    overview = frame.frame_overview(session, mission.id)
    assert [c.name for c in overview.active] == ["Lighting", "safety"]
    assert [c.name for c in overview.retired] == ["Old"]
    assert overview.merged == []
    assert overview.counts == {safety.id: 2, lighting.id: 1}
    assert frame.item_counts(session, make_mission(session).id) == {}

    page = frame.list_applications(session, reload(session, safety))
    assert page.total == 3
    assert [(a.title, a.coder_id, a.excerpt) for a in page.items] == [
        ("First", evaluator.id, ""),
        ("First", second_evaluator.id, "an excerpt"),
        ("Second", None, ""),
    ]
