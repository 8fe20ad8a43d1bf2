"""Reading XLSForm workbooks (pure: no app, no database).

pyxform's source distribution ships no example workbooks (its tests/example_xls folder is not in
the sdist), so the workbooks here are written with openpyxl the way KoboToolbox and ODK's
templates lay them out: a survey sheet with ``label::English (en)`` style columns, a choices
sheet, and a settings sheet naming the default language."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest
from pyxform.xls2xform import convert  # type: ignore[import-untyped]

from engage.appraisals import xlsform
from engage.appraisals.xlsform import FieldDefinition, ParsedForm, XLSFormError

Rows = list[list[Any]]


def workbook(
    survey: Rows | None,
    choices: Rows | None = None,
    settings: Rows | None = None,
    *,
    survey_title: str = "survey",
) -> bytes:
    """An .xlsx with the given sheets (each a header row, then rows; None leaves it out)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in ((survey_title, survey), ("choices", choices), ("settings", settings)):
        if rows is None:
            continue
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def kobo_style_form() -> bytes:
    """An air-quality form as KoboToolbox's form builder exports it (with its $kuid column,
    English and French labels, a group and metadata rows)."""
    # fmt: off
    survey: Rows = [
        ["type", "name", "label::English (en)", "label::Français (fr)", "hint::English (en)",
         "required", "constraint", "relevant", "appearance", "$kuid"],
        ["start", "start", None, None, None, None, None, None, None, "a1"],
        ["end", "end", None, None, None, None, None, None, None, "a2"],
        ["today", "today", None, None, None, None, None, None, None, "a3"],
        ["deviceid", "deviceid", None, None, None, None, None, None, None, "a4"],
        ["begin_group", "reading", "The reading", "La mesure", None, None, None, None,
         "field-list", "a5"],
        ["select_one site_types", "site", "Where were you?", "Où étiez-vous ?",
         "Choose the closest.", "true", None, None, None, "a6"],
        ["decimal", "pm25", "PM2.5 reading (µg/m³)", "Mesure PM2,5",
         "Hold the sensor at head height.", "yes", ". >= 0 and . <= 1000", None, None, "a7"],
        ["integer", "lorries", "Lorries passing in two minutes", None, None, None, ". >= 0",
         "${site} = 'road'", None, "a8"],
        ["end_group", None, None, None, None, None, None, None, None, "a9"],
        ["select_multiple sources", "sources", "What could you smell?", None, None, "false",
         None, None, None, "b1"],
        ["text", "note", "Anything else we should know?", None, None, None, None, None,
         "multiline", "b2"],
        ["date", "day", "Day of the reading", None, None, None, None, None, None, "b3"],
        ["time", "hour", "Time of the reading", None, None, None, None, None, None, "b4"],
        ["dateTime", "taken", "When exactly", None, None, None, None, None, None, "b5"],
        ["geopoint", "location", "Where", None, None, "yes", None, None, None, "b6"],
        ["image", "photo", "A photo of the site", None, None, None, None,
         "selected(${sources}, 'smoke')", None, "b7"],
        ["calculate", "score", None, None, None, None, None, None, None, "b8"],
        ["note", "thanks", "Thank you!", None, None, None, None, None, None, "b9"],
    ]
    # fmt: on
    choices: Rows = [
        ["list_name", "name", "label::English (en)", "label::Français (fr)"],
        ["site_types", "school", "Outside a school", "Devant une école"],
        ["site_types", "road", "By a main road", "Près d'une grande route"],
        ["site_types", "park", "In a park", "Dans un parc"],
        [None, None, None, None],
        ["sources", "exhaust", "Exhaust", "Gaz d'échappement"],
        ["sources", "smoke", "Smoke", "Fumée"],
    ]
    settings: Rows = [
        ["form_title", "form_id", "version", "default_language"],
        ["Air quality on our streets", "air_quality", "1", "English (en)"],
    ]
    return workbook(survey, choices, settings)


def parse(data: bytes) -> ParsedForm:
    return xlsform.parse(data)


