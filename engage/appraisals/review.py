"""Reviewing citizen-science submissions, and the public map and list of approved ones.

Reviewers (officers and evaluators, ``projects.may_review``) see a project's submissions newest
first, filtered by a :class:`SubmissionFilter` (the same filter the bulk review and the exports
use), and move each through its states: *has issues* and *rejected* need a comment, which the
submitter reads. Every change is a :class:`Review` row (the submission's history) and an audit
entry; a bulk review writes one review per submission it changes and one audit entry for all.
Reviewers set *has issues*, *approved* or *rejected*; *received* is where a submission starts and
where the submitter's correction puts it back.

The public sees approved submissions only, and only their public point (the centre of the
~500 m grid cell, or the exact point where the submitter chose to share it), never the exact
point or the author: :func:`list_approved` for the list view and :func:`map_points` for the map,
which pages through them by id (keyset) so that no page costs more than the first.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.sql.base import ExecutableOption

from engage import audit
from engage.appraisals import answers
from engage.appraisals.models import (
    Area,
    FieldType,
    FormField,
    Project,
    QualityFlag,
    Review,
    Submission,
    SubmissionState,
)
from engage.appraisals.projects import may_review, spec_of
from engage.errors import N_, Forbidden, Invalid, NotFound
from engage.pagination import Page, offset_of

PER_PAGE = 50  # the review queue
PUBLIC_PER_PAGE = 25  # the public list of observations
MAP_LIMIT = 500  # points per map.json page unless asked otherwise
MAP_LIMIT_MAX = 1000
MAX_BULK_IDS = 1000  # checked boxes sent at once (a page has 50)
COMMENT_MAX_LENGTH = 5000
LABEL_LENGTH = 80

# What a reviewer may set; "received" is the submitter's (sending, correcting).
REVIEW_STATES = (SubmissionState.HAS_ISSUES, SubmissionState.APPROVED, SubmissionState.REJECTED)
NEEDS_COMMENT = frozenset({SubmissionState.HAS_ISSUES, SubmissionState.REJECTED})
# Fields whose answers are shown in columns (lists, exports): not the point, not the photos.
ANSWER_TYPES = frozenset(FieldType) - {FieldType.LOCATION, FieldType.PHOTO}
# Fields that make a good short label for a point on the map, in the form's order.
LABEL_TYPES = (
    FieldType.DECIMAL,
    FieldType.INTEGER,
    FieldType.SINGLE_CHOICE,
    FieldType.MULTIPLE_CHOICE,
    FieldType.TEXT,
)


@dataclass(frozen=True)
class SubmissionFilter:
    """Which of a project's submissions a list, a bulk review or an export is about.

    ``state`` None means every state. Dates are inclusive and read as UTC dates. ``area_id``
    None means any area (submissions without one included)."""

    state: SubmissionState | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    area_id: int | None = None
    flagged_only: bool = False

    def details(self) -> dict[str, Any]:
        """For the audit log: what was asked for, in plain JSON values."""
        return {
            "state": self.state.value if self.state else "all",
            "submitted_from": self.submitted_from.isoformat() if self.submitted_from else None,
            "submitted_to": self.submitted_to.isoformat() if self.submitted_to else None,
            "area_id": self.area_id,
            "flagged_only": self.flagged_only,
        }


@dataclass(frozen=True)
class BulkResult:
    changed: int  # submissions moved to the new state (one review each)
    unchanged: int  # matched, but already in that state


@dataclass(frozen=True)
class MapPoint:
    """What the public map shows of an approved submission."""

    id: int
    latitude: float  # the public point
    longitude: float
    submitted_on: date
    area: str | None
    generalised: bool
    label: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "lat": round(self.latitude, 6),
            "lon": round(self.longitude, 6),
            "date": self.submitted_on.isoformat(),
            "area": self.area,
            "generalised": self.generalised,
            "label": self.label,
        }


def _require_reviewer(viewer: Any) -> None:
    if not may_review(viewer):
        raise Forbidden(N_("Only officers and evaluators review submissions."))


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def matching(project_id: int, filters: SubmissionFilter) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of ``filters`` for one project's submissions."""
    where: list[sa.ColumnElement[bool]] = [Submission.project_id == project_id]
    if filters.state is not None:
        where.append(Submission.state == filters.state)
    if filters.submitted_from is not None:
        where.append(Submission.submitted_at >= _start_of(filters.submitted_from))
    if filters.submitted_to is not None and filters.submitted_to < date.max:
        where.append(Submission.submitted_at < _start_of(filters.submitted_to + timedelta(1)))
    if filters.area_id is not None:
        where.append(Submission.area_id == filters.area_id)
    if filters.flagged_only:
        where.append(sa.exists().where(QualityFlag.submission_id == Submission.id))
    return where


