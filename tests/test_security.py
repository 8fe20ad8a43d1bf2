"""Who may reach what, and the defences every page has: access rules on every route, security
headers, secure cookies, CSRF, escaping of user text, and odd input that must never crash a page."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Blueprint, Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

import engage.pages
from engage import create_app, security
from engage.accounts import services as accounts
from engage.accounts.models import User
from engage.advisory.models import MemberRole, SeatFilling
from engage.appraisals.models import Status, SubmissionState
from engage.codesign import services as codesign_services
from engage.codesign.models import RoundKind, RoundStatus
from engage.evaluation import coding, frame, index
from engage.evaluation import outcomes as harvest
from engage.evaluation.models import (
    Code,
    CodeApplication,
    HarvestedOutcome,
    LearningEntry,
    LearningLoop,
    ThemeRun,
)
from engage.evaluation.outcomes import LearningFields, OutcomeFields
from engage.evaluation.themes import MIN_TEXTS
from engage.extensions import db
from engage.jobs import Job
from engage.security import Role, public, safe_next_url
from tests.factories import (
    DEFAULT_PASSWORD,
    make_appraisal,
    make_area,
    make_code,
    make_comment,
    make_contribution,
    make_draft,
    make_evidence,
    make_exercise,
    make_group,
    make_indicator,
    make_instrument,
    make_jury,
    make_meeting,
    make_membership,
    make_mission,
    make_outcome,
    make_paper,
    make_photo,
    make_process,
    make_project,
    make_recommendation,
    make_response,
    make_round,
    make_science_project,
    make_submission,
    make_user,
    record_presence,
    small_pdf,
)
from tests.juries.draw_support import RANDOM_VALUE as DRAW_RANDOM_VALUE
from tests.juries.draw_support import SOURCE as DRAW_SOURCE
from tests.juries.draw_support import make_drawn_jury

MakeApp = Callable[..., Flask]

# --- The intended audience of every route ------------------------------------------------------
# This table is the specification. Adding a route means adding it here, on purpose.

AUDIENCE: dict[str, str] = {
    "pages.home": "public",
    "pages.job": "signed_in",  # the job's creator and admins; others get 403 from the service
    "pages.job_status": "signed_in",
    "pages.audit_log": "admin",
    "pages.verify_audit_log": "admin",
    "accounts.register": "public",
    "accounts.about_you": "signed_in",
    "accounts.sign_in": "public",
    "accounts.sign_out": "public",
    "accounts.request_reset": "public",
    "accounts.reset_password": "public",
    "accounts.account": "signed_in",
    "accounts.change_password": "signed_in",
    "accounts.users": "admin",
    "accounts.edit_roles": "admin",
    "missions.index": "public",
    "missions.show": "public",
    "missions.history": "public",
    "missions.register": "public",
    "missions.create": "officer",
    "missions.edit": "officer",
    "missions.new_version": "officer",
    "missions.new_outcome": "officer",
    "missions.edit_outcome": "officer",
    "missions.new_indicator": "officer",
    "missions.edit_indicator": "officer",
    "missions.new_project": "officer",
    "missions.edit_project": "officer",
    "missions.new_recommendation": "officer",
    "missions.recommendation": "officer",
    "missions.respond": "officer",
    "missions.add_update": "officer",
    # juries: setup and pool
    # "officer" routes that change or show one jury's set-up also need the jury's own officer
    # (or an admin): others get 403 from the service (tests/juries/test_views.py checks it).
    "juries.index": "public",
    "juries.show": "public",
    "juries.volunteer": "public",
    "juries.volunteer_thanks": "public",
    "juries.create": "officer",
    "juries.edit": "officer",
    "juries.officers": "officer",
    "juries.remove_officer": "officer",
    "juries.features": "officer",
    "juries.edit_feature": "officer",
    "juries.remove_feature": "officer",
    "juries.pool": "officer",
    "juries.import_pool": "officer",
    "juries.confirm_import": "officer",
    "juries.export_pool": "officer",
    "juries.quotas": "officer",
    "juries.import_quotas": "officer",
    "juries.propose_quotas": "officer",
    "juries.export_quotas": "officer",
    "juries.feasibility": "officer",
    "juries.relax_quotas": "officer",
    # juries: selection, draws and panels
    # Officer routes also need the jury's own officer (or an admin): others get 403 from the
    # service (tests/juries/test_draw_views.py checks it). The draw page and bundle are public.
    "jury_draws.selection": "officer",
    "jury_draws.run": "officer",
    "jury_draws.run_status": "officer",
    "jury_draws.commit": "officer",
    "jury_draws.draw": "public",
    "jury_draws.bundle": "public",
    "jury_draws.reveal": "officer",
    "jury_draws.panel": "officer",
    "jury_draws.set_seat_status": "officer",
    "jury_draws.replacement": "officer",
    "jury_draws.export_panel": "officer",
    "jury_draws.purge": "officer",
    # co-design: taking part. Changing a contribution or comment is for its author; others get
    # 403 from the service (tests/codesign/test_views.py checks it). Opinion groups are public
    # once the round closes.
    "codesign.index": "public",
    "codesign.process": "public",
    "codesign.round": "public",
    "codesign.contribution": "public",
    "codesign.opinions": "public",
    "codesign.contribute": "signed_in",
    "codesign.edit_contribution": "signed_in",
    "codesign.support": "signed_in",
    "codesign.comment": "signed_in",
    "codesign.edit_comment": "signed_in",
    "codesign.report_contribution": "signed_in",
    "codesign.report_comment": "signed_in",
    "codesign.vote": "signed_in",
    "codesign.rate": "signed_in",
    "codesign.priorities": "signed_in",
    "codesign.mine": "signed_in",
    # co-design: running it
    "codesign_manage.new_process": "officer",
    "codesign_manage.edit_process": "officer",
    "codesign_manage.new_round": "officer",
    "codesign_manage.edit_round": "officer",
    "codesign_manage.round_status": "officer",
    "codesign_manage.move_round": "officer",
    "codesign_manage.moderation": "officer",
    "codesign_manage.moderate_contribution": "officer",
    "codesign_manage.moderate_comment": "officer",
    "codesign_manage.compute_opinions": "officer",
    "codesign_manage.synthesis": "officer",
    # advisory groups. The member pages (interests, attendance, minutes, papers, the workspace)
    # are for signed-in people; their services admit the member concerned, the group's members,
    # its chair or officers as each rule says, and others get 403 (tests/advisory check it).
    "advisory.index": "public",
    "advisory.show": "public",
    "advisory.new": "officer",
    "advisory.edit": "officer",
    "advisory.members": "officer",
    "advisory.change_role": "officer",
    "advisory.end_membership": "officer",
    "advisory.interests": "signed_in",
    "advisory.fill_by_lot": "officer",
    "advisory_meetings.index": "public",
    "advisory_meetings.show": "public",
    "advisory_meetings.calendar": "public",
    "advisory_meetings.paper": "public",
    "advisory_meetings.new": "officer",
    "advisory_meetings.edit": "officer",
    "advisory_meetings.delete_paper": "officer",
    "advisory_meetings.upload_paper": "signed_in",
    "advisory_meetings.attendance": "signed_in",
    "advisory_meetings.minutes": "signed_in",
    "advisory_workspace.recommendations": "public",
    "advisory_workspace.workspace": "signed_in",
    "advisory_workspace.new_draft": "signed_in",
    "advisory_workspace.draft": "signed_in",
    "advisory_workspace.revise": "signed_in",
    "advisory_workspace.comment": "signed_in",
    "advisory_workspace.adopt": "signed_in",
    "advisory_workspace.withdraw": "signed_in",
    # citizen science: projects and their forms
    "appraisal_projects.index": "public",
    "appraisal_projects.show": "public",
    "appraisal_projects.new": "officer",
    "appraisal_projects.edit": "officer",
    "appraisal_projects.form_builder": "officer",
    "appraisal_projects.add_field": "officer",
    "appraisal_projects.edit_field": "officer",
    "appraisal_projects.delete_field": "officer",
    "appraisal_projects.move_field": "officer",
    "appraisal_projects.import_form": "officer",
    "appraisal_projects.change_status": "officer",
    # citizen science: submitting, and one's own submissions (their services admit the author
    # and reviewers); photos are public when approved, the author's and reviewers' otherwise
    "appraisal_submissions.submit": "signed_in",
    "appraisal_submissions.show": "signed_in",
    "appraisal_submissions.correct": "signed_in",
    "appraisal_submissions.mine": "signed_in",
    "appraisal_submissions.photo": "public",
    # citizen science: review and exports (officers and evaluators), the public map and list
    "appraisal_review.queue": "reviewer",
    "appraisal_review.detail": "reviewer",
    "appraisal_review.bulk": "reviewer",
    "appraisal_review.export": "reviewer",
    "appraisal_review.map": "public",
    "appraisal_review.map_data": "public",
    "appraisal_review.observations": "public",
    # community appraisals (results: staff while open, everyone once closed)
    "appraisal_instruments.index": "public",
    "appraisal_instruments.show": "public",
    "appraisal_instruments.results": "public",
    "appraisal_instruments.appraise": "signed_in",
    "appraisal_instruments.new": "officer",
    "appraisal_instruments.edit": "officer",
    "appraisal_instruments.status": "officer",
    "appraisal_instruments.new_criterion": "officer",
    "appraisal_instruments.edit_criterion": "officer",
    "appraisal_instruments.move_criterion": "officer",
    "appraisal_instruments.delete_criterion": "officer",
    "appraisal_instruments.group": "officer",
    "appraisal_instruments.areas": "officer",
    "appraisal_instruments.new_area": "officer",
    "appraisal_instruments.edit_area": "officer",
    "appraisal_instruments.delete_area": "officer",
    # multi-criteria mapping (results: staff while open, everyone once closed)
    "appraisal_mapping.index": "public",
    "appraisal_mapping.exercise": "public",
    "appraisal_mapping.results": "public",
    "appraisal_mapping.respond": "signed_in",
    "appraisal_mapping.new": "officer",
    "appraisal_mapping.edit": "officer",
    "appraisal_mapping.add_option": "officer",
    "appraisal_mapping.add_criterion": "officer",
    "appraisal_mapping.edit_option": "officer",
    "appraisal_mapping.edit_criterion": "officer",
    "appraisal_mapping.delete_option": "officer",
    "appraisal_mapping.delete_criterion": "officer",
    "appraisal_mapping.status": "officer",
    # evaluation: the workbench is for evaluators; the printable report is for officers too
    "evaluation.missions_list": "reviewer",
    "evaluation.index_page": "evaluator",
    "evaluation.refresh": "evaluator",
    "evaluation_themes.runs": "evaluator",
    "evaluation_themes.start": "evaluator",
    "evaluation_themes.run": "evaluator",
    "evaluation_themes.run_status": "evaluator",
    "evaluation_themes.adopt": "evaluator",
    "evaluation_frame.codes": "evaluator",
    "evaluation_frame.create": "evaluator",
    "evaluation_frame.code": "evaluator",
    "evaluation_frame.edit": "evaluator",
    "evaluation_frame.merge": "evaluator",
    "evaluation_frame.split": "evaluator",
    "evaluation_frame.retire": "evaluator",
    "evaluation_frame.reinstate": "evaluator",
    "evaluation_frame.add_memo": "evaluator",
    "evaluation_frame.versions": "evaluator",
    "evaluation_frame.version": "evaluator",
    "evaluation_coding.item": "evaluator",
    "evaluation_coding.apply": "evaluator",
    "evaluation_coding.remove": "evaluator",
    "evaluation_coding.add_memo": "evaluator",
    "evaluation_coding.samples": "evaluator",
    "evaluation_coding.create_sample": "evaluator",
    "evaluation_coding.sample": "evaluator",
    "evaluation_outcomes.outcomes": "evaluator",
    "evaluation_outcomes.new_outcome": "evaluator",
    "evaluation_outcomes.outcome": "evaluator",
    "evaluation_outcomes.edit_outcome": "evaluator",
    "evaluation_outcomes.delete_outcome": "evaluator",
    "evaluation_outcomes.link_evidence": "evaluator",
    "evaluation_outcomes.unlink_evidence": "evaluator",
    "evaluation_outcomes.learning": "evaluator",
    "evaluation_outcomes.add_entry": "evaluator",
    "evaluation_outcomes.edit_entry": "evaluator",
    "evaluation_outcomes.delete_entry": "evaluator",
    "evaluation_report.report": "reviewer",
    "evaluation_package.package": "evaluator",
    "evaluation_package.download": "evaluator",
}

ROLES = ("anonymous", "resident", "officer", "evaluator", "admin")
# Admins hold every role.
WHO_MAY: dict[str, frozenset[str]] = {
    "public": frozenset(ROLES),
    "signed_in": frozenset(ROLES) - {"anonymous"},
    "officer": frozenset({"officer", "admin"}),
    "evaluator": frozenset({"evaluator", "admin"}),
    "reviewer": frozenset({"officer", "evaluator", "admin"}),
    "admin": frozenset({"admin"}),
}


def routes(app: Flask) -> list[Any]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"),
        key=lambda rule: (rule.endpoint, rule.rule),
    )


def test_every_route_has_an_intended_audience_in_the_table(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in routes(app)}
    missing = sorted(endpoints - set(AUDIENCE))
    stale = sorted(set(AUDIENCE) - endpoints)
    assert not missing, f"routes not in AUDIENCE; say who may use them: {missing}"
    assert not stale, f"AUDIENCE names routes that no longer exist: {stale}"
    assert set(AUDIENCE.values()) <= set(WHO_MAY)


# --- Rows to point URLs at ---------------------------------------------------------------------


@contextmanager
def database(app: Flask) -> Iterator[Session]:
    """A session in a short app context, closed before any request is made."""
    with app.app_context():
        yield db.session


@dataclass(frozen=True)
class Scene:
    """Ids of a small world, and the URL arguments every route needs."""

    user_ids: dict[str, int]  # role name -> a user holding it
    url_args: dict[str, Any]
    # Valid form input that depends on the scene's rows (ids, e-mail addresses, files given as
    # (bytes, file name)), per endpoint, added to the "valid" payload.
    form_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    # URL arguments for one endpoint that differ from ``url_args`` (co-design routes all take a
    # round_id, and each needs a round of its own kind).
    url_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def url(self, app: Flask, rule: Any) -> str:
        """The rule's URL; an override the rule does not take goes in the query string
        (``?mission=`` for pages that make something for a mission)."""
        overrides = self.url_overrides.get(rule.endpoint, {})
        args = {**self.url_args, **overrides}
        query = {name: value for name, value in overrides.items() if name not in rule.arguments}
        with app.test_request_context():
            return url_for(rule.endpoint, **{name: args[name] for name in rule.arguments}, **query)


def build_scene(app: Flask, role: str, *, password: str | None = None) -> Scene:
    """One of everything, with a job started by ``role`` (its creator may follow it)."""
    with database(app) as session:
        users = {
            name: make_user(session, role=Role(name), password=password)
            for name in ("resident", "officer", "evaluator", "admin")
        }
        target = make_user(session, display_name="Someone Else")
        mission = make_mission(session, title="Quieter streets", slug="quieter-streets")
        outcome = make_outcome(session, mission)
        indicator = make_indicator(session, outcome)
        project = make_project(session, mission)
        recommendation = make_recommendation(session, mission)
        make_response(session, recommendation)  # so implementation updates may be added
        owner = users.get(role)
        job = Job(kind="audit.verify", params={}, created_by_id=owner.id if owner else None)
        session.add(job)
        session.commit()
        jury_args, jury_forms = jury_setup_scene(session, users, mission)
        draw_args, draw_forms = jury_draw_scene(session, users)
        codesign = codesign_scene(session, owner or target, mission)
        advisory = advisory_scene(app, session, users, owner or target, mission)
        appraisals = appraisals_scene(app, session, users, owner or target, mission)
        evaluation = evaluation_scene(app, session, users, owner or target, mission)
        return Scene(
            user_ids={name: user.id for name, user in users.items()},
            form_values={
                **jury_forms,
                **draw_forms,
                **codesign.form_values,
                **advisory.form_values,
                **appraisals.form_values,
                **evaluation.form_values,
            },
            url_overrides={
                **codesign.url_overrides,
                **advisory.url_overrides,
                **appraisals.url_overrides,
                **evaluation.url_overrides,
            },
            url_args={
                **jury_args,
                **draw_args,
                **codesign.url_args,
                **advisory.url_args,
                **appraisals.url_args,
                **evaluation.url_args,
                "slug": mission.slug,
                "outcome_id": outcome.id,
                "indicator_id": indicator.id,
                "project_id": project.id,
                "recommendation_id": recommendation.id,
                "user_id": target.id,
                "job_id": job.id,
                "token": accounts.make_reset_token(target, app.config["SECRET_KEY"]),
            },
        )


# juries: setup and pool
def jury_setup_scene(
    session: Session, users: dict[str, User], mission: Any
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A jury the officer runs (empty pool, one feature) and an open jury taking volunteers;
    their URL arguments, and the valid input of the forms that need their ids."""
    managed = make_jury(
        session, mission, slug="managed-jury", officers=(users["officer"],), features=GENDER
    )
    taking_volunteers = make_jury(session, mission, slug="open-jury", features=GENDER)
    feature = managed.features[0]
    question = taking_volunteers.features[0]
    jury_fields = {
        "question": "How should our streets change?",
        "panel_size": "12",
        "purpose": "To select a jury like the borough.",
        "registration_opens": "",
        "registration_closes": "",
        "retention_until": (TODAY + timedelta(days=400)).isoformat(),
        "household_rule": "y",
    }
    quotas = b"feature,value,min,max\ngender,female,0,2\ngender,male,0,2\n"
    forms: dict[str, dict[str, Any]] = {
        "juries.create": {**jury_fields, "mission_id": str(mission.id), "status": "draft"},
        "juries.edit": {**jury_fields, "status": "open"},
        "juries.features": {"label": "Age band", "values": "16-39\n40+"},
        "juries.edit_feature": {"label": "Gender", "key": "gender", "values": "female\nmale"},
        "juries.officers": {"email": users["admin"].email},
        "juries.import_pool": {
            "people": (b"id,gender\nx1,female\nx2,male\n", "people.csv"),
            "quotas": (quotas, "features.csv"),
        },
        "juries.confirm_import": {"attest": "y"},
        "juries.import_quotas": {"quotas": (quotas, "features.csv")},
        "juries.volunteer": {
            f"q{question.id}": str(question.values[0].id),
            "consent": "y",
            "address_line1": "1 Quiet Road",
            "city": "London",
            "postcode": "N1 1AA",
        },
    }
    url_args = {
        "jury_id": managed.id,
        "feature_id": feature.id,
        "jury_slug": taking_volunteers.slug,
        "upload": "no-such-upload-0000000000",
    }
    return url_args, forms


