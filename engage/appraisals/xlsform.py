"""Reading an XLSForm, the spreadsheet form standard of ODK and KoboToolbox, into the questions of
a citizen-science project's form (pure: bytes in, field definitions out; no Flask, no database).

pyxform (the reference implementation's reader) turns the workbook into rows, keeping empty rows
so that every problem can name its spreadsheet row (the header is row 1). What we read:

* Question types: ``text`` (``multiline`` appearance: a long text), ``integer``, ``decimal``,
  ``select_one LIST`` and ``select_multiple LIST`` (their choices from the choices sheet),
  ``date``, ``time``, ``dateTime``, ``geopoint`` (the submission's location) and ``image`` (a
  photo). The usual aliases (``string``, ``int``, ``select one``, ``gps`` ...) count too.
* Each question's name, label and hint (the settings' default language, else the plain column,
  else the first language in the sheet: ``label::English (en)``), and required
  (``yes``/``true``/``1``).
* Simple constraints on numbers (``. >= 0 and . <= 1000``) become the allowed range; simple
  relevance (``${site} = 'road'``, ``selected(${site}, 'road')``) becomes the condition. Anything
  else in those columns is left out with a warning.
* Metadata and computed rows (start, end, today, deviceid, username, calculate, note ...) are
  skipped, with a notice; groups are flattened, with a notice. Every other type (repeats,
  geotrace, geoshape, audio, video, file, barcode, range, rank, select from a file ...) is an
  error naming the row and the type.

Every problem is collected, and nothing is returned unless the file has none: an
:class:`XLSFormError` carries them all. Messages are English templates marked with ``N_``, with
their parameters, to be translated where they are shown.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engage.i18n import N_

MAX_BYTES = 5 * 1024 * 1024
# An .xlsx is a zip: its unpacked size is checked before reading, so a small file cannot unpack
# into gigabytes.
MAX_UNPACKED_BYTES = 30 * 1024 * 1024
MAX_ROWS = 2000  # per sheet: far more than any form residents would fill in
SUPPORTED = (
    "text, integer, decimal, select_one, select_multiple, date, time, dateTime, geopoint, image"
)

SURVEY = "survey"
CHOICES = "choices"

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# The types we import, by the lower-cased type cell, as FieldType values (engage.appraisals.models).
_SIMPLE_TYPES = {
    "text": "text",
    "string": "text",
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "time": "time",
    "datetime": "datetime",
    "geopoint": "location",
    "gps": "location",
    "image": "photo",
    "photo": "photo",
    "add image prompt": "photo",
    "add photo prompt": "photo",
}
# Rows that describe the device or the interview, or compute or show something: skipped.
_METADATA_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "imei",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "start-geopoint",
        "background-audio",
    }
)
_COMPUTED_TYPES = frozenset({"calculate", "hidden", "xml-external", "csv-external"})
_GROUP_BEGIN = frozenset({"begin group", "begin_group"})
_GROUP_END = frozenset({"end group", "end_group"})
_REPEAT_END = frozenset({"end repeat", "end_repeat", "end loop", "end_loop"})
_UNSUPPORTED_SELECTS = frozenset(
    {"select_one_from_file", "select_multiple_from_file", "select_one_external", "rank"}
)
_SINGLE_SELECTS = ("select_one", "select1", "select one")
_MULTIPLE_SELECTS = ("select_multiple", "select_all_that_apply", "select all that apply")

_TRUE = frozenset({"yes", "true", "1", "true()"})
_FALSE = frozenset({"no", "false", "0", "false()"})

_NUMBER = r"-?(?:\d+(?:\.\d*)?|\.\d+)"
_COMPARISON = re.compile(rf"^(\.|{_NUMBER})\s*(>=|<=|>|<)\s*(\.|{_NUMBER})$")
_AND = re.compile(r"\s+and\s+")
_REF = r"\$\{\s*([^}\s]+)\s*\}"
_VALUE = rf"'([^']*)'|\"([^\"]*)\"|({_NUMBER})"
_EQUALS = re.compile(rf"^{_REF}\s*=\s*(?:{_VALUE})$")
_SELECTED = re.compile(rf"^selected\(\s*{_REF}\s*,\s*(?:{_VALUE})\s*\)$")
_FLIPPED = {">=": "<=", "<=": ">=", ">": "<", "<": ">"}


@dataclass(frozen=True)
class Problem:
    """An error or a warning about one row of one sheet (row 0: the file as a whole)."""

    sheet: str
    row: int
    message: str
    params: dict[str, str | int] = field(default_factory=dict)

    def text(self) -> str:
        """In English, e.g. ``survey row 4: ...`` (for logs and tests)."""
        where = f"{self.sheet} row {self.row}: " if self.row else ""
        return where + (self.message % self.params if self.params else self.message)


class XLSFormError(Exception):
    """Every problem that stops the form from being imported, in sheet and row order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        order = {"": 0, SURVEY: 1, CHOICES: 2}
        self.problems = sorted(problems, key=lambda p: (order.get(p.sheet, 3), p.row))
        super().__init__("\n".join(problem.text() for problem in self.problems))


