"""Pool import and export as CSV: both formats people already have, every bad row reported."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from engage.juries.pooldata import (
    Person,
    PoolData,
    PoolFileError,
    PoolFormat,
    RowError,
    address_key,
    propose_quotas,
    read_pool,
    read_pool_partly,
    read_quotas,
    read_quotas_partly,
    spreadsheet_cell,
    write_features_csv,
    write_people_csv,
)
from engage.juries.selection import Quota

DATA = Path(__file__).with_name("data")

QUOTAS = b"feature,value,min,max\ngender,female,1,2\ngender,male,1,2\nage,young,0,2\nage,old,0,2\n"


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def scotland() -> PoolData:
    return read_pool(fixture("scotland_150/candidates.csv"), fixture("scotland_150/features.csv"))


def paper() -> PoolData:
    return read_pool(
        fixture("example_small_20/respondents.csv"), fixture("example_small_20/categories.csv")
    )


def s300() -> PoolData:
    return read_pool(fixture("s300/people.csv"), fixture("s300/quotas.csv"))


def errors_of(people: bytes, quotas: bytes = QUOTAS) -> list[tuple[str, int, str | None, str]]:
    """(file, line, column, English text) of every error read_pool reports."""
    with pytest.raises(PoolFileError) as caught:
        read_pool(people, quotas)
    return [(e.file, e.line, e.column, e.message % e.params) for e in caught.value.errors]


def quota_errors(quotas: bytes) -> list[tuple[int, str | None, str]]:
    with pytest.raises(PoolFileError) as caught:
        read_quotas(quotas)
    assert {e.file for e in caught.value.errors} == {"quotas"}
    return [(e.line, e.column, e.message % e.params) for e in caught.value.errors]


# --- the two formats, auto-detected ------------------------------------------------------------


def test_sortition_foundation_files_are_read_with_ids_contacts_and_flex() -> None:
    pool = scotland()
    assert pool.format is PoolFormat.SORTITION_FOUNDATION
    assert pool.features == ["Gender", "age_bracket", "edu_level", "geo_bucket"]
    assert pool.values["Gender"] == ["Female", "Male", "Non-binary or other"]
    assert len(pool.quotas) == 20
    assert pool.quotas[0] == Quota("Gender", "Female", 11, 12, 0, 12)
    assert [p.id for p in pool.people] == [f"p{i}" for i in range(150)]
    first = pool.people[0]
    assert first.values == {
        "Gender": "Male",
        "age_bracket": "30-44",
        "edu_level": "Level 4 and above",
        "geo_bucket": "South Scotland",
    }
    assert first.contact == {
        "first_name": "first_name0",
        "last_name": "last_name0",
        "email": "email0",
        "mobile_number": "mobile_number0",
        "primary_address1": "primary_address10",
        "primary_address2": "primary_address20",
        "primary_city": "primary_city0",
        "primary_zip": "primary_zip0",
    }
    # Every candidate has a different address, so everyone has a household of their own.
    assert len({p.household for p in pool.people}) == 150


def test_a_household_column_is_used_as_is() -> None:
    pool = s300()
    assert pool.format is PoolFormat.SORTITION_FOUNDATION
    assert len(pool.people) == 300
    assert len(pool.quotas) == 21
    assert all(q.min_flex is None and q.max_flex is None for q in pool.quotas)
    assert pool.people[0].id == "p00000"
    assert pool.people[0].household == "h00009"
    assert "household" not in pool.people[0].contact
    assert sum(p.household == "h00197" for p in pool.people) == 5


def test_paper_files_are_read_with_row_numbers_as_ids() -> None:
    pool = paper()
    assert pool.format is PoolFormat.PAPER
    assert pool.features == ["gender", "leaning"]
    assert pool.values == {"gender": ["female", "male"], "leaning": ["liberal", "conservative"]}
    assert pool.quotas[0] == Quota("gender", "female", 9, 20)
    assert [p.id for p in pool.people] == [str(i) for i in range(200)]
    assert pool.people[0].values == {"gender": "female", "leaning": "conservative"}
    assert pool.people[0].contact == {}
    assert len({p.household for p in pool.people}) == 200


def test_read_quotas_tells_the_format_from_the_header() -> None:
    assert read_quotas(fixture("scotland_150/features.csv"))[0] is PoolFormat.SORTITION_FOUNDATION
    assert read_quotas(fixture("example_small_20/categories.csv"))[0] is PoolFormat.PAPER
    # The Sortition Foundation's older spelling, with columns in another order and case.
    fmt, quotas = read_quotas(b"Category,Name,Max,Min\nGender,Female,3,1\n")
    assert fmt is PoolFormat.SORTITION_FOUNDATION
    assert quotas == [Quota("Gender", "Female", 1, 3)]


def test_paper_ids_count_data_rows_not_blank_lines() -> None:
    categories = b"category,feature,min,max\ngender,f,0,1\ngender,m,0,1\n"
    pool = read_pool(b"gender\nf\n\nm\n", categories)
    assert [(p.id, p.values["gender"]) for p in pool.people] == [("0", "f"), ("1", "m")]


def test_people_at_the_same_address_share_a_household() -> None:
    people = (
        b"id,name,address1,city,postcode,gender,age\n"
        b"a,Ann,12 High St.,Leeds,LS1 4AB,female,young\n"
        b"b,Bob,12  high st,LEEDS,ls14ab,male,old\n"
        b"c,Cat,12 High St,Leeds,LS1 4AC,female,old\n"
        b"d,Dan,,,,male,young\n"
        b"e,Eve,,,,female,young\n"
    )
    households = {p.id: p.household for p in read_pool(people, QUOTAS).people}
    assert households["a"] == households["b"]
    assert households["c"] != households["a"]
    assert households["d"] == "person:d"
    assert households["e"] == "person:e"


def test_a_household_is_the_same_whichever_address_columns_a_file_has() -> None:
    # Line 1, city and postcode only (no second line): the key has the same four slots as a
    # file, or a registration, that has every part with the second line empty.
    short = b"id,primary_address1,primary_city,primary_zip,gender,age\na,12 High St,Leeds,LS1 4AB,female,young\n"
    full = (
        b"id,Address Line1,address-line2,Town,Post Code,gender,age\n"
        b"b,12 high st,,LEEDS,ls14ab,male,old\n"
    )
    [a] = read_pool(short, QUOTAS).people
    [b] = read_pool(full, QUOTAS).people
    assert a.household == b.household == address_key("12 High St.", "", "Leeds", "LS1 4AB")
    assert address_key("", "", "", "") == ""


def test_reading_partly_keeps_the_valid_rows_and_where_each_quota_is() -> None:
    quotas = b"Category,Feature,Min,Max\ngender,f,0,1\ngender,m,x,1\nage,young,0,2\n"
    people = b"gender,age\nf,young\nq,young\n"

    data, errors = read_pool_partly(people, quotas)

    assert {(e.file, e.line, e.column) for e in errors} == {
        ("quotas", 3, "Min"),
        ("people", 3, "gender"),
    }
    assert data is not None and data.format is PoolFormat.PAPER
    assert data.quotas == [Quota("gender", "f", 0, 1), Quota("age", "young", 0, 2)]
    assert data.values == {"gender": ["f", "m"], "age": ["young"]}  # m named, bounds bad
    assert [p.id for p in data.people] == ["0"]
    assert (data.where.line("gender", "m"), data.where.line("age"), data.where.line("x")) == (
        3,
        4,
        0,
    )
    assert (data.where.column("feature"), data.where.column("value")) == ("Category", "Feature")
    assert data.where.column("max") == "Max"
    assert data.where.column("max_flex") is None
    read, problems = read_quotas_partly(quotas)
    assert read is not None and read.quotas == data.quotas and read.people == []
    assert [(e.line, e.column) for e in problems] == [(3, "Min")]
    assert read_quotas_partly(b"what,ever\n1,2\n")[0] is None
    with pytest.raises(PoolFileError):
        read_pool(people, quotas)  # the whole-file reader still gives nothing


def test_the_id_column_is_found_by_its_name_or_else_the_first_non_feature_column() -> None:
    def ids(header: bytes) -> list[str]:
        people = header + b"\nx1,x2,female,young\ny1,y2,male,old\n"
        return [p.id for p in read_pool(people, QUOTAS).people]

    assert ids(b"name,ID,gender,age") == ["x2", "y2"]
    assert ids(b"name,respondent_id,gender,age") == ["x2", "y2"]
    assert ids(b"name,email,gender,age") == ["x1", "y1"]


def test_the_instance_lists_values_in_feature_order_with_households() -> None:
    instance = s300().instance(30)
    assert instance.panel_size == 30
    assert instance.ids[0] == "p00000"
    assert list(instance.features) == ["gender", "age", "region", "education", "tenure"]
    assert list(instance.values[0]) == ["male", "35-44", "east", "secondary", "owner"]
    assert instance.households is not None
    assert instance.households[0] == "h00009"
    assert len(instance.quotas) == 21


# --- encodings and delimiters -------------------------------------------------------------------


def test_semicolons_and_a_utf8_byte_order_mark_are_understood() -> None:
    quotas = "\ufefffeature;value;min;max\nregion;Île-de-France;0;2\nregion;Nord, Pas;0;2\n"
    people = "\ufeffid;region\n1;Île-de-France\n2;Nord, Pas\n"
    pool = read_pool(people.encode("utf-8"), quotas.encode("utf-8"))
    assert pool.features == ["region"]
    assert [p.values["region"] for p in pool.people] == ["Île-de-France", "Nord, Pas"]


def test_windows_1252_files_from_excel_are_understood() -> None:
    quotas = "feature,value,min,max\nhome,Côte,0,1\nhome,Ñuñoa,0,1\n".encode("cp1252")
    people = "id\thome\r\n1\tCôte\r\n2\tÑuñoa\r\n".encode("cp1252")
    pool = read_pool(people, quotas)
    assert [p.values["home"] for p in pool.people] == ["Côte", "Ñuñoa"]


def test_utf16_unicode_text_from_excel_is_understood() -> None:
    quotas = "feature\tvalue\tmin\tmax\r\nhome\tKöln\t0\t1\r\n".encode("utf-16")
    pool = read_pool("id\thome\r\n1\tKöln\r\n".encode("utf-16"), quotas)
    assert pool.people[0].values == {"home": "Köln"}


def test_cells_are_stripped_and_empty_trailing_columns_ignored() -> None:
    quotas = b" feature , value , min , max ,,\ngender , female, 1 , 2,,\ngender,male,1,2,,\n"
    pool = read_pool(b"id, gender\n 7 , male \n", quotas)
    assert pool.quotas[0] == Quota("gender", "female", 1, 2)
    assert pool.people == [Person("7", {"gender": "male"}, "person:7", {})]


def test_a_workbook_is_refused_with_a_hint() -> None:
    errors = quota_errors(b"PK\x03\x04" + bytes(range(256)))
    assert errors == [
        (0, None, "This is a spreadsheet workbook, not a CSV file. Save it as CSV and try again.")
    ]


# --- errors: every one, with its line and column -----------------------------------------------


def test_every_bad_quota_row_is_reported_with_line_and_column() -> None:
    quotas = (
        b"feature,value,min,max,min_flex,max_flex\n"
        b"gender,female,1,2,0,3\n"  # 2: fine
        b"gender,male,one,2,,\n"  # 3
        b"\n"  # 4: blank, skipped
        b"gender,other,-1,2,,\n"  # 5
        b"age,young,3,2,,\n"  # 6
        b"age,old,2,3,3,2\n"  # 7: min_flex > min and max_flex < max
        b"gender,female,0,1,,\n"  # 8: duplicate of line 2
        b",old,0,1,,\n"  # 9
        b"age,,0,1,,\n"  # 10
        b"age,mid,,1,,\n"  # 11
        b"age,new,0,1\n"  # 12: too few cells
    )
    assert quota_errors(quotas) == [
        (3, "min", "one is not a whole number."),
        (5, "min", "-1 is negative; give a whole number of at least 0."),
        (6, "min", "The minimum 3 is more than the maximum 2."),
        (7, "min_flex", "min_flex 3 is more than the minimum 2; it may only be lower."),
        (7, "max_flex", "max_flex 2 is less than the maximum 3; it may only be higher."),
        (8, "value", "gender = female already has a quota on line 2."),
        (9, "feature", "The feature is empty."),
        (10, "value", "The value is empty."),
        (11, "min", "This cell is empty; give a whole number."),
        (12, None, "This row has 4 cells where the header has 6."),
    ]


def test_a_quotas_header_of_neither_format_is_explained() -> None:
    [(line, column, text)] = quota_errors(b"name,lo,hi\ngender,1,2\n")
    assert (line, column) == (1, None)
    assert "name,lo,hi" in text
    assert "feature,value,min,max" in text
    assert "category,feature,min,max" in text


def test_unknown_and_missing_quota_columns_are_reported() -> None:
    assert quota_errors(b"feature,value,min,maximum\ngender,female,1,2\n") == [
        (1, "maximum", "Unknown column maximum; the columns are feature,value,min,max."),
        (1, "max", "The column max is missing from the header."),
    ]


def test_files_without_rows_are_reported() -> None:
    assert quota_errors(b"") == [(0, None, "The file is empty.")]
    assert quota_errors(b"\n , ,\n") == [(0, None, "The file is empty.")]
    assert quota_errors(b"feature,value,min,max\n\n") == [
        (0, None, "The file has a header but no data rows.")
    ]


def test_every_bad_person_is_reported_with_line_and_column() -> None:
    people = (
        b"id,note,gender,age\n"
        b'1,"two\nlines",female,young\n'  # lines 2-3: a quoted cell over two lines
        b"2,,Female,young\n"  # 4
        b"\n"  # 5
        b"3,,male,\n"  # 6
        b",,male,old\n"  # 7
        b"1,,male,old\n"  # 8: duplicate of the id on line 2
        b"4,,male\n"  # 9
        b"5,,male,old,extra\n"  # 10
        b"6,,male,old,\n"  # 11: a trailing empty cell is fine
    )
    assert errors_of(people) == [
        (
            "people",
            4,
            "gender",
            "Female is not a value of gender in the quotas file: female, male.",
        ),
        ("people", 6, "age", "No value for age."),
        ("people", 7, "id", "The id is empty."),
        ("people", 8, "id", "The id 1 is already used on line 2."),
        ("people", 9, None, "This row has 3 cells where the header has 4."),
        ("people", 10, None, "This row has 5 cells where the header has 4."),
    ]


def test_a_feature_missing_from_the_people_file_is_reported_with_a_near_miss() -> None:
    assert errors_of(b"id,Gender\n1,female\n") == [
        (
            "people",
            1,
            "Gender",
            "The quotas file has the feature gender but this file has Gender. "
            "Write the column name exactly as in the quotas file.",
        ),
        ("people", 1, None, "There is no column age, which the quotas file uses."),
    ]


def test_people_file_header_problems_are_reported() -> None:
    assert errors_of(b"gender,age\nfemale,young\n") == [
        (
            "people",
            1,
            None,
            "There is no id column: every column is a feature. Add a column id with a "
            "different value for each person.",
        )
    ]
    assert errors_of(b"id,ID,gender,age\n1,2,male,old\n") == [
        ("people", 1, "ID", "The header has two columns called ID.")
    ]
    assert errors_of(b"id,,gender,age\n1,x,male,old\n") == [
        ("people", 1, None, "Column 2 has values but no name in the header.")
    ]


def test_a_paper_respondents_file_has_only_category_columns() -> None:
    categories = b"category,feature,min,max\ngender,f,0,1\ngender,m,0,1\nage,y,0,1\n"
    assert errors_of(b"id,gender,Age\n0,f,y\n", categories) == [
        (
            "people",
            1,
            "Age",
            "The quotas file has the feature age but this file has Age. "
            "Write the column name exactly as in the quotas file.",
        ),
        (
            "people",
            1,
            "id",
            "id is not a category of the quotas file. In this format the respondents file "
            "has one column per category and nothing else.",
        ),
    ]
    assert errors_of(b"gender,age\nf,y\nx,y\n", categories) == [
        ("people", 3, "gender", "x is not a value of gender in the quotas file: f, m.")
    ]


def test_errors_of_both_files_come_together_sorted_and_nothing_is_returned() -> None:
    quotas = b"feature,value,min,max\ngender,female,2,1\ngender,male,1,2\nage,young,x,2\n"
    people = b"id,gender,age\n1,female,young\n2,man,young\n"
    with pytest.raises(PoolFileError) as caught:
        read_pool(people, quotas)
    errors = caught.value.errors
    assert [(e.file, e.line, e.column) for e in errors] == [
        ("people", 3, "gender"),
        ("quotas", 2, "min"),
        ("quotas", 4, "min"),
    ]
    assert errors[0].params == {"value": "man", "feature": "gender", "expected": "female, male"}
    assert str(caught.value).splitlines()[1] == (
        "quotas line 2, column min: The minimum 2 is more than the maximum 1."
    )


def test_a_people_file_with_no_rows_is_an_error_even_with_good_quotas() -> None:
    assert errors_of(b"id,gender,age\n") == [
        ("people", 0, None, "The file has a header but no data rows.")
    ]


def test_row_error_text_names_file_line_and_column() -> None:
    error = RowError("quotas", 4, "max", "%(value)s is not a whole number.", {"value": "x"})
    assert error.text() == "quotas line 4, column max: x is not a whole number."
    assert RowError("people", 0, None, "The file is empty.", {}).text() == (
        "people: The file is empty."
    )
    assert RowError("people", 3, None, "Bad row.", {}).text() == "people line 3: Bad row."


# --- writing and reading back ------------------------------------------------------------------


def same_data(a: PoolData, b: PoolData) -> bool:
    return (a.features, a.values, a.quotas, a.people) == (b.features, b.values, b.quotas, b.people)


def round_trip(pool: PoolData, id_column: str = "id") -> PoolData:
    people = write_people_csv(pool.people, pool.features, id_column=id_column)
    quotas = write_features_csv(pool.quotas)
    return read_pool(people.encode(), quotas.encode())


@pytest.mark.parametrize("read", [scotland, s300, paper])
def test_export_then_import_gives_the_same_pool(read: Callable[[], PoolData]) -> None:
    pool = read()
    again = round_trip(pool, "nationbuilder_id" if read is scotland else "id")
    assert again.format is PoolFormat.SORTITION_FOUNDATION
    assert same_data(again, pool)


def test_cells_a_spreadsheet_would_run_as_formulas_are_guarded_and_read_back_unchanged() -> None:
    risky = ['=HYPERLINK("http://evil","x")', "+44 20 7946 0000", "-1", "@SUM(A1)", "\tx"]
    assert [spreadsheet_cell(text) for text in risky] == ["'" + text for text in risky]
    assert spreadsheet_cell("Ann") == "Ann"
    assert spreadsheet_cell("'quoted") == "'quoted"  # not a formula: left alone
    assert spreadsheet_cell("'=x") == "''=x"  # so that reading it back gives '=x again
    pool = PoolData(
        PoolFormat.SORTITION_FOUNDATION,
        ["age"],
        {"age": ["-18", "'=x", "18+"]},
        [Quota("age", "-18", 0, 2), Quota("age", "'=x", 0, 2), Quota("age", "18+", 0, 2)],
        [
            Person("=1", {"age": "-18"}, "h1", {"name": risky[0], "phone": risky[1]}),
            Person("2", {"age": "'=x"}, "+h2", {"name": "'=x", "phone": "@home"}),
            Person("3", {"age": "18+"}, "h3", {"name": "Ann", "phone": ""}),
        ],
    )
    people = write_people_csv(pool.people, pool.features)
    quotas = write_features_csv(pool.quotas)

    for text in (people, quotas):  # no cell of either file starts with a formula character
        for row in csv.reader(io.StringIO(text)):
            assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for cell in row), row
    assert "'=HYPERLINK" in people
    again = read_pool(people.encode(), quotas.encode())
    assert same_data(again, pool)  # ids, values, households and contacts all come back


def test_the_people_file_puts_id_household_contacts_then_features() -> None:
    text = write_people_csv(
        [
            Person("1", {"gender": "female"}, "h1", {"name": "Ann, Jr", "email": "a@x"}),
            Person("2", {"gender": "male"}, "h1", {"phone": "07"}),
        ],
        ["gender"],
    )
    assert text.splitlines() == [
        "id,household,name,email,phone,gender",
        '1,h1,"Ann, Jr",a@x,,female',
        "2,h1,,,07,male",
    ]


def test_a_contact_column_clashing_with_a_written_column_is_refused() -> None:
    person = Person("1", {"gender": "female"}, "h1", {"Household": "x"})
    with pytest.raises(ValueError, match="Household"):
        write_people_csv([person], ["gender"])


def test_flex_columns_are_written_only_when_a_quota_has_them() -> None:
    plain = [Quota("gender", "female", 1, 2), Quota("gender", "male", 1, 2)]
    assert write_features_csv(plain).splitlines() == [
        "feature,value,min,max",
        "gender,female,1,2",
        "gender,male,1,2",
    ]
    mixed = [Quota("gender", "female", 1, 2, 0, 3), Quota("gender", "male", 1, 2)]
    text = write_features_csv(mixed)
    assert text.splitlines() == [
        "feature,value,min,max,min_flex,max_flex",
        "gender,female,1,2,0,3",
        "gender,male,1,2,,",
    ]
    assert read_quotas(text.encode()) == (PoolFormat.SORTITION_FOUNDATION, mixed)


# --- proposing quotas from population shares ---------------------------------------------------


def test_quotas_are_the_floor_and_ceiling_of_the_share_of_the_panel() -> None:
    quotas = propose_quotas(
        {"gender": {"female": 51, "male": 49}, "age": {"young": 25, "old": 75}}, 22
    )
    assert quotas == [
        Quota("gender", "female", 11, 12),  # 11.22
        Quota("gender", "male", 10, 11),  # 10.78
        Quota("age", "young", 5, 6),  # 5.5
        Quota("age", "old", 16, 17),  # 16.5
    ]


def test_exact_shares_give_exact_quotas_and_zero_shares_give_zero() -> None:
    assert propose_quotas({"tenure": {"own": 60, "rent": 40, "other": 0}}, 20) == [
        Quota("tenure", "own", 12, 12),
        Quota("tenure", "rent", 8, 8),
        Quota("tenure", "other", 0, 0),
    ]


def test_shares_rounded_in_a_published_table_are_rescaled() -> None:
    # 33.3 * 3 = 99.9: each third of 30 is exactly 10 once rescaled, not 9.99 (9 to 10).
    quotas = propose_quotas({"area": {"n": 33.3, "s": 33.3, "e": 33.3}}, 30)
    assert [(q.min, q.max) for q in quotas] == [(10, 10), (10, 10), (10, 10)]


def test_every_feature_can_be_filled_by_the_proposed_quotas() -> None:
    rng = random.Random(3)
    for _ in range(200):
        weights = [rng.random() for _ in range(rng.randint(1, 7))]
        shares = {f"v{i}": round(100 * w / sum(weights), 1) for i, w in enumerate(weights)}
        if abs(sum(shares.values()) - 100) > 1:
            continue
        k = rng.randint(1, 150)
        quotas = propose_quotas({"f": shares}, k)
        assert sum(q.min for q in quotas) <= k <= sum(q.max for q in quotas)
        assert all(0 <= q.min <= q.max <= q.min + 1 for q in quotas)


@pytest.mark.parametrize(
    ("shares", "size", "message"),
    [
        ({"gender": {"female": 50, "male": 40}}, 20, "gender add up to 90 percent"),
        ({"gender": {"female": 110, "male": -10}}, 20, "must be 0 or more"),
        ({"gender": {}}, 20, "gender has no values"),
        ({"gender": {"female": 50, "male": 50}}, 0, "at least 1"),
    ],
)
def test_impossible_shares_are_refused(
    shares: dict[str, dict[str, float]], size: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        propose_quotas(shares, size)
