"""Citizen-science projects with a real session: setting projects up, who sees which, every rule
of a form's questions (names, numbers, choices, location, conditions, what submissions lock),
ordering and deleting questions, opening and closing, and the XLSForm import."""

from __future__ import annotations

import io
import math
from dataclasses import replace
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.appraisals import projects
from engage.appraisals.models import FieldType, FormField, Project, Status
from engage.appraisals.projects import FieldValues, ProjectFields
from engage.appraisals.xlsform import XLSFormError
from engage.audit import AuditEntry
from engage.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from engage.missions.models import Mission, MissionStatus
from engage.security import Role
from tests.factories import (
    make_field,
    make_mission,
    make_science_project,
    make_submission,
    make_user,
)


@pytest.fixture
def mission(session: Session) -> Mission:
    return make_mission(session, title="Clean air", slug="clean-air")


@pytest.fixture
def project(session: Session, mission: Mission) -> Project:
    """A draft project with no questions yet."""
    return make_science_project(session, mission, status=Status.DRAFT, with_fields=False)


def project_fields(**changes: Any) -> ProjectFields:
    values = ProjectFields(
        title="Tree count",
        summary="Count the street trees of your block.",
        protocol="Walk both sides of the street.",
    )
    return replace(values, **changes)


def decimal(**changes: Any) -> FieldValues:
    values = FieldValues(
        type=FieldType.DECIMAL,
        name="pm25",
        label="PM2.5 reading",
        unit="µg/m³",
        min_value=0,
        max_value=1000,
        expected_min=0,
        expected_max=150,
    )
    return replace(values, **changes)


SITES = [
    {"value": "school", "label": "Outside a school"},
    {"value": "road", "label": "By a main road"},
    {"value": "park", "label": "In a park"},
]


def choice(**changes: Any) -> FieldValues:
    values = FieldValues(
        type=FieldType.SINGLE_CHOICE, name="site", label="Where were you?", choices=list(SITES)
    )
    return replace(values, **changes)


def text(name: str = "note", **changes: Any) -> FieldValues:
    return replace(FieldValues(type=FieldType.TEXT, name=name, label=name.capitalize()), **changes)


