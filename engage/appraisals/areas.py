"""A mission's areas: the named places submissions fall in and appraisals are about."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.appraisals.models import Area


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