def problems_of(data: bytes) -> list[str]:
    with pytest.raises(XLSFormError) as raised:
        xlsform.parse(data)
    return [problem.text() for problem in raised.value.problems]


def by_name(parsed: ParsedForm) -> dict[str, FieldDefinition]:
    return {definition.name: definition for definition in parsed.fields}


def one_question(row: list[Any], header: list[str] | None = None) -> FieldDefinition:
    parsed = parse(workbook([header or ["type", "name", "label", "constraint"], row]))
    assert len(parsed.fields) == 1
    return parsed.fields[0]


def warnings_of(parsed: ParsedForm) -> list[str]:
    return [warning.text() for warning in parsed.warnings]


# --- A form as a standard tool makes it ---------------------------------------------------------


def test_a_kobo_style_form_imports_with_every_supported_type() -> None:
    parsed = parse(kobo_style_form())

    assert [(d.name, d.type) for d in parsed.fields] == [
        ("site", "single_choice"),
        ("pm25", "decimal"),
        ("lorries", "integer"),
        ("sources", "multiple_choice"),
        ("note", "long_text"),
        ("day", "date"),
        ("hour", "time"),
        ("taken", "datetime"),
        ("location", "location"),
        ("photo", "photo"),
    ]
    fields = by_name(parsed)
    site = fields["site"]
    assert (site.row, site.label, site.hint, site.required) == (
        7, "Where were you?", "Choose the closest.", True,
    )  # fmt: skip
    assert site.choices == [
        {"value": "school", "label": "Outside a school"},
        {"value": "road", "label": "By a main road"},
        {"value": "park", "label": "In a park"},
    ]
    pm25 = fields["pm25"]
    assert (pm25.min_value, pm25.max_value, pm25.required) == (0, 1000, True)
    lorries = fields["lorries"]
    assert (lorries.min_value, lorries.max_value) == (0, None)
    assert (lorries.condition_field, lorries.condition_value) == ("site", "road")
    assert fields["sources"].required is False
    assert [c["value"] for c in fields["sources"].choices] == ["exhaust", "smoke"]
    assert (fields["photo"].condition_field, fields["photo"].condition_value) == (
        "sources",
        "smoke",
    )
    assert fields["location"].required is True


def test_skipped_rows_and_groups_come_back_as_notices_with_their_rows() -> None:
    notices = warnings_of(parse(kobo_style_form()))

    assert notices == [
        "survey row 2: “start” rows are not part of engage's forms; skipped.",
        "survey row 3: “end” rows are not part of engage's forms; skipped.",
        "survey row 4: “today” rows are not part of engage's forms; skipped.",
        "survey row 5: “deviceid” rows are not part of engage's forms; skipped.",
        "survey row 6: Groups are not kept: the questions of group “reading” are imported as "
        "questions of the form.",
        "survey row 18: Calculated values (“calculate”) are not imported; skipped.",
        "survey row 19: Notes are not imported: put their text in the protocol or in a "
        "question's hint.",
    ]


def test_the_settings_default_language_chooses_the_labels() -> None:
    survey: Rows = [
        ["type", "name", "label::Français (fr)", "label::English (en)", "hint::Français (fr)"],
        ["text", "street", "Rue", "Street", "Le nom"],
        ["text", "town", "Ville", None, None],
    ]
    english = parse(workbook(survey, settings=[["default_language"], ["English (en)"]]))
    french = parse(workbook(survey, settings=[["default_language"], ["Français (fr)"]]))
    no_default = parse(workbook(survey))

    assert [d.label for d in english.fields] == ["Street", "Ville"]  # falls back when missing
    assert [d.label for d in french.fields] == ["Rue", "Ville"]
    assert french.fields[0].hint == "Le nom"
    assert [d.label for d in no_default.fields] == ["Rue", "Ville"]  # the first language


def test_a_plain_label_column_is_the_default_language() -> None:
    parsed = parse(workbook([["Type", "Name", "label::Deutsch (de)", "Label"],
                             ["text", "street", "Straße", "Street"]]))  # fmt: skip
    assert parsed.fields[0].label == "Street"


