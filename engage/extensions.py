"""Unbound extension objects, bound to an app in create_app."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app, g
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy import orm


@dataclass(frozen=True)
class _Bound:
    engine: sa.Engine
    sessionmaker: orm.sessionmaker[orm.Session]


class Database:
    """One engine per app and one session per app context, closed when the context ends.

    Written out rather than taken from Flask-SQLAlchemy-Lite: that extension also registers an
    async teardown, which Flask runs through asgiref (a thread and an event loop) on every request
    of this entirely synchronous app.
    """

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        engine = sa.create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
        app.extensions["engage.db"] = _Bound(engine, orm.sessionmaker(engine))
        app.teardown_appcontext(_close_session)

    @property
    def engine(self) -> sa.Engine:
        return self._bound().engine

    @property
    def sessionmaker(self) -> orm.sessionmaker[orm.Session]:
        return self._bound().sessionmaker

    @property
    def session(self) -> orm.Session:
        """The current app context's session (a request's, a command's, a job's)."""
        if "engage_session" not in g:
            g.engage_session = self._bound().sessionmaker()
        session: orm.Session = g.engage_session
        return session

    @staticmethod
    def _bound() -> _Bound:
        bound: _Bound = current_app.extensions["engage.db"]
        return bound


def _close_session(error: BaseException | None) -> None:
    session: orm.Session | None = g.pop("engage_session", None)
    if session is not None:
        session.close()


db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# No default limits: each route that needs one declares it (sign-in does).
limiter = Limiter(key_func=get_remote_address)
