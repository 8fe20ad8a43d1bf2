"""Jobs: the in-process thread runner, the pages that follow a job, and RQ with a real worker."""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage import audit
from engage.accounts.models import User
from engage.extensions import db
from engage.jobs import (
    Job,
    JobStatus,
    ProgressReporter,
    RQRunner,
    ThreadRunner,
    job_handler,
    start_job,
)
from engage.security import Role
from tests.conftest import REDIS_URL, AuthActions, service_missing
from tests.factories import make_user

WAIT = 20  # seconds; only ever reached when something is broken


# Handlers that exist only in this test process. Tests hand them events through ``_events``, so
# a job can pause where the test wants to look at it.
_events: dict[str, threading.Event] = {}


def event(name: str) -> threading.Event:
    _events[name] = threading.Event()
    return _events[name]


def wait_for(name: str) -> None:
    if not _events[name].wait(WAIT):
        raise TimeoutError(f"nobody set {name!r}")


@job_handler("tests.count_steps")
def _count_steps(
    session: Session, progress: ProgressReporter, params: dict[str, Any]
) -> dict[str, Any]:
    progress(40, "Counted the first steps")
    if "reported" in params:
        _events[params["reported"]].set()
        wait_for(params["carry_on"])
    users = session.scalar(sa.select(sa.func.count()).select_from(User))
    return {"steps": params["steps"], "users": users}


@job_handler("tests.explode")
def _explode(session: Session, progress: ProgressReporter, params: dict[str, Any]) -> None:
    progress(10, "About to fail")
    raise ValueError("the numbers do not add up")


@job_handler("tests.read_while_others_write")
def _read_while_others_write(
    session: Session, progress: ProgressReporter, params: dict[str, Any]
) -> dict[str, Any]:
    before = session.scalar(sa.select(User.display_name).where(User.id == params["user"]))
    _events[params["reading"]].set()
    wait_for(params["written"])
    return {"read": before}


def thread_runner(app: Flask) -> ThreadRunner:
    runner = app.extensions["engage.jobs"]
    assert isinstance(runner, ThreadRunner)
    return runner


def start(session: Session, app: Flask, kind: str, params: dict[str, Any], actor: User) -> int:
    job = start_job(session, thread_runner(app), kind, params, actor=actor)
    job_id = job.id
    session.rollback()  # let go of the database, as a request does when it ends
    return job_id


def finished(session: Session, app: Flask, job_id: int) -> Job:
    thread_runner(app).drain(timeout=WAIT)
    session.rollback()
    job = session.get(Job, job_id)
    assert job is not None
    assert job.status.finished, f"job {job_id} still {job.status}"
    return job


# --- The thread runner --------------------------------------------------------------------------


def test_a_job_reports_progress_then_its_result(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session
) -> None:
    creator = make_user(session, role=Role.OFFICER)
    assert auth.sign_in(creator.email).status_code == 302
    reported, carry_on = event("reported"), event("carry on")

    job_id = start(
        session,
        app,
        "tests.count_steps",
        {"steps": 3, "reported": "reported", "carry_on": "carry on"},
        creator,
    )
    try:
        assert reported.wait(WAIT)
        midway = client.get(f"/jobs/{job_id}/status")
        assert midway.status_code == 200
        assert midway.get_json() == {
            "id": job_id,
            "status": "running",
            "finished": False,
            "progress": 40,
            "message": "Counted the first steps",
        }
        page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
        assert '<progress id="job-progress" max="100" value="40">' in page
        assert "Running" in page
    finally:
        carry_on.set()

    job = finished(session, app, job_id)
    assert job.status is JobStatus.SUCCEEDED
    assert job.progress == 100
    assert job.result == {"steps": 3, "users": 1}
    assert job.error is None
    assert job.started_at is not None
    assert job.finished_at is not None
    assert job.started_at <= job.finished_at
    assert client.get(f"/jobs/{job_id}/status").get_json() == {
        "id": job_id,
        "status": "succeeded",
        "finished": True,
        "progress": 100,
        "message": "Counted the first steps",
    }


def test_a_failing_job_records_its_error(app: Flask, session: Session) -> None:
    creator = make_user(session, role=Role.OFFICER)

    job_id = start(session, app, "tests.explode", {}, creator)

    job = finished(session, app, job_id)
    assert job.status is JobStatus.FAILED
    assert job.error == "ValueError: the numbers do not add up"
    assert job.result is None
    assert job.progress == 10
    assert job.finished_at is not None


def test_an_unknown_kind_starts_nothing(app: Flask, session: Session) -> None:
    creator = make_user(session)
    with pytest.raises(ValueError, match="no handler"):
        start_job(session, thread_runner(app), "tests.nothing", {}, actor=creator)
    assert session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_only_the_creator_and_admins_may_follow_a_job(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session
) -> None:
    creator = make_user(session, role=Role.OFFICER)
    other = make_user(session, role=Role.OFFICER)
    admin = make_user(session, role=Role.ADMIN)
    job_id = start(session, app, "tests.count_steps", {"steps": 1}, creator)
    finished(session, app, job_id)
    urls = [f"/jobs/{job_id}", f"/jobs/{job_id}/status"]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in")

    for person, status in [(creator, 200), (other, 403), (admin, 200)]:
        assert auth.sign_in(person.email).status_code == 302
        for url in urls:
            assert client.get(url).status_code == status, (person.email, url)
        auth.sign_out()

    assert auth.sign_in(admin.email).status_code == 302
    assert client.get(f"/jobs/{job_id + 1}").status_code == 404


