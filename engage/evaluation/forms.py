"""The evidence filter, shared by the index, theme runs, samples and the package. The choices
(areas, segments, codes) are handed over by the view; no form reads the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, Field, SearchField, SelectField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import Length, Optional, ValidationError

from engage.evaluation.index import DOMAIN_LABELS, DOMAIN_NAMES, EvidenceFilter
from engage.forms import BaseForm

QUERY_MAX_LENGTH = 200


def _text_or_none(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


class FilterFields(BaseForm):
    """Which evidence items: a source, dates contributed (inclusive), an area, a segment, a code
    and words to search for."""

    query = SearchField(
        _l("Words"),
        validators=[Length(max=QUERY_MAX_LENGTH)],
        description=_l("Items with all of these words. Capitals and accents do not matter."),
    )
    domain = SelectField(
        _l("Source"),
        coerce=_text_or_none,
        default="",
        invalid_choice_message=_l("Choose a source from the list."),  # type: ignore[call-arg]  # newer than the stubs
    )
    date_from = DateField(_l("Contributed on or after"), validators=[Optional()])
    date_to = DateField(_l("Contributed on or before"), validators=[Optional()])
    area = SelectField(
        _l("Area"),
        coerce=_text_or_none,
        default="",
        invalid_choice_message=_l("Choose an area from the list."),  # type: ignore[call-arg]  # newer than the stubs
    )
    segment = SelectField(
        _l("Segment"),
        coerce=_text_or_none,
        default="",
        invalid_choice_message=_l("Choose a segment from the list."),  # type: ignore[call-arg]  # newer than the stubs
        description=_l("Only people who consented to their segment being used have one."),
    )
    code = SelectField(
        _l("Code"),
        coerce=_text_or_none,
        default="",
        invalid_choice_message=_l("Choose a code from the list."),  # type: ignore[call-arg]  # newer than the stubs
    )
    with_text = BooleanField(_l("Only items with free text"))

    def __init__(
        self,
        *args: Any,
        areas: Sequence[str] = (),
        segments: Sequence[str] = (),
        codes: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.domain.choices = [SelectChoice("", _l("All sources"))] + [
            SelectChoice(name, _l(DOMAIN_LABELS[name])) for name in DOMAIN_NAMES
        ]
        self.area.choices = [SelectChoice("", _l("All areas"))] + [
            SelectChoice(area, area) for area in areas
        ]
        self.segment.choices = [SelectChoice("", _l("All segments"))] + [
            SelectChoice(segment, segment) for segment in segments
        ]
        self.code.choices = [SelectChoice("", _l("Any or no code"))] + [
            SelectChoice(str(code_id), name) for code_id, name in codes
        ]

    def validate_date_to(self, field: Field) -> None:
        start: date | None = self.date_from.data
        if field.data is not None and start is not None and field.data < start:
            raise ValidationError(_l("Give a date on or after the first date."))

    def evidence_filter(self) -> EvidenceFilter:
        """The filter asked for, without the parts that have an error."""
        self.validate()
        code = self.valid("code")
        return EvidenceFilter(
            domain=self.valid("domain"),
            date_from=self.valid("date_from"),
            date_to=self.valid("date_to"),
            area=self.valid("area"),
            segment=self.valid("segment"),
            query=self.valid("query") or "",
            code_id=int(code) if code else None,
            with_text=bool(self.valid("with_text")),
        )


class FilterForm(FilterFields):
    """The filter read from the query string (a GET filter changes nothing)."""

    class Meta:
        csrf = False


def filter_args(filters: EvidenceFilter) -> dict[str, str]:
    """The filter as query arguments, for links that keep it (pages, runs, the package)."""
    args = {
        "query": filters.query,
        "domain": filters.domain or "",
        "date_from": filters.date_from.isoformat() if filters.date_from else "",
        "date_to": filters.date_to.isoformat() if filters.date_to else "",
        "area": filters.area or "",
        "segment": filters.segment or "",
        "code": str(filters.code_id) if filters.code_id else "",
        "with_text": "y" if filters.with_text else "",
    }
    return {name: value for name, value in args.items() if value}
