"""Addresses made from titles: "Air at the school gate" becomes ``air-at-the-school-gate``."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from slugify import slugify
from sqlalchemy.orm import Session


def unique_slug(
    session: Session,
    column: sa.orm.InstrumentedAttribute[str],
    title: str,
    *,
    fallback: str,
    reserved: Collection[str] = (),
    max_length: int = 72,
) -> str:
    """A slug of ``title`` that no row has in ``column`` yet and that is not one of the
    ``reserved`` words a page's address uses (``new``...): ``title``, ``title-2``, ``title-3``..."""
    base = slugify(title, max_length=max_length, word_boundary=True) or fallback
    taken = set(session.scalars(sa.select(column).where(column.startswith(base, autoescape=True))))
    slug, number = base, 1
    while slug in taken or slug in reserved:
        number += 1
        slug = f"{base}-{number}"
    return slug
