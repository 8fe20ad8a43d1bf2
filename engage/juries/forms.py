"""Forms for setting a jury up, the public volunteer page, pool files and quotas.

Forms that depend on a jury's questions (the volunteer page, quotas, population shares) are built
per request from the features the view hands over; they never read the database themselves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from engage.forms import BaseForm, Finite
from engage.juries.models import JuryFeature, JuryStatus, MemberSource
from engage.juries.services import MAX_QUOTA  # the bound the service enforces

JURY_STATUS = {
    JuryStatus.DRAFT: _l("Draft (only staff can see it)"),
    JuryStatus.OPEN: _l("Open for volunteers"),
    JuryStatus.FROZEN: _l("Frozen for the draw"),
    JuryStatus.DRAWN: _l("Drawn"),
    JuryStatus.PURGED: _l("Personal data erased"),
}
MEMBER_SOURCE = {
    MemberSource.REGISTRATION: _l("Registered online"),
    MemberSource.IMPORT: _l("Imported"),
}
MAX_PANEL = 10_000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class JuryForm(BaseForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give the jury a title.")), Length(max=200)]
    )
    question = TextAreaField(
        _l("The question the jury answers"),
        validators=[DataRequired(_l("Write the jury's question.")), Length(max=5000)],
    )
    panel_size = IntegerField(
        _l("Panel size"),
        description=_l("How many people sit on the jury."),
        validators=[
            InputRequired(_l("Give the number of jury members.")),
            NumberRange(1, MAX_PANEL, _l("Give a number from 1 to %(max)s.", max=MAX_PANEL)),
        ],
    )
    purpose = TextAreaField(
        _l("Why volunteers' answers are collected"),
        description=_l(
            "Shown beside the consent box on the volunteer page, for example: to select a jury "
            "whose members reflect the borough's population."
        ),
        validators=[DataRequired(_l("Explain why the answers are collected.")), Length(max=2000)],
    )
    registration_opens = DateTimeLocalField(
        _l("Registration opens"),
        format=DATETIME_FORMAT,
        validators=[Optional()],
        description=_l("Leave empty to open as soon as the jury is open."),
    )
    registration_closes = DateTimeLocalField(
        _l("Registration closes"),
        format=DATETIME_FORMAT,
        validators=[Optional()],
        description=_l("Leave empty to keep registration open until the draw."),
    )
    retention_until = DateField(
        _l("Personal data kept until"),
        description=_l("Volunteers' contact details and answers are erased by this date."),
        validators=[InputRequired(_l("Give the date the personal data will be erased by."))],
    )
    household_rule = BooleanField(_l("At most one person per household on the panel"), default=True)
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(s, JURY_STATUS[s]) for s in (JuryStatus.DRAFT, JuryStatus.OPEN)],
        coerce=JuryStatus,
        default=JuryStatus.DRAFT,
    )


class NewJuryForm(JuryForm):
    mission_id = SelectField(
        _l("Mission"),
        coerce=int,
        validate_choice=True,
        validators=[InputRequired(_l("Choose the mission this jury serves."))],
    )

    def __init__(self, *args: Any, missions: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mission_id.choices = [SelectChoice(mid, title) for mid, title in missions]


class FeatureForm(BaseForm):
    label = StringField(
        _l("Question or feature"),
        description=_l("For example: Age band, or: Which area do you live in?"),
        validators=[DataRequired(_l("Name the feature.")), Length(max=200)],
    )
    key = StringField(
        _l("Column name in pool files"),
        description=_l("Leave empty to make one from the label."),
        validators=[
            Optional(),
            Length(max=80),
            Regexp(
                r"^[A-Za-z0-9_][A-Za-z0-9_ .-]*$",
                message=_l("Use letters, digits, spaces, dots, dashes and underscores only."),
            ),
        ],
    )
    values = TextAreaField(
        _l("Answers, one per line"),
        validators=[DataRequired(_l("List the answers, one per line.")), Length(max=6000)],
    )
    allow_prefer_not_to_say = BooleanField(_l("Offer “prefer not to say”"))

    def value_lines(self) -> list[str]:
        return (self.values.data or "").splitlines()


class OfficerForm(BaseForm):
    email = EmailField(
        _l("E-mail address of the officer to add"),
        validators=[
            DataRequired(_l("Enter the officer's e-mail address.")),
            Email(_l("Enter an e-mail address like name@example.org.")),
            Length(max=254),
        ],
    )


class VolunteerForm(BaseForm):
    name = StringField(
        _l("Your name"), validators=[DataRequired(_l("Enter your name.")), Length(max=200)]
    )
    email = EmailField(
        _l("E-mail address"),
        description=_l("Registering again with the same address updates your answers."),
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Email(_l("Enter an e-mail address like name@example.org.")),
            Length(max=254),
        ],
    )
    phone = StringField(_l("Phone number (optional)"), validators=[Optional(), Length(max=40)])
    address_line1 = StringField(
        _l("Address line 1"),
        description=_l("Used only so that at most one person per household is selected."),
        validators=[DataRequired(_l("Enter the first line of your address.")), Length(max=200)],
    )
    address_line2 = StringField(
        _l("Address line 2 (optional)"), validators=[Optional(), Length(max=200)]
    )
    city = StringField(
        _l("Town or city"),
        validators=[DataRequired(_l("Enter your town or city.")), Length(max=120)],
    )
    postcode = StringField(
        _l("Postcode"), validators=[DataRequired(_l("Enter your postcode.")), Length(max=20)]
    )
    consent = BooleanField(
        _l("I agree to this use of my answers and contact details"),
        validators=[DataRequired(_l("Tick the box to give your consent, or you cannot join."))],
    )
    # The honeypot: hidden from people and screen readers, filled in by bots.
    website = StringField(_l("Leave this empty"))

    def question_fields(self) -> list[Any]:
        return [field for field in self if field.name.startswith("q") and field.name[1:].isdigit()]

    def answers(self) -> dict[int, int]:
        return {
            int(field.name[1:]): field.data
            for field in self.question_fields()
            if isinstance(field.data, int)
        }


def _coerce_int(value: Any) -> int | None:
    """RadioField's coerce: a value that is no number is simply not one of the choices."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def volunteer_form(
    features: Sequence[JuryFeature], prefer_not_to_say: str, **kwargs: Any
) -> VolunteerForm:
    """The volunteer form with one radio group per demographic question."""
    attrs: dict[str, Any] = {}
    for feature in features:
        attrs[f"q{feature.id}"] = RadioField(
            feature.label,
            choices=[
                SelectChoice(
                    value.id, prefer_not_to_say if value.is_prefer_not_to_say else value.label
                )
                for value in feature.values
            ],
            coerce=_coerce_int,
            validators=[InputRequired(_l("Choose an answer."))],
        )
    form_class = type("JuryVolunteerForm", (VolunteerForm,), attrs)
    form: VolunteerForm = form_class(**kwargs)
    return form


