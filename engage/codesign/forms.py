"""Forms residents fill in: ideas, statements, comments, reports, votes, ratings and priorities.

The priorities form depends on the round's options, so it is built per request from the options
the view hands over; no form reads the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from engage.codesign.models import Contribution, PriorityMethod
from engage.codesign.services import STATEMENT_MAX_LENGTH, VOTE_VALUES
from engage.forms import BaseForm

TEXT_MAX_LENGTH = 5000
COMMENT_MAX_LENGTH = 3000


class IdeaForm(BaseForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Give your idea a short title.")), Length(max=200)],
        description=_l("A few words others will see in the list."),
    )
    text = TextAreaField(
        _l("Your idea"),
        validators=[DataRequired(_l("Describe your idea.")), Length(max=TEXT_MAX_LENGTH)],
        description=_l("What would you change, and why? You can edit it until the round closes."),
    )
    area = StringField(
        _l("Area (optional)"),
        validators=[Optional(), Length(max=120)],
        description=_l("A street, a neighbourhood or a ward, if your idea is about one place."),
    )


class StatementForm(BaseForm):
    text = TextAreaField(
        _l("Your statement"),
        validators=[
            DataRequired(_l("Write the statement.")),
            Length(
                max=STATEMENT_MAX_LENGTH,
                message=_l("Keep it to %(max)d characters or fewer."),
            ),
        ],
        description=_l(
            "One short sentence others can agree or disagree with, such as “Our street should "
            "be closed to through traffic at school times.”"
        ),
    )


class CommentForm(BaseForm):
    text = TextAreaField(
        _l("Your comment"),
        validators=[DataRequired(_l("Write your comment.")), Length(max=COMMENT_MAX_LENGTH)],
    )
    parent_id = IntegerField(validators=[Optional()])


class ReportForm(BaseForm):
    reason = TextAreaField(
        _l("Why should an officer look at this?"),
        validators=[DataRequired(_l("Say what is wrong with it.")), Length(max=1000)],
        description=_l(
            "For example: it is offensive, it names a private person, or it is advertising. "
            "After three reports it is hidden until an officer has looked at it."
        ),
    )


class VoteForm(BaseForm):
    statement_id = IntegerField(validators=[InputRequired()])
    vote = StringField(
        validators=[AnyOf(list(VOTE_VALUES), message=_l("Choose agree, disagree or pass."))]
    )


RATINGS = [
    SelectChoice(1, _l("1 (poor)")),
    SelectChoice(2, _l("2")),
    SelectChoice(3, _l("3 (acceptable)")),
    SelectChoice(4, _l("4")),
    SelectChoice(5, _l("5 (very good)")),
]


class RatingForm(BaseForm):
    score = RadioField(
        _l("How good is this draft overall?"),
        choices=RATINGS,
        coerce=int,
        validators=[InputRequired(_l("Choose a rating from 1 to 5."))],
    )


def option_field_name(option: Contribution) -> str:
    return f"option_{option.id}"


def priorities_form(
    options: Sequence[Contribution],
    method: PriorityMethod,
    budget: int | None,
    data: dict[str, Any] | None = None,
) -> BaseForm:
    """One field per option: its place in the ranking, or the points given to it."""

    class PrioritiesForm(BaseForm):
        pass

    for option in options:
        if method is PriorityMethod.RANKING:
            field: Any = SelectField(
                option.text,
                choices=[SelectChoice("", _l("Choose a place"))]
                + [SelectChoice(str(n), str(n)) for n in range(1, len(options) + 1)],
                validators=[DataRequired(_l("Give this option a place."))],
            )
        else:
            field = IntegerField(
                option.text,
                validators=[
                    InputRequired(_l("Give this option a number of points (0 if none).")),
                    NumberRange(
                        min=0, max=budget or 0, message=_l("Between %(min)s and %(max)s points.")
                    ),
                ],
            )
        setattr(PrioritiesForm, option_field_name(option), field)
    return PrioritiesForm(data=data)


def priority_answers(form: BaseForm, options: Sequence[Contribution]) -> dict[int, int]:
    return {option.id: int(form[option_field_name(option)].data) for option in options}
