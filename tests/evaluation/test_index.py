"""The evidence index: a refresh copies every domain's evidence and keeps ids; filters and
full-text search (FTS5 on SQLite, tsvector on PostgreSQL) find what an evaluator asks for."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.appraisals.models import SubmissionState
from engage.codesign.models import Visibility
from engage.errors import NotFound
from engage.evaluation import index
from engage.evaluation.index import EvidenceFilter
from engage.evaluation.models import CodeApplication, EvidenceRecord
from engage.missions.models import Mission
from tests.factories import (
    make_code,
    make_contribution,
    make_evidence,
    make_mission,
    make_process,
    make_recommendation,
    make_round,
    make_science_project,
    make_submission,
)


def _records(session: Session, mission: Mission) -> list[EvidenceRecord]:
    session.expire_all()
    return list(
        session.scalars(
            sa.select(EvidenceRecord)
            .where(EvidenceRecord.mission_id == mission.id)
            .order_by(EvidenceRecord.id)
        )
    )


def test_a_refresh_copies_every_domain_and_keeps_ids_and_codes_across_refreshes(
    session: Session, mission: Mission, resident: User, evaluator: User
) -> None:
    round_ = make_round(session, make_process(session, mission))
    idea = make_contribution(session, round_, resident, text="Plant trees on Malden Road.")
    hidden_later = make_contribution(session, round_, resident, text="Close the rat run.")
    make_recommendation(session, mission)
    project = make_science_project(session, mission)
    make_submission(session, project, resident, state=SubmissionState.APPROVED)
    make_submission(session, project, resident)  # received, not approved: no evidence

    counts = index.refresh_index(session, mission.id)

    records = _records(session, mission)
    assert counts.added == len(records) and counts.removed == 0
    domains = {record.domain for record in records}
    assert {"codesign", "missions", "appraisals"} <= domains
    kinds = [(record.source_kind, record.source_id) for record in records]
    assert ("codesign.contribution", idea.id) in kinds
    assert sum(kind == "appraisals.submission" for kind, _ in kinds) == 1
    first_ids = {(r.source_kind, r.source_id): r.id for r in records}
    idea_record = next(r for r in records if r.source_id == idea.id and r.domain == "codesign")
    assert idea_record.text == "Plant trees on Malden Road."
    assert idea_record.search_text.startswith(idea_record.title.lower())
    code = make_code(session, mission, "Trees")
    session.add(CodeApplication(code_id=code.id, evidence_id=idea_record.id, coder_id=evaluator.id))
    session.commit()

    hidden_later.visibility = Visibility.HIDDEN
    idea.text = "Plant trees on Malden Road and Queen's Crescent."
    session.commit()
    again = index.refresh_index(session, mission.id)

    records = _records(session, mission)
    assert again.removed == 1 and again.added == 0
    assert ("codesign.contribution", hidden_later.id) not in {
        (r.source_kind, r.source_id) for r in records
    }
    for record in records:  # the rest kept their ids, so codes stay attached
        assert first_ids[(record.source_kind, record.source_id)] == record.id
    refreshed = session.get(EvidenceRecord, idea_record.id)
    assert refreshed is not None and "Queen's Crescent" in refreshed.text
    assert session.scalar(sa.select(sa.func.count()).select_from(CodeApplication)) == 1


def test_a_refresh_touches_no_other_mission(session: Session, mission: Mission) -> None:
    other = make_mission(session, slug="other")
    kept = make_evidence(session, other, "Someone else's evidence.")
    index.refresh_index(session, mission.id)
    assert session.get(EvidenceRecord, kept.id) is not None


def _titles(session: Session, mission: Mission, **filters: object) -> list[str]:
    page = index.list_evidence(session, mission.id, EvidenceFilter(**filters))  # type: ignore[arg-type]
    return [record.title for record in page.items]


@pytest.fixture
def corpus(session: Session, mission: Mission) -> Mission:
    make_evidence(session, mission, "Más árboles en la calle, por favor.", title="Árboles")
    make_evidence(
        session,
        mission,
        "A café on every corner and wider pavements.",
        title="Cafés",
        area="Kentish Town",
        segment="age 25-34",
        created_at=datetime(2026, 4, 1, 23, 30, tzinfo=UTC),
    )
    make_evidence(
        session,
        mission,
        "Wider pavements near the school, please.",
        title="School run",
        domain="appraisals",
        source_kind="appraisals.submission",
        area="Gospel Oak",
        created_at=datetime(2026, 4, 2, 8, tzinfo=UTC),
    )
    make_evidence(
        session, mission, "", title="Jury pool", domain="juries", source_kind="juries.pool"
    )
    make_evidence(session, make_mission(session, slug="elsewhere"), "Wider pavements elsewhere.")
    return mission


def test_search_ignores_case_and_accents_and_needs_every_word(
    session: Session, corpus: Mission
) -> None:
    assert _titles(session, corpus, query="ARBOLES") == ["Árboles"]
    assert _titles(session, corpus, query="cafe") == ["Cafés"]
    assert _titles(session, corpus, query="wider pavements") == ["Cafés", "School run"]
    assert _titles(session, corpus, query="wider school") == ["School run"]
    assert _titles(session, corpus, query="pavements bicycles") == []


@pytest.mark.parametrize(
    "typed",
    [
        '"',
        "pave*",
        "NEAR(wider pavements)",
        "wider AND OR NOT",
        "-school",
        "^col:x",
        "'; drop",
        "%_",
    ],
)
def test_search_syntax_typed_by_a_person_is_read_as_words_never_an_error(
    session: Session, corpus: Mission, typed: str
) -> None:
    titles = _titles(session, corpus, query=typed)
    assert isinstance(titles, list)
    if typed == "-school":
        assert titles == ["School run"]  # a word, not an exclusion


def test_filters_by_source_dates_area_segment_text_and_code(
    session: Session, corpus: Mission
) -> None:
    assert _titles(session, corpus, domain="appraisals") == ["School run"]
    # Dates are inclusive whole days (UTC).
    assert _titles(session, corpus, date_from=date(2026, 4, 1), date_to=date(2026, 4, 1)) == [
        "Cafés"
    ]
    assert _titles(session, corpus, date_from=date(2026, 4, 2)) == ["School run"]
    assert _titles(session, corpus, date_from=date(2026, 4, 2), date_to=date.max) == [
        "School run"
    ]  # the last day of the calendar has no next day to stop before
    assert _titles(session, corpus, area="Gospel Oak") == ["School run"]
    assert _titles(session, corpus, segment="age 25-34") == ["Cafés"]
    assert "Jury pool" in _titles(session, corpus)
    assert "Jury pool" not in _titles(session, corpus, with_text=True)
    code = make_code(session, corpus, "Pavements")
    school = session.scalar(sa.select(EvidenceRecord).where(EvidenceRecord.title == "School run"))
    assert school is not None
    session.add(CodeApplication(code_id=code.id, evidence_id=school.id))
    session.commit()
    assert _titles(session, corpus, code_id=code.id) == ["School run"]


def test_the_summary_counts_by_source_and_lists_areas_and_segments(
    session: Session, corpus: Mission
) -> None:
    summary = index.index_summary(session, corpus.id)
    assert summary.total == 4
    assert summary.by_domain["codesign"] == 2 and summary.by_domain["advisory"] == 0
    assert summary.areas == ["Gospel Oak", "Kentish Town"]
    assert summary.segments == ["age 25-34"]


def test_an_item_of_another_mission_is_not_found(session: Session, corpus: Mission) -> None:
    elsewhere = session.scalar(
        sa.select(EvidenceRecord).where(EvidenceRecord.mission_id != corpus.id)
    )
    assert elsewhere is not None
    with pytest.raises(NotFound):
        index.get_evidence(session, corpus.id, elsewhere.id)


def test_a_filter_survives_a_trip_through_a_job_s_parameters() -> None:
    filters = EvidenceFilter(
        domain="codesign", date_from=date(2026, 1, 1), query="trees", code_id=4, with_text=True
    )
    assert EvidenceFilter.from_params(filters.as_params()) == filters
    assert EvidenceFilter.from_params({"unknown": 1}) == EvidenceFilter()