class QuotaForm(BaseForm):
    """Min and max per answer: fields ``min_<value id>`` and ``max_<value id>``."""

    panel_size: int = 0
    value_ids: list[int]

    def bounds(self) -> dict[int, tuple[int | None, int | None]]:
        return {
            value_id: (self[f"min_{value_id}"].data, self[f"max_{value_id}"].data)
            for value_id in self.value_ids
        }

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)
        for value_id in self.value_ids:
            low, high = self[f"min_{value_id}"], self[f"max_{value_id}"]
            if low.errors or high.errors:
                continue
            if low.data is not None and low.data > self.panel_size:
                low.errors = [
                    *low.errors,
                    gettext(
                        "The minimum cannot be more than the panel size (%(size)s).",
                        size=self.panel_size,
                    ),
                ]
                valid = False
            if low.data is not None and high.data is not None and high.data < low.data:
                high.errors = [*high.errors, gettext("The maximum must be at least the minimum.")]
                valid = False
        return valid


def quota_form(features: Sequence[JuryFeature], panel_size: int, **kwargs: Any) -> QuotaForm:
    attrs: dict[str, Any] = {}
    value_ids: list[int] = []
    bound = NumberRange(0, MAX_QUOTA, _l("Give a whole number from 0 to %(max)s.", max=MAX_QUOTA))
    for feature in features:
        for value in feature.values:
            value_ids.append(value.id)
            attrs[f"min_{value.id}"] = IntegerField(
                _l("Minimum for %(value)s", value=value.label),
                validators=[Optional(), bound],
                default=value.quota_min,
            )
            attrs[f"max_{value.id}"] = IntegerField(
                _l("Maximum for %(value)s", value=value.label),
                validators=[Optional(), bound],
                default=value.quota_max,
            )
    form_class = type("JuryQuotaForm", (QuotaForm,), attrs)
    form: QuotaForm = form_class(**kwargs)
    form.panel_size = panel_size
    form.value_ids = value_ids
    return form