def test_names_are_made_lower_case_with_underscores_and_conditions_follow() -> None:
    parsed = parse(
        workbook(
            [
                ["type", "name", "label", "relevant"],
                ["select_one yn", "Has-Trees", "Any trees?", None],
                ["integer", "Tree.Count", "How many?", "${Has-Trees} = 'yes'"],
            ],
            [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]],
        )
    )
    assert [d.name for d in parsed.fields] == ["has_trees", "tree_count"]
    assert parsed.fields[1].condition_field == "has_trees"
    assert warnings_of(parsed) == [
        "survey row 2: The name “Has-Trees” was imported as “has_trees”.",
        "survey row 3: The name “Tree.Count” was imported as “tree_count”.",
    ]


def test_type_aliases_and_select_spellings_are_understood() -> None:
    parsed = parse(
        workbook(
            [
                ["type", "name", "label"],
                ["string", "a", "A"],
                ["int", "b", "B"],
                ["select one colours", "c", "C"],
                ["select all that apply colours", "d", "D"],
                ["gps", "e", "E"],
                ["photo", "f", "F"],
                ["select_one colours or_other", "g", "G"],
            ],
            [["list_name", "name", "label"], ["colours", "red", "Red"]],
        )
    )
    assert [d.type for d in parsed.fields] == [
        "text", "integer", "single_choice", "multiple_choice", "location", "photo",
        "single_choice",
    ]  # fmt: skip
    assert parsed.fields[-1].choices == [
        {"value": "red", "label": "Red"},
        {"value": "other", "label": "Other"},
    ]
    assert "survey row 8: “or_other” was imported as a choice “Other”" in warnings_of(parsed)[0]


def test_required_takes_yes_true_and_1_and_warns_about_expressions() -> None:
    survey: Rows = [["type", "name", "label", "required"]]
    cells = ["yes", "TRUE", "1", "true()", "no", "false", "0", None, "${a} = 'x'"]
    for number, cell in enumerate(cells):
        survey.append(["text", f"q{number}", f"Q{number}", cell])
    parsed = parse(workbook(survey))

    assert [d.required for d in parsed.fields] == [True] * 4 + [False] * 5
    assert warnings_of(parsed) == [
        "survey row 10: “Required” depends on other answers here (${a} = 'x'), which is not "
        "imported: the question is optional."
    ]


# --- Constraints and conditions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field_type", "constraint", "expected"),
    [
        ("decimal", ". >= 0 and . <= 1000", (0, 1000)),
        ("decimal", ".>=0 and .<=1000", (0, 1000)),
        ("decimal", "(. >= -5.5) and (. <= 40)", (-5.5, 40)),
        ("decimal", "0 <= . and 100 >= .", (0, 100)),
        ("decimal", ". <= 10", (None, 10)),
        ("decimal", ". >= 1 and . >= 3 and . <= 9", (3, 9)),
        ("integer", ". > 0 and . < 10", (1, 9)),
        ("integer", ". >= 0.5", (1, None)),
    ],
)
def test_simple_constraints_become_the_allowed_range(
    field_type: str, constraint: str, expected: tuple[float | None, float | None]
) -> None:
    definition = one_question([field_type, "reading", "Reading", constraint])
    assert (definition.min_value, definition.max_value) == expected


def test_a_strict_bound_on_a_decimal_is_loosened_with_a_warning() -> None:
    parsed = parse(workbook([["type", "name", "label", "constraint"],
                             ["decimal", "depth", "Depth", ". > 0"]]))  # fmt: skip
    assert parsed.fields[0].min_value == 0
    assert warnings_of(parsed) == [
        "survey row 2: The constraint “. > 0” was imported with its limits allowed (at least, "
        "at most)."
    ]