@dataclass(frozen=True)
class FieldDefinition:
    """A question as read from the survey sheet; ``type`` is a FieldType value."""

    row: int
    name: str
    label: str
    type: str
    hint: str = ""
    required: bool = False
    min_value: float | None = None
    max_value: float | None = None
    choices: list[dict[str, str]] = field(default_factory=list)
    condition_field: str | None = None
    condition_value: str = ""


@dataclass(frozen=True)
class ParsedForm:
    fields: list[FieldDefinition]
    warnings: list[Problem]  # what was left out or changed, to show after the import
    errors: list[Problem] = field(default_factory=list)  # rows that stop the import


def normalised_name(name: str) -> str:
    """XLSForm names may use capitals, dashes and dots; ours are lower case with underscores."""
    return name.strip().lower().replace("-", "_").replace(".", "_")


# --- Reading the workbook ---------------------------------------------------------------------


def _file_problem(message: str, **params: str | int) -> XLSFormError:
    return XLSFormError([Problem("", 0, message, dict(params))])


def _read_workbook(data: bytes) -> Any:
    """pyxform's reading of the sheets into rows of text, or the reason it cannot be read."""
    if len(data) > MAX_BYTES:
        raise _file_problem(N_("The file is larger than 5 MB."))
    if data.startswith(_XLSX_MAGIC):
        file_type = ".xlsx"
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError, ValueError):
            raise _file_problem(
                N_("The file could not be read as a spreadsheet. It may be damaged.")
            ) from None
        if unpacked > MAX_UNPACKED_BYTES:
            raise _file_problem(N_("The workbook is too large to import."))
    elif data.startswith(_XLS_MAGIC):
        file_type = ".xls"
    else:
        raise _file_problem(
            N_(
                "This file is not an Excel workbook. Save the XLSForm as .xlsx (from Excel, "
                "LibreOffice or Google Sheets) and upload that."
            )
        )
    from pyxform.errors import PyXFormError  # type: ignore[import-untyped]
    from pyxform.xls2json_backends import get_xlsform  # type: ignore[import-untyped]

    try:
        return get_xlsform(data, file_type=file_type)
    except PyXFormError as error:
        duplicate = re.match(r"Duplicate column header: (.*)", str(error))
        if duplicate:
            raise _file_problem(
                N_("A sheet has two columns named “%(column)s”."), column=duplicate.group(1)
            ) from None
        raise _file_problem(
            N_("The file could not be read as a spreadsheet. It may be damaged.")
        ) from None
    except Exception:  # a damaged workbook can fail in any of the readers' layers
        raise _file_problem(
            N_("The file could not be read as a spreadsheet. It may be damaged.")
        ) from None


