"""The files of an evidence package, described once (pure: standard library only).

Every CSV file is a :class:`Table` of :class:`Column`\\ s. The same definitions give the Table
Schema in ``datapackage.json`` (:func:`descriptor`), the column tables of ``README.md``
(:func:`readme`) and the cells written (:func:`write_csv`), so the three can never disagree.
The package follows the Frictionless Data Package standard (v1, which frictionless 5 reads and
validates): one resource per file with its path, format, media type, encoding, size and SHA-256
hash, and the package's provenance as the custom property ``engage:provenance``.

This module formats and writes; what goes into the rows (pseudonyms, scrubbed text, suppressed
counts) is decided by :mod:`engage.evaluation.package`, which hands the numbers of its rules to
:func:`readme` in :class:`ReadmeFacts`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

YES, NO = "yes", "no"
STATUS_SUPPRESSED = "suppressed"
STATUS_ROUNDED = "rounded"
STATUS_ZERO = "exact zero"
STATUS_NOT_COUNTED = "not counted"  # items with no single contributor: aggregates, records
PROVENANCE_PROPERTY = "engage:provenance"
DATAPACKAGE = "datapackage.json"
README = "README.md"
GEOJSON = "evidence.geojson"
CHUNK = 1 << 16


@dataclass(frozen=True)
class Column:
    """A column of a CSV file: its Table Schema field and its README line."""

    name: str
    type: str  # a Table Schema type: string, integer, boolean, date, datetime, yearmonth
    title: str
    description: str
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] = ()

    def schema_field(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "title": self.title,
            "description": self.description,
        }
        if self.type == "boolean":
            spec["trueValues"] = [YES]
            spec["falseValues"] = [NO]
        constraints: dict[str, Any] = {}
        if self.required:
            constraints["required"] = True
        if self.unique:
            constraints["unique"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if constraints:
            spec["constraints"] = constraints
        return spec

    def cell(self, value: Any) -> str:
        """The value as this column writes it ("" for none)."""
        if value is None:
            return ""
        if self.type == "boolean":
            return YES if value else NO
        if isinstance(value, datetime):
            return iso_utc(value)
        if isinstance(value, date):
            return value.isoformat()
        return str(value)


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str  # "" is the table itself
    reference: tuple[str, ...]

    def schema(self) -> dict[str, Any]:
        return {
            "fields": list(self.fields),
            "reference": {"resource": self.resource, "fields": list(self.reference)},
        }


@dataclass(frozen=True)
class Table:
    """A CSV file of the package."""

    name: str  # the resource name in datapackage.json
    path: str
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def header(self) -> list[str]:
        return [column.name for column in self.columns]

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "fields": [column.schema_field() for column in self.columns],
            "missingValues": [""],
        }
        if self.primary_key:
            schema["primaryKey"] = list(self.primary_key)
        if self.foreign_keys:
            schema["foreignKeys"] = [key.schema() for key in self.foreign_keys]
        return schema


SOURCES = {
    "missions": "the mission's own record: statement versions, recommendations and responses",
    "codesign": "co-design rounds: contributions, comments, votes and syntheses",
    "juries": "citizens' juries, as aggregates only (the pool and its quotas)",
    "advisory": "advisory groups: minutes, recommendations and membership",
    "appraisals": "citizen science submissions and community appraisals",
}
_COUNT_STATUS = (STATUS_SUPPRESSED, STATUS_ROUNDED, STATUS_ZERO, STATUS_NOT_COUNTED)


def _participants(what: str) -> Column:
    return Column(
        "participants",
        "integer",
        "Participants",
        f"How many different people contributed {what}, suppressed when from 1 to 9 (empty) "
        "and otherwise rounded to the nearest multiple of 5; 0 means nobody.",
    )


def _status() -> Column:
    return Column(
        "participants_status",
        "string",
        "Participants: how shown",
        "“suppressed” (from 1 to 9 people: the participants cell is empty), “rounded” "
        "(rounded to the nearest multiple of 5), “exact zero” (nobody) or “not counted” (the "
        "items have no single contributor, such as a jury's aggregate results or the mission's "
        "own record: the cell is empty).",
        required=True,
        enum=_COUNT_STATUS,
    )


def _item_key(table: str = "evidence") -> ForeignKey:
    return ForeignKey(("item",), table, ("item",))


EVIDENCE = Table(
    name="evidence",
    path="evidence.csv",
    title="Evidence items",
    description=(
        "One row per evidence item of the mission that the filter selected, oldest first: what "
        "people contributed through every part of engage, with free text scrubbed of contact "
        "details."
    ),
    columns=(
        Column(
            "item",
            "integer",
            "Item",
            "The item's number in this package (1, 2, ...; oldest first). Numbers are local to "
            "this package: another package numbers its items afresh.",
            required=True,
            unique=True,
        ),
        Column(
            "source",
            "string",
            "Source",
            "The part of engage the item comes from: "
            + "; ".join(f"“{name}”: {meaning}" for name, meaning in SOURCES.items())
            + ".",
            required=True,
            enum=tuple(SOURCES),
        ),
        Column(
            "source_kind",
            "string",
            "Kind of source",
            "What kind of thing the item is, as “source.kind” (for example "
            "“codesign.contribution” or “appraisals.submission”).",
            required=True,
        ),
        Column(
            "contributed_at",
            "datetime",
            "Contributed at",
            "When the item was contributed, in UTC (ISO 8601).",
            required=True,
        ),
        Column(
            "title",
            "string",
            "Title",
            "The item's title, scrubbed of e-mail addresses, phone numbers and postcodes.",
        ),
        Column(
            "text",
            "string",
            "Text",
            "The item's free text, scrubbed of e-mail addresses, phone numbers and postcodes "
            "(replaced by [email], [phone] and [postcode]). Empty when the item has none.",
        ),
        Column(
            "participant",
            "string",
            "Participant",
            "A pseudonym of the person who contributed the item: the same person has the same "
            "pseudonym throughout this package, and an unrelated one in any other package. "
            "Empty for items with no single contributor (aggregates, the mission's own record).",
        ),
        Column(
            "segment",
            "string",
            "Segment",
            "The contributor's demographic segment, given only where they consented to its use "
            "in evaluation, and only when at least 10 different people of that segment are in "
            "this package; otherwise empty.",
        ),
        Column(
            "area",
            "string",
            "Area",
            "The area of the city the item is about, when it has one; otherwise empty.",
        ),
        Column(
            "located",
            "boolean",
            "Located",
            f"“yes” when the item has a public point on the map (it is then a feature of "
            f"{GEOJSON}), “no” otherwise.",
            required=True,
        ),
    ),
    primary_key=("item",),
)

CODES = Table(
    name="codes",
    path="codes.csv",
    title="Codes of the coding frame",
    description=(
        "Every code of the mission's coding frame as it stands at export: active ones, and the "
        "retired and merged ones that earlier coding may refer to."
    ),
    columns=(
        Column(
            "code",
            "integer",
            "Code",
            "The code's number in this package (1, 2, ...; in the order the codes were made).",
            required=True,
            unique=True,
        ),
        Column("name", "string", "Name", "The code's name.", required=True),
        Column(
            "definition", "string", "Definition", "What the code means, in the evaluators' words."
        ),
        Column(
            "origin",
            "string",
            "Origin",
            "“theme” (proposed by theme extraction and adopted by an evaluator) or "
            "“evaluator” (written by an evaluator).",
            required=True,
            enum=("theme", "evaluator"),
        ),
        Column(
            "status",
            "string",
            "Status",
            "“active”, “retired” (no longer applied) or “merged” (its applications were moved "
            "to the code in merged_into).",
            required=True,
            enum=("active", "retired", "merged"),
        ),
        Column(
            "keywords",
            "string",
            "Keywords",
            "For a code that came from a theme, the theme's keywords, separated by “; ”.",
        ),
        Column(
            "merged_into",
            "integer",
            "Merged into",
            "For a merged code, the code (number in this file) it was merged into; otherwise "
            "empty.",
        ),
        Column(
            "split_from",
            "integer",
            "Split from",
            "For a code made by splitting another, that code's number in this file; otherwise "
            "empty.",
        ),
    ),
    primary_key=("code",),
    foreign_keys=(
        ForeignKey(("merged_into",), "", ("code",)),
        ForeignKey(("split_from",), "", ("code",)),
    ),
)

CODE_APPLICATIONS = Table(
    name="code_applications",
    path="code_applications.csv",
    title="Codes applied to evidence items",
    description=(
        "Every application of a code to an item of this package, or to an excerpt of its text, "
        "by an evaluator or proposed by a theme run."
    ),
    columns=(
        Column(
            "application",
            "integer",
            "Application",
            "The application's number in this package.",
            required=True,
            unique=True,
        ),
        Column("item", "integer", "Item", "The item coded (item in evidence.csv).", required=True),
        Column("code", "integer", "Code", "The code applied (code in codes.csv).", required=True),
        Column(
            "coder",
            "string",
            "Coder",
            "A pseudonym of the evaluator who applied the code, the same for one evaluator "
            "throughout this package. Empty when a theme run proposed the code for the item "
            "(or the coder's account no longer exists).",
        ),
        Column(
            "excerpt",
            "string",
            "Excerpt",
            "The part of the item's text the code was applied to, scrubbed like the text; empty "
            "when the code applies to the whole item.",
        ),
    ),
    primary_key=("application",),
    foreign_keys=(
        _item_key(),
        ForeignKey(("code",), "codes", ("code",)),
    ),
)

OUTCOMES = Table(
    name="outcomes",
    path="outcomes.csv",
    title="Harvested outcomes",
    description=(
        "Every outcome-harvesting record of the mission: a change observed, for whom, when and "
        "where, why it matters, how engagement contributed and who substantiated it. Free text "
        "is scrubbed of contact details."
    ),
    columns=(
        Column(
            "outcome",
            "integer",
            "Outcome",
            "The outcome's number in this package.",
            required=True,
            unique=True,
        ),
        Column("what_changed", "string", "What changed", "The change observed.", required=True),
        Column("for_whom", "string", "For whom", "Who or what changed."),
        Column("happened_on", "date", "Happened on", "When the change happened, if known."),
        Column("place", "string", "Where", "Where the change happened, if recorded."),
        Column("significance", "string", "Significance", "Why the change matters."),
        Column(
            "contribution",
            "string",
            "How engagement contributed",
            "How the mission's engagement contributed to the change.",
        ),
        Column(
            "substantiated_by",
            "string",
            "Substantiated by",
            "Who confirmed the change and the contribution; empty when not yet substantiated.",
        ),
        Column(
            "mission_outcome",
            "string",
            "Mission outcome",
            "The title of the mission outcome the change relates to, if any.",
        ),
        Column(
            "indicators",
            "string",
            "Indicators",
            "The names of the mission's indicators the change relates to, separated by “; ”.",
        ),
    ),
    primary_key=("outcome",),
)

OUTCOME_EVIDENCE = Table(
    name="outcome_evidence",
    path="outcome_evidence.csv",
    title="Evidence behind the outcomes",
    description=(
        "Which items of this package support which harvested outcome (an outcome's evidence "
        "outside this package's filter is not listed)."
    ),
    columns=(
        Column(
            "outcome", "integer", "Outcome", "The outcome (outcome in outcomes.csv).", required=True
        ),
        Column(
            "item", "integer", "Item", "An item behind it (item in evidence.csv).", required=True
        ),
    ),
    primary_key=("outcome", "item"),
    foreign_keys=(
        ForeignKey(("outcome",), "outcomes", ("outcome",)),
        _item_key(),
    ),
)

LEARNING_LOG = Table(
    name="learning_log",
    path="learning_log.csv",
    title="Learning log",
    description="The mission's learning log, oldest entry first. Free text is scrubbed.",
    columns=(
        Column(
            "entry",
            "integer",
            "Entry",
            "The entry's number in this package.",
            required=True,
            unique=True,
        ),
        Column(
            "loop",
            "string",
            "Loop",
            "“single” (doing things right: a correction within the current approach), "
            "“double” (doing the right things: the approach or its assumptions changed) or "
            "“triple” (how what is right is decided: governance, values, who decides).",
            required=True,
            enum=("single", "double", "triple"),
        ),
        Column("noted_on", "date", "Noted on", "When the entry was written.", required=True),
        Column("what_happened", "string", "What happened", "What happened.", required=True),
        Column("learned", "string", "What was learned", "What was learned.", required=True),
        Column(
            "next_step",
            "string",
            "Next step",
            "What will be done differently; empty if not recorded.",
        ),
    ),
    primary_key=("entry",),
)

PARTICIPATION = Table(
    name="participation",
    path="participation.csv",
    title="Participation by month and source",
    description=(
        "For each calendar month (UTC) and source, how many items of this package were "
        "contributed and by how many different people (with small counts suppressed). The "
        "counts are rounded for reading; evidence.csv, whose rows carry the contributors' "
        "pseudonyms, allows exact counts, which identify no one."
    ),
    columns=(
        Column("month", "yearmonth", "Month", "The calendar month, as YYYY-MM.", required=True),
        Column(
            "source",
            "string",
            "Source",
            "The part of engage (see source in evidence.csv).",
            required=True,
            enum=tuple(SOURCES),
        ),
        Column(
            "items",
            "integer",
            "Items",
            "How many items of this package were contributed (exact: items, not people).",
            required=True,
        ),
        _participants("these items (items without a single contributor count nobody)"),
        _status(),
    ),
    primary_key=("month", "source"),
)

SEGMENTS = Table(
    name="segments",
    path="segments.csv",
    title="Participants by segment",
    description=(
        "For each demographic segment present in this package, how many different people of "
        "it contributed (only people who consented to their segment's use have one). A person "
        "has one pseudonym per source, so a segment counts the people it has in the source "
        "where it has most: the fewest it can hold."
    ),
    columns=(
        Column(
            "segment", "string", "Segment", "The demographic segment.", required=True, unique=True
        ),
        _participants("items of this package in this segment"),
        _status(),
    ),
    primary_key=("segment",),
)

TABLES = (
    EVIDENCE,
    CODES,
    CODE_APPLICATIONS,
    OUTCOMES,
    OUTCOME_EVIDENCE,
    LEARNING_LOG,
    PARTICIPATION,
    SEGMENTS,
)

GEOJSON_PROPERTIES = (
    ("item", "The item (item in evidence.csv)."),
    ("source", "The part of engage it comes from (source in evidence.csv)."),
    ("title", "The item's title, scrubbed like in evidence.csv."),
    ("area", "The area of the city, or empty."),
)
GEOJSON_DESCRIPTION = (
    "The located items of this package as a GeoJSON FeatureCollection (RFC 7946): one Point "
    "feature per item at [longitude, latitude] in WGS 84. These are the points the public sees "
    "in engage (generalised where the person did not share an exact point), never a more exact "
    "one."
)


# --- Writing ---------------------------------------------------------------------------------


def iso_utc(moment: datetime) -> str:
    """A moment in UTC as ISO 8601 to the second, with Z (a naive one is read as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def write_csv(directory: Path, table: Table, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write the table's file (UTF-8, header first, RFC 4180 quoting); the number of rows."""
    count = 0
    with (directory / table.path).open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(table.header)
        for row in rows:
            writer.writerow([column.cell(row.get(column.name)) for column in table.columns])
            count += 1
    return count


def write_geojson(directory: Path, features: Iterable[Mapping[str, Any]]) -> int:
    """Write the FeatureCollection of ``features`` (each with latitude, longitude and the
    :data:`GEOJSON_PROPERTIES`); the number of features."""
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [
                        round(float(feature["longitude"]), 6),
                        round(float(feature["latitude"]), 6),
                    ],
                },
                "properties": {name: feature[name] for name, _ in GEOJSON_PROPERTIES},
            }
            for feature in features
        ],
    }
    with (directory / GEOJSON).open("w", encoding="utf-8") as out:
        json.dump(collection, out, ensure_ascii=False, indent=1)
        out.write("\n")
    return len(collection["features"])


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileInfo:
    """A file written into the package, as its resource describes it."""

    name: str  # the resource name
    path: str
    format: str
    mediatype: str
    rows: int | None  # rows of a CSV file, features of the GeoJSON, None for the README
    bytes: int
    sha256: str

    @property
    def hash(self) -> str:
        return f"sha256:{self.sha256}"


