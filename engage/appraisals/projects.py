"""Citizen-science projects and their forms: creating and editing them, their fields and the
XLSForm import, opening and closing them.

Rules:
- Officers make projects and build their forms; the public sees open and closed projects of
  published missions; officers and evaluators see drafts too.
- A question's name is its answers' key, CSV column and GeoJSON property: lower-case letters,
  digits and underscores, starting with a letter, unique in the form and none of the export's own
  columns. Left empty, it is made from the label.
- Numbers have a unit, an allowed range (answers outside are refused) and an expected range
  inside it (answers outside are stored, and flagged for review). Choices have unique one-word
  values. A form has at most one location question: it is the observation's point.
- A question may be shown only when an earlier choice, short text or number question has a given
  answer (for a multiple choice: includes it).
- Once a project has submissions, its questions keep their names and types and cannot be
  deleted, and choices can be added but not removed (the stored answers use them); wording,
  hints, required, ranges, conditions and the order can still change.
- A project opens once its form has a question; a closed project can be reopened.

Officers' changes are audit-logged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from slugify import slugify
from sqlalchemy.orm import Session, selectinload

from engage import audit
from engage.accounts.models import User
from engage.appraisals import answers, xlsform
from engage.appraisals.models import FieldType, FormField, Project, Status, Submission
from engage.errors import N_, Conflict, DomainError, Forbidden, Invalid, NotFound
from engage.missions import services as missions
from engage.missions.models import Mission, MissionStatus
from engage.pagination import Page, offset_of
from engage.security import Role, holds
from engage.slugs import unique_slug

# First path segments under /science that are pages, not projects.
RESERVED_SLUGS = frozenset({"new", "submissions", "photos"})
# The export's own columns, and the form's CSRF token (each answer's input is named after its
# question), which no question may be named.
RESERVED_FIELD_NAMES = frozenset(
    {
        "csrf_token",
        "submission_id",
        "submitted_at",
        "submitter",
        "state",
        "area",
        "latitude",
        "longitude",
        "location_generalised",
        "flags",
    }
)
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
NUMBER_TYPES = frozenset({FieldType.INTEGER, FieldType.DECIMAL})
CHOICE_TYPES = frozenset({FieldType.SINGLE_CHOICE, FieldType.MULTIPLE_CHOICE})
# The questions another question's condition can name: those with one answer to compare.
CONDITION_TYPES = NUMBER_TYPES | CHOICE_TYPES | {FieldType.TEXT}

PER_PAGE = 20
TITLE_MAX_LENGTH = 200
LABEL_MAX_LENGTH = 300
HINT_MAX_LENGTH = 2000
UNIT_MAX_LENGTH = 40
CHOICE_VALUE_MAX_LENGTH = 100
CHOICE_LABEL_MAX_LENGTH = 200
CONDITION_VALUE_MAX_LENGTH = 200
MAX_FIELDS = 200
MAX_CHOICES = 500
NUMBER_LIMIT = 1e12  # a range beyond a trillion is a typing mistake


@dataclass
class ProjectFields:
    title: str
    summary: str
    protocol: str


@dataclass
class FieldValues:
    """A question as the officer gives it. Options that do not apply to the type are ignored."""

    type: FieldType
    name: str  # empty: made from the label
    label: str
    hint: str = ""
    required: bool = False
    unit: str = ""
    min_value: float | None = None
    max_value: float | None = None
    expected_min: float | None = None
    expected_max: float | None = None
    choices: list[dict[str, str]] = field(default_factory=list)  # [{"value", "label"}]
    condition_field: str | None = None
    condition_value: str = ""


@dataclass(frozen=True)
class ImportResult:
    fields: int
    warnings: list[xlsform.Problem]


# --- Who sees what ------------------------------------------------------------------------------


def may_manage(viewer: Any) -> bool:
    """Officers (and admins) build projects and see them while they are drafts."""
    return holds(viewer, Role.OFFICER)


def may_review(viewer: Any) -> bool:
    """Officers and evaluators review submissions and see their exact points and exports."""
    return holds(viewer, Role.OFFICER) or holds(viewer, Role.EVALUATOR)


def get_project(session: Session, slug: str, *, viewer: Any) -> Project:
    """The project at ``slug`` as ``viewer`` may see it: drafts (and projects of draft
    missions) only for those who manage projects or review submissions."""
    project = session.scalars(sa.select(Project).where(Project.slug == slug)).one_or_none()
    hidden = project is not None and (
        project.status is Status.DRAFT or project.mission.status is MissionStatus.DRAFT
    )
    if project is None or (hidden and not may_review(viewer)):
        raise NotFound(N_("There is no citizen-science project at this address."))
    return project


def list_projects(
    session: Session, *, viewer: Any, mission_slug: str | None = None, page: int = 1
) -> Page[Project]:
    """Newest first: open and closed projects of published missions, and for officers and
    evaluators drafts too; optionally one mission's."""
    query = sa.select(Project).join(Mission, Mission.id == Project.mission_id)
    if mission_slug:
        query = query.where(Mission.slug == mission_slug)
    if not may_review(viewer):
        query = query.where(Project.status != Status.DRAFT, Mission.status != MissionStatus.DRAFT)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.options(selectinload(Project.mission))
        .order_by(Project.created_at.desc(), Project.id.desc())
        .offset(offset_of(page, PER_PAGE))
        .limit(PER_PAGE)
    )
    return Page(list(items), max(page, 1), PER_PAGE, total)


