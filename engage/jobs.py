"""Work that must not block a request: a job row, handlers by kind, and pluggable runners.

A service starts a job with ``start_job``; the row is committed first, then handed to the app's
runner. ``ThreadRunner`` (the default) runs it in a worker thread of the web process, which is all
the embedded SQLite set-up needs. ``RQRunner`` hands the job id to RQ on Redis, and ``engage worker``
processes, on this machine or others, run it against the same database.

A handler receives a session, a callable for reporting progress and the job's parameters, and
returns a JSON-able result. Progress is written in its own short transaction so a page can show it
while the work goes on. The handler's session begins without SQLite's write lock, so long reads
never block the site; a handler that writes should read, ``session.commit()``, then write, and
commit again before reporting progress.
"""

from __future__ import annotations

import enum
import logging
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from engage.db import Base, begin_without_write_lock, enum_column, utcnow
from engage.errors import N_, Forbidden, NotFound
from engage.security import Role

log = logging.getLogger(__name__)


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(80), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.QUEUED)
    progress: Mapped[int] = mapped_column(default=0)
    # The latest progress message: an English template marked with N_ and its values, translated
    # where it is shown (``progress_message``), so the worker needs no request or locale.
    message: Mapped[str] = mapped_column(sa.String(200), default="")
    message_params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class ProgressReporter(Protocol):
    def __call__(self, percent: int, message: str = "", **params: str | int | float) -> None: ...


Handler = Callable[[Session, ProgressReporter, dict[str, Any]], dict[str, Any] | None]
_HANDLERS: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of ``kind``."""

    def register(handler: Handler) -> Handler:
        _HANDLERS[kind] = handler
        return handler

    return register


class Actor(Protocol):
    @property
    def id(self) -> int: ...

    def has_role(self, role: Any) -> bool: ...


class JobRunner(Protocol):
    def submit(self, job_id: int) -> None: ...


def start_job(
    session: Session, runner: JobRunner, kind: str, params: dict[str, Any], *, actor: Actor | None
) -> Job:
    if kind not in _HANDLERS:
        raise ValueError(f"no handler for job kind {kind!r}")
    job = Job(kind=kind, params=params, created_by_id=actor.id if actor else None, message="")
    session.add(job)
    session.flush()
    job_id = job.id  # read before commit: reloading after it would open a new transaction
    session.commit()
    runner.submit(job_id)
    return job


def get_job_for(session: Session, job_id: int, viewer: Actor) -> Job:
    """A job as seen by ``viewer``: its creator and admins may look, nobody else."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(N_("There is no such job."))
    if job.created_by_id != viewer.id and not viewer.has_role(Role.ADMIN):
        raise Forbidden(N_("Only the person who started this job can follow it."))
    return job


def execute(make_session: sessionmaker[Session], job_id: int) -> None:
    """Run one job to completion, recording its outcome on the row. Never raises."""
    with make_session() as session:
        job = session.get(Job, job_id)
        if job is None or job.status is not JobStatus.QUEUED:
            return
        job.status, job.started_at = JobStatus.RUNNING, utcnow()
        job.message, job.message_params = "", {}
        session.commit()
        kind, params = job.kind, dict(job.params)

    def report(percent: int, message: str = "", **params: str | int | float) -> None:
        with make_session() as progress_session:
            progress_session.execute(
                sa.update(Job)
                .where(Job.id == job_id)
                .values(
                    progress=max(0, min(100, int(percent))),
                    message=message[:200],
                    message_params=params,
                )
            )
            progress_session.commit()

    try:
        with make_session() as work_session:
            begin_without_write_lock(work_session)
            result = _HANDLERS[kind](work_session, report, params)
            work_session.commit()
        outcome: dict[str, Any] = {
            "status": JobStatus.SUCCEEDED,
            "progress": 100,
            "result": result or {},
        }
    except Exception as error:  # a failed job is recorded, not lost
        log.exception("job %s (%s) failed", job_id, kind)
        outcome = {"status": JobStatus.FAILED, "error": _describe(error)}
    with make_session() as session:
        session.execute(
            sa.update(Job).where(Job.id == job_id).values(finished_at=utcnow(), **outcome)
        )
        session.commit()


def _describe(error: Exception) -> str:
    lines = traceback.format_exception_only(type(error), error)
    return "".join(lines).strip()[:2000]


class ThreadRunner:
    """Runs jobs in background threads of this process."""

    def __init__(self, app: Flask, workers: int = 2) -> None:
        self._app = app
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="engage-job")
        self._futures: list[Future[None]] = []

    def submit(self, job_id: int) -> None:
        self._futures.append(self._executor.submit(self._run, job_id))

    def _run(self, job_id: int) -> None:
        from engage.extensions import db

        with self._app.app_context():
            execute(db.sessionmaker, job_id)

    def drain(self, timeout: float = 30) -> None:
        """Wait for every submitted job (tests and shutdown)."""
        wait(self._futures, timeout=timeout)
        self._futures = [future for future in self._futures if not future.done()]


RQ_QUEUE = "engage"
_worker_app: Flask | None = None


class RQRunner:
    """Hands jobs to RQ; ``engage worker`` processes run them."""

    def __init__(self, redis_url: str) -> None:
        from redis import Redis
        from rq import Queue

        self.queue = Queue(RQ_QUEUE, connection=Redis.from_url(redis_url))

    def submit(self, job_id: int) -> None:
        self.queue.enqueue(run_queued_job, job_id, job_timeout=3600, result_ttl=3600)


def serve_worker(app: Flask, *, burst: bool = False) -> None:
    """Run an RQ worker for this app's queue (``engage worker``)."""
    from rq import Worker

    global _worker_app
    _worker_app = app
    runner = app.extensions["engage.jobs"]
    if not isinstance(runner, RQRunner):
        raise RuntimeError("engage worker needs ENGAGE_JOB_RUNNER=rq")
    Worker([runner.queue], connection=runner.queue.connection).work(burst=burst)


def run_queued_job(job_id: int) -> None:
    """The function RQ calls in a worker process."""
    if _worker_app is None:
        raise RuntimeError("start workers with `engage worker`, which loads the app first")
    from engage.extensions import db

    with _worker_app.app_context():
        execute(db.sessionmaker, job_id)


def make_runner(app: Flask) -> JobRunner:
    kind = app.config["JOB_RUNNER"]
    if kind == "thread":
        return ThreadRunner(app)
    if kind == "rq":
        return RQRunner(app.config["REDIS_URL"])
    raise RuntimeError(f"ENGAGE_JOB_RUNNER must be thread or rq, not {kind!r}")


def current_runner() -> JobRunner:
    runner: JobRunner = current_app.extensions["engage.jobs"]
    return runner
