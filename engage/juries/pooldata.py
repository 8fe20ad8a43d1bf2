"""Reading and writing a volunteer pool and its quotas as CSV (pure: bytes in, data out).

Two formats are read, and told apart by the quotas file's header:

* the Sortition Foundation's: a features file ``feature,value,min,max[,min_flex,max_flex]``
  (their older spelling ``category,name,min,max`` is accepted too) and a people file with an id
  column, address columns, one column per feature and any other columns (name, e-mail, ...);
* the paper's (Flanigan et al., Nature 2021): ``categories.csv`` with ``category,feature,min,max``
  (category = the feature, feature = its value) and ``respondents.csv`` with one column per
  category and nothing else. Respondents have no ids: a person's id is their data row number,
  starting at ``"0"`` (blank lines do not count, as in the paper's code).

Optional ``min_flex``/``max_flex`` columns are accepted in either quotas format; a blank flex cell
means no bound (None). Any other column in a quotas file is an error.

Reading rules, for both files:

* Text is decoded as UTF-8 (with or without a byte-order mark), as UTF-16 when it starts with a
  UTF-16 byte-order mark (Excel's "Unicode text"), and otherwise as Windows-1252 (Excel's
  "CSV" on Windows). An Excel workbook (.xlsx) or other binary file is reported, not guessed at.
* The delimiter is the one among comma, semicolon and tab that splits the header into the most
  cells (a tie goes to the comma, then the semicolon).
* Every cell is stripped of surrounding spaces, and loses the apostrophe that guards a formula
  character after it (see the end of this docstring). Blank lines, and lines whose cells are all
  empty (as spreadsheets write them), are skipped, but line numbers stay the physical lines of
  the file (the header is line 1).
* A row with fewer cells than the header is an error; extra cells are an error unless they are
  all empty (trailing delimiters). A header column without a name is dropped when all its cells
  are empty, and is an error otherwise. Two columns with the same name (ignoring case) are an
  error.
* Quotas-file column names are matched ignoring case, spaces and hyphens ("Min Flex" is
  ``min_flex``); people-file column names must equal the quotas file's feature names exactly
  (a case-insensitive near miss is suggested in the error), and values must equal the quotas
  file's values exactly.

Nothing is returned unless both files are entirely valid: every problem found is collected into
one :class:`PoolFileError`, each with its file, line, column and a translatable message.

Households (for the one-person-per-household rule): a ``household`` column when the people file
has one; otherwise the normalised address (casefolded, punctuation and symbols removed,
whitespace collapsed, and all spaces removed from postcodes) in four fixed slots, whichever of
them the file has (see ``ADDRESS_SLOTS``; a missing column is an empty slot, so a file without,
say, a second address line gives the same key as a registration with that line empty):

* line 1: ``address_line1``, ``primary_address1``, ``address1``, ``address``;
* line 2: ``address_line2``, ``primary_address2``, ``address2``;
* city: ``city``, ``primary_city``, ``town``;
* postcode: ``postcode``, ``primary_zip``, ``zip``, ``post_code``, ``postal_code``.

Column names are compared ignoring case, spaces and hyphens; when a file has several columns for
one slot, the first in the file counts. A person with a blank household or address lives alone:
``"person:<id>"``. In the paper's format everyone lives alone.

Writing is always in the Sortition Foundation format, so a pool read in either format can be
exported and read back unchanged (apart from its format). Every cell written that a spreadsheet
would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is
prefixed with an apostrophe (:func:`spreadsheet_cell`), and the reader removes that apostrophe
again, so the guard survives a round trip without changing any id, value or contact detail.
"""

from __future__ import annotations

import csv
import enum
import io
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from engage.i18n import N_
from engage.juries.selection import Instance, Quota

__all__ = [
    "Person",
    "PoolData",
    "PoolFileError",
    "PoolFormat",
    "QuotaLines",
    "RowError",
    "address_columns",
    "address_key",
    "propose_quotas",
    "read_pool",
    "read_pool_partly",
    "read_quotas",
    "read_quotas_partly",
    "spreadsheet_cell",
    "write_features_csv",
    "write_people_csv",
]

PEOPLE = "people"
QUOTAS = "quotas"

