"""Forms for coding an item (a code and an optional excerpt), memos on items and drawing a
double-coding sample, and the words shown for agreement. Choices (codes, evaluators, areas,
segments) are handed over by the view; no form reads the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from engage.evaluation.coding import (
    EXCERPT_MAX_LENGTH,
    SAMPLE_MAX_SIZE,
    SAMPLE_MIN_SIZE,
    SAMPLE_NAME_MAX_LENGTH,
    SEED_MAX_LENGTH,
)
from engage.evaluation.forms import FilterFields
from engage.evaluation.memos import MEMO_MAX_LENGTH
from engage.forms import BaseForm
from engage.security import row_id

# Landis & Koch (1977), as engage.evaluation.agreement names the bands.
BAND_LABELS = {
    "poor": _l("poor"),
    "slight": _l("slight"),
    "fair": _l("fair"),
    "moderate": _l("moderate"),
    "substantial": _l("substantial"),
    "almost_perfect": _l("almost perfect"),
}
# Why kappa is undefined for a code, in plain words.
REASON_LABELS = {
    "no_items": _l("No item has been coded by both coders yet."),
    "single_item": _l(
        "Only one item has been coded by both coders: kappa needs at least two to mean anything."
    ),
    "never_applied": _l(
        "Neither coder applied this code to any item: there is nothing to compare."
    ),
    "always_applied": _l(
        "Both coders applied this code to every item: agreement by chance is total, so kappa "
        "cannot tell it from real agreement."
    ),
}


def _id_or_text(value: Any) -> int | str | None:
    """A row id as chosen in a select (ASCII digits), or what was sent, which then fails the
    choice with its message; None when nothing was chosen."""
    if value is None or value == "":
        return None
    return row_id(value) or str(value).strip()


class ApplyCodeForm(BaseForm):
    code = SelectField(
        _l("Code"),
        coerce=_id_or_text,
        validators=[InputRequired(_l("Choose a code."))],
        invalid_choice_message=_l("Choose a code from the list."),  # type: ignore[call-arg]  # newer than the stubs
    )
    excerpt = TextAreaField(
        _l("Excerpt (optional)"),
        description=_l(
            "Leave empty to code the whole item, or copy the passage the code is about exactly "
            "from the text above."
        ),
        validators=[Length(max=EXCERPT_MAX_LENGTH)],
    )

    def __init__(self, *args: Any, codes: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.code.choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(code_id, name) for code_id, name in codes
        ]


class MemoForm(BaseForm):
    body = TextAreaField(
        _l("Memo"),
        description=_l("A note on this item for the evaluators: what you noticed, a doubt."),
        validators=[
            InputRequired(_l("Write the memo.")),
            Length(max=MEMO_MAX_LENGTH, message=_l("Keep the memo to %(max)d characters.")),
        ],
    )


class SampleForm(FilterFields):
    """A new double-coding sample: its name, size, seed and two coders, and the filter of the
    items to draw from (the evidence filter's fields)."""

    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(_l("Give the sample a name.")),
            Length(max=SAMPLE_NAME_MAX_LENGTH),
        ],
    )
    size = IntegerField(
        _l("Number of items"),
        default=30,
        description=_l("Between 1 and 500. If fewer items match the filter, all of them are used."),
        validators=[
            InputRequired(_l("Give the number of items to draw.")),
            NumberRange(
                min=SAMPLE_MIN_SIZE,
                max=SAMPLE_MAX_SIZE,
                message=_l("Draw between %(min)s and %(max)s items."),
            ),
        ],
    )
    seed = StringField(
        _l("Seed"),
        description=_l(
            "Any text. The same seed on the same index and filter draws the same items, so the "
            "draw can be repeated and checked."
        ),
        validators=[InputRequired(_l("Give a seed.")), Length(max=SEED_MAX_LENGTH)],
    )
    coder_a = SelectField(
        _l("First coder"),
        coerce=_id_or_text,
        validators=[InputRequired(_l("Choose the first coder."))],
        invalid_choice_message=_l("Choose an evaluator from the list."),  # type: ignore[call-arg]  # newer than the stubs
    )
    coder_b = SelectField(
        _l("Second coder"),
        coerce=_id_or_text,
        validators=[InputRequired(_l("Choose the second coder."))],
        invalid_choice_message=_l("Choose an evaluator from the list."),  # type: ignore[call-arg]  # newer than the stubs
        description=_l(
            "Another evaluator: the two code the sample without seeing each other's codes."
        ),
    )

    def __init__(self, *args: Any, coders: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for select in (self.coder_a, self.coder_b):
            select.choices = [SelectChoice("", _l("Choose…"))] + [
                SelectChoice(user_id, name) for user_id, name in coders
            ]

    def validate_coder_b(self, field: Field) -> None:
        if field.data is not None and field.data == self.coder_a.data:
            raise ValidationError(_l("Choose two different evaluators."))
