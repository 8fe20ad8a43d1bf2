"""Selection runs as jobs, the committed and revealed draw, the panel after it, export and
purge: the services, with a session on each database."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.cli import juries_group
from engage.errors import Conflict, Forbidden, Invalid
from engage.jobs import Job, JobStatus, ThreadRunner
from engage.juries import draws, lottery, services, uploads
from engage.juries.models import (
    Draw,
    FeatureValue,
    Jury,
    JuryFeature,
    JuryStatus,
    MemberAnswer,
    PanelSeat,
    PoolMember,
    RunStatus,
    SeatStatus,
    SelectionRun,
)
from engage.juries.selection import Algorithm
from engage.security import Role
from tests.factories import make_user
from tests.juries.draw_support import (
    PEOPLE,
    RANDOM_VALUE,
    SOURCE,
    add_member,
    committed_draw,
    finished_run,
    in_another_session,
    jury_locked_elsewhere,
    make_drawn_jury,
    make_jury,
    satisfies_quotas,
)

WAIT = 120  # seconds; only reached when something is broken
# What the factories put in volunteers' names, contacts and addresses.
SECRETS = ("Volunteer ", "@example.org", "High Street", "020 7946", "shared-home", "household-")


def thread_runner(app: Flask) -> ThreadRunner:
    runner = app.extensions["engage.jobs"]
    assert isinstance(runner, ThreadRunner)
    return runner


def officer(session: Session) -> User:
    return make_user(session, role=Role.OFFICER)


def run_to_the_end(
    app: Flask, session: Session, jury_id: int, actor: User, algorithm: Algorithm
) -> SelectionRun:
    run = draws.start_run(
        session,
        thread_runner(app),
        jury_id,
        algorithm=algorithm,
        actor=actor,
        m=200,
        legacy_runs=200,
    )
    run_id = run.id
    session.rollback()
    thread_runner(app).drain(timeout=WAIT)
    session.rollback()
    return session.get_one(SelectionRun, run_id)


def audit_actions(session: Session) -> list[str]:
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def audit_details(session: Session, action: str) -> dict[str, Any]:
    entry = session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())
    )
    assert entry is not None, f"no {action} in the audit log"
    return entry.details


def current_panel(session: Session, draw_id: int) -> list[int]:
    """Member ids of the people now on the panel (invited or confirmed)."""
    return list(
        session.scalars(
            sa.select(PanelSeat.member_id).where(
                PanelSeat.draw_id == draw_id,
                PanelSeat.reserve_rank.is_(None),
                PanelSeat.status.in_([SeatStatus.INVITED, SeatStatus.CONFIRMED]),
            )
        )
    )


# --- Selection runs -----------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", [Algorithm.LEXIMIN, Algorithm.LEGACY])
def test_a_run_computes_the_lottery_in_a_job_and_stores_the_report(
    app: Flask, session: Session, algorithm: Algorithm
) -> None:
    manager = officer(session)
    jury = make_jury(session, officers=[manager])
    jury_id = jury.id

    run = run_to_the_end(app, session, jury_id, manager, algorithm)

    assert run.status is RunStatus.DONE, run.result
    job = session.get_one(Job, run.job_id)
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.result == {"run_id": run.id, "status": "done"}
    result = run.result
    assert result is not None
    instance, members = services.build_instance(session, jury_id)
    member_ids = [member.id for member in members]
    index = {member_id: i for i, member_id in enumerate(member_ids)}
    # Panels are named by pool member id and every one of them meets the quotas.
    assert result["member_ids"] == member_ids
    assert result["panel_count"] >= 1
    assert set(result["marginals"]) == {str(m) for m in member_ids}
    assert sum(result["marginals"].values()) == pytest.approx(instance.panel_size)
    # The lottery: exactly m panels, each meeting the quotas, its minimum, the rounding loss.
    drawn = result["lottery"]
    assert drawn["m"] == len(drawn["panels"]) == 200
    for panel in drawn["panels"]:
        assert satisfies_quotas(instance, [index[m] for m in panel])
    shares = Counter(m for panel in drawn["panels"] for m in panel)
    assert drawn["min_probability"] == pytest.approx(min(shares[m] for m in member_ids) / 200)
    assert drawn["loss"] == pytest.approx(result["min_probability"] - drawn["min_probability"])
    # The fairness report the page shows.
    report = draws.run_report(run)
    assert report is not None
    assert report.minimum == pytest.approx(min(result["marginals"].values()))
    assert report.uniform == pytest.approx(4 / len(PEOPLE))
    assert report.legacy_minimum is not None
    assert len(report.deciles) == 11
    assert audit_actions(session)[-2:] == ["jury.selection_started", "jury.selection_finished"]


def test_leximin_gives_the_least_lucky_volunteer_at_least_legacys_chance(
    app: Flask, session: Session
) -> None:
    manager = officer(session)
    jury = make_jury(session, officers=[manager])

    run = run_to_the_end(app, session, jury.id, manager, Algorithm.LEXIMIN)

    report = draws.run_report(run)
    assert report is not None
    assert report.legacy_minimum is not None
    assert report.minimum >= report.legacy_minimum - 0.02  # LEGACY is only estimated
    chances, total = draws.run_probabilities(session, run, page=1, per_page=3)
    assert total == len(PEOPLE)
    assert len(chances) == 3
    assert [c.probability for c in chances] == sorted(c.probability for c in chances)
    assert chances[0].probability == pytest.approx(report.minimum)


def test_infeasible_quotas_end_the_run_with_the_reasons(app: Flask, session: Session) -> None:
    manager = officer(session)
    impossible = {
        "gender": {"female": (3, 3), "male": (1, 1)},
        "age": {"young": (4, 4), "old": (0, 0)},
    }
    jury = make_jury(session, officers=[manager], quotas=impossible)

    run = run_to_the_end(app, session, jury.id, manager, Algorithm.LEXIMIN)

    assert run.status is RunStatus.INFEASIBLE
    problem = draws.infeasibility(run)
    assert problem is not None
    assert problem["reasons"], "the run says why"
    assert all("template" in reason for reason in problem["reasons"])
    assert draws.run_report(run) is None
    assert session.get_one(Job, run.job_id).status is JobStatus.SUCCEEDED


def test_a_run_needs_a_pool_at_least_as_large_as_the_panel(app: Flask, session: Session) -> None:
    manager = officer(session)
    jury = make_jury(session, officers=[manager], people=PEOPLE[:3])
    with pytest.raises(Invalid):
        draws.start_run(
            session, thread_runner(app), jury.id, algorithm=Algorithm.LEXIMIN, actor=manager
        )
    assert session.scalar(sa.select(sa.func.count()).select_from(SelectionRun)) == 0


def test_only_this_jurys_officers_and_admins_manage_its_selection(
    app: Flask, session: Session
) -> None:
    manager = officer(session)
    stranger = officer(session)  # an officer, but not of this jury
    admin = make_user(session, role=Role.ADMIN)
    drawn = make_drawn_jury(session, manager)
    jury = make_jury(session, officers=[manager])
    run = finished_run(session, jury, by=manager)

    refusals: dict[str, Callable[[User], object]] = {
        "start a run": lambda who: draws.start_run(
            session, thread_runner(app), jury.id, algorithm=Algorithm.LEXIMIN, actor=who
        ),
        "see a run": lambda who: draws.get_run(session, run.id, who),
        "commit": lambda who: draws.commit_draw(
            session, run.id, randomness_source=SOURCE, actor=who
        ),
        "see the panel": lambda who: draws.get_panel(session, drawn.draw_id, who),
        "change a seat": lambda who: draws.set_seat_status(
            session, drawn.draw_id, drawn.seat_id, SeatStatus.CONFIRMED, actor=who
        ),
        "export": lambda who: draws.export_panel(session, drawn.draw_id, actor=who),
        "purge": lambda who: draws.purge_jury(
            session, drawn.jury_id, actor=who, today=date.today()
        ),
    }
    for what, attempt in refusals.items():
        with pytest.raises(Forbidden):
            attempt(stranger)
        session.rollback()
        assert what
    assert draws.get_panel(session, drawn.draw_id, admin).seats
    assert session.get_one(Jury, drawn.jury_id).status is JuryStatus.DRAWN


# --- Commit -------------------------------------------------------------------------------------


def test_commit_freezes_the_jury_and_publishes_the_bundles_hash(session: Session) -> None:
    manager = officer(session)
    jury = make_jury(session, officers=[manager])
    run = finished_run(session, jury, by=manager, m=50)

    draw = draws.commit_draw(session, run.id, randomness_source=f"  {SOURCE} ", actor=manager)

    session.expire_all()
    jury = session.get_one(Jury, jury.id)
    assert jury.status is JuryStatus.FROZEN
    assert services.is_frozen(jury)
    assert draw.commitment == hashlib.sha256(draw.bundle.encode("utf-8")).hexdigest()
    assert draw.randomness_source == SOURCE
    bundle = json.loads(draw.bundle)
    assert bundle["randomness_source"] == SOURCE
    assert bundle["m"] == len(bundle["panels"]) == 50
    assert bundle["algorithm"] == "leximin"
    assert bundle["household_rule"] is True
    assert {q["feature"] for q in bundle["quotas"]} == {"gender", "age"}
    pseudonyms = {m.pseudonym for m in session.scalars(sa.select(PoolMember))}
    assert {person["pseudonym"] for person in bundle["people"]} == pseudonyms
    # Households are pseudonymised too: the shared one appears twice, no address shows.
    households = Counter(person["household"] for person in bundle["people"])
    assert sorted(households.values()) == [1] * 6 + [2]
    for secret in ("High Street", "shared-home", "household-", "@example.org", "Volunteer "):
        assert secret not in draw.bundle, secret
    details = audit_details(session, "jury.draw_committed")
    assert details["commitment"] == draw.commitment
    assert details["randomness_source"] == SOURCE


def test_without_the_household_rule_the_bundle_groups_nobody_into_households(
    session: Session,
) -> None:
    manager = officer(session)
    jury = make_jury(session, officers=[manager], household_rule=False)  # 0 and 1 live together
    run = finished_run(session, jury, by=manager)

    draw = draws.commit_draw(session, run.id, randomness_source=SOURCE, actor=manager)

    bundle = json.loads(draw.bundle)
    assert bundle["household_rule"] is False
    households = [person["household"] for person in bundle["people"]]
    # Nobody's living arrangements are published when the selection did not use them.
    assert sorted(households) == sorted(f"h{n}" for n in range(1, len(PEOPLE) + 1))


def test_a_draw_being_committed_waits_for_a_change_in_flight_and_then_sees_it(
    session: Session,
) -> None:
    manager = officer(session)
    jury = make_jury(session, officers=[manager])
    run = finished_run(session, jury, by=manager)
    run_id, jury_id, manager_id = run.id, jury.id, manager.id
    value_id = session.scalars(
        sa.select(FeatureValue.id)
        .join(JuryFeature)
        .where(JuryFeature.jury_id == jury_id)
        .order_by(FeatureValue.id)
    ).first()

    def commit(own: Session) -> Draw:
        actor = own.get_one(User, manager_id)
        return draws.commit_draw(own, run_id, randomness_source=SOURCE, actor=actor)

    with (
        jury_locked_elsewhere(session, jury_id) as setting_quotas,
        in_another_session(session, commit) as committing,
    ):
        time.sleep(0.3)
        assert not committing.done()  # waits for the lock
        setting_quotas.execute(
            sa.update(FeatureValue).where(FeatureValue.id == value_id).values(quota_max=4)
        )
        setting_quotas.commit()
        with pytest.raises(Conflict, match="changed after this selection was run"):
            committing.result(timeout=60)
    assert session.scalar(sa.select(sa.func.count()).select_from(Draw)) == 0
    assert session.get_one(Jury, jury_id).status is JuryStatus.OPEN


def test_a_frozen_jury_takes_no_new_run_and_no_second_commit(app: Flask, session: Session) -> None:
    manager = officer(session)
    draw = committed_draw(session, manager)
    jury_id = draw.jury_id
    other_run = finished_run(session, session.get_one(Jury, jury_id), by=manager)

    with pytest.raises(Conflict):
        draws.start_run(
            session, thread_runner(app), jury_id, algorithm=Algorithm.LEXIMIN, actor=manager
        )
    session.rollback()
    with pytest.raises(Conflict):
        draws.commit_draw(session, other_run.id, randomness_source=SOURCE, actor=manager)
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Draw)) == 1


def test_commit_refuses_a_run_on_a_pool_that_changed_since(session: Session) -> None:
    manager = officer(session)
    jury = make_jury(session, officers=[manager])
    run = finished_run(session, jury, by=manager)
    add_member(session, jury, 99, {"gender": "female", "age": "old"})
    session.commit()

    with pytest.raises(Conflict, match="changed after this selection was run"):
        draws.commit_draw(session, run.id, randomness_source=SOURCE, actor=manager)
    session.rollback()
    assert session.get_one(Jury, jury.id).status is JuryStatus.OPEN


def test_commit_needs_a_randomness_source(session: Session) -> None:
    manager = officer(session)
    jury = make_jury(session, officers=[manager])
    run = finished_run(session, jury, by=manager)
    with pytest.raises(Invalid) as refused:
        draws.commit_draw(session, run.id, randomness_source="   ", actor=manager)
    assert refused.value.field == "randomness_source"


# --- Reveal -------------------------------------------------------------------------------------


def test_reveal_draws_the_panel_the_bundle_names_and_ranks_reserves(session: Session) -> None:
    manager = officer(session)
    draw = committed_draw(session, manager)
    draw_id, bundle, commitment = draw.id, draw.bundle, draw.commitment

    draws.reveal_draw(session, draw_id, random_value=f" {RANDOM_VALUE}\n", actor=manager)

    session.expire_all()
    draw = session.get_one(Draw, draw_id)
    expected = lottery.verify(bundle, RANDOM_VALUE)
    assert draw.random_value == RANDOM_VALUE  # normalised
    assert draw.chosen_index == expected.index
    seats = list(session.scalars(sa.select(PanelSeat).where(PanelSeat.draw_id == draw_id)))
    pseudonym = {m.id: m.pseudonym for m in session.scalars(sa.select(PoolMember))}
    panel = sorted(pseudonym[s.member_id] for s in seats if s.reserve_rank is None)
    assert panel == sorted(expected.panel)
    assert all(s.status is SeatStatus.INVITED for s in seats if s.reserve_rank is None)
    reserves = sorted(
        (s for s in seats if s.reserve_rank is not None), key=lambda s: s.reserve_rank or 0
    )
    rest = [p for p in pseudonym.values() if p not in expected.panel]
    assert [pseudonym[s.member_id] for s in reserves] == lottery.reserve_order(
        commitment, RANDOM_VALUE, rest
    )[:8]
    assert all(s.status is SeatStatus.RESERVE for s in reserves)
    assert session.get_one(Jury, draw.jury_id).status is JuryStatus.DRAWN
    details = audit_details(session, "jury.draw_revealed")
    assert details["random_value"] == RANDOM_VALUE
    assert details["index"] == expected.index
    assert details["panel"] == sorted(expected.panel)
    assert details["commitment"] == commitment


def test_a_second_reveal_is_refused_and_changes_nothing(session: Session) -> None:
    manager = officer(session)
    draw = committed_draw(session, manager)
    draw_id = draw.id
    draws.reveal_draw(session, draw_id, random_value=RANDOM_VALUE, actor=manager)
    seats_before = session.scalar(sa.select(sa.func.count()).select_from(PanelSeat))
    index_before = session.get_one(Draw, draw_id).chosen_index

    with pytest.raises(Conflict, match="already entered"):
        draws.reveal_draw(session, draw_id, random_value="1 2 3 4 5", actor=manager)
    session.rollback()

    draw = session.get_one(Draw, draw_id)
    assert draw.random_value == RANDOM_VALUE
    assert draw.chosen_index == index_before
    assert session.scalar(sa.select(sa.func.count()).select_from(PanelSeat)) == seats_before
    assert audit_actions(session).count("jury.draw_revealed") == 1


def test_reveal_refuses_a_bundle_altered_after_the_commitment(session: Session) -> None:
    manager = officer(session)
    draw = committed_draw(session, manager)
    draw.bundle = draw.bundle.replace('"min":2', '"min":1', 1)  # someone edits the database
    session.commit()
    with pytest.raises(Conflict, match="no longer matches its commitment"):
        draws.reveal_draw(session, draw.id, random_value=RANDOM_VALUE, actor=manager)
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(PanelSeat)) == 0


def test_reveal_refuses_an_empty_random_value(session: Session) -> None:
    manager = officer(session)
    draw = committed_draw(session, manager)
    with pytest.raises(Invalid) as refused:
        draws.reveal_draw(session, draw.id, random_value=" \t ", actor=manager)
    assert refused.value.field == "random_value"
    session.rollback()
    assert session.get_one(Draw, draw.id).random_value is None


def test_verify_draw_reproduces_the_panel_from_the_bundle_alone(
    session: Session, tmp_path: Path, runner: FlaskCliRunner
) -> None:
    manager = officer(session)
    drawn = make_drawn_jury(session, manager)
    draw = session.get_one(Draw, drawn.draw_id)
    public = draws.public_draw(session, draw.id)
    bundle_file = tmp_path / "BUNDLE.json"
    bundle_file.write_bytes(draw.bundle.encode("utf-8"))

    # Click's own runner, with no Flask app anywhere: the command needs no database.
    result = CliRunner().invoke(
        juries_group,
        ["verify-draw", str(bundle_file), RANDOM_VALUE, "--commitment", draw.commitment],
    )

    assert result.exit_code == 0, result.output
    assert f"Commitment: {draw.commitment}" in result.output
    assert f"Chosen panel: {draw.chosen_index} " in result.output
    printed = [line.strip() for line in result.output.splitlines() if line.startswith("  ")]
    assert printed == public.panel
    assert sorted(printed) == sorted(
        m.pseudonym
        for m in session.scalars(
            sa.select(PoolMember).where(PoolMember.id.in_(current_panel(session, draw.id)))
        )
    )
    # The same command as `engage juries verify-draw`, registered in the app's command group.
    through_engage = runner.invoke(args=["juries", "verify-draw", str(bundle_file), RANDOM_VALUE])
    assert through_engage.exit_code == 0, through_engage.output
    assert through_engage.output == result.output


def test_verify_draw_rejects_an_altered_bundle(session: Session, tmp_path: Path) -> None:
    manager = officer(session)
    drawn = make_drawn_jury(session, manager)
    draw = session.get_one(Draw, drawn.draw_id)
    edited = draw.bundle.replace('"min":2', '"min":1', 1)
    altered = tmp_path / "altered.json"
    altered.write_text(edited, encoding="utf-8")
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(json.loads(draw.bundle), indent=2), encoding="utf-8")

    # An edit inside the bundle changes its hash: it no longer matches the commitment.
    result = CliRunner().invoke(
        juries_group,
        ["verify-draw", str(altered), RANDOM_VALUE, "--commitment", draw.commitment],
    )
    assert result.exit_code == 1
    assert "does not match the published commitment" in result.output
    # A reformatted bundle is refused outright.
    result = CliRunner().invoke(juries_group, ["verify-draw", str(pretty), RANDOM_VALUE])
    assert result.exit_code == 1
    assert "canonical" in result.output


# --- After the draw -----------------------------------------------------------------------------


def test_invitation_statuses_follow_the_rules(session: Session) -> None:
    manager = officer(session)
    drawn = make_drawn_jury(session, manager)
    panel = draws.get_panel(session, drawn.draw_id, manager)
    seat, reserve = panel.seats[0], panel.reserves[0]

    draws.set_seat_status(session, drawn.draw_id, seat.id, SeatStatus.CONFIRMED, actor=manager)
    assert session.get_one(PanelSeat, seat.id).status is SeatStatus.CONFIRMED
    details = audit_details(session, "jury.seat_status_changed")
    assert details == {
        "draw_id": drawn.draw_id,
        "seat_id": seat.id,
        "pseudonym": seat.member.pseudonym,
        "from": "invited",
        "to": "confirmed",
    }
    with pytest.raises(Invalid):  # a reserve joins only through a replacement
        draws.set_seat_status(session, drawn.draw_id, reserve.id, SeatStatus.INVITED, actor=manager)
    session.rollback()
    draws.set_seat_status(session, drawn.draw_id, reserve.id, SeatStatus.WITHDRAWN, actor=manager)
    assert session.get_one(PanelSeat, reserve.id).status is SeatStatus.WITHDRAWN


def test_a_replacement_keeps_every_quota_and_records_whom_it_replaces(session: Session) -> None:
    manager = officer(session)
    # Twice the pool: whoever drops out, someone of the same gender and age band can step in.
    drawn = make_drawn_jury(session, manager, people=PEOPLE * 2)
    panel = draws.get_panel(session, drawn.draw_id, manager)
    leaving = panel.seats[1]
    draws.set_seat_status(
        session, drawn.draw_id, panel.seats[0].id, SeatStatus.CONFIRMED, actor=manager
    )
    draws.set_seat_status(session, drawn.draw_id, leaving.id, SeatStatus.DECLINED, actor=manager)
    assert draws.get_panel(session, drawn.draw_id, manager).vacancies == 1

    proposal = draws.propose_replacement(session, drawn.draw_id, manager)
    session.rollback()

    assert proposal.problem is None
    assert len(proposal.newcomers) == 1
    assert [s.id for s in proposal.vacated] == [leaving.id]
    draw = session.get_one(Draw, drawn.draw_id)
    assert proposal.seed == f"{draw.commitment}:{draw.random_value}:replacement-1"
    newcomer = proposal.newcomers[0]
    assert newcomer.id != leaving.member.id

    seats = draws.accept_replacement(
        session, drawn.draw_id, expected=proposal.member_ids, actor=manager
    )

    assert [s.replaces_id for s in seats] == [leaving.id]
    assert session.get_one(PanelSeat, seats[0].id).status is SeatStatus.INVITED
    instance, members = services.build_instance(session, drawn.jury_id)
    index = {member.id: i for i, member in enumerate(members)}
    now = [index[m] for m in current_panel(session, drawn.draw_id)]
    assert len(now) == 4
    assert leaving.member.id not in current_panel(session, drawn.draw_id)
    assert satisfies_quotas(instance, now)
    details = audit_details(session, "jury.replacement_accepted")
    assert details["joined"] == [newcomer.pseudonym]
    assert details["replacing"] == [leaving.member.pseudonym]
    assert draws.get_panel(session, drawn.draw_id, manager).vacancies == 0
    # The replaced seat cannot be brought back: the panel would have five.
    with pytest.raises(Conflict):
        draws.set_seat_status(
            session, drawn.draw_id, leaving.id, SeatStatus.CONFIRMED, actor=manager
        )


def test_a_stale_replacement_proposal_is_refused(session: Session) -> None:
    manager = officer(session)
    drawn = make_drawn_jury(session, manager)
    panel = draws.get_panel(session, drawn.draw_id, manager)
    draws.set_seat_status(
        session, drawn.draw_id, panel.seats[2].id, SeatStatus.WITHDRAWN, actor=manager
    )
    with pytest.raises(Conflict, match="changed since"):
        draws.accept_replacement(session, drawn.draw_id, expected=[999_999], actor=manager)
    session.rollback()
    with pytest.raises(Conflict, match="Nobody needs replacing"):
        other = make_drawn_jury(session, manager)
        draws.accept_replacement(session, other.draw_id, expected=[], actor=manager)


def test_export_lists_the_panel_with_contacts_and_is_audit_logged(session: Session) -> None:
    manager = officer(session)
    drawn = make_drawn_jury(session, manager)
    panel = draws.get_panel(session, drawn.draw_id, manager)

    text, filename = draws.export_panel(session, drawn.draw_id, actor=manager)

    lines = text.splitlines()
    assert lines[0].startswith("seat,reserve_rank,status,pseudonym,name,email")
    assert len(lines) == 1 + len(panel.seats) + len(panel.reserves)
    first = panel.seats[0].member
    assert f"panel,,invited,{first.pseudonym},{first.name},{first.email}" in text
    assert filename.endswith("-panel.csv")
    details = audit_details(session, "jury.panel_exported")
    assert details == {"draw_id": drawn.draw_id, "seats": 4, "reserves": 4}  # the rest of 8


def test_export_neutralises_spreadsheet_formulas(session: Session) -> None:
    manager = officer(session)
    drawn = make_drawn_jury(session, manager)
    seat = draws.get_panel(session, drawn.draw_id, manager).seats[0]
    session.get_one(PoolMember, seat.member.id).name = '=HYPERLINK("http://evil")'
    session.commit()
    text, _ = draws.export_panel(session, drawn.draw_id, actor=manager)
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text


# --- Purge --------------------------------------------------------------------------------------


def test_purge_erases_every_personal_detail_and_keeps_the_counts_and_bundle(
    session: Session,
) -> None:
    manager = officer(session)
    big_pool = PEOPLE * 3  # 12 women and 12 men, so some counts are not suppressed
    drawn = make_drawn_jury(session, manager, people=big_pool)
    bundle_before = session.get_one(Draw, drawn.draw_id).bundle
    draws.export_panel(session, drawn.draw_id, actor=manager)

    jury = draws.purge_jury(session, drawn.jury_id, actor=manager, today=date.today())

    assert jury.status is JuryStatus.PURGED
    assert jury.purged_at is not None
    for model in (PoolMember, MemberAnswer, PanelSeat):
        assert session.scalar(sa.select(sa.func.count()).select_from(model)) == 0, model
    counts = jury.aggregate_counts
    assert counts is not None
    assert counts["pool_total"] == 24
    assert counts["panel_total"] == 4
    assert counts["pool"]["gender"] == {"female": 12, "male": 12}
    assert counts["pool"]["age"] == {"young": 12, "old": 12}
    assert counts["panel"]["gender"] == {"female": None, "male": None}  # under 10: suppressed
    assert session.get_one(Draw, drawn.draw_id).bundle == bundle_before
    assert draws.public_draw(session, drawn.draw_id).panel  # still verifiable by pseudonym
    # Nothing that identifies a volunteer is left anywhere in the database.
    leftovers = []
    for table in ("juries", "selection_runs", "draws", "audit_entries", "jobs", "feature_values"):
        for row in session.execute(sa.text(f"SELECT * FROM {table}")):  # noqa: S608
            text = json.dumps([str(v) for v in row])
            for secret in SECRETS:
                if secret in text:
                    leftovers.append((table, secret))
    assert not leftovers
    run = session.get_one(SelectionRun, drawn.run_id)
    assert run.result is not None
    assert "marginals" not in run.result and "panels" not in run.result
    assert draws.run_report(run) is not None  # the fairness summary stays
    assert audit_details(session, "jury.purged")["reason"] == "explicit"


def test_purge_waits_for_the_draw_or_the_retention_date(session: Session) -> None:
    manager = officer(session)
    jury = make_jury(session, officers=[manager])
    with pytest.raises(Conflict):
        draws.purge_jury(session, jury.id, actor=manager, today=date.today())
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(PoolMember)) == len(PEOPLE)

    later = jury.retention_until + timedelta(days=1)
    draws.purge_jury(session, jury.id, actor=manager, today=later)
    assert session.scalar(sa.select(sa.func.count()).select_from(PoolMember)) == 0
    assert audit_details(session, "jury.purged")["reason"] == "retention"
    with pytest.raises(Conflict, match="already been purged"):
        draws.purge_jury(session, jury.id, actor=manager, today=later)


def test_engage_juries_purge_expired_purges_past_their_retention_date_with_their_uploads(
    app: Flask, session: Session, runner: FlaskCliRunner
) -> None:
    manager = officer(session)
    expired = make_jury(
        session, officers=[manager], retention_until=date.today() - timedelta(days=1)
    )
    current = make_jury(session, officers=[manager])
    expired_id, expired_title, current_id = expired.id, expired.title, current.id
    base = uploads.base_folder(app.instance_path)
    staged = uploads.stage(base, expired_id, b"id,name\n1,Ann\n", None, replace=False)
    kept = uploads.stage(base, current_id, b"id,name\n1,Bo\n", None, replace=False)
    session.rollback()  # let go of SQLite's write lock: the command needs it

    result = runner.invoke(args=["juries", "purge-expired"])

    assert result.exit_code == 0, result.output
    assert f"jury {expired_id}: {expired_title}" in result.output
    assert f"jury {current_id}:" not in result.output
    assert session.get_one(Jury, expired_id).status is JuryStatus.PURGED
    assert session.get_one(Jury, current_id).status is JuryStatus.OPEN
    assert set(session.scalars(sa.select(PoolMember.jury_id))) == {current_id}
    assert uploads.load(base, expired_id, staged) is None
    assert not (base / str(expired_id)).exists()
    assert uploads.load(base, current_id, kept) is not None
    session.rollback()

    again = runner.invoke(args=["juries", "purge-expired"])
    assert again.exit_code == 0, again.output
    assert "nothing purged" in again.output
    purges = sa.select(sa.func.count()).where(AuditEntry.action == "jury.purged")
    assert session.scalar(purges) == 1


def test_expired_juries_are_purged_on_schedule(session: Session) -> None:
    manager = officer(session)
    expired = make_jury(
        session, officers=[manager], retention_until=date.today() - timedelta(days=1)
    )
    current = make_jury(session, officers=[manager])

    assert draws.purge_expired(session, today=date.today()) == [expired.id]

    remaining = set(session.scalars(sa.select(PoolMember.jury_id)))
    assert remaining == {current.id}
    assert session.get_one(Jury, expired.id).status is JuryStatus.PURGED
    assert session.scalar(sa.select(sa.func.count()).select_from(FeatureValue)) == 8


# --- Who was drawn, for advisory groups filling seats by lot ------------------------------------


def test_drawn_people_are_the_revealed_panel_still_in_with_their_accounts(
    session: Session,
) -> None:
    officer = make_user(session, role=Role.OFFICER)
    assert services.drawn_people(session, committed_draw(session, officer).jury_id) is None

    drawn = make_drawn_jury(session, officer)
    panel = draws.get_panel(session, drawn.draw_id, officer)
    first, second = panel.seats[0], panel.seats[1]
    resident = make_user(session)
    session.execute(
        sa.update(PoolMember).where(PoolMember.id == first.member.id).values(user_id=resident.id)
    )
    session.commit()
    draws.set_seat_status(session, drawn.draw_id, second.id, SeatStatus.DECLINED, actor=officer)

    people = services.drawn_people(session, drawn.jury_id)

    assert people is not None
    assert len(people) == len(panel.seats) - 1  # the one who declined is not offered a seat
    assert people[0].user_id == resident.id
    assert all(person.user_id is None for person in people[1:])  # volunteered without an account
