"""Harvested outcomes and the learning log of a mission.

An outcome-harvesting record (Wilson-Grau) says what changed, for whom, when and where, why it
matters, how engagement contributed and who substantiated it (empty: not yet). It may point at
one of the mission's own outcomes, at any of the mission's indicators and at the evidence items
behind it (numbers of the mission's evidence index).

The learning log holds what the team learned, by loop: single (doing things right: a correction
within the current approach), double (doing the right things: the approach or its assumptions
changed) and triple (how we decide what is right: governance, values, who decides).

Every public service that changes something checks that the actor is an evaluator, writes one
audit entry and commits once. Readers (``list_outcomes``, ``list_entries``, ``loop_counts``)
serve the pages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from engage import audit
from engage.db import utcnow
from engage.errors import N_, Invalid, NotFound, checked_text
from engage.evaluation.models import (
    EvidenceRecord,
    HarvestedOutcome,
    LearningEntry,
    LearningLoop,
    outcome_indicators,
)
from engage.missions.models import Indicator, Outcome
from engage.security import MAX_ID, evaluators_only, row_id

TEXT_MAX_LENGTH = 10_000  # the long answers (what changed, significance, ...)
FOR_WHOM_MAX_LENGTH = 300  # the column's length
PLACE_MAX_LENGTH = 200
NUMBERS_MAX_LENGTH = 2_000  # the "link evidence items" box
MAX_LINKED_AT_ONCE = 100
_SEPARATORS = re.compile(r"[\s,;]+")


# --- Harvested outcomes --------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeFields:
    """What an evaluator writes about an outcome (the form's fields, same names)."""

    what_changed: str
    for_whom: str
    contribution: str  # how engagement contributed
    happened_on: date | None = None
    place: str = ""
    significance: str = ""
    substantiated_by: str = ""  # "" = not yet substantiated
    mission_outcome_id: int | None = None
    indicator_ids: Sequence[int] = ()


@dataclass(frozen=True)
class LinkResult:
    linked: list[int]  # evidence ids newly linked
    already: list[int]  # given, but linked before


def get_outcome(session: Session, mission_id: int, harvested_id: int) -> HarvestedOutcome:
    """A harvested outcome of this mission (NotFound for another mission's)."""
    outcome = session.get(HarvestedOutcome, harvested_id)
    if outcome is None or outcome.mission_id != mission_id:
        raise NotFound(N_("There is no such outcome record in this mission."))
    return outcome


def list_outcomes(
    session: Session,
    mission_id: int,
    *,
    mission_outcome_id: int | None = None,
    unlinked: bool = False,
    substantiated: bool | None = None,
) -> list[HarvestedOutcome]:
    """The mission's outcome records, those that happened most recently first (undated ones
    last), with their evidence loaded. ``mission_outcome_id`` keeps those linked to that
    outcome of the mission, ``unlinked`` those linked to none; ``substantiated`` True or False
    keeps those that are or are not yet substantiated."""
    query = (
        sa.select(HarvestedOutcome)
        .where(HarvestedOutcome.mission_id == mission_id)
        .options(selectinload(HarvestedOutcome.evidence))
    )
    if unlinked:
        query = query.where(HarvestedOutcome.mission_outcome_id.is_(None))
    elif mission_outcome_id is not None:
        query = query.where(HarvestedOutcome.mission_outcome_id == mission_outcome_id)
    if substantiated is True:
        query = query.where(HarvestedOutcome.substantiated_by != "")
    elif substantiated is False:
        query = query.where(HarvestedOutcome.substantiated_by == "")
    undated = sa.case((HarvestedOutcome.happened_on.is_(None), 1), else_=0)
    query = query.order_by(undated, HarvestedOutcome.happened_on.desc(), HarvestedOutcome.id.desc())
    return list(session.scalars(query))


def count_outcomes(session: Session, mission_id: int) -> int:
    return (
        session.scalar(sa.select(sa.func.count()).where(HarvestedOutcome.mission_id == mission_id))
        or 0
    )


def indicators_by_outcome(
    session: Session, harvested_ids: Sequence[int]
) -> dict[int, list[Indicator]]:
    """The indicators each of these outcome records is linked to (one query), in the order of
    the mission's outcomes and their indicators."""
    found: dict[int, list[Indicator]] = {harvested_id: [] for harvested_id in harvested_ids}
    if not found:
        return found
    rows = session.execute(
        sa.select(outcome_indicators.c.outcome_id, Indicator)
        .join(Indicator, Indicator.id == outcome_indicators.c.indicator_id)
        .where(outcome_indicators.c.outcome_id.in_(list(found)))
        .order_by(Indicator.outcome_id, Indicator.id)
    ).all()
    for harvested_id, indicator in rows:
        found[harvested_id].append(indicator)
    return found


def indicator_ids_of(session: Session, harvested_id: int) -> list[int]:
    return sorted(
        session.scalars(
            sa.select(outcome_indicators.c.indicator_id).where(
                outcome_indicators.c.outcome_id == harvested_id
            )
        )
    )


def _not_in_future(day: date | None, field: str, today: date | None) -> None:
    if day is not None and day > (today or date.today()):
        raise Invalid(N_("Give a date that is not in the future."), field=field)


def _checked_outcome(session: Session, mission_id: int, values: OutcomeFields) -> dict[str, Any]:
    """The record's columns from ``values``, checked; refuses an outcome or indicator that is
    not the mission's own."""
    checked: dict[str, Any] = {
        "what_changed": checked_text(
            values.what_changed, "what_changed", TEXT_MAX_LENGTH,
            required=N_("Say what changed."),
        ),
        "for_whom": checked_text(
            values.for_whom, "for_whom", FOR_WHOM_MAX_LENGTH,
            required=N_("Say for whom it changed: people, a group or an organisation."),
        ),
        "contribution": checked_text(
            values.contribution, "contribution", TEXT_MAX_LENGTH,
            required=N_("Say how the engagement contributed to the change."),
        ),
        "place": checked_text(values.place, "place", PLACE_MAX_LENGTH),
        "significance": checked_text(values.significance, "significance", TEXT_MAX_LENGTH),
        "substantiated_by": checked_text(values.substantiated_by, "substantiated_by", TEXT_MAX_LENGTH),
        "happened_on": values.happened_on,
        "mission_outcome_id": values.mission_outcome_id,
    }  # fmt: skip
    if values.mission_outcome_id is not None:
        owner = session.scalar(
            sa.select(Outcome.mission_id).where(Outcome.id == values.mission_outcome_id)
        )
        if owner != mission_id:
            raise Invalid(N_("Choose one of this mission's outcomes."), field="mission_outcome_id")
    return checked


def _checked_indicators(session: Session, mission_id: int, ids: Sequence[int]) -> list[int]:
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return []
    if any(i < 1 or i > MAX_ID for i in wanted):
        raise Invalid(N_("Choose indicators of this mission only."), field="indicator_ids")
    own = set(
        session.scalars(
            sa.select(Indicator.id)
            .join(Outcome, Outcome.id == Indicator.outcome_id)
            .where(Indicator.id.in_(wanted), Outcome.mission_id == mission_id)
        )
    )
    if own != set(wanted):
        raise Invalid(N_("Choose indicators of this mission only."), field="indicator_ids")
    return wanted


def _set_indicators(session: Session, harvested_id: int, indicator_ids: list[int]) -> None:
    session.execute(
        sa.delete(outcome_indicators).where(outcome_indicators.c.outcome_id == harvested_id)
    )
    if indicator_ids:
        session.execute(
            sa.insert(outcome_indicators),
            [{"outcome_id": harvested_id, "indicator_id": i} for i in indicator_ids],
        )


def _details(outcome: HarvestedOutcome, indicator_ids: list[int]) -> dict[str, Any]:
    """For the audit log: which record, what it links to, and not the texts themselves (they
    may name people)."""
    return {
        "outcome": outcome.id,
        "mission_outcome": outcome.mission_outcome_id,
        "indicators": indicator_ids,
        "happened_on": outcome.happened_on.isoformat() if outcome.happened_on else None,
        "substantiated": bool(outcome.substantiated_by),
    }


@evaluators_only
def record_outcome(
    session: Session,
    mission_id: int,
    values: OutcomeFields,
    *,
    actor: Any,
    today: date | None = None,
) -> HarvestedOutcome:
    """A new outcome record, with its links to the mission's outcome and indicators."""
    columns = _checked_outcome(session, mission_id, values)
    _not_in_future(values.happened_on, "happened_on", today)
    indicator_ids = _checked_indicators(session, mission_id, values.indicator_ids)
    now = utcnow()
    outcome = HarvestedOutcome(
        mission_id=mission_id,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
        **columns,
    )
    session.add(outcome)
    session.flush()
    _set_indicators(session, outcome.id, indicator_ids)
    audit.record(
        session, actor, "evaluation.outcome_recorded", f"mission:{mission_id}",
        _details(outcome, indicator_ids),
    )  # fmt: skip
    session.commit()
    return outcome


@evaluators_only
def update_outcome(
    session: Session,
    mission_id: int,
    harvested_id: int,
    values: OutcomeFields,
    *,
    actor: Any,
    today: date | None = None,
) -> HarvestedOutcome:
    """Change an outcome record; its indicators become exactly ``values.indicator_ids``."""
    outcome = get_outcome(session, mission_id, harvested_id)
    columns = _checked_outcome(session, mission_id, values)
    _not_in_future(values.happened_on, "happened_on", today)
    indicator_ids = _checked_indicators(session, mission_id, values.indicator_ids)
    for name, value in columns.items():
        setattr(outcome, name, value)
    outcome.updated_at = utcnow()
    _set_indicators(session, outcome.id, indicator_ids)
    audit.record(
        session, actor, "evaluation.outcome_updated", f"mission:{mission_id}",
        _details(outcome, indicator_ids),
    )  # fmt: skip
    session.commit()
    return outcome


@evaluators_only
def delete_outcome(session: Session, mission_id: int, harvested_id: int, *, actor: Any) -> None:
    """Remove an outcome record and its links (the evidence and indicators stay)."""
    outcome = get_outcome(session, mission_id, harvested_id)
    details = _details(outcome, indicator_ids_of(session, harvested_id))
    details["evidence"] = [record.id for record in outcome.evidence]
    _set_indicators(session, harvested_id, [])
    session.delete(outcome)
    audit.record(session, actor, "evaluation.outcome_deleted", f"mission:{mission_id}", details)
    session.commit()


def _number(part: str) -> int | None:
    """One typed item number ("12" or "#12") as an id, or None if it is not one."""
    return row_id(part[1:] if part.startswith("#") else part)


def _parts(text: str) -> list[str]:
    """What was typed between commas, semicolons and spaces, in order without repeats."""
    return list(dict.fromkeys(part for part in _SEPARATORS.split(text or "") if part))


def parse_numbers(text: str) -> tuple[list[int], list[str]]:
    """Evidence item numbers as typed ("12, 15 #18"): the numbers, in order without repeats,
    and every part that is not a number at all, as typed."""
    numbers: list[int] = []
    bad: list[str] = []
    for part in _parts(text):
        number = _number(part)
        if number is None:
            bad.append(part)
        elif number not in numbers:
            numbers.append(number)
    return numbers, bad


def _shown(parts: Sequence[str | int]) -> str:
    return ", ".join(str(part)[:20] for part in parts)


@evaluators_only
def link_evidence(
    session: Session, mission_id: int, harvested_id: int, numbers: str, *, actor: Any
) -> LinkResult:
    """Link the evidence items numbered in ``numbers`` (comma or space separated) to the
    record. Every number must be an item of this mission's index; if any is not, nothing is
    linked and the refusal names each of them."""
    outcome = get_outcome(session, mission_id, harvested_id)
    if len(numbers or "") > NUMBERS_MAX_LENGTH:
        raise Invalid(
            N_("Give at most %(count)s item numbers at once."),
            field="numbers",
            count=MAX_LINKED_AT_ONCE,
        )
    wanted, bad = parse_numbers(numbers)
    if not wanted and not bad:
        raise Invalid(N_("Give the numbers of the evidence items to link."), field="numbers")
    if len(wanted) > MAX_LINKED_AT_ONCE:
        raise Invalid(
            N_("Give at most %(count)s item numbers at once."),
            field="numbers",
            count=MAX_LINKED_AT_ONCE,
        )
    records = {
        record.id: record
        for record in session.scalars(
            sa.select(EvidenceRecord).where(
                EvidenceRecord.id.in_(wanted), EvidenceRecord.mission_id == mission_id
            )
        )
    }
    unknown = [part for part in _parts(numbers) if _number(part) not in records]
    if unknown:
        raise Invalid(
            N_("These are not numbers of this mission's evidence items: %(numbers)s."),
            field="numbers",
            numbers=_shown(unknown),
        )
    present = {record.id for record in outcome.evidence}
    linked = [number for number in wanted if number not in present]
    already = [number for number in wanted if number in present]
    if not linked:
        session.rollback()
        return LinkResult(linked=[], already=already)
    for number in linked:
        outcome.evidence.append(records[number])
    outcome.updated_at = utcnow()
    audit.record(
        session, actor, "evaluation.outcome_updated", f"mission:{mission_id}",
        {"outcome": outcome.id, "evidence_linked": linked},
    )  # fmt: skip
    session.commit()
    return LinkResult(linked=linked, already=already)


@evaluators_only
def unlink_evidence(
    session: Session, mission_id: int, harvested_id: int, evidence_id: int, *, actor: Any
) -> None:
    """Take an evidence item off the record (the item stays in the index)."""
    outcome = get_outcome(session, mission_id, harvested_id)
    record = session.get(EvidenceRecord, evidence_id)
    if record is None or record.mission_id != mission_id:
        raise NotFound(N_("There is no such evidence item in this mission."))
    if record not in outcome.evidence:
        raise Invalid(
            N_("Item %(number)s is not linked to this outcome record."), number=evidence_id
        )
    outcome.evidence.remove(record)
    outcome.updated_at = utcnow()
    audit.record(
        session, actor, "evaluation.outcome_updated", f"mission:{mission_id}",
        {"outcome": outcome.id, "evidence_unlinked": [evidence_id]},
    )  # fmt: skip
    session.commit()


# --- The learning log ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LearningFields:
    """An entry of the learning log (the form's fields, same names)."""

    loop: LearningLoop | None
    noted_on: date | None
    what_happened: str
    learned: str
    next_step: str = ""  # what we will do differently


def get_entry(session: Session, mission_id: int, entry_id: int) -> LearningEntry:
    entry = session.get(LearningEntry, entry_id)
    if entry is None or entry.mission_id != mission_id:
        raise NotFound(N_("There is no such entry in this mission's learning log."))
    return entry


def list_entries(
    session: Session, mission_id: int, loop: LearningLoop | None = None
) -> list[LearningEntry]:
    """The mission's learning log, newest first (by the date noted, then as written)."""
    query = sa.select(LearningEntry).where(LearningEntry.mission_id == mission_id)
    if loop is not None:
        query = query.where(LearningEntry.loop == loop)
    return list(
        session.scalars(query.order_by(LearningEntry.noted_on.desc(), LearningEntry.id.desc()))
    )


def loop_counts(session: Session, mission_id: int) -> dict[LearningLoop, int]:
    """How many entries the log has in each loop (every loop present, zero included)."""
    counted = dict(
        session.execute(
            sa.select(LearningEntry.loop, sa.func.count())
            .where(LearningEntry.mission_id == mission_id)
            .group_by(LearningEntry.loop)
        ).all()
    )
    return {loop: int(counted.get(loop, 0)) for loop in LearningLoop}


def _checked_entry(values: LearningFields, today: date | None) -> dict[str, Any]:
    if values.loop not in set(LearningLoop):
        raise Invalid(N_("Choose the loop of learning."), field="loop")
    if values.noted_on is None:
        raise Invalid(N_("Give the date it was noted."), field="noted_on")
    _not_in_future(values.noted_on, "noted_on", today)
    return {
        "loop": LearningLoop(values.loop),
        "noted_on": values.noted_on,
        "what_happened": checked_text(
            values.what_happened, "what_happened", TEXT_MAX_LENGTH,
            required=N_("Say what happened."),
        ),
        "learned": checked_text(
            values.learned, "learned", TEXT_MAX_LENGTH, required=N_("Say what was learned.")
        ),
        "next_step": checked_text(values.next_step, "next_step", TEXT_MAX_LENGTH),
    }  # fmt: skip


def _entry_details(entry: LearningEntry) -> dict[str, Any]:
    return {"entry": entry.id, "loop": entry.loop.value, "noted_on": entry.noted_on.isoformat()}


@evaluators_only
def add_entry(
    session: Session,
    mission_id: int,
    values: LearningFields,
    *,
    actor: Any,
    today: date | None = None,
) -> LearningEntry:
    entry = LearningEntry(
        mission_id=mission_id, author_id=actor.id, **_checked_entry(values, today)
    )
    session.add(entry)
    session.flush()
    audit.record(
        session, actor, "evaluation.learning_added", f"mission:{mission_id}", _entry_details(entry)
    )
    session.commit()
    return entry


@evaluators_only
def update_entry(
    session: Session,
    mission_id: int,
    entry_id: int,
    values: LearningFields,
    *,
    actor: Any,
    today: date | None = None,
) -> LearningEntry:
    entry = get_entry(session, mission_id, entry_id)
    before = entry.loop.value
    for name, value in _checked_entry(values, today).items():
        setattr(entry, name, value)
    details = _entry_details(entry)
    if before != entry.loop.value:
        details["loop_was"] = before
    audit.record(session, actor, "evaluation.learning_updated", f"mission:{mission_id}", details)
    session.commit()
    return entry


@evaluators_only
def delete_entry(session: Session, mission_id: int, entry_id: int, *, actor: Any) -> None:
    entry = get_entry(session, mission_id, entry_id)
    details = _entry_details(entry)
    session.delete(entry)
    audit.record(session, actor, "evaluation.learning_deleted", f"mission:{mission_id}", details)
    session.commit()


def as_fields(outcome: HarvestedOutcome, indicator_ids: Sequence[int]) -> OutcomeFields:
    """A record's values, to fill the edit form."""
    return OutcomeFields(
        what_changed=outcome.what_changed,
        for_whom=outcome.for_whom,
        contribution=outcome.contribution,
        happened_on=outcome.happened_on,
        place=outcome.place,
        significance=outcome.significance,
        substantiated_by=outcome.substantiated_by,
        mission_outcome_id=outcome.mission_outcome_id,
        indicator_ids=tuple(indicator_ids),
    )