def mission_choices(session: Session) -> list[Mission]:
    """The missions a project can be made for (drafts included: officers prepare both)."""
    return missions.list_missions(session, include_drafts=True)


def count_submissions(session: Session, project_id: int) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Submission)
            .where(Submission.project_id == project_id)
        )
        or 0
    )


def condition_labels(project: Project) -> dict[int, tuple[str, str]]:
    """For each question shown under a condition, by its id: the label of the question it
    depends on and the answer that shows it (a choice's label rather than its value)."""
    by_name = {f.name: f for f in project.fields}
    labels: dict[int, tuple[str, str]] = {}
    for form_field in project.fields:
        target = by_name.get(form_field.condition_field or "")
        if target is None:
            continue
        answer = next(
            (c["label"] for c in target.choices if c["value"] == form_field.condition_value),
            form_field.condition_value,
        )
        labels[form_field.id] = (target.label, answer)
    return labels


def _manageable(session: Session, slug: str, actor: Any) -> Project:
    if not may_manage(actor):
        raise Forbidden(N_("Only officers can change citizen-science projects."))
    return get_project(session, slug, viewer=actor)


def get_field(session: Session, slug: str, field_id: int, *, actor: Any) -> FormField:
    """A question of the project at ``slug``, for the officer editing it."""
    return _field_of(_manageable(session, slug, actor), field_id)


def _field_of(project: Project, field_id: int) -> FormField:
    found = next((f for f in project.fields if f.id == field_id), None)
    if found is None:
        raise NotFound(N_("This project's form has no such question."))
    return found


# --- Projects -----------------------------------------------------------------------------------


def _checked_project(values: ProjectFields) -> ProjectFields:
    title = values.title.strip()
    if not title:
        raise Invalid(N_("Give the project a title."), field="title")
    if len(title) > TITLE_MAX_LENGTH:
        raise Invalid(
            N_("Keep the title within %(max)s characters."), field="title", max=TITLE_MAX_LENGTH
        )
    return ProjectFields(title, values.summary.strip(), values.protocol.strip())


