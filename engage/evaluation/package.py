"""The evidence package: one export of a mission's evidence an evaluator can hand to anyone.

:func:`export_package` writes a Frictionless Data Package into a directory (the command line
leaves it unpacked there); :func:`build_archive` builds one in a temporary directory and zips it
for the download. Either way the package holds the filtered evidence items, the coding frame
and its applications, the harvested outcomes with their evidence, the learning log,
participation by month and source and by segment, the located items as GeoJSON, a README and
``datapackage.json`` (see :mod:`engage.evaluation.package_files` for every file and column).

What protects the people in it:

* one random key per package (:func:`~engage.evaluation.disclosure.make_package_key`), kept in
  memory only, gives participants and coders their pseudonyms: stable within the package,
  unlinkable across packages;
* no account id, e-mail address, contributor key or id of the source systems is written:
  items, codes, outcomes and entries are numbered afresh in each package;
* every free text (and the exporter's name and search words in the provenance) is scrubbed of
  e-mail addresses, phone numbers and postcodes;
* counts of people are suppressed under ``SMALL_COUNT`` and rounded to ``ROUND_TO``; an item's
  segment is given only when at least ``SMALL_COUNT`` people of that segment are in the
  package, and a package filtered to a segment with fewer is refused.

Every export is written in the audit log with its filter, files, row counts and the SHA-256 of
its ``datapackage.json``.
"""

from __future__ import annotations

import importlib.metadata
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage import audit
from engage.db import begin_without_write_lock, utcnow
from engage.disclosure import ROUND_TO, SMALL_COUNT
from engage.errors import N_, Forbidden, Invalid
from engage.evaluation import index
from engage.evaluation import package_files as files
from engage.evaluation.disclosure import (
    KINDS,
    make_package_key,
    pseudonym,
    scrub,
    suppress_and_round,
)
from engage.evaluation.models import (
    Code,
    CodeApplication,
    EvidenceRecord,
    HarvestedOutcome,
    LearningEntry,
    outcome_evidence,
    outcome_indicators,
)
from engage.missions.models import Indicator, Mission, Outcome
from engage.security import Role, holds

AUDIT_ACTION = "evaluation.package_exported"
VIA_WEB: Final = "web"
VIA_COMMAND_LINE: Final = files.COMMAND_LINE
Via = Literal["web", "command line"]
PSEUDONYM_LENGTH = 12
SEGMENT_MINIMUM = SMALL_COUNT  # people of a segment in the package before items show it
BATCH = 500


@dataclass(frozen=True)
class PackageSummary:
    """What an export wrote."""

    directory: Path
    name: str  # the package's name in datapackage.json
    created: datetime
    items: int
    files: tuple[files.FileInfo, ...]  # every file but datapackage.json, in its order
    datapackage_sha256: str

    @property
    def paths(self) -> list[str]:
        """Every file of the package, datapackage.json first."""
        return [files.DATAPACKAGE, *(info.path for info in self.files)]

    @property
    def rows(self) -> dict[str, int]:
        return {info.path: info.rows for info in self.files if info.rows is not None}


@dataclass(frozen=True)
class PackageArchive:
    """The package zipped in an anonymous temporary file (gone once closed)."""

    filename: str
    file: IO[bytes]
    summary: PackageSummary


class _Cleaner:
    """Scrubs free text and counts what it replaced, for the README and the provenance."""

    def __init__(self) -> None:
        self.counts = dict.fromkeys(KINDS, 0)

    def __call__(self, text: str | None) -> str:
        if not text:
            return ""
        clean, found = scrub(text)
        for kind, count in found.items():
            self.counts[kind] += count
        return clean


def _count_status(count: int) -> tuple[int | None, str]:
    shown = suppress_and_round(count)
    if shown is None:
        return None, files.STATUS_SUPPRESSED
    return shown, files.STATUS_ZERO if shown == 0 else files.STATUS_ROUNDED


def _exporter(actor: Any, clean: _Cleaner) -> str:
    """Who exported, as the package states it: a name and role, or the command line."""
    if actor is None:
        return VIA_COMMAND_LINE
    role = Role.ADMIN if actor.has_role(Role.ADMIN) else Role.EVALUATOR
    return f"{clean(actor.display_name)} ({role.value})"