def refused(error: type[DomainError], call: Any, *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(error) as raised:
        call(*args, **kwargs)
    return raised.value


def reloaded(session: Session, project: Project) -> Project:
    session.expire_all()
    found = session.get(Project, project.id)
    assert found is not None
    return found


def names(session: Session, project: Project) -> list[str]:
    return [f.name for f in reloaded(session, project).fields]


def actions(session: Session) -> list[str]:
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


# --- Projects -----------------------------------------------------------------------------------


def test_an_officer_creates_a_draft_project_with_an_address_from_its_title(
    session: Session, officer: User, mission: Mission
) -> None:
    created = projects.create_project(
        session, mission.id, project_fields(title="  Tree count  "), actor=officer
    )

    assert (created.slug, created.title, created.status) == (
        "tree-count",
        "Tree count",
        Status.DRAFT,
    )
    assert (created.mission_id, created.created_by_id) == (mission.id, officer.id)
    assert created.protocol == "Walk both sides of the street."
    entry = session.scalars(sa.select(AuditEntry)).one()
    assert (entry.action, entry.subject) == (
        "appraisals.project_created",
        f"appraisal_project:{created.id}",
    )


def test_addresses_are_unique_and_never_a_page_of_engage(
    session: Session, officer: User, mission: Mission
) -> None:
    first = projects.create_project(session, mission.id, project_fields(), actor=officer)
    second = projects.create_project(session, mission.id, project_fields(), actor=officer)
    reserved = [
        projects.create_project(session, mission.id, project_fields(title=word), actor=officer)
        for word in ("New", "Submissions", "Photos")
    ]
    blank = projects.create_project(session, mission.id, project_fields(title="???"), actor=officer)

    assert (first.slug, second.slug) == ("tree-count", "tree-count-2")
    assert [p.slug for p in reserved] == ["new-2", "submissions-2", "photos-2"]
    assert blank.slug == "project"


def test_a_project_needs_a_title_a_mission_and_an_officer(
    session: Session, officer: User, mission: Mission
) -> None:
    resident = make_user(session)
    assert refused(Invalid, projects.create_project, session, mission.id,
                   project_fields(title="  "), actor=officer).field == "title"  # fmt: skip
    assert refused(Invalid, projects.create_project, session, mission.id,
                   project_fields(title="x" * 201), actor=officer).field == "title"  # fmt: skip
    assert refused(Invalid, projects.create_project, session, 999_999,
                   project_fields(), actor=officer).field == "mission_id"  # fmt: skip
    refused(Forbidden, projects.create_project, session, mission.id, project_fields(),
            actor=resident)  # fmt: skip
    assert session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0


def test_updating_keeps_the_address_and_logs_what_changed(
    session: Session, officer: User, project: Project
) -> None:
    slug = project.slug
    projects.update_project(
        session, slug, project_fields(title="Renamed", protocol=project.protocol), actor=officer
    )
    changed = reloaded(session, project)
    assert (changed.slug, changed.title) == (slug, "Renamed")
    entry = session.scalars(sa.select(AuditEntry)).one()
    assert entry.action == "appraisals.project_updated"
    assert set(entry.details) == {"title", "summary"}


def test_the_public_sees_open_and_closed_projects_of_published_missions_and_staff_all(
    session: Session, officer: User, mission: Mission
) -> None:
    draft_mission = make_mission(session, status=MissionStatus.DRAFT)
    other_mission = make_mission(session, slug="greener")
    opened = make_science_project(session, mission, title="Open one")
    closed = make_science_project(session, mission, title="Closed one", status=Status.CLOSED)
    draft = make_science_project(session, mission, title="Draft one", status=Status.DRAFT)
    hidden = make_science_project(session, draft_mission, title="Of a draft mission")
    elsewhere = make_science_project(session, other_mission, title="Elsewhere")
    evaluator = make_user(session, role=Role.EVALUATOR)

    def titles(viewer: Any, **kwargs: Any) -> set[str]:
        page = projects.list_projects(session, viewer=viewer, **kwargs)
        return {p.title for p in page.items}

    public = {opened.title, closed.title, elsewhere.title}
    assert titles(None) == public
    assert titles(make_user(session)) == public
    everything = public | {draft.title, hidden.title}
    assert titles(officer) == everything
    assert titles(evaluator) == everything
    assert titles(None, mission_slug="clean-air") == {opened.title, closed.title}
    assert titles(None, mission_slug="no-such-mission") == set()


def test_the_list_is_paginated_newest_first(session: Session, mission: Mission) -> None:
    for number in range(projects.PER_PAGE + 3):
        make_science_project(session, mission, title=f"Project {number}", with_fields=False)
    first = projects.list_projects(session, viewer=None)
    second = projects.list_projects(session, viewer=None, page=2)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (23, 2, 20, 3)
    assert first.items[0].title == "Project 22"
    assert second.items[-1].title == "Project 0"


def test_drafts_are_not_found_for_the_public(session: Session, project: Project) -> None:
    refused(NotFound, projects.get_project, session, project.slug, viewer=None)
    refused(NotFound, projects.get_project, session, project.slug, viewer=make_user(session))
    evaluator = make_user(session, role=Role.EVALUATOR)
    assert projects.get_project(session, project.slug, viewer=evaluator) is not None


# --- Questions: names ---------------------------------------------------------------------------


def test_an_officer_adds_questions_at_the_end_of_the_form(
    session: Session, officer: User, project: Project
) -> None:
    added = projects.add_field(session, project.slug, decimal(), actor=officer)
    projects.add_field(session, project.slug, choice(), actor=officer)

    assert names(session, project) == ["pm25", "site"]
    assert [f.position for f in reloaded(session, project).fields] == [1, 2]
    assert (added.unit, added.min_value, added.max_value) == ("µg/m³", 0, 1000)
    assert (added.expected_min, added.expected_max) == (0, 150)
    assert actions(session) == ["appraisals.field_added", "appraisals.field_added"]


def test_an_empty_name_is_made_from_the_label_and_kept_free(
    session: Session, officer: User, project: Project
) -> None:
    made = [
        projects.add_field(session, project.slug, text(name="", label=label), actor=officer).name
        for label in ("PM2.5 reading", "PM2.5 reading", "2 trees?", "État", "!!!", "State")
    ]
    assert made == ["pm2_5_reading", "pm2_5_reading_2", "q_2_trees", "etat", "question", "state_2"]


@pytest.mark.parametrize(
    "name", ["PM25", "2nd", "_x", "with space", "pm-25", "é", "a" * 65, "x;drop"]
)
def test_names_are_lower_case_letters_digits_and_underscores(
    session: Session, officer: User, project: Project, name: str
) -> None:
    error = refused(Invalid, projects.add_field, session, project.slug, text(name=name),
                    actor=officer)  # fmt: skip
    assert error.field == "name"


@pytest.mark.parametrize("name", sorted(projects.RESERVED_FIELD_NAMES))
def test_the_exports_own_columns_are_reserved(
    session: Session, officer: User, project: Project, name: str
) -> None:
    error = refused(Invalid, projects.add_field, session, project.slug, text(name=name),
                    actor=officer)  # fmt: skip
    assert error.field == "name"
    assert "column of every export" in error.message


def test_names_are_unique_in_a_form(session: Session, officer: User, project: Project) -> None:
    projects.add_field(session, project.slug, text("note"), actor=officer)
    error = refused(Conflict, projects.add_field, session, project.slug, text("note"),
                    actor=officer)  # fmt: skip
    assert error.field == "name"
    other = make_science_project(session, with_fields=False)
    projects.add_field(session, other.slug, text("note"), actor=officer)  # another form: fine


def test_a_question_needs_a_label_of_sensible_length(
    session: Session, officer: User, project: Project
) -> None:
    for label in ("", "   ", "x" * 301):
        error = refused(Invalid, projects.add_field, session, project.slug,
                        text(label=label), actor=officer)  # fmt: skip
        assert error.field == "label"
    error = refused(Invalid, projects.add_field, session, project.slug, text(hint="x" * 2001),
                    actor=officer)  # fmt: skip
    assert error.field == "hint"


def test_only_officers_change_forms(session: Session, project: Project) -> None:
    for person in (make_user(session), make_user(session, role=Role.EVALUATOR), None):
        refused(Forbidden, projects.add_field, session, project.slug, text(), actor=person)


# --- Questions: numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"min_value": 10, "max_value": 5}, "max_value"),
        ({"expected_min": 100, "expected_max": 50}, "expected_max"),
        ({"expected_min": -1}, "expected_min"),
        ({"expected_max": 1001}, "expected_max"),
        ({"min_value": None, "max_value": 100, "expected_max": 200}, "expected_max"),
        ({"min_value": math.nan}, "min_value"),
        ({"max_value": math.inf}, "max_value"),
        ({"expected_min": -math.inf}, "expected_min"),
        ({"max_value": 1e13}, "max_value"),
        ({"unit": "x" * 41}, "unit"),
    ],
)
def test_number_ranges_are_ordered_and_the_expected_one_lies_inside_the_allowed_one(
    session: Session, officer: User, project: Project, changes: dict[str, Any], field: str
) -> None:
    error = refused(Invalid, projects.add_field, session, project.slug, decimal(**changes),
                    actor=officer)  # fmt: skip
    assert error.field == field
    assert reloaded(session, project).fields == []