FORMATS = {
    ".csv": ("csv", "text/csv"),
    ".geojson": ("geojson", "application/geo+json"),
    ".md": ("md", "text/markdown"),
    ".json": ("json", "application/json"),
}


def file_info(directory: Path, name: str, path: str, rows: int | None) -> FileInfo:
    target = directory / path
    file_format, mediatype = FORMATS[target.suffix]
    return FileInfo(
        name=name,
        path=path,
        format=file_format,
        mediatype=mediatype,
        rows=rows,
        bytes=target.stat().st_size,
        sha256=sha256_of(target),
    )


# --- datapackage.json --------------------------------------------------------------------------

_NAME_CHARACTERS = re.compile(r"[^a-z0-9._-]+")


def package_name(slug: str) -> str:
    """The package's name: the mission's slug in lower case, with what the standard refuses
    replaced by hyphens, and "-evidence"."""
    base = _NAME_CHARACTERS.sub("-", slug.lower()).strip("-._") or "mission"
    return f"{base}-evidence"


def descriptor(
    *,
    name: str,
    title: str,
    description: str,
    created: datetime,
    files: Sequence[FileInfo],
    provenance: Mapping[str, Any],
) -> dict[str, Any]:
    """The package's ``datapackage.json`` as a dict: one resource per file, a Table Schema for
    every CSV file, and the provenance with the checksum of every file."""
    tables = {table.path: table for table in TABLES}
    resources: list[dict[str, Any]] = []
    for info in files:
        resource: dict[str, Any] = {
            "name": info.name,
            "path": info.path,
            "format": info.format,
            "mediatype": info.mediatype,
            "encoding": "utf-8",
            "bytes": info.bytes,
            "hash": info.hash,
        }
        table = tables.get(info.path)
        if table is not None:
            resource["title"] = table.title
            resource["description"] = table.description
            resource["profile"] = "tabular-data-resource"
            resource["schema"] = table.schema()
        elif info.path == GEOJSON:
            resource["title"] = "Located evidence items"
            resource["description"] = GEOJSON_DESCRIPTION
        elif info.path == README:
            resource["title"] = "About this package"
            resource["description"] = "What the package is, how it was made, and every column."
        resources.append(resource)
    return {
        "name": name,
        "title": title,
        "description": description,
        "created": iso_utc(created),
        "resources": resources,
        PROVENANCE_PROPERTY: {
            **provenance,
            "checksums": {info.path: info.hash for info in files},
        },
    }


