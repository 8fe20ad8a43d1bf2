"""A mission's areas: the named places submissions fall in and appraisals are about.

Officers list, create, edit and delete them. A bounding box (west, south, east, north in WGS 84
decimal degrees) is optional: with one, submissions are placed in the area from their point;
without one, only appraisals name it. An area that has appraisals cannot be deleted (they would
go with it); submissions simply lose their area.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from slugify import slugify
from sqlalchemy.orm import Session

from engage import audit
from engage.accounts.models import User
from engage.appraisals.models import Appraisal, Area, Submission
from engage.errors import N_, Conflict, Invalid, NotFound
from engage.missions import services as missions
from engage.missions.models import Mission
from engage.security import officers_only

BOX_SIDES = ("west", "south", "east", "north")


@dataclass
class AreaFields:
    name: str
    description: str
    west: float | None
    south: float | None
    east: float | None
    north: float | None


@dataclass(frozen=True)
class AreaUse:
    """What refers to an area."""

    appraisals: int
    submissions: int


def list_areas(session: Session, mission_id: int) -> list[Area]:
    return list(
        session.scalars(
            sa.select(Area).where(Area.mission_id == mission_id).order_by(Area.name, Area.id)
        )
    )


def area_for_point(
    session: Session, mission_id: int, latitude: float, longitude: float
) -> Area | None:
    """The smallest of the mission's boxed areas holding the point (boxes may nest: a ward
    inside a borough), or None."""
    return session.scalars(
        sa.select(Area)
        .where(
            Area.mission_id == mission_id,
            Area.west <= longitude,
            Area.east >= longitude,
            Area.south <= latitude,
            Area.north >= latitude,
        )
        .order_by((Area.east - Area.west) * (Area.north - Area.south), Area.id)
        .limit(1)
    ).one_or_none()


def get_mission_areas(session: Session, mission_slug: str) -> tuple[Mission, list[Area]]:
    """A mission (drafts too: officers prepare areas before publishing) and its areas."""
    mission = missions.get_mission(session, mission_slug, include_drafts=True)
    return mission, list_areas(session, mission.id)


def get_area(session: Session, area_id: int) -> Area:
    area = session.get(Area, area_id)
    if area is None:
        raise NotFound(N_("There is no area at this address."))
    return area


def area_use(session: Session, mission_id: int) -> dict[int, AreaUse]:
    """How many appraisals and submissions refer to each of the mission's areas."""
    appraisals = dict(
        session.execute(
            sa.select(Appraisal.area_id, sa.func.count())
            .join(Area, Area.id == Appraisal.area_id)
            .where(Area.mission_id == mission_id)
            .group_by(Appraisal.area_id)
        ).all()
    )
    submissions = dict(
        session.execute(
            sa.select(Submission.area_id, sa.func.count())
            .join(Area, Area.id == Submission.area_id)
            .where(Area.mission_id == mission_id)
            .group_by(Submission.area_id)
        ).all()
    )
    return {
        area.id: AreaUse(appraisals.get(area.id, 0), submissions.get(area.id, 0))
        for area in list_areas(session, mission_id)
    }


def _check_box(values: AreaFields) -> None:
    sides = [getattr(values, side) for side in BOX_SIDES]
    if all(side is None for side in sides):
        return
    for side in BOX_SIDES:
        if getattr(values, side) is None:
            raise Invalid(
                N_("Give all four sides of the box, or none of them."),
                field=side,
            )
    west, south, east, north = (float(side) for side in sides)
    for side, value, limit in (
        ("west", west, 180),
        ("east", east, 180),
        ("south", south, 90),
        ("north", north, 90),
    ):
        if not -limit <= value <= limit:
            raise Invalid(
                N_("Give a number of degrees between -%(limit)s and %(limit)s."),
                field=side,
                limit=limit,
            )
    if west >= east:
        raise Invalid(N_("The west side must be west of (less than) the east side."), field="east")
    if south >= north:
        raise Invalid(
            N_("The south side must be south of (less than) the north side."), field="north"
        )


def _check_area(session: Session, mission_id: int, values: AreaFields, area_id: int | None) -> str:
    """The checked values' slug."""
    if not values.name.strip():
        raise Invalid(N_("Give the area a name."), field="name")
    _check_box(values)
    slug = slugify(values.name, max_length=80, word_boundary=True) or "area"
    taken = session.scalar(
        sa.select(Area.id).where(Area.mission_id == mission_id, Area.slug == slug)
    )
    if taken is not None and taken != area_id:
        raise Conflict(
            N_("This mission already has an area with this name (or one very like it)."),
            field="name",
        )
    return slug


def _columns(values: AreaFields) -> dict[str, object]:
    return {
        "name": values.name.strip(),
        "description": values.description,
        "west": values.west,
        "south": values.south,
        "east": values.east,
        "north": values.north,
    }


@officers_only
def create_area(session: Session, mission_slug: str, values: AreaFields, *, actor: User) -> Area:
    mission = missions.get_mission(session, mission_slug, include_drafts=True)
    slug = _check_area(session, mission.id, values, None)
    area = Area(mission_id=mission.id, slug=slug, **_columns(values))
    session.add(area)
    session.flush()
    audit.record(
        session, actor, "appraisals.area_created", f"appraisal_area:{area.id}",
        {"mission": mission.id, "name": area.name, "box": [values.west, values.south, values.east, values.north]},
    )  # fmt: skip
    session.commit()
    return area


@officers_only
def update_area(session: Session, area_id: int, values: AreaFields, *, actor: User) -> Area:
    area = get_area(session, area_id)
    slug = _check_area(session, area.mission_id, values, area.id)
    changed: dict[str, list[object]] = {}
    for name, after in {"slug": slug, **_columns(values)}.items():
        before = getattr(area, name)
        if before != after:
            changed[name] = [before, after]
            setattr(area, name, after)
    if changed:
        audit.record(
            session, actor, "appraisals.area_updated", f"appraisal_area:{area.id}", changed
        )
    session.commit()
    return area


@officers_only
def delete_area(session: Session, area_id: int, *, actor: User) -> Mission:
    """Delete an area without appraisals; its submissions keep everything but the area.
    Returns the area's mission (for the page to go back to)."""
    area = get_area(session, area_id)
    mission = area.mission
    appraisals = session.scalar(sa.select(sa.func.count()).where(Appraisal.area_id == area.id)) or 0
    if appraisals:
        raise Conflict(
            N_(
                "This area cannot be deleted while appraisals are about it (%(count)s in all): "
                "they would be lost. Rename it instead if it has changed."
            ),
            count=appraisals,
        )
    audit.record(
        session, actor, "appraisals.area_deleted", f"appraisal_area:{area.id}",
        {"mission": area.mission_id, "name": area.name},
    )  # fmt: skip
    session.execute(sa.update(Submission).where(Submission.area_id == area.id).values(area_id=None))
    session.delete(area)
    session.commit()
    return mission