def test_ranges_may_be_open_or_equal(session: Session, officer: User, project: Project) -> None:
    projects.add_field(session, project.slug, decimal(name="a", min_value=None, max_value=None,
                       expected_min=None, expected_max=None), actor=officer)  # fmt: skip
    projects.add_field(session, project.slug, decimal(name="b", min_value=5, max_value=5,
                       expected_min=5, expected_max=5), actor=officer)  # fmt: skip
    projects.add_field(session, project.slug, decimal(name="c", min_value=None, max_value=None,
                       expected_min=-3, expected_max=None), actor=officer)  # fmt: skip
    assert names(session, project) == ["a", "b", "c"]


def test_whole_number_questions_need_whole_number_limits(
    session: Session, officer: User, project: Project
) -> None:
    error = refused(Invalid, projects.add_field, session, project.slug,
                    decimal(type=FieldType.INTEGER, min_value=0.5), actor=officer)  # fmt: skip
    assert error.field == "min_value"
    added = projects.add_field(session, project.slug, decimal(type=FieldType.INTEGER),
                               actor=officer)  # fmt: skip
    assert added.max_value == 1000


def test_options_that_do_not_apply_to_the_type_are_ignored(
    session: Session, officer: User, project: Project
) -> None:
    added = projects.add_field(
        session,
        project.slug,
        text(
            unit="cm", min_value=5, max_value=1, expected_min=math.nan, choices=[{"value": "x y"}]
        ),
        actor=officer,
    )
    assert (added.unit, added.min_value, added.max_value, added.expected_min) == (
        "",
        None,
        None,
        None,
    )
    assert added.choices == []
    numbers = projects.add_field(session, project.slug, decimal(choices=list(SITES)), actor=officer)
    assert numbers.choices == []


