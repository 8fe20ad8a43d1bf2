"""Roles, who may use each route, security headers and safe redirects.

Every view declares its audience with one of the decorators below. The declaration is enforced
in one place (``enforce_access``, run before every request) and create_app refuses to start when a
route declares nothing, so a new route can never be open by accident.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user
from werkzeug.routing import IntegerConverter, Map, UnicodeConverter
from werkzeug.wrappers import Response

from engage.errors import Forbidden
from engage.i18n import N_

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")
R = TypeVar("R")


class Role(enum.StrEnum):
    RESIDENT = "resident"
    OFFICER = "officer"
    EVALUATOR = "evaluator"
    ADMIN = "admin"


STAFF_ROLES = (Role.OFFICER, Role.EVALUATOR, Role.ADMIN)


@dataclass(frozen=True)
class Access:
    """Who may reach a route: anyone, any signed-in person, or holders of one of ``roles``."""

    public: bool = False
    roles: frozenset[Role] = frozenset()

    def allows(self, user: Any) -> bool:
        if self.public:
            return True
        if not user.is_authenticated:
            return False
        return not self.roles or any(user.has_role(role) for role in self.roles)


def _declare(access: Access) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        view.access = access  # type: ignore[attr-defined]
        return view

    return decorate


public = _declare(Access(public=True))
"""Anyone, signed in or not."""

signed_in = _declare(Access())
"""Any signed-in person, whatever their role."""


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Holders of any of ``roles``. Admins hold every role (see User.has_role)."""
    return _declare(Access(roles=frozenset(roles)))


def holds(user: Any, role: Role) -> bool:
    """Whether ``user`` (None, anonymous or an account) is signed in and holds ``role``; for
    services, which are handed the person acting rather than reading the request."""
    return bool(user is not None and user.is_authenticated and user.has_role(role))


def _only(role: Role, refusal: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """For a service: refuse (Forbidden) unless its ``actor`` keyword argument holds ``role``, so
    the rule holds whichever page or command calls it."""

    def decorate(service: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(service)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            if not holds(kwargs.get("actor"), role):
                raise Forbidden(refusal)
            return service(*args, **kwargs)

        return checked

    return decorate


officers_only = _only(Role.OFFICER, N_("Only officers can do this."))
evaluators_only = _only(Role.EVALUATOR, N_("Only evaluators can do this."))


def current_user_holds(role: Role) -> bool:
    """Whether the person making this request is signed in and holds ``role``."""
    return holds(current_user, role)


def access_of(app: Flask, endpoint: str) -> Access | None:
    view = app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def undeclared_endpoints(app: Flask) -> list[str]:
    return sorted(
        endpoint
        for endpoint in app.view_functions
        if endpoint != "static" and access_of(app, endpoint) is None
    )


def enforce_access() -> Response | None:
    if request.endpoint is None or request.endpoint == "static":
        return None
    access = access_of(current_app, request.endpoint)
    if access is None:  # create_app prevents this; refuse rather than guess
        abort(403)
    if access.allows(current_user):
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
    abort(403)


def content_security_policy(map_tile_url: str) -> str:
    """Everything from this site only, but map tiles from the configured tile server."""
    tiles = urlsplit(map_tile_url)
    host = tiles.netloc.replace("{s}", "*")  # {s}.tile.example.org: a., b. and c. subdomains
    tile_source = f" {tiles.scheme}://{host}" if tiles.scheme in ("http", "https") and host else ""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data:{tile_source}",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault(
        "Content-Security-Policy", content_security_policy(current_app.config["MAP_TILE_URL"])
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    return response


def safe_next_url(target: str | None, fallback: str) -> str:
    """Only follow a ``next`` that stays on this site (a path, no scheme, no host)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target:
        return fallback
    return target


# --- URL arguments that can reach the database ----------------------------------------------
# Installed by create_app before any route, so an address the database cannot compare with is
# simply not found instead of failing with a server error.

MAX_ID = 2**31 - 1  # ids are INTEGER columns


def row_id(value: Any) -> int | None:
    """A row's id as typed in a form or an address (ASCII digits only: ``int`` would take "²"
    and then refuse it; within an INTEGER), or None."""
    text = str(value).strip()
    if text.isascii() and text.isdigit() and len(text) < 11 and 0 < int(text) <= MAX_ID:
        return int(text)
    return None


class IdConverter(IntegerConverter):
    """``<int:…>`` without numbers too large for an INTEGER column."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class TextConverter(UnicodeConverter):
    """The default ``<name>`` converter without NUL, which PostgreSQL cannot compare."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]")


def install_url_converters(app: Flask) -> None:
    app.url_map.converters.update(int=IdConverter, default=TextConverter, string=TextConverter)
