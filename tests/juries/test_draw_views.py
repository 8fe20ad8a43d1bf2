"""Selection, draw and panel pages through the test client: what jury officers do, what the
public sees, and who is kept out."""

from __future__ import annotations

import hashlib
import html
import json
import re
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.jobs import ThreadRunner
from engage.juries import draws, lottery, uploads
from engage.juries.models import (
    Draw,
    Jury,
    JuryStatus,
    PanelSeat,
    PoolMember,
    RunStatus,
    SeatStatus,
    SelectionRun,
)
from engage.security import Role
from tests.conftest import AuthActions
from tests.factories import make_user
from tests.juries.draw_support import (
    RANDOM_VALUE,
    SOURCE,
    committed_draw,
    finished_run,
    make_drawn_jury,
    make_jury,
)

WAIT = 120


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_error(page: str, field_id: str) -> str:
    match = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', page, re.DOTALL)
    if match is None:
        return ""
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).replace("Error:", "").strip()


def sign_in(auth: AuthActions, user: User) -> None:
    assert auth.sign_in(user.email).status_code == 302


def drain(app: Flask) -> None:
    runner = app.extensions["engage.jobs"]
    assert isinstance(runner, ThreadRunner)
    runner.drain(timeout=WAIT)


def actions(session: Session) -> list[str]:
    session.rollback()
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


# --- Selection runs -----------------------------------------------------------------------------


def test_an_officer_starts_a_run_and_follows_it_to_the_fairness_report(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session
) -> None:
    manager = make_user(session, role=Role.OFFICER)
    jury = make_jury(session, officers=[manager])
    jury_id = jury.id
    sign_in(auth, manager)

    page = client.get(f"/juries/{jury_id}/selection")
    assert page.status_code == 200
    assert "LEXIMIN: the fairest lottery" in text_of(page)

    started = client.post(f"/juries/{jury_id}/selection", data={"algorithm": "leximin"})

    assert started.status_code == 302
    session.rollback()
    run_id = session.scalars(sa.select(SelectionRun.id)).one()
    session.rollback()  # let go of SQLite's write lock: the job needs it to save its result
    assert started.headers["Location"] == f"/juries/runs/{run_id}"
    drain(app)
    status = client.get(f"/juries/runs/{run_id}/status").get_json()
    assert status["finished"] is True
    assert status["status"] == "succeeded"
    session.rollback()
    assert session.get_one(SelectionRun, run_id).status is RunStatus.DONE

    report = text_of(client.get(f"/juries/runs/{run_id}"))
    assert "Fairness report" in report
    assert 'id="minimum-chart-title"' in report  # the chart, with its table beside it
    assert 'id="fairness-table"' in report
    assert "Loss from rounding to 1000 panels" in report
    assert "LEGACY's smallest chance (estimated)" in report
    pseudonyms = re.findall(r"<th scope=\"row\">(V-T\d+)</th>", report)
    assert len(pseudonyms) == 8, "each volunteer's chance, by pseudonym"
    assert "Volunteer " not in report and "@example.org" not in report  # never names here
    assert "Commit a draw from this run" in report


def test_a_running_run_shows_progress_without_waiting_for_the_solver(
    client: FlaskClient, auth: AuthActions, session: Session
) -> None:
    manager = make_user(session, role=Role.OFFICER)
    jury = make_jury(session, officers=[manager])
    run = SelectionRun(
        jury_id=jury.id, algorithm="leximin", household_rule=True, status=RunStatus.RUNNING
    )
    session.add(run)
    session.commit()
    sign_in(auth, manager)

    page = text_of(client.get(f"/juries/runs/{run.id}"))

    assert f'data-status-url="/juries/runs/{run.id}/status"' in page
    assert '<progress id="job-progress"' in page
    assert "js/job.js" in page
    assert client.get(f"/juries/runs/{run.id}/status").get_json()["finished"] is False