def _page_ids(where: Sequence[sa.ColumnElement[bool]], page: int, per_page: int) -> sa.Select[int]:
    """The ids on one page, newest first. Pages are read as ids first and rows second: the
    ids come from an index, so skipping to a far page skips ids, not whole rows (answers
    included) that a sort would have to carry."""
    return (
        sa.select(Submission.id)
        .where(*where)
        .order_by(Submission.id.desc())
        .offset(offset_of(page, per_page))
        .limit(per_page)
    )


# --- The review queue ---------------------------------------------------------------------------


def list_for_review(
    session: Session,
    project: Project,
    filters: SubmissionFilter,
    page: int,
    *,
    viewer: Any,
    per_page: int = PER_PAGE,
) -> Page[Submission]:
    """One page of the project's submissions matching ``filters``, newest first (by arrival:
    the id, which the review index orders), with their flags and area loaded (a fixed number
    of queries per page)."""
    _require_reviewer(viewer)
    where = matching(project.id, filters)
    return _newest_first(session, where, page, per_page, selectinload(Submission.flags))


def get_for_review(
    session: Session, project: Project, submission_id: int, *, viewer: Any
) -> Submission:
    """A submission of ``project`` with its photos, flags, area and history, for a reviewer."""
    _require_reviewer(viewer)
    submission = session.scalars(
        sa.select(Submission)
        .where(Submission.id == submission_id, Submission.project_id == project.id)
        .options(
            joinedload(Submission.area),
            selectinload(Submission.photos),
            selectinload(Submission.flags),
            selectinload(Submission.reviews).joinedload(Review.reviewer),
        )
    ).one_or_none()
    if submission is None:
        raise NotFound(N_("There is no submission at this address."))
    return submission


def history(submission: Submission) -> list[Review]:
    """Every change of the submission's state, oldest first."""
    return list(submission.reviews)


def _check_decision(to_state: SubmissionState | None, comment: str) -> SubmissionState:
    if to_state not in REVIEW_STATES:
        raise Invalid(
            N_("Choose whether the submission has issues, is approved or is rejected."),
            field="to_state",
        )
    if to_state in NEEDS_COMMENT and not comment:
        raise Invalid(
            N_("Write a comment: the submitter needs to know what to change or why."),
            field="comment",
        )
    if len(comment) > COMMENT_MAX_LENGTH:
        raise Invalid(
            N_("Keep the comment under %(count)s characters."),
            field="comment",
            count=COMMENT_MAX_LENGTH,
        )
    return to_state


