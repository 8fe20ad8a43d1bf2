"""The form residents fill in to send an observation, built per project from its fields.

The fields check nothing themselves but the CSRF token and invisible control characters: the
service checks every answer (answers.py), so the same rules hold whatever sent the form. The
form only renders each question (label, hint, error, what was typed) and hands back what came.
Each answer's input is named after its field; the fixed inputs have names with a hyphen, which
no field name can have ("client-id", "location-latitude", ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.widgets import CheckboxInput, DateInput, DateTimeLocalInput, ListWidget, TimeInput

from engage.appraisals import answers
from engage.appraisals.answers import FieldSpec
from engage.appraisals.models import FlagKind, SubmissionState
from engage.appraisals.photos import MAX_BYTES
from engage.forms import BaseForm
from engage.i18n import Message

STATE = {
    SubmissionState.RECEIVED: _l("Received: waiting for review"),
    SubmissionState.HAS_ISSUES: _l("Has issues: please look at it again"),
    SubmissionState.APPROVED: _l("Approved: public"),
    SubmissionState.REJECTED: _l("Rejected"),
}
FLAG = {
    FlagKind.OUT_OF_RANGE: _l("Outside the expected range"),
    FlagKind.LIKELY_DUPLICATE: _l("Likely a duplicate"),
}
ANSWER_PREFIX = "answer_"


def answer_attribute(name: str) -> str:
    """The form attribute of a field's input (its HTML name is the field's own name)."""
    return ANSWER_PREFIX + name


class SubmissionForm(BaseForm):
    client_id = HiddenField(name="client-id")
    latitude = StringField(
        _l("Latitude"),
        name="location-latitude",
        description=_l("In decimal degrees, north positive, for example 51.5550."),
        render_kw={"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"},
    )
    longitude = StringField(
        _l("Longitude"),
        name="location-longitude",
        description=_l("In decimal degrees, east positive and west negative, for example -0.1420."),
        render_kw={"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"},
    )
    share_exact = BooleanField(
        _l("Show my exact location to the public"),
        name="location-exact",
        description=_l(
            "If you leave this unticked, the public map and exports show your point moved to "
            "the middle of its square of about 500 m by 500 m. Reviewers always see the exact point."
        ),
    )

    specs: list[FieldSpec]

    def answer(self, name: str) -> Field:
        field: Field = self[answer_attribute(name)]
        return field

    def raw_answers(self) -> dict[str, str | list[str]]:
        """What was sent for each question, as typed."""
        raw: dict[str, str | list[str]] = {}
        for spec in self.specs:
            if spec.type in answers.NOT_IN_ANSWERS:
                continue
            data = self.answer(spec.name).data
            if spec.type == answers.MULTIPLE_CHOICE:
                raw[spec.name] = [str(value) for value in data or []]
            else:
                raw[spec.name] = "" if data is None else str(data)
        return raw

    def photo_files(self) -> dict[str, Any]:
        """The chosen files (werkzeug FileStorage) by photo field; empty inputs left out."""
        chosen = {}
        for spec in self.specs:
            if spec.type != answers.PHOTO:
                continue
            storage = self.answer(spec.name).data
            if storage is not None and getattr(storage, "filename", None):
                chosen[spec.name] = storage
        return chosen

    def show_errors(self, errors: Mapping[str, Message]) -> None:
        """Put each of the service's problems beside its question."""
        location = answers.location_spec(self.specs)
        for name, message in errors.items():
            text = _(message.template, **message.params)
            if name in ("latitude", "longitude"):
                target: Field | None = getattr(self, name)
            elif location is not None and name == location.name:
                target = self.latitude
            elif name == "note" and hasattr(self, "note"):
                target = self.note
            elif answer_attribute(name) in self._fields:
                target = self.answer(name)
            else:
                target = None
            if target is None:
                self.form_errors.append(text)
            else:
                target.errors = [*target.errors, text]


class CorrectionForm(SubmissionForm):
    note = TextAreaField(
        _l("What did you change? (optional)"),
        name="correction-note",
        description=_l(
            "A few words for the reviewer. Leave empty and we will say you corrected it."
        ),
    )


def _label(spec: FieldSpec) -> str:
    label = spec.label
    if spec.type in answers.NUMBER_TYPES and spec.unit:
        label = _("%(label)s (%(unit)s)", label=label, unit=spec.unit)
    if not spec.required:
        label = _("%(label)s (optional)", label=label)
    return label


