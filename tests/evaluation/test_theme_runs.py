"""Theme runs (service): a run on a filtered set computed as a job, its result, and adopting its
themes into the coding frame; with a planted corpus, so the themes are known in advance."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.errors import Conflict, Forbidden, Invalid, NotFound
from engage.evaluation import theme_runs
from engage.evaluation.index import EvidenceFilter
from engage.evaluation.models import (
    Code,
    CodeApplication,
    CodeOrigin,
    CodeStatus,
    EvidenceRecord,
    FrameVersion,
    ThemeRun,
)
from engage.evaluation.theme_runs import RunState, adopt_themes, start_theme_run
from engage.evaluation.themes import (
    MIN_TEXTS,
    Keyword,
    Prevalence,
    Theme,
    Themes,
    ThemeSettings,
    normalise,
)
from engage.jobs import Job, JobStatus, ThreadRunner
from engage.missions.models import Mission
from tests.evaluation.corpus import ANCHORS, TOPICS, planted_corpus
from tests.factories import make_code, make_evidence, make_mission

CORPUS_SIZE = 150  # 120 already gives 4 themes, but removing one text can change that
WAIT = 60


class Idle:
    """A runner that keeps the job queued (the test runs the handler itself, or not at all)."""

    def __init__(self) -> None:
        self.submitted: list[int] = []

    def submit(self, job_id: int) -> None:
        self.submitted.append(job_id)


class Recorder:
    """A job's progress reporter that keeps what it was told."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str, dict[str, Any]]] = []

    def __call__(self, percent: int, message: str = "", **params: str | int | float) -> None:
        self.calls.append((percent, message, params))


def thread_runner(app: Flask) -> ThreadRunner:
    runner = app.extensions["engage.jobs"]
    assert isinstance(runner, ThreadRunner)
    return runner


def plant(session: Session, mission: Mission, count: int = CORPUS_SIZE) -> list[int]:
    """The planted corpus as the mission's evidence (domain: the corpus's source), committed
    once rather than item by item; returns each item's planted topic, in the items' order."""
    texts, truth, sources, segments = planted_corpus(count)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(session, "commit", session.flush)
        for number, (text, source, segment) in enumerate(
            zip(texts, sources, segments, strict=True)
        ):
            make_evidence(
                session,
                mission,
                text,
                title=f"Idea {number + 1}",
                domain=source or "codesign",
                source_kind=f"{source}.test",
                segment=segment,
            )
    session.commit()
    return truth


def run_to_the_end(
    session: Session,
    app: Flask,
    mission: Mission,
    actor: User,
    filters: EvidenceFilter | None = None,
    settings: ThemeSettings | None = None,
) -> ThemeRun:
    run = start_theme_run(
        session,
        thread_runner(app),
        mission,
        filters or EvidenceFilter(),
        settings or ThemeSettings(),
        actor=actor,
    )
    run_id = run.id
    session.rollback()  # let go of the database while the job works, as a request does
    thread_runner(app).drain(timeout=WAIT)
    session.rollback()
    return session.get_one(ThemeRun, run_id)


def actions(session: Session) -> list[str]:
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def theme_of_topic(themes: Themes, topic: str) -> int:
    """The one theme whose keywords are mostly the planted topic's words."""
    vocabulary = {normalise(w) for words in TOPICS[topic].values() for w in words}
    vocabulary |= {normalise(w) for w in ANCHORS[topic]}
    owners = [
        theme.number
        for theme in themes.themes
        if sum(keyword.term in vocabulary for keyword in theme.keywords) >= 5
    ]
    assert len(owners) == 1, topic
    return owners[0]


@pytest.fixture
def truth(session: Session, mission: Mission) -> list[int]:
    return plant(session, mission)


# --- Running ------------------------------------------------------------------------------------


