"""Forms for multi-criteria mapping: officers' exercise, option and criterion forms, and the
participant's response form (built per request from the exercise's options and criteria, which
the view hands over; no form reads the database).

Forms check shape (numbers are numbers, texts fit); the rules (scale, weights, low not above
high, a reason for every cell) are the service's, which reports every problem at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import FloatField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from engage.appraisals.mapping import (
    DESCRIPTION_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    MAX_WEIGHT,
    REASON_MAX_LENGTH,
    SCALE_LIMIT,
    Cell,
    ResponseInvalid,
    score_field,
    weight_field,
)
from engage.appraisals.models import MappingCriterion, MappingOption, MappingResponse, Status
from engage.errors import DomainError
from engage.forms import BaseForm, Finite

# --- Labels people see for stored values ------------------------------------------------------

EXERCISE_STATUS = {
    Status.DRAFT: _l("Draft (only officers can see it)"),
    Status.OPEN: _l("Open for answers"),
    Status.CLOSED: _l("Closed"),
}

LINES_MAX_LENGTH = 5000
NUMBER_MESSAGE = _l("Enter a number, like 40 or 72.5.")


# --- Officers' forms --------------------------------------------------------------------------


class ExerciseForm(BaseForm):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(_l("Give the exercise a title.")),
            Length(max=LABEL_MAX_LENGTH),
        ],
    )
    question = TextAreaField(
        _l("Question"),
        description=_l("What participants judge the options on, such as “How should we cut "
                       "traffic on Queen's Crescent?”"),
        validators=[DataRequired(_l("Write the question.")), Length(max=LINES_MAX_LENGTH)],
    )  # fmt: skip
    scale_min = IntegerField(
        _l("Worst score"),
        description=_l("The score for the worst possible performance on a criterion."),
        default=0,
        validators=[
            InputRequired(_l("Give the worst score, a whole number.")),
            NumberRange(-SCALE_LIMIT, SCALE_LIMIT, _l("Give a whole number from %(min)s to %(max)s.")),
        ],
    )  # fmt: skip
    scale_max = IntegerField(
        _l("Best score"),
        description=_l("The score for the best possible performance; above the worst score."),
        default=100,
        validators=[
            InputRequired(_l("Give the best score, a whole number.")),
            NumberRange(-SCALE_LIMIT, SCALE_LIMIT, _l("Give a whole number from %(min)s to %(max)s.")),
        ],
    )  # fmt: skip


class NewExerciseForm(ExerciseForm):
    mission_id = SelectField(
        _l("Mission"),
        coerce=int,
        validate_choice=True,
        validators=[InputRequired(_l("Choose the mission this exercise informs."))],
    )
    options = TextAreaField(
        _l("Options"),
        description=_l("One option per line, at least two. You can add descriptions later."),
        validators=[DataRequired(_l("List the options, one per line.")), Length(max=LINES_MAX_LENGTH)],
    )  # fmt: skip
    criteria = TextAreaField(
        _l("Criteria"),
        description=_l("One criterion per line, at least one. You can add descriptions later."),
        validators=[DataRequired(_l("List the criteria, one per line.")), Length(max=LINES_MAX_LENGTH)],
    )  # fmt: skip

    def __init__(self, *args: Any, missions: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mission_id.choices = [SelectChoice(mid, title) for mid, title in missions]

    def option_lines(self) -> list[str]:
        return lines(self.options.data)

    def criterion_lines(self) -> list[str]:
        return lines(self.criteria.data)


def lines(text: str | None) -> list[str]:
    """The non-empty lines of a text area, stripped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ItemForm(BaseForm):
    """An option or a criterion (the edit page holds one of each, told apart by prefix)."""

    label = StringField(
        _l("Label"),
        validators=[DataRequired(_l("Give it a label.")), Length(max=LABEL_MAX_LENGTH)],
    )
    description = TextAreaField(
        _l("Description (optional)"),
        description=_l("Shown to participants beside the label."),
        validators=[Optional(), Length(max=DESCRIPTION_MAX_LENGTH)],
    )


class StatusForm(BaseForm):
    # Sent by the Open or Close button.
    action = SelectField(
        _l("Action"),
        choices=[SelectChoice("open", _l("Open")), SelectChoice("close", _l("Close"))],
    )


# --- The participant's response ---------------------------------------------------------------