def _hint(spec: FieldSpec, specs: Sequence[FieldSpec]) -> str:
    parts = [spec.hint.strip()] if spec.hint.strip() else []
    if spec.type in answers.NUMBER_TYPES:
        low, high = spec.min_value, spec.max_value
        if low is not None and high is not None:
            parts.append(
                _(
                    "From %(min)s to %(max)s.",
                    min=answers.with_unit(low, spec.unit),
                    max=answers.with_unit(high, spec.unit),
                )
            )
        elif low is not None:
            parts.append(_("At least %(min)s.", min=answers.with_unit(low, spec.unit)))
        elif high is not None:
            parts.append(_("At most %(max)s.", max=answers.with_unit(high, spec.unit)))
        if spec.type == answers.INTEGER:
            parts.append(_("A whole number."))
    if spec.type == answers.TIME:
        parts.append(_("Hours and minutes, like 14:05."))
    if spec.type == answers.DATE:
        parts.append(_("Year, month and day, like 2026-11-21."))
    if spec.type == answers.DATETIME:
        parts.append(_("Like 2026-11-21 14:05."))
    if spec.type == answers.PHOTO:
        parts.append(
            _(
                "A JPEG or PNG image of up to %(size)s MB. We remove its hidden details "
                "(such as where and when it was taken) before storing it.",
                size=MAX_BYTES // (1024 * 1024),
            )
        )
    condition = condition_text(spec, specs)
    if condition:
        parts.append(condition)
    return " ".join(parts)


def condition_text(spec: FieldSpec, specs: Sequence[FieldSpec]) -> str:
    """When a question is asked, in words, for those whose browser does not hide it."""
    if not spec.condition_field:
        return ""
    other = next((s for s in specs if s.name == spec.condition_field), None)
    if other is None:
        return ""
    value = dict(other.choices).get(spec.condition_value, spec.condition_value)
    return str(
        _(
            "Answer only if your answer to “%(question)s” is “%(value)s”.",
            question=other.label,
            value=value,
        )
    )


def _choices(spec: FieldSpec) -> list[Any]:
    return [SelectChoice(value, label) for value, label in spec.choices]


def _field_for(spec: FieldSpec, specs: Sequence[FieldSpec]) -> Any:
    label, hint, name = _label(spec), _hint(spec, specs), spec.name
    common: dict[str, Any] = {"name": name, "description": hint}
    if spec.type == answers.LONG_TEXT:
        return TextAreaField(label, render_kw={"rows": 5}, **common)
    if spec.type == answers.INTEGER:
        return StringField(
            label, render_kw={"inputmode": "numeric", "autocomplete": "off"}, **common
        )
    if spec.type == answers.DECIMAL:
        return StringField(
            label, render_kw={"inputmode": "decimal", "autocomplete": "off"}, **common
        )
    if spec.type == answers.SINGLE_CHOICE:
        return RadioField(label, choices=_choices(spec), validate_choice=False, **common)
    if spec.type == answers.MULTIPLE_CHOICE:
        return SelectMultipleField(
            label,
            choices=_choices(spec),
            validate_choice=False,
            option_widget=CheckboxInput(),
            widget=ListWidget(prefix_label=False),
            **common,
        )
    if spec.type == answers.DATE:
        return StringField(label, widget=DateInput(), **common)
    if spec.type == answers.TIME:
        return StringField(label, widget=TimeInput(), **common)
    if spec.type == answers.DATETIME:
        return StringField(label, widget=DateTimeLocalInput(), **common)
    if spec.type == answers.PHOTO:
        return FileField(label, render_kw={"accept": "image/jpeg,image/png"}, **common)
    return StringField(label, **common)


def submission_form(
    specs: Sequence[FieldSpec], *, data: Mapping[str, Any] | None = None
) -> SubmissionForm:
    """The form for these fields (the location field is the fixed latitude and longitude
    boxes). ``data`` fills it when it is shown, not sent: answers by field name, and
    "client_id", "latitude", "longitude", "share_exact"."""
    return _build(SubmissionForm, specs, data)


def correction_form(specs: Sequence[FieldSpec], *, data: Mapping[str, Any]) -> CorrectionForm:
    """The same form, filled with a submission's answers, with a note for the reviewer."""
    return _build(CorrectionForm, specs, data)


F = TypeVar("F", bound=SubmissionForm)
FIXED = ("client_id", "latitude", "longitude", "share_exact")


def _build(base: type[F], specs: Sequence[FieldSpec], data: Mapping[str, Any] | None) -> F:
    form_class = type("ProjectSubmissionForm", (base,), {})
    for spec in specs:
        if spec.type != answers.LOCATION:
            setattr(form_class, answer_attribute(spec.name), _field_for(spec, specs))
    given = dict(data or {})
    initial = {key: given.pop(key) for key in FIXED if key in given}
    initial.update({answer_attribute(name): value for name, value in given.items()})
    form: F = form_class(data=initial)
    form.specs = list(specs)
    return form