# --- Questions: choices and location ------------------------------------------------------------


@pytest.mark.parametrize(
    "choices",
    [
        [],
        [{"value": "", "label": "Nothing"}],
        [{"value": "main road", "label": "Main road"}],
        [{"value": "a", "label": "A"}, {"value": "a", "label": "Also A"}],
        [{"value": "x" * 101, "label": "Long"}],
        [{"value": "x", "label": "x" * 201}],
    ],
)
def test_choices_need_unique_one_word_values(
    session: Session, officer: User, project: Project, choices: list[dict[str, str]]
) -> None:
    error = refused(Invalid, projects.add_field, session, project.slug, choice(choices=choices),
                    actor=officer)  # fmt: skip
    assert error.field == "choices"


def test_a_choice_without_a_label_shows_its_value(
    session: Session, officer: User, project: Project
) -> None:
    added = projects.add_field(
        session,
        project.slug,
        choice(type=FieldType.MULTIPLE_CHOICE, choices=[{"value": " oak ", "label": ""}]),
        actor=officer,
    )
    assert added.choices == [{"value": "oak", "label": "oak"}]


def test_a_form_has_at_most_one_location_question(
    session: Session, officer: User, project: Project
) -> None:
    where = FieldValues(type=FieldType.LOCATION, name="where", label="Where")
    projects.add_field(session, project.slug, where, actor=officer)
    error = refused(Conflict, projects.add_field, session, project.slug,
                    replace(where, name="again"), actor=officer)  # fmt: skip
    assert error.field == "type"
    note = projects.add_field(session, project.slug, text(), actor=officer)
    error = refused(Conflict, projects.update_field, session, project.slug, note.id,
                    replace(where, name="note"), actor=officer)  # fmt: skip
    assert error.field == "type"


def test_a_form_has_at_most_so_many_questions(
    session: Session, officer: User, project: Project
) -> None:
    for number in range(projects.MAX_FIELDS):
        make_field(project, f"q{number}")
    session.commit()
    refused(Conflict, projects.add_field, session, project.slug, text("one_more"), actor=officer)


# --- Questions: conditions ----------------------------------------------------------------------


def test_a_condition_names_an_earlier_question_and_one_of_its_choices(
    session: Session, officer: User, project: Project
) -> None:
    projects.add_field(session, project.slug, choice(), actor=officer)
    shown = projects.add_field(
        session,
        project.slug,
        text("lorries", condition_field="site", condition_value="road"),
        actor=officer,
    )
    by_label = projects.add_field(
        session,
        project.slug,
        text("trees", condition_field="site", condition_value="in a PARK"),
        actor=officer,
    )
    assert (shown.condition_field, shown.condition_value) == ("site", "road")
    assert by_label.condition_value == "park"  # the label typed, the value stored

    error = refused(Invalid, projects.add_field, session, project.slug,
                    text("x", condition_field="site", condition_value="beach"), actor=officer)  # fmt: skip
    assert (error.field, error.params["choices"]) == ("condition_value", "school, road, park")
    error = refused(Invalid, projects.add_field, session, project.slug,
                    text("x", condition_field="site", condition_value=" "), actor=officer)  # fmt: skip
    assert error.field == "condition_value"
    error = refused(Invalid, projects.add_field, session, project.slug,
                    text("x", condition_field="nowhere", condition_value="a"), actor=officer)  # fmt: skip
    assert error.field == "condition_field"


