"""Co-design use cases: processes and their rounds, contributions, comments, supports, statement
votes and opinion groups, priorities and draft ratings. Moderation (``moderation.py``) and
syntheses (``syntheses.py``) build on these.

Officers' actions (round changes, moderation, syntheses) are audit-logged with the change.
Residents' own actions (contributing, voting, supporting) are not: they are the data itself, and
logging every vote would make the log a second copy of the votes with the voters' accounts in it.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from engage import audit, jobs
from engage.accounts.models import User
from engage.codesign import opinion
from engage.codesign.models import (
    CodesignProcess,
    Comment,
    Contribution,
    ContributionKind,
    DraftRating,
    Moderation,
    PriorityAnswer,
    PriorityMethod,
    Round,
    RoundKind,
    RoundStatus,
    Support,
    Visibility,
    Vote,
)
from engage.db import utcnow
from engage.errors import N_, Conflict, Forbidden, Invalid, NotFound
from engage.missions import services as missions
from engage.missions.models import Mission, MissionStatus
from engage.pagination import Page, offset_of
from engage.security import Role, holds

CONTRIBUTIONS_PER_PAGE = 20
COMMENTS_PER_PAGE = 20
# Up to this many votes the opinion groups are computed while the page loads (well under a
# second); beyond it they are computed by a job and the page shows the stored result.
OPINION_INLINE_VOTES = 20_000
OPINION_JOB = "codesign.opinions"
STATEMENT_MAX_LENGTH = 280
VOTE_VALUES = {"agree": 1, "disagree": -1, "pass": 0}


# --- Inputs: what the forms hand over ---------------------------------------------------------


@dataclass
class ProcessFields:
    title: str
    description: str


@dataclass
class RoundFields:
    kind: RoundKind
    title: str
    prompt: str
    opens_at: datetime
    closes_at: datetime
    moderation: Moderation
    priority_method: PriorityMethod | None
    points_budget: int | None
    # What an officer prepares: seed statements or options (one per line), or the draft's
    # paragraphs (separated by a blank line). Ignored for ideas rounds.
    items: list[str] = field(default_factory=list)


@dataclass
class IdeaFields:
    title: str
    text: str
    area: str


class Phase(enum.StrEnum):
    """Where a round stands for people taking part, from its status and its dates."""

    DRAFT = "draft"
    UPCOMING = "upcoming"  # open, before its opening date
    OPEN = "open"
    ENDED = "ended"  # open, after its closing date: no more input, awaiting the officer's close
    CLOSED = "closed"
    SYNTHESISED = "synthesised"


# --- Processes --------------------------------------------------------------------------------


def list_processes(
    session: Session, *, mission_slug: str | None, include_drafts: bool
) -> list[CodesignProcess]:
    query = (
        sa.select(CodesignProcess)
        .join(Mission, Mission.id == CodesignProcess.mission_id)
        .options(selectinload(CodesignProcess.rounds))
        .order_by(CodesignProcess.created_at.desc(), CodesignProcess.id.desc())
    )
    if mission_slug:
        query = query.where(Mission.slug == mission_slug)
    if not include_drafts:
        query = query.where(Mission.status != MissionStatus.DRAFT)
    return list(session.scalars(query))


def get_process(session: Session, process_id: int, *, include_drafts: bool) -> CodesignProcess:
    process = session.get(CodesignProcess, process_id)
    if process is None:
        raise NotFound(N_("There is no co-design process at this address."))
    if not include_drafts and process.mission.status is MissionStatus.DRAFT:
        raise NotFound(N_("There is no co-design process at this address."))
    return process


def create_process(
    session: Session, mission_slug: str, values: ProcessFields, *, actor: User
) -> CodesignProcess:
    mission = missions.get_mission(session, mission_slug, include_drafts=True)
    process = CodesignProcess(
        mission_id=mission.id,
        title=values.title,
        description=values.description,
        created_by_id=actor.id,
    )
    session.add(process)
    session.flush()
    audit.record(
        session, actor, "codesign.process_created", f"codesign_process:{process.id}",
        {"mission": mission.id, "title": values.title},
    )  # fmt: skip
    session.commit()
    return process


def update_process(
    session: Session, process_id: int, values: ProcessFields, *, actor: User
) -> CodesignProcess:
    process = get_process(session, process_id, include_drafts=True)
    changed = {
        name: [getattr(process, name), getattr(values, name)]
        for name in ("title", "description")
        if getattr(process, name) != getattr(values, name)
    }
    for name, (_before, after) in changed.items():
        setattr(process, name, after)
    if changed:
        audit.record(
            session, actor, "codesign.process_updated", f"codesign_process:{process.id}", changed
        )
    session.commit()
    return process


# --- Rounds -----------------------------------------------------------------------------------


def results_visible(round_: Round, viewer: Any) -> bool:
    """Tallies, ratings, priorities and opinion groups: officers follow them while a round runs,
    everyone sees them once it has closed (so early results do not sway later participants)."""
    return holds(viewer, Role.OFFICER) or round_.status in (
        RoundStatus.CLOSED,
        RoundStatus.SYNTHESISED,
    )


def phase(round_: Round, now: datetime) -> Phase:
    if round_.status is RoundStatus.OPEN:
        if now < round_.opens_at:
            return Phase.UPCOMING
        return Phase.OPEN if now < round_.closes_at else Phase.ENDED
    return Phase(round_.status.value)


def get_round(session: Session, round_id: int, *, viewer: Any) -> Round:
    """A round as ``viewer`` may see it: draft rounds and draft missions only for officers."""
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound(N_("There is no co-design round at this address."))
    if not holds(viewer, Role.OFFICER) and (
        round_.status is RoundStatus.DRAFT or round_.process.mission.status is MissionStatus.DRAFT
    ):
        raise NotFound(N_("There is no co-design round at this address."))
    return round_


def require_round(session: Session, round_id: int) -> Round:
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound(N_("There is no co-design round at this address."))
    return round_


def _check_round_fields(values: RoundFields) -> RoundFields:
    """The fields checked, with what does not apply to the round's kind cleared (a method and a
    budget only for priorities, prepared items only where the kind has them)."""
    if values.closes_at <= values.opens_at:
        raise Invalid(N_("The round must close after it opens."), field="closes_at")
    if values.kind is RoundKind.PRIORITIES:
        if values.priority_method is None:
            raise Invalid(N_("Choose how residents set priorities."), field="priority_method")
        budget = values.points_budget
        if values.priority_method is PriorityMethod.POINTS and (budget is None or budget < 1):
            raise Invalid(
                N_("Say how many points each resident shares out (at least 1)."),
                field="points_budget",
            )
    if values.kind is RoundKind.STATEMENTS:
        too_long = [item for item in values.items if len(item) > STATEMENT_MAX_LENGTH]
        if too_long:
            raise Invalid(
                N_("Keep each statement to %(limit)s characters or fewer."),
                field="items",
                limit=STATEMENT_MAX_LENGTH,
            )
    priorities = values.kind is RoundKind.PRIORITIES
    return replace(
        values,
        priority_method=values.priority_method if priorities else None,
        points_budget=(
            values.points_budget
            if priorities and values.priority_method is PriorityMethod.POINTS
            else None
        ),
        items=list(values.items) if values.kind in ITEM_KIND else [],
    )


ITEM_KIND = {
    RoundKind.STATEMENTS: ContributionKind.STATEMENT,
    RoundKind.PRIORITIES: ContributionKind.OPTION,
    RoundKind.DRAFT_REVIEW: ContributionKind.PARAGRAPH,
}


def _seed_items(round_: Round, items: Sequence[str], actor: User) -> list[Contribution]:
    kind = ITEM_KIND.get(round_.kind)
    if kind is None:
        return []
    return [
        Contribution(
            round=round_,
            kind=kind,
            author_id=actor.id,
            seeded=True,
            position=position,
            text=text,
        )
        for position, text in enumerate(items, start=1)
    ]


def seeded_items(session: Session, round_id: int) -> list[Contribution]:
    """What the officer prepared: seed statements, options or the draft's paragraphs."""
    return list(
        session.scalars(
            sa.select(Contribution)
            .where(Contribution.round_id == round_id, Contribution.seeded.is_(True))
            .order_by(Contribution.position, Contribution.id)
        )
    )


