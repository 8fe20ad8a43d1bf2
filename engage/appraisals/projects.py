"""Citizen-science projects and their forms: creating and editing them, their fields and the
XLSForm import, opening and closing them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.appraisals.models import Project, Status
from engage.errors import NotFound
from engage.i18n import N_
from engage.missions.models import MissionStatus
from engage.security import Role, holds


def may_manage(viewer: Any) -> bool:
    """Officers (and admins) build projects and see them while they are drafts."""
    return holds(viewer, Role.OFFICER)


def may_review(viewer: Any) -> bool:
    """Officers and evaluators review submissions and see their exact points and exports."""
    return holds(viewer, Role.OFFICER) or holds(viewer, Role.EVALUATOR)


def get_project(session: Session, slug: str, *, viewer: Any) -> Project:
    """The project at ``slug`` as ``viewer`` may see it: drafts (and projects of draft
    missions) only for those who manage projects or review submissions."""
    project = session.scalars(sa.select(Project).where(Project.slug == slug)).one_or_none()
    hidden = project is not None and (
        project.status is Status.DRAFT or project.mission.status is MissionStatus.DRAFT
    )
    if project is None or (hidden and not may_review(viewer)):
        raise NotFound(N_("There is no citizen-science project at this address."))
    return project