# The four parts of an address, each with the column names that give it (compared ignoring case,
# spaces and hyphens). The household key and the contact details kept from an import both read
# these, so a volunteer who registers and one imported at the same address share a household.
ADDRESS_SLOTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("address_line1", ("address_line1", "primary_address1", "address1", "address")),
    ("address_line2", ("address_line2", "primary_address2", "address2")),
    ("city", ("city", "primary_city", "town")),
    ("postcode", ("postcode", "primary_zip", "zip", "post_code", "postal_code")),
)
ADDRESS_COLUMNS = tuple(name for _, names in ADDRESS_SLOTS for name in names)
HOUSEHOLD_COLUMN = "household"
_DELIMITERS = (",", ";", "\t")
_WHOLE_NUMBER = re.compile(r"[0-9]+")
_NEGATIVE_NUMBER = re.compile(r"-[0-9]+")
MIN_MAX_COLUMNS = ("min", "max", "min_flex", "max_flex")

# Shares may add up to anything within this many percentage points of 100.
SHARE_TOLERANCE = 1.0

# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> str:
    """``value`` as a CSV cell no spreadsheet runs as a formula: text starting with a formula
    character gets an apostrophe in front. So does text that already starts with apostrophes
    before one, so that the reader, which removes one such apostrophe, gets every text back."""
    text = "" if value is None else str(value)
    if text.lstrip("'").startswith(FORMULA_START):
        return "'" + text
    return text


def _unguarded(cell: str) -> str:
    """A cell read back as it was before :func:`spreadsheet_cell` guarded it."""
    if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_START):
        return cell[1:]
    return cell


class PoolFormat(enum.StrEnum):
    SORTITION_FOUNDATION = "sortition-foundation"
    PAPER = "paper"


@dataclass(frozen=True)
class RowError:
    """One problem in an uploaded file.

    ``file`` is the role of the file (``"people"`` or ``"quotas"``), ``line`` the physical line
    (1 = the header; 0 = the file as a whole), ``column`` the column's name as written in the
    file (None when the problem is the row or the file). ``message`` is an English template
    marked with ``N_`` and filled from ``params`` (translate it at the edge, then format it)."""

    file: str
    line: int
    column: str | None
    message: str
    params: dict[str, str | int] = field(default_factory=dict)

    def text(self) -> str:
        """The error in English, e.g. ``quotas line 4, column max: ...`` (for the CLI)."""
        where = self.file if self.line == 0 else f"{self.file} line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message % self.params}"


