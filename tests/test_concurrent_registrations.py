"""Twenty residents press "Create account" at the same moment on a real multi-threaded server.

SQLite allows one writer at a time; engage starts every transaction with BEGIN IMMEDIATE and a
busy timeout so simultaneous writers queue instead of failing with "database is locked". This
walks the whole stack (cookies, CSRF tokens, the threaded server, the engine's pool) over HTTP.
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server

from engage.accounts.models import User
from engage.extensions import db

PEOPLE = 20
PASSWORD = "violet harbour lantern 42"
_CSRF_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hand back the redirect itself, so the test can see where it points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True)
class Answer:
    status: int
    location: str


@pytest.fixture
def threaded_server(make_app: Callable[..., Flask]) -> Iterator[tuple[Flask, str]]:
    app = make_app(WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _register(base_url: str, number: int, barrier: threading.Barrier) -> Answer:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects()
    )
    with opener.open(f"{base_url}/register", timeout=30) as page:
        html = page.read().decode()
    found = _CSRF_TOKEN.search(html)
    assert found, "the registration form carries no CSRF token"
    form = urllib.parse.urlencode(
        {
            "csrf_token": found.group(1),
            "display_name": f"Resident {number}",
            "email": f"resident{number}@example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
        }
    ).encode()
    barrier.wait(timeout=30)
    try:
        with opener.open(f"{base_url}/register", data=form, timeout=60) as response:
            return Answer(response.status, response.headers.get("Location", ""))
    except urllib.error.HTTPError as answer:  # a redirect not followed, or an error
        return Answer(answer.code, answer.headers.get("Location", ""))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_simultaneous_registrations_are_all_stored(
    threaded_server: tuple[Flask, str],
) -> None:
    app, base_url = threaded_server
    barrier = threading.Barrier(PEOPLE)
    with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
        futures = [pool.submit(_register, base_url, number, barrier) for number in range(PEOPLE)]
        answers = [future.result(timeout=120) for future in futures]

    assert [answer.status for answer in answers] == [302] * PEOPLE
    assert {urllib.parse.urlsplit(answer.location).path for answer in answers} == {"/"}
    with app.app_context():
        emails = set(db.session.scalars(sa.select(User.email)))
    assert emails == {f"resident{number}@example.org" for number in range(PEOPLE)}