def create_round(session: Session, process_id: int, values: RoundFields, *, actor: User) -> Round:
    process = get_process(session, process_id, include_drafts=True)
    values = _check_round_fields(values)
    round_ = Round(
        process=process,
        position=len(process.rounds) + 1,
        kind=values.kind,
        title=values.title,
        prompt=values.prompt,
        opens_at=values.opens_at,
        closes_at=values.closes_at,
        moderation=values.moderation,
        priority_method=values.priority_method,
        points_budget=values.points_budget,
    )
    session.add(round_)
    session.add_all(_seed_items(round_, values.items, actor))
    session.flush()
    audit.record(
        session, actor, "codesign.round_created", f"codesign_round:{round_.id}",
        {"process": process.id, "kind": values.kind.value, "items": len(values.items)},
    )  # fmt: skip
    session.commit()
    return round_


def update_round(session: Session, round_id: int, values: RoundFields, *, actor: User) -> Round:
    """Change a round. Its kind and what the officer prepared change only while it is a draft;
    once residents take part, only the wording and the dates may change."""
    round_ = require_round(session, round_id)
    values = _check_round_fields(values)
    drafting = round_.status is RoundStatus.DRAFT
    if not drafting and values.kind is not round_.kind:
        raise Conflict(N_("A round's type cannot change once it is published."), field="kind")
    changed: dict[str, list[Any]] = {}
    names = ["title", "prompt", "opens_at", "closes_at", "moderation"]
    if drafting:
        names += ["kind", "priority_method", "points_budget"]
    for name in names:
        before, after = getattr(round_, name), getattr(values, name)
        if before != after:
            changed[name] = [str(before), str(after)]
            setattr(round_, name, after)
    if drafting:
        existing = seeded_items(session, round_.id)
        if [item.text for item in existing] != values.items or "kind" in changed:
            for item in existing:
                session.delete(item)
            session.add_all(_seed_items(round_, values.items, actor))
            changed["items"] = [str(len(existing)), str(len(values.items))]
    if changed:
        audit.record(
            session, actor, "codesign.round_updated", f"codesign_round:{round_.id}", changed
        )
    session.commit()
    return round_