def test_a_run_recovers_the_planted_topics(
    session: Session, app: Flask, mission: Mission, evaluator: User, truth: list[int]
) -> None:
    run = run_to_the_end(session, app, mission, evaluator)

    ids = list(
        session.scalars(
            sa.select(EvidenceRecord.id)
            .where(EvidenceRecord.mission_id == mission.id)
            .order_by(EvidenceRecord.created_at, EvidenceRecord.id)
        )
    )
    assert run.evidence_ids == ids
    assert run.filters == {"with_text": True}
    assert run.settings["languages"] == ["en", "es", "ca"] and run.settings["seed"] == 0
    job = session.get(Job, run.job_id)
    assert job is not None and job.kind == "evaluation.themes"
    assert job.status is JobStatus.SUCCEEDED and job.params == {"run_id": run.id}
    assert job.result == {"run_id": run.id, "slug": mission.slug, "themes": 4}

    assert run.result is not None
    themes = Themes.from_dict(run.result)
    assert themes.problem is None and themes.k == 4 and themes.text_count == CORPUS_SIZE
    names = sorted(TOPICS)
    owners = {name: theme_of_topic(themes, name) for name in names}
    assert len(set(owners.values())) == 4
    # Every item is in its planted topic's theme (the corpus is clean).
    for position, topic in enumerate(truth):
        assert themes.assignments[position] == owners[names[topic]]
    # Sources are the items' domains and segments their segments.
    theme = themes.themes[0]
    assert {row.label for row in theme.by_source} <= {"codesign", "advisory", "appraisals"}
    assert sum(row.total for row in theme.by_source) == CORPUS_SIZE
    assert {row.label for row in theme.by_segment} == {"18-34", "35-64", "65+", None}
    assert actions(session) == ["evaluation.themes_started"]
    assert theme_runs.run_state(run, job) is RunState.DONE


def test_the_same_input_and_settings_give_the_same_themes(
    session: Session, app: Flask, mission: Mission, evaluator: User, truth: list[int]
) -> None:
    settings = ThemeSettings(seed=7, languages=("en", "es", "ca"))
    first = run_to_the_end(session, app, mission, evaluator, settings=settings)
    second = run_to_the_end(session, app, mission, evaluator, settings=settings)

    assert first.id != second.id
    assert first.result is not None and first.result == second.result
    assert first.result["settings"]["seed"] == 7


def test_the_run_reads_only_the_filtered_items_with_text(
    session: Session, app: Flask, mission: Mission, evaluator: User, truth: list[int]
) -> None:
    make_evidence(session, mission, "", domain="advisory", source_kind="advisory.minutes")
    filters = EvidenceFilter(domain="advisory")

    run = run_to_the_end(session, app, mission, evaluator, filters=filters)

    texts = dict(session.execute(sa.select(EvidenceRecord.id, EvidenceRecord.text)).all())
    domains = dict(session.execute(sa.select(EvidenceRecord.id, EvidenceRecord.domain)).all())
    assert run.evidence_ids and all(domains[i] == "advisory" for i in run.evidence_ids)
    assert all(texts[i] for i in run.evidence_ids)
    assert run.filters == {"domain": "advisory", "with_text": True}
    advisory_with_text = sum(1 for i in texts if domains[i] == "advisory" and texts[i])
    assert len(run.evidence_ids) == advisory_with_text


def test_a_fixed_number_of_themes(
    session: Session, app: Flask, mission: Mission, evaluator: User, truth: list[int]
) -> None:
    run = run_to_the_end(session, app, mission, evaluator, settings=ThemeSettings(k_min=6, k_max=6))

    assert run.result is not None
    themes = Themes.from_dict(run.result)
    assert themes.k == 6 and [score.k for score in themes.scores] == [6]