def test_an_infeasible_run_explains_why(
    client: FlaskClient, auth: AuthActions, session: Session
) -> None:
    manager = make_user(session, role=Role.OFFICER)
    jury = make_jury(session, officers=[manager])
    run = SelectionRun(
        jury_id=jury.id,
        algorithm="leximin",
        household_rule=True,
        status=RunStatus.INFEASIBLE,
        result={
            "infeasibility": {
                "reasons": [
                    {
                        "template": "The pool has %(have)s people with %(feature)s = %(value)s.",
                        "params": {"have": 2, "feature": "gender", "value": "female"},
                    }
                ],
                "relaxation": [
                    {
                        "feature": "gender",
                        "value": "female",
                        "old_min": 3,
                        "old_max": 3,
                        "new_min": 2,
                        "new_max": 3,
                    }
                ],
            }
        },
    )
    session.add(run)
    session.commit()
    sign_in(auth, manager)

    page = text_of(client.get(f"/juries/runs/{run.id}"))

    assert "No panel satisfies these quotas" in page
    assert "The pool has 2 people with gender = female." in page
    assert "<td>3–3</td><td>2–3</td>" in page
    assert f'href="/juries/{jury.id}/feasibility"' in page
    assert "Commit a draw" not in page


def test_selection_pages_are_for_this_jurys_officers_only(
    client: FlaskClient, auth: AuthActions, session: Session
) -> None:
    manager = make_user(session, role=Role.OFFICER)
    stranger = make_user(session, role=Role.OFFICER)
    resident = make_user(session)
    drawn = make_drawn_jury(session, manager)
    urls = [
        f"/juries/{drawn.jury_id}/selection",
        f"/juries/runs/{drawn.run_id}",
        f"/juries/runs/{drawn.run_id}/status",
        f"/juries/runs/{drawn.run_id}/commit",
        f"/juries/draws/{drawn.draw_id}/reveal",
        f"/juries/draws/{drawn.draw_id}/panel",
        f"/juries/draws/{drawn.draw_id}/replacement",
        f"/juries/{drawn.jury_id}/purge",
    ]
    for url in urls:
        assert client.get(url).status_code == 302, url  # to the sign-in page
    for person in (stranger, resident):
        sign_in(auth, person)
        for url in urls:
            assert client.get(url).status_code == 403, (person.email, url)
        assert client.post(f"/juries/draws/{drawn.draw_id}/export").status_code == 403
        auth.sign_out()
    assert not [a for a in actions(session) if a == "jury.panel_exported"]


# --- Commit and reveal --------------------------------------------------------------------------


def test_committing_needs_a_source_and_a_confirmation_and_freezes_the_jury(
    client: FlaskClient, auth: AuthActions, session: Session
) -> None:
    manager = make_user(session, role=Role.OFFICER)
    jury = make_jury(session, officers=[manager])
    run = finished_run(session, jury, by=manager)
    jury_id, run_id = jury.id, run.id
    sign_in(auth, manager)

    refused = client.post(f"/juries/runs/{run_id}/commit", data={"randomness_source": ""})
    page = text_of(refused)
    assert refused.status_code == 200
    assert (
        field_error(page, "randomness_source")
        == "Say where the public random value will come from."
    )
    assert field_error(page, "confirm") == "Confirm that the pool and quotas are to be frozen."
    session.rollback()
    assert session.get_one(Jury, jury_id).status is JuryStatus.OPEN

    committed = client.post(
        f"/juries/runs/{run_id}/commit", data={"randomness_source": SOURCE, "confirm": "y"}
    )

    assert committed.status_code == 302
    session.rollback()
    draw = session.scalars(sa.select(Draw)).one()
    assert committed.headers["Location"] == f"/juries/draws/{draw.id}"
    assert session.get_one(Jury, jury_id).status is JuryStatus.FROZEN
    again = client.post(
        f"/juries/runs/{run_id}/commit", data={"randomness_source": SOURCE, "confirm": "y"}
    )
    assert again.status_code == 302
    assert "A draw is already committed" in text_of(client.get(again.headers["Location"]))
    assert actions(session).count("jury.draw_committed") == 1