def open_round(session: Session, round_id: int, *, actor: User) -> Round:
    """Publish a draft round: people can take part between its opening and closing dates."""
    round_ = require_round(session, round_id)
    if round_.status is not RoundStatus.DRAFT:
        raise Conflict(N_("Only a draft round can be opened."))
    needed = {
        RoundKind.STATEMENTS: 0,
        RoundKind.PRIORITIES: 2,
        RoundKind.DRAFT_REVIEW: 1,
        RoundKind.IDEAS: 0,
    }[round_.kind]
    if len(seeded_items(session, round_.id)) < needed:
        raise Invalid(
            N_("Prepare at least %(count)s items before opening this round."), count=needed
        )
    round_.status = RoundStatus.OPEN
    audit.record(session, actor, "codesign.round_opened", f"codesign_round:{round_.id}")
    session.commit()
    return round_


def close_round(
    session: Session, round_id: int, *, actor: User, runner: jobs.JobRunner | None = None
) -> Round:
    """End a round now (or confirm that its closing date has passed). A statements round's
    opinion groups are stored with it: computed at once, or by a job when the round is large."""
    round_ = require_round(session, round_id)
    if round_.status is not RoundStatus.OPEN:
        raise Conflict(N_("Only an open round can be closed."))
    now = utcnow()
    round_.status = RoundStatus.CLOSED
    if round_.closes_at > now:
        round_.closes_at = max(now, round_.opens_at + timedelta(seconds=1))
    audit.record(session, actor, "codesign.round_closed", f"codesign_round:{round_.id}")
    large = False
    if round_.kind is RoundKind.STATEMENTS:
        large = _vote_count(session, round_.id) > OPINION_INLINE_VOTES
        if not large:
            _store_opinion_map(session, round_)
    session.commit()
    if large and runner is not None:
        start_opinion_job(session, round_id, runner=runner, actor=actor)
    return round_


def move_round(session: Session, round_id: int, offset: int, *, actor: User) -> Round:
    """Move a round one place earlier (offset -1) or later (+1) in its process."""
    round_ = require_round(session, round_id)
    rounds = list(round_.process.rounds)
    index = rounds.index(round_)
    other = index + (1 if offset > 0 else -1)
    if 0 <= other < len(rounds):
        rounds[index], rounds[other] = rounds[other], rounds[index]
        for position, each in enumerate(rounds, start=1):
            each.position = position
        audit.record(
            session, actor, "codesign.round_moved", f"codesign_round:{round_.id}",
            {"position": other + 1},
        )  # fmt: skip
    session.commit()
    return round_


def _check_taking_part(round_: Round, kind: RoundKind) -> None:
    if round_.kind is not kind:
        raise Invalid(N_("This round does not take that kind of contribution."))
    current = phase(round_, utcnow())
    if current is Phase.UPCOMING:
        raise Conflict(N_("This round has not opened yet."))
    if current is not Phase.OPEN:
        raise Conflict(N_("This round is closed: contributions can no longer be added or changed."))


# --- Contributions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ContributionRow:
    contribution: Contribution
    supports: int
    comments: int
    supported_by_viewer: bool


def _visible_to(viewer: Any) -> sa.ColumnElement[bool]:
    """Visible items, and the viewer's own whatever their state (they see why they are hidden)."""
    if holds(viewer, Role.OFFICER):
        return sa.true()
    if viewer is not None and viewer.is_authenticated:
        return sa.or_(
            Contribution.visibility == Visibility.VISIBLE, Contribution.author_id == viewer.id
        )
    return Contribution.visibility == Visibility.VISIBLE