def _engage_version() -> str:
    try:
        return importlib.metadata.version("engage")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _check_exporter(actor: Any, via: Via) -> None:
    """Evaluators (and admins) export; the command line, run by the server's operator, may
    export with no account."""
    if actor is None and via == VIA_COMMAND_LINE:
        return
    if not holds(actor, Role.EVALUATOR):
        raise Forbidden(N_("Only evaluators can do this."))


# --- Reading ------------------------------------------------------------------------------------


def _codes(session: Session, mission_id: int) -> list[Code]:
    return list(
        session.scalars(sa.select(Code).where(Code.mission_id == mission_id).order_by(Code.id))
    )


@dataclass
class _Evidence:
    """What the evidence pass gathers beside evidence.csv."""

    numbers: dict[int, int]  # evidence record id -> item number
    features: list[dict[str, Any]]
    months: dict[tuple[str, str], tuple[int, set[str]]]


def _evidence_rows(
    session: Session,
    mission_id: int,
    filters: index.EvidenceFilter,
    *,
    participant: Callable[[str], str],
    shown_segments: set[str],
    clean: _Cleaner,
    gathered: _Evidence,
) -> Iterator[dict[str, Any]]:
    record = EvidenceRecord
    query = index.filtered(session, mission_id, filters).with_only_columns(
        record.id,
        record.domain,
        record.source_kind,
        record.created_at,
        record.title,
        record.text,
        record.contributor_key,
        record.segment,
        record.area,
        record.latitude,
        record.longitude,
    )
    items: dict[tuple[str, str], int] = defaultdict(int)
    people: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in session.execute(query.execution_options(yield_per=BATCH)):
        number = len(gathered.numbers) + 1
        gathered.numbers[row.id] = number
        created: datetime = row.created_at
        month = created.astimezone(UTC).strftime("%Y-%m")
        items[month, row.domain] += 1
        if row.contributor_key:
            people[month, row.domain].add(row.contributor_key)
        title = clean(row.title)
        located = row.latitude is not None and row.longitude is not None
        if located:
            gathered.features.append(
                {
                    "item": number,
                    "source": row.domain,
                    "title": title,
                    "area": row.area or "",
                    "latitude": row.latitude,
                    "longitude": row.longitude,
                }
            )
        yield {
            "item": number,
            "source": row.domain,
            "source_kind": row.source_kind,
            "contributed_at": created,
            "title": title,
            "text": clean(row.text),
            "participant": participant(row.contributor_key) if row.contributor_key else None,
            "segment": row.segment if row.segment in shown_segments else None,
            "area": row.area or None,
            "located": located,
        }
    for key, count in items.items():
        gathered.months[key] = (count, people[key])


def _code_rows(
    codes: list[Code], numbers: Mapping[int, int], clean: _Cleaner
) -> Iterator[dict[str, Any]]:
    for code in codes:
        yield {
            "code": numbers[code.id],
            "name": clean(code.name),
            "definition": clean(code.definition),
            "origin": code.origin.value,
            "status": code.status.value,
            "keywords": clean("; ".join(code.keywords or [])),
            "merged_into": numbers.get(code.merged_into_id) if code.merged_into_id else None,
            "split_from": numbers.get(code.split_from_id) if code.split_from_id else None,
        }


def _application_rows(
    session: Session,
    mission_id: int,
    items: Mapping[int, int],
    codes: Mapping[int, int],
    coder: Callable[[int], str],
    clean: _Cleaner,
) -> Iterator[dict[str, Any]]:
    applied = CodeApplication
    query = (
        sa.select(applied.evidence_id, applied.code_id, applied.coder_id, applied.excerpt)
        .join(Code, Code.id == applied.code_id)
        .where(Code.mission_id == mission_id)
        .order_by(applied.id)
    )
    number = 0
    for row in session.execute(query.execution_options(yield_per=BATCH)):
        item, code = items.get(row.evidence_id), codes.get(row.code_id)
        if item is None or code is None:  # outside the filter
            continue
        number += 1
        yield {
            "application": number,
            "item": item,
            "code": code,
            "coder": coder(row.coder_id) if row.coder_id is not None else None,
            "excerpt": clean(row.excerpt),
        }