class PoolFileError(Exception):
    """Every problem found in the uploaded files, sorted by file then line."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors: list[RowError] = sorted(errors, key=lambda error: (error.file, error.line))
        super().__init__("\n".join(error.text() for error in self.errors))


@dataclass(frozen=True)
class Person:
    """A pool member: ``values`` maps each quota feature to their value, ``household`` is shared
    by people at the same address, ``contact`` holds every other column of the people file."""

    id: str
    values: dict[str, str]
    household: str
    contact: dict[str, str]
    # Where the person is in the people file (0: not read from one); not part of equality.
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class QuotaLines:
    """Where a quotas file gave each quota, so that checks made after reading it can point at
    the right line and column.

    ``rows`` maps (feature, value) to the physical line of its row; ``columns`` maps each role
    (``feature``, ``value``, ``min``, ``max``, ``min_flex``, ``max_flex``) to the name of its
    column as written in the file (the paper's feature column is called ``category``)."""

    rows: dict[tuple[str, str], int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)

    def line(self, feature: str, value: str | None = None) -> int:
        """The line of this value's row, or without a value of the feature's first row; 0 (the
        file as a whole) when the file has no such row."""
        if value is not None:
            return self.rows.get((feature, value), 0)
        return min((line for (name, _), line in self.rows.items() if name == feature), default=0)

    def column(self, role: str) -> str | None:
        return self.columns.get(role)


@dataclass(frozen=True)
class PoolData:
    """A pool and its quotas, read from CSV files that were entirely valid."""

    format: PoolFormat
    features: list[str]
    values: dict[str, list[str]]
    quotas: list[Quota]
    people: list[Person]
    # Where each quota is in its file (for errors found later); not part of equality.
    where: QuotaLines = field(default_factory=QuotaLines, compare=False)

    def instance(self, panel_size: int) -> Instance:
        """The selection problem of choosing ``panel_size`` people from this pool."""
        return Instance(
            ids=[person.id for person in self.people],
            features=list(self.features),
            values=[[person.values[f] for f in self.features] for person in self.people],
            quotas=list(self.quotas),
            panel_size=panel_size,
            households=[person.household for person in self.people],
        )


# --- reading tables --------------------------------------------------------------------------


@dataclass
class _Table:
    header: list[str]
    header_line: int
    rows: list[tuple[int, list[str]]]  # (physical line, cells), one cell per header column


def _decode(data: bytes, file: str) -> tuple[str | None, list[RowError]]:
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        return None, [
            RowError(
                file,
                0,
                None,
                N_("This is a spreadsheet workbook, not a CSV file. Save it as CSV and try again."),
            )
        ]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if "\x00" not in text:
                return text, []
    return None, [
        RowError(
            file,
            0,
            None,
            N_("This file is not readable text. Save it as CSV (UTF-8) and try again."),
        )
    ]


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def _delimiter(text: str) -> str:
    header = _first_line(text)
    best, best_count = ",", 0
    for delimiter in _DELIMITERS:
        count = len(next(csv.reader([header], delimiter=delimiter), []))
        if count > best_count:
            best, best_count = delimiter, count
    return best


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | None]]:
    """(first physical line, stripped cells) of each record; cells None if it cannot be read."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield line, None
            return
        yield line, [_unguarded(cell.strip()) for cell in record]


def _read_table(data: bytes, file: str) -> tuple[_Table | None, list[RowError]]:
    text, errors = _decode(data, file)
    if text is None:
        return None, errors
    header: list[str] | None = None
    header_line = 0
    raw_rows: list[tuple[int, list[str]]] = []
    for line, cells in _records(text, _delimiter(text)):
        if cells is None:
            errors.append(
                RowError(
                    file, line, None, N_("This line cannot be read as CSV (check its quotes).")
                )
            )
            break
        if not any(cells):
            continue
        if header is None:
            header, header_line = cells, line
        else:
            raw_rows.append((line, cells))
    if header is None:
        errors.append(RowError(file, 0, None, N_("The file is empty.")))
        return None, errors

    # Columns without a name: dropped when empty (spreadsheet leftovers), an error otherwise.
    keep: list[int] = []
    for index, name in enumerate(header):
        if name:
            keep.append(index)
        elif any(index < len(cells) and cells[index] for _, cells in raw_rows):
            errors.append(
                RowError(
                    file,
                    header_line,
                    None,
                    N_("Column %(number)s has values but no name in the header."),
                    {"number": index + 1},
                )
            )
    seen: dict[str, str] = {}
    for index in keep:
        name = header[index]
        if name.casefold() in seen:
            errors.append(
                RowError(
                    file,
                    header_line,
                    name,
                    N_("The header has two columns called %(column)s."),
                    {"column": name},
                )
            )
        seen.setdefault(name.casefold(), name)

    width = len(header)
    rows: list[tuple[int, list[str]]] = []
    for line, cells in raw_rows:
        if len(cells) < width or any(cells[width:]):
            errors.append(
                RowError(
                    file,
                    line,
                    None,
                    N_("This row has %(found)s cells where the header has %(expected)s."),
                    {"found": len(cells), "expected": width},
                )
            )
            continue
        rows.append((line, [cells[index] for index in keep]))
    if not raw_rows:
        errors.append(RowError(file, 0, None, N_("The file has a header but no data rows.")))
    return _Table([header[index] for index in keep], header_line, rows), errors


# --- quotas ----------------------------------------------------------------------------------


def _column_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().casefold())


@dataclass
class _Quotas:
    format: PoolFormat | None
    quotas: list[Quota]
    features: list[str]
    values: dict[str, list[str]]
    errors: list[RowError]
    where: QuotaLines = field(default_factory=QuotaLines)


def _parse_count(
    cell: str, line: int, column: str, errors: list[RowError], *, required: bool = True
) -> int | None:
    if not cell:
        if required:
            errors.append(
                RowError(QUOTAS, line, column, N_("This cell is empty; give a whole number."))
            )
        return None
    if _WHOLE_NUMBER.fullmatch(cell):
        return int(cell)
    if _NEGATIVE_NUMBER.fullmatch(cell):
        message = N_("%(value)s is negative; give a whole number of at least 0.")
    else:
        message = N_("%(value)s is not a whole number.")
    errors.append(RowError(QUOTAS, line, column, message, {"value": cell}))
    return None


def _parse_quotas(table: _Table, errors: list[RowError]) -> _Quotas:
    keys = {_column_key(name): index for index, name in enumerate(table.header)}
    result = _Quotas(None, [], [], {}, errors)
    if "category" in keys and "feature" in keys:
        result.format, names = PoolFormat.PAPER, ("category", "feature")
    elif "feature" in keys and "value" in keys:
        result.format, names = PoolFormat.SORTITION_FOUNDATION, ("feature", "value")
    elif "category" in keys and "name" in keys:
        result.format, names = PoolFormat.SORTITION_FOUNDATION, ("category", "name")
    else:
        errors.append(
            RowError(
                QUOTAS,
                table.header_line,
                None,
                N_(
                    "The header is %(header)s. A quotas file needs the columns feature,value,min,max "
                    "(Sortition Foundation, optionally with min_flex,max_flex) or "
                    "category,feature,min,max (Flanigan et al.)."
                ),
                {"header": ",".join(table.header)},
            )
        )
        return result

    roles = {"feature": names[0], "value": names[1], **{n: n for n in MIN_MAX_COLUMNS}}
    for role, name in roles.items():
        if name in keys:
            result.where.columns[role] = table.header[keys[name]]
    known = {*names, *MIN_MAX_COLUMNS}
    for name in table.header:
        if _column_key(name) not in known:
            errors.append(
                RowError(
                    QUOTAS,
                    table.header_line,
                    name,
                    N_("Unknown column %(column)s; the columns are %(expected)s."),
                    {"column": name, "expected": ",".join((*names, "min", "max"))},
                )
            )
    missing = [name for name in ("min", "max") if name not in keys]
    for name in missing:
        errors.append(
            RowError(
                QUOTAS,
                table.header_line,
                name,
                N_("The column %(column)s is missing from the header."),
                {"column": name},
            )
        )

    feature_col, value_col = keys[names[0]], keys[names[1]]
    first_line = result.where.rows
    for line, cells in table.rows:
        feature, value = cells[feature_col], cells[value_col]
        row_ok = True
        for index, cell, message in (
            (feature_col, feature, N_("The feature is empty.")),
            (value_col, value, N_("The value is empty.")),
        ):
            if not cell:
                errors.append(RowError(QUOTAS, line, table.header[index], message))
                row_ok = False
        if feature and value:
            if (feature, value) in first_line:
                errors.append(
                    RowError(
                        QUOTAS,
                        line,
                        table.header[value_col],
                        N_("%(feature)s = %(value)s already has a quota on line %(first)s."),
                        {"feature": feature, "value": value, "first": first_line[feature, value]},
                    )
                )
                row_ok = False
            else:
                first_line[feature, value] = line
                if feature not in result.values:
                    result.features.append(feature)
                    result.values[feature] = []
                result.values[feature].append(value)
        if missing:
            continue

        low, high, low_flex, high_flex = (
            _parse_count(cells[keys[key]], line, table.header[keys[key]], errors, required=required)
            if key in keys
            else None
            for key, required in (
                ("min", True),
                ("max", True),
                ("min_flex", False),
                ("max_flex", False),
            )
        )
        if low is None or high is None:
            row_ok = False
        elif low > high:
            errors.append(
                RowError(
                    QUOTAS,
                    line,
                    table.header[keys["min"]],
                    N_("The minimum %(min)s is more than the maximum %(max)s."),
                    {"min": low, "max": high},
                )
            )
            row_ok = False
        if low is not None and low_flex is not None and low_flex > low:
            errors.append(
                RowError(
                    QUOTAS,
                    line,
                    table.header[keys["min_flex"]],
                    N_(
                        "min_flex %(min_flex)s is more than the minimum %(min)s; it may only be lower."
                    ),
                    {"min_flex": low_flex, "min": low},
                )
            )
            row_ok = False
        if high is not None and high_flex is not None and high_flex < high:
            errors.append(
                RowError(
                    QUOTAS,
                    line,
                    table.header[keys["max_flex"]],
                    N_(
                        "max_flex %(max_flex)s is less than the maximum %(max)s; it may only be higher."
                    ),
                    {"max_flex": high_flex, "max": high},
                )
            )
            row_ok = False
        if row_ok and low is not None and high is not None:
            result.quotas.append(Quota(feature, value, low, high, low_flex, high_flex))
    return result


def _quotas_from_bytes(data: bytes) -> _Quotas:
    table, errors = _read_table(data, QUOTAS)
    if table is None:
        return _Quotas(None, [], [], {}, errors)
    return _parse_quotas(table, errors)


def read_quotas(data: bytes) -> tuple[PoolFormat, list[Quota]]:
    """The format and quotas of a quotas file (see the module docstring for the formats).

    Raises PoolFileError with every problem found."""
    quotas, errors = read_quotas_partly(data)
    if errors or quotas is None:
        raise PoolFileError(errors)
    return quotas.format, quotas.quotas


def read_quotas_partly(data: bytes) -> tuple[PoolData | None, list[RowError]]:
    """What :func:`read_quotas` reads, without raising, as a pool without people: the features
    and values of every row that names them, the quotas of the rows that are entirely valid and
    where each row is (None when the format cannot be told), beside every problem found. For
    callers that check the quotas further and report all problems together; never use quotas
    that came with errors."""
    result = _quotas_from_bytes(data)
    if result.format is None:
        return None, result.errors
    quotas = PoolData(
        result.format, result.features, result.values, result.quotas, [], result.where
    )
    return quotas, result.errors


# --- people ----------------------------------------------------------------------------------


def _missing_feature_errors(
    table: _Table, features: Sequence[str], errors: list[RowError]
) -> set[str]:
    """Report each quota feature without a column; return them."""
    by_folded = {name.casefold(): name for name in table.header}
    missing: set[str] = set()
    for feature in features:
        if feature in table.header:
            continue
        missing.add(feature)
        near = by_folded.get(feature.casefold())
        if near is not None:
            error = RowError(
                PEOPLE,
                table.header_line,
                near,
                N_(
                    "The quotas file has the feature %(feature)s but this file has %(column)s. "
                    "Write the column name exactly as in the quotas file."
                ),
                {"feature": feature, "column": near},
            )
        else:
            error = RowError(
                PEOPLE,
                table.header_line,
                None,
                N_("There is no column %(feature)s, which the quotas file uses."),
                {"feature": feature},
            )
        errors.append(error)
    return missing


def _id_column(header: Sequence[str], taken: set[str]) -> str | None:
    candidates = [name for name in header if name not in taken]
    for test in (
        lambda folded: folded == "id",
        lambda folded: folded == "nationbuilder_id",
        lambda folded: folded.endswith("_id"),
        lambda folded: folded.endswith("id"),
        lambda folded: True,
    ):
        for name in candidates:
            if test(name.casefold()):
                return name
    return None


def _normalise(text: str) -> str:
    kept = "".join(
        " " if unicodedata.category(char)[0] in "PS" else char for char in text.casefold()
    )
    return " ".join(kept.split())


def address_columns(header: Sequence[str]) -> dict[str, str]:
    """Which column of a people file gives each part of the address (``ADDRESS_SLOTS``):
    {slot: column}, the first matching column in the file for each slot it has."""
    found: dict[str, str] = {}
    for slot, names in ADDRESS_SLOTS:
        for column in header:
            if _column_key(column) in names:
                found[slot] = column
                break
    return found


def address_key(line1: str, line2: str, city: str, postcode: str) -> str:
    """The household key of an address, always in the same four slots (an empty string for a
    part the caller does not have); "" when the whole address is blank."""
    normalised = [_normalise(line1), _normalise(line2), _normalise(city)]
    normalised.append(_normalise(postcode).replace(" ", ""))
    return "|".join(normalised) if any(normalised) else ""


def _alone(person_id: str) -> str:
    return f"person:{person_id}"


def _check_values(
    line: int,
    cells: Sequence[str],
    columns: Mapping[str, int],
    values: Mapping[str, Sequence[str]],
    errors: list[RowError],
) -> dict[str, str] | None:
    """The person's value of each feature with a column, or None after reporting problems."""
    found: dict[str, str] = {}
    ok = True
    for feature, index in columns.items():
        value = cells[index]
        if not value:
            errors.append(
                RowError(
                    PEOPLE,
                    line,
                    feature,
                    N_("No value for %(feature)s."),
                    {"feature": feature},
                )
            )
            ok = False
        elif value not in values[feature]:
            errors.append(
                RowError(
                    PEOPLE,
                    line,
                    feature,
                    N_("%(value)s is not a value of %(feature)s in the quotas file: %(expected)s."),
                    {"value": value, "feature": feature, "expected": ", ".join(values[feature])},
                )
            )
            ok = False
        else:
            found[feature] = value
    return found if ok else None