def list_contributions(
    session: Session,
    round_id: int,
    *,
    viewer: Any,
    page: int,
    order: str = "supported",
    per_page: int = CONTRIBUTIONS_PER_PAGE,
) -> Page[ContributionRow]:
    """A round's residents' contributions (ideas, or statements added by participants), one page,
    most supported or newest first."""
    round_ = get_round(session, round_id, viewer=viewer)
    supports = (
        sa.select(sa.func.count(Support.id))
        .where(Support.contribution_id == Contribution.id)
        .scalar_subquery()
    )
    comments = (
        sa.select(sa.func.count(Comment.id))
        .where(Comment.contribution_id == Contribution.id, Comment.visibility == Visibility.VISIBLE)
        .scalar_subquery()
    )
    where = [
        Contribution.round_id == round_.id,
        Contribution.kind.in_([ContributionKind.IDEA, ContributionKind.STATEMENT]),
        _visible_to(viewer),
    ]
    total = session.scalar(sa.select(sa.func.count(Contribution.id)).where(*where)) or 0
    ordering = (
        [supports.desc(), Contribution.id]
        if order == "supported"
        else [Contribution.created_at.desc(), Contribution.id.desc()]
    )
    rows = session.execute(
        sa.select(Contribution, supports, comments)
        .where(*where)
        .options(selectinload(Contribution.author))
        .order_by(*ordering)
        .offset(offset_of(page, per_page))
        .limit(per_page)
    ).all()
    mine: set[int] = set()
    if viewer is not None and viewer.is_authenticated and rows:
        mine = set(
            session.scalars(
                sa.select(Support.contribution_id).where(
                    Support.user_id == viewer.id,
                    Support.contribution_id.in_([row[0].id for row in rows]),
                )
            )
        )
    items = [ContributionRow(c, s or 0, n or 0, c.id in mine) for c, s, n in rows]
    return Page(items, max(page, 1), per_page, total)


def get_contribution(session: Session, contribution_id: int, *, viewer: Any) -> Contribution:
    contribution = session.get(Contribution, contribution_id)
    if contribution is None:
        raise NotFound(N_("There is no contribution at this address."))
    get_round(session, contribution.round_id, viewer=viewer)  # a draft round's items stay hidden
    return contribution


def can_read(contribution: Contribution | Comment, viewer: Any) -> bool:
    """Whether ``viewer`` may read the text (hidden items show only why they are hidden)."""
    if contribution.visibility is Visibility.VISIBLE or holds(viewer, Role.OFFICER):
        return True
    return bool(
        viewer is not None
        and viewer.is_authenticated
        and contribution.author_id is not None
        and contribution.author_id == viewer.id
    )


def support_count(session: Session, contribution_id: int) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count(Support.id)).where(Support.contribution_id == contribution_id)
        )
        or 0
    )


def supports(session: Session, contribution_id: int, user: Any) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return (
        session.scalar(
            sa.select(Support.id).where(
                Support.contribution_id == contribution_id, Support.user_id == user.id
            )
        )
        is not None
    )


def _resident_visibility(round_: Round) -> Visibility:
    return Visibility.PENDING if round_.moderation is Moderation.BEFORE else Visibility.VISIBLE


def submit_idea(
    session: Session, round_id: int, values: IdeaFields, *, actor: User
) -> Contribution:
    round_ = get_round(session, round_id, viewer=actor)
    _check_taking_part(round_, RoundKind.IDEAS)
    idea = Contribution(
        round_id=round_.id,
        kind=ContributionKind.IDEA,
        author_id=actor.id,
        title=values.title,
        text=values.text,
        area=values.area,
        visibility=_resident_visibility(round_),
    )
    session.add(idea)
    session.commit()
    return idea


def add_statement(session: Session, round_id: int, text: str, *, actor: User) -> Contribution:
    """A participant's own statement for others to vote on. Its author agrees with it (as in
    Polis), so it never comes back to them as a statement to vote on."""
    round_ = get_round(session, round_id, viewer=actor)
    _check_taking_part(round_, RoundKind.STATEMENTS)
    if len(text) > STATEMENT_MAX_LENGTH:
        raise Invalid(
            N_("Keep the statement to %(limit)s characters or fewer."),
            field="text",
            limit=STATEMENT_MAX_LENGTH,
        )
    duplicate = session.scalar(
        sa.select(Contribution.id).where(
            Contribution.round_id == round_.id,
            Contribution.kind == ContributionKind.STATEMENT,
            sa.func.lower(Contribution.text) == text.lower(),
        )
    )
    if duplicate is not None:
        raise Conflict(N_("This statement is already in the round."), field="text")
    statement = Contribution(
        round_id=round_.id,
        kind=ContributionKind.STATEMENT,
        author_id=actor.id,
        text=text,
        visibility=_resident_visibility(round_),
    )
    session.add(statement)
    session.flush()
    session.add(Vote(round_id=round_.id, statement_id=statement.id, user_id=actor.id, value=1))
    session.commit()
    return statement


def get_own_contribution(session: Session, contribution_id: int, *, actor: User) -> Contribution:
    """A contribution its author is about to change (officers' prepared items are not theirs)."""
    contribution = get_contribution(session, contribution_id, viewer=actor)
    if contribution.author_id != actor.id or contribution.seeded:
        raise Forbidden(N_("You can only change your own contributions."))
    return contribution


def edit_contribution(
    session: Session, contribution_id: int, values: IdeaFields, *, actor: User
) -> Contribution:
    """Residents change their own ideas and statements until the round closes."""
    contribution = get_own_contribution(session, contribution_id, actor=actor)
    round_ = contribution.round
    _check_taking_part(round_, round_.kind)
    if contribution.kind is ContributionKind.STATEMENT:
        if len(values.text) > STATEMENT_MAX_LENGTH:
            raise Invalid(
                N_("Keep the statement to %(limit)s characters or fewer."),
                field="text",
                limit=STATEMENT_MAX_LENGTH,
            )
        contribution.text = values.text
    else:
        contribution.title, contribution.text, contribution.area = (
            values.title,
            values.text,
            values.area,
        )
    session.commit()
    return contribution