class SharesForm(BaseForm):
    """Population share in percent per answer: fields ``share_<value id>``."""

    value_ids: list[int]

    def shares(self) -> dict[int, float | None]:
        return {value_id: self[f"share_{value_id}"].data for value_id in self.value_ids}


def shares_form(features: Sequence[JuryFeature], **kwargs: Any) -> SharesForm:
    attrs: dict[str, Any] = {}
    value_ids: list[int] = []
    for feature in features:
        for value in feature.values:
            value_ids.append(value.id)
            attrs[f"share_{value.id}"] = FloatField(
                _l("Share of the population with %(value)s (%%)", value=value.label),
                validators=[
                    Optional(),
                    Finite(),
                    NumberRange(0, 100, _l("Give a percentage from 0 to 100.")),
                ],
                default=value.population_share,
            )
    form_class = type("JurySharesForm", (SharesForm,), attrs)
    form: SharesForm = form_class(**kwargs)
    form.value_ids = value_ids
    return form


_SIZE_MESSAGE = _l("The file is larger than 5 MB.")


class PoolUploadForm(BaseForm):
    people = FileField(
        _l("People file (CSV)"),
        description=_l(
            "Sortition Foundation format (an id column, address columns and one column per "
            "feature) or the format of Flanigan et al. (respondents.csv: one column per feature)."
        ),
        validators=[
            FileRequired(_l("Choose the people file.")),
            FileSize(MAX_UPLOAD_BYTES, message=_SIZE_MESSAGE),
        ],
    )
    quotas = FileField(
        _l("Quotas file (CSV, optional)"),
        description=_l(
            "features.csv (feature,value,min,max) or categories.csv (category,feature,min,max). "
            "It replaces the jury's features and quotas. Leave it out to import people who "
            "answered the jury's current features (then the people file needs an id column)."
        ),
        validators=[FileSize(MAX_UPLOAD_BYTES, message=_SIZE_MESSAGE)],
    )
    replace = BooleanField(
        _l("Replace the whole pool"),
        description=_l(
            "Removes everyone now in the pool, including residents who registered online, "
            "before importing. Otherwise people are added, and those already in the pool "
            "(same id or e-mail address) are updated."
        ),
    )


class ImportConfirmForm(BaseForm):
    attest = BooleanField(
        _l("I confirm this"),
        validators=[
            DataRequired(
                _l("Confirm that the volunteers consented, or the pool cannot be imported.")
            )
        ],
    )


class QuotasUploadForm(BaseForm):
    quotas = FileField(
        _l("Quotas file (CSV)"),
        description=_l(
            "features.csv (feature,value,min,max[,min_flex,max_flex]) or categories.csv "
            "(category,feature,min,max). It replaces the jury's features and quotas."
        ),
        validators=[
            FileRequired(_l("Choose the quotas file.")),
            FileSize(MAX_UPLOAD_BYTES, message=_SIZE_MESSAGE),
        ],
    )


class RelaxForm(BaseForm):
    digest = HiddenField(validators=[DataRequired(), Length(max=64)])
