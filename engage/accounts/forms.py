from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from engage.accounts.models import AgeBand
from engage.accounts.passwords import MAX_LENGTH, MESSAGES, password_problem
from engage.forms import BaseForm


class MeetsPasswordPolicy:
    """The password policy in the form, so its message shows beside the field straight away."""

    def __init__(self, email_field: str | None = None, name_field: str | None = None) -> None:
        self.email_field = email_field
        self.name_field = name_field

    def __call__(self, form: Any, field: Field) -> None:
        email = (form[self.email_field].data or "") if self.email_field else ""
        name = (form[self.name_field].data or "") if self.name_field else ""
        problem = password_problem(field.data or "", email=email, display_name=name)
        if problem is not None:
            raise ValidationError(_l(MESSAGES[problem]))


def _email_field() -> EmailField:
    return EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Length(max=254),
            Email(_l("Enter an e-mail address like name@example.org."), check_deliverability=False),
        ],
        render_kw={"autocomplete": "email"},
    )


class RegisterForm(BaseForm):
    display_name = StringField(
        _l("Name shown to others"),
        description=_l("This can be your first name or a nickname."),
        validators=[DataRequired(_l("Enter a name.")), Length(max=80)],
        render_kw={"autocomplete": "nickname"},
    )
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        description=_l("At least 10 characters. A few words you will remember work well."),
        validators=[
            DataRequired(_l("Choose a password.")),
            MeetsPasswordPolicy("email", "display_name"),
        ],
        render_kw={"autocomplete": "new-password", "maxlength": MAX_LENGTH},
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[
            DataRequired(_l("Type the password again.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class SignInForm(BaseForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this device"))


class ResetRequestForm(BaseForm):
    email = _email_field()


class NewPasswordForm(BaseForm):
    password = PasswordField(
        _l("New password"),
        description=_l("At least 10 characters."),
        validators=[DataRequired(_l("Choose a password.")), MeetsPasswordPolicy()],
        render_kw={"autocomplete": "new-password", "maxlength": MAX_LENGTH},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(_l("Type the password again.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class RolesForm(BaseForm):
    roles = SelectMultipleField(
        _l("Staff roles"),
        description=_l("Everyone is a resident. Administrators can do everything staff can."),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )

    def __init__(self, *args: Any, role_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roles.choices = [SelectChoice(value, label) for value, label in role_choices]


class UserSearchForm(BaseForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(_l("Search by name or e-mail"), validators=[Length(max=100)])


AGE_BAND_LABELS = {
    AgeBand.AGE_16_24: _l("16 to 24"),
    AgeBand.AGE_25_34: _l("25 to 34"),
    AgeBand.AGE_35_44: _l("35 to 44"),
    AgeBand.AGE_45_54: _l("45 to 54"),
    AgeBand.AGE_55_64: _l("55 to 64"),
    AgeBand.AGE_65_74: _l("65 to 74"),
    AgeBand.AGE_75_PLUS: _l("75 or older"),
}
PREFER_NOT_TO_SAY = "prefer-not-to-say"


class AboutYouForm(BaseForm):
    """The age band a person may give, and their consent to its use in evaluations."""

    age_band = RadioField(
        _l("Your age"),
        choices=[SelectChoice(band.value, label) for band, label in AGE_BAND_LABELS.items()]
        + [SelectChoice(PREFER_NOT_TO_SAY, _l("Prefer not to say"))],
        default=PREFER_NOT_TO_SAY,
        validators=[InputRequired(_l("Choose your age band, or prefer not to say."))],
        invalid_choice_message=_l("Choose one of the age bands, or prefer not to say."),  # type: ignore[call-arg]  # newer than the stubs
    )
    consent = BooleanField(
        _l("I agree to my age band being used in evaluations"),
        description=_l(
            "Your age band may be used, with others', in anonymised evaluations of the "
            "missions you take part in. Groups of fewer than 10 people are never shown. Untick "
            "to withdraw at any time: it is deleted."
        ),
    )

    def chosen_band(self) -> str | None:
        """The band chosen, or None for "prefer not to say"."""
        value = self.age_band.data
        return None if not value or value == PREFER_NOT_TO_SAY else str(value)