def toggle_support(session: Session, contribution_id: int, *, actor: User) -> bool:
    """Support an idea, or withdraw one's support; returns whether the actor now supports it."""
    contribution = get_contribution(session, contribution_id, viewer=actor)
    if contribution.kind is not ContributionKind.IDEA:
        raise Invalid(N_("Only ideas can be supported."))
    if contribution.visibility is not Visibility.VISIBLE:
        raise Conflict(N_("This contribution is not published."))
    _check_taking_part(contribution.round, RoundKind.IDEAS)
    existing = session.scalar(
        sa.select(Support).where(
            Support.contribution_id == contribution.id, Support.user_id == actor.id
        )
    )
    if existing is not None:
        session.delete(existing)
    else:
        session.add(Support(contribution_id=contribution.id, user_id=actor.id))
    session.commit()
    return existing is None


# --- Comments ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thread:
    comment: Comment
    replies: list[Comment]


def _comments_visible_to(viewer: Any) -> sa.ColumnElement[bool]:
    """Published comments, hidden ones (which show why, not what), and the viewer's own comments
    waiting for approval; officers see everything."""
    if holds(viewer, Role.OFFICER):
        return sa.true()
    shown = Comment.visibility.in_([Visibility.VISIBLE, Visibility.REPORTED, Visibility.HIDDEN])
    if viewer is not None and viewer.is_authenticated:
        return sa.or_(shown, Comment.author_id == viewer.id)
    return shown


def list_comments(
    session: Session,
    contribution_id: int,
    *,
    viewer: Any,
    page: int,
    per_page: int = COMMENTS_PER_PAGE,
) -> Page[Thread]:
    """One page of a contribution's threads (oldest first), each with all its replies: two
    queries whatever the length of the discussion."""
    contribution = get_contribution(session, contribution_id, viewer=viewer)
    where = [
        Comment.contribution_id == contribution.id,
        Comment.parent_id.is_(None),
        _comments_visible_to(viewer),
    ]
    total = session.scalar(sa.select(sa.func.count(Comment.id)).where(*where)) or 0
    top = list(
        session.scalars(
            sa.select(Comment)
            .where(*where)
            .options(selectinload(Comment.author))
            .order_by(Comment.created_at, Comment.id)
            .offset(offset_of(page, per_page))
            .limit(per_page)
        )
    )
    replies: dict[int, list[Comment]] = {comment.id: [] for comment in top}
    if top:
        for reply in session.scalars(
            sa.select(Comment)
            .where(Comment.parent_id.in_(list(replies)), _comments_visible_to(viewer))
            .options(selectinload(Comment.author))
            .order_by(Comment.created_at, Comment.id)
        ):
            replies[reply.parent_id or 0].append(reply)
    return Page([Thread(c, replies[c.id]) for c in top], max(page, 1), per_page, total)


def get_comment(session: Session, comment_id: int, *, viewer: Any) -> Comment:
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(N_("There is no comment at this address."))
    get_contribution(session, comment.contribution_id, viewer=viewer)
    return comment


def _check_commenting(session: Session, contribution: Contribution) -> None:
    if contribution.visibility is not Visibility.VISIBLE:
        raise Conflict(N_("This contribution is not published, so it cannot be discussed."))
    round_ = contribution.round
    if phase(round_, utcnow()) is not Phase.OPEN:
        raise Conflict(N_("This round is closed: comments can no longer be added or changed."))


def add_comment(
    session: Session,
    contribution_id: int,
    text: str,
    *,
    parent_id: int | None,
    actor: User,
) -> Comment:
    contribution = get_contribution(session, contribution_id, viewer=actor)
    _check_commenting(session, contribution)
    if parent_id is not None:
        parent = session.get(Comment, parent_id)
        if parent is None or parent.contribution_id != contribution.id:
            raise Invalid(N_("The comment you are replying to is not here any more."))
        # Threads are two levels deep: a reply to a reply joins its thread.
        parent_id = parent.parent_id or parent.id
    comment = Comment(
        contribution_id=contribution.id,
        parent_id=parent_id,
        author_id=actor.id,
        text=text,
        visibility=_resident_visibility(contribution.round),
    )
    session.add(comment)
    session.commit()
    return comment


def get_own_comment(session: Session, comment_id: int, *, actor: User) -> Comment:
    comment = get_comment(session, comment_id, viewer=actor)
    if comment.author_id != actor.id:
        raise Forbidden(N_("You can only change your own comments."))
    return comment


def edit_comment(session: Session, comment_id: int, text: str, *, actor: User) -> Comment:
    comment = get_own_comment(session, comment_id, actor=actor)
    _check_commenting(session, comment.contribution)
    comment.text = text
    session.commit()
    return comment


# --- Statement votes --------------------------------------------------------------------------