GENDER = {"gender": ["female", "male"]}
# POST routes that answer with a file rather than a redirect.
DOWNLOADS = {
    "juries.export_pool",
    "jury_draws.export_panel",
    "appraisal_review.export",
    "evaluation_package.download",
}
# Posts whose answer is a page of results rather than a redirect.
RESULT_PAGES = {"appraisal_projects.import_form"}


# juries: selection, draws and panels
def jury_draw_scene(
    session: Session, users: dict[str, User]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A jury of the officer's whose draw is committed and revealed (its run, draw and a panel
    seat), and the valid input of the draw forms. Routes that take a jury_id use the set-up
    scene's jury."""
    drawn = make_drawn_jury(session, users["officer"])
    forms: dict[str, dict[str, Any]] = {
        "jury_draws.commit": {"randomness_source": DRAW_SOURCE, "confirm": "y"},
        "jury_draws.reveal": {"random_value": DRAW_RANDOM_VALUE, "confirm": "y"},
        "jury_draws.set_seat_status": {"status": "confirmed"},
        "jury_draws.purge": {"confirm": "y"},
    }
    url_args = {"run_id": drawn.run_id, "draw_id": drawn.draw_id, "seat_id": drawn.seat_id}
    return url_args, forms


# co-design
@dataclass(frozen=True)
class CodesignScene:
    url_args: dict[str, Any]
    url_overrides: dict[str, dict[str, Any]]
    form_values: dict[str, dict[str, Any]]


