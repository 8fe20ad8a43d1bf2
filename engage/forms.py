"""The form base every domain uses: stripped text, and service errors shown beside their field."""

from __future__ import annotations

import math
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import flash, request
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone, to_utc
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import ValidationError

from engage.errors import DomainError
from engage.extensions import db

T = TypeVar("T")


def strip(value: Any) -> Any:
    """Surrounding spaces removed, and a text box missing from the post read as empty (as a
    browser sends it). NUL characters, which no one types and PostgreSQL cannot store, are
    refused (a ValueError from a filter becomes the field's error)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    if "\x00" in value:
        raise ValueError(_l("Remove the invisible control character (NUL) from this text."))
    return value.strip()


class BaseForm(FlaskForm):
    """Strips surrounding spaces from every text field and refuses NUL characters."""

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
            filters = unbound_field.kwargs.get("filters", [])
            if strip not in filters and unbound_field.field_class.__name__ in {
                "StringField",
                "TextAreaField",
                "EmailField",
                "URLField",
                "SearchField",
            }:
                unbound_field.kwargs["filters"] = [strip, *filters]
            field: Field = unbound_field.bind(form=form, **options)
            return field

    def valid(self, name: str) -> Any:
        """A field's value if it passed its checks, else None: a filter shows a bad part with
        its error and leaves it out, and the rest still applies."""
        field = self[name]
        return None if field.errors else field.data

    def show_domain_error(self, error: DomainError) -> None:
        """Put a service's refusal beside the field it is about (or above the form)."""
        field = getattr(self, error.field, None) if error.field else None
        if isinstance(field, Field):
            field.errors = [*field.errors, error.translated()]
        else:
            self.form_errors.append(error.translated())


def show_refusal(form: BaseForm, error: DomainError) -> None:
    """A service refused what a form asked: not-found and forbidden answer with their own page
    and status; any other refusal undoes what the service had begun (so the page shows what is
    stored) and goes beside the field it is about, or above the form."""
    if error.status in (403, 404):
        raise error
    db.session.rollback()
    form.show_domain_error(error)


def flash_refusal(error: DomainError) -> None:
    """A refused action behind a button (no form to show it beside): say why above the page it
    returns to. Not-found and forbidden still answer with their own page and status."""
    if error.status in (403, 404):
        raise error
    flash(error.translated(), "error")


def form_values(form: FlaskForm, fields_class: type[T]) -> T:
    """The form's data as the service's input dataclass (same field names)."""
    names = [field.name for field in dataclass_fields(fields_class)]  # type: ignore[arg-type]
    return fields_class(**{name: form.data[name] for name in names})


class Finite:
    """Refuse NaN and infinity, which FloatField happily parses from "nan" and "inf"."""

    def __call__(self, form: Any, field: Field) -> None:
        if field.data is not None and not math.isfinite(field.data):
            raise ValidationError(_l("Enter an ordinary number."))


def utc_from_local(value: datetime | None) -> datetime | None:
    """A time typed in the deployment's time zone (a datetime-local input), as an aware UTC
    datetime for the services."""
    return None if value is None else to_utc(value).replace(tzinfo=UTC)


def local_from_utc(value: datetime | None) -> datetime | None:
    """A stored UTC time as the deployment's local time, for a datetime-local input."""
    return None if value is None else to_user_timezone(value).replace(tzinfo=None)


MAX_PAGE = 100_000


def requested_mission() -> str | None:
    """The ``mission`` query argument (a mission's slug) that lists filter by, or None: no NUL
    (PostgreSQL cannot compare it), no longer than a slug can be."""
    return request.args.get("mission", "", type=str).replace("\x00", "")[:80] or None


def requested_page() -> int:
    """The ``page`` query argument, between 1 and MAX_PAGE (a huge one would overflow OFFSET)."""
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)