def create_project(
    session: Session, mission_id: int, values: ProjectFields, *, actor: User
) -> Project:
    """A draft project for the mission, with an empty form; its address is made from the title."""
    if not may_manage(actor):
        raise Forbidden(N_("Only officers can change citizen-science projects."))
    mission = session.get(Mission, mission_id)
    if mission is None:
        raise Invalid(N_("Choose a mission from the list."), field="mission_id")
    values = _checked_project(values)
    project = Project(
        mission_id=mission.id,
        slug=unique_slug(
            session, Project.slug, values.title, fallback="project", reserved=RESERVED_SLUGS
        ),
        title=values.title,
        summary=values.summary,
        protocol=values.protocol,
        created_by_id=actor.id,
    )
    session.add(project)
    session.flush()
    audit.record(
        session, actor, "appraisals.project_created", f"appraisal_project:{project.id}",
        {"mission": mission.id, "slug": project.slug},
    )  # fmt: skip
    session.commit()
    return project


def update_project(session: Session, slug: str, values: ProjectFields, *, actor: User) -> Project:
    """Change the title, summary and protocol (the address stays, so links keep working)."""
    project = _manageable(session, slug, actor)
    values = _checked_project(values)
    changed: dict[str, list[Any]] = {}
    for name in ("title", "summary", "protocol"):
        before, after = getattr(project, name), getattr(values, name)
        if before != after:
            changed[name] = [before, after]
            setattr(project, name, after)
    if changed:
        audit.record(
            session, actor, "appraisals.project_updated", f"appraisal_project:{project.id}",
            changed,
        )  # fmt: skip
    session.commit()
    return project


def change_status(session: Session, slug: str, status: Status, *, actor: User) -> Project:
    """Open a draft or closed project (it needs a question), or close an open one."""
    project = _manageable(session, slug, actor)
    before = project.status
    if status is Status.OPEN:
        if before is Status.OPEN:
            raise Conflict(N_("This project is open already."))
        if not project.fields:
            raise Invalid(N_("Add at least one question to the form before opening the project."))
        action = "appraisals.project_opened"
    elif status is Status.CLOSED:
        if before is not Status.OPEN:
            raise Conflict(N_("Only an open project can be closed."))
        action = "appraisals.project_closed"
    else:
        raise Conflict(N_("A project that has been opened cannot become a draft again."))
    project.status = status
    audit.record(session, actor, action, f"appraisal_project:{project.id}", {"from": before.value})
    session.commit()
    return project


# --- Checking a question ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Question:
    """What the rules need to know of the form's other questions."""

    name: str
    type: FieldType
    choices: list[dict[str, str]]


def _question(form_field: FormField) -> _Question:
    return _Question(form_field.name, form_field.type, list(form_field.choices or []))


def name_from_label(label: str, taken: set[str] | frozenset[str]) -> str:
    """A free name made from the label: "PM2.5 reading" gives ``pm2_5_reading``."""
    base = slugify(label, separator="_", max_length=56, word_boundary=True)
    if not base:
        base = "question"
    elif not base[0].isalpha():
        base = f"q_{base}"
    name, number = base, 1
    while name in taken or name in RESERVED_FIELD_NAMES:
        number += 1
        name = f"{base}_{number}"
    return name


def _checked_name(
    values: FieldValues, label: str, others: Sequence[_Question], current: FormField | None
) -> str:
    taken = {other.name for other in others}
    name = values.name.strip() or (current.name if current is not None else "")
    if not name:
        return name_from_label(label, taken)
    if not FIELD_NAME.fullmatch(name):
        raise Invalid(
            N_(
                "Start the name with a lower-case letter and use only lower-case letters, "
                "digits and underscores (at most 64)."
            ),
            field="name",
        )
    if name in RESERVED_FIELD_NAMES:
        raise Invalid(
            N_("“%(name)s” is a column of every export. Choose another name."),
            field="name",
            name=name,
        )
    if name in taken:
        raise Conflict(
            N_("Another question of this form is named “%(name)s”."), field="name", name=name
        )
    return name


