from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    PasswordField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

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
