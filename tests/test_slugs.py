"""Addresses made from titles never collide with each other or with a page's own words."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engage.appraisals.models import Project
from engage.slugs import unique_slug
from tests.factories import make_science_project


def test_a_slug_is_made_from_the_title_and_numbered_past_those_taken(session: Session) -> None:
    project = make_science_project(session)
    project.slug = "street-trees"
    session.commit()

    assert (
        unique_slug(session, Project.slug, "Street Trees!", fallback="project") == "street-trees-2"
    )
    assert unique_slug(session, Project.slug, "Straßen", fallback="project") == "strassen"
    assert unique_slug(session, Project.slug, "???", fallback="project") == "project"


def test_reserved_words_are_never_given(session: Session) -> None:
    assert unique_slug(session, Project.slug, "New", fallback="p", reserved={"new"}) == "new-2"