def test_the_handler_reports_progress_and_reads_a_deleted_item_as_empty(
    session: Session, mission: Mission, evaluator: User, truth: list[int]
) -> None:
    runner = Idle()
    run = start_theme_run(
        session, runner, mission, EvidenceFilter(), ThemeSettings(), actor=evaluator
    )
    run_id, first = run.id, run.evidence_ids[0]
    assert runner.submitted == [run.job_id]
    session.execute(sa.delete(EvidenceRecord).where(EvidenceRecord.id == first))
    session.commit()
    report = Recorder()

    result = theme_runs._run_themes(session, report, {"run_id": run_id})

    assert result == {"run_id": run_id, "slug": mission.slug, "themes": 4}
    session.rollback()
    run = session.get_one(ThemeRun, run_id)
    assert run.result is not None
    themes = Themes.from_dict(run.result)
    assert themes.text_count == CORPUS_SIZE and themes.used_count == CORPUS_SIZE - 1
    assert themes.assignments[0] is None
    assert sum(row.total for row in themes.themes[0].by_source if row.label is None) == 1
    percents = [percent for percent, _, _ in report.calls]
    assert percents == sorted(percents) and percents[0] == 0 and percents[-1] <= 100
    messages = {message for _, message, _ in report.calls}
    assert "Reading %(count)s texts" in messages
    assert "Measured how stable %(k)s themes are" in messages
    assert "Storing the themes" in messages


def test_a_job_for_a_run_that_is_gone_fails(session: Session) -> None:
    with pytest.raises(LookupError):
        theme_runs._run_themes(session, Recorder(), {"run_id": 12345})


def test_too_few_texts_are_refused_with_the_count(
    session: Session, app: Flask, mission: Mission, evaluator: User
) -> None:
    for number in range(MIN_TEXTS - 1):
        make_evidence(session, mission, f"Safer crossings near school {number}")
    make_evidence(session, mission, "")  # no free text: not counted

    with pytest.raises(Invalid) as refused:
        start_theme_run(
            session, Idle(), mission, EvidenceFilter(), ThemeSettings(), actor=evaluator
        )

    assert refused.value.params == {"minimum": MIN_TEXTS, "count": MIN_TEXTS - 1}
    assert "this filter matches 9" in str(refused.value)
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(ThemeRun)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_a_set_with_no_usable_words_finishes_with_a_problem(
    session: Session, app: Flask, mission: Mission, evaluator: User
) -> None:
    for _ in range(MIN_TEXTS + 2):
        make_evidence(session, mission, "The and of it is! 42")

    run = run_to_the_end(session, app, mission, evaluator)

    assert run.result is not None and run.result["problem"] is not None
    job = session.get(Job, run.job_id)
    assert theme_runs.run_state(run, job) is RunState.NO_THEMES
    with pytest.raises(Conflict):
        adopt_themes(session, mission.id, run.id, actor=evaluator)


def test_only_evaluators_start_runs(
    session: Session, mission: Mission, officer: User, resident: User, truth: list[int]
) -> None:
    for person in (officer, resident, None):
        with pytest.raises(Forbidden):
            start_theme_run(
                session, Idle(), mission, EvidenceFilter(), ThemeSettings(), actor=person
            )
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(ThemeRun)) == 0


def test_run_states(session: Session, mission: Mission, evaluator: User, truth: list[int]) -> None:
    run = start_theme_run(
        session, Idle(), mission, EvidenceFilter(), ThemeSettings(), actor=evaluator
    )
    job = session.get_one(Job, run.job_id)
    assert theme_runs.run_state(run, job) is RunState.WAITING
    job.status = JobStatus.RUNNING
    assert theme_runs.run_state(run, job) is RunState.RUNNING
    job.status = JobStatus.FAILED
    assert theme_runs.run_state(run, job) is RunState.FAILED
    assert theme_runs.run_state(run, None) is RunState.FAILED  # its job was deleted
    session.rollback()


def test_runs_of_another_mission_are_not_found(
    session: Session, app: Flask, mission: Mission, evaluator: User, truth: list[int]
) -> None:
    run = run_to_the_end(session, app, mission, evaluator)
    other = make_mission(session, title="Clean air")

    with pytest.raises(NotFound):
        theme_runs.get_run_page(session, other.id, run.id)
    with pytest.raises(NotFound):
        adopt_themes(session, other.id, run.id, actor=evaluator)
    with pytest.raises(NotFound):
        theme_runs.get_run(session, mission.id, 999_999)
    assert theme_runs.list_runs(session, other.id) == []
    [summary] = theme_runs.list_runs(session, mission.id)
    assert (summary.run.id, summary.state, summary.texts, summary.themes) == (
        run.id,
        RunState.DONE,
        CORPUS_SIZE,
        4,
    )
    assert summary.created_by == "Eva"


