"""Domain errors raised by services, and the pages shown for HTTP errors.

Services raise a DomainError with an untranslated message marked by ``N_`` and its parameters; the
edge (a view or the error handlers here) translates it for the person reading it. That keeps
services free of Flask while every message still reaches the catalogue.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from engage.i18n import N_

__all__ = [
    "N_",
    "Conflict",
    "DomainError",
    "Forbidden",
    "Invalid",
    "NotFound",
    "checked_text",
    "register_error_pages",
]


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.field = field
        self.params = params

    def translated(self) -> str:
        return str(gettext(self.message, **self.params))


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    status = 400


def checked_text(
    value: str | None,
    field: str,
    maximum: int,
    *,
    required: str | None = None,
    too_long: str = N_("Keep this to %(max)s characters."),
) -> str:
    """Free text as a service stores it: stripped, and refused (Invalid, beside ``field``) when
    it holds a NUL character (PostgreSQL cannot store one), when it is empty and ``required``
    (that message), or when it is longer than ``maximum`` (``too_long``)."""
    text = (value or "").strip()
    if "\x00" in text:
        raise Invalid(
            N_("Remove the invisible control character (NUL) from this text."), field=field
        )
    if required is not None and not text:
        raise Invalid(required, field=field)
    if len(text) > maximum:
        raise Invalid(too_long, field=field, max=maximum)
    return text


def render_error(status: int, detail: str | None = None) -> str:
    return render_template("errors/error.html", status=status, detail=detail)


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> tuple[str, int]:
        return render_error(error.status, error.translated()), error.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if error.code is None or error.code < 400:
            return error
        if error.response is not None:  # a view already built the page (the sign-in limit does)
            return error.response
        return render_error(error.code), error.code

    @app.errorhandler(500)
    def server_error(error: Exception) -> tuple[str, int]:
        app.logger.error("Unhandled error on %s %s", request.method, request.path)
        return render_error(500), 500