ROUND_FORM = {
    "kind": "ideas",
    "prompt": "What would you change?",
    "opens_at": "2030-01-01T09:00",
    "closes_at": "2030-02-01T17:00",
    "moderation": "after",
}


def codesign_scene(session: Session, author: User, mission: Any) -> CodesignScene:
    """A process with a round of every kind open (and a closed statements round), an idea and a
    comment by ``author`` (the role being tested, so its edit pages are theirs), and the valid
    input of the forms that need these rows' ids."""
    process = make_process(session, mission)
    ideas = make_round(session, process)
    statements = make_round(session, process, kind=RoundKind.STATEMENTS, items=("Quiet nights",))
    closed = make_round(
        session, process, kind=RoundKind.STATEMENTS, status=RoundStatus.CLOSED, items=("Trees",)
    )
    draft = make_round(session, process, kind=RoundKind.DRAFT_REVIEW, items=("Paragraph one.",))
    ranking = make_round(session, process, kind=RoundKind.PRIORITIES, items=("Trees", "Benches"))
    idea = make_contribution(session, ideas, author)
    comment = make_comment(session, idea, author)
    first, second = [o.id for o in codesign_services.seeded_items(session, ranking.id)]
    statement_id = codesign_services.seeded_items(session, statements.id)[0].id
    to_close = make_round(session, process)
    moderated = make_contribution(session, ideas, title="Another idea")
    moderated_comment = make_comment(session, moderated)
    return CodesignScene(
        url_args={
            "process_id": process.id,
            "round_id": ideas.id,
            "contribution_id": idea.id,
            "comment_id": comment.id,
        },
        url_overrides={
            "codesign.vote": {"round_id": statements.id},
            "codesign.opinions": {"round_id": closed.id},
            "codesign.rate": {"round_id": draft.id},
            "codesign.priorities": {"round_id": ranking.id},
            "codesign_manage.round_status": {"round_id": to_close.id},
            "codesign_manage.compute_opinions": {"round_id": closed.id},
            "codesign_manage.synthesis": {"round_id": closed.id},
            "codesign_manage.moderate_contribution": {"contribution_id": moderated.id},
            "codesign_manage.moderate_comment": {"comment_id": moderated_comment.id},
        },
        form_values={
            "codesign.vote": {"statement_id": str(statement_id), "vote": "agree"},
            "codesign.rate": {"score": "4"},
            "codesign.priorities": {f"option_{first}": "2", f"option_{second}": "1"},
            "codesign.comment": {"parent_id": str(comment.id)},
            "codesign.report_contribution": {"reason": "It names a neighbour."},
            "codesign.report_comment": {"reason": "It names a neighbour."},
            "codesign_manage.new_process": {"mission_id": str(mission.id)},
            "codesign_manage.new_round": ROUND_FORM,
            "codesign_manage.edit_round": ROUND_FORM,
            "codesign_manage.round_status": {"action": "close"},
            "codesign_manage.move_round": {"direction": "down"},
            "codesign_manage.moderate_contribution": {"action": "hide", "reason": "Advertising."},
            "codesign_manage.moderate_comment": {"action": "hide", "reason": "Advertising."},
            "codesign_manage.synthesis": {"text": "People want trees.", "action": "save"},
        },
    )