@pytest.mark.parametrize(
    ("field_type", "constraint"),
    [
        ("decimal", ". >= 0 or . <= 5"),
        ("decimal", ". != 3"),
        ("integer", "regex(., '^[0-9]+$')"),
        ("decimal", ". >= ${other}"),
        ("decimal", ". = 5"),
        ("text", "string-length(.) < 20"),
        ("date", ". <= today()"),
        ("text", ". >= 0"),
        ("integer", ". > " + "9" * 400),  # a number too large for any range
    ],
)
def test_other_constraints_are_left_out_with_a_warning(field_type: str, constraint: str) -> None:
    parsed = parse(workbook([["type", "name", "label", "constraint"],
                             [field_type, "q", "Q", constraint]]))  # fmt: skip
    assert (parsed.fields[0].min_value, parsed.fields[0].max_value) == (None, None)
    assert warnings_of(parsed) == [f"survey row 2: The constraint “{constraint}” was not imported."]


@pytest.mark.parametrize(
    ("relevant", "expected"),
    [
        ("${site} = 'road'", ("site", "road")),
        ("${site}='road'", ("site", "road")),
        ('${site} = "road"', ("site", "road")),
        ("(${site} = 'road')", ("site", "road")),
        ("selected(${site}, 'road')", ("site", "road")),
        ('selected( ${site} , "park" )', ("site", "park")),
        ("${count} = 3", ("count", "3")),
    ],
)
def test_simple_relevance_becomes_the_condition(relevant: str, expected: tuple[str, str]) -> None:
    parsed = parse(
        workbook(
            [
                ["type", "name", "label", "relevant"],
                ["select_one sites", "site", "Site", None],
                ["integer", "count", "Count", None],
                ["text", "why", "Why?", relevant],
            ],
            [["list_name", "name", "label"], ["sites", "road", "Road"], ["sites", "park", "Park"]],
        )
    )
    why = parsed.fields[2]
    assert (why.condition_field, why.condition_value) == expected
    assert parsed.warnings == []


@pytest.mark.parametrize(
    "relevant",
    [
        "${site} != 'road'",
        "${site} = 'road' or ${site} = 'park'",
        "${site} = 'road' and ${count} > 2",
        "not(selected(${site}, 'road'))",
        "${count} > 3",
        "${missing} = 'x'",  # no such question
        "${later} = 'x'",  # a question after this one
        "${score} = '1'",  # a calculation, which is skipped
    ],
)
def test_other_relevance_is_left_out_with_a_warning(relevant: str) -> None:
    parsed = parse(
        workbook(
            [
                ["type", "name", "label", "relevant"],
                ["select_one sites", "site", "Site", None],
                ["integer", "count", "Count", None],
                ["calculate", "score", None, None],
                ["text", "why", "Why?", relevant],
                ["text", "later", "Later", None],
            ],
            [["list_name", "name", "label"], ["sites", "road", "Road"], ["sites", "park", "Park"]],
        )
    )
    assert parsed.fields[2].condition_field is None
    assert (
        f"survey row 5: The condition “{relevant}” was not imported: the question is always "
        "shown." in warnings_of(parsed)
    )


def test_a_groups_condition_is_left_out_with_a_warning() -> None:
    parsed = parse(
        workbook(
            [
                ["type", "name", "label", "relevant"],
                ["text", "a", "A", None],
                ["begin group", "more", "More", "${a} = 'x'"],
                ["text", "b", "B", None],
                ["end group", None, None, None],
            ]
        )
    )
    assert [d.name for d in parsed.fields] == ["a", "b"]
    assert warnings_of(parsed)[1] == (
        "survey row 3: The group's condition was not imported: its questions are always shown."
    )


def test_choice_filters_defaults_and_calculations_on_questions_are_left_out() -> None:
    parsed = parse(workbook([["type", "name", "label", "default", "choice_filter"],
                             ["text", "a", "A", "hello", None]]))  # fmt: skip
    assert warnings_of(parsed) == ["survey row 2: The “default” column was not imported."]


# --- Errors, all at once, with their rows -------------------------------------------------------


