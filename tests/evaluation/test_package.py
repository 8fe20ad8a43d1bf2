"""The evidence package: a valid Frictionless Data Package, with no identifier in any file,
small counts suppressed, pseudonyms stable within a package only, checksums that match, and an
audit entry for every export."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import frictionless
import geojson  # type: ignore[import-untyped]  # no types published
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage import demo
from engage.accounts.models import RoleGrant, User
from engage.audit import AuditEntry
from engage.errors import Forbidden, Invalid
from engage.evaluation import index
from engage.evaluation import package_files as files
from engage.evaluation.models import (
    Code,
    CodeApplication,
    CodeStatus,
    EvidenceRecord,
    HarvestedOutcome,
    LearningEntry,
    LearningLoop,
)
from engage.evaluation.package import (
    AUDIT_ACTION,
    VIA_COMMAND_LINE,
    VIA_WEB,
    PackageSummary,
    export_package,
)
from engage.missions.models import Mission
from engage.security import Role
from tests.factories import (
    make_code,
    make_evidence,
    make_indicator,
    make_mission,
    make_outcome,
)

# Account ids and source ids long enough never to turn up by chance in a hash or a pseudonym.
EVALUATOR_ID = 918273645
SECOND_CODER_ID = 827364519
SOURCE_ID_BASE = 736251000
PLANTED_EMAIL = "rosa.private@example.net"
PLANTED_PHONE = "+44 20 7946 0018"
PLANTED_MOBILE = "07700 900123"
MARCH = datetime(2026, 3, 10, 9, tzinfo=UTC)
APRIL = datetime(2026, 4, 2, 9, tzinfo=UTC)


def make_account(session: Session, user_id: int, email: str, name: str) -> User:
    """An evaluator with a chosen account id (the factories number them 1, 2, ...)."""
    user = User(id=user_id, email=email, display_name=name, password_hash="not for signing in")
    user.role_grants.append(RoleGrant(role=Role.EVALUATOR))
    session.add(user)
    session.commit()
    return user


def apply_code(
    session: Session, code: Code, record: EvidenceRecord, coder: User | None, excerpt: str = ""
) -> CodeApplication:
    application = CodeApplication(
        code_id=code.id,
        evidence_id=record.id,
        coder_id=coder.id if coder else None,
        excerpt=excerpt,
    )
    session.add(application)
    session.commit()
    return application


@dataclass
class Rich:
    mission: Mission
    evaluator: User
    coder: User
    records: list[EvidenceRecord]
    keys: list[str]


def rich_mission(session: Session, mission: Mission | None = None) -> Rich:
    """A mission with items from every domain (some located, some with contact details in their
    text), codes in every status applied by two coders and a theme run, harvested outcomes with
    indicators and evidence, and a learning log."""
    mission = mission or make_mission(session, title="Healthy streets", slug="healthy-streets")
    evaluator = make_account(session, EVALUATOR_ID, "eva.evaluator@example.org", "Eva")
    coder = make_account(session, SECOND_CODER_ID, "ezra.coder@example.org", "Ezra")
    records = [
        make_evidence(
            session,
            mission,
            f"Wider pavements please. Write to me at {PLANTED_EMAIL} or call {PLANTED_PHONE}.",
            title="Pavements",
            domain="codesign",
            source_kind="codesign.contribution",
            created_at=MARCH,
            contributor_key="codesign:m1:p1",
            area="Kentish Town",
        ),
        make_evidence(
            session,
            mission,
            "A second idea from the same person: benches on Malden Road, NW1 2DB.",
            title=f"Benches, text {PLANTED_MOBILE}",
            domain="codesign",
            source_kind="codesign.comment",
            created_at=MARCH,
            contributor_key="codesign:m1:p1",
        ),
        make_evidence(
            session,
            mission,
            "Nitrogen dioxide 41 µg/m³ at the school gate.",
            title="Air reading",
            domain="appraisals",
            source_kind="appraisals.submission",
            created_at=APRIL,
            contributor_key="appraisals:m1:p7",
            area="Gospel Oak",
            location=(51.5523, -0.1512),
        ),
        make_evidence(
            session,
            mission,
            "How good is our place?",
            title="Place Standard: Camden Town",
            domain="appraisals",
            source_kind="appraisals.appraisal",
            created_at=APRIL,
            contributor_key="appraisals:m1:p8",
            area="Camden Town",
            location=(51.5390, -0.1426),
        ),
        make_evidence(
            session,
            mission,
            "120 volunteers in the pool.",
            title="Pool",
            domain="juries",
            source_kind="juries.pool",
            created_at=APRIL,
        ),
        make_evidence(
            session,
            mission,
            "The chair welcomed members.",
            title="Minutes",
            domain="advisory",
            source_kind="advisory.minutes",
            created_at=APRIL,
            contributor_key="advisory:m1:p2",
        ),
        make_evidence(
            session,
            mission,
            "By 2030 every street will be healthy.",
            title="Statement version 1",
            domain="missions",
            source_kind="missions.statement_version",
            created_at=APRIL,
        ),
    ]
    # The jury's and the mission's items have no contributor; make_evidence gives them one.
    records[4].contributor_key = None
    records[6].contributor_key = None
    for number, record in enumerate(records):
        record.source_id = SOURCE_ID_BASE + number
    session.commit()
    keys = [record.contributor_key for record in records if record.contributor_key]

    trees = make_code(session, mission, "Trees", definition=f"Ask {PLANTED_EMAIL} about it.")
    walking = make_code(session, mission, "Walking")
    old = make_code(session, mission, "Old walking")
    old.status, old.merged_into_id = CodeStatus.MERGED, walking.id
    retired = make_code(session, mission, "Parking")
    retired.status = CodeStatus.RETIRED
    session.commit()
    apply_code(session, walking, records[0], evaluator, excerpt=f"call {PLANTED_PHONE}")
    apply_code(session, walking, records[0], coder)
    apply_code(session, trees, records[1], None)  # proposed by a theme run
    apply_code(session, trees, records[2], evaluator)

    air = make_outcome(session, mission, title="Cleaner air")
    indicator = make_indicator(session, air)
    harvested = HarvestedOutcome(
        mission_id=mission.id,
        what_changed="The council closed two school streets.",
        for_whom="Children at two primary schools",
        happened_on=date(2026, 5, 1),
        place="Kentish Town",
        significance="The first closures in the borough.",
        contribution="Residents asked for them in the co-design round.",
        substantiated_by=f"Head teacher ({PLANTED_EMAIL})",
        mission_outcome_id=air.id,
        created_by_id=evaluator.id,
    )
    harvested.evidence.extend([records[0], records[2]])
    session.add(harvested)
    session.add(
        HarvestedOutcome(
            mission_id=mission.id, what_changed="Nothing yet measured.", for_whom="Everyone"
        )
    )
    session.flush()
    session.execute(
        sa.text(
            "INSERT INTO evaluation_outcome_indicators (outcome_id, indicator_id) VALUES (:o, :i)"
        ),
        {"o": harvested.id, "i": indicator.id},
    )
    for loop, noted in (
        (LearningLoop.SINGLE, date(2026, 4, 1)),
        (LearningLoop.DOUBLE, date(2026, 5, 1)),
    ):
        session.add(
            LearningEntry(
                mission_id=mission.id,
                loop=loop,
                noted_on=noted,
                what_happened=f"Residents phoned {PLANTED_MOBILE} to complain.",
                learned="Paper forms reach people online ones miss.",
                next_step="Print forms.",
                author_id=evaluator.id,
            )
        )
    session.commit()
    return Rich(mission, evaluator, coder, records, keys)


def export(
    session: Session,
    mission: Mission,
    out: Path,
    actor: Any,
    filters: index.EvidenceFilter | None = None,
) -> PackageSummary:
    return export_package(
        session,
        mission,
        out,
        filters=filters or index.EvidenceFilter(),
        actor=actor,
        via=VIA_COMMAND_LINE if actor is None else VIA_WEB,
    )


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """Where a test's package goes (tmp_path also holds the test's database)."""
    return tmp_path / "package"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as data:
        return list(csv.DictReader(data))


def assert_valid(out: Path) -> None:
    report = frictionless.validate(out / "datapackage.json")
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "type", "note", "message"])


def test_the_package_of_a_rich_mission_is_a_valid_data_package(
    session: Session, tmp_path: Path
) -> None:
    rich = rich_mission(session)

    summary = export(session, rich.mission, tmp_path / "pkg", rich.evaluator)

    out = tmp_path / "pkg"
    assert_valid(out)
    assert summary.rows == {
        "evidence.csv": 7,
        "codes.csv": 4,
        "code_applications.csv": 4,
        "outcomes.csv": 2,
        "outcome_evidence.csv": 2,
        "learning_log.csv": 2,
        "participation.csv": 5,
        "segments.csv": 0,
        "evidence.geojson": 2,
    }
    assert sorted(path.name for path in out.iterdir()) == sorted(summary.paths)
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert package["name"] == "healthy-streets-evidence"
    assert package["created"].endswith("Z")
    for resource in package["resources"]:
        for name in ("path", "format", "mediatype", "encoding", "bytes", "hash"):
            assert name in resource, (resource["name"], name)
        if resource["format"] == "csv":
            for spec in resource["schema"]["fields"]:
                assert {"name", "type", "title", "description"} <= set(spec)
    provenance = package["engage:provenance"]
    assert provenance["exported_by"] == "Eva (evaluator)"
    assert provenance["filters"] == {}
    assert provenance["engage_version"]
    assert provenance["disclosure"]["scrubbed"] == {"email": 3, "phone": 5, "postcode": 1}

    codes = read_csv(out / "codes.csv")
    by_name = {row["name"]: row for row in codes}
    assert by_name["Old walking"]["status"] == "merged"
    assert by_name["Old walking"]["merged_into"] == by_name["Walking"]["code"]
    assert by_name["Parking"]["status"] == "retired"
    applications = read_csv(out / "code_applications.csv")
    assert [row["coder"] == "" for row in applications] == [False, False, True, False]
    outcomes = read_csv(out / "outcomes.csv")
    assert outcomes[0]["mission_outcome"] == "Cleaner air"
    assert outcomes[0]["indicators"] == "Annual mean NO2"
    assert outcomes[0]["substantiated_by"] == "Head teacher ([email])"
    assert outcomes[1]["mission_outcome"] == "" and outcomes[1]["happened_on"] == ""
    assert read_csv(out / "outcome_evidence.csv") == [
        {"outcome": "1", "item": "1"},
        {"outcome": "1", "item": "3"},
    ]
    located = geojson.loads((out / "evidence.geojson").read_text(encoding="utf-8"))
    assert located.is_valid
    first = located["features"][0]
    assert first["geometry"]["coordinates"] == [-0.1512, 51.5523]  # longitude, latitude
    assert first["properties"] == {
        "item": 3,
        "source": "appraisals",
        "title": "Air reading",
        "area": "Gospel Oak",
    }
    evidence = read_csv(out / "evidence.csv")
    assert [row["located"] for row in evidence] == ["no", "no", "yes", "yes", "no", "no", "no"]
    assert [row["item"] for row in evidence] == [str(n) for n in range(1, 8)]


def test_the_readme_describes_every_column_of_every_file(session: Session, out: Path) -> None:
    rich = rich_mission(session)

    export(session, rich.mission, out, rich.evaluator)

    readme = (out / "README.md").read_text(encoding="utf-8")
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        assert resource["path"] in readme
        for spec in resource.get("schema", {}).get("fields", []):
            assert f"| {spec['name']} | {spec['type']} | {spec['title']} |" in readme
    for name, _ in files.GEOJSON_PROPERTIES:
        assert f"| {name} |" in readme
    assert "from 1 to 9 is suppressed" in readme
    assert "nearest multiple of 5" in readme


def test_the_demo_missions_package_is_valid(session: Session, out: Path) -> None:
    demo.seed(session)
    mission = index.get_mission(session, demo.DEMO_SLUG)
    index.refresh_index(session, mission.id)

    summary = export(session, mission, out, None)

    assert_valid(out)
    assert summary.items == session.scalar(
        sa.select(sa.func.count(EvidenceRecord.id)).where(EvidenceRecord.mission_id == mission.id)
    )
    assert summary.items > 10
    sources = {row["source"] for row in read_csv(out / "evidence.csv")}
    assert {"missions", "codesign", "juries", "advisory", "appraisals"} <= sources
    every_file = b"".join(path.read_bytes() for path in out.iterdir())
    for user in session.scalars(sa.select(User)):
        assert user.email.encode() not in every_file
    assert b"@" not in every_file


def test_no_email_phone_account_id_contributor_key_or_source_id_reaches_any_file(
    session: Session, out: Path, resident: User
) -> None:
    rich = rich_mission(session)

    export(session, rich.mission, out, rich.evaluator)

    contents = {path.name: path.read_bytes() for path in out.iterdir()}
    assert len(contents) == 11
    secrets = [
        b"@",  # no e-mail address at all: planted ones, the users' own
        PLANTED_EMAIL.encode(),
        rich.evaluator.email.encode(),
        rich.coder.email.encode(),
        resident.email.encode(),
        b"7946 0018",  # the planted phone numbers
        b"900123",
        b"NW1 2DB",  # the planted postcode
        str(EVALUATOR_ID).encode(),
        str(SECOND_CODER_ID).encode(),
        *(str(record.source_id).encode() for record in rich.records),
        *(key.encode() for key in rich.keys),
    ]
    for name, data in contents.items():
        for secret in secrets:
            assert secret not in data, (name, secret)
    evidence = read_csv(out / "evidence.csv")
    assert "[email]" in evidence[0]["text"] and "[phone]" in evidence[0]["text"]
    assert "[postcode]" in evidence[1]["text"] and evidence[1]["title"] == "Benches, text [phone]"
    assert evidence[4]["participant"] == "" and evidence[6]["participant"] == ""


def test_small_counts_are_suppressed_and_the_rest_rounded(
    session: Session, out: Path, mission: Mission, evaluator: User
) -> None:
    for person in range(3):
        make_evidence(
            session, mission, created_at=MARCH, contributor_key=f"k:older{person}", segment="65+"
        )
    for person in range(12):
        make_evidence(
            session, mission, created_at=MARCH, contributor_key=f"k:young{person}", segment="18-34"
        )
    for person in range(3):
        make_evidence(
            session, mission, domain="appraisals", created_at=APRIL, contributor_key=f"k:a{person}"
        )
    make_evidence(session, mission, domain="missions", created_at=APRIL)
    session.execute(
        sa.update(EvidenceRecord)
        .where(EvidenceRecord.domain == "missions")
        .values(contributor_key=None)
    )
    session.commit()

    export(session, mission, out, evaluator)

    assert_valid(out)
    assert read_csv(out / "segments.csv") == [
        {"segment": "18-34", "participants": "10", "participants_status": "rounded"},
        {"segment": "65+", "participants": "", "participants_status": "suppressed"},
    ]
    assert read_csv(out / "participation.csv") == [
        {
            "month": "2026-03",
            "source": "codesign",
            "items": "15",
            "participants": "15",
            "participants_status": "rounded",
        },
        {
            "month": "2026-04",
            "source": "missions",
            "items": "1",
            "participants": "",
            "participants_status": "not counted",  # the mission's own record: nobody's item
        },
        {
            "month": "2026-04",
            "source": "appraisals",
            "items": "3",
            "participants": "",
            "participants_status": "suppressed",
        },
    ]
    segments = [row["segment"] for row in read_csv(out / "evidence.csv")]
    assert segments == [""] * 3 + ["18-34"] * 12 + [""] * 4  # 65+ (3 people) is never named
    assert b"65+" not in (out / "evidence.csv").read_bytes()


def test_a_package_of_a_small_segment_alone_is_refused(
    session: Session, tmp_path: Path, mission: Mission, evaluator: User
) -> None:
    for person in range(9):
        make_evidence(session, mission, contributor_key=f"k:{person}", segment="65+")

    with pytest.raises(Invalid) as refused:
        export(session, mission, tmp_path / "pkg", evaluator, index.EvidenceFilter(segment="65+"))

    assert refused.value.field == "segment"
    assert not (tmp_path / "pkg").exists()
    assert session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


def test_pseudonyms_are_stable_within_a_package_and_differ_across_packages(
    session: Session, tmp_path: Path
) -> None:
    rich = rich_mission(session)

    export(session, rich.mission, tmp_path / "one", rich.evaluator)
    export(session, rich.mission, tmp_path / "two", rich.evaluator)

    one = read_csv(tmp_path / "one" / "evidence.csv")
    two = read_csv(tmp_path / "two" / "evidence.csv")
    assert one[0]["participant"] == one[1]["participant"] != ""  # one person, two items
    assert len(one[0]["participant"]) == 12
    assert len({row["participant"] for row in one if row["participant"]}) == 4
    assert {row["participant"] for row in one}.isdisjoint(
        {row["participant"] for row in two} - {""}
    )
    coders_one = [row["coder"] for row in read_csv(tmp_path / "one" / "code_applications.csv")]
    coders_two = [row["coder"] for row in read_csv(tmp_path / "two" / "code_applications.csv")]
    assert coders_one[0] == coders_one[3] != coders_one[1]  # Eva twice, then Ezra
    assert coders_one[0] != coders_two[0]
    assert (set(coders_one) - {""}).isdisjoint({row["participant"] for row in one})


def test_the_checksums_in_datapackage_json_match_the_files(session: Session, out: Path) -> None:
    rich = rich_mission(session)

    summary = export(session, rich.mission, out, rich.evaluator)

    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    checksums = package["engage:provenance"]["checksums"]
    assert len(package["resources"]) == len(checksums) == 10
    for resource in package["resources"]:
        data = (out / resource["path"]).read_bytes()
        expected = "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource["hash"] == checksums[resource["path"]] == expected
        assert resource["bytes"] == len(data)
    whole = hashlib.sha256((out / "datapackage.json").read_bytes()).hexdigest()
    assert summary.datapackage_sha256 == whole


def test_every_export_is_audited_with_its_filter_files_and_checksum(
    session: Session, tmp_path: Path
) -> None:
    rich = rich_mission(session)
    trees = session.scalars(sa.select(Code).where(Code.name == "Trees")).one()
    filters = index.EvidenceFilter(domain="codesign", code_id=trees.id, query="NW1 2DB")

    summary = export(session, rich.mission, tmp_path / "web", rich.evaluator, filters)
    export(session, rich.mission, tmp_path / "cli", None)

    web, cli = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == AUDIT_ACTION).order_by(AuditEntry.id)
    ).all()
    assert web.actor_id == rich.evaluator.id and web.subject == f"mission:{rich.mission.id}"
    assert web.details["via"] == "web"
    assert web.details["filters"] == filters.as_params()
    assert web.details["files"]["evidence.csv"] == 1  # item 2 only: the benches
    assert web.details["datapackage_sha256"] == summary.datapackage_sha256
    assert cli.actor_id is None and cli.details["via"] == "command line"
    assert cli.details["files"]["evidence.csv"] == 7
    # The package states its filter without database ids or contact details.
    stated = json.loads((tmp_path / "web" / "datapackage.json").read_text(encoding="utf-8"))
    assert stated["engage:provenance"]["filters"] == {
        "domain": "codesign",
        "query": "[postcode]",
        "code": 1,  # Trees' number in codes.csv
    }
    assert stated["engage:provenance"]["exported_by"] == "Eva (evaluator)"
    cli_package = json.loads((tmp_path / "cli" / "datapackage.json").read_text(encoding="utf-8"))
    assert cli_package["engage:provenance"]["exported_by"] == "command line"


def test_a_filtered_package_keeps_only_links_to_its_own_items(session: Session, out: Path) -> None:
    rich = rich_mission(session)

    summary = export(
        session, rich.mission, out, rich.evaluator, index.EvidenceFilter(domain="appraisals")
    )

    assert_valid(out)
    assert summary.rows["evidence.csv"] == 2
    assert summary.rows["codes.csv"] == 4  # the whole frame
    applications = read_csv(out / "code_applications.csv")
    assert [(row["application"], row["item"], row["code"]) for row in applications] == [
        ("1", "1", "1")  # Eva's "Trees" on the air reading, now item 1
    ]
    assert read_csv(out / "outcome_evidence.csv") == [{"outcome": "1", "item": "1"}]
    assert summary.rows["outcomes.csv"] == 2


def test_only_evaluators_export_from_the_web(
    session: Session, out: Path, mission: Mission, officer: User, resident: User
) -> None:
    for actor in (officer, resident):
        with pytest.raises(Forbidden):
            export_package(
                session,
                mission,
                out,
                filters=index.EvidenceFilter(),
                actor=actor,
                via="web",
            )
    with pytest.raises(Forbidden):  # no account is only for the command line
        export_package(session, mission, out, filters=index.EvidenceFilter(), actor=None, via="web")
    assert not out.exists()


def test_an_empty_mission_still_gives_a_valid_package(
    session: Session, out: Path, mission: Mission, evaluator: User
) -> None:
    summary = export(session, mission, out, evaluator)

    assert_valid(out)
    assert summary.items == 0
    assert json.loads((out / "evidence.geojson").read_text(encoding="utf-8")) == {
        "type": "FeatureCollection",
        "features": [],
    }


def test_package_names_are_lowercase_and_allowed_by_the_standard() -> None:
    assert files.package_name("Healthy-Streets_2030") == "healthy-streets_2030-evidence"
    assert files.package_name("Ça va!") == "a-va-evidence"
    assert files.iso_utc(datetime(2026, 3, 1, 12, 30, 5, 999)) == "2026-03-01T12:30:05Z"