def review_submission(
    session: Session,
    submission_id: int,
    to_state: SubmissionState | None,
    comment: str,
    *,
    actor: Any,
) -> Review:
    """Move one submission to ``to_state``, keeping the change and its comment in its history."""
    _require_reviewer(actor)
    comment = (comment or "").strip()
    state = _check_decision(to_state, comment)
    submission = session.scalars(
        sa.select(Submission).where(Submission.id == submission_id).with_for_update()
    ).one_or_none()
    if submission is None:
        raise NotFound(N_("There is no submission at this address."))
    if submission.state is state:
        raise Invalid(
            N_("The submission already has this state. Choose another one to change it."),
            field="to_state",
        )
    review = Review(
        submission=submission,
        reviewer_id=actor.id,
        from_state=submission.state,
        to_state=state,
        comment=comment,
    )
    session.add(review)
    audit.record(
        session, actor, "appraisals.submission_reviewed", f"appraisal_submission:{submission.id}",
        {"project": submission.project_id, "from": submission.state.value, "to": state.value,
         "comment": bool(comment)},
    )  # fmt: skip
    submission.state = state
    session.commit()
    return review


def bulk_review(
    session: Session,
    project: Project,
    to_state: SubmissionState | None,
    comment: str,
    *,
    filters: SubmissionFilter | None = None,
    ids: Sequence[int] | None = None,
    expected: int | None = None,
    actor: Any,
) -> BulkResult:
    """Move every submission of ``project`` matching ``filters`` (or those of ``ids``) to
    ``to_state`` in one transaction: one review per submission that changes, one audit entry.

    ``expected`` is how many matched when the reviewer looked; if the filter matches another
    number now (new submissions came in), nothing changes and the reviewer is asked to look
    again."""
    _require_reviewer(actor)
    comment = (comment or "").strip()
    state = _check_decision(to_state, comment)
    if filters is not None:
        where = matching(project.id, filters)
    else:
        chosen = sorted({i for i in ids or () if isinstance(i, int)})
        if not chosen:
            raise Invalid(N_("Check at least one submission, or apply to all that match."))
        if len(chosen) > MAX_BULK_IDS:
            raise Invalid(N_("Choose at most %(count)s submissions at once."), count=MAX_BULK_IDS)
        where = [Submission.project_id == project.id, Submission.id.in_(chosen)]
    rows = session.execute(
        sa.select(Submission.id, Submission.state)
        .where(*where)
        .order_by(Submission.id)
        .with_for_update()
    ).all()
    if filters is not None and expected is not None and len(rows) != expected:
        raise Invalid(
            N_(
                "The list changed since you looked at it: %(count)s submissions match now. "
                "Check them and apply the review again."
            ),
            count=len(rows),
        )
    if not rows:
        raise Invalid(N_("No submission matches: nothing was changed."))
    changing = [(row.id, row.state) for row in rows if row.state is not state]
    if changing:
        now = datetime.now(UTC)
        session.execute(
            sa.insert(Review),
            [
                {
                    "submission_id": submission_id,
                    "reviewer_id": actor.id,
                    "from_state": from_state,
                    "to_state": state,
                    "comment": comment,
                    "created_at": now,
                }
                for submission_id, from_state in changing
            ],
        )
        changed_ids = [submission_id for submission_id, _ in changing]
        for start in range(0, len(changed_ids), MAX_BULK_IDS):
            session.execute(
                sa.update(Submission)
                .where(Submission.id.in_(changed_ids[start : start + MAX_BULK_IDS]))
                .values(state=state)
                .execution_options(synchronize_session=False)
            )
        audit.record(
            session, actor, "appraisals.submissions_bulk_reviewed", f"appraisal_project:{project.id}",
            {"to": state.value, "changed": len(changing), "unchanged": len(rows) - len(changing),
             "filter": filters.details() if filters is not None else None,
             "ids": None if filters is not None else [row.id for row in rows],
             "comment": bool(comment)},
        )  # fmt: skip
        session.commit()
    else:
        session.rollback()
    return BulkResult(changed=len(changing), unchanged=len(rows) - len(changing))


# --- What the public sees -----------------------------------------------------------------------


def answer_fields(project: Project) -> list[FormField]:
    """The fields whose answers are shown as columns: all but the point and the photos."""
    return [field for field in project.fields if field.type in ANSWER_TYPES]


def display_answer(field: FormField, value: Any) -> str:
    """An answer as people read it: numbers with their unit, choices by their label."""
    return answers.answer_display(spec_of(field), value)


