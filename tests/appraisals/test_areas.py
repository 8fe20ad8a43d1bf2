"""Areas of a mission: creating, editing and deleting them, their boxes, and which area a point
falls in."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.appraisals import areas
from engage.appraisals.areas import AreaFields
from engage.appraisals.models import Area, Submission
from engage.audit import AuditEntry
from engage.errors import Conflict, Forbidden, Invalid, NotFound
from engage.missions.models import Mission
from tests.factories import (
    make_appraisal,
    make_area,
    make_instrument,
    make_mission,
    make_science_project,
    make_submission,
)


@pytest.fixture
def mission(session: Session) -> Mission:
    return make_mission(session, title="Healthy Streets", slug="healthy-streets")


def fields(name: str = "Gospel Oak", **changes: object) -> AreaFields:
    values = AreaFields(name=name, description="", west=-0.16, south=51.55, east=-0.14, north=51.56)
    for key, value in changes.items():
        setattr(values, key, value)
    return values


def actions(session: Session) -> list[str]:
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_an_officer_adds_an_area_with_a_box(
    session: Session, officer: User, mission: Mission
) -> None:
    area = areas.create_area(
        session, "healthy-streets", fields("Gospel Oak ward", description="North of the heath."),
        actor=officer,
    )  # fmt: skip

    session.expire_all()
    assert (area.mission_id, area.slug, area.name) == (
        mission.id,
        "gospel-oak-ward",
        "Gospel Oak ward",
    )
    assert (area.west, area.south, area.east, area.north) == (-0.16, 51.55, -0.14, 51.56)
    assert actions(session) == ["appraisals.area_created"]


def test_an_area_without_a_box_is_fine(session: Session, officer: User, mission: Mission) -> None:
    area = areas.create_area(
        session, mission.slug, fields(west=None, south=None, east=None, north=None), actor=officer
    )

    assert area.west is None and area.north is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"north": None}, "north"),
        ({"west": None, "east": None}, "west"),
        ({"west": -181.0}, "west"),
        ({"east": 180.5}, "east"),
        ({"south": -91.0}, "south"),
        ({"north": 90.01}, "north"),
        ({"west": -0.14, "east": -0.16}, "east"),
        ({"west": -0.14, "east": -0.14}, "east"),
        ({"south": 51.56, "north": 51.55}, "north"),
        ({"name": "   "}, "name"),
    ],
)
def test_a_box_needs_all_four_sides_in_range_and_in_order(
    session: Session, officer: User, mission: Mission, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        areas.create_area(session, mission.slug, fields(**changes), actor=officer)

    assert refused.value.field == field
    session.rollback()
    assert session.scalars(sa.select(Area)).all() == []


def test_two_areas_of_a_mission_cannot_share_a_name_but_two_missions_can(
    session: Session, officer: User, mission: Mission
) -> None:
    other = make_mission(session, slug="zero-waste")
    areas.create_area(session, mission.slug, fields("Gospel Oak"), actor=officer)
    areas.create_area(session, other.slug, fields("Gospel Oak"), actor=officer)

    with pytest.raises(Conflict) as refused:
        areas.create_area(session, mission.slug, fields("Gospel  oak!"), actor=officer)

    assert refused.value.field == "name"


def test_an_unknown_mission_has_no_areas_to_add(session: Session, officer: User) -> None:
    with pytest.raises(NotFound):
        areas.create_area(session, "nowhere", fields(), actor=officer)


def test_editing_an_area_renames_it_and_records_what_changed(
    session: Session, officer: User, mission: Mission
) -> None:
    area = areas.create_area(session, mission.slug, fields("Gospel Oak"), actor=officer)
    taken = areas.create_area(session, mission.slug, fields("Kentish Town"), actor=officer)

    areas.update_area(session, area.id, fields("Gospel Oak estate", north=51.57), actor=officer)

    session.expire_all()
    assert (area.slug, area.name, area.north) == ("gospel-oak-estate", "Gospel Oak estate", 51.57)
    entry = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "appraisals.area_updated")
    ).one()
    assert entry.details["name"] == ["Gospel Oak", "Gospel Oak estate"]
    assert entry.details["north"] == [51.56, 51.57]
    # Keeping its own name is fine; taking another area's is not.
    areas.update_area(session, area.id, fields("Gospel Oak estate", north=51.57), actor=officer)
    with pytest.raises(Conflict):
        areas.update_area(session, taken.id, fields("Gospel Oak Estate"), actor=officer)
    with pytest.raises(NotFound):
        areas.update_area(session, 999_999, fields(), actor=officer)


def test_deleting_an_area_keeps_its_submissions_without_an_area(
    session: Session, officer: User, mission: Mission
) -> None:
    area = make_area(session, mission)
    submission = make_submission(session, make_science_project(session, mission))
    submission.area_id = area.id
    session.commit()

    areas.delete_area(session, area.id, actor=officer)

    session.expire_all()
    assert session.get(Area, area.id) is None
    assert session.get(Submission, submission.id).area_id is None  # type: ignore[union-attr]
    assert actions(session)[-1] == "appraisals.area_deleted"


def test_an_area_with_appraisals_cannot_be_deleted(
    session: Session, officer: User, mission: Mission
) -> None:
    area = make_area(session, mission)
    instrument = make_instrument(session, mission)
    make_appraisal(session, instrument, area, [3, 4, 5])
    make_appraisal(session, instrument, area, [5, 5, 5])

    with pytest.raises(Conflict) as refused:
        areas.delete_area(session, area.id, actor=officer)

    assert refused.value.params == {"count": 2}
    session.rollback()
    assert session.get(Area, area.id) is not None


def test_area_use_counts_appraisals_and_submissions_per_area(
    session: Session, mission: Mission
) -> None:
    used, unused = (
        make_area(session, mission, name="Used"),
        make_area(session, mission, name="Unused"),
    )
    make_appraisal(session, make_instrument(session, mission), used, [3, 4, 5])
    submission = make_submission(session, make_science_project(session, mission))
    submission.area_id = used.id
    session.commit()

    use = areas.area_use(session, mission.id)

    assert use[used.id] == areas.AreaUse(appraisals=1, submissions=1)
    assert use[unused.id] == areas.AreaUse(appraisals=0, submissions=0)


def test_a_point_falls_in_the_smallest_box_holding_it(session: Session, mission: Mission) -> None:
    borough = make_area(session, mission, name="Camden", box=(-0.22, 51.51, -0.10, 51.58))
    ward = make_area(session, mission, name="Kentish Town", box=(-0.15, 51.54, -0.13, 51.56))
    make_area(session, mission, name="No box", box=None)

    assert areas.area_for_point(session, mission.id, 51.55, -0.14) == ward
    assert areas.area_for_point(session, mission.id, 51.52, -0.20) == borough
    assert areas.area_for_point(session, mission.id, 48.85, 2.35) is None
    assert [a.name for a in areas.list_areas(session, mission.id)] == [
        "Camden",
        "Kentish Town",
        "No box",
    ]


def test_only_officers_may_change_areas_whoever_calls_the_service(
    session: Session, resident: User
) -> None:
    mission = make_mission(session)
    fields = areas.AreaFields("Gospel Oak", "", None, None, None, None)

    with pytest.raises(Forbidden):
        areas.create_area(session, mission.slug, fields, actor=resident)
    with pytest.raises(Forbidden):
        areas.create_area(session, mission.slug, fields)  # type: ignore[call-arg]  # no actor