# --- The run's page -----------------------------------------------------------------------------


def test_the_run_page_has_quotes_and_suppressed_segment_counts(
    session: Session, app: Flask, mission: Mission, evaluator: User, truth: list[int]
) -> None:
    run = run_to_the_end(session, app, mission, evaluator)

    page = theme_runs.get_run_page(session, mission.id, run.id)

    assert page.state is RunState.DONE and page.created_by == "Eva"
    assert page.result is not None and len(page.themes) == 4
    texts = dict(session.execute(sa.select(EvidenceRecord.id, EvidenceRecord.text)).all())
    for view in page.themes:
        assert len(view.quotes) == 5
        for quote in view.quotes:
            assert quote.present and quote.text == texts[quote.evidence_id]
            position = run.evidence_ids.index(quote.evidence_id)
            assert page.result.assignments[position] == view.theme.number
        for row, raw in zip(view.by_segment, view.theme.by_segment, strict=True):
            assert row.label == raw.label
            if raw.count < 10:
                assert row.count is None or raw.count == 0
            else:
                assert row.count is not None and row.count % 5 == 0
            assert row.total is not None and row.total % 5 == 0


def test_segment_rows_follow_the_disclosure_rule() -> None:
    rows = theme_runs.segment_rows(
        [
            Prevalence("18-34", 3, 40, 0.075),
            Prevalence("35-64", 12, 41, 12 / 41),
            Prevalence(None, 0, 7, 0.0),
        ]
    )
    assert [(r.label, r.count, r.total) for r in rows] == [
        ("18-34", None, 40),
        ("35-64", 10, 40),
        (None, 0, None),
    ]
    assert rows[0].share is None and rows[1].share == 0.25 and rows[2].share is None


def test_theme_names_fit_the_frame() -> None:
    def theme(number: int, *labels: str) -> Theme:
        keywords = tuple(Keyword(label, label, 0.1) for label in labels)
        return Theme(number=number, keywords=keywords, quotes=(), size=0, share=0.0)

    assert theme_runs.theme_name(theme(2, "pavements", "crossings", "speed", "bins")) == (
        "Theme 3: pavements, crossings, speed"
    )
    assert theme_runs.theme_name(theme(0)) == "Theme 1"
    long = theme_runs.theme_name(theme(0, "a" * 80, "b" * 80))
    assert len(long) == 120 and long.endswith("…")


# --- Adopting -----------------------------------------------------------------------------------


def test_adopting_makes_codes_proposed_applications_and_one_frame_version(
    session: Session, app: Flask, mission: Mission, evaluator: User, truth: list[int]
) -> None:
    run = run_to_the_end(session, app, mission, evaluator)
    assert run.result is not None
    themes = Themes.from_dict(run.result)
    run_id = run.id

    codes = adopt_themes(session, mission.id, run_id, actor=evaluator)

    session.rollback()
    assert len(codes) == 4
    stored = list(
        session.scalars(sa.select(Code).where(Code.theme_run_id == run_id).order_by(Code.id))
    )
    assert [code.theme_number for code in stored] == [0, 1, 2, 3]
    for code, theme in zip(stored, themes.themes, strict=True):
        labels = [keyword.label for keyword in theme.keywords]
        assert code.name == f"Theme {theme.number + 1}: {', '.join(labels[:3])}"
        assert (code.origin, code.status, code.definition) == (
            CodeOrigin.THEME,
            CodeStatus.ACTIVE,
            "",
        )
        assert code.keywords == labels and code.mission_id == mission.id
        applied = session.scalars(
            sa.select(CodeApplication).where(CodeApplication.code_id == code.id)
        ).all()
        assert all(a.coder_id is None and a.excerpt == "" for a in applied)
        expected = {
            run.evidence_ids[i]
            for i, number in enumerate(themes.assignments)
            if number == theme.number
        }
        assert {a.evidence_id for a in applied} == expected and len(applied) == theme.size
    [version] = session.scalars(sa.select(FrameVersion)).all()
    assert version.number == 1 and version.change == "Added %(count)s themes from theme run %(run)s"
    assert version.change_params == {"count": 4, "run": run_id}
    assert len(version.snapshot) == 4 and version.created_by_id == evaluator.id
    run = session.get_one(ThemeRun, run_id)
    assert run.adopted_at is not None
    assert actions(session) == ["evaluation.themes_started", "evaluation.themes_adopted"]
    entry = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.subject == f"mission:{mission.id}"
    assert entry.details["run_id"] == run_id and entry.details["applications"] == CORPUS_SIZE


