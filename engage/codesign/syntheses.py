"""Syntheses of closed co-design rounds and where contributions went: a synthesis cites
contributions by number (``#12``), may publish the mission's next statement version with them as
its sources, and each contributor can see what became of what they put in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from engage import audit
from engage.accounts.models import User
from engage.codesign.models import (
    Citation,
    CodesignProcess,
    Comment,
    Contribution,
    Round,
    RoundStatus,
    Support,
    Synthesis,
    Visibility,
)
from engage.codesign.services import (
    CONTRIBUTIONS_PER_PAGE,
    get_round,
    require_round,
)
from engage.db import utcnow
from engage.errors import N_, Conflict, DomainError, Invalid
from engage.missions import services as missions
from engage.missions.models import StatementSource, StatementVersion
from engage.missions.sources import SourceLink, SourceRef, register_source_provider
from engage.pagination import Page, offset_of
from engage.security import Role, holds

_REFERENCE = re.compile(r"(?<![\w#&])#(\d{1,9})\b")


def cited_ids(text: str) -> list[int]:
    """The contribution numbers a synthesis cites (``#12``), in order of first mention."""
    return list(dict.fromkeys(int(number) for number in _REFERENCE.findall(text)))


@dataclass(frozen=True)
class TextPart:
    text: str
    contribution_id: int | None = None  # set for a citation, shown as a link


def cited_parts(text: str) -> list[TextPart]:
    """A synthesis as plain text and citations, so the page can link each ``#12`` safely."""
    parts: list[TextPart] = []
    last = 0
    for match in _REFERENCE.finditer(text):
        if match.start() > last:
            parts.append(TextPart(text[last : match.start()]))
        parts.append(TextPart(match.group(0), int(match.group(1))))
        last = match.end()
    if last < len(text):
        parts.append(TextPart(text[last:]))
    return parts


def citable_in_round(session: Session, round_id: int) -> list[Contribution]:
    """What a round's synthesis may cite: this round's and earlier rounds' published items in
    the same process (a contribution is traceable from phase to phase)."""
    round_ = require_round(session, round_id)
    earlier = sa.select(Round.id).where(
        Round.process_id == round_.process_id, Round.position <= round_.position
    )
    return list(
        session.scalars(
            sa.select(Contribution)
            .where(
                Contribution.round_id.in_(earlier), Contribution.visibility == Visibility.VISIBLE
            )
            .order_by(Contribution.round_id.desc(), Contribution.position, Contribution.id)
        )
    )


def get_synthesis(session: Session, round_id: int, *, viewer: Any) -> Synthesis | None:
    """The round's synthesis: published for everyone, the draft for officers."""
    round_ = get_round(session, round_id, viewer=viewer)
    synthesis = round_.synthesis
    if synthesis is None or (synthesis.published_at is None and not holds(viewer, Role.OFFICER)):
        return None
    return synthesis


def _cite(session: Session, round_: Round, synthesis: Synthesis, text: str) -> None:
    wanted = cited_ids(text)
    allowed = {c.id for c in citable_in_round(session, round_.id)}
    unknown = [number for number in wanted if number not in allowed]
    if unknown:
        raise Invalid(
            N_(
                "These numbers are not published contributions of this round or the rounds "
                "before it: %(numbers)s."
            ),
            field="text",
            numbers=", ".join(f"#{number}" for number in unknown),
        )
    synthesis.text = text
    synthesis.citations = [
        next((c for c in synthesis.citations if c.contribution_id == number), None)
        or Citation(contribution_id=number)
        for number in wanted
    ]


@contextmanager
def _undone_if_refused(session: Session) -> Iterator[None]:
    """Roll back what was changed before a DomainError, so the page that shows the refusal
    reads the round as it was (a refused publication must not look half done)."""
    try:
        yield
    except DomainError:
        session.rollback()
        raise


def save_synthesis(session: Session, round_id: int, text: str, *, actor: User) -> Synthesis:
    """Write or revise the draft synthesis of a closed round."""
    with _undone_if_refused(session):
        return _save_synthesis(session, round_id, text, actor=actor)


def _save_synthesis(session: Session, round_id: int, text: str, *, actor: User) -> Synthesis:
    round_ = require_round(session, round_id)
    if round_.status is not RoundStatus.CLOSED:
        raise Conflict(
            N_("A synthesis is written once the round is closed, and before it is published.")
        )
    synthesis = round_.synthesis or Synthesis(round=round_, text="", author_id=actor.id)
    session.add(synthesis)
    _cite(session, round_, synthesis, text)
    synthesis.author_id = actor.id
    session.flush()
    audit.record(
        session, actor, "codesign.synthesis_saved", f"codesign_round:{round_.id}",
        {"cites": [c.contribution_id for c in synthesis.citations]},
    )  # fmt: skip
    session.commit()
    return synthesis


def publish_synthesis(
    session: Session,
    round_id: int,
    text: str,
    *,
    statement: str | None,
    actor: User,
) -> Synthesis:
    """Publish the synthesis; with ``statement``, also publish it as the mission's new statement
    version, its rationale the synthesis and its sources the contributions the synthesis cites."""
    with _undone_if_refused(session):
        return _publish_synthesis(session, round_id, text, statement=statement, actor=actor)


def _publish_synthesis(
    session: Session, round_id: int, text: str, *, statement: str | None, actor: User
) -> Synthesis:
    round_ = require_round(session, round_id)
    if round_.status is not RoundStatus.CLOSED:
        raise Conflict(N_("Only a closed round's synthesis can be published, and only once."))
    synthesis = round_.synthesis or Synthesis(round=round_, text="", author_id=actor.id)
    session.add(synthesis)
    _cite(session, round_, synthesis, text)
    synthesis.author_id = actor.id
    synthesis.published_at = utcnow()
    round_.status = RoundStatus.SYNTHESISED
    session.flush()
    if statement:
        version = missions.add_statement_version(
            session,
            round_.process.mission,
            text=statement,
            rationale=text,
            source_keys=[f"{CONTRIBUTION_SOURCE}:{c.contribution_id}" for c in synthesis.citations],
            actor=actor,
        )
        synthesis.statement_version_id = version.id
    audit.record(
        session, actor, "codesign.synthesis_published", f"codesign_round:{round_.id}",
        {
            "cites": [c.contribution_id for c in synthesis.citations],
            "statement_version": synthesis.statement_version_id,
        },
    )  # fmt: skip
    session.commit()
    return synthesis


# --- What became of my contributions ----------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """Where a contribution went: the syntheses citing it and the statement versions it informed."""

    contribution: Contribution
    round: Round
    supports: int
    comments: int
    syntheses: list[Synthesis]
    versions: list[StatementVersion]


def my_contributions(
    session: Session, user: User, *, page: int, per_page: int = CONTRIBUTIONS_PER_PAGE
) -> Page[Outcome]:
    where = [
        Contribution.author_id == user.id,
        Contribution.seeded.is_(False),
    ]
    total = session.scalar(sa.select(sa.func.count(Contribution.id)).where(*where)) or 0
    contributions = list(
        session.scalars(
            sa.select(Contribution)
            .where(*where)
            .options(selectinload(Contribution.round).selectinload(Round.process))
            .order_by(Contribution.created_at.desc(), Contribution.id.desc())
            .offset(offset_of(page, per_page))
            .limit(per_page)
        )
    )
    ids = [c.id for c in contributions]
    syntheses: dict[int, list[Synthesis]] = {i: [] for i in ids}
    for contribution_id, synthesis in session.execute(
        sa.select(Citation.contribution_id, Synthesis)
        .join(Synthesis, Synthesis.id == Citation.synthesis_id)
        .where(Citation.contribution_id.in_(ids), Synthesis.published_at.is_not(None))
    ):
        syntheses[contribution_id].append(synthesis)
    versions: dict[int, list[StatementVersion]] = {i: [] for i in ids}
    for source_id, version in session.execute(
        sa.select(StatementSource.source_id, StatementVersion)
        .join(StatementVersion, StatementVersion.id == StatementSource.version_id)
        .where(
            StatementSource.source_kind == CONTRIBUTION_SOURCE, StatementSource.source_id.in_(ids)
        )
        .order_by(StatementVersion.number)
    ):
        versions[source_id].append(version)
    support_counts = dict(
        session.execute(
            sa.select(Support.contribution_id, sa.func.count())
            .where(Support.contribution_id.in_(ids))
            .group_by(Support.contribution_id)
        ).all()
    )
    comment_counts = dict(
        session.execute(
            sa.select(Comment.contribution_id, sa.func.count())
            .where(Comment.contribution_id.in_(ids), Comment.visibility == Visibility.VISIBLE)
            .group_by(Comment.contribution_id)
        ).all()
    )
    items = [
        Outcome(
            c,
            c.round,
            support_counts.get(c.id, 0),
            comment_counts.get(c.id, 0),
            syntheses[c.id],
            versions[c.id],
        )
        for c in contributions
    ]
    return Page(items, max(page, 1), per_page, total)


# --- Citable by a mission's statement versions ------------------------------------------------

CONTRIBUTION_SOURCE = "codesign.contribution"


class _ContributionSources:
    """A statement version may cite the contributions that the mission's syntheses cite."""

    kind = CONTRIBUTION_SOURCE

    def citable(self, session: Session, mission_id: int) -> list[SourceRef]:
        rows = session.scalars(
            sa.select(Contribution)
            .where(
                Contribution.id.in_(
                    sa.select(Citation.contribution_id)
                    .join(Synthesis, Synthesis.id == Citation.synthesis_id)
                    .join(Round, Round.id == Synthesis.round_id)
                    .join(CodesignProcess, CodesignProcess.id == Round.process_id)
                    .where(CodesignProcess.mission_id == mission_id)
                )
            )
            .order_by(Contribution.id)
        )
        return [SourceRef(self.kind, row.id, _short(row.label)) for row in rows]


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


register_source_provider(
    _ContributionSources(), link=SourceLink("codesign.contribution", "contribution_id")
)