def _people_sortition_foundation(
    table: _Table, quotas: _Quotas, errors: list[RowError]
) -> list[Person]:
    missing = _missing_feature_errors(table, quotas.features, errors)
    index = {name: i for i, name in enumerate(table.header)}
    feature_columns = {f: index[f] for f in quotas.features if f not in missing}
    taken = set(quotas.features)
    household_column = next(
        (n for n in table.header if n.casefold() == HOUSEHOLD_COLUMN and n not in taken), None
    )
    if household_column is not None:
        taken.add(household_column)
    id_column = _id_column(table.header, taken)
    if id_column is None:
        errors.append(
            RowError(
                PEOPLE,
                table.header_line,
                None,
                N_(
                    "There is no id column: every column is a feature. Add a column id with a "
                    "different value for each person."
                ),
            )
        )
        return []
    taken.add(id_column)
    contact_columns = [name for name in table.header if name not in taken]
    address = address_columns(contact_columns)

    people: list[Person] = []
    first_line: dict[str, int] = {}
    for line, cells in table.rows:
        person_id = cells[index[id_column]]
        id_ok = False
        if not person_id:
            errors.append(RowError(PEOPLE, line, id_column, N_("The id is empty.")))
        elif person_id in first_line:
            errors.append(
                RowError(
                    PEOPLE,
                    line,
                    id_column,
                    N_("The id %(id)s is already used on line %(first)s."),
                    {"id": person_id, "first": first_line[person_id]},
                )
            )
        else:
            first_line[person_id] = line
            id_ok = True
        values = _check_values(line, cells, feature_columns, quotas.values, errors)
        if not id_ok or values is None:
            continue
        if household_column is not None:
            household = cells[index[household_column]]
        else:
            household = address_key(
                *(
                    cells[index[address[slot]]] if slot in address else ""
                    for slot, _ in ADDRESS_SLOTS
                )
            )
        people.append(
            Person(
                id=person_id,
                values=values,
                household=household or _alone(person_id),
                contact={name: cells[index[name]] for name in contact_columns},
                line=line,
            )
        )
    return people