class _Sheet:
    """One sheet's rows with case-insensitive column names, and its translated columns."""

    def __init__(
        self,
        rows: Sequence[Mapping[str, str]] | None,
        header: Sequence[Mapping[str, Any]] | None,
        language: str,
    ) -> None:
        self.rows = list(rows or [])
        columns = list(header[0]) if header else []
        if not columns:  # the header row is empty: take the columns the rows use
            columns = list(dict.fromkeys(key for row in self.rows for key in row))
        self.columns: dict[str, str] = {}
        for column in columns:
            self.columns.setdefault(column.strip().lower(), column)
        self.language = language.strip().lower()

    def cell(self, row: Mapping[str, str], *names: str) -> str:
        for name in names:
            column = self.columns.get(name)
            if column is not None and row.get(column):
                return str(row[column]).strip()
        return ""

    def translated(self, row: Mapping[str, str], name: str) -> str:
        """A translatable column (label, hint) in the form's language; any language when that
        one is empty."""
        candidates: list[tuple[int, str]] = []
        for key, column in self.columns.items():
            if key == name:
                candidates.append((1, column))
            elif key.startswith(name + ":"):
                language = key[len(name) :].lstrip(":").strip()
                candidates.append((0 if language == self.language else 2, column))
        for _rank, column in sorted(candidates, key=lambda item: item[0]):
            value = row.get(column)
            if value:
                return str(value).strip()
        return ""


def _default_language(definition: Any) -> str:
    for row in definition.settings or []:
        for key, value in row.items():
            if key.strip().lower() == "default_language" and value:
                return str(value)
    return ""


# --- Types, constraints and relevance ---------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    # "field", "note", "skip", "computed", "group", "group_end", "repeat_end", "unsupported",
    # "no_list"
    what: str
    type: str = ""
    list_name: str = ""
    or_other: bool = False


def _kind(raw: str) -> _Kind:
    tokens = raw.split()
    lowered = " ".join(tokens).lower()
    words = lowered.split()
    if lowered in _SIMPLE_TYPES:
        return _Kind("field", _SIMPLE_TYPES[lowered])
    if lowered == "note":
        return _Kind("note")
    if lowered in _METADATA_TYPES:
        return _Kind("skip")
    if lowered in _COMPUTED_TYPES:
        return _Kind("computed")
    if lowered in _GROUP_BEGIN:
        return _Kind("group")
    if lowered in _GROUP_END:
        return _Kind("group_end")
    if lowered in _REPEAT_END:
        return _Kind("repeat_end")
    if words[0] in _UNSUPPORTED_SELECTS or " ".join(words[2:4]) == "from file":
        return _Kind("unsupported")
    for keywords, field_type in ((_SINGLE_SELECTS, "single_choice"),
                                 (_MULTIPLE_SELECTS, "multiple_choice")):  # fmt: skip
        for keyword in keywords:
            size = len(keyword.split())
            if " ".join(words[:size]) != keyword:
                continue
            rest = tokens[size:]
            if not rest:
                return _Kind("no_list")
            if len(rest) == 1:
                return _Kind("field", field_type, rest[0])
            if len(rest) == 2 and rest[1].lower() == "or_other":
                return _Kind("field", field_type, rest[0], or_other=True)
    return _Kind("unsupported")


def _unwrapped(expression: str) -> str:
    """Without surrounding spaces and one pair of surrounding brackets."""
    text = expression.strip()
    while text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        text = text[1:-1].strip()
    return text


@dataclass(frozen=True)
class _Range:
    low: float | None
    high: float | None
    strict: bool


def _range(constraint: str, *, whole: bool) -> _Range | None:
    """The bounds of ``. >= 0 and . <= 1000`` (either side, either order), or None when the
    constraint says anything else. For whole numbers a strict bound becomes the next whole
    number (``. > 0`` is ``. >= 1``); otherwise ``strict`` tells that one was loosened."""
    low: float | None = None
    high: float | None = None
    strict = False
    for part in _AND.split(_unwrapped(constraint)):
        match = _COMPARISON.match(_unwrapped(part))
        if match is None:
            return None
        left, operator, right = match.groups()
        if (left == ".") == (right == "."):
            return None
        if left != ".":
            left, operator, right = right, _FLIPPED[operator], left
        bound = float(right)
        if not math.isfinite(bound):  # "9" * 400 is a float, but no range
            return None
        above = operator.startswith(">")
        if whole:
            if operator in (">", "<"):
                bound = float(math.floor(bound) + 1 if above else math.ceil(bound) - 1)
            else:
                bound = float(math.ceil(bound) if above else math.floor(bound))
        else:
            strict = strict or operator in (">", "<")
        if above:
            low = bound if low is None else max(low, bound)
        else:
            high = bound if high is None else min(high, bound)
    return _Range(low, high, strict)