def test_a_condition_can_only_name_a_question_before_it(
    session: Session, officer: User, project: Project
) -> None:
    first = projects.add_field(session, project.slug, text("first"), actor=officer)
    projects.add_field(session, project.slug, choice(), actor=officer)
    error = refused(
        Invalid, projects.update_field, session, project.slug, first.id,
        text("first", condition_field="site", condition_value="road"), actor=officer,
    )  # fmt: skip
    assert error.field == "condition_field"
    error = refused(
        Invalid, projects.update_field, session, project.slug, first.id,
        text("first", condition_field="first", condition_value="x"), actor=officer,
    )  # fmt: skip
    assert error.field == "condition_field"


def test_number_and_text_conditions_are_stored_in_one_spelling(
    session: Session, officer: User, project: Project
) -> None:
    projects.add_field(session, project.slug, decimal(name="count", type=FieldType.INTEGER),
                       actor=officer)  # fmt: skip
    projects.add_field(session, project.slug, decimal(), actor=officer)
    projects.add_field(session, project.slug, text("street"), actor=officer)

    def condition(name: str, target: str, value: str) -> str:
        values = text(name, condition_field=target, condition_value=value)
        return projects.add_field(session, project.slug, values, actor=officer).condition_value

    assert condition("a", "count", " 3 ") == "3"
    assert condition("b", "pm25", "2,50") == "2.5"
    assert condition("c", "pm25", "40.0") == "40"
    assert condition("d", "street", "High Street") == "High Street"
    for target, value in (("count", "2.5"), ("count", "many"), ("pm25", "nan"), ("pm25", "1e400")):
        error = refused(Invalid, projects.add_field, session, project.slug,
                        text("z", condition_field=target, condition_value=value), actor=officer)  # fmt: skip
        assert error.field == "condition_value"


@pytest.mark.parametrize(
    "field_type",
    [FieldType.LONG_TEXT, FieldType.DATE, FieldType.TIME, FieldType.DATETIME,
     FieldType.LOCATION, FieldType.PHOTO],
)  # fmt: skip
def test_conditions_cannot_depend_on_questions_without_one_comparable_answer(
    session: Session, officer: User, project: Project, field_type: FieldType
) -> None:
    projects.add_field(session, project.slug, FieldValues(type=field_type, name="earlier",
                       label="Earlier"), actor=officer)  # fmt: skip
    error = refused(Invalid, projects.add_field, session, project.slug,
                    text(condition_field="earlier", condition_value="x"), actor=officer)  # fmt: skip
    assert error.field == "condition_field"


# --- Changing and deleting questions ------------------------------------------------------------


def test_renaming_a_question_renames_the_conditions_that_name_it(
    session: Session, officer: User, project: Project
) -> None:
    site = projects.add_field(session, project.slug, choice(), actor=officer)
    projects.add_field(session, project.slug, text("why", condition_field="site",
                       condition_value="road"), actor=officer)  # fmt: skip

    projects.update_field(session, project.slug, site.id, choice(name="place"), actor=officer)

    fields = reloaded(session, project).fields
    assert [(f.name, f.condition_field) for f in fields] == [("place", None), ("why", "place")]
    assert actions(session)[-1] == "appraisals.field_updated"


def test_a_change_that_would_break_a_condition_is_refused(
    session: Session, officer: User, project: Project
) -> None:
    site = projects.add_field(session, project.slug, choice(), actor=officer)
    projects.add_field(session, project.slug, text("why", condition_field="site",
                       condition_value="road"), actor=officer)  # fmt: skip

    without_road = [c for c in SITES if c["value"] != "road"]
    error = refused(Conflict, projects.update_field, session, project.slug, site.id,
                    choice(choices=without_road), actor=officer)  # fmt: skip
    assert error.field == "choices"
    error = refused(Conflict, projects.update_field, session, project.slug, site.id,
                    choice(type=FieldType.DATE), actor=officer)  # fmt: skip
    assert error.field == "type"
    # As a short text, "road" still makes sense.
    projects.update_field(
        session, project.slug, site.id, choice(type=FieldType.TEXT), actor=officer
    )