def _people_paper(table: _Table, quotas: _Quotas, errors: list[RowError]) -> list[Person]:
    missing = _missing_feature_errors(table, quotas.features, errors)
    near_misses = {feature.casefold() for feature in missing}
    for name in table.header:
        if name not in quotas.values and name.casefold() not in near_misses:
            errors.append(
                RowError(
                    PEOPLE,
                    table.header_line,
                    name,
                    N_(
                        "%(column)s is not a category of the quotas file. In this format the "
                        "respondents file has one column per category and nothing else."
                    ),
                    {"column": name},
                )
            )
    index = {name: i for i, name in enumerate(table.header)}
    feature_columns = {f: index[f] for f in quotas.features if f not in missing}
    people: list[Person] = []
    for number, (line, cells) in enumerate(table.rows):
        values = _check_values(line, cells, feature_columns, quotas.values, errors)
        if values is not None:
            person_id = str(number)
            people.append(Person(person_id, values, _alone(person_id), {}, line))
    return people


def read_pool(people: bytes, quotas: bytes) -> PoolData:
    """Read a people file and its quotas file, in either format (told by the quotas header).

    Raises PoolFileError with the problems of both files; returns data only when there are none.
    See the module docstring for the reading rules, ids and households."""
    data, errors = read_pool_partly(people, quotas)
    if errors or data is None:
        raise PoolFileError(errors)
    return data