def _condition(relevant: str) -> tuple[str, str] | None:
    """(the referenced name, the value) of ``${site} = 'road'`` or ``selected(${site}, 'road')``,
    or None when the relevance says anything else."""
    text = _unwrapped(relevant)
    match = _EQUALS.match(text) or _SELECTED.match(text)
    if match is None:
        return None
    name, *values = match.groups()
    value = next(v for v in values if v is not None)
    return name, value


# --- The form -----------------------------------------------------------------------------------


def _choice_lists(sheet: _Sheet, errors: list[Problem]) -> dict[str, list[dict[str, str]]]:
    lists: dict[str, list[dict[str, str]]] = {}
    for index, row in enumerate(sheet.rows):
        number = index + 2
        list_name = sheet.cell(row, "list_name", "list name")
        value = sheet.cell(row, "name", "value")
        label = sheet.translated(row, "label")
        if not (list_name or value or label):
            continue
        if not list_name:
            errors.append(Problem(CHOICES, number, N_("This choice has no list name.")))
            continue
        if not value:
            errors.append(Problem(CHOICES, number, N_("This choice has no name.")))
            continue
        if any(character.isspace() for character in value):
            errors.append(
                Problem(CHOICES, number, N_("A choice's name cannot contain spaces: “%(value)s”."),
                        {"value": value})
            )  # fmt: skip
            continue
        choices = lists.setdefault(list_name, [])
        if any(choice["value"] == value for choice in choices):
            errors.append(
                Problem(CHOICES, number, N_("The list “%(list)s” has the choice “%(value)s” twice."),
                        {"list": list_name, "value": value})
            )  # fmt: skip
            continue
        choices.append({"value": value, "label": label or value})
    return lists


def parse(data: bytes) -> ParsedForm:
    """The questions of the XLSForm in ``data`` (an .xlsx or .xls workbook), with warnings about
    what was left out; raises :class:`XLSFormError` with every problem found."""
    parsed = read(data)
    if parsed.errors:
        raise XLSFormError(parsed.errors)
    return parsed