def _checked_numbers(values: FieldValues, *, whole: bool) -> dict[str, Any]:
    bounds = {
        "min_value": values.min_value,
        "max_value": values.max_value,
        "expected_min": values.expected_min,
        "expected_max": values.expected_max,
    }
    for name, value in bounds.items():
        if value is None:
            continue
        if not math.isfinite(value) or abs(value) > NUMBER_LIMIT:
            raise Invalid(N_("Give a number between minus and plus a million million."), field=name)
        if whole and not float(value).is_integer():
            raise Invalid(N_("A whole-number question needs whole-number limits."), field=name)
    low, high = values.min_value, values.max_value
    expected_low, expected_high = values.expected_min, values.expected_max
    if low is not None and high is not None and low > high:
        raise Invalid(
            N_("The highest allowed value cannot be below the lowest."), field="max_value"
        )
    if expected_low is not None and expected_high is not None and expected_low > expected_high:
        raise Invalid(
            N_("The highest expected value cannot be below the lowest."), field="expected_max"
        )
    for name, value in (("expected_min", expected_low), ("expected_max", expected_high)):
        if value is None:
            continue
        if (low is not None and value < low) or (high is not None and value > high):
            raise Invalid(N_("The expected range must lie within the allowed range."), field=name)
    unit = values.unit.strip()
    if len(unit) > UNIT_MAX_LENGTH:
        raise Invalid(
            N_("Keep the unit within %(max)s characters."), field="unit", max=UNIT_MAX_LENGTH
        )
    return {key: None if value is None else float(value) for key, value in bounds.items()} | {
        "unit": unit
    }