def read_pool_partly(people: bytes, quotas: bytes) -> tuple[PoolData | None, list[RowError]]:
    """What :func:`read_pool` reads, without raising: the data holds the valid quota rows and
    the people whose rows are valid (None when the quotas file's format cannot be told), beside
    every problem found. For callers that check the rows further and report all problems of an
    upload together; never import data that came with errors."""
    parsed = _quotas_from_bytes(quotas)
    errors = list(parsed.errors)
    table, people_errors = _read_table(people, PEOPLE)
    errors.extend(people_errors)
    members: list[Person] = []
    if table is not None and parsed.format is not None:
        if parsed.format is PoolFormat.PAPER:
            members = _people_paper(table, parsed, errors)
        else:
            members = _people_sortition_foundation(table, parsed, errors)
    if parsed.format is None:
        return None, errors
    data = PoolData(
        parsed.format, parsed.features, parsed.values, parsed.quotas, members, parsed.where
    )
    return data, errors


# --- writing ---------------------------------------------------------------------------------


def _csv_text(rows: Sequence[Sequence[str | int]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)  # RFC 4180: comma, CRLF line ends, quotes only where needed
    writer.writerows([spreadsheet_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def write_features_csv(quotas: Sequence[Quota]) -> str:
    """The quotas as a Sortition Foundation features file: ``feature,value,min,max``, plus
    ``min_flex,max_flex`` when any quota has one (empty cells for those that do not)."""
    flex = any(q.min_flex is not None or q.max_flex is not None for q in quotas)
    header: list[str | int] = ["feature", "value", "min", "max"]
    if flex:
        header += ["min_flex", "max_flex"]
    rows: list[list[str | int]] = [header]
    for quota in quotas:
        row: list[str | int] = [quota.feature, quota.value, quota.min, quota.max]
        if flex:
            row += [
                "" if quota.min_flex is None else quota.min_flex,
                "" if quota.max_flex is None else quota.max_flex,
            ]
        rows.append(row)
    return _csv_text(rows)


def write_people_csv(
    people: Sequence[Person], features: Sequence[str], *, id_column: str = "id"
) -> str:
    """The people as a Sortition Foundation people file: the id column, ``household``, the
    contact columns (in order of first appearance; empty where a person lacks one), then one
    column per feature. Raises ValueError when a contact column's name clashes with another."""
    contact_columns: list[str] = []
    for person in people:
        for name in person.contact:
            if name not in contact_columns:
                contact_columns.append(name)
    header = [id_column, HOUSEHOLD_COLUMN, *contact_columns, *features]
    folded = [name.casefold() for name in header]
    clashes = sorted(
        {name for name, key in zip(header, folded, strict=True) if folded.count(key) > 1}
    )
    if clashes:
        raise ValueError(f"Column names used twice in the people file: {', '.join(clashes)}")
    rows: list[Sequence[str]] = [header]
    for person in people:
        rows.append(
            [
                person.id,
                person.household,
                *(person.contact.get(name, "") for name in contact_columns),
                *(person.values[feature] for feature in features),
            ]
        )
    return _csv_text(rows)


# --- proposing quotas ------------------------------------------------------------------------


def propose_quotas(shares: Mapping[str, Mapping[str, float]], panel_size: int) -> list[Quota]:
    """Quotas for a panel of ``panel_size`` from population shares in percent.

    ``shares[feature][value]`` is the percentage of the population with that value. Each
    feature's shares must add up to 100 give or take one percentage point (published tables are
    rounded); they are rescaled to exactly 100 before use. For each value, with ``x = share *
    panel_size / 100``: min = floor(x), max = ceil(x). So each feature's minimums add up to at
    most the panel size and its maximums to at least it (checked, and corrected by lowering the
    largest minimums or raising the largest maximums should rounding ever break it).

    Raises ValueError for a panel size below 1, a feature without values, a negative or
    non-finite share, or shares that do not add up to about 100."""
    if panel_size < 1:
        raise ValueError(f"The panel size must be at least 1, not {panel_size}.")
    quotas: list[Quota] = []
    for feature, by_value in shares.items():
        if not by_value:
            raise ValueError(f"The feature {feature} has no values.")
        for value, share in by_value.items():
            if not math.isfinite(share) or share < 0:
                raise ValueError(
                    f"The share of {feature} = {value} must be 0 or more, not {share}."
                )
        total = math.fsum(by_value.values())
        if abs(total - 100) > SHARE_TOLERANCE:
            raise ValueError(
                f"The shares of {feature} add up to {total:g} percent; they must add up to 100."
            )
        targets = {value: round(share * panel_size / total, 9) for value, share in by_value.items()}
        lows = {value: math.floor(x) for value, x in targets.items()}
        highs = {value: math.ceil(x) for value, x in targets.items()}
        while sum(lows.values()) > panel_size:  # lower the minimum furthest above its target
            lows[max(lows, key=lambda v: lows[v] - targets[v])] -= 1
        while sum(highs.values()) < panel_size:  # raise the maximum closest to its target
            highs[max(highs, key=lambda v: targets[v] - highs[v])] += 1
        quotas.extend(Quota(feature, value, lows[value], highs[value]) for value in by_value)
    return quotas
