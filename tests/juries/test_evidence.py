"""A mission's citizens' juries as evidence: aggregates only (the pool and panel composition
under disclosure control, the quotas, the selection run and the draw), never a volunteer."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.evidence import EvidenceItem
from engage.juries import draws
from engage.juries.evidence import disclose, evidence_items
from engage.juries.models import (
    Draw,
    Jury,
    JuryStatus,
    MemberAnswer,
    MemberSource,
    PoolMember,
    SelectionRun,
)
from engage.missions.models import Mission
from engage.security import Role
from tests import factories
from tests.juries.draw_support import RANDOM_VALUE, SOURCE, finished_run, make_drawn_jury

# 26 volunteers: 14 women, 9 men, 3 of another gender; 13 young and 13 old.
GENDERS = ["female"] * 14 + ["male"] * 9 + ["other"] * 3
QUOTAS: dict[tuple[str, str], tuple[int | None, int | None]] = {
    ("gender", "female"): (2, 2),
    ("gender", "male"): (1, 2),
    ("gender", "other"): (0, 1),
    ("age", "young"): (1, 3),
    ("age", "old"): (1, 3),
}
# Ids far from any other row's, so that finding one in an item can only mean a leak.
FIRST_MEMBER_ID = 987_601


def officer(session: Session) -> User:
    return factories.make_user(session, role=Role.OFFICER)


def large_jury(session: Session, mission: Mission, manager: User) -> tuple[Jury, list[PoolMember]]:
    jury = factories.make_jury(
        session,
        mission,
        features={"gender": ["female", "male", "other"], "age": ["young", "old"]},
        quotas=QUOTAS,
        officers=(manager,),
    )
    features = {feature.key: feature for feature in jury.features}
    members = []
    for index, gender in enumerate(GENDERS):
        number = FIRST_MEMBER_ID + index
        member = PoolMember(
            id=number,
            jury_id=jury.id,
            pseudonym=f"V-Q{number}",
            source=MemberSource.REGISTRATION,
            name=f"Ada Quillfeather {number}",
            email=f"ada.quill{number}@example.org",
            phone=f"+44 7700 {number}",
            address_line1=f"{number} Larkspur Lane",
            city="Eastbridge",
            postcode=f"ZX{index} 9QQ",
            household_key=f"home-{number}",
            consent_given_at=datetime.now(UTC),
            consent_text="I agree.",
        )
        for key, value_key in (("gender", gender), ("age", ("young", "old")[index % 2])):
            value = next(v for v in features[key].values if v.key == value_key)
            member.answers.append(MemberAnswer(feature_id=features[key].id, value_id=value.id))
        session.add(member)
        members.append(member)
    session.commit()
    return jury, members


def draw_it(session: Session, jury: Jury, manager: User) -> Draw:
    run = finished_run(session, jury, by=manager, m=20)
    draw = draws.commit_draw(session, run.id, randomness_source=SOURCE, actor=manager)
    return draws.reveal_draw(session, draw.id, random_value=RANDOM_VALUE, actor=manager)


def by_kind(items: list[EvidenceItem]) -> dict[str, EvidenceItem]:
    found = {item.source_kind: item for item in items}
    assert len(found) == len(items)
    return found


def strings_of(item: EvidenceItem) -> list[str]:
    found: list[str] = []
    for field in fields(item):
        value = getattr(item, field.name)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            found.extend(str(part) for pair in value.items() for part in pair)
    return found


def test_disclosure_control_suppresses_under_ten_and_rounds_to_five() -> None:
    assert [disclose(n) for n in (None, 1, 9)] == ["suppressed"] * 3
    assert disclose(0) == "0"  # nobody singles out nobody
    assert [disclose(n) for n in (10, 12, 13, 14, 17, 18, 26, 1002)] == [
        "10",
        "10",
        "15",
        "15",
        "15",
        "20",
        "25",
        "1000",
    ]


def test_draft_juries_and_other_missions_yield_nothing(session: Session) -> None:
    mission, other = factories.make_mission(session), factories.make_mission(session)
    draft = factories.make_jury(session, mission, status=JuryStatus.DRAFT)
    factories.make_member(session, draft)
    factories.make_jury(session, other)
    assert list(evidence_items(session, mission.id)) == []


def test_an_open_jury_gives_its_pool_under_disclosure_control_and_its_quotas(
    session: Session,
) -> None:
    mission = factories.make_mission(session)
    jury, _ = large_jury(session, mission, officer(session))
    items = list(evidence_items(session, mission.id))
    assert [item.source_kind for item in items] == ["juries.pool", "juries.quotas"]
    pool, quotas = items
    assert all(item.contributor_key is None for item in items)
    assert all(item.mission_id == mission.id and item.source_id == jury.id for item in items)
    assert pool.created_at == jury.created_at and pool.created_at.tzinfo is not None
    assert pool.attributes["jury_status"] == "open"
    assert pool.attributes["personal_data_purged"] == "no"
    assert pool.attributes["purged_at"] == ""
    assert pool.attributes["suppressed_below"] == "10"
    assert pool.attributes["rounded_to"] == "5"
    assert pool.attributes["pool_total"] == "25"  # 26
    assert pool.attributes["features"] == "gender,age"
    assert pool.attributes["values.gender"] == "female,male,other"
    assert pool.attributes["label.gender"] == "Gender"
    assert pool.attributes["pool.gender.female"] == "15"  # 14
    assert pool.attributes["pool.gender.male"] == "suppressed"  # 9
    assert pool.attributes["pool.gender.other"] == "suppressed"  # 3
    assert pool.attributes["pool.age.young"] == "15"  # 13
    assert pool.attributes["pool.age.old"] == "15"
    assert "Volunteers in the pool: 25" in pool.text
    assert "Gender: female: 15; male: suppressed; other: suppressed." in pool.text
    assert quotas.attributes["panel_size"] == "4"
    assert quotas.attributes["quota.gender.female.min"] == "2"
    assert quotas.attributes["quota.gender.male.max"] == "2"
    assert quotas.attributes["quota.gender.other.min"] == "0"
    assert quotas.attributes["quota.age.old.max"] == "3"
    assert "female: 2 to 2" in quotas.text


def test_unbounded_quotas_are_empty(session: Session) -> None:
    mission = factories.make_mission(session)
    factories.make_jury(session, mission, features={"age": ["young", "old"]})
    quotas = by_kind(list(evidence_items(session, mission.id)))["juries.quotas"]
    assert quotas.attributes["quota.age.young.min"] == ""
    assert quotas.attributes["quota.age.young.max"] == ""
    assert "young: no quota" in quotas.text


def test_a_drawn_jury_gives_the_selection_the_draw_and_the_panel(session: Session) -> None:
    mission = factories.make_mission(session)
    manager = officer(session)
    jury, _ = large_jury(session, mission, manager)
    draw = draw_it(session, jury, manager)
    items = list(evidence_items(session, mission.id))
    assert [item.source_kind for item in items] == [
        "juries.pool",
        "juries.quotas",
        "juries.selection",
        "juries.draw",
        "juries.panel",
    ]
    found = by_kind(items)
    run = session.get(SelectionRun, draw.run_id)
    assert run is not None and run.result is not None
    selection = found["juries.selection"]
    assert selection.source_id == run.id
    assert selection.attributes["algorithm"] == "leximin"
    assert selection.attributes["panel_size"] == "4"
    assert selection.attributes["pool_size"] == "25"
    assert selection.attributes["lottery_panels"] == "20"
    assert selection.attributes["drawn"] == "yes"
    minimum = float(selection.attributes["min_probability"])
    assert abs(minimum - run.result["lottery"]["min_probability"]) < 1e-6
    assert selection.attributes["jury_status"] == "drawn"

    shown = found["juries.draw"]
    assert shown.source_id == draw.id
    assert shown.attributes["commitment"] == draw.commitment
    assert re.fullmatch(r"[0-9a-f]{64}", shown.attributes["commitment"])
    assert shown.attributes["randomness_source"] == SOURCE
    assert shown.attributes["random_value"] == RANDOM_VALUE
    assert shown.attributes["revealed"] == "yes"
    assert draw.revealed_at is not None
    assert shown.attributes["committed_at"] == draw.committed_at.isoformat()
    assert shown.attributes["revealed_at"] == draw.revealed_at.isoformat()
    assert shown.attributes["committed_at"].endswith("+00:00")
    assert shown.created_at == draw.committed_at
    assert draw.commitment in shown.text

    panel = found["juries.panel"]
    assert panel.source_id == draw.id
    assert panel.attributes["panel_size"] == "4"
    # Four people: every count is small.
    assert panel.attributes["panel_total"] == "suppressed"
    composition = {k: v for k, v in panel.attributes.items() if k.startswith("panel.")}
    assert set(composition) == {
        "panel.gender.female",
        "panel.gender.male",
        "panel.gender.other",
        "panel.age.young",
        "panel.age.old",
    }
    assert set(composition.values()) == {"suppressed"}
    assert all(item.contributor_key is None for item in items)


def test_a_committed_draw_not_yet_revealed_has_no_panel(session: Session) -> None:
    mission = factories.make_mission(session)
    manager = officer(session)
    jury, _ = large_jury(session, mission, manager)
    run = finished_run(session, jury, by=manager, m=20)
    draw = draws.commit_draw(session, run.id, randomness_source=SOURCE, actor=manager)
    found = by_kind(list(evidence_items(session, mission.id)))
    assert set(found) == {"juries.pool", "juries.quotas", "juries.selection", "juries.draw"}
    assert found["juries.draw"].attributes["revealed"] == "no"
    assert found["juries.draw"].attributes["random_value"] == ""
    assert found["juries.draw"].attributes["commitment"] == draw.commitment
    assert found["juries.pool"].attributes["jury_status"] == "frozen"


def test_without_a_draw_the_latest_finished_run_is_shown(session: Session) -> None:
    mission = factories.make_mission(session)
    manager = officer(session)
    jury, _ = large_jury(session, mission, manager)
    finished_run(session, jury, by=manager, m=10)
    latest = finished_run(session, jury, by=manager, m=20)
    selection = by_kind(list(evidence_items(session, mission.id)))["juries.selection"]
    assert selection.source_id == latest.id
    assert selection.attributes["drawn"] == "no"
    assert selection.attributes["lottery_panels"] == "20"


def test_no_volunteer_appears_in_any_item(session: Session) -> None:
    mission = factories.make_mission(session)
    manager = officer(session)
    jury, members = large_jury(session, mission, manager)
    draw_it(session, jury, manager)
    small = make_drawn_jury(session, manager)
    session.execute(sa.update(Jury).where(Jury.id == small.jury_id).values(mission_id=mission.id))
    session.commit()
    small_members = list(
        session.scalars(sa.select(PoolMember).where(PoolMember.jury_id == small.jury_id))
    )
    items = list(evidence_items(session, mission.id))
    assert len(items) == 10
    text = "\n".join(string for item in items for string in strings_of(item))
    for member in members:
        for secret in (
            str(member.id),
            member.pseudonym,
            member.name,
            member.email or "",
            member.phone,
            member.address_line1,
            member.postcode,
            member.household_key,
        ):
            assert secret and secret not in text
    for member in small_members:
        for secret in (member.pseudonym, member.name, member.email or "", member.household_key):
            assert secret and secret not in text
    assert "@" not in text
    assert not re.search(r"Volunteer \d", text)
    assert "High Street" not in text and "N1 1AA" not in text


def test_a_purged_jury_keeps_its_aggregates(session: Session) -> None:
    mission = factories.make_mission(session)
    manager = officer(session)
    jury, members = large_jury(session, mission, manager)
    draw = draw_it(session, jury, manager)
    draws.purge_jury(session, jury.id, actor=manager, today=date.today())
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(PoolMember)) == 0
    items = list(evidence_items(session, mission.id))
    assert [item.source_kind for item in items] == [
        "juries.pool",
        "juries.quotas",
        "juries.selection",
        "juries.draw",
        "juries.panel",
    ]
    found = by_kind(items)
    refreshed = session.get(Jury, jury.id)
    assert refreshed is not None and refreshed.purged_at is not None
    for item in items:
        assert item.attributes["jury_status"] == "purged"
        assert item.attributes["personal_data_purged"] == "yes"
        assert item.attributes["purged_at"] == refreshed.purged_at.isoformat()
    pool = found["juries.pool"]
    # The counts the purge kept, rounded as before.
    assert pool.attributes["pool_total"] == "25"
    assert pool.attributes["pool.gender.female"] == "15"
    assert pool.attributes["pool.gender.male"] == "suppressed"
    assert pool.attributes["pool.age.young"] == "15"
    selection = found["juries.selection"]
    assert selection.attributes["algorithm"] == "leximin"
    assert selection.attributes["pool_size"] == "25"
    assert selection.attributes["min_probability"] != ""
    assert found["juries.draw"].attributes["commitment"] == draw.commitment
    assert found["juries.panel"].attributes["panel.gender.female"] == "suppressed"
    text = "\n".join(string for item in items for string in strings_of(item))
    for member_id in range(FIRST_MEMBER_ID, FIRST_MEMBER_ID + len(members)):
        assert str(member_id) not in text


def test_a_jury_purged_before_any_draw_gives_its_pool_and_quotas(session: Session) -> None:
    mission = factories.make_mission(session)
    jury, _ = large_jury(session, mission, officer(session))
    purged = draws.purge_expired(session, today=jury.retention_until + timedelta(days=1))
    assert jury.id in purged
    items = list(evidence_items(session, mission.id))
    assert [item.source_kind for item in items] == ["juries.pool", "juries.quotas"]
    assert items[0].attributes["personal_data_purged"] == "yes"
    assert items[0].attributes["pool.gender.female"] == "15"
    assert items[0].attributes["pool_total"] == "25"