def test_unsupported_types_are_errors_naming_their_rows_and_what_is_supported() -> None:
    survey: Rows = [
        ["type", "name", "label"],
        ["text", "ok", "Fine"],
        [None, None, None],  # blank rows keep the numbering
        ["geotrace", "route", "Your route"],
        ["geoshape", "area", "The area"],
        ["audio", "sound", "A recording"],
        ["video", "clip", "A video"],
        ["file", "doc", "A file"],
        ["barcode", "code", "A barcode"],
        ["range", "level", "Level"],
        ["rank colours", "order", "Order"],
        ["begin repeat", "trees", "Each tree"],
        ["text", "species", "Species"],
        ["end repeat", None, None],
        ["select_one_from_file streets.csv", "street", "Street"],
        ["select one from file streets.csv", "street2", "Street"],
    ]
    problems = problems_of(workbook(survey, [["list_name", "name", "label"],
                                              ["colours", "red", "Red"]]))  # fmt: skip

    supported = (
        "text, integer, decimal, select_one, select_multiple, date, time, dateTime, geopoint, image"
    )
    assert problems == [
        f"survey row {row}: The question type “{kind}” cannot be imported. engage supports: "
        f"{supported}."
        for row, kind in [
            (4, "geotrace"), (5, "geoshape"), (6, "audio"), (7, "video"), (8, "file"),
            (9, "barcode"), (10, "range"), (11, "rank colours"), (12, "begin repeat"),
            (15, "select_one_from_file streets.csv"), (16, "select one from file streets.csv"),
        ]
    ]  # fmt: skip


def test_row_problems_of_both_sheets_are_reported_together() -> None:
    survey: Rows = [
        ["type", "name", "label"],
        ["select_one missing_list", "a", "A"],
        ["select_one", "b", "B"],
        ["text", None, "No name"],
        [None, "c", "No type"],
        ["select_multiple colours", "d", "D"],
    ]
    choices: Rows = [
        ["list_name", "name", "label"],
        ["colours", "red", "Red"],
        ["colours", "red", "Red again"],
        ["colours", "light blue", "Light blue"],
        ["colours", None, "Nameless"],
        [None, "green", "Green"],
    ]
    assert problems_of(workbook(survey, choices)) == [
        "survey row 2: The choice list “missing_list” is not on the choices sheet.",
        "survey row 3: “select_one” needs the name of its choice list after it.",
        "survey row 4: This question has no name.",
        "survey row 5: This row has no type.",
        "choices row 3: The list “colours” has the choice “red” twice.",
        "choices row 4: A choice's name cannot contain spaces: “light blue”.",
        "choices row 5: This choice has no name.",
        "choices row 6: This choice has no list name.",
    ]


def test_a_form_of_only_skipped_rows_has_nothing_to_import() -> None:
    assert problems_of(workbook([["type", "name"], ["start", "start"], ["end", "end"]])) == [
        "The survey sheet has no question engage can import."
    ]


def test_a_single_sheet_of_any_name_is_the_survey() -> None:
    parsed = parse(workbook([["type", "name", "label"], ["text", "a", "A"]], survey_title="Form"))
    assert [d.name for d in parsed.fields] == ["a"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "This file is not an Excel workbook."),
        (b"type,name,label\ntext,a,A\n", "This file is not an Excel workbook."),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "This file is not an Excel workbook."),
        (b"PK\x03\x04" + b"\x00" * 100, "The file could not be read as a spreadsheet."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "The file could not be read"),
        (b"PK\x03\x04" + b"x" * (5 * 1024 * 1024), "The file is larger than 5 MB."),
    ],
)
def test_files_that_are_not_workbooks_get_a_clear_message(data: bytes, message: str) -> None:
    problems = problems_of(data)
    assert len(problems) == 1
    assert problems[0].startswith(message)


def plain_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_zip_that_is_not_a_workbook_cannot_be_read() -> None:
    assert problems_of(plain_zip({"notes.txt": b"hello"})) == [
        "The file could not be read as a spreadsheet. It may be damaged."
    ]