def test_a_run_is_adopted_once(
    session: Session, app: Flask, mission: Mission, evaluator: User, truth: list[int]
) -> None:
    run = run_to_the_end(session, app, mission, evaluator)
    run_id = run.id
    adopt_themes(session, mission.id, run_id, actor=evaluator)

    with pytest.raises(Conflict):
        adopt_themes(session, mission.id, run_id, actor=evaluator)
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Code)) == 4
    assert session.scalar(sa.select(sa.func.count()).select_from(FrameVersion)) == 1


def test_names_taken_in_the_frame_get_the_run_added(
    session: Session, app: Flask, mission: Mission, evaluator: User, truth: list[int]
) -> None:
    first = run_to_the_end(session, app, mission, evaluator)
    second = run_to_the_end(session, app, mission, evaluator)
    first_id, second_id = first.id, second.id
    adopt_themes(session, mission.id, first_id, actor=evaluator)

    codes = adopt_themes(session, mission.id, second_id, actor=evaluator)

    session.rollback()
    firsts = session.scalars(sa.select(Code.name).where(Code.theme_run_id == first_id)).all()
    seconds = session.scalars(sa.select(Code.name).where(Code.theme_run_id == second_id)).all()
    assert len(codes) == 4
    assert sorted(seconds) == sorted(f"{name} (run {second_id})" for name in firsts)
    versions = session.scalars(sa.select(FrameVersion.number).order_by(FrameVersion.number)).all()
    assert versions == [1, 2]


def test_a_retired_code_of_the_same_name_counts_as_taken(
    session: Session, app: Flask, mission: Mission, evaluator: User, truth: list[int]
) -> None:
    run = run_to_the_end(session, app, mission, evaluator)
    assert run.result is not None
    first = Themes.from_dict(run.result).themes[0]
    name = theme_runs.theme_name(first).upper()
    retired = make_code(session, mission, name)
    retired.status = CodeStatus.RETIRED
    session.commit()

    codes = adopt_themes(session, mission.id, run.id, actor=evaluator)

    assert codes[0].name == f"{theme_runs.theme_name(first)} (run {run.id})"


def test_an_unfinished_run_cannot_be_adopted(
    session: Session, mission: Mission, evaluator: User, truth: list[int]
) -> None:
    run = start_theme_run(
        session, Idle(), mission, EvidenceFilter(), ThemeSettings(), actor=evaluator
    )

    with pytest.raises(Conflict) as refused:
        adopt_themes(session, mission.id, run.id, actor=evaluator)
    assert "wait until it has finished" in str(refused.value)


def test_only_evaluators_adopt(
    session: Session,
    app: Flask,
    mission: Mission,
    evaluator: User,
    officer: User,
    resident: User,
    truth: list[int],
) -> None:
    run = run_to_the_end(session, app, mission, evaluator)

    for person in (officer, resident, None):
        with pytest.raises(Forbidden):
            adopt_themes(session, mission.id, run.id, actor=person)
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Code)) == 0