# advisory groups
def advisory_scene(
    app: Flask, session: Session, users: dict[str, User], chair: User, mission: Any
) -> CodesignScene:
    """A group filled by lot whose members are every role's user, chaired by the role being
    tested (the workspace and the meeting forms are members'), and one more member whose role
    changes and whose membership ends; a quorate meeting that has begun, with a paper, and one to
    reschedule; a draft per
    workspace action; and an account that may join."""
    drawn = make_drawn_jury(session, users["officer"])
    group = make_group(
        session, mission, slug="quieter-streets-group", seats=8,
        filling=SeatFilling.LOT, responsible_officer=users["officer"],
    )  # fmt: skip
    group.jury_id = drawn.jury_id
    session.commit()
    seats = {
        user.id: make_membership(
            session, group, user, role=MemberRole.CHAIR if user is chair else MemberRole.MEMBER
        )
        for user in {*users.values(), chair}
    }
    meeting = make_meeting(session, group, starts_at=datetime.now(UTC) - timedelta(days=1))
    record_presence(session, meeting, *seats.values())  # quorate, so it can adopt
    paper = make_paper(session, meeting, Path(app.instance_path) / "advisory-papers")
    rescheduled = make_meeting(session, group, title="To be moved")
    drafts = {
        action: make_draft(session, group, chair).id
        for action in ("adopt", "comment", "revise", "withdraw")
    }
    joining = make_user(session, email="joining@example.org")
    leaving = make_membership(session, group)  # whose role changes and membership ends
    group_fields = {
        "name": "Quiet Streets Panel", "purpose": "Advise on noise.", "remit": "Night noise.",
        "seats": "8", "term_months": "36", "seats_renewed": "2", "rotation_months": "12",
        "quorum": "3", "responsible_officer_email": users["officer"].email,
    }  # fmt: skip
    return CodesignScene(
        url_args={
            "group_slug": group.slug,
            "membership_id": seats[chair.id].id,
            "meeting_id": meeting.id,
            "paper_id": paper.id,
            "draft_id": drafts["comment"],
        },
        url_overrides={
            **{
                f"advisory_workspace.{action}": {"draft_id": draft_id}
                for action, draft_id in drafts.items()
            },
            "advisory_meetings.edit": {"meeting_id": rescheduled.id},
            "advisory.change_role": {"membership_id": leaving.id},
            "advisory.end_membership": {"membership_id": leaving.id},
        },
        form_values={
            "advisory.new": {
                **group_fields,
                "slug": "a-new-group",
                "mission_id": "",
                "filling": "appointment",
                "jury_id": "",
            },
            "advisory.edit": {
                **group_fields,
                "slug": group.slug,
                "mission_id": str(mission.id),
                "filling": "lot",
                "jury_id": str(drawn.jury_id),
            },
            "advisory.members": {
                "email": joining.email,
                "role": "member",
                "filled_by": "appointment",
                "term_start": TODAY.isoformat(),
                "term_end": "",
                "interests_public": "y",
            },
            "advisory.change_role": {"role": "vice_chair"},
            "advisory.end_membership": {"ended_on": TODAY.isoformat(), "reason": "Moved away."},
            "advisory.interests": {"interests": "School governor.", "interests_public": "y"},
            "advisory_meetings.new": MEETING_FORM,
            "advisory_meetings.edit": MEETING_FORM,
            "advisory_meetings.upload_paper": {
                "title": "Agenda pack",
                "file": (small_pdf(), "pack.pdf"),
            },
            "advisory_meetings.attendance": {f"member_{seats[chair.id].id}": "present"},
            "advisory_meetings.minutes": {
                "minutes": "Ada opened the meeting.",
                "decisions": "Ask for sensors.",
                "reason": "",
                "action": "save",
            },
            "advisory_workspace.adopt": {"meeting_id": str(meeting.id)},
            "advisory_workspace.comment": {"comment": "Agreed."},
        },
    )


# citizen science and appraisals
# An XLSForm saved by LibreOffice Calc (see tests/appraisals/fixtures/SOURCE.md).
XLSFORM = (Path(__file__).parent / "appraisals" / "fixtures" / "street-trees.xlsx").read_bytes()


def appraisals_scene(
    app: Flask, session: Session, users: dict[str, User], author: User, mission: Any
) -> CodesignScene:
    """A project with a submission of ``author``'s that has issues (so they may correct it) and
    an approved photo; open instruments and exercises to take part in and to edit, and closed
    ones whose results everyone may read; areas to edit and delete."""
    areas = {name: make_area(session, mission, name=name) for name in ("Kentish Town", "Spare")}
    project = make_science_project(session, mission)
    to_build = make_science_project(session, mission, status=Status.DRAFT)
    to_import = make_science_project(session, mission, status=Status.DRAFT)
    with_issues = make_submission(session, project, author, state=SubmissionState.HAS_ISSUES)
    approved = make_submission(session, project, author, state=SubmissionState.APPROVED)
    to_review, to_bulk_review = make_submission(session, project), make_submission(session, project)
    photo = make_photo(session, approved, Path(app.instance_path) / "appraisal-photos")
    instrument, to_edit = make_instrument(session, mission), make_instrument(session, mission)
    appraised = make_instrument(session, mission, status=Status.CLOSED)
    make_appraisal(session, appraised, areas["Kentish Town"], [4, 5, 6])
    exercise, to_change = make_exercise(session, mission), make_exercise(session, mission)
    mapped = make_exercise(session, mission, status=Status.CLOSED)
    scores = {f"score_{criterion.id}": "4" for criterion in instrument.criteria} | {
        f"justification_{criterion.id}": "Wide pavements." for criterion in instrument.criteria
    }
    appraisal = {"area_id": str(areas["Kentish Town"].id), **scores}
    response = {f"weight-{criterion.id}": "50" for criterion in exercise.criteria}
    for option in exercise.options:
        for criterion in exercise.criteria:
            cell = f"{option.id}-{criterion.id}"
            response |= {f"low-{cell}": "40", f"high-{cell}": "60", f"reason-{cell}": "Why."}
    instruments = {
        f"appraisal_instruments.{name}": {"slug": instrument.slug}
        for name in ("show", "appraise", "group", "edit")
    } | {
        f"appraisal_instruments.{name}": {
            "slug": to_edit.slug,
            "criterion_id": to_edit.criteria[0 if name != "delete_criterion" else -1].id,
        }
        for name in (
            "status",
            "new_criterion",
            "edit_criterion",
            "move_criterion",
            "delete_criterion",
        )
    }
    exercises = {
        f"appraisal_mapping.{name}": {"slug": exercise.slug} for name in ("exercise", "respond")
    } | {
        f"appraisal_mapping.{name}": {
            "slug": to_change.slug,
            "option_id": to_change.options[0 if name == "edit_option" else -1].id,
            "criterion_id": to_change.criteria[0 if name == "edit_criterion" else -1].id,
        }
        for name in (
            "edit", "status", "add_option", "add_criterion", "edit_option", "edit_criterion",
            "delete_option", "delete_criterion",
        )
    }  # fmt: skip
    return CodesignScene(
        url_args={"submission_id": with_issues.id, "photo_id": photo.id, "size": "display"},
        url_overrides={
            **{
                f"appraisal_submissions.{name}": {"slug": project.slug}
                for name in ("submit", "mine")
            },
            **{
                f"appraisal_review.{name}": {"slug": project.slug}
                for name in ("queue", "bulk", "export", "map", "map_data", "observations")
            },
            "appraisal_review.detail": {"slug": project.slug, "submission_id": to_review.id},
            **{
                f"appraisal_projects.{name}": {
                    "slug": to_build.slug,
                    "field_id": to_build.fields[2 if name == "delete_field" else 0].id,
                }
                for name in (
                    "show",
                    "edit",
                    "form_builder",
                    "add_field",
                    "edit_field",
                    "delete_field",
                    "move_field",
                    "import_form",
                    "change_status",
                )
            },
            "appraisal_projects.import_form": {"slug": to_import.slug},
            **instruments,
            **exercises,
            "appraisal_instruments.results": {"slug": appraised.slug},
            "appraisal_instruments.edit_area": {"area_id": areas["Kentish Town"].id},
            "appraisal_instruments.new_area": {"mission": mission.slug},
            "appraisal_instruments.areas": {"mission": mission.slug},
            "appraisal_instruments.delete_area": {"area_id": areas["Spare"].id},
            "appraisal_mapping.results": {"slug": mapped.slug},
        },
        form_values={
            "appraisal_submissions.submit": {
                "client-id": "6f1c1f4e-5d55-4a4e-9d38-9a4b8f3c2e11",
                "pm25": "12.5",
                "location-latitude": "51.55",
                "location-longitude": "-0.14",
            },
            "appraisal_submissions.correct": {
                "pm25": "12.5",
                "location-latitude": "51.55",
                "location-longitude": "-0.14",
            },
            "appraisal_projects.new": {"mission_id": str(mission.id), "title": "Tree count"},
            "appraisal_projects.add_field": {"type": "text", "label": "Street", "name": "street"},
            "appraisal_projects.edit_field": {"type": "decimal", "label": "PM2.5", "name": ""},
            "appraisal_projects.move_field": {"direction": "down"},
            "appraisal_projects.import_form": {"file": (XLSFORM, "form.xlsx")},
            "appraisal_projects.change_status": {"status": "open"},
            "appraisal_review.detail": {"to_state": "approved"},
            "appraisal_review.bulk": {
                "to_state": "approved",
                "scope": "checked",
                "ids": str(to_bulk_review.id),
            },
            "appraisal_review.export": {"format": "csv", "state": "approved"},
            "appraisal_instruments.new_area": {"name": "Gospel Oak"},
            "appraisal_instruments.new": {
                "mission_id": str(mission.id),
                "start": "place_standard",
                "scale_min": "1",
                "scale_max": "7",
            },
            "appraisal_instruments.edit": {"scale_min": "1", "scale_max": "7"},
            "appraisal_instruments.status": {"action": "close"},
            "appraisal_instruments.new_criterion": {"label": "Trees", "question": "Enough?"},
            "appraisal_instruments.edit_criterion": {"label": "Trees", "question": "Enough?"},
            "appraisal_instruments.move_criterion": {"direction": "down"},
            "appraisal_instruments.appraise": {
                **appraisal,
                "client_id": "0b8c9d1e-6f7a-4b2c-8d3e-1f2a3b4c5d6e",
            },
            "appraisal_instruments.group": {
                **appraisal,
                "client_id": "1c9d0e2f-7a8b-4c3d-9e4f-2a3b4c5d6e7f",
                "group_name": "Library workshop",
                "participants": "12",
            },
            "appraisal_mapping.new": {
                "mission_id": str(mission.id),
                "options": "Bus gate\nDo nothing",
                "criteria": "Cost",
                "question": "How?",
                "scale_min": "0",
                "scale_max": "100",
            },
            "appraisal_mapping.edit": {"question": "How?", "scale_min": "0", "scale_max": "100"},
            "appraisal_mapping.respond": response,
            "appraisal_mapping.add_option": {"option-label": "Wider pavements"},
            "appraisal_mapping.add_criterion": {"criterion-label": "Safety"},
            "appraisal_mapping.edit_option": {"label": "Renamed"},
            "appraisal_mapping.edit_criterion": {"label": "Renamed"},
            "appraisal_mapping.status": {"action": "close"},
        },
    )