def test_submissions_lock_names_types_deletions_and_choices_already_offered(
    session: Session, officer: User
) -> None:
    project = make_science_project(session)
    make_submission(session, project)
    site = next(f for f in project.fields if f.name == "site")

    error = refused(Conflict, projects.update_field, session, project.slug, site.id,
                    choice(name="place"), actor=officer)  # fmt: skip
    assert error.field == "name"
    error = refused(Conflict, projects.update_field, session, project.slug, site.id,
                    choice(type=FieldType.MULTIPLE_CHOICE), actor=officer)  # fmt: skip
    assert error.field == "type"
    error = refused(Conflict, projects.update_field, session, project.slug, site.id,
                    choice(choices=SITES[:2]), actor=officer)  # fmt: skip
    assert (error.field, error.params["values"]) == ("choices", "park")
    refused(Conflict, projects.delete_field, session, project.slug, site.id, actor=officer)

    # Wording, hints, required, ranges, added choices and a blank name (kept) are fine.
    more = [*SITES, {"value": "beach", "label": "On the beach"}]
    projects.update_field(
        session, project.slug, site.id,
        choice(name="", label="Where did you measure?", hint="The closest.", required=True, choices=more),
        actor=officer,
    )  # fmt: skip
    session.expire_all()
    changed = session.get(FormField, site.id)
    assert changed is not None
    assert (changed.name, changed.label, changed.required) == (
        "site",
        "Where did you measure?",
        True,
    )
    assert [c["value"] for c in changed.choices] == ["school", "road", "park", "beach"]


def test_deleting_a_question_renumbers_the_others(
    session: Session, officer: User, project: Project
) -> None:
    for name in ("a", "b", "c"):
        projects.add_field(session, project.slug, text(name), actor=officer)
    middle = reloaded(session, project).fields[1]

    projects.delete_field(session, project.slug, middle.id, actor=officer)

    fields = reloaded(session, project).fields
    assert [(f.name, f.position) for f in fields] == [("a", 1), ("c", 2)]
    assert actions(session)[-1] == "appraisals.field_deleted"


def test_a_question_others_depend_on_cannot_be_deleted(
    session: Session, officer: User, project: Project
) -> None:
    site = projects.add_field(session, project.slug, choice(), actor=officer)
    projects.add_field(session, project.slug, text("why", condition_field="site",
                       condition_value="road"), actor=officer)  # fmt: skip
    error = refused(Conflict, projects.delete_field, session, project.slug, site.id, actor=officer)
    assert error.params["question"] == "Why"


def test_an_open_project_keeps_a_question(
    session: Session, officer: User, project: Project
) -> None:
    only = projects.add_field(session, project.slug, text(), actor=officer)
    projects.change_status(session, project.slug, Status.OPEN, actor=officer)
    refused(Conflict, projects.delete_field, session, project.slug, only.id, actor=officer)


def test_questions_of_another_project_are_not_found(
    session: Session, officer: User, project: Project
) -> None:
    other = make_science_project(session)
    stranger = other.fields[0].id
    refused(NotFound, projects.get_field, session, project.slug, stranger, actor=officer)
    refused(NotFound, projects.update_field, session, project.slug, stranger, text(), actor=officer)
    refused(NotFound, projects.delete_field, session, project.slug, stranger, actor=officer)
    refused(NotFound, projects.move_field, session, project.slug, stranger, 1, actor=officer)
    refused(NotFound, projects.add_field, session, "no-such-project", text(), actor=officer)


def test_moving_questions_up_and_down(session: Session, officer: User, project: Project) -> None:
    for name in ("a", "b", "c"):
        projects.add_field(session, project.slug, text(name), actor=officer)
    a, b, c = reloaded(session, project).fields

    projects.move_field(session, project.slug, c.id, -1, actor=officer)
    assert names(session, project) == ["a", "c", "b"]
    projects.move_field(session, project.slug, a.id, 1, actor=officer)
    assert names(session, project) == ["c", "a", "b"]
    projects.move_field(session, project.slug, c.id, -1, actor=officer)  # first already
    projects.move_field(session, project.slug, b.id, 1, actor=officer)  # last already
    assert names(session, project) == ["c", "a", "b"]
    assert [f.position for f in reloaded(session, project).fields] == [1, 2, 3]