def test_a_reading_job_does_not_hold_the_write_lock(
    app: Flask, session: Session, database_url: str
) -> None:
    """A long read (checking the audit log, an export) must not stop others from writing.

    On SQLite the work session begins with a plain BEGIN, not BEGIN IMMEDIATE: another process
    writes while the job is in the middle of its read transaction.
    """
    creator = make_user(session, role=Role.OFFICER, display_name="Before")
    creator_id = creator.id
    reading, written = event("reading"), event("written")

    job_id = start(
        session,
        app,
        "tests.read_while_others_write",
        {"user": creator_id, "reading": "reading", "written": "written"},
        creator,
    )
    try:
        assert reading.wait(WAIT)
        write_elsewhere(database_url, creator_id, "Written meanwhile")
    finally:
        written.set()

    job = finished(session, app, job_id)
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.result == {"read": "Before"}
    assert session.get(User, creator_id).display_name == "Written meanwhile"  # type: ignore[union-attr]


def write_elsewhere(database_url: str, user_id: int, name: str) -> None:
    """Write from another connection that gives up after a second if the database is locked."""
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(
            database_url.removeprefix("sqlite:///"), timeout=1, isolation_level=None
        )
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("UPDATE users SET display_name = ? WHERE id = ?", (name, user_id))
            connection.execute("COMMIT")
        finally:
            connection.close()
        return
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as other:
            other.execute(sa.text("SET LOCAL lock_timeout = '1s'"))
            other.execute(
                sa.text("UPDATE users SET display_name = :name WHERE id = :id"),
                {"name": name, "id": user_id},
            )
    finally:
        engine.dispose()


# --- RQ with a real worker process --------------------------------------------------------------


@pytest.fixture
def redis_db() -> Iterator[Any]:
    """The test Redis database, emptied before and after, held by one test at a time: tests on
    other xdist workers (or in another run) share it."""
    from redis import Redis
    from redis.exceptions import RedisError

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisError as error:
        service_missing(f"Redis at {REDIS_URL} does not answer: {error}")
    lock_name = hashlib.sha256(REDIS_URL.encode()).hexdigest()[:12]
    with open(Path(tempfile.gettempdir()) / f"engage-tests-redis-{lock_name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        connection.flushdb()
        yield connection
        connection.flushdb()
    connection.close()


@pytest.mark.redis
def test_rq_worker_runs_the_audit_check(
    make_app: Any, redis_db: Any, database_url: str, tmp_path: Path
) -> None:
    app = make_app(JOB_RUNNER="rq", REDIS_URL=REDIS_URL)
    runner = app.extensions["engage.jobs"]
    assert isinstance(runner, RQRunner)
    with app.app_context():
        creator = make_user(db.session, role=Role.ADMIN)
        for number in range(3):
            audit.record(db.session, creator, "mission.updated", f"mission:{number}")
        db.session.commit()
        job_id = start_job(db.session, runner, "audit.verify", {}, actor=creator).id
        assert runner.queue.count == 1
        job = db.session.get(Job, job_id)
        assert job is not None
        assert job.status is JobStatus.QUEUED

    worker = subprocess.run(
        [str(Path(sys.executable).parent / "engage"), "worker", "--burst"],
        env={
            **os.environ,
            "ENGAGE_DATABASE_URL": database_url,
            "ENGAGE_JOB_RUNNER": "rq",
            "ENGAGE_REDIS_URL": REDIS_URL,
            "ENGAGE_INSTANCE_PATH": str(tmp_path / "worker-instance"),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert worker.returncode == 0, worker.stderr
    assert runner.queue.count == 0
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job is not None
        assert job.status is JobStatus.SUCCEEDED, job.error
        assert job.progress == 100
        assert job.result == {"checked": 3, "first_broken_id": None, "reason": None}


def test_the_worker_refuses_to_start_without_the_rq_runner(tmp_path: Path) -> None:
    worker = subprocess.run(
        [str(Path(sys.executable).parent / "engage"), "worker", "--burst"],
        env={
            **os.environ,
            "ENGAGE_DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
            "ENGAGE_JOB_RUNNER": "thread",
            "ENGAGE_INSTANCE_PATH": str(tmp_path / "worker-instance"),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert worker.returncode != 0
    assert "ENGAGE_JOB_RUNNER=rq" in worker.stderr


def test_progress_messages_are_shown_with_their_values(app: Flask) -> None:
    """Workers store the English template and its values; the page formats (and translates)
    them for the reader, so a worker needs no locale."""
    from engage.pages import progress_message

    job = Job(kind="audit.verify", params={}, message="%(done)s of %(total)s entries checked")
    job.message_params = {"done": 3, "total": 4}
    with app.test_request_context():
        assert progress_message(job) == "3 of 4 entries checked"
        assert progress_message(Job(kind="audit.verify", params={}, message="")) == ""