MEETING_FORM = {
    "starts_at": "2030-03-04T18:00",
    "ends_at": "2030-03-04T20:00",
    "place": "Town Hall",
    "link": "",
    "agenda": "Welcome\nReports",
}


# evaluation
def evaluation_scene(
    app: Flask, session: Session, users: dict[str, User], owner: User, mission: Any
) -> CodesignScene:
    """The mission's evidence index, built from the other scenes' rows (so the refresh route,
    which runs in the background, keeps its items); a coding frame with a code per change (the
    main code, and one each to merge, split, retire and reinstate), a theme run started by
    ``owner``, a theme run's proposal to remove, a double-coding sample, and outcome records and
    learning log entries to edit and to delete. Services write what they can, as an evaluator
    would, so the frame has versions and the rows are as the pages expect."""
    evaluator = users["evaluator"]
    index.refresh_index(session, mission.id)
    with_text = index.filtered_ids(session, mission.id, index.EvidenceFilter(with_text=True))
    assert len(with_text) >= MIN_TEXTS, "theme runs need more evidence items with text"
    item, linked, to_link = with_text[:3]

    def new_code(name: str) -> Code:
        definition = f"What people say about {name.lower()}."
        return frame.create_code(session, mission.id, name, definition, actor=evaluator)

    main, to_merge, to_split, to_retire, retired = (
        new_code(name) for name in ("Pavements", "Crossings", "Benches", "Trees", "Parking")
    )
    frame.retire_code(session, mission.id, retired.id, actor=evaluator)
    split_off = CodeApplication(code_id=to_split.id, evidence_id=linked, coder_id=evaluator.id)
    proposed = CodeApplication(code_id=main.id, evidence_id=item, coder_id=None)  # by a theme run
    run = ThemeRun(mission_id=mission.id, created_by_id=owner.id)  # not started: nothing to adopt
    session.add_all([split_off, proposed, run])
    session.commit()
    sample = coding.draw_sample(
        session, mission.id, "Pilot", 5, "seed", index.EvidenceFilter(),
        evaluator.id, users["admin"].id, actor=evaluator,
    )  # fmt: skip

    def new_outcome(what_changed: str) -> HarvestedOutcome:
        fields = OutcomeFields(what_changed, "Parents at the school", "The jury asked for it.")
        return harvest.record_outcome(session, mission.id, fields, actor=evaluator)

    def new_entry(what_happened: str) -> LearningEntry:
        fields = LearningFields(LearningLoop.SINGLE, TODAY, what_happened, "Ask earlier.")
        return harvest.add_entry(session, mission.id, fields, actor=evaluator)

    harvested, to_delete = new_outcome("A crossing was built."), new_outcome("A bench moved.")
    harvest.link_evidence(session, mission.id, harvested.id, str(linked), actor=evaluator)
    entry, entry_to_delete = new_entry("Few came."), new_entry("Nobody came.")
    mission_outcome = mission.outcomes[0]
    harvested_fields = {
        "what_changed": "The council built a crossing.",
        "for_whom": "Parents at the school",
        "contribution": "The jury asked for it.",
        "happened_on": (TODAY - timedelta(days=2)).isoformat(),
        "place": "Kentish Town Road",
        "significance": "Children walk to school.",
        "substantiated_by": "The head teacher.",
        "mission_outcome_id": str(mission_outcome.id),
        "indicator_ids": str(mission_outcome.indicators[0].id),
    }
    learning_fields = {
        "loop": "double",
        "noted_on": (TODAY - timedelta(days=1)).isoformat(),
        "what_happened": "Only parents came to the workshop.",
        "learned": "Evening sessions leave out shift workers.",
        "next_step": "",
    }
    return CodesignScene(
        url_args={
            "code_id": main.id,
            "number": 1,
            "evidence_id": item,
            "application_id": proposed.id,
            "sample_id": sample.id,
            "harvested_id": harvested.id,
            "entry_id": entry.id,
        },
        url_overrides={
            # jury draws' routes have a run_id too
            **{
                f"evaluation_themes.{name}": {"run_id": run.id}
                for name in ("run", "run_status", "adopt")
            },
            "evaluation_frame.merge": {"code_id": to_merge.id},
            "evaluation_frame.split": {"code_id": to_split.id},
            "evaluation_frame.retire": {"code_id": to_retire.id},
            "evaluation_frame.reinstate": {"code_id": retired.id},
            "evaluation_outcomes.unlink_evidence": {"evidence_id": linked},
            "evaluation_outcomes.delete_outcome": {"harvested_id": to_delete.id},
            "evaluation_outcomes.delete_entry": {"entry_id": entry_to_delete.id},
        },
        form_values={
            "evaluation_themes.start": {"themes": "auto", "seed": "0", "languages": "en"},
            "evaluation_frame.create": {"name": "Lighting", "definition": "Dark streets."},
            "evaluation_frame.edit": {"name": "Wide pavements", "definition": "Room to walk."},
            "evaluation_frame.merge": {"into": str(main.id)},
            "evaluation_frame.split": {
                "split_name": "Benches at bus stops",
                "split_definition": "Somewhere to sit while waiting.",
                "applications": str(split_off.id),
            },
            "evaluation_frame.retire": {"reason": "Too broad."},
            "evaluation_frame.add_memo": {"body": "Overlaps with crossings?"},
            "evaluation_coding.apply": {"code": str(main.id), "excerpt": ""},
            "evaluation_coding.add_memo": {"body": "Mentions the school run."},
            "evaluation_coding.create_sample": {
                "name": "Second sample",
                "size": "5",
                "seed": "abc",
                "coder_a": str(evaluator.id),
                "coder_b": str(users["admin"].id),
            },
            "evaluation_outcomes.new_outcome": harvested_fields,
            "evaluation_outcomes.edit_outcome": harvested_fields,
            "evaluation_outcomes.link_evidence": {"numbers": str(to_link)},
            "evaluation_outcomes.add_entry": learning_fields,
            "evaluation_outcomes.edit_entry": learning_fields,
        },
    )