def test_a_question_cannot_move_above_the_one_it_depends_on(
    session: Session, officer: User, project: Project
) -> None:
    site = projects.add_field(session, project.slug, choice(), actor=officer)
    why = projects.add_field(session, project.slug, text("why", condition_field="site",
                             condition_value="road"), actor=officer)  # fmt: skip
    refused(Conflict, projects.move_field, session, project.slug, why.id, -1, actor=officer)
    refused(Conflict, projects.move_field, session, project.slug, site.id, 1, actor=officer)
    assert names(session, project) == ["site", "why"]


# --- Opening and closing ------------------------------------------------------------------------


def test_a_project_opens_with_a_question_closes_and_reopens(
    session: Session, officer: User, project: Project
) -> None:
    error = refused(Invalid, projects.change_status, session, project.slug, Status.OPEN,
                    actor=officer)  # fmt: skip
    assert "at least one question" in error.message
    refused(Conflict, projects.change_status, session, project.slug, Status.CLOSED, actor=officer)

    projects.add_field(session, project.slug, text(), actor=officer)
    projects.change_status(session, project.slug, Status.OPEN, actor=officer)
    refused(Conflict, projects.change_status, session, project.slug, Status.OPEN, actor=officer)
    projects.change_status(session, project.slug, Status.CLOSED, actor=officer)
    refused(Conflict, projects.change_status, session, project.slug, Status.CLOSED, actor=officer)
    refused(Conflict, projects.change_status, session, project.slug, Status.DRAFT, actor=officer)
    projects.change_status(session, project.slug, Status.OPEN, actor=officer)

    assert reloaded(session, project).status is Status.OPEN
    assert [a for a in actions(session) if "project_" in a] == [
        "appraisals.project_opened", "appraisals.project_closed", "appraisals.project_opened",
    ]  # fmt: skip


# --- XLSForm import -----------------------------------------------------------------------------