def read(data: bytes) -> ParsedForm:
    """Like :func:`parse`, but problems of single rows come back in ``errors`` with the questions
    that could be read, so a caller checking more rules can report everything at once. A file
    that cannot be read at all still raises :class:`XLSFormError`."""
    definition = _read_workbook(data)
    language = _default_language(definition)
    survey = _Sheet(definition.survey, definition.survey_header, language)
    if definition.survey is None:
        raise _file_problem(N_("The workbook has no “survey” sheet."))
    choices_sheet = _Sheet(definition.choices, definition.choices_header, language)
    if len(survey.rows) > MAX_ROWS or len(choices_sheet.rows) > MAX_ROWS:
        raise _file_problem(N_("A sheet has more than %(count)s rows."), count=MAX_ROWS)
    if "type" not in survey.columns:
        raise _file_problem(N_("The survey sheet has no “type” column."))

    errors: list[Problem] = []
    warnings: list[Problem] = []
    lists = _choice_lists(choices_sheet, errors)
    fields: list[FieldDefinition] = []
    imported: dict[str, FieldDefinition] = {}  # by the name in the spreadsheet

    def warn(row: int, message: str, **params: str | int) -> None:
        warnings.append(Problem(SURVEY, row, message, dict(params)))

    def error(row: int, message: str, **params: str | int) -> None:
        errors.append(Problem(SURVEY, row, message, dict(params)))

    for index, row in enumerate(survey.rows):
        number = index + 2
        raw_type = survey.cell(row, "type")
        name = survey.cell(row, "name")
        if not raw_type:
            if name or survey.translated(row, "label"):
                error(number, N_("This row has no type."))
            continue
        kind = _kind(raw_type)
        if kind.what == "note":
            warn(number, N_("Notes are not imported: put their text in the protocol or in a "
                            "question's hint."))  # fmt: skip
            continue
        if kind.what == "skip":
            warn(number, N_("“%(type)s” rows are not part of engage's forms; skipped."),
                 type=raw_type)  # fmt: skip
            continue
        if kind.what == "computed":
            warn(number, N_("Calculated values (“%(type)s”) are not imported; skipped."),
                 type=raw_type)  # fmt: skip
            continue
        if kind.what == "group":
            warn(number, N_("Groups are not kept: the questions of group “%(name)s” are imported "
                            "as questions of the form."), name=name or raw_type)  # fmt: skip
            if survey.cell(row, "relevant", "relevance"):
                warn(number, N_("The group's condition was not imported: its questions are always "
                                "shown."))  # fmt: skip
            continue
        if kind.what == "group_end":
            continue
        if kind.what == "repeat_end":  # its "begin repeat" is the error
            continue
        if kind.what == "no_list":
            error(number, N_("“%(type)s” needs the name of its choice list after it."),
                  type=raw_type)  # fmt: skip
            continue
        if kind.what == "unsupported":
            error(number, N_("The question type “%(type)s” cannot be imported. engage supports: "
                             "%(supported)s."), type=raw_type, supported=SUPPORTED)  # fmt: skip
            continue

        if not name:
            error(number, N_("This question has no name."))
            continue
        field_type = kind.type
        if field_type == "text" and "multiline" in survey.cell(row, "appearance").split():
            field_type = "long_text"

        required_cell = survey.cell(row, "required").lower()
        required = required_cell in _TRUE
        if required_cell and not required and required_cell not in _FALSE:
            warn(number, N_("“Required” depends on other answers here (%(rule)s), which is not "
                            "imported: the question is optional."),
                 rule=survey.cell(row, "required"))  # fmt: skip

        choices: list[dict[str, str]] = []
        if kind.list_name:
            if kind.list_name not in lists:
                error(number, N_("The choice list “%(list)s” is not on the choices sheet."),
                      list=kind.list_name)  # fmt: skip
                continue
            choices = list(lists[kind.list_name])
            if kind.or_other and not any(choice["value"] == "other" for choice in choices):
                choices.append({"value": "other", "label": "Other"})
                warn(number, N_("“or_other” was imported as a choice “Other”, without the box "
                                "for saying what."))  # fmt: skip

        low = high = None
        constraint = survey.cell(row, "constraint")
        if constraint:
            bounds = (
                _range(constraint, whole=field_type == "integer")
                if field_type in ("integer", "decimal")
                else None
            )
            if bounds is None:
                warn(number, N_("The constraint “%(constraint)s” was not imported."),
                     constraint=constraint)  # fmt: skip
            else:
                low, high = bounds.low, bounds.high
                if bounds.strict:
                    warn(number, N_("The constraint “%(constraint)s” was imported with its limits "
                                    "allowed (at least, at most)."),
                         constraint=constraint)  # fmt: skip

        condition_field: str | None = None
        condition_value = ""
        relevant = survey.cell(row, "relevant", "relevance")
        if relevant:
            condition = _condition(relevant)
            earlier = imported.get(condition[0]) if condition else None
            if condition is None or earlier is None:
                warn(number, N_("The condition “%(relevant)s” was not imported: the question is "
                                "always shown."), relevant=relevant)  # fmt: skip
            else:
                condition_field, condition_value = earlier.name, condition[1]

        for column in ("choice_filter", "default", "calculation"):
            if survey.cell(row, column):
                warn(number, N_("The “%(column)s” column was not imported."), column=column)

        our_name = normalised_name(name)
        if our_name != name:
            warn(number, N_("The name “%(name)s” was imported as “%(ours)s”."),
                 name=name, ours=our_name)  # fmt: skip
        definition_row = FieldDefinition(
            row=number,
            name=our_name,
            label=survey.translated(row, "label"),
            type=field_type,
            hint=survey.translated(row, "hint"),
            required=required,
            min_value=low,
            max_value=high,
            choices=choices,
            condition_field=condition_field,
            condition_value=condition_value,
        )
        fields.append(definition_row)
        imported.setdefault(name, definition_row)

    if not fields and not errors:
        errors.append(Problem("", 0, N_("The survey sheet has no question engage can import.")))
    return ParsedForm(fields, warnings, errors)
