"""Double-coding samples: a seeded draw that can be repeated, its refusals, the coders' progress
and the agreement per code, checked against a small case worked out by hand."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.errors import Forbidden, Invalid, NotFound
from engage.evaluation import agreement, coding
from engage.evaluation.index import EvidenceFilter, filtered_ids
from engage.evaluation.models import (
    Code,
    CodeApplication,
    CodeStatus,
    CodingSample,
    EvidenceRecord,
    SampleItem,
)
from engage.missions.models import Mission
from engage.security import Role
from tests.factories import make_code, make_evidence, make_mission, make_user


def make_items(session: Session, mission: Mission, count: int, area: str = "") -> list[int]:
    return [
        make_evidence(session, mission, f"Idea number {n}.", title=f"Idea {n}", area=area).id
        for n in range(count)
    ]


def drawn(session: Session, sample_id: int) -> list[int]:
    return list(
        session.scalars(
            sa.select(SampleItem.evidence_id)
            .where(SampleItem.sample_id == sample_id)
            .order_by(SampleItem.position)
        )
    )


# --- Drawing ----------------------------------------------------------------------------------


def test_a_sample_is_reproducible_from_its_seed_and_filter(
    session: Session, mission: Mission, evaluator: User, second_evaluator: User
) -> None:
    make_items(session, mission, 30, area="North")
    make_items(session, mission, 10, area="South")
    north = EvidenceFilter(area="North")
    coders = (evaluator.id, second_evaluator.id)

    first = coding.draw_sample(
        session, mission.id, "First", 12, "malden-2026", north, *coders, actor=evaluator
    )
    again = coding.draw_sample(
        session, mission.id, "Again", 12, "malden-2026", north, *coders, actor=evaluator
    )
    other = coding.draw_sample(
        session, mission.id, "Other seed", 12, "another", north, *coders, actor=evaluator
    )

    candidates = filtered_ids(session, mission.id, north)
    expected = random.Random("malden-2026").sample(candidates, 12)
    assert drawn(session, first.id) == expected  # in the order drawn
    assert drawn(session, again.id) == expected
    assert drawn(session, other.id) != expected
    south = set(filtered_ids(session, mission.id, EvidenceFilter(area="South")))
    assert not south & set(expected)
    assert first.seed == "malden-2026" and first.filters == {"area": "North"}
    assert (first.coder_a_id, first.coder_b_id) == coders


def test_drawing_is_audited_with_seed_filter_and_size(
    session: Session, mission: Mission, evaluator: User, second_evaluator: User
) -> None:
    make_items(session, mission, 3)
    sample = coding.draw_sample(
        session, mission.id, "Small", 10, "abc", EvidenceFilter(query="idea"),
        evaluator.id, second_evaluator.id, actor=evaluator,
    )  # fmt: skip

    entry = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "evaluation.sample_drawn")
    ).one()
    assert entry.actor_id == evaluator.id and entry.subject == f"mission:{mission.id}"
    assert entry.details["seed"] == "abc"
    assert entry.details["filter"] == {"query": "idea"}
    assert entry.details["size"] == 10 and entry.details["drawn"] == 3
    assert entry.details["sample_id"] == sample.id
    # Fewer items than asked: all of them are in it.
    assert len(drawn(session, sample.id)) == 3


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "n" * 121}, "name"),
        ({"name": "PILOT"}, "name"),  # taken, whatever the case
        ({"size": 0}, "size"),
        ({"size": 501}, "size"),
        ({"size": 10**12}, "size"),
        ({"seed": ""}, "seed"),
        ({"seed": "s" * 65}, "seed"),
        ({"seed": "a\x00b"}, "seed"),
        ({"coder_b": "same"}, "coder_b"),
        ({"coder_b": "officer"}, "coder_b"),
        ({"coder_a": "nobody"}, "coder_a"),
    ],
)
def test_a_sample_needs_a_free_name_a_size_a_seed_and_two_evaluators(
    session: Session,
    mission: Mission,
    evaluator: User,
    second_evaluator: User,
    officer: User,
    changes: dict[str, object],
    field: str,
) -> None:
    make_items(session, mission, 3)
    coding.draw_sample(
        session, mission.id, "Pilot", 2, "x", EvidenceFilter(),
        evaluator.id, second_evaluator.id, actor=evaluator,
    )  # fmt: skip
    people = {"same": evaluator.id, "officer": officer.id, "nobody": 2**31 - 1}
    values: dict[str, object] = {
        "name": "Second",
        "size": 2,
        "seed": "y",
        "coder_a": evaluator.id,
        "coder_b": second_evaluator.id,
    }
    values.update({key: people.get(str(value), value) for key, value in changes.items()})

    with pytest.raises(Invalid) as refused:
        coding.draw_sample(
            session, mission.id, str(values["name"]), int(str(values["size"])), str(values["seed"]),
            EvidenceFilter(), int(str(values["coder_a"])), int(str(values["coder_b"])),
            actor=evaluator,
        )  # fmt: skip

    assert refused.value.field == field
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(CodingSample)) == 1


def test_an_admin_may_code_a_sample_but_an_empty_filter_or_a_non_evaluator_may_not_draw(
    session: Session, mission: Mission, evaluator: User, officer: User, resident: User
) -> None:
    admin = make_user(session, role=Role.ADMIN, display_name="Ada")
    make_items(session, mission, 2)
    coders = (evaluator.id, admin.id)

    with pytest.raises(Invalid):
        coding.draw_sample(
            session, mission.id, "None", 5, "x", EvidenceFilter(query="nowhere"), *coders,
            actor=evaluator,
        )  # fmt: skip
    for person in (officer, resident, None):
        with pytest.raises(Forbidden):
            coding.draw_sample(
                session, mission.id, "S", 5, "x", EvidenceFilter(), *coders, actor=person
            )
    sample = coding.draw_sample(
        session, mission.id, "S", 5, "x", EvidenceFilter(), *coders, actor=admin
    )
    assert len(drawn(session, sample.id)) == 2


def test_another_missions_sample_is_not_found(
    session: Session, mission: Mission, evaluator: User, second_evaluator: User
) -> None:
    make_items(session, mission, 2)
    sample = coding.draw_sample(
        session, mission.id, "S", 2, "x", EvidenceFilter(),
        evaluator.id, second_evaluator.id, actor=evaluator,
    )  # fmt: skip
    elsewhere = make_mission(session)
    with pytest.raises(NotFound):
        coding.get_sample(session, elsewhere.id, sample.id)
    with pytest.raises(NotFound):
        coding.sample_report(session, elsewhere.id, sample.id)


# --- Agreement --------------------------------------------------------------------------------

# Worked by hand. Seven items are coded by both Eva (A) and Ezra (B) with codes X and Y:
#
#   item   1    2    3    4    5    6    7
#   A      X    X    X    Y    Y    Y    X
#   B      X    X    Y    X    Y    Y    X,Y
#
# Code X: both 3 (1, 2, 7), A only 1 (3), B only 1 (4), neither 2 (5, 6); n = 7
#   po = 5/7, pA = pB = 4/7, pe = 16/49 + 9/49 = 25/49
#   kappa = (35/49 - 25/49) / (24/49) = 10/24 = 5/12 ≈ 0.417        -> moderate
# Code Y: both 2 (5, 6), A only 1 (4), B only 2 (3, 7), neither 2 (1, 2)
#   po = 4/7, pA = 3/7, pB = 4/7, pe = 12/49 + 12/49 = 24/49
#   kappa = (28/49 - 24/49) / (25/49) = 4/25 = 0.16                  -> slight
# Code Z: neither coder applied it: kappa undefined ("never_applied").
# Mean kappa = (5/12 + 4/25) / 2 = 173/600.
#
# What must not count: item 8, coded by Eva only; a theme proposal of Z (no coder) on items 5
# and 8; a retired code R both coders applied to item 1.
CODED = [
    ({"X"}, {"X"}),
    ({"X"}, {"X"}),
    ({"X"}, {"Y"}),
    ({"Y"}, {"X"}),
    ({"Y"}, {"Y"}),
    ({"Y"}, {"Y"}),
    ({"X"}, {"X", "Y"}),
]


def test_agreement_on_a_hand_built_sample(
    session: Session, mission: Mission, evaluator: User, second_evaluator: User
) -> None:
    # Made in this order so that the sample, drawn in any order, is easy to read back.
    records = [
        make_evidence(
            session, mission, f"Item {n}.", created_at=datetime(2026, 1, n + 1, tzinfo=UTC)
        )
        for n in range(8)
    ]
    codes = {name: make_code(session, mission, name) for name in ("X", "Y", "Z", "R")}
    sample = coding.draw_sample(
        session, mission.id, "Hand", 8, "any", EvidenceFilter(),
        evaluator.id, second_evaluator.id, actor=evaluator,
    )  # fmt: skip

    def apply(record: EvidenceRecord, names: set[str], coder: User) -> None:
        for name in sorted(names):
            coding.apply_code(session, mission.id, record.id, codes[name].id, "", actor=coder)

    for record, (by_a, by_b) in zip(records, CODED, strict=False):
        apply(record, by_a, evaluator)
        apply(record, by_b, second_evaluator)
    apply(records[7], {"X"}, evaluator)
    apply(records[0], {"R"}, evaluator)
    apply(records[0], {"R"}, second_evaluator)
    for record in (records[4], records[7]):
        session.add(CodeApplication(code_id=codes["Z"].id, evidence_id=record.id, coder_id=None))
    codes["R"].status = CodeStatus.RETIRED
    session.commit()

    report = coding.sample_report(session, mission.id, sample.id)

    assert report.progress.size == 8
    assert (report.progress.coded_a, report.progress.coded_b) == (8, 7)
    assert report.progress.coded_both == 7 == report.agreement.n_items
    assert [row.counted for row in report.items].count(False) == 1
    assert [code.name for code in report.codes] == ["X", "Y", "Z"]  # retired R left out
    by_name = {code.name: result for code, result in report.rows}
    x, y, z = by_name["X"], by_name["Y"], by_name["Z"]
    assert (x.both, x.a_only, x.b_only, x.neither) == (3, 1, 1, 2)
    assert x.observed == pytest.approx(5 / 7) and x.expected == pytest.approx(25 / 49)
    assert x.kappa == pytest.approx(5 / 12) and x.band == "moderate"
    assert (y.both, y.a_only, y.b_only, y.neither) == (2, 1, 2, 2)
    assert y.kappa == pytest.approx(4 / 25) and y.band == "slight"
    assert z.kappa is None and z.reason == "never_applied"
    assert report.agreement.mean_kappa == pytest.approx(173 / 600)
    assert report.agreement.n_codes_with_kappa == 2
    # The same numbers as the pure function, fed the hand-built table.
    ids = {code.id: code.name for code in report.codes}
    pure = agreement.agreement(CODED, ["X", "Y", "Z"])
    assert report.agreement.mean_kappa == pytest.approx(pure.mean_kappa)
    for ours, theirs in zip(report.agreement.codes, pure.codes, strict=True):
        assert ids[int(ours.code)] == theirs.code
        assert (ours.both, ours.a_only, ours.b_only, ours.neither, ours.reason) == (
            theirs.both, theirs.a_only, theirs.b_only, theirs.neither, theirs.reason,
        )  # fmt: skip
        assert ours.kappa == pytest.approx(theirs.kappa)


def test_progress_is_listed_per_sample_and_counts_only_the_samples_coders(
    session: Session, mission: Mission, evaluator: User, second_evaluator: User
) -> None:
    third = make_user(session, role=Role.EVALUATOR, display_name="Third")
    make_items(session, mission, 4)
    code = make_code(session, mission, "Walking")
    older = coding.draw_sample(
        session, mission.id, "Older", 4, "x", EvidenceFilter(),
        evaluator.id, second_evaluator.id, actor=evaluator,
    )  # fmt: skip
    newer = coding.draw_sample(
        session, mission.id, "Newer", 2, "y", EvidenceFilter(),
        third.id, second_evaluator.id, actor=evaluator,
    )  # fmt: skip
    older_items = drawn(session, older.id)
    for evidence_id in older_items[:3]:
        coding.apply_code(session, mission.id, evidence_id, code.id, "", actor=evaluator)
    coding.apply_code(session, mission.id, older_items[0], code.id, "", actor=second_evaluator)
    coding.apply_code(session, mission.id, older_items[1], code.id, "", actor=third)

    listed = coding.list_samples(session, mission.id)

    assert [row.sample.name for row in listed] == ["Newer", "Older"]
    old = listed[1]
    assert (old.size, old.coded_a, old.coded_b, old.coded_both) == (4, 3, 1, 1)
    assert (old.coder_a_name, old.coder_b_name) == ("Eva", "Ezra")
    assert listed[0].size == 2 and listed[0].coder_a_name == "Third"
    assert newer.id == listed[0].sample.id
    assert coding.list_samples(session, make_mission(session).id) == []


def test_a_deleted_coder_leaves_the_sample_with_no_counted_item(
    session: Session, mission: Mission, evaluator: User, second_evaluator: User
) -> None:
    make_items(session, mission, 2)
    code = make_code(session, mission, "Walking")
    sample = coding.draw_sample(
        session, mission.id, "S", 2, "x", EvidenceFilter(),
        evaluator.id, second_evaluator.id, actor=evaluator,
    )  # fmt: skip
    for evidence_id in drawn(session, sample.id):
        coding.apply_code(session, mission.id, evidence_id, code.id, "", actor=evaluator)
        coding.apply_code(session, mission.id, evidence_id, code.id, "", actor=second_evaluator)
    session.delete(session.get_one(User, second_evaluator.id))
    session.commit()

    report = coding.sample_report(session, mission.id, sample.id)

    assert report.progress.coder_b_name is None and report.progress.coded_both == 0
    assert report.agreement.n_items == 0
    assert [result.reason for result in report.agreement.codes] == ["no_items"]
    assert isinstance(report.codes[0], Code)