def write_descriptor(directory: Path, package: Mapping[str, Any]) -> str:
    """Write ``datapackage.json``; its SHA-256."""
    path = directory / DATAPACKAGE
    with path.open("w", encoding="utf-8") as out:
        json.dump(package, out, ensure_ascii=False, indent=2)
        out.write("\n")
    return sha256_of(path)


# --- README.md ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadmeFacts:
    """What the README says besides the columns."""

    mission_title: str
    created: datetime
    exported_by: str
    filters: Mapping[str, Any]
    engage_version: str
    rows: Mapping[str, int]  # by file path
    small_count: int  # counts of people from 1 to this - 1 are suppressed
    round_to: int
    segment_minimum: int  # people of a segment needed before evidence.csv names it
    pseudonym_length: int
    scrubbed: Mapping[str, int] = field(default_factory=dict)  # replacements by kind


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


SCRUBBED_KINDS = {"email": "e-mail addresses", "phone": "phone numbers", "postcode": "postcodes"}
COMMAND_LINE: Final = "command line"  # who exported, when nobody signed in did


def _by(exported_by: str) -> str:
    return "from the command line" if exported_by == COMMAND_LINE else f"by {exported_by}"


def _filters_text(filters: Mapping[str, Any]) -> str:
    if not filters:
        return "none: every item of the mission's evidence index"
    return "; ".join(f"{name} = {value}" for name, value in filters.items())


