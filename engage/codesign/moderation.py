"""Moderation of what residents put into co-design rounds: reports (three open reports hide an
item until an officer looks), and officers' decisions to approve, hide or restore, each with a
public reason and an entry in the audit log."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage import audit
from engage.accounts.models import User
from engage.codesign.models import (
    Comment,
    Contribution,
    Report,
    Visibility,
)
from engage.codesign.services import (
    get_comment,
    get_contribution,
    require_round,
)
from engage.db import utcnow
from engage.errors import N_, Conflict, Invalid

REPORTS_TO_HIDE = 3  # open reports that hide an item until an officer reviews it


class ModerationAction(enum.StrEnum):
    APPROVE = "approve"  # publish a contribution waiting for approval
    HIDE = "hide"
    RESTORE = "restore"


def _open_reports(session: Session, *, contribution_id: int | None, comment_id: int | None) -> int:
    column = Report.contribution_id if contribution_id is not None else Report.comment_id
    item_id = contribution_id if contribution_id is not None else comment_id
    return (
        session.scalar(
            sa.select(sa.func.count(Report.id)).where(
                column == item_id, Report.resolved_at.is_(None)
            )
        )
        or 0
    )


def _report(
    session: Session, item: Contribution | Comment, reason: str, actor: User, subject: str
) -> Report:
    is_contribution = isinstance(item, Contribution)
    ids = {"contribution_id": item.id} if is_contribution else {"comment_id": item.id}
    column = Report.contribution_id if is_contribution else Report.comment_id
    already = session.scalar(
        sa.select(Report.id).where(column == item.id, Report.reporter_id == actor.id)
    )
    if already is not None:
        raise Conflict(N_("You have already reported this. An officer will look at it."))
    report = Report(reporter_id=actor.id, reason=reason, **ids)
    session.add(report)
    session.flush()
    hidden = False
    open_reports = _open_reports(
        session,
        contribution_id=item.id if is_contribution else None,
        comment_id=None if is_contribution else item.id,
    )
    if item.visibility is Visibility.VISIBLE and open_reports >= REPORTS_TO_HIDE:
        item.visibility = Visibility.REPORTED
        item.moderation_reason = ""
        hidden = True
    audit.record(
        session,
        actor,
        "codesign.reported",
        subject,
        {"open_reports": open_reports, "hidden": hidden},
    )
    session.commit()
    return report


def report_contribution(
    session: Session, contribution_id: int, reason: str, *, actor: User
) -> Report:
    contribution = get_contribution(session, contribution_id, viewer=actor)
    if contribution.seeded:
        raise Invalid(N_("What officers prepared for a round cannot be reported here."))
    return _report(session, contribution, reason, actor, f"codesign_contribution:{contribution.id}")


def report_comment(session: Session, comment_id: int, reason: str, *, actor: User) -> Report:
    comment = get_comment(session, comment_id, viewer=actor)
    return _report(session, comment, reason, actor, f"codesign_comment:{comment.id}")


_MODERATION_RESULT = {
    ModerationAction.APPROVE: Visibility.VISIBLE,
    ModerationAction.RESTORE: Visibility.VISIBLE,
    ModerationAction.HIDE: Visibility.HIDDEN,
}


def _moderate(
    session: Session,
    item: Contribution | Comment,
    action: ModerationAction,
    reason: str,
    actor: User,
    subject: str,
) -> None:
    if action is ModerationAction.APPROVE and item.visibility is not Visibility.PENDING:
        raise Conflict(N_("Only a contribution waiting for approval can be approved."))
    if action is ModerationAction.RESTORE and item.visibility is Visibility.VISIBLE:
        raise Conflict(N_("This is already shown."))
    if action is ModerationAction.HIDE and item.visibility is Visibility.HIDDEN:
        raise Conflict(N_("This is already hidden."))
    if action is not ModerationAction.APPROVE and not reason:
        raise Invalid(N_("Give the reason people will see."), field="reason")
    before = item.visibility
    item.visibility = _MODERATION_RESULT[action]
    item.moderation_reason = reason
    column = Report.contribution_id if isinstance(item, Contribution) else Report.comment_id
    session.execute(
        sa.update(Report)
        .where(column == item.id, Report.resolved_at.is_(None))
        .values(resolved_at=utcnow())
    )
    audit.record(
        session, actor, f"codesign.{action.value}", subject,
        {"from": before.value, "to": item.visibility.value, "reason": reason},
    )  # fmt: skip
    session.commit()


def moderate_contribution(
    session: Session,
    contribution_id: int,
    action: ModerationAction,
    reason: str,
    *,
    actor: User,
) -> Contribution:
    contribution = get_contribution(session, contribution_id, viewer=actor)
    subject = f"codesign_contribution:{contribution.id}"
    _moderate(session, contribution, action, reason, actor, subject)
    return contribution


def moderate_comment(
    session: Session, comment_id: int, action: ModerationAction, reason: str, *, actor: User
) -> Comment:
    comment = get_comment(session, comment_id, viewer=actor)
    _moderate(session, comment, action, reason, actor, f"codesign_comment:{comment.id}")
    return comment


@dataclass(frozen=True)
class ModerationQueue:
    contributions: list[Contribution]  # waiting for approval or hidden by reports
    comments: list[Comment]
    reports: dict[str, list[Report]]  # "contribution:12" / "comment:7" -> its open reports


def moderation_queue(session: Session, round_id: int) -> ModerationQueue:
    round_ = require_round(session, round_id)
    waiting = [Visibility.PENDING, Visibility.REPORTED]
    reported_ids = sa.select(Report.contribution_id).where(Report.resolved_at.is_(None))
    contributions = list(
        session.scalars(
            sa.select(Contribution)
            .where(
                Contribution.round_id == round_.id,
                sa.or_(Contribution.visibility.in_(waiting), Contribution.id.in_(reported_ids)),
            )
            .order_by(Contribution.id)
        )
    )
    comments = list(
        session.scalars(
            sa.select(Comment)
            .join(Contribution, Contribution.id == Comment.contribution_id)
            .where(
                Contribution.round_id == round_.id,
                sa.or_(
                    Comment.visibility.in_(waiting),
                    Comment.id.in_(
                        sa.select(Report.comment_id).where(Report.resolved_at.is_(None))
                    ),
                ),
            )
            .order_by(Comment.id)
        )
    )
    reports: dict[str, list[Report]] = {}
    open_reports = session.scalars(
        sa.select(Report)
        .where(
            Report.resolved_at.is_(None),
            sa.or_(
                Report.contribution_id.in_([c.id for c in contributions]),
                Report.comment_id.in_([c.id for c in comments]),
            ),
        )
        .order_by(Report.id)
    )
    for report in open_reports:
        key = (
            f"contribution:{report.contribution_id}"
            if report.contribution_id is not None
            else f"comment:{report.comment_id}"
        )
        reports.setdefault(key, []).append(report)
    return ModerationQueue(contributions, comments, reports)