def _visible_statements(round_id: int) -> sa.Select[int]:
    return sa.select(Contribution.id).where(
        Contribution.round_id == round_id,
        Contribution.kind == ContributionKind.STATEMENT,
        Contribution.visibility == Visibility.VISIBLE,
    )


def _shuffle_key(user_id: int, statement_id: int) -> bytes:
    """A fixed order per participant, different between participants, so that early statements
    do not collect every vote while late ones collect none."""
    return hashlib.blake2b(f"{user_id}:{statement_id}".encode(), digest_size=8).digest()


@dataclass(frozen=True)
class VotingProgress:
    voted: int
    total: int

    @property
    def remaining(self) -> int:
        return max(self.total - self.voted, 0)


def next_statement(
    session: Session, round_id: int, *, actor: User
) -> tuple[Contribution | None, VotingProgress]:
    """The next statement for ``actor`` to vote on: one they have not seen yet, or None when
    they have voted on them all; with how far they have got."""
    round_ = get_round(session, round_id, viewer=actor)
    statement_ids = set(session.scalars(_visible_statements(round_.id)))
    voted = set(
        session.scalars(
            sa.select(Vote.statement_id).where(Vote.round_id == round_.id, Vote.user_id == actor.id)
        )
    )
    unseen = statement_ids - voted
    progress = VotingProgress(len(statement_ids & voted), len(statement_ids))
    if not unseen:
        return None, progress
    chosen = min(unseen, key=lambda sid: _shuffle_key(actor.id, sid))
    return session.get(Contribution, chosen), progress


def cast_vote(session: Session, statement_id: int, choice: str, *, actor: User) -> None:
    """Record (or change) ``actor``'s vote on a statement: agree, disagree or pass.

    One statement per request and one row per participant and statement: an upsert, so two
    submissions at once (a double click, two tabs) end as one vote, the later one."""
    if choice not in VOTE_VALUES:
        raise Invalid(N_("Choose agree, disagree or pass."), field="vote")
    statement = session.get(Contribution, statement_id)
    if (
        statement is None
        or statement.kind is not ContributionKind.STATEMENT
        or statement.visibility is not Visibility.VISIBLE
    ):
        raise NotFound(N_("This statement is not open for votes."))
    _check_taking_part(get_round(session, statement.round_id, viewer=actor), RoundKind.STATEMENTS)
    now = utcnow()
    values = {
        "round_id": statement.round_id,
        "statement_id": statement.id,
        "user_id": actor.id,
        "value": VOTE_VALUES[choice],
        "created_at": now,
        "updated_at": now,
    }
    insert = (
        postgresql_insert(Vote)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite_insert(Vote)
    )
    upsert = insert.values(**values)
    session.execute(
        upsert.on_conflict_do_update(
            index_elements=["statement_id", "user_id"],
            set_={"value": upsert.excluded.value, "updated_at": upsert.excluded.updated_at},
        )
    )
    session.commit()


def my_votes(session: Session, round_id: int, user: User) -> list[tuple[Contribution, int]]:
    """The statements ``user`` voted on, with their vote, in the order of the statements."""
    rows = session.execute(
        sa.select(Contribution, Vote.value)
        .join(Vote, Vote.statement_id == Contribution.id)
        .where(Vote.round_id == round_id, Vote.user_id == user.id)
        .order_by(Contribution.id)
    ).all()
    return [(contribution, value) for contribution, value in rows]


def statement_tallies(session: Session, round_id: int) -> list[tuple[Contribution, opinion.Tally]]:
    """Every visible statement with its agree, disagree and pass counts, most votes first."""
    counts = {
        (statement_id, value): count
        for statement_id, value, count in session.execute(
            sa.select(Vote.statement_id, Vote.value, sa.func.count())
            .where(Vote.round_id == round_id)
            .group_by(Vote.statement_id, Vote.value)
        )
    }
    statements = session.scalars(
        sa.select(Contribution)
        .where(Contribution.id.in_(_visible_statements(round_id)))
        .order_by(Contribution.id)
    )
    tallies = [
        (
            s,
            opinion.Tally(
                counts.get((s.id, 1), 0), counts.get((s.id, -1), 0), counts.get((s.id, 0), 0)
            ),
        )
        for s in statements
    ]
    return sorted(tallies, key=lambda pair: -pair[1].votes)


# --- Opinion groups ---------------------------------------------------------------------------


def _vote_count(session: Session, round_id: int) -> int:
    return session.scalar(sa.select(sa.func.count(Vote.id)).where(Vote.round_id == round_id)) or 0


def _votes_signature(session: Session, round_id: int) -> str:
    """Changes whenever a vote is cast or changed, or a statement is hidden or shown."""
    count, last_change, last_id = session.execute(
        sa.select(sa.func.count(Vote.id), sa.func.max(Vote.updated_at), sa.func.max(Vote.id)).where(
            Vote.round_id == round_id
        )
    ).one()
    shown = ",".join(
        map(str, session.scalars(_visible_statements(round_id).order_by(Contribution.id)))
    )
    statements = hashlib.blake2b(shown.encode(), digest_size=8).hexdigest()
    return f"{count}:{last_id}:{last_change}:{statements}"[:80]