def workbook(survey: list[list[Any]], choices: list[list[Any]] | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    if choices:
        extra = book.create_sheet("choices")
        for row in choices:
            extra.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = ["type", "name", "label", "hint", "required", "constraint", "relevant"]
CHOICES = [
    ["list_name", "name", "label"],
    ["sites", "road", "By a road"],
    ["sites", "park", "Park"],
]


def test_an_import_replaces_the_form_and_returns_its_notices(
    session: Session, officer: User, project: Project
) -> None:
    projects.add_field(session, project.slug, text("old"), actor=officer)
    data = workbook([
        HEADER,
        ["start", "start"],
        ["select_one sites", "site", "Where?", "Pick one", "yes"],
        ["decimal", "pm25", "PM2.5", None, "yes", ". >= 0 and . <= 500"],
        ["text", "why", "Why here?", None, None, None, "${site} = 'road'"],
        ["geopoint", "where", "Where exactly"],
    ], CHOICES)  # fmt: skip

    result = projects.import_xlsform(session, project.slug, data, actor=officer)

    assert result.fields == 4
    assert [w.row for w in result.warnings] == [2]
    fields = reloaded(session, project).fields
    assert [(f.name, f.type, f.position) for f in fields] == [
        ("site", FieldType.SINGLE_CHOICE, 1), ("pm25", FieldType.DECIMAL, 2),
        ("why", FieldType.TEXT, 3), ("where", FieldType.LOCATION, 4),
    ]  # fmt: skip
    assert (fields[0].hint, fields[0].required) == ("Pick one", True)
    assert (fields[1].min_value, fields[1].max_value) == (0, 500)
    assert (fields[2].condition_field, fields[2].condition_value) == ("site", "road")
    entry = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    assert (entry.action, entry.details) == (
        "appraisals.form_imported",
        {"fields": 4, "warnings": 1},
    )


def test_the_services_rules_are_checked_on_import_and_reported_by_row(
    session: Session, officer: User, project: Project
) -> None:
    projects.add_field(session, project.slug, text("old"), actor=officer)
    data = workbook([
        HEADER,
        ["text", "state", "State"],  # reserved
        ["text", "note", "Note"],
        ["text", "note", "Note again"],  # duplicate
        ["decimal", "depth", "Depth", None, None, ". >= 10 and . <= 5"],  # min above max
        ["geopoint", "here", "Here"],
        ["geopoint", "there", "There"],  # a second location
        ["integer", "big", "Big", None, None, ". <= 99999999999999"],  # beyond the limit
        ["select_one sites", "site", "Site"],
        ["text", "why", "Why?", None, None, None, "${site} = 'beach'"],  # not a choice
        ["text", "blank", None],  # no label
    ], CHOICES)  # fmt: skip

    with pytest.raises(XLSFormError) as raised:
        projects.import_xlsform(session, project.slug, data, actor=officer)

    assert [(p.sheet, p.row) for p in raised.value.problems] == [
        ("survey", 2), ("survey", 4), ("survey", 5), ("survey", 7), ("survey", 8),
        ("survey", 10), ("survey", 11),
    ]  # fmt: skip
    assert "column of every export" in raised.value.problems[0].message
    assert names(session, project) == ["old"]  # nothing changed
    assert actions(session) == ["appraisals.field_added"]


def test_file_problems_reach_the_caller_untouched(
    session: Session, officer: User, project: Project
) -> None:
    with pytest.raises(XLSFormError) as raised:
        projects.import_xlsform(session, project.slug, b"not a workbook", actor=officer)
    assert raised.value.problems[0].row == 0
    refused(
        Forbidden, projects.import_xlsform, session, project.slug, b"", actor=make_user(session)
    )


def test_with_submissions_an_import_must_keep_every_question_by_name_and_type(
    session: Session, officer: User
) -> None:
    project = make_science_project(session)
    make_submission(session, project)
    ids = {f.name: f.id for f in project.fields}
    keep_all: list[list[Any]] = [
        ["type", "name", "label", "constraint", "appearance"],
        ["decimal", "pm25", "PM2.5 (µg/m³)", ". >= 0 and . <= 800"],
        ["select_one sites", "site", "Where?"],
        ["text", "note", "Notes", None, "multiline"],
        ["geopoint", "location", "Where"],
        ["image", "photo", "Photo"],
        ["integer", "lorries", "Lorries"],
    ]
    sites: list[list[Any]] = [["list_name", "name", "label"], ["sites", "school", "School"],
             ["sites", "road", "Road"], ["sites", "park", "Park"], ["sites", "beach", "Beach"]]  # fmt: skip

    with pytest.raises(XLSFormError) as raised:
        projects.import_xlsform(session, project.slug, workbook(keep_all[:2], sites), actor=officer)
    assert sorted(str(p.params.get("name", "")) for p in raised.value.problems) == [
        "location", "note", "photo", "site",
    ]  # fmt: skip
    changed_type = [*keep_all[:3], ["integer", "note", "Notes"], *keep_all[4:]]
    with pytest.raises(XLSFormError) as raised:
        projects.import_xlsform(session, project.slug, workbook(changed_type, sites), actor=officer)
    assert [(p.row, p.message) for p in raised.value.problems] == [
        (4, "The project has submissions: the type of a question can no longer change.")
    ]
    fewer_sites = [["list_name", "name", "label"], ["sites", "school", "School"]]
    with pytest.raises(XLSFormError):
        projects.import_xlsform(
            session, project.slug, workbook(keep_all, fewer_sites), actor=officer
        )

    projects.import_xlsform(session, project.slug, workbook(keep_all, sites), actor=officer)

    fields = reloaded(session, project).fields
    assert [f.name for f in fields] == ["pm25", "site", "note", "location", "photo", "lorries"]
    assert {f.name: f.id for f in fields if f.name in ids} == ids  # the same rows
    assert (fields[0].label, fields[0].max_value) == ("PM2.5 (µg/m³)", 800)
    assert fields[2].type is FieldType.LONG_TEXT
    assert [c["value"] for c in fields[1].choices] == ["school", "road", "park", "beach"]