def test_the_public_draw_page_shows_the_commitment_and_the_bundle_anyone_can_check(
    client: FlaskClient, session: Session
) -> None:
    manager = make_user(session, role=Role.OFFICER)
    draw = committed_draw(session, manager)
    draw_id, commitment = draw.id, draw.commitment

    before = text_of(client.get(f"/juries/draws/{draw_id}"))  # nobody signed in

    assert commitment in before
    assert SOURCE in before
    assert "Waiting for the random value" in before
    assert "engage juries verify-draw" in before
    assert "Enter the random value" not in before  # officers' links only for officers
    bundle = client.get(f"/juries/draws/{draw_id}/bundle.json")
    assert bundle.status_code == 200
    assert bundle.mimetype == "application/json"
    assert hashlib.sha256(bundle.get_data()).hexdigest() == commitment

    draws.reveal_draw(session, draw_id, random_value=RANDOM_VALUE, actor=manager)
    after = text_of(client.get(f"/juries/draws/{draw_id}"))

    assert f'<code id="random-value">{RANDOM_VALUE}</code>' in after
    shown = re.findall(r"<li><code>(V-T\d+)</code></li>", after)
    assert sorted(shown) == sorted(draws.public_draw(session, draw_id).panel)
    assert len(shown) == 4
    assert "Volunteer " not in after and "@example.org" not in after


def test_the_draw_page_states_the_bundles_own_procedure_and_the_same_steps(
    client: FlaskClient, session: Session
) -> None:
    manager = make_user(session, role=Role.OFFICER)
    draw = committed_draw(session, manager)
    procedure = json.loads(draw.bundle)["procedure"]

    raw = client.get(f"/juries/draws/{draw.id}").get_data(as_text=True)

    # The bundle's text, word for word (it is what the commitment covers), marked as English.
    quoted = re.search(r'<blockquote lang="en" id="procedure"><p>(.*?)</p></blockquote>', raw, re.S)
    assert quoted is not None
    assert html.unescape(quoted.group(1)) == procedure == lottery.PROCEDURE
    # The steps in plain words say what the procedure says.
    steps = html.unescape(re.sub(r"<[^>]+>", "", raw.split('id="verify-heading"')[1]))
    for rule in ("NFC", "every run of whitespace", "one line feed", "256-bit big-endian"):
        assert rule in steps, rule
    assert "runs of spaces" not in steps  # the old, inexact wording


def test_revealing_draws_the_panel_once(
    client: FlaskClient, auth: AuthActions, session: Session
) -> None:
    manager = make_user(session, role=Role.OFFICER)
    draw = committed_draw(session, manager)
    draw_id = draw.id
    sign_in(auth, manager)
    assert "Draw the panel" in text_of(client.get(f"/juries/draws/{draw_id}/reveal"))

    unconfirmed = client.post(
        f"/juries/draws/{draw_id}/reveal", data={"random_value": RANDOM_VALUE}
    )
    assert unconfirmed.status_code == 200
    assert field_error(text_of(unconfirmed), "confirm") == "Confirm that you checked the value."

    revealed = client.post(
        f"/juries/draws/{draw_id}/reveal", data={"random_value": RANDOM_VALUE, "confirm": "y"}
    )
    assert revealed.status_code == 302
    assert revealed.headers["Location"] == f"/juries/draws/{draw_id}/panel"

    second = client.post(
        f"/juries/draws/{draw_id}/reveal", data={"random_value": "1 2 3", "confirm": "y"}
    )
    assert second.status_code == 302
    assert "already entered" in text_of(client.get(second.headers["Location"]))
    session.rollback()
    assert session.get_one(Draw, draw_id).random_value == RANDOM_VALUE
    assert session.get_one(Jury, draw.jury_id).status is JuryStatus.DRAWN


# --- After the draw -----------------------------------------------------------------------------


def test_the_panel_page_shows_contacts_and_takes_answers_to_the_invitation(
    client: FlaskClient, auth: AuthActions, session: Session
) -> None:
    manager = make_user(session, role=Role.OFFICER)
    drawn = make_drawn_jury(session, manager)
    seat = session.get_one(PanelSeat, drawn.seat_id)
    member = session.get_one(PoolMember, seat.member_id)
    sign_in(auth, manager)

    page = text_of(client.get(f"/juries/draws/{drawn.draw_id}/panel"))
    assert member.name in page and member.email is not None and member.email in page
    assert "Ranked reserves" in page

    declined = client.post(
        f"/juries/draws/{drawn.draw_id}/seats/{drawn.seat_id}/status", data={"status": "declined"}
    )
    assert declined.status_code == 302
    session.rollback()
    assert session.get_one(PanelSeat, drawn.seat_id).status is SeatStatus.DECLINED
    page = text_of(client.get(f"/juries/draws/{drawn.draw_id}/panel"))
    assert "1 seat needs filling." in page
    assert "Propose a replacement" in page

    nonsense = client.post(
        f"/juries/draws/{drawn.draw_id}/seats/{drawn.seat_id}/status", data={"status": "promoted"}
    )
    assert nonsense.status_code == 302
    session.rollback()
    assert session.get_one(PanelSeat, drawn.seat_id).status is SeatStatus.DECLINED