def _outcome_rows(
    session: Session, mission_id: int, numbers: dict[int, int], clean: _Cleaner
) -> list[dict[str, Any]]:
    harvested = list(
        session.scalars(
            sa.select(HarvestedOutcome)
            .where(HarvestedOutcome.mission_id == mission_id)
            .order_by(HarvestedOutcome.id)
        )
    )
    titles = dict(
        session.execute(
            sa.select(Outcome.id, Outcome.title).where(Outcome.mission_id == mission_id)
        ).all()
    )
    indicators: dict[int, list[str]] = defaultdict(list)
    for outcome_id, name in session.execute(
        sa.select(outcome_indicators.c.outcome_id, Indicator.name)
        .join(Indicator, Indicator.id == outcome_indicators.c.indicator_id)
        .join(HarvestedOutcome, HarvestedOutcome.id == outcome_indicators.c.outcome_id)
        .where(HarvestedOutcome.mission_id == mission_id)
        .order_by(Indicator.id)
    ):
        indicators[outcome_id].append(name)
    rows = []
    for number, outcome in enumerate(harvested, start=1):
        numbers[outcome.id] = number
        mission_outcome = titles.get(outcome.mission_outcome_id or 0)
        rows.append(
            {
                "outcome": number,
                "what_changed": clean(outcome.what_changed),
                "for_whom": clean(outcome.for_whom),
                "happened_on": outcome.happened_on,
                "place": clean(outcome.place),
                "significance": clean(outcome.significance),
                "contribution": clean(outcome.contribution),
                "substantiated_by": clean(outcome.substantiated_by),
                "mission_outcome": clean(mission_outcome) if mission_outcome else None,
                "indicators": clean("; ".join(indicators[outcome.id])),
            }
        )
    return rows


def _outcome_evidence_rows(
    session: Session, mission_id: int, outcomes: Mapping[int, int], items: Mapping[int, int]
) -> Iterator[dict[str, Any]]:
    links = session.execute(
        sa.select(outcome_evidence.c.outcome_id, outcome_evidence.c.evidence_id)
        .join(HarvestedOutcome, HarvestedOutcome.id == outcome_evidence.c.outcome_id)
        .where(HarvestedOutcome.mission_id == mission_id)
    )
    pairs = sorted(
        (outcomes[outcome_id], items[evidence_id])
        for outcome_id, evidence_id in links
        if outcome_id in outcomes and evidence_id in items
    )
    for outcome, item in pairs:
        yield {"outcome": outcome, "item": item}


def _learning_rows(session: Session, mission_id: int, clean: _Cleaner) -> Iterator[dict[str, Any]]:
    entries = session.scalars(
        sa.select(LearningEntry)
        .where(LearningEntry.mission_id == mission_id)
        .order_by(LearningEntry.noted_on, LearningEntry.id)
    )
    for number, entry in enumerate(entries, start=1):
        yield {
            "entry": number,
            "loop": entry.loop.value,
            "noted_on": entry.noted_on,
            "what_happened": clean(entry.what_happened),
            "learned": clean(entry.learned),
            "next_step": clean(entry.next_step),
        }


def _participation_rows(
    months: Mapping[tuple[str, str], tuple[int, set[str]]],
) -> Iterator[dict[str, Any]]:
    order = {name: position for position, name in enumerate(index.DOMAIN_NAMES)}
    for month, source in sorted(months, key=lambda key: (key[0], order.get(key[1], 99), key[1])):
        count, people = months[month, source]
        # Items with no single contributor (aggregates, the mission's record) count no one.
        participants, status = (
            _count_status(len(people)) if people else (None, files.STATUS_NOT_COUNTED)
        )
        yield {
            "month": month,
            "source": source,
            "items": count,
            "participants": participants,
            "participants_status": status,
        }


