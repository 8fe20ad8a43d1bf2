"""A mission's citizen science and community appraisals as evidence items. Evaluation reads
appraisals only through here.

- ``appraisals.submission``: one per approved submission to the mission's published projects
  (open or closed, never drafts). Title: the project's title; text: the long-text answers (each
  after its question when there are several); attributes: the project, the area, every other
  answer but the point and the photos as people read it (``answer.<field name>``: numbers with
  their unit, choices by their label, several joined with ", "), how many photos, and
  ``location_generalised`` (``yes``/``no``; empty without a location). The item's ``location``
  is the public point (the one the project's public map shows: generalised unless the person
  chose to share the exact one); the exact point never leaves the submission.
- ``appraisals.appraisal``: one per appraisal with the mission's published instruments. Title:
  the instrument and the area; text: every justification after its criterion and score;
  attributes: the instrument, the area, the kind (individual or group), how many took part, the
  scale, and per criterion ``criterion.<id>.label`` and ``criterion.<id>.score`` (with
  ``criterion_ids`` giving their order).

Submissions come first, by the time they were sent, then appraisals by the time they were
entered, each then by id. Everything is read with a fixed number of queries (submissions through
one cursor, in batches), whatever the number of submissions or appraisals.

Contributor keys. As in co-design (``engage.codesign.evidence``), the key is an ordinal within
the mission: ``appraisals:m<mission>:p<n>`` for the n-th person to send a submission to any of
the mission's projects or an appraisal of their own with any of its instruments, in the order of
their first one, whatever became of it (approving or rejecting renumbers no one). A group's
appraisal is the group's: it has no key, and entering one (as a workshop's facilitator) takes no
number. No name, e-mail, account id or exact point appears anywhere.

Segments. A submission and an individual appraisal carry their author's demographic segment
(``engage.accounts.services.consented_segments``, read once for everyone with a key) only where
the author consented to its use in evaluation; a group's appraisal carries none.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from engage.accounts.services import consented_segments
from engage.appraisals.models import (
    Appraisal,
    AppraisalKind,
    Area,
    FieldType,
    Instrument,
    Photo,
    Project,
    Status,
    Submission,
    SubmissionState,
)
from engage.appraisals.review import display_answer
from engage.evidence import EvidenceItem, numbered_contributors

SUBMISSION_SOURCE = "appraisals.submission"
APPRAISAL_SOURCE = "appraisals.appraisal"
BATCH_SIZE = 1000
# Answers that go into the attributes (long text is the item's text; the point and the photos
# are left out).
ATTRIBUTE_TYPES = frozenset(FieldType) - {
    FieldType.LONG_TEXT,
    FieldType.LOCATION,
    FieldType.PHOTO,
}


def evidence_items(session: Session, mission_id: int) -> Iterator[EvidenceItem]:
    projects = {
        project.id: project
        for project in session.scalars(
            sa.select(Project)
            .where(Project.mission_id == mission_id, Project.status != Status.DRAFT)
            .options(selectinload(Project.fields))
            .order_by(Project.id)
        )
    }
    instruments = {
        instrument.id: instrument
        for instrument in session.scalars(
            sa.select(Instrument)
            .where(Instrument.mission_id == mission_id, Instrument.status != Status.DRAFT)
            .options(selectinload(Instrument.criteria))
            .order_by(Instrument.id)
        )
    }
    if not projects and not instruments:
        return
    areas = {
        area.id: area
        for area in session.scalars(sa.select(Area).where(Area.mission_id == mission_id))
    }
    keys = contributor_keys(session, mission_id)
    # Everyone with a key is every author of an item below: one query for all their segments.
    segments = consented_segments(session, keys.keys())
    if projects:
        yield from _submission_items(session, mission_id, projects, areas, keys, segments)
    if instruments:
        yield from _appraisal_items(session, mission_id, instruments, areas, keys, segments)


def contributor_keys(session: Session, mission_id: int) -> dict[int, str]:
    """Account id -> the pseudonymous key of everyone who sent a submission or appraised alone."""
    written = sa.union_all(
        sa.select(Submission.author_id.label("author_id"), Submission.submitted_at.label("at"))
        .join(Project, Project.id == Submission.project_id)
        .where(Project.mission_id == mission_id),
        sa.select(Appraisal.author_id, Appraisal.created_at)
        .join(Instrument, Instrument.id == Appraisal.instrument_id)
        .where(Instrument.mission_id == mission_id, Appraisal.kind == AppraisalKind.INDIVIDUAL),
    ).subquery()
    return numbered_contributors(session, written, f"appraisals:m{mission_id}")


def _key(keys: dict[int, str], author_id: int | None) -> str | None:
    return keys.get(author_id) if author_id is not None else None


def _submission_items(
    session: Session,
    mission_id: int,
    projects: dict[int, Project],
    areas: dict[int, Area],
    keys: dict[int, str],
    segments: dict[int, str],
) -> Iterator[EvidenceItem]:
    approved = sa.and_(
        Submission.project_id.in_(list(projects)),
        Submission.state == SubmissionState.APPROVED,
    )
    photo_counts = dict(
        session.execute(
            sa.select(Photo.submission_id, sa.func.count(Photo.id))
            .join(Submission, Submission.id == Photo.submission_id)
            .where(approved)
            .group_by(Photo.submission_id)
        ).all()
    )
    submissions = session.scalars(
        sa.select(Submission)
        .where(approved)
        .order_by(Submission.submitted_at, Submission.id)
        .execution_options(yield_per=BATCH_SIZE)
    )
    for submission in submissions:
        project = projects[submission.project_id]
        area = areas.get(submission.area_id) if submission.area_id is not None else None
        answers = submission.answers or {}
        long_texts = [
            (field.label, str(answers[field.name]))
            for field in project.fields
            if field.type is FieldType.LONG_TEXT and answers.get(field.name)
        ]
        text = (
            long_texts[0][1]
            if len(long_texts) == 1
            else "\n\n".join(f"{label}\n{answer}" for label, answer in long_texts)
        )
        location = (
            (submission.public_latitude, submission.public_longitude)
            if submission.public_latitude is not None and submission.public_longitude is not None
            else None
        )
        located = location is not None
        attributes = {
            "project": project.slug,
            "project_id": str(project.id),
            "area": area.name if area else "",
            "area_id": str(area.id) if area else "",
            "location_generalised": ("no" if submission.share_exact else "yes") if located else "",
            "photos": str(photo_counts.get(submission.id, 0)),
        }
        attributes |= {
            f"answer.{field.name}": display_answer(field, answers.get(field.name))
            for field in project.fields
            if field.type in ATTRIBUTE_TYPES
        }
        yield EvidenceItem(
            source_kind=SUBMISSION_SOURCE,
            source_id=submission.id,
            mission_id=mission_id,
            created_at=submission.submitted_at,
            title=project.title,
            text=text,
            contributor_key=_key(keys, submission.author_id),
            attributes=attributes,
            segment=_key(segments, submission.author_id),
            location=location,
        )


def _appraisal_items(
    session: Session,
    mission_id: int,
    instruments: dict[int, Instrument],
    areas: dict[int, Area],
    keys: dict[int, str],
    segments: dict[int, str],
) -> Iterator[EvidenceItem]:
    appraisals = session.scalars(
        sa.select(Appraisal)
        .where(Appraisal.instrument_id.in_(list(instruments)))
        .options(selectinload(Appraisal.scores))
        .order_by(Appraisal.created_at, Appraisal.id)
    )
    for appraisal in appraisals:
        instrument = instruments[appraisal.instrument_id]
        area = areas[appraisal.area_id]
        scores = {score.criterion_id: score for score in appraisal.scores}
        lines = []
        attributes = {
            "instrument": instrument.slug,
            "instrument_id": str(instrument.id),
            "area": area.name,
            "area_id": str(area.id),
            "kind": appraisal.kind.value,
            "participants": str(appraisal.participants),
            "group_name": appraisal.group_name,
            "scale_min": str(instrument.scale_min),
            "scale_max": str(instrument.scale_max),
            "criterion_ids": ",".join(str(criterion.id) for criterion in instrument.criteria),
        }
        for criterion in instrument.criteria:
            score = scores.get(criterion.id)
            attributes[f"criterion.{criterion.id}.label"] = criterion.label
            attributes[f"criterion.{criterion.id}.score"] = str(score.score) if score else ""
            if score is not None and score.justification.strip():
                lines.append(f"{criterion.label} ({score.score}): {score.justification.strip()}")
        individual = appraisal.kind is AppraisalKind.INDIVIDUAL
        yield EvidenceItem(
            source_kind=APPRAISAL_SOURCE,
            source_id=appraisal.id,
            mission_id=mission_id,
            created_at=appraisal.created_at,
            title=f"{instrument.title}: {area.name}",
            text="\n".join(lines),
            contributor_key=_key(keys, appraisal.author_id) if individual else None,
            attributes=attributes,
            segment=_key(segments, appraisal.author_id) if individual else None,
        )
