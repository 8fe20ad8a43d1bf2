"""Browser fixtures: the app served for real on a SQLite file, and Debian's Chromium driven by
Playwright (never a browser downloaded by `playwright install`).

Every test gets its own database, server and browser context; the browser itself is launched once
for all of them. CSRF protection stays on, so forms work only with the tokens the pages hand out.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from engage.extensions import db
from engage.jobs import JobRunner
from tests.conftest import service_missing
from tests.factories import DEFAULT_PASSWORD

CHROMIUM = os.environ.get("ENGAGE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Expectations wait this long (ms) before failing; a page here answers in well under a second.
TIMEOUT_MS = 10_000

# Reports every Content-Security-Policy violation on the console (init scripts are not subject
# to the page's CSP), so a blocked resource can never pass unnoticed.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked " + event.blockedURI);
});
"""


@pytest.fixture(params=["sqlite"])
def database_url(database_url: str) -> str:
    """Browser tests run on SQLite only: a browser on PostgreSQL would tell us little more."""
    return database_url


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Chromium, launched once for the browser tests and closed after the last of them.

    Package scope: Playwright's sync API keeps an asyncio loop running in the main thread for as
    long as the browser is open, and the rest of the run is better off without it.
    """
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        service_missing(
            f"No Chromium at {CHROMIUM}. The browser tests use Debian's chromium: install it "
            "with `apt-get install chromium` (or set ENGAGE_CHROMIUM to another Chromium "
            "executable). Do not run `playwright install`."
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class LiveServer:
    """The app served over HTTP in a background thread, and a way to make rows for it."""

    app: Flask
    url: str

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.app.app_context():
            yield db.session


@pytest.fixture
def live_server(make_app: Callable[..., Flask]) -> Iterator[LiveServer]:
    app = make_app(WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server", daemon=True
    )
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class Tab:
    """A page in its own browser context, with what the browser complained about."""

    page: Page
    console_errors: list[str] = field(default_factory=list)

    @property
    def csp_violations(self) -> list[str]:
        return [
            message
            for message in self.console_errors
            if "Content Security Policy" in message or message.startswith("CSP violation")
        ]


@pytest.fixture
def new_tab(browser: Browser, live_server: LiveServer) -> Iterator[Callable[[], Tab]]:
    """Opens a page in a fresh context (no cookies: a different person, or signed out)."""
    contexts: list[Any] = []

    def open_tab() -> Tab:
        context = browser.new_context(base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(_REPORT_CSP_VIOLATIONS)
        contexts.append(context)
        tab = Tab(page=context.new_page())

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error" or "Content Security Policy" in message.text:
                tab.console_errors.append(message.text)

        def on_page_error(error: Exception) -> None:
            tab.console_errors.append(f"uncaught: {error}")

        tab.page.on("console", on_console)
        tab.page.on("pageerror", on_page_error)
        return tab

    yield open_tab
    for context in contexts:
        context.close()


@pytest.fixture
def tab(new_tab: Callable[[], Tab]) -> Tab:
    return new_tab()


def sign_in(page: Page, email: str, password: str = DEFAULT_PASSWORD) -> None:
    """Signs in through the real form, as a person would."""
    page.goto("/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


class GatedRunner:
    """Holds submitted jobs until ``release`` is set, then hands them to the app's own runner.

    The thread runner finishes a small job before its page has even loaded; holding it lets a
    test see the page wait and follow the job with its script.
    """

    def __init__(self, inner: JobRunner) -> None:
        self.inner = inner
        self.release = threading.Event()
        self._waiting: list[threading.Thread] = []

    def submit(self, job_id: int) -> None:
        def hand_over() -> None:
            self.release.wait(timeout=60)
            self.inner.submit(job_id)

        thread = threading.Thread(target=hand_over, name=f"gated-job-{job_id}", daemon=True)
        thread.start()
        self._waiting.append(thread)

    def drain(self, timeout: float = 30) -> None:
        self.release.set()
        for thread in self._waiting:
            thread.join(timeout)
        drain: Callable[[float], None] | None = getattr(self.inner, "drain", None)
        if drain is not None:
            drain(timeout)


@pytest.fixture
def gated_jobs(live_server: LiveServer) -> GatedRunner:
    """Replaces the live server's job runner with one that waits for the test's go-ahead."""
    runner = GatedRunner(live_server.app.extensions["engage.jobs"])
    live_server.app.extensions["engage.jobs"] = runner
    return runner
