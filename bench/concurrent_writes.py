"""Many residents registering at the same moment against engage served by gunicorn.

Run by hand, not by the tests:

    python bench/concurrent_writes.py                 # a temporary SQLite file, 50 registrations
    python bench/concurrent_writes.py --requests 200
    python bench/concurrent_writes.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench

It migrates the database with `engage db upgrade`, starts gunicorn with four worker processes,
has every registration fetch the form (cookie and CSRF token) first, then sends all the forms at
once, and prints what came back and how many rows were stored. Exit status 1 when any
registration failed or the rows do not match.

On a database given with --database-url it drops nothing it did not create: if the database had
no tables, the schema it created is removed again (`engage db downgrade base`); otherwise only
the accounts this run registered are deleted.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "violet harbour lantern 42"  # noqa: S105 (a throwaway account's password)
_CSRF_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no HTTP answer at all
    location: str
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.status in (302, 303) and urllib.parse.urlsplit(self.location).path == "/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def engage_command() -> str:
    """The `engage` console script installed beside this Python."""
    script = Path(sys.executable).parent / "engage"
    if not script.exists():
        sys.exit(f"no `engage` command beside {sys.executable}: run `pip install -e .` first")
    return str(script)


def wait_until_serving(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped with status {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer at {url} within {timeout:.0f} s")


def register(base_url: str, email: str, name: str, barrier: threading.Barrier) -> Answer:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects()
    )
    try:
        with opener.open(f"{base_url}/register", timeout=60) as page:
            found = _CSRF_TOKEN.search(page.read().decode())
    except (urllib.error.URLError, OSError) as error:
        barrier.abort()
        return Answer(0, "", f"GET /register: {error}")
    if found is None:
        barrier.abort()
        return Answer(0, "", "no CSRF token in the form")
    form = urllib.parse.urlencode(
        {
            "csrf_token": found.group(1),
            "display_name": name,
            "email": email,
            "password": PASSWORD,
            "confirm": PASSWORD,
        }
    ).encode()
    try:
        barrier.wait(timeout=120)
    except threading.BrokenBarrierError:
        return Answer(0, "", "another registration failed before sending")
    try:
        with opener.open(f"{base_url}/register", data=form, timeout=120) as response:
            return Answer(response.status, response.headers.get("Location", ""))
    except urllib.error.HTTPError as answer:  # the redirect itself, or an error status
        return Answer(answer.code, answer.headers.get("Location", ""))
    except (urllib.error.URLError, OSError) as error:
        return Answer(0, "", f"POST /register: {error}")


def count_rows(database_url: str, email_prefix: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = sa.text("SELECT count(*) FROM users WHERE email LIKE :prefix")
            return int(connection.scalar(query, {"prefix": email_prefix + "%"}) or 0)
    finally:
        engine.dispose()


def table_names(database_url: str) -> list[str]:
    engine = sa.create_engine(database_url)
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def delete_rows(database_url: str, email_prefix: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            query = sa.text("DELETE FROM users WHERE email LIKE :prefix")
            connection.execute(query, {"prefix": email_prefix + "%"})
    finally:
        engine.dispose()


def drop_alembic_version(database_url: str) -> None:
    """Alembic keeps its (empty) version table after `downgrade base`; it was ours too."""
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=50, help="registrations sent at once")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--database-url", default="", help="a database to use instead of a temporary SQLite file"
    )
    args = parser.parse_args()
    if args.requests < 1:
        parser.error("--requests must be at least 1")

    with tempfile.TemporaryDirectory(prefix="engage-bench-") as scratch:
        database_url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        env = {
            **os.environ,
            "ENGAGE_DATABASE_URL": database_url,
            "ENGAGE_SECRET_KEY": secrets.token_hex(32),
            "ENGAGE_INSTANCE_PATH": str(Path(scratch) / "instance"),
        }
        created_schema = not table_names(database_url)
        run_id = secrets.token_hex(4)
        email_prefix = f"bench-{run_id}-"
        subprocess.run([engage_command(), "db", "upgrade"], env=env, check=True)

        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        log_path = Path(scratch) / "gunicorn.log"
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-w",
                    str(args.workers),
                    "-b",
                    f"127.0.0.1:{port}",
                    "engage:create_app()",
                ],
                env=env,
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_until_serving(base_url + "/", server)
                answers, seconds = fire(base_url, args.requests, email_prefix)
            except RuntimeError as error:
                print(f"error: {error}", file=sys.stderr)
                print(log_path.read_text(errors="replace")[-4000:], file=sys.stderr)
                return 2
            finally:
                server.terminate()
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
        rows = count_rows(database_url, email_prefix)
        if args.database_url:
            if created_schema:
                subprocess.run([engage_command(), "db", "downgrade", "base"], env=env, check=True)
                drop_alembic_version(database_url)
            else:
                delete_rows(database_url, email_prefix)

    failures = [answer for answer in answers if not answer.ok]
    backend = sa.make_url(database_url).get_backend_name()
    print(f"database:        {backend}, gunicorn with {args.workers} workers")
    print(f"requests sent:   {len(answers)}")
    print(f"successes:       {len(answers) - len(failures)}")
    statuses = Counter(answer.status for answer in failures)
    detail = ", ".join(f"{count} x {status or 'no answer'}" for status, count in statuses.items())
    print(f"failures:        {len(failures)}{f' ({detail})' if detail else ''}")
    for problem in sorted({answer.problem for answer in failures if answer.problem})[:5]:
        print(f"                 {problem}")
    print(f"rows in users:   {rows}")
    print(f"wall time:       {seconds:.2f} s from the barrier to the last answer")
    print(f"throughput:      {len(answers) / seconds:.1f} registrations per second")
    return 1 if failures or rows != args.requests else 0


def fire(base_url: str, requests: int, email_prefix: str) -> tuple[list[Answer], float]:
    """Every registration fetches its form, waits at the barrier, then all post together."""
    released: list[float] = []
    barrier = threading.Barrier(requests, action=lambda: released.append(time.perf_counter()))
    with ThreadPoolExecutor(max_workers=requests) as pool:
        futures = [
            pool.submit(register, base_url, f"{email_prefix}{n}@example.org", f"Bench {n}", barrier)
            for n in range(requests)
        ]
        answers = [future.result() for future in futures]
    finished = time.perf_counter()
    return answers, finished - (released[0] if released else finished)


if __name__ == "__main__":
    sys.exit(main())