def _compute_opinion_map(
    session: Session, round_id: int, report: jobs.ProgressReporter | None = None
) -> opinion.OpinionMap:
    statement_ids = list(session.scalars(_visible_statements(round_id).order_by(Contribution.id)))
    shown = set(statement_ids)
    if report:
        report(10, N_("Reading the votes"))
    triples = [
        (user_id, statement_id, value)
        for user_id, statement_id, value in session.execute(
            sa.select(Vote.user_id, Vote.statement_id, Vote.value).where(Vote.round_id == round_id)
        )
        if statement_id in shown
    ]
    matrix, participants, statements = opinion.vote_matrix(triples, statement_ids=statement_ids)
    if report:
        report(40, N_("Finding the opinion groups in %(votes)s votes"), votes=len(triples))
    return opinion.map_opinions(matrix, participants, statements)


def _store_opinion_map(session: Session, round_: Round) -> opinion.OpinionMap:
    signature = _votes_signature(session, round_.id)
    result = _compute_opinion_map(session, round_.id)
    round_.opinion_map = result.as_dict()
    round_.opinion_signature = signature
    return result


@dataclass(frozen=True)
class OpinionState:
    map: opinion.OpinionMap | None
    current: bool  # False when votes changed since the stored map was computed
    votes: int
    job: jobs.Job | None  # the computation under way, if any


def opinion_state(session: Session, round_id: int, *, viewer: Any) -> OpinionState:
    """The opinion groups of a statements round. Officers follow them while the round runs;
    everyone sees them once it has closed."""
    round_ = get_round(session, round_id, viewer=viewer)
    if round_.kind is not RoundKind.STATEMENTS:
        raise NotFound(N_("Opinion groups are found in statements rounds only."))
    if not results_visible(round_, viewer):
        raise Forbidden(N_("The opinion groups are published when the round closes."))
    votes = _vote_count(session, round_.id)
    job = session.get(jobs.Job, round_.opinion_job_id) if round_.opinion_job_id else None
    if job is not None and job.status.finished:
        job = None
    stored = opinion.OpinionMap.from_dict(round_.opinion_map) if round_.opinion_map else None
    current = stored is not None and round_.opinion_signature == _votes_signature(
        session, round_.id
    )
    if current or votes > OPINION_INLINE_VOTES:
        return OpinionState(stored, current, votes, job)
    return OpinionState(_compute_opinion_map(session, round_.id), True, votes, job)


def start_opinion_job(
    session: Session, round_id: int, *, runner: jobs.JobRunner, actor: User
) -> jobs.Job:
    round_ = require_round(session, round_id)
    if round_.kind is not RoundKind.STATEMENTS:
        raise Invalid(N_("Opinion groups are found in statements rounds only."))
    job = jobs.start_job(session, runner, OPINION_JOB, {"round_id": round_id}, actor=actor)
    round_ = require_round(session, round_id)
    round_.opinion_job_id = job.id
    audit.record(
        session, actor, "codesign.opinions_started", f"codesign_round:{round_id}", {"job": job.id}
    )
    session.commit()
    return job


@jobs.job_handler(OPINION_JOB)
def _opinion_job(
    session: Session, report: jobs.ProgressReporter, params: dict[str, Any]
) -> dict[str, Any]:
    round_id = int(params["round_id"])
    signature = _votes_signature(session, round_id)
    result = _compute_opinion_map(session, round_id, report)
    report(90, N_("Storing the opinion groups"))
    session.commit()  # end the read transaction; the write below takes the lock briefly
    round_ = require_round(session, round_id)
    round_.opinion_map = result.as_dict()
    round_.opinion_signature = signature
    session.commit()
    return {"round_id": round_id, "groups": len(result.groups)}


# --- Priorities -------------------------------------------------------------------------------


def my_priorities(session: Session, round_id: int, user: User) -> dict[int, int]:
    return dict(
        session.execute(
            sa.select(PriorityAnswer.option_id, PriorityAnswer.value).where(
                PriorityAnswer.round_id == round_id, PriorityAnswer.user_id == user.id
            )
        ).all()
    )


def submit_priorities(
    session: Session, round_id: int, answers: dict[int, int], *, actor: User
) -> None:
    """Replace ``actor``'s priorities: every option's rank (1 to n, each once) or points (whole,
    not negative, adding up to the round's budget)."""
    round_ = get_round(session, round_id, viewer=actor)
    _check_taking_part(round_, RoundKind.PRIORITIES)
    options = [o.id for o in seeded_items(session, round_.id)]
    if sorted(answers) != sorted(options):
        raise Invalid(N_("Answer for every option."))
    values = list(answers.values())
    if round_.priority_method is PriorityMethod.RANKING:
        if sorted(values) != list(range(1, len(options) + 1)):
            raise Invalid(
                N_("Give each option a different place, from 1 to %(count)s."), count=len(options)
            )
    else:
        budget = round_.points_budget or 0
        if any(value < 0 for value in values):
            raise Invalid(N_("Points cannot be negative."))
        if sum(values) != budget:
            raise Invalid(
                N_("Share out exactly %(budget)s points; you gave %(given)s."),
                budget=budget,
                given=sum(values),
            )
    session.execute(
        sa.delete(PriorityAnswer).where(
            PriorityAnswer.round_id == round_.id, PriorityAnswer.user_id == actor.id
        )
    )
    session.add_all(
        PriorityAnswer(round_id=round_.id, option_id=option_id, user_id=actor.id, value=value)
        for option_id, value in answers.items()
    )
    session.commit()


