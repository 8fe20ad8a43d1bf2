"""The evaluation report's numbers and texts: participation per month and source, counts of
people suppressed and rounded, segments only where people consented, scrubbed quotes, the
register's record, outcomes with their indicators, the learning log, and an empty mission."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.errors import Forbidden, NotFound
from engage.evaluation import report
from engage.evaluation.models import (
    CodeApplication,
    CodeStatus,
    EvidenceRecord,
    HarvestedOutcome,
    LearningEntry,
    LearningLoop,
    ThemeRun,
)
from engage.missions.models import Decision, Mission, Outcome
from tests.factories import (
    make_code,
    make_evidence,
    make_indicator,
    make_mission,
    make_outcome,
    make_recommendation,
    make_response,
)

NOW = datetime(2026, 6, 15, 9, tzinfo=UTC)


def at(month: int, day: int = 10, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def apply(
    session: Session,
    code_id: int,
    record: EvidenceRecord,
    *,
    excerpt: str = "",
    coder: User | None = None,
) -> CodeApplication:
    application = CodeApplication(
        code_id=code_id,
        evidence_id=record.id,
        coder_id=coder.id if coder else None,
        excerpt=excerpt,
    )
    session.add(application)
    session.commit()
    return application


def harvest(
    session: Session,
    mission: Mission,
    what_changed: str = "The council closed School Lane to cars at drop-off times.",
    *,
    outcome: Outcome | None = None,
    happened_on: date | None = date(2026, 4, 1),
    substantiated_by: str = "",
) -> HarvestedOutcome:
    record = HarvestedOutcome(
        mission_id=mission.id,
        what_changed=what_changed,
        for_whom="Children walking to school",
        happened_on=happened_on,
        place="School Lane",
        substantiated_by=substantiated_by,
        mission_outcome_id=outcome.id if outcome else None,
    )
    session.add(record)
    session.commit()
    return record


def learn(
    session: Session,
    mission: Mission,
    loop: LearningLoop,
    *,
    noted_on: date = date(2026, 5, 1),
    learned: str = "Evening meetings reach more working parents.",
) -> LearningEntry:
    entry = LearningEntry(
        mission_id=mission.id,
        loop=loop,
        noted_on=noted_on,
        what_happened="Few parents came to the daytime workshop.",
        learned=learned,
        next_step="Hold the next one at 18:30.",
    )
    session.add(entry)
    session.commit()
    return entry


def build(session: Session, mission: Mission, actor: User) -> report.Report:
    session.expire_all()
    return report.build_report(session, mission.slug, actor=actor, now=NOW)


# --- Participation -------------------------------------------------------------------------------


def test_items_are_counted_per_month_and_source_with_quiet_months_as_zero(
    session: Session, mission: Mission, evaluator: User
) -> None:
    make_evidence(session, mission, created_at=at(3, 2))
    make_evidence(session, mission, created_at=at(3, 28))
    make_evidence(
        session,
        mission,
        domain="appraisals",
        source_kind="appraisals.submission",
        created_at=at(3, 5),
    )
    make_evidence(session, mission, created_at=at(5, 1))
    make_evidence(session, make_mission(session), created_at=at(4, 1))  # another mission's

    found = build(session, mission, evaluator).participation

    assert found.sources == ("codesign", "appraisals")  # the index's order, only those present
    assert [(row.month, row.by_source, row.total) for row in found.months] == [
        (date(2026, 3, 1), {"codesign": 2, "appraisals": 1}, 3),
        (date(2026, 4, 1), {"codesign": 0, "appraisals": 0}, 0),
        (date(2026, 5, 1), {"codesign": 1, "appraisals": 0}, 1),
    ]
    assert found.items_by_source == {"codesign": 3, "appraisals": 1}
    assert found.items_total == 4


def test_months_are_utc_calendar_months_across_a_year_end(
    session: Session, mission: Mission, evaluator: User
) -> None:
    make_evidence(session, mission, created_at=datetime(2025, 12, 31, 23, 59, tzinfo=UTC))
    make_evidence(session, mission, created_at=datetime(2026, 2, 1, 0, 0, tzinfo=UTC))

    months = build(session, mission, evaluator).participation.months

    assert [(row.month, row.total) for row in months] == [
        (date(2025, 12, 1), 1),
        (date(2026, 1, 1), 0),
        (date(2026, 2, 1), 1),
    ]


def test_participants_are_distinct_contributors_per_source_suppressed_and_rounded(
    session: Session, mission: Mission, evaluator: User
) -> None:
    for person in range(12):  # 12 people in co-design, the first of them twice
        make_evidence(session, mission, contributor_key=f"codesign:p{person}")
    make_evidence(session, mission, contributor_key="codesign:p0")
    for person in range(3):  # 3 people in citizen science: too few to show
        make_evidence(
            session,
            mission,
            domain="appraisals",
            source_kind="appraisals.submission",
            contributor_key=f"appraisals:p{person}",
        )
    # A jury's aggregate result: an item, but nobody's contribution.
    record = make_evidence(session, mission, domain="juries", source_kind="juries.result")
    record.contributor_key = None
    session.commit()

    found = build(session, mission, evaluator).participation

    assert found.items_by_source == {"codesign": 13, "juries": 1, "appraisals": 3}
    # The jury's source has no individual contributor: it is not a source of nobody.
    assert found.people_by_source == {"codesign": 10, "appraisals": None}
    assert found.people_hidden == 1
    # Keys are per source, so the total is the largest source's (12 people), rounded.
    assert found.people_total == 10


def test_a_total_under_ten_people_is_suppressed_too(
    session: Session, mission: Mission, evaluator: User
) -> None:
    for person in range(4):
        make_evidence(session, mission, contributor_key=f"codesign:p{person}")

    found = build(session, mission, evaluator).participation

    assert found.people_by_source == {"codesign": None}
    assert found.people_total is None


# --- Segments ------------------------------------------------------------------------------------


def test_segments_count_only_people_whose_segment_is_present(
    session: Session, mission: Mission, evaluator: User
) -> None:
    for person in range(11):
        make_evidence(session, mission, contributor_key=f"codesign:y{person}", segment="16-39")
    make_evidence(session, mission, contributor_key="codesign:y0", segment="16-39")  # again
    for person in range(4):
        make_evidence(session, mission, contributor_key=f"codesign:o{person}", segment="40+")
    for person in range(30):  # no consent, no segment: not counted here
        make_evidence(session, mission, contributor_key=f"codesign:n{person}")
    aggregate = make_evidence(session, mission, segment="40+")  # no person behind it
    aggregate.contributor_key = None
    session.commit()

    found = build(session, mission, evaluator).segments

    assert found.people == {"16-39": 10, "40+": None}
    assert found.hidden == 1
    assert found.total == 10  # at least the 11 of the largest segment, not the 45 in all


def test_a_person_in_several_sources_never_lifts_a_small_segment_over_the_threshold(
    session: Session, mission: Mission, evaluator: User
) -> None:
    # Four people, each with a key in three sources: twelve keys, but four people.
    for domain in ("codesign", "advisory", "appraisals"):
        for person in range(4):
            make_evidence(
                session, mission, domain=domain, contributor_key=f"{domain}:p{person}",
                segment="75+",
            )  # fmt: skip

    found = build(session, mission, evaluator).segments

    assert found.people == {"75+": None}
    assert found.total is None


def test_no_segments_gives_an_empty_table(
    session: Session, mission: Mission, evaluator: User
) -> None:
    make_evidence(session, mission, contributor_key="codesign:p1")

    found = build(session, mission, evaluator).segments

    assert found.people == {}
    assert found.total == 0


# --- Themes --------------------------------------------------------------------------------------


def test_themes_list_active_codes_with_counts_and_at_most_three_quotes(
    session: Session, mission: Mission, evaluator: User, second_evaluator: User
) -> None:
    safety = make_code(session, mission, "Safety", definition="Feeling safe on foot or by bike.")
    retired = make_code(session, mission, "Old idea")
    retired.status = CodeStatus.RETIRED
    session.commit()
    items = [
        make_evidence(session, mission, f"Item {number}: the crossing is dangerous at night.")
        for number in range(5)
    ]
    apply(session, safety.id, items[0], coder=evaluator)
    apply(session, safety.id, items[0], coder=second_evaluator)  # the same item twice
    apply(session, safety.id, items[1], coder=evaluator)
    apply(session, safety.id, items[2])  # proposed by a theme run
    apply(session, safety.id, items[3], excerpt="dangerous at night", coder=evaluator)
    apply(session, safety.id, items[4])
    apply(session, retired.id, items[0], coder=evaluator)

    found = build(session, mission, evaluator).themes

    assert [code.name for code in found] == ["Safety"]
    (code,) = found
    assert code.definition == "Feeling safe on foot or by bike."
    assert code.items == 5
    # The excerpt first, then what coders applied, one quote per item.
    assert [quote.text for quote in code.quotes] == [
        "dangerous at night",
        "Item 0: the crossing is dangerous at night.",
        "Item 1: the crossing is dangerous at night.",
    ]
    assert [quote.excerpt for quote in code.quotes] == [True, False, False]


def test_quotes_are_scrubbed_and_long_texts_shortened(
    session: Session, mission: Mission, evaluator: User
) -> None:
    code = make_code(session, mission, "Contact")
    long_text = "Write to jane.doe@example.com or ring 07700 900123 in NW1 2DB. " + "More " * 200
    apply(session, code.id, make_evidence(session, mission, long_text), coder=evaluator)
    apply(
        session,
        code.id,
        make_evidence(session, mission, "Anything"),
        excerpt="mail me at bob@example.org",
        coder=evaluator,
    )

    (found,) = build(session, mission, evaluator).themes

    texts = [quote.text for quote in found.quotes]
    assert texts[0] == "mail me at [email]"
    assert texts[1].startswith("Write to [email] or ring [phone] in [postcode].")
    assert len(texts[1]) <= report.QUOTE_LENGTH
    assert all("@" not in text and "07700" not in text and "2DB" not in text for text in texts)


def test_the_latest_adopted_theme_run_is_named(
    session: Session, mission: Mission, evaluator: User
) -> None:
    records = [make_evidence(session, mission) for _ in range(3)]
    for adopted in (datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC), None):
        session.add(
            ThemeRun(
                mission_id=mission.id,
                evidence_ids=[record.id for record in records],
                result={"themes": [{}, {}]},
                adopted_at=adopted,
            )
        )
    session.commit()

    run = build(session, mission, evaluator).adopted_run

    assert run is not None
    assert run.adopted_at == datetime(2026, 5, 1, tzinfo=UTC)
    assert (run.items, run.themes) == (3, 2)


# --- Register, outcomes, learning ----------------------------------------------------------------


def test_the_register_record_counts_decisions_and_marks_overdue_ones(
    session: Session, mission: Mission, evaluator: User
) -> None:
    answered = make_recommendation(
        session, mission, title="Zebra crossings", received_on=date(2026, 1, 5)
    )
    make_response(
        session, answered, decision=Decision.PARTLY_ACCEPTED, responded_on=date(2026, 2, 1)
    )
    make_recommendation(
        session,
        mission,
        title="More benches",
        received_on=date(2026, 2, 1),
        response_due=date(2026, 3, 1),
    )
    make_recommendation(
        session,
        mission,
        title="Trees",
        received_on=date(2026, 6, 1),
        response_due=date(2026, 7, 27),
    )

    found = build(session, mission, evaluator).register

    assert found.counts == {
        "accepted": 0,
        "partly_accepted": 1,
        "not_accepted": 0,
        "awaiting": 1,
        "overdue": 1,
    }
    assert [(row.title, row.status, row.overdue) for row in found.rows] == [
        ("Trees", "awaiting", False),
        ("More benches", "overdue", True),
        ("Zebra crossings", "partly_accepted", False),
    ]
    assert found.rows[2].responded_on == date(2026, 2, 1)
    assert found.rows[2].decision is Decision.PARTLY_ACCEPTED


def test_outcomes_carry_indicators_progress_and_their_harvested_outcomes(
    session: Session, mission: Mission, evaluator: User
) -> None:
    air = make_outcome(session, mission, title="Cleaner air")
    make_indicator(session, air, baseline=40, target=20, latest_value=30)
    make_indicator(session, air, baseline=40, target=20, latest_value=None)
    quiet = make_outcome(session, mission, title="Quieter streets")
    harvest(
        session,
        mission,
        "School Lane closed at drop-off.",
        outcome=air,
        substantiated_by="Head teacher",
    )
    harvest(session, mission, "Bus operator changed a route.", happened_on=None)

    found = build(session, mission, evaluator)

    first, second = found.outcomes
    assert (first.title, second.title) == ("Cleaner air", "Quieter streets")
    assert [indicator.percent for indicator in first.indicators] == [50, None]
    assert [indicator.bar for indicator in first.indicators] == [50.0, 0.0]
    assert [(row.what_changed, row.substantiated) for row in first.harvested] == [
        ("School Lane closed at drop-off.", True)
    ]
    assert second.outcome_id == quiet.id and second.harvested == ()
    assert [(row.what_changed, row.substantiated) for row in found.unlinked_outcomes] == [
        ("Bus operator changed a route.", False)
    ]


def test_progress_bars_stay_between_zero_and_a_hundred(
    session: Session, mission: Mission, evaluator: User
) -> None:
    air = make_outcome(session, mission)
    make_indicator(session, air, baseline=40, target=20, latest_value=10)  # beyond target
    make_indicator(session, air, baseline=40, target=20, latest_value=50)  # worse than baseline

    (outcome,) = build(session, mission, evaluator).outcomes

    assert [(row.percent, row.bar) for row in outcome.indicators] == [(150, 100.0), (-50, 0.0)]


def test_the_learning_log_is_counted_by_loop_newest_first(
    session: Session, mission: Mission, evaluator: User
) -> None:
    learn(session, mission, LearningLoop.SINGLE, noted_on=date(2026, 3, 1))
    learn(session, mission, LearningLoop.SINGLE, noted_on=date(2026, 5, 1))
    learn(
        session,
        mission,
        LearningLoop.TRIPLE,
        noted_on=date(2026, 4, 1),
        learned="Residents should set the agenda; call 020 7946 0018 to join.",
    )

    found = build(session, mission, evaluator).learning

    assert found.counts == {LearningLoop.SINGLE: 2, LearningLoop.DOUBLE: 0, LearningLoop.TRIPLE: 1}
    assert [entry.noted_on for entry in found.entries] == [
        date(2026, 5, 1),
        date(2026, 4, 1),
        date(2026, 3, 1),
    ]
    assert found.entries[1].learned == "Residents should set the agenda; call [phone] to join."


# --- The whole report ----------------------------------------------------------------------------


def test_an_empty_mission_gives_an_empty_report(
    session: Session, mission: Mission, evaluator: User
) -> None:
    found = build(session, mission, evaluator)

    assert found.mission.id == mission.id
    assert found.made_at == NOW
    assert found.index_updated_at is None
    assert found.participation.months == ()
    assert found.participation.items_total == 0
    assert found.participation.people_total == 0
    assert found.segments.people == {}
    assert found.themes == [] and found.adopted_run is None
    assert found.register.rows == () and found.register.total == 0
    assert found.outcomes == [] and found.unlinked_outcomes == []
    assert found.learning.entries == ()


def test_the_report_says_when_the_index_was_last_updated(
    session: Session, mission: Mission, evaluator: User
) -> None:
    record = make_evidence(session, mission)
    record.indexed_at = NOW - timedelta(days=2)
    session.commit()

    assert build(session, mission, evaluator).index_updated_at == NOW - timedelta(days=2)


def test_officers_may_read_the_report(session: Session, mission: Mission, officer: User) -> None:
    assert build(session, mission, officer).mission.id == mission.id


def test_residents_may_not(session: Session, mission: Mission, resident: User) -> None:
    with pytest.raises(Forbidden):
        build(session, mission, resident)
    with pytest.raises(Forbidden):
        report.build_report(session, mission.slug, actor=None)


def test_an_unknown_mission_is_not_found(session: Session, evaluator: User) -> None:
    with pytest.raises(NotFound):
        report.build_report(session, "no-such-mission", actor=evaluator)