def test_an_officer_accepts_the_proposed_replacement(
    client: FlaskClient, auth: AuthActions, session: Session
) -> None:
    manager = make_user(session, role=Role.OFFICER)
    from tests.juries.draw_support import PEOPLE

    drawn = make_drawn_jury(session, manager, people=PEOPLE * 2)
    sign_in(auth, manager)
    client.post(
        f"/juries/draws/{drawn.draw_id}/seats/{drawn.seat_id}/status", data={"status": "withdrawn"}
    )

    proposal_page = client.get(f"/juries/draws/{drawn.draw_id}/replacement")
    page = text_of(proposal_page)
    assert proposal_page.status_code == 200
    proposed = re.search(r'name="proposal" type="hidden" value="([\d,]+)"', page)
    assert proposed, page
    accepted = client.post(
        f"/juries/draws/{drawn.draw_id}/replacement", data={"proposal": proposed.group(1)}
    )

    assert accepted.status_code == 302
    session.rollback()
    newcomer = session.scalar(sa.select(PanelSeat).where(PanelSeat.replaces_id == drawn.seat_id))
    assert newcomer is not None
    assert newcomer.member_id == int(proposed.group(1))
    assert newcomer.status is SeatStatus.INVITED
    assert "jury.replacement_accepted" in actions(session)


def test_export_downloads_the_panel_as_csv_and_logs_it(
    client: FlaskClient, auth: AuthActions, session: Session
) -> None:
    manager = make_user(session, role=Role.OFFICER)
    drawn = make_drawn_jury(session, manager)
    sign_in(auth, manager)

    response = client.post(f"/juries/draws/{drawn.draw_id}/export")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data().decode("utf-8-sig")
    assert body.startswith("seat,reserve_rank,status,pseudonym,name,email")
    assert "Volunteer " in body and "@example.org" in body
    assert actions(session)[-1] == "jury.panel_exported"


def test_purging_asks_for_confirmation_then_keeps_only_counts(
    client: FlaskClient, auth: AuthActions, session: Session, app: Flask
) -> None:
    manager = make_user(session, role=Role.OFFICER)
    drawn = make_drawn_jury(session, manager)
    other = make_jury(session, officers=[manager], people=())
    sign_in(auth, manager)
    base = uploads.base_folder(app.instance_path)
    # An upload abandoned at its preview: personal data that must go with the rest.
    abandoned = uploads.stage(base, drawn.jury_id, b"id,name\n1,Ann\n", None, replace=False)
    elsewhere = uploads.stage(base, other.id, b"id,name\n1,Bo\n", None, replace=False)

    unconfirmed = client.post(f"/juries/{drawn.jury_id}/purge", data={})
    assert unconfirmed.status_code == 200
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(PoolMember)) == 8

    purged = client.post(f"/juries/{drawn.jury_id}/purge", data={"confirm": "y"})

    assert purged.status_code == 302
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(PoolMember)) == 0
    assert session.get_one(Jury, drawn.jury_id).status is JuryStatus.PURGED
    assert not (base / str(drawn.jury_id)).exists()
    assert uploads.load(base, drawn.jury_id, abandoned) is None
    assert uploads.load(base, other.id, elsewhere) is not None  # another jury's stays
    page = text_of(client.get(purged.headers["Location"]))
    assert 'id="aggregate-counts"' in page
    assert "fewer than 10" in page
    panel = text_of(client.get(f"/juries/draws/{drawn.draw_id}/panel"))
    assert "personal data was erased" in panel
    # The public page still shows the drawn pseudonyms, from the bundle.
    public = text_of(client.get(f"/juries/draws/{drawn.draw_id}"))
    assert len(re.findall(r"<li><code>(V-T\d+)</code></li>", public)) == 4