def _checked_choices(choices: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    if not choices:
        raise Invalid(N_("Give at least one choice, one per line."), field="choices")
    if len(choices) > MAX_CHOICES:
        raise Invalid(
            N_("A question has at most %(max)s choices."), field="choices", max=MAX_CHOICES
        )
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for choice in choices:
        value = str(choice.get("value", "")).strip()
        label = str(choice.get("label", "")).strip() or value
        if not value:
            raise Invalid(N_("Every choice needs a value."), field="choices")
        if len(value) > CHOICE_VALUE_MAX_LENGTH or any(c.isspace() for c in value):
            raise Invalid(
                N_(
                    "A choice's value is one word of at most %(max)s characters, such as "
                    "“main_road”; “%(value)s” is not."
                ),
                field="choices",
                value=value[:CHOICE_VALUE_MAX_LENGTH],
                max=CHOICE_VALUE_MAX_LENGTH,
            )
        if len(label) > CHOICE_LABEL_MAX_LENGTH:
            raise Invalid(
                N_("Keep each choice's label within %(max)s characters."),
                field="choices",
                max=CHOICE_LABEL_MAX_LENGTH,
            )
        if value in seen:
            raise Invalid(
                N_("Two choices have the value “%(value)s”."), field="choices", value=value
            )
        seen.add(value)
        cleaned.append({"value": value, "label": label})
    return cleaned


def _condition_value(target: _Question, value: str) -> str:
    """The answer of ``target`` that shows a question, as stored: a choice's value, a whole
    number ("3"), a decimal ("2.5", "3" for 3.0) or the text."""
    value = value.strip()
    if target.type not in CONDITION_TYPES:
        raise Invalid(
            N_("A question can only depend on a choice, a short text or a number question."),
            field="condition_field",
        )
    if not value:
        raise Invalid(
            N_("Give the answer that makes this question appear."), field="condition_value"
        )
    if len(value) > CONDITION_VALUE_MAX_LENGTH:
        raise Invalid(
            N_("Keep the answer within %(max)s characters."),
            field="condition_value",
            max=CONDITION_VALUE_MAX_LENGTH,
        )
    if target.type in CHOICE_TYPES:
        for choice in target.choices:
            if value == choice["value"] or value.casefold() == choice["label"].casefold():
                return choice["value"]
        raise Invalid(
            N_("“%(value)s” is not one of the choices of that question: %(choices)s."),
            field="condition_value",
            value=value,
            choices=", ".join(choice["value"] for choice in target.choices),
        )
    if target.type in NUMBER_TYPES:
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or abs(number) > NUMBER_LIMIT:
            raise Invalid(
                N_("That question's answer is a number: give one."), field="condition_value"
            )
        if target.type is FieldType.INTEGER and not number.is_integer():
            raise Invalid(
                N_("That question's answer is a whole number: give one."), field="condition_value"
            )
        return str(int(number)) if number.is_integer() else repr(number)
    return value


def _checked(
    values: FieldValues,
    *,
    others: Sequence[_Question],
    earlier: Sequence[_Question],
    current: FormField | None = None,
    answered: bool = False,
) -> dict[str, Any]:
    """The question's columns, checked against the rules; ``others`` are the form's other
    questions, ``earlier`` those before it, ``current`` the question being edited and
    ``answered`` whether the project has submissions."""
    label = values.label.strip()
    if not label:
        raise Invalid(N_("Give the question a label."), field="label")
    if len(label) > LABEL_MAX_LENGTH:
        raise Invalid(
            N_("Keep the label within %(max)s characters."), field="label", max=LABEL_MAX_LENGTH
        )
    hint = values.hint.strip()
    if len(hint) > HINT_MAX_LENGTH:
        raise Invalid(
            N_("Keep the hint within %(max)s characters."), field="hint", max=HINT_MAX_LENGTH
        )
    name = _checked_name(values, label, others, current)
    field_type = values.type
    if current is not None and answered:
        if name != current.name:
            raise Conflict(
                N_(
                    "The project has submissions, whose answers are stored under this name: "
                    "it can no longer change."
                ),
                field="name",
            )
        if field_type is not current.type:
            raise Conflict(
                N_("The project has submissions: the type of a question can no longer change."),
                field="type",
            )
    if field_type is FieldType.LOCATION and any(
        other.type is FieldType.LOCATION for other in others
    ):
        raise Conflict(
            N_("A form has only one location question: it is the observation's point."),
            field="type",
        )
    columns: dict[str, Any] = {
        "type": field_type,
        "name": name,
        "label": label,
        "hint": hint,
        "required": bool(values.required),
        "unit": "",
        "min_value": None,
        "max_value": None,
        "expected_min": None,
        "expected_max": None,
        "choices": [],
        "condition_field": None,
        "condition_value": "",
    }
    if field_type in NUMBER_TYPES:
        columns |= _checked_numbers(values, whole=field_type is FieldType.INTEGER)
    if field_type in CHOICE_TYPES:
        columns["choices"] = _checked_choices(values.choices)
        if current is not None and answered:
            kept = {choice["value"] for choice in columns["choices"]}
            removed = [c["value"] for c in current.choices if c["value"] not in kept]
            if removed:
                raise Conflict(
                    N_(
                        "The project has submissions, which may use these choices, so they "
                        "must stay: %(values)s."
                    ),
                    field="choices",
                    values=", ".join(removed),
                )
    if values.condition_field:
        target = next((q for q in earlier if q.name == values.condition_field), None)
        if target is None:
            raise Invalid(
                N_("Choose a question that comes before this one."), field="condition_field"
            )
        columns["condition_field"] = target.name
        columns["condition_value"] = _condition_value(target, values.condition_value)
    return columns


def _keep_dependents(form_field: FormField, columns: dict[str, Any]) -> None:
    """The questions shown depending on ``form_field`` must still make sense after its change
    to ``columns``; they follow a new name."""
    changed = _Question(columns["name"], columns["type"], columns["choices"])
    for dependent in form_field.project.fields:
        if dependent.condition_field != form_field.name or dependent is form_field:
            continue
        try:
            value = _condition_value(changed, dependent.condition_value)
        except DomainError:
            raise Conflict(
                N_(
                    "“%(question)s” is shown only when this question's answer is “%(value)s”. "
                    "Change that question's condition first."
                ),
                field="choices" if columns["type"] is form_field.type else "type",
                question=dependent.label,
                value=dependent.condition_value,
            ) from None
        dependent.condition_field, dependent.condition_value = changed.name, value


def _has_submissions(session: Session, project: Project) -> bool:
    return bool(session.scalar(sa.select(sa.exists().where(Submission.project_id == project.id))))


def _renumber(fields: Sequence[FormField]) -> None:
    for position, each in enumerate(fields, start=1):
        each.position = position


# --- Questions ----------------------------------------------------------------------------------


def add_field(session: Session, slug: str, values: FieldValues, *, actor: User) -> FormField:
    """A question at the end of the form."""
    project = _manageable(session, slug, actor)
    if len(project.fields) >= MAX_FIELDS:
        raise Conflict(N_("A form has at most %(max)s questions."), max=MAX_FIELDS)
    existing = [_question(f) for f in project.fields]
    columns = _checked(values, others=existing, earlier=existing)
    form_field = FormField(
        position=max((f.position for f in project.fields), default=0) + 1, **columns
    )
    project.fields.append(form_field)
    session.flush()
    audit.record(
        session, actor, "appraisals.field_added", f"appraisal_project:{project.id}",
        {"field": form_field.id, "name": form_field.name, "type": form_field.type.value},
    )  # fmt: skip
    session.commit()
    return form_field


def update_field(
    session: Session, slug: str, field_id: int, values: FieldValues, *, actor: User
) -> FormField:
    project = _manageable(session, slug, actor)
    form_field = _field_of(project, field_id)
    index = project.fields.index(form_field)
    others = [_question(f) for f in project.fields if f is not form_field]
    columns = _checked(
        values,
        others=others,
        earlier=others[:index],
        current=form_field,
        answered=_has_submissions(session, project),
    )
    _keep_dependents(form_field, columns)
    changed: dict[str, list[Any]] = {}
    for name, after in columns.items():
        before = getattr(form_field, name)
        if before != after:
            changed[name] = [str(before), str(after)]
            setattr(form_field, name, after)
    if changed:
        audit.record(
            session, actor, "appraisals.field_updated", f"appraisal_project:{project.id}",
            {"field": form_field.id, **changed},
        )  # fmt: skip
    session.commit()
    return form_field


def delete_field(session: Session, slug: str, field_id: int, *, actor: User) -> None:
    project = _manageable(session, slug, actor)
    form_field = _field_of(project, field_id)
    if _has_submissions(session, project):
        raise Conflict(
            N_(
                "The project has submissions, whose answers are stored by question: questions "
                "can no longer be deleted."
            )
        )
    dependent = next((f for f in project.fields if f.condition_field == form_field.name), None)
    if dependent is not None:
        raise Conflict(
            N_("“%(question)s” is shown depending on this question. Change its condition first."),
            question=dependent.label,
        )
    if project.status is Status.OPEN and len(project.fields) == 1:
        raise Conflict(N_("An open project keeps at least one question."))
    audit.record(
        session, actor, "appraisals.field_deleted", f"appraisal_project:{project.id}",
        {"field": form_field.id, "name": form_field.name},
    )  # fmt: skip
    project.fields.remove(form_field)
    _renumber(project.fields)
    session.commit()


def move_field(
    session: Session, slug: str, field_id: int, offset: int, *, actor: User
) -> FormField:
    """Move a question one place earlier (offset -1) or later (+1); at either end, nothing moves."""
    project = _manageable(session, slug, actor)
    form_field = _field_of(project, field_id)
    ordered = list(project.fields)
    index = ordered.index(form_field)
    other = index + (1 if offset > 0 else -1)
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        first, second = ordered[min(index, other)], ordered[max(index, other)]
        if first.condition_field == second.name:
            raise Conflict(
                N_("“%(question)s” depends on “%(other)s”, so it must come after it."),
                question=first.label,
                other=second.label,
            )
        _renumber(ordered)
        audit.record(
            session, actor, "appraisals.field_moved", f"appraisal_project:{project.id}",
            {"field": form_field.id, "position": other + 1},
        )  # fmt: skip
    session.commit()
    return form_field


# --- XLSForm import -----------------------------------------------------------------------------


def _imported_values(definition: xlsform.FieldDefinition) -> FieldValues:
    return FieldValues(
        type=FieldType(definition.type),
        name=definition.name,
        label=definition.label,
        hint=definition.hint,
        required=definition.required,
        min_value=definition.min_value,
        max_value=definition.max_value,
        choices=list(definition.choices),
        condition_field=definition.condition_field,
        condition_value=definition.condition_value,
    )


def import_xlsform(session: Session, slug: str, data: bytes, *, actor: User) -> ImportResult:
    """Replace the project's form with the questions of an XLSForm workbook. Nothing changes
    unless the whole file imports: :class:`xlsform.XLSFormError` lists every problem, by row.
    With submissions, every question answered so far must stay, with its name and type."""
    project = _manageable(session, slug, actor)
    parsed = xlsform.read(data)
    answered = _has_submissions(session, project)
    existing = {f.name: f for f in project.fields}
    problems = list(parsed.errors)
    if len(parsed.fields) > MAX_FIELDS:
        problems.append(
            xlsform.Problem("", 0, N_("A form has at most %(max)s questions."), {"max": MAX_FIELDS})
        )
    accepted: list[dict[str, Any]] = []
    seen: list[_Question] = []
    for definition in parsed.fields:
        current = existing.get(definition.name) if answered else None
        try:
            columns = _checked(
                _imported_values(definition),
                others=seen,
                earlier=seen,
                current=current,
                answered=answered,
            )
        except DomainError as error:
            problems.append(
                xlsform.Problem(xlsform.SURVEY, definition.row, error.message, dict(error.params))
            )
            continue
        accepted.append(columns)
        seen.append(_Question(columns["name"], columns["type"], columns["choices"]))
    if answered and not parsed.errors:  # with rows unread, the missing ones may be there
        kept = {definition.name for definition in parsed.fields}
        problems.extend(
            xlsform.Problem(
                "",
                0,
                N_(
                    "The project has submissions, so the question “%(name)s” must stay in the "
                    "form, with its name and type."
                ),
                {"name": name},
            )
            for name in existing
            if name not in kept
        )
    if problems:
        raise xlsform.XLSFormError(problems)

    # Questions keep their rows (and ids) by name; the others are replaced.
    for form_field in list(project.fields):
        if form_field.name not in {columns["name"] for columns in accepted}:
            project.fields.remove(form_field)
    session.flush()
    for position, columns in enumerate(accepted, start=1):
        form_field = existing.get(columns["name"]) or FormField()
        for name, value in columns.items():
            setattr(form_field, name, value)
        form_field.position = position
        if form_field not in project.fields:
            project.fields.append(form_field)
    session.flush()
    audit.record(
        session, actor, "appraisals.form_imported", f"appraisal_project:{project.id}",
        {"fields": len(accepted), "warnings": len(parsed.warnings)},
    )  # fmt: skip
    session.commit()
    return ImportResult(len(accepted), parsed.warnings)


def spec_of(form_field: FormField) -> answers.FieldSpec:
    """A question as the pure answers module reads it."""
    return answers.FieldSpec(
        name=form_field.name,
        label=form_field.label,
        type=str(form_field.type),
        hint=form_field.hint or "",
        required=form_field.required,
        unit=form_field.unit or "",
        min_value=form_field.min_value,
        max_value=form_field.max_value,
        expected_min=form_field.expected_min,
        expected_max=form_field.expected_max,
        choices=tuple(
            (str(choice.get("value", "")), str(choice.get("label", choice.get("value", ""))))
            for choice in form_field.choices or []
        ),
        condition_field=form_field.condition_field or None,
        condition_value=form_field.condition_value or "",
    )


def field_specs(project: Project) -> list[answers.FieldSpec]:
    return [spec_of(form_field) for form_field in project.fields]