def act_as(client: FlaskClient, user_id: int | None) -> None:
    """Put the user in the session cookie the way Flask-Login does when signing in.

    Signing in through the form is tested in tests/accounts; here it would only add an argon2
    verification per role, and sign-out would undo it half-way through the list of routes.
    """
    with client.session_transaction() as cookie_session:
        cookie_session.clear()
        if user_id is not None:
            cookie_session["_user_id"] = str(user_id)
            cookie_session["_fresh"] = True


def redirect_to_sign_in(response: TestResponse) -> str | None:
    """The ``next`` of a redirect to the sign-in page, or None if it is not one."""
    if response.status_code != 302:
        return None
    location = urlsplit(response.headers["Location"])
    if location.path != "/sign-in":
        return None
    return parse_qs(location.query).get("next", [""])[0]


# --- The matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_route_admits_exactly_its_audience(
    app: Flask, client: FlaskClient, role: str
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 in the list, not the end
    scene = build_scene(app, role)
    user_id = scene.user_ids.get(role)
    problems: list[str] = []
    for rule in routes(app):
        audience = AUDIENCE.get(rule.endpoint)
        if audience is None:
            continue  # reported by test_every_route_has_an_intended_audience_in_the_table
        url = scene.url(app, rule)
        method = "GET" if "GET" in (rule.methods or ()) else "POST"
        act_as(client, user_id)
        response = client.open(url, method=method)
        response.close()  # as a server does: a streamed download's context ends here
        status = response.status_code
        where = f"{method} {url} ({rule.endpoint}, {audience}) as {role}: {status}"

        if status >= 500:
            problems.append(f"{where}, a server error")
        elif role in WHO_MAY[audience]:
            if status in (401, 403) or redirect_to_sign_in(response) is not None:
                problems.append(f"{where}, but {role} may use it")
        elif role == "anonymous":
            if redirect_to_sign_in(response) != url:
                problems.append(f"{where}, expected a redirect to /sign-in?next={url}")
        elif status != 403:
            problems.append(f"{where}, expected 403")
    assert not problems, "\n".join(problems)


def test_other_peoples_jobs_are_refused_even_to_staff(app: Flask, client: FlaskClient) -> None:
    scene = build_scene(app, "resident")  # the job belongs to the resident
    job_id = scene.url_args["job_id"]
    for role, expected in [("resident", 200), ("officer", 403), ("evaluator", 403), ("admin", 200)]:
        act_as(client, scene.user_ids[role])
        assert client.get(f"/jobs/{job_id}").status_code == expected, role
        assert client.get(f"/jobs/{job_id}/status").status_code == expected, role


def test_a_signed_in_person_sees_a_403_page_not_a_sign_in_form(
    app: Flask, client: FlaskClient
) -> None:
    scene = build_scene(app, "resident")
    act_as(client, scene.user_ids["resident"])
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.get_data(as_text=True)


# --- Routes must declare their audience --------------------------------------------------------


def rogue_blueprint() -> Blueprint:
    rogue = Blueprint("rogue", __name__)

    @rogue.route("/declared")
    @public
    def declared() -> str:
        return "fine"

    @rogue.route("/open-door")
    def open_door() -> str:
        return "anyone at all"

    return rogue


def test_undeclared_endpoints_names_views_without_an_access_rule() -> None:
    app = Flask(__name__)
    app.register_blueprint(rogue_blueprint())
    assert security.undeclared_endpoints(app) == ["rogue.open_door"]


def test_a_route_that_slipped_through_is_refused_at_request_time() -> None:
    app = Flask(__name__)
    app.register_blueprint(rogue_blueprint())
    app.before_request(security.enforce_access)
    client = app.test_client()
    assert client.get("/open-door").status_code == 403
    assert client.get("/declared").status_code == 200


def test_create_app_refuses_to_start_with_an_undeclared_route(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # create_app imports each blueprint from its module when it runs, so replacing the module's
    # `bp` is how to hand it one more. (A hook for extra blueprints would make this cleaner.)
    monkeypatch.setattr(engage.pages, "bp", rogue_blueprint())
    with pytest.raises(RuntimeError, match=r"routes without an access rule: rogue\.open_door$"):
        make_app()


def test_the_real_app_declares_every_route(app: Flask) -> None:
    assert security.undeclared_endpoints(app) == []


# --- Safe redirects ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (None, "/home"),
        ("", "/home"),
        ("/", "/"),
        ("/missions/air?tab=2#top", "/missions/air?tab=2#top"),
        ("https://evil.example/", "/home"),
        ("http://evil.example/sign-in", "/home"),
        ("//evil.example", "/home"),
        ("///evil.example", "/home"),
        ("/\\evil.example", "/home"),
        ("\\\\evil.example", "/home"),
        ("/\t/evil.example", "/home"),  # browsers drop the tab and read //evil.example
        ("/\n/evil.example", "/home"),
        ("javascript:alert(1)", "/home"),
        ("missions", "/home"),
        (" /missions", "/home"),
    ],
)
def test_safe_next_url_only_follows_paths_on_this_site(target: str | None, expected: str) -> None:
    assert safe_next_url(target, "/home") == expected


# --- Headers and cookies -----------------------------------------------------------------------


def test_security_headers_on_pages_and_errors(client: FlaskClient) -> None:
    for path, status in [("/", 200), ("/no-such-page", 404), ("/missions/no-such-mission", 404)]:
        response = client.get(path)
        assert response.status_code == status, path
        policy = response.headers["Content-Security-Policy"]
        directives = {part.split()[0]: part for part in policy.split("; ")}
        assert directives["script-src"] == "script-src 'self'", path
        assert directives["frame-ancestors"] == "frame-ancestors 'none'", path
        assert directives["object-src"] == "object-src 'none'", path
        assert "unsafe-inline" not in policy, path
        assert "unsafe-eval" not in policy, path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert "Strict-Transport-Security" not in response.headers, path  # plain HTTP here


@pytest.mark.parametrize(
    ("tile_url", "img_src"),
    [
        ("", "img-src 'self' data:"),
        (
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "img-src 'self' data: https://tile.openstreetmap.org",
        ),
        (
            "https://{s}.tiles.example.org/{z}/{x}/{y}.png",
            "img-src 'self' data: https://*.tiles.example.org",
        ),
        ("javascript:alert(1)//{z}", "img-src 'self' data:"),
    ],
)
def test_images_come_from_this_site_and_the_configured_map_tile_server(
    make_app: Any, tile_url: str, img_src: str
) -> None:
    client = make_app(MAP_TILE_URL=tile_url).test_client()
    policy = client.get("/").headers["Content-Security-Policy"]
    assert img_src in policy.split("; ")


def test_pages_have_no_inline_scripts_or_styles(client: FlaskClient) -> None:
    # The policy forbids them, so any that crept in would silently not run.
    for path in ["/", "/sign-in", "/register", "/missions/"]:
        page = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
        assert "<style" not in page, path
        assert not re.search(r"\son[a-z]+=", page), path
        assert not re.search(r'\sstyle="', page), path


