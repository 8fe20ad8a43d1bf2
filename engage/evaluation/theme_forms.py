"""The form that starts a theme run: which evidence (the index's filter; only items with free
text are read) and the settings (number of themes, seed, languages of the stop words)."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, IntegerField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import InputRequired, NumberRange, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from engage.evaluation.forms import FilterFields
from engage.evaluation.themes import LANGUAGES, ThemeSettings

AUTO = "auto"
AUTO_MIN, AUTO_MAX = ThemeSettings.k_min, ThemeSettings.k_max  # what "let engage choose" tries
FIXED_MIN, FIXED_MAX = 2, 20
SEED_MAX = 2**31 - 1
LANGUAGE_LABELS = {"en": _l("English"), "es": _l("Spanish"), "ca": _l("Catalan")}
_WHOLE = re.compile(r"[0-9]{1,12}")


class WholeNumberField(IntegerField):
    """A whole number typed with the digits 0-9 (``int`` would also take "²" or "1_000"); a
    value that is not one keeps what was typed and shows one clear error. A text box, so what
    was typed comes back as typed (a number box would show nothing)."""

    widget = TextInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = str(valuelist[0]).strip()
        if raw == "":
            self.data = None
            return
        if not _WHOLE.fullmatch(raw):
            self.data = None
            raise ValueError(_l("Enter a whole number, such as 0 or 42."))
        self.data = int(raw)

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation()  # the typing error is enough: no "out of range" as well


class ThemeRunForm(FilterFields):
    """A new theme run: the filter's fields (``with_text`` is implied) and the settings."""

    themes = SelectField(
        _l("Number of themes"),
        default=AUTO,
        description=_l(
            "Engage can try every number and keep the one whose themes come out most alike "
            "when the texts are resampled, or you can ask for a fixed number."
        ),
        invalid_choice_message=_l("Choose a number of themes from the list."),  # type: ignore[call-arg]  # newer than the stubs
    )
    seed = WholeNumberField(
        _l("Seed"),
        default=0,
        description=_l(
            "A whole number. The same evidence, settings and seed always give the same themes; "
            "another seed shows how much the themes depend on chance."
        ),
        validators=[
            InputRequired(_l("Give a seed: a whole number, such as 0.")),
            NumberRange(
                min=0, max=SEED_MAX, message=_l("Give a whole number from 0 to 2147483647.")
            ),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    languages = SelectMultipleField(
        _l("Languages of the texts"),
        default=list(LANGUAGES),
        description=_l("Common words of these languages (stop words) are left out."),
        choices=[SelectChoice(code, LANGUAGE_LABELS[code]) for code in LANGUAGES],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        invalid_choice_message=_l("Choose languages from the list."),  # type: ignore[call-arg]  # newer than the stubs
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.themes.choices = [
            SelectChoice(
                AUTO,
                _l(
                    "Let engage choose (%(low)s to %(high)s, the most stable)",
                    low=AUTO_MIN,
                    high=AUTO_MAX,
                ),
            )
        ] + [SelectChoice(str(k), str(k)) for k in range(FIXED_MIN, FIXED_MAX + 1)]

    def validate_languages(self, field: Field) -> None:
        if not field.data:
            raise StopValidation(_l("Choose at least one language."))

    def settings(self) -> ThemeSettings:
        """The settings asked for (call after the form validated)."""
        languages = tuple(code for code in LANGUAGES if code in (self.languages.data or ()))
        if self.themes.data == AUTO:
            k_min, k_max = AUTO_MIN, AUTO_MAX
        else:
            k_min = k_max = int(self.themes.data)
        return ThemeSettings(
            languages=languages, seed=self.seed.data or 0, k_min=k_min, k_max=k_max
        )
