"""The demo city's evaluation: the evidence index filled, an evaluator's first codes applied
with a memo, a harvested outcome with its indicator and evidence, and a learning log with one
entry of each loop. Themes are left for the visitor to run (the evaluator's first journey).

Called by ``engage demo`` after the domains' demo data (engage.demo cannot import evaluation).
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.evaluation import coding, frame, index, memos, outcomes
from engage.evaluation.models import EvidenceRecord, LearningLoop
from engage.missions.models import Mission

# The evaluator's own codes, each with the words that find the items it is applied to.
CODES = [
    (
        "Older residents",
        "Resting, toilets, crossing times and other needs of older people.",
        ("benches", "older"),
    ),
    (
        "Children and schools",
        "The school run, school streets and children's air and safety.",
        ("school",),
    ),
]


def seed(session: Session, slug: str, evaluator: User, today: date | None = None) -> None:
    today = today or date.today()
    mission = index.get_mission(session, slug)
    index.refresh_index(session, mission.id)
    items: dict[str, list[EvidenceRecord]] = {}
    for name, definition, words in CODES:
        code = frame.create_code(session, mission.id, name, definition, actor=evaluator)
        found = _items_with(session, mission, words)
        items[name] = found
        for item in found:
            coding.apply_code(session, mission.id, item.id, code.id, actor=evaluator)
    if items["Older residents"]:
        memos.add_memo(
            session,
            mission.id,
            "Benches and toilets come up again and again, in ideas and in votes: worth a code of "
            "their own if the advisory group agrees.",
            evidence_id=items["Older residents"][0].id,
            actor=evaluator,
        )
    _seed_outcome(session, mission, evaluator, items["Children and schools"], today)
    _seed_learning(session, mission, evaluator, today)


def _items_with(session: Session, mission: Mission, words: tuple[str, ...]) -> list[EvidenceRecord]:
    found: dict[int, EvidenceRecord] = {}
    for word in words:
        filters = index.EvidenceFilter(domain="codesign", query=word, with_text=True)
        for record in session.scalars(index.filtered(session, mission.id, filters)):
            found.setdefault(record.id, record)
    return list(found.values())


def _seed_outcome(
    session: Session,
    mission: Mission,
    evaluator: User,
    evidence: list[EvidenceRecord],
    today: date,
) -> None:
    air = next((o for o in mission.outcomes if "air" in o.title.lower()), None)
    indicator_ids = [indicator.id for indicator in air.indicators] if air else []
    outcome = outcomes.record_outcome(
        session,
        mission.id,
        outcomes.OutcomeFields(
            what_changed="The council made the road outside Market Street Primary a school "
            "street at drop-off and pick-up, permanently.",
            for_whom="Pupils and families of Market Street Primary, and the street's residents",
            contribution="School streets were the most supported idea of the co-design round; "
            "the synthesis cited them and the second statement version adopted them.",
            happened_on=today - timedelta(days=10),
            place="Market Street",
            significance="The first permanent school street in the borough.",
            substantiated_by="Head teacher of Market Street Primary",
            mission_outcome_id=air.id if air else None,
            indicator_ids=indicator_ids[:1],
        ),
        actor=evaluator,
        today=today,
    )
    numbers = " ".join(str(record.id) for record in evidence[:3])
    if numbers:
        outcomes.link_evidence(session, mission.id, outcome.id, numbers, actor=evaluator)


LEARNING = [
    (
        LearningLoop.SINGLE,
        40,
        "Few people over 65 answered the first ideas round online.",
        "The round was only online and open for three weeks.",
        "Paper forms at the library and the care home for the next round.",
    ),
    (
        LearningLoop.DOUBLE,
        20,
        "The jury asked why trees came before benches in the draft.",
        "We had assumed health meant air quality; residents also meant being able to go out.",
        "Add an outcome on older residents' independence, with an indicator.",
    ),
    (
        LearningLoop.TRIPLE,
        5,
        "The advisory group's recommendations waited months for a response.",
        "Who decides on a response was unclear; nobody owned the deadline.",
        "The cabinet member now answers every recommendation within eight weeks, in public.",
    ),
]


def _seed_learning(session: Session, mission: Mission, evaluator: User, today: date) -> None:
    for loop, days_ago, happened, learned, next_step in LEARNING:
        outcomes.add_entry(
            session,
            mission.id,
            outcomes.LearningFields(
                loop=loop,
                noted_on=today - timedelta(days=days_ago),
                what_happened=happened,
                learned=learned,
                next_step=next_step,
            ),
            actor=evaluator,
            today=today,
        )


def demo_evaluator(session: Session, email: str) -> User:
    evaluator = session.scalar(sa.select(User).where(User.email == email))
    if evaluator is None:
        raise LookupError(f"no demo evaluator {email}")
    return evaluator