def test_a_small_file_that_unpacks_into_a_huge_one_is_refused_before_reading() -> None:
    bomb = plain_zip({"xl/worksheets/sheet1.xml": b" " * (40 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    assert problems_of(bomb) == ["The workbook is too large to import."]


def test_sheets_without_a_survey_or_its_type_column_are_refused() -> None:
    no_survey = workbook(None, [["list_name", "name", "label"], ["a", "b", "c"]],
                         [["form_title"], ["T"]])  # fmt: skip
    no_type = workbook([["name", "label"], ["a", "A"]])
    assert problems_of(no_survey) == ["The workbook has no “survey” sheet."]
    assert problems_of(no_type) == ["The survey sheet has no “type” column."]


def test_duplicate_columns_are_named() -> None:
    assert problems_of(workbook([["type", "name", "label", "name"], ["text", "a", "A", "b"]])) == [
        "A sheet has two columns named “name”."
    ]


def test_problems_keep_the_message_template_and_its_values_for_translation() -> None:
    with pytest.raises(XLSFormError) as raised:
        xlsform.parse(workbook([["type", "name", "label"], ["audio", "a", "A"]]))
    problem = raised.value.problems[0]
    assert (problem.sheet, problem.row) == ("survey", 2)
    assert problem.message.startswith("The question type “%(type)s” cannot be imported.")
    assert problem.params["type"] == "audio"


def test_read_returns_row_errors_beside_the_questions_it_could_read() -> None:
    parsed = xlsform.read(workbook([["type", "name", "label"], ["text", "a", "A"],
                                    ["audio", "b", "B"], ["integer", "c", "C"]]))  # fmt: skip
    assert [d.name for d in parsed.fields] == ["a", "c"]
    assert [(p.sheet, p.row) for p in parsed.errors] == [("survey", 3)]
    with pytest.raises(XLSFormError):
        xlsform.read(b"not a workbook")


# --- Workbooks saved by a spreadsheet program --------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures"


def test_a_workbook_saved_by_libreoffice_is_a_valid_xlsform_for_the_reference_tool() -> None:
    # The fixture is what ODK and Kobo accept: pyxform turns it into an XForm.
    result = convert(xlsform=str(FIXTURES / "street-trees.xlsx"))
    assert "<h:title>Street trees</h:title>" in result.xform


def test_a_workbook_saved_by_libreoffice_imports_every_question_we_support() -> None:
    parsed = xlsform.read((FIXTURES / "street-trees.xlsx").read_bytes())

    assert [(f.name, f.type) for f in parsed.fields] == [
        ("species", "single_choice"),
        ("species_other", "text"),
        ("trunk_cm", "integer"),
        ("height_m", "decimal"),
        ("condition", "multiple_choice"),
        ("observed_on", "date"),
        ("observed_at", "time"),
        ("location", "location"),
        ("photo", "photo"),
        ("notes", "long_text"),
    ]
    by_name = {f.name: f for f in parsed.fields}
    assert by_name["species"].label == "Species"
    assert by_name["species"].required
    assert [c["value"] for c in by_name["species"].choices] == ["oak", "plane", "lime", "other"]
    assert (by_name["species_other"].condition_field, by_name["species_other"].condition_value) == (
        "species",
        "other",
    )
    assert (by_name["trunk_cm"].min_value, by_name["trunk_cm"].max_value) == (1, 1500)
    assert by_name["trunk_cm"].hint == "In centimetres, measured 1.3 m above the ground"
    # The metadata rows, the group and the note are skipped, each named by its row.
    assert [(w.row, w.params) for w in parsed.warnings] == [
        (2, {"type": "start"}),
        (3, {"type": "end"}),
        (4, {"type": "today"}),
        (5, {"name": "tree"}),
        (17, {}),
    ]


def test_a_workbook_saved_by_libreoffice_with_unsupported_types_names_each_row() -> None:
    parsed = xlsform.read((FIXTURES / "unsupported-types.xlsx").read_bytes())

    assert [(p.row, p.params["type"]) for p in parsed.errors] == [
        (3, "geotrace"),
        (4, "begin_repeat"),
        (5, "audio"),
    ]