def short_label(fields: Sequence[FormField], answers: dict[str, Any]) -> str:
    """A few words for a point on the map: the first number, choice or short text answered."""
    for wanted in LABEL_TYPES:
        for field in fields:
            if field.type is wanted and answers.get(field.name) not in (None, "", []):
                text = f"{field.label}: {display_answer(field, answers[field.name])}"
                return textwrap.shorten(text, LABEL_LENGTH, placeholder="…")
    return ""


def _approved(project: Project) -> list[sa.ColumnElement[bool]]:
    return [Submission.project_id == project.id, Submission.state == SubmissionState.APPROVED]


def list_approved(
    session: Session,
    project: Project,
    page: int,
    *,
    area_id: int | None = None,
    per_page: int = PUBLIC_PER_PAGE,
) -> Page[Submission]:
    """One page of the approved submissions, newest first (by arrival, as the review queue),
    with their area and photos loaded.
    Pages show answers and public points only: the template never reads the exact point."""
    where = _approved(project)
    if area_id is not None:
        where.append(Submission.area_id == area_id)
    return _newest_first(session, where, page, per_page, selectinload(Submission.photos))


def _newest_first(
    session: Session,
    where: list[sa.ColumnElement[bool]],
    page: int,
    per_page: int,
    *loads: ExecutableOption,
) -> Page[Submission]:
    """One page of the submissions matching ``where``, newest first, with their area and
    ``loads``: the page's ids first (from the index alone), then their rows."""
    total = session.scalar(sa.select(sa.func.count(Submission.id)).where(*where)) or 0
    items = session.scalars(
        sa.select(Submission)
        .where(Submission.id.in_(_page_ids(where, page, per_page)))
        .options(joinedload(Submission.area), *loads)
        .order_by(Submission.id.desc())
    )
    return Page(list(items), max(page, 1), per_page, total)


def page_of_approved(
    session: Session,
    project: Project,
    submission_id: int,
    *,
    area_id: int | None = None,
    per_page: int = PUBLIC_PER_PAGE,
) -> int | None:
    """The page of :func:`list_approved` that shows an approved submission (the map's popups
    link there), or None when it is not an approved submission of the project (in that area)."""
    where = _approved(project)
    if area_id is not None:
        where.append(Submission.area_id == area_id)
    found = session.scalar(sa.select(Submission.id).where(*where, Submission.id == submission_id))
    if found is None:
        return None
    newer = sa.select(sa.func.count(Submission.id)).where(*where, Submission.id > found)
    return (session.scalar(newer) or 0) // per_page + 1


def map_points(
    session: Session, project: Project, after_id: int = 0, limit: int = MAP_LIMIT
) -> list[MapPoint]:
    """Approved submissions with a point, by id, after ``after_id`` (keyset pagination: every
    page costs the same); at most MAP_LIMIT_MAX at once. Public points only, never the author."""
    limit = min(max(limit, 1), MAP_LIMIT_MAX)
    fields = [field for field in project.fields if field.type in LABEL_TYPES]
    rows = session.execute(
        sa.select(
            Submission.id,
            Submission.public_latitude,
            Submission.public_longitude,
            Submission.submitted_at,
            Submission.share_exact,
            Submission.answers,
            Area.name,
        )
        .outerjoin(Area, Area.id == Submission.area_id)
        .where(
            *_approved(project),
            Submission.id > after_id,
            Submission.public_latitude.is_not(None),
            Submission.public_longitude.is_not(None),
        )
        .order_by(Submission.id)
        .limit(limit)
    ).all()
    return [
        MapPoint(
            id=row.id,
            latitude=row.public_latitude,
            longitude=row.public_longitude,
            submitted_on=row.submitted_at.date(),
            area=row.name,
            generalised=not row.share_exact,
            label=short_label(fields, row.answers or {}),
        )
        for row in rows
    ]