def readme(facts: ReadmeFacts) -> str:
    """The README: what the package is, how it was made and every column of every file."""
    lines = [
        f"# Evidence package: {facts.mission_title}",
        "",
        "This is a [Frictionless Data Package](https://specs.frictionlessdata.io/data-package/) "
        f"of the evidence gathered for the mission “{facts.mission_title}”, exported from engage "
        f"{facts.engage_version} on {iso_utc(facts.created)} {_by(facts.exported_by)}. "
        "`datapackage.json` describes every file for software (a Table Schema for every CSV "
        "file, the size and SHA-256 checksum of every file) and records the provenance under "
        f"`{PROVENANCE_PROPERTY}`; this file says the same in words. Check the package with "
        "`frictionless validate datapackage.json`.",
        "",
        f"Filter applied to the evidence: {_filters_text(facts.filters)}.",
        "",
        "The package carries no licence: the evidence was contributed by residents to the "
        "city's mission. Ask the organisation that gave you the package on what terms it may "
        "be reused or published.",
        "",
        "## How it was made",
        "",
        "- **No direct identifiers.** No name of a participant, e-mail address, phone number, "
        "account id or id from engage's database is in any file. Items, codes, outcomes and "
        "other rows are numbered afresh in each package (1, 2, ...), so numbers of two "
        "packages do not correspond.",
        f"- **Pseudonyms.** Participants and coders appear as {facts.pseudonym_length} "
        "hexadecimal characters: a keyed hash (HMAC-SHA256) of their id under a random key "
        "made for this package alone and never stored or shown. One person has one pseudonym "
        "throughout this package; the pseudonyms of two packages cannot be matched, and "
        "without the key they cannot be traced back.",
        "- **Scrubbed free text.** E-mail addresses, phone numbers and postcodes in every free "
        "text (titles, texts, excerpts, code definitions, outcomes and the learning log) are "
        "replaced by [email], [phone] and [postcode]."
        + (
            " Replaced in this package: "
            + ", ".join(
                f"{SCRUBBED_KINDS.get(kind, kind)}: {count}"
                for kind, count in facts.scrubbed.items()
            )
            + "."
            if facts.scrubbed
            else ""
        )
        + " Names written into free text are not detected: read before you publish.",
        f"- **Small counts suppressed.** Every count of people (participants.csv and "
        f"segments.csv) from 1 to {facts.small_count - 1} is suppressed (an empty cell, "
        f"status “suppressed”); the others are rounded to the nearest multiple of "
        f"{facts.round_to} (status “rounded”); 0 means nobody (status “exact zero”). Counts of "
        "items are exact.",
        f"- **Segments.** evidence.csv gives an item's demographic segment only where the "
        "person consented to its use in evaluation and at least "
        f"{facts.segment_minimum} different people of that segment are in this package; "
        "otherwise the cell is empty.",
        f"- **Locations.** {GEOJSON} holds the points the public sees in engage, never a "
        "more exact one.",
        "",
        "## Files",
        "",
        "| File | Rows | What it holds |",
        "| --- | ---: | --- |",
    ]
    for table in TABLES:
        rows = facts.rows.get(table.path, 0)
        lines.append(f"| {table.path} | {rows} | {_cell(table.title)} |")
    lines.append(f"| {GEOJSON} | {facts.rows.get(GEOJSON, 0)} features | Located evidence items |")
    lines += [f"| {README} | | This description |", ""]
    for table in TABLES:
        lines += [
            f"### {table.path}: {table.title}",
            "",
            table.description,
            "",
            "| Column | Type | Title | Description |",
            "| --- | --- | --- | --- |",
        ]
        for column in table.columns:
            lines.append(
                f"| {column.name} | {column.type} | {_cell(column.title)} | "
                f"{_cell(column.description)} |"
            )
        lines.append("")
        if table.primary_key:
            lines.append(f"Each row is identified by {', '.join(table.primary_key)}.")
        for key in table.foreign_keys:
            target = table.path if not key.resource else f"{key.resource}.csv"
            lines.append(
                f"{', '.join(key.fields)} refers to {', '.join(key.reference)} of {target}."
            )
        lines.append("")
    lines += [
        f"### {GEOJSON}: Located evidence items",
        "",
        GEOJSON_DESCRIPTION,
        "",
        "| Property | Description |",
        "| --- | --- |",
    ]
    for name, meaning in GEOJSON_PROPERTIES:
        lines.append(f"| {name} | {_cell(meaning)} |")
    lines.append("")
    return "\n".join(lines)


def write_readme(directory: Path, facts: ReadmeFacts) -> None:
    (directory / README).write_text(readme(facts), encoding="utf-8")
