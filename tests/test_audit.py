"""The hash-chained audit log: how entries link, and how tampering shows up."""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from engage import audit
from engage.audit import GENESIS_HASH, AuditEntry, verify_chain
from engage.jobs import Job, JobStatus
from engage.security import Role
from tests.conftest import AuthActions
from tests.factories import make_user


def write_chain(session: Session, length: int = 4) -> list[int]:
    actor = make_user(session, role=Role.OFFICER)
    ids = []
    for number in range(1, length + 1):
        entry = audit.record(
            session,
            actor,
            "mission.updated",
            f"mission:{number}",
            {"title": ["Old", f"New {number}"]},
        )
        ids.append(entry.id)
    session.commit()
    return ids


def raw(session: Session, sql: str, **params: Any) -> None:
    """Change the table behind the application's back, as someone with database access could."""
    statement = sa.text(sql).bindparams(
        *(sa.bindparam(name, type_=sa.JSON) for name in params if name == "details")
    )
    session.execute(statement, params)
    session.commit()


def test_record_chains_each_entry_to_the_one_before(session: Session) -> None:
    ids = write_chain(session)

    entries = list(session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))
    assert [e.id for e in entries] == ids
    assert entries[0].prev_hash == GENESIS_HASH
    for previous, entry in pairwise(entries):
        assert entry.prev_hash == previous.entry_hash
    assert len({e.entry_hash for e in entries}) == len(entries)
    assert all(re.fullmatch(r"[0-9a-f]{64}", e.entry_hash) for e in entries)
    assert entries[2].details == {"title": ["Old", "New 3"]}


def test_details_are_stored_as_the_database_gives_them_back(session: Session) -> None:
    """Dates and other values become JSON text before hashing, so the chain still verifies."""
    audit.record(session, None, "mission.updated", "mission:1", {"due": [date(2026, 1, 2), None]})
    session.commit()
    session.expire_all()
    [entry] = session.scalars(sa.select(AuditEntry))
    assert entry.details == {"due": ["2026-01-02", None]}
    assert entry.actor_id is None
    assert audit.verify_chain(session).intact


def test_an_untouched_chain_verifies(session: Session) -> None:
    write_chain(session)
    report = audit.verify_chain(session)
    assert report.intact
    assert (report.checked, report.first_broken_id, report.reason) == (4, None, None)
    assert audit.verify_chain(session).intact, "verifying changes nothing"


def test_an_empty_log_verifies(session: Session) -> None:
    report = audit.verify_chain(session)
    assert report.intact
    assert report.checked == 0


def test_changed_details_are_reported_at_that_entry(session: Session) -> None:
    ids = write_chain(session)

    raw(
        session,
        "UPDATE audit_entries SET details = :details WHERE id = :id",
        details={"title": ["Old", "Something else"]},
        id=ids[1],
    )

    report = audit.verify_chain(session)
    assert not report.intact
    assert report.first_broken_id == ids[1]
    assert report.checked == 1
    assert report.reason is not None
    assert "content was changed" in report.reason


def test_a_deleted_entry_is_reported_at_the_entry_after_it(session: Session) -> None:
    ids = write_chain(session)

    raw(session, "DELETE FROM audit_entries WHERE id = :id", id=ids[1])

    report = audit.verify_chain(session)
    assert report.first_broken_id == ids[2]
    assert report.reason is not None
    assert "link to the previous entry" in report.reason


def test_a_rewritten_entry_with_a_fresh_hash_is_reported_at_the_next_entry(
    session: Session,
) -> None:
    ids = write_chain(session)
    entry = session.get(AuditEntry, ids[1])
    assert entry is not None
    forged = {"title": ["Old", "Something else"]}
    forged_hash = audit.entry_hash(
        entry.prev_hash, entry.created_at, entry.actor_id, entry.action, entry.subject, forged
    )

    raw(
        session,
        "UPDATE audit_entries SET details = :details, entry_hash = :hash WHERE id = :id",
        details=forged,
        hash=forged_hash,
        id=ids[1],
    )

    session.expire_all()
    assert session.get(AuditEntry, ids[1]).details == forged  # type: ignore[union-attr]
    report = audit.verify_chain(session)
    assert report.first_broken_id == ids[2]
    assert report.checked == 2, "the forged entry itself is consistent"


def test_cli_verify_says_intact_then_names_the_broken_entry(
    session: Session, runner: FlaskCliRunner
) -> None:
    ids = write_chain(session, length=3)

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "Audit log intact: 3 entries verified." in result.output

    raw(session, "UPDATE audit_entries SET subject = 'mission:99' WHERE id = :id", id=ids[2])

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"Audit log broken at entry {ids[2]}" in result.stderr
    assert "2 entries before it verified." in result.stderr
    assert "intact" not in result.output


def test_admins_see_the_log_and_start_a_verification_job(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session
) -> None:
    ids = write_chain(session, length=3)
    admin = make_user(session, role=Role.ADMIN)
    officer = make_user(session, role=Role.OFFICER)
    admin_id = admin.id

    assert auth.sign_in(officer.email).status_code == 302
    assert client.get("/admin/audit").status_code == 403
    assert client.post("/admin/audit/verify").status_code == 403
    auth.sign_out()

    assert auth.sign_in(admin.email).status_code == 302
    page = client.get("/admin/audit")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "3 entries." in text
    assert text.count("<code>mission.updated</code>") == 3
    for entry_id in ids:
        assert f"<td>{entry_id}</td>" in text

    response = client.post("/admin/audit/verify")

    assert response.status_code == 302
    match = re.fullmatch(r"/jobs/(\d+)", response.headers["Location"])
    assert match is not None
    job_id = int(match.group(1))
    job = session.get(Job, job_id)
    assert job is not None
    assert (job.kind, job.created_by_id) == ("audit.verify", admin_id)
    session.rollback()

    app.extensions["engage.jobs"].drain()

    session.refresh(job)
    assert job.status is JobStatus.SUCCEEDED
    assert job.result == {"checked": 3, "first_broken_id": None, "reason": None}
    assert "The audit log is intact: 3 entries verified." in client.get(f"/jobs/{job_id}").get_data(
        as_text=True
    )


def test_an_anchor_kept_outside_the_database_exposes_a_rewritten_end(
    app: Flask, session: Session
) -> None:
    first = audit.record(session, None, "mission.created", "mission:1")
    audit.record(session, None, "mission.updated", "mission:1")
    session.commit()
    anchor = verify_chain(session).head_hash
    assert anchor is not None and verify_chain(session, anchor=anchor).intact

    # Cut off the newest entry: the chain still links up, but the anchor has gone.
    session.execute(sa.delete(AuditEntry).where(AuditEntry.id != first.id))
    session.commit()
    cut = verify_chain(session, anchor=anchor)
    assert cut.first_broken_id is None and cut.anchor_found is False and not cut.intact

    result = app.test_cli_runner().invoke(args=["audit", "verify", "--anchor", anchor])
    assert result.exit_code == 1
    assert "does not contain the anchor" in result.output