def _segment_rows(counts: Mapping[str, int]) -> Iterator[dict[str, Any]]:
    for segment in sorted(counts):
        participants, status = _count_status(counts[segment])
        yield {"segment": segment, "participants": participants, "participants_status": status}


def _provenance_filters(
    filters: index.EvidenceFilter, codes: Mapping[int, int], clean: _Cleaner
) -> dict[str, Any]:
    """The filter as the package states it: search words scrubbed, a code by its number in
    codes.csv (the database's ids stay out of the package)."""
    params = filters.as_params()
    if "query" in params:
        params["query"] = clean(params["query"])
    if "code_id" in params:
        params["code"] = codes.get(params.pop("code_id"))
    return params


# --- The services -------------------------------------------------------------------------------


def export_package(
    session: Session,
    mission: Mission,
    out_dir: Path,
    *,
    filters: index.EvidenceFilter,
    actor: Any,
    via: Via = VIA_WEB,
) -> PackageSummary:
    """Write the mission's evidence package (the items ``filters`` selects, and the mission's
    frame, outcomes and learning log) into ``out_dir``, created if missing, and record the
    export in the audit log. Commits.

    ``actor`` None is allowed only ``via`` the command line; otherwise the actor must be an
    evaluator. The index is read as it stands (refresh it first for the latest evidence).
    Refuses (Invalid, on the segment field) a filter on a segment with fewer than
    ``SEGMENT_MINIMUM`` people in the package, which would single them out."""
    _check_exporter(actor, via)
    clean = _Cleaner()
    # Read before the commit below expires them: reading them after it would begin a writing
    # transaction and hold SQLite's write lock while the files are written.
    mission_id, slug, title = mission.id, mission.slug, mission.title
    exported_by = _exporter(actor, clean)
    # End what the caller read, so the package is read without SQLite's write lock.
    session.commit()
    begin_without_write_lock(session)
    created = utcnow()
    key = make_package_key()  # in memory only: never written, logged or returned

    def participant(contributor_key: str) -> str:
        return pseudonym(key, "participant", contributor_key, PSEUDONYM_LENGTH)

    def coder(account_id: int) -> str:
        return pseudonym(key, "coder", account_id, PSEUDONYM_LENGTH)

    segments = index.people_by_segment(session, mission_id, filters)
    if filters.segment and segments.get(filters.segment, 0) < SEGMENT_MINIMUM:
        raise Invalid(
            N_(
                "Fewer than %(min)s people of this segment are in the evidence: a package of "
                "their items alone could single them out. Choose another filter."
            ),
            field="segment",
            min=SEGMENT_MINIMUM,
        )
    shown_segments = {name for name, count in segments.items() if count >= SEGMENT_MINIMUM}
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    gathered = _Evidence(numbers={}, features=[], months={})
    rows[files.EVIDENCE.path] = files.write_csv(
        out_dir,
        files.EVIDENCE,
        _evidence_rows(
            session,
            mission_id,
            filters,
            participant=participant,
            shown_segments=shown_segments,
            clean=clean,
            gathered=gathered,
        ),
    )
    codes = _codes(session, mission_id)
    code_numbers = {code.id: number for number, code in enumerate(codes, start=1)}
    rows[files.CODES.path] = files.write_csv(
        out_dir, files.CODES, _code_rows(codes, code_numbers, clean)
    )
    rows[files.CODE_APPLICATIONS.path] = files.write_csv(
        out_dir,
        files.CODE_APPLICATIONS,
        _application_rows(session, mission_id, gathered.numbers, code_numbers, coder, clean),
    )
    outcome_numbers: dict[int, int] = {}
    rows[files.OUTCOMES.path] = files.write_csv(
        out_dir, files.OUTCOMES, _outcome_rows(session, mission_id, outcome_numbers, clean)
    )
    rows[files.OUTCOME_EVIDENCE.path] = files.write_csv(
        out_dir,
        files.OUTCOME_EVIDENCE,
        _outcome_evidence_rows(session, mission_id, outcome_numbers, gathered.numbers),
    )
    rows[files.LEARNING_LOG.path] = files.write_csv(
        out_dir, files.LEARNING_LOG, _learning_rows(session, mission_id, clean)
    )
    rows[files.PARTICIPATION.path] = files.write_csv(
        out_dir, files.PARTICIPATION, _participation_rows(gathered.months)
    )
    rows[files.SEGMENTS.path] = files.write_csv(out_dir, files.SEGMENTS, _segment_rows(segments))
    rows[files.GEOJSON] = files.write_geojson(out_dir, gathered.features)
    session.commit()  # the reading is done; the audit entry below writes

    shown_filters = _provenance_filters(filters, code_numbers, clean)
    mission_title = clean(title)
    version = _engage_version()
    files.write_readme(
        out_dir,
        files.ReadmeFacts(
            mission_title=mission_title,
            created=created,
            exported_by=exported_by,
            filters=shown_filters,
            engage_version=version,
            rows=rows,
            small_count=SMALL_COUNT,
            round_to=ROUND_TO,
            segment_minimum=SEGMENT_MINIMUM,
            pseudonym_length=PSEUDONYM_LENGTH,
            scrubbed=dict(clean.counts),
        ),
    )
    written = tuple(
        [
            *(
                files.file_info(out_dir, table.name, table.path, rows[table.path])
                for table in files.TABLES
            ),
            files.file_info(out_dir, "evidence_locations", files.GEOJSON, rows[files.GEOJSON]),
            files.file_info(out_dir, "readme", files.README, None),
        ]
    )
    name = files.package_name(slug)
    description = (
        f"Evidence items, coding frame, harvested outcomes and learning log of the mission "
        f"“{mission_title}”, pseudonymised and with small counts suppressed; see README.md."
    )
    datapackage_sha256 = files.write_descriptor(
        out_dir,
        files.descriptor(
            name=name,
            title=f"Evidence package: {mission_title}",
            description=description,
            created=created,
            files=written,
            provenance={
                "exported_by": exported_by,
                "via": via,
                "exported_at": files.iso_utc(created),
                "filters": shown_filters,
                "engage_version": version,
                "items": len(gathered.numbers),
                "disclosure": {
                    "pseudonyms": f"HMAC-SHA256 under a key made for this package alone, "
                    f"{PSEUDONYM_LENGTH} hexadecimal characters",
                    "scrubbed": dict(clean.counts),
                    "small_count_suppressed_below": SMALL_COUNT,
                    "rounded_to": ROUND_TO,
                    "segment_shown_from": SEGMENT_MINIMUM,
                },
            },
        ),
    )
    audit.record(
        session,
        actor,
        AUDIT_ACTION,
        f"mission:{mission_id}",
        {
            "via": via,
            "filters": filters.as_params(),
            "files": {files.DATAPACKAGE: None, **{info.path: info.rows for info in written}},
            "items": len(gathered.numbers),
            "datapackage_sha256": datapackage_sha256,
        },
    )
    session.commit()
    return PackageSummary(
        directory=out_dir,
        name=name,
        created=created,
        items=len(gathered.numbers),
        files=written,
        datapackage_sha256=datapackage_sha256,
    )


def archive_name(slug: str, created: datetime) -> str:
    return f"{slug}-evidence-{created.astimezone(UTC):%Y%m%d}.zip"


def build_archive(
    session: Session, mission: Mission, *, filters: index.EvidenceFilter, actor: Any
) -> PackageArchive:
    """The package for download: built in a temporary directory (removed before returning) and
    zipped (deflated) into an anonymous temporary file, which the caller closes."""
    _check_exporter(actor, VIA_WEB)
    slug = mission.slug
    with tempfile.TemporaryDirectory(prefix="engage-package-") as work:
        folder = Path(work)
        summary = export_package(
            session, mission, folder, filters=filters, actor=actor, via=VIA_WEB
        )
        archive = tempfile.TemporaryFile(suffix=".zip")  # noqa: SIM115  # closed by the caller
        try:
            with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
                for path in summary.paths:
                    bundle.write(folder / path, arcname=path)
            archive.seek(0)
        except BaseException:
            archive.close()
            raise
    # summary.directory is gone now: the archive holds its files.
    return PackageArchive(archive_name(slug, summary.created), archive, summary)