class ResponseForm(BaseForm):
    """Fields ``weight-<criterion>`` and, per option and criterion, ``low-<o>-<c>``,
    ``high-<o>-<c>`` and ``reason-<o>-<c>``."""

    option_ids: list[int]
    criterion_ids: list[int]
    context: dict[str, str]  # field name: the option and criterion it is about, for the summary
    weights_errors: list[str]

    def weights(self) -> dict[int, float | None]:
        return {c: self[weight_field(c)].data for c in self.criterion_ids}

    def scores(self) -> dict[tuple[int, int], Cell]:
        return {
            (o, c): (
                self[score_field("low", o, c)].data,
                self[score_field("high", o, c)].data,
                self[score_field("reason", o, c)].data or "",
            )
            for o in self.option_ids
            for c in self.criterion_ids
        }

    def show_errors(self, error: DomainError) -> None:
        """A service refusal beside the inputs it names (all of them for a ResponseInvalid)."""
        for each in error.errors if isinstance(error, ResponseInvalid) else [error]:
            if each.field == "weights":
                self.weights_errors.append(each.translated())
            else:
                self.show_domain_error(each)

    def summary(self) -> list[tuple[str, str]]:
        """(input id, "where: what is wrong") for every input in error, in page order."""
        found = []
        for field in self:
            if field.errors and field.type != "CSRFTokenField":
                where = self.context.get(field.name, str(field.label.text))
                found.append((field.id, f"{where}: {' '.join(map(str, field.errors))}"))
        return found

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.weights_errors)


def _number_field(label: Any, description: Any = None, **render: Any) -> FloatField:
    return FloatField(
        label,
        description=description,
        validators=[Optional(), Finite()],
        invalid_value_message=NUMBER_MESSAGE,  # type: ignore[call-arg]  # newer than the stubs
        render_kw={"inputmode": "decimal", **render},
    )


def _shown(value: float) -> float | int:
    """40.0 shows as 40 in the box."""
    return int(value) if value.is_integer() else value


def saved_answers(response: MappingResponse | None) -> dict[str, Any] | None:
    """A saved response as the form's data, so a returning participant sees their answers."""
    if response is None:
        return None
    data: dict[str, Any] = {
        weight_field(weight.criterion_id): _shown(weight.weight) for weight in response.weights
    }
    for score in response.scores:
        data[score_field("low", score.option_id, score.criterion_id)] = _shown(score.low)
        data[score_field("high", score.option_id, score.criterion_id)] = _shown(score.high)
        data[score_field("reason", score.option_id, score.criterion_id)] = score.reason
    return data


def response_form(
    options: Sequence[MappingOption],
    criteria: Sequence[MappingCriterion],
    *,
    scale_min: int,
    scale_max: int,
    data: dict[str, Any] | None = None,
) -> ResponseForm:
    attrs: dict[str, Any] = {}
    context: dict[str, str] = {}
    for criterion in criteria:
        name = weight_field(criterion.id)
        attrs[name] = _number_field(
            criterion.label, criterion.description or None, min=0, max=MAX_WEIGHT
        )
        context[name] = gettext("Weight of %(criterion)s", criterion=criterion.label)
    scale = {"min": scale_min, "max": scale_max}
    for option in options:
        for criterion in criteria:
            where = {"option": option.label, "criterion": criterion.label}
            low = score_field("low", option.id, criterion.id)
            high = score_field("high", option.id, criterion.id)
            reason = score_field("reason", option.id, criterion.id)
            attrs[low] = _number_field(_l("Low score (pessimistic)"), **scale)
            attrs[high] = _number_field(_l("High score (optimistic)"), **scale)
            attrs[reason] = TextAreaField(
                _l("Reason"),
                validators=[
                    Optional(),
                    Length(
                        max=REASON_MAX_LENGTH,
                        message=_l("Keep the reason to %(max)d characters or fewer."),
                    ),
                ],
                render_kw={"rows": 3},
            )
            context[low] = gettext("%(option)s, %(criterion)s, low score", **where)
            context[high] = gettext("%(option)s, %(criterion)s, high score", **where)
            context[reason] = gettext("%(option)s, %(criterion)s, reason", **where)
    form_class = type("MappingResponseForm", (ResponseForm,), attrs)
    form: ResponseForm = form_class(data=data)
    form.option_ids = [option.id for option in options]
    form.criterion_ids = [criterion.id for criterion in criteria]
    form.context = context
    form.weights_errors = []
    return form