def test_development_cookies_are_not_marked_secure(app: Flask) -> None:
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_production_marks_cookies_secure(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGAGE_ENV", "production")
    monkeypatch.setenv("ENGAGE_SECRET_KEY", "a long random key that only production knows")
    app = make_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True

    response = app.test_client().post("/sign-out")  # flashes a message, so sets the cookie
    cookie = response.headers["Set-Cookie"]
    assert "; Secure" in cookie
    assert "; HttpOnly" in cookie
    assert "; SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_production_without_a_secret_key_refuses_to_start(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("ENGAGE_ENV", "production")
    monkeypatch.delenv("ENGAGE_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="ENGAGE_SECRET_KEY must be set"):
        create_app({"DATABASE_URL": database_url})
    assert not (tmp_path / "instance" / "secret_key").exists()


# --- CSRF --------------------------------------------------------------------------------------

EXPIRED_FORM = "This form had expired or did not come from this site."
NEW_PASSWORD = "amber meadow tortoise"


def csrf_token(page: TestResponse) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert found, "no CSRF token on the page"
    return found.group(1)


def count_users(app: Flask) -> int:
    with database(app) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(User)) or 0


def test_a_post_without_the_csrf_token_changes_nothing(make_app: MakeApp) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    registration = {
        "display_name": "Cora",
        "email": "cora@example.org",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }

    forged = client.post("/register", data=registration)
    assert forged.status_code == 400
    assert EXPIRED_FORM in forged.get_data(as_text=True)
    assert count_users(app) == 0

    wrong = client.post("/register", data={**registration, "csrf_token": "made-up"})
    assert wrong.status_code == 400
    assert count_users(app) == 0

    token = csrf_token(client.get("/register"))
    real = client.post("/register", data={**registration, "csrf_token": token})
    assert real.status_code == 302
    assert count_users(app) == 1

    # Signing out is a state change too: a forged sign-out does nothing.
    assert client.post("/sign-out").status_code == 400
    assert client.get("/account").status_code == 200
    token = csrf_token(client.get("/account"))
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert client.get("/account").status_code == 302


# --- Escaping ----------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_user_text_is_escaped_wherever_it_is_shown(app: Flask, client: FlaskClient) -> None:
    registered = client.post(
        "/register",
        data={
            "display_name": SCRIPT,
            "email": "mallory@example.org",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert registered.status_code == 302
    pages = {"welcome message": client.get("/"), "own account": client.get("/account")}

    with database(app) as session:
        admin_id = make_user(session, role=Role.ADMIN).id
        mallory = accounts.get_user_by_email(session, "mallory@example.org")
        assert mallory is not None
        assert mallory.display_name == SCRIPT  # stored as typed; escaping is the templates' job
        mallory_id = mallory.id
    admin = app.test_client()
    act_as(admin, admin_id)
    pages["people list"] = admin.get("/admin/users")
    pages["search results"] = admin.get("/admin/users", query_string={"q": "<script>"})
    pages["roles page"] = admin.get(f"/admin/users/{mallory_id}/roles")

    for where, response in pages.items():
        page = response.get_data(as_text=True)
        assert response.status_code == 200, where
        assert ESCAPED in page, where
        assert SCRIPT not in page, where


# --- Odd input never crashes a page ------------------------------------------------------------

TODAY = date.today()
VALID: dict[str, str] = {
    # missions
    "title": "Quieter streets",
    "slug": "",
    "challenge": "Traffic noise keeps people awake.",
    "team": "Streets team",
    "target_date": "2030-12-31",
    "statement": "Every street quiet at night by 2030.",
    "text": "Every street quiet at night by 2031.",
    "rationale": "Residents asked for a later date.",
    "description": "What it is about.",
    "name": "Night noise",
    "unit": "dB",
    "baseline": "60",
    "target": "45",
    "direction": "decrease",
    "latest_value": "55.5",
    "latest_value_on": (TODAY - timedelta(days=30)).isoformat(),
    "latest_value_source": "Noise sensors",
    "lead_organisation": "Highways",
    "source_kind": "jury",
    "source_label": "Citizens' jury 2026",
    "received_on": (TODAY - timedelta(days=3)).isoformat(),
    "response_due": (TODAY + timedelta(weeks=8)).isoformat(),
    "decision": "accepted",
    "responder_name": "Cabinet Member",
    "responded_on": TODAY.isoformat(),
    "note": "Work has started.",
    # accounts
    "display_name": "Odd Input",
    "email": "odd.input@example.org",
    "password": NEW_PASSWORD,
    "confirm": NEW_PASSWORD,
    "current_password": DEFAULT_PASSWORD,
    "roles": "officer",
    "remember": "y",
}
PER_FORM: dict[str, dict[str, str]] = {
    # The "status" field means a different enum on each form.
    "missions.create": {"status": "draft", "slug": "a-new-mission"},
    "missions.edit": {"status": "active"},  # keeps the slug it has: "Quieter streets"
    "missions.new_project": {"status": "planned"},
    "missions.edit_project": {"status": "paused"},
    "missions.add_update": {"status": "in_progress"},
    "accounts.about_you": {"age_band": "25-34", "consent": "y"},
}
FREE_TEXT = {
    "title",
    "challenge",
    "team",
    "statement",
    "text",
    "rationale",
    "description",
    "name",
    "unit",
    "latest_value_source",
    "lead_organisation",
    "source_label",
    "responder_name",
    "note",
    "display_name",
}


def valid_for(endpoint: str) -> dict[str, str]:
    return {**VALID, "status": "active", **PER_FORM.get(endpoint, {})}


def each_field(make: Callable[[str, str], str]) -> Callable[[str], MultiDict[str, str]]:
    def payload(endpoint: str) -> MultiDict[str, str]:
        return MultiDict({name: make(name, value) for name, value in valid_for(endpoint).items()})

    return payload


UNPARSEABLE = {
    "target_date": "2026-13-45",
    "latest_value_on": "0000-00-00",
    "received_on": "31/12/2026",
    "response_due": "99999-01-01",
    "responded_on": "yesterday",
    "baseline": "nan",
    "target": "-inf",
    "latest_value": "1e400",  # overflows to infinity
    "direction": "sideways",
    "source_kind": "rumour",
    "decision": "maybe",
    "status": "no-such-status",
    "roles": "superuser",
    "remember": "perhaps",
}


def unparseable(endpoint: str) -> MultiDict[str, str]:
    return MultiDict({**valid_for(endpoint), **UNPARSEABLE})


def repeated(endpoint: str) -> MultiDict[str, str]:
    """Several values where the form expects one."""
    pairs = [(name, value) for name, value in valid_for(endpoint).items()]
    return MultiDict([pair for name, value in pairs for pair in [(name, value), (name, "x")]])


PAYLOADS: dict[str, Callable[[str], MultiDict[str, str]]] = {
    "valid": lambda endpoint: MultiDict(valid_for(endpoint)),
    "empty": lambda endpoint: MultiDict(),
    "huge-strings": each_field(lambda name, value: "x" * 100_000),
    "nul-in-text": each_field(
        lambda name, value: f"{value[:4]}\x00{value[4:]}" if name in FREE_TEXT else value
    ),
    "nul-everywhere": each_field(lambda name, value: "\x00"),
    "unparseable-values": unparseable,
    "repeated-values": repeated,
}


@pytest.fixture
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with small costs: these tests are about input handling, not password hashing."""
    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", quick)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", quick.hash("not a real password"))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_odd_input_to_any_form_never_causes_a_server_error(
    app: Flask, client: FlaskClient, quick_hashing: None, payload: str
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 in the list, not the end
    scene = build_scene(app, "admin", password=DEFAULT_PASSWORD)
    post_rules = [rule for rule in routes(app) if "POST" in (rule.methods or ())]
    assert len(post_rules) >= 15
    failures: list[str] = []
    statuses: dict[str, int] = {}
    for rule in post_rules:
        act_as(client, scene.user_ids["admin"])  # an admin may reach every route
        url = scene.url(app, rule)
        data: MultiDict[str, Any] = MultiDict(PAYLOADS[payload](rule.endpoint))
        if payload == "valid":
            for name, value in scene.form_values.get(rule.endpoint, {}).items():
                data.setlist(
                    name, [(io.BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value]
                )
        response = client.post(url, data=data)
        response.close()  # as a server does: a streamed download's context ends here
        statuses[rule.endpoint] = response.status_code
        if response.status_code >= 500:
            failures.append(f"POST {url} ({rule.endpoint}): {response.status_code}")
    assert not failures, "\n".join(failures)

    if payload == "valid":
        # The payloads reach the services (and the database), so what differs in the odd ones is
        # what gets tested.
        unexpected = {
            endpoint: status
            for endpoint, status in statuses.items()
            if status != (200 if endpoint in DOWNLOADS | RESULT_PAGES else 302)
        }
        assert not unexpected, unexpected


def test_nul_characters_are_refused_beside_the_field(app: Flask, client: FlaskClient) -> None:
    # PostgreSQL cannot store NUL and SQLite would; the forms refuse it the same way on both.
    response = client.post(
        "/register",
        data={
            "display_name": "Ada\x00",
            "email": "ada@example.org",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert re.search(
        r'id="display_name-error">.*Remove the invisible control character \(NUL\)',
        response.get_data(as_text=True),
    )
    assert count_users(app) == 0


ODD_ADDRESSES = [
    ("/admin/users?page=99999999999999999999999", 200),
    ("/admin/users?page=-5", 200),
    ("/admin/users?page=abc", 200),
    ("/admin/users?q=%00", 200),
    ("/admin/users?q=" + "x" * 5000, 200),
    ("/admin/audit?page=99999999999999999999999", 200),
    ("/missions/%00", 404),
    ("/missions/%00/statement", 404),
    ("/missions/" + "x" * 5000, 404),
    ("/missions/outcomes/99999999999999999999999/edit", 404),
    ("/missions/recommendations/99999999999999999999999", 404),
    ("/admin/users/99999999999999999999999/roles", 404),
    ("/jobs/99999999999999999999999", 404),
    ("/jobs/2147483648", 404),  # one more than an INTEGER column holds
    ("/jobs/-1", 404),
    ("/reset-password/%00", 404),
    # juries: setup and pool
    ("/juries/?mission=%00", 200),
    ("/juries/99999999999999999999999", 404),
    ("/juries/99999999999999999999999/pool", 404),
    ("/juries/%00/volunteer", 404),
    ("/juries/no-such-jury/volunteer", 404),
    ("/juries/1/pool/import/%00", 404),
    ("/juries/1/pool?page=-3", 404),  # no jury 1 in this test
    # juries: selection, draws and panels
    ("/juries/runs/99999999999999999999999", 404),
    ("/juries/runs/2147483647/status", 404),
    ("/juries/draws/99999999999999999999999", 404),
    ("/juries/draws/2147483647/bundle.json", 404),
    ("/juries/draws/-1/panel", 404),
    ("/juries/runs/1?page=99999999999999999999999", 404),  # no run 1 in this test
    # co-design
    ("/codesign/?mission=%00", 200),
    ("/codesign/99999999999999999999999", 404),
    ("/codesign/rounds/2147483648", 404),
    ("/codesign/rounds/1/opinions", 404),  # no round 1 in this test
    ("/codesign/contributions/-1", 404),
    ("/codesign/contributions/1?page=99999999999999999999999", 404),
    ("/codesign/mine?page=99999999999999999999999", 200),
    ("/codesign/manage/rounds/99999999999999999999999/synthesis", 404),
    # advisory groups
    ("/advisory/?mission=%00", 200),
    ("/advisory/no-such-group", 404),
    ("/advisory/%00/meetings", 404),
    ("/advisory/no-such-group/meetings.ics", 404),
    ("/advisory/meetings/99999999999999999999999", 404),
    ("/advisory/papers/2147483648", 404),
    ("/advisory/drafts/-1", 404),
    ("/advisory/memberships/1/interests", 404),  # no membership 1 in this test
    ("/science/%00", 404),
    ("/science/?page=99999999999999999999999", 200),
    ("/science/?mission=%00", 200),
    ("/science/no-such-project/map.json?after=abc&limit=-5", 404),
    ("/science/photos/99999999999999999999999/display", 404),
    ("/science/photos/1/original%00", 404),
    ("/science/submissions/99999999999999999999999", 404),
    ("/science/no-such-project/review?state=nonsense&from=2026-13-45&area=x", 404),
    ("/appraisals/%00/results?area=abc", 404),
    ("/appraisals/areas?mission=%00", 200),  # asks which mission
    ("/mapping/?page=-1", 200),
    ("/mapping/" + "x" * 5000, 404),
]


def test_odd_addresses_are_not_found_rather_than_server_errors(
    app: Flask, client: FlaskClient, subtests: pytest.Subtests
) -> None:
    with database(app) as session:
        admin_id = make_user(session, role=Role.ADMIN).id
    for path, status in ODD_ADDRESSES:
        with subtests.test(msg=path[:60]):
            act_as(client, admin_id)
            assert client.get(path).status_code == status


EVALUATION = "/evaluation/quieter-streets"
ODD_EVALUATION_ADDRESSES = [
    ("/evaluation/?page=-1", 200),
    ("/evaluation/%00/", 404),
    ("/evaluation/no-such-mission/frame", 404),
    (f"{EVALUATION}/?page=99999999999999999999999&date_from=2026-13-45&code=abc&area=%00", 200),
    (f"{EVALUATION}/?query=" + "x" * 5000, 200),
    (f"{EVALUATION}/?code=2147483648", 200),
    (f"{EVALUATION}/themes?code=99999999999999999999999&date_from=yesterday", 200),
    (f"{EVALUATION}/themes/99999999999999999999999", 404),
    (f"{EVALUATION}/themes/2147483648/status", 404),
    (f"{EVALUATION}/frame/2147483648", 404),
    (f"{EVALUATION}/frame/versions?page=99999999999999999999999", 200),
    (f"{EVALUATION}/frame/versions/0", 404),
    (f"{EVALUATION}/items/99999999999999999999999", 404),
    (f"{EVALUATION}/items/{{evidence_id}}?sample=abc", 200),
    (f"{EVALUATION}/items/{{evidence_id}}?sample=2147483647", 404),  # no such sample
    (f"{EVALUATION}/samples?size=abc&seed=%00&coder_a=x&code=%00", 200),
    (f"{EVALUATION}/samples/2147483648", 404),
    (f"{EVALUATION}/outcomes?mission_outcome=abc&substantiated=maybe", 200),
    (f"{EVALUATION}/outcomes/2147483648/edit", 404),
    (f"{EVALUATION}/learning?loop=quadruple", 200),
    (f"{EVALUATION}/learning/99999999999999999999999/edit", 404),
    (f"{EVALUATION}/package?code=%00&date_from=31/12/2026", 200),
    # another mission's rows, reached through this mission's address
    (f"{EVALUATION}/frame/{{other_code}}", 404),
    (f"{EVALUATION}/items/{{other_item}}", 404),
]


def test_odd_addresses_in_the_evaluation_workbench(
    app: Flask, client: FlaskClient, subtests: pytest.Subtests
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500, not the end of the list
    scene = build_scene(app, "evaluator")
    with database(app) as session:
        other = make_mission(session, title="Cleaner air", slug="cleaner-air")
        ids = {
            "evidence_id": scene.url_args["evidence_id"],
            "other_code": make_code(session, other).id,
            "other_item": make_evidence(session, other).id,
        }
    for template, status in ODD_EVALUATION_ADDRESSES:
        path = template.format(**ids)
        with subtests.test(msg=path[:60]):
            act_as(client, scene.user_ids["evaluator"])
            assert client.get(path).status_code == status