@dataclass(frozen=True)
class PriorityResult:
    option: Contribution
    score: int  # points given, or Borda points (n for a first place, 1 for the last)
    share: float  # of all points or Borda points given
    first_places: int  # rankings only


@dataclass(frozen=True)
class PriorityResults:
    method: PriorityMethod
    participants: int
    options: list[PriorityResult]  # highest score first


def score_priorities(
    method: PriorityMethod,
    options: Sequence[Contribution],
    answers: dict[int, list[tuple[int, int]]],
) -> list[PriorityResult]:
    """Each option's result, highest score first, from ``answers[option_id]``: the (value,
    number of people who gave it) pairs, a value being a place (1 = first) or points."""
    n = len(options)
    scored: list[tuple[Contribution, int, int]] = []
    for option in options:
        given = answers.get(option.id, [])
        if method is PriorityMethod.RANKING:
            score = sum((n - place + 1) * count for place, count in given)
            firsts = sum(count for place, count in given if place == 1)
        else:
            score, firsts = sum(points * count for points, count in given), 0
        scored.append((option, score, firsts))
    total = sum(score for _option, score, _firsts in scored) or 1
    scored.sort(key=lambda row: (-row[1], row[0].position, row[0].id))
    return [
        PriorityResult(option, score, score / total, firsts) for option, score, firsts in scored
    ]


def priority_results(session: Session, round_id: int, *, viewer: Any) -> PriorityResults:
    round_ = get_round(session, round_id, viewer=viewer)
    answers: dict[int, list[tuple[int, int]]] = {}
    for option_id, value, count in session.execute(
        sa.select(PriorityAnswer.option_id, PriorityAnswer.value, sa.func.count())
        .where(PriorityAnswer.round_id == round_.id)
        .group_by(PriorityAnswer.option_id, PriorityAnswer.value)
    ):
        answers.setdefault(option_id, []).append((value, count))
    participants = session.scalar(
        sa.select(sa.func.count(sa.distinct(PriorityAnswer.user_id))).where(
            PriorityAnswer.round_id == round_.id
        )
    )
    method = round_.priority_method or PriorityMethod.RANKING
    options = seeded_items(session, round_.id)
    return PriorityResults(method, participants or 0, score_priorities(method, options, answers))


# --- Draft review -----------------------------------------------------------------------------


def rate_draft(session: Session, round_id: int, score: int, *, actor: User) -> None:
    round_ = get_round(session, round_id, viewer=actor)
    _check_taking_part(round_, RoundKind.DRAFT_REVIEW)
    if score not in range(1, 6):
        raise Invalid(N_("Choose a rating from 1 to 5."), field="score")
    rating = session.scalar(
        sa.select(DraftRating).where(
            DraftRating.round_id == round_.id, DraftRating.user_id == actor.id
        )
    )
    if rating is None:
        session.add(DraftRating(round_id=round_.id, user_id=actor.id, score=score))
    else:
        rating.score = score
    session.commit()


@dataclass(frozen=True)
class RatingSummary:
    counts: dict[int, int]  # score -> people
    mine: int | None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def mean(self) -> float | None:
        if not self.total:
            return None
        return sum(score * n for score, n in self.counts.items()) / self.total


def rating_summary(session: Session, round_id: int, *, viewer: Any) -> RatingSummary:
    round_ = get_round(session, round_id, viewer=viewer)
    counts = dict.fromkeys(range(1, 6), 0)
    for score, n in session.execute(
        sa.select(DraftRating.score, sa.func.count())
        .where(DraftRating.round_id == round_.id)
        .group_by(DraftRating.score)
    ):
        counts[score] = n
    mine = None
    if viewer is not None and viewer.is_authenticated:
        mine = session.scalar(
            sa.select(DraftRating.score).where(
                DraftRating.round_id == round_.id, DraftRating.user_id == viewer.id
            )
        )
    return RatingSummary(counts, mine)


def paragraph_comment_counts(session: Session, round_id: int) -> dict[int, int]:
    return dict(
        session.execute(
            sa.select(Comment.contribution_id, sa.func.count(Comment.id))
            .join(Contribution, Contribution.id == Comment.contribution_id)
            .where(Contribution.round_id == round_id, Comment.visibility == Visibility.VISIBLE)
            .group_by(Comment.contribution_id)
        ).all()
    )
