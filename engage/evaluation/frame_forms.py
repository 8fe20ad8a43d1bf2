"""Forms of the coding frame: a new code, editing, merging, splitting and retiring one, memos;
and the words people see for codes' statuses and origins. The codes and applications to choose
from are handed over by the view; no form reads the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from engage.errors import DomainError
from engage.evaluation.frame import DEFINITION_MAX_LENGTH, NAME_MAX_LENGTH
from engage.evaluation.memos import MEMO_MAX_LENGTH
from engage.evaluation.models import CodeOrigin, CodeStatus
from engage.forms import BaseForm
from engage.security import row_id

STATUS_LABELS = {
    CodeStatus.ACTIVE.value: _l("Active"),
    CodeStatus.RETIRED.value: _l("Retired"),
    CodeStatus.MERGED.value: _l("Merged"),
}
ORIGIN_LABELS = {
    CodeOrigin.THEME.value: _l("Proposed by themes"),
    CodeOrigin.EVALUATOR.value: _l("Written by an evaluator"),
}


def _name_field(label: Any) -> StringField:
    return StringField(
        label,
        validators=[
            DataRequired(_l("Give the code a name.")),
            Length(max=NAME_MAX_LENGTH, message=_l("Keep the name to %(max)d characters.")),
        ],
    )


def _definition_field(label: Any, *, required: bool) -> TextAreaField:
    bounded = Length(
        max=DEFINITION_MAX_LENGTH, message=_l("Keep the definition to %(max)d characters.")
    )
    return TextAreaField(
        label,
        description=_l(
            "What the code covers (and what it does not), so every coder applies it alike."
        ),
        validators=[
            *([DataRequired(_l("Write a definition of the code."))] if required else []),
            bounded,
        ],
    )


class CodeForm(BaseForm):
    """An evaluator's own code."""

    name = _name_field(_l("Name"))
    definition = _definition_field(_l("Definition"), required=True)


class EditForm(BaseForm):
    """Rename a code and/or change its definition."""

    name = _name_field(_l("Name"))
    definition = _definition_field(_l("Definition"), required=False)


class MergeForm(BaseForm):
    """Merge this code into another active one (chosen from ``targets``: (id, name) pairs)."""

    into = SelectField(
        _l("Merge into"),
        description=_l(
            "Its applications move to that code, which keeps its name; duplicates are dropped."
        ),
        validators=[InputRequired(_l("Choose the code to merge this one into."))],
        invalid_choice_message=_l("Choose a code from the list."),  # type: ignore[call-arg]  # newer than the stubs
    )

    def __init__(self, *args: Any, targets: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.into.choices = [SelectChoice("", _l("Choose a code…"))] + [
            SelectChoice(str(code_id), name) for code_id, name in targets
        ]

    def validate_into(self, field: Field) -> None:
        if field.data == "":
            raise ValidationError(_l("Choose the code to merge this one into."))


def _application_id(value: Any) -> int:
    """A ticked application's id; anything else becomes 0, which no application has (the
    service then says only this code's applications can be chosen)."""
    return row_id(value) or 0


class SplitForm(BaseForm):
    """A new code taking some of this code's applications (``applications``: (id, label)
    pairs of those shown). Field names differ from the edit form's, which shares the page."""

    split_name = _name_field(_l("Name of the new code"))
    split_definition = _definition_field(_l("Definition of the new code"), required=True)
    applications = SelectMultipleField(
        _l("Applications that move to the new code"),
        coerce=_application_id,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validate_choice=False,  # the service checks they belong to this code
    )

    def __init__(
        self, *args: Any, applications: Sequence[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.applications.choices = [SelectChoice(app_id, label) for app_id, label in applications]

    def validate_applications(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(_l("Tick the applications that move to the new code."))

    def show_domain_error(self, error: DomainError) -> None:
        if error.field in ("name", "definition"):
            error.field = f"split_{error.field}"
        super().show_domain_error(error)


class RetireForm(BaseForm):
    reason = TextAreaField(
        _l("Why it is retired (optional)"),
        description=_l("Kept as a memo on the code."),
        validators=[
            Length(max=MEMO_MAX_LENGTH, message=_l("Keep the reason to %(max)d characters."))
        ],
    )


class MemoForm(BaseForm):
    body = TextAreaField(
        _l("Memo"),
        description=_l("A note for the evaluation team: a doubt, a decision, an idea to check."),
        validators=[
            DataRequired(_l("Write the memo.")),
            Length(max=MEMO_MAX_LENGTH, message=_l("Keep the memo to %(max)d characters.")),
        ],
    )
