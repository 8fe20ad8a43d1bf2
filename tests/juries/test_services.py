"""Jury use cases with a real session: setting a jury up, registration, CSV import and export,
quotas, feasibility, who may do what, and what a frozen jury refuses."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage import demo
from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.errors import Conflict, Forbidden, Invalid, NotFound
from engage.juries import services
from engage.juries.models import (
    FeatureValue,
    Jury,
    JuryFeature,
    JuryOfficer,
    JuryStatus,
    MemberSource,
    PoolMember,
)
from engage.juries.pooldata import PoolFileError, PoolFormat, read_pool
from engage.security import Role
from tests.factories import make_jury, make_member, make_mission, make_user
from tests.juries.draw_support import in_another_session, jury_locked_elsewhere

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def officer(session: Session) -> User:
    return make_user(session, role=Role.OFFICER)


@pytest.fixture
def jury(session: Session, officer: User) -> Jury:
    return make_jury(
        session,
        officers=(officer,),
        quotas={("gender", "female"): (1, 3), ("gender", "male"): (1, 3)},
    )


def actions(session: Session, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def members(session: Session, jury_id: int) -> list[PoolMember]:
    session.expire_all()
    return list(
        session.scalars(
            sa.select(PoolMember).where(PoolMember.jury_id == jury_id).order_by(PoolMember.id)
        )
    )


def feature_values(session: Session, jury_id: int) -> dict[tuple[str, str], FeatureValue]:
    session.expire_all()
    rows = session.execute(
        sa.select(JuryFeature.key, FeatureValue)
        .join(FeatureValue, FeatureValue.feature_id == JuryFeature.id)
        .where(JuryFeature.jury_id == jury_id)
    )
    return {(key, value.key): value for key, value in rows}


def answers_of(session: Session, member: PoolMember) -> dict[str, str]:
    session.refresh(member)
    keys = {
        value.id: (key, value.key)
        for (key, _), value in feature_values(session, member.jury_id).items()
    }
    session.refresh(member)
    return dict(keys[answer.value_id] for answer in member.answers)


def value_id(session: Session, jury_id: int, feature: str, value: str) -> int:
    return feature_values(session, jury_id)[feature, value].id


def feature_id(session: Session, jury_id: int, key: str) -> int:
    found = session.scalar(
        sa.select(JuryFeature.id).where(JuryFeature.jury_id == jury_id, JuryFeature.key == key)
    )
    assert found is not None
    return found


# --- Access ------------------------------------------------------------------------------------


def test_only_admins_and_the_jurys_own_officers_manage_it(
    session: Session, jury: Jury, officer: User
) -> None:
    other_jury_officer = make_user(session, role=Role.OFFICER)
    make_jury(session, officers=(other_jury_officer,))
    admin = make_user(session, role=Role.ADMIN)
    resident = make_user(session)

    assert services.require_manager(session, jury.id, officer).id == jury.id
    assert services.require_manager(session, jury.id, admin).id == jury.id
    for outsider in (other_jury_officer, resident, None):
        with pytest.raises(Forbidden):
            services.require_manager(session, jury.id, outsider)
    with pytest.raises(NotFound):
        services.require_manager(session, jury.id + 1000, admin)


@pytest.mark.parametrize(
    ("status", "frozen"),
    [
        (JuryStatus.DRAFT, False),
        (JuryStatus.OPEN, False),
        (JuryStatus.FROZEN, True),
        (JuryStatus.DRAWN, True),
        (JuryStatus.PURGED, True),
    ],
)
def test_pool_and_quotas_freeze_once_a_draw_is_committed(
    session: Session, status: JuryStatus, frozen: bool
) -> None:
    assert services.is_frozen(make_jury(session, status=status)) is frozen


# --- The selection instance --------------------------------------------------------------------


def test_build_instance_names_members_by_pseudonym_in_a_fixed_order(
    session: Session, jury: Jury
) -> None:
    first = make_member(session, jury, {"gender": "male", "age": "40+"}, household="h1")
    second = make_member(session, jury, {"gender": "female", "age": "16-39"}, household="h1")
    third = make_member(session, jury, {"gender": "female", "age": "40+"}, household="h3")

    instance, ordered = services.build_instance(session, jury.id)

    assert [m.id for m in ordered] == [first.id, second.id, third.id]
    assert list(instance.ids) == [first.pseudonym, second.pseudonym, third.pseudonym]
    assert list(instance.features) == ["gender", "age"]
    assert [list(row) for row in instance.values] == [
        ["male", "40+"],
        ["female", "16-39"],
        ["female", "40+"],
    ]
    assert list(instance.households or []) == ["h1", "h1", "h3"]
    assert instance.panel_size == 4
    bounds = {(q.feature, q.value): (q.min, q.max) for q in instance.quotas}
    # Values without a quota may take anything from nobody to the whole panel.
    assert bounds == {
        ("gender", "female"): (1, 3),
        ("gender", "male"): (1, 3),
        ("age", "16-39"): (0, 4),
        ("age", "40+"): (0, 4),
    }


# --- Juries and officers -----------------------------------------------------------------------


def jury_fields(**changes: Any) -> services.JuryFields:
    fields = services.JuryFields(
        title="Healthy Streets Jury",
        question="How should we share street space?",
        panel_size=30,
        purpose="To select a jury that reflects the borough.",
        registration_opens=NOW,
        registration_closes=NOW + timedelta(days=30),
        retention_until=date(2027, 12, 31),
        household_rule=True,
        status=JuryStatus.DRAFT,
    )
    return replace(fields, **changes)


def test_creating_a_jury_makes_its_creator_an_officer(session: Session, officer: User) -> None:
    mission = make_mission(session)
    jury = services.create_jury(
        session, mission.id, jury_fields(), actor=officer, today=date(2026, 5, 1)
    )
    again = services.create_jury(
        session, mission.id, jury_fields(), actor=officer, today=date(2026, 5, 1)
    )

    assert jury.slug == "healthy-streets-jury"
    assert again.slug == "healthy-streets-jury-2"
    assert services.is_jury_officer(session, jury.id, officer)
    assert services.can_manage(session, jury.id, officer)
    [entry, _] = actions(session, "jury.created")
    assert entry.actor_id == officer.id
    assert entry.subject == f"jury:{jury.id}"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"registration_closes": NOW - timedelta(hours=1)}, "registration_closes"),
        ({"retention_until": date(2026, 4, 30)}, "retention_until"),
        ({"retention_until": date(2026, 5, 2)}, "retention_until"),  # before registration closes
        ({"status": JuryStatus.FROZEN}, "status"),
        ({"panel_size": 0}, "panel_size"),
    ],
)
def test_a_jury_needs_a_sensible_window_and_retention_date(
    session: Session, officer: User, changes: dict[str, Any], field: str
) -> None:
    mission = make_mission(session)
    with pytest.raises(Invalid) as refused:
        services.create_jury(
            session, mission.id, jury_fields(**changes), actor=officer, today=date(2026, 5, 1)
        )
    assert refused.value.field == field
    assert session.scalar(sa.select(sa.func.count()).select_from(Jury)) == 0


def test_officers_of_a_jury_can_add_other_officers_but_not_residents(
    session: Session, jury: Jury, officer: User
) -> None:
    colleague = make_user(session, role=Role.OFFICER, email="colleague@example.org")
    resident = make_user(session, email="resident@example.org")

    services.add_officer(session, jury.id, "Colleague@Example.org ", actor=officer)
    assert services.can_manage(session, jury.id, colleague)
    with pytest.raises(Invalid) as not_staff:
        services.add_officer(session, jury.id, resident.email, actor=officer)
    assert not_staff.value.field == "email"
    with pytest.raises(Conflict):
        services.add_officer(session, jury.id, colleague.email, actor=colleague)
    with pytest.raises(Forbidden):
        services.add_officer(session, jury.id, colleague.email, actor=resident)

    services.remove_officer(session, jury.id, officer.id, actor=colleague)
    assert not services.can_manage(session, jury.id, officer)
    with pytest.raises(Conflict):  # the last officer stays
        services.remove_officer(session, jury.id, colleague.id, actor=colleague)
    assert [e.details["user_id"] for e in actions(session, "jury.officer_added")] == [colleague.id]
    assert [e.details["user_id"] for e in actions(session, "jury.officer_removed")] == [officer.id]


def test_editing_a_frozen_jury_is_refused(session: Session, officer: User) -> None:
    frozen = make_jury(session, status=JuryStatus.FROZEN, officers=(officer,))
    with pytest.raises(Conflict, match="committed"):
        services.update_jury(session, frozen.id, jury_fields(status=JuryStatus.OPEN), actor=officer)


# --- Features ----------------------------------------------------------------------------------


def feature_fields(**changes: Any) -> services.FeatureFields:
    fields = services.FeatureFields(
        label="Housing tenure",
        key="",
        values=["Owner", "", "  Private renter ", "Social renter"],
        allow_prefer_not_to_say=True,
    )
    return replace(fields, **changes)


def test_a_feature_lists_its_answers_and_prefer_not_to_say_last(
    session: Session, officer: User
) -> None:
    jury = make_jury(session, officers=(officer,), features={"gender": ["female", "male"]})
    feature = services.add_feature(session, jury.id, feature_fields(), actor=officer)

    assert feature.key == "housing_tenure"
    assert [(v.key, v.is_prefer_not_to_say) for v in feature.values] == [
        ("Owner", False),
        ("Private renter", False),
        ("Social renter", False),
        ("Prefer not to say", True),
    ]
    assert actions(session, "jury.feature_added")[0].details["feature"] == "housing_tenure"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"values": ["Owner", "owner"]}, "values"),
        ({"values": ["", " "]}, "values"),
        ({"key": "email"}, "key"),
        ({"key": "gender"}, "key"),
        ({"values": ["Owner", "Prefer not to say"]}, "values"),
    ],
)
def test_feature_answers_must_be_distinct_and_names_free(
    session: Session, officer: User, changes: dict[str, Any], field: str
) -> None:
    jury = make_jury(session, officers=(officer,), features={"gender": ["female", "male"]})
    with pytest.raises((Invalid, Conflict)) as refused:
        services.add_feature(session, jury.id, feature_fields(**changes), actor=officer)
    assert refused.value.field == field


def test_no_new_question_once_volunteers_have_answered(
    session: Session, jury: Jury, officer: User
) -> None:
    make_member(session, jury)
    with pytest.raises(Conflict, match="were not asked"):
        services.add_feature(session, jury.id, feature_fields(), actor=officer)


def test_editing_a_feature_keeps_quotas_and_answers_people_gave(
    session: Session, jury: Jury, officer: User
) -> None:
    make_member(session, jury, {"gender": "male", "age": "40+"})
    gender = feature_id(session, jury.id, "gender")

    with pytest.raises(Conflict) as refused:
        services.update_feature(
            session,
            jury.id,
            gender,
            feature_fields(label="Gender", key="gender", values=["female"]),
            actor=officer,
        )
    assert refused.value.field == "values"

    services.update_feature(
        session,
        jury.id,
        gender,
        feature_fields(label="Gender", key="gender", values=["female", "male", "non-binary"]),
        actor=officer,
    )
    values = feature_values(session, jury.id)
    assert (values["gender", "female"].quota_min, values["gender", "female"].quota_max) == (1, 3)
    assert ("gender", "non-binary") in values
    assert values["gender", "Prefer not to say"].is_prefer_not_to_say


# --- Registration ------------------------------------------------------------------------------


def volunteer(session: Session, jury: Jury, **changes: Any) -> services.VolunteerFields:
    fields = services.VolunteerFields(
        name="Ada Lovelace",
        email="Ada@Example.org",
        phone="",
        address_line1="12 High Street",
        address_line2="",
        city="London",
        postcode="N1 1AA",
        answers={
            feature_id(session, jury.id, "gender"): value_id(session, jury.id, "gender", "female"),
            feature_id(session, jury.id, "age"): value_id(session, jury.id, "age", "40+"),
        },
        consent=True,
    )
    return replace(fields, **changes)


def test_registering_adds_a_pseudonymous_member_with_the_consent_given(
    session: Session, jury: Jury
) -> None:
    member, created = services.register_volunteer(
        session, jury.id, volunteer(session, jury), consent_text="I agree to X.", now=NOW
    )

    assert created
    assert re.fullmatch(r"V-[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{6}", member.pseudonym)
    assert member.email == "ada@example.org"
    assert member.source is MemberSource.REGISTRATION
    assert member.consent_text == "I agree to X."
    assert member.consent_given_at == NOW
    assert answers_of(session, member) == {"gender": "female", "age": "40+"}
    [entry] = actions(session, "jury.volunteer_registered")
    assert entry.details == {"member": member.pseudonym}  # no personal data in the log


def test_registering_again_with_the_same_email_updates_the_first_registration(
    session: Session, jury: Jury
) -> None:
    first, _ = services.register_volunteer(
        session, jury.id, volunteer(session, jury), consent_text="v1", now=NOW
    )
    male = value_id(session, jury.id, "gender", "male")
    again = volunteer(
        session,
        jury,
        email=" ADA@example.ORG",
        name="Ada King",
        answers={**volunteer(session, jury).answers, feature_id(session, jury.id, "gender"): male},
    )
    first_pseudonym = first.pseudonym
    second, created = services.register_volunteer(
        session, jury.id, again, consent_text="v2", now=NOW + timedelta(hours=1)
    )

    assert not created
    [only] = members(session, jury.id)
    assert only.id == first.id == second.id
    # A new pseudonym: whoever typed this address before cannot follow the answers given now.
    assert only.pseudonym != first_pseudonym
    assert only.name == "Ada King"
    assert only.consent_text == "v2"
    assert answers_of(session, only) == {"gender": "male", "age": "40+"}
    [entry] = actions(session, "jury.volunteer_updated")
    assert entry.details == {"member": only.pseudonym, "previous": first_pseudonym}


def test_the_audit_log_never_ties_a_residents_account_to_their_pseudonym(
    session: Session, jury: Jury
) -> None:
    resident = make_user(session)
    member, _ = services.register_volunteer(
        session, jury.id, volunteer(session, jury), consent_text="x", user=resident, now=NOW
    )
    services.register_volunteer(
        session, jury.id, volunteer(session, jury), consent_text="x", user=resident, now=NOW
    )

    assert member.user_id == resident.id  # in the pool, which the purge erases
    entries = [
        *actions(session, "jury.volunteer_registered"),
        *actions(session, "jury.volunteer_updated"),
    ]
    assert len(entries) == 2
    # The log outlives the purge and the bundle keeps each pseudonym's answers: no actor here.
    assert [entry.actor_id for entry in entries] == [None, None]


def test_consent_is_required(session: Session, jury: Jury) -> None:
    with pytest.raises(Invalid) as refused:
        services.register_volunteer(
            session, jury.id, volunteer(session, jury, consent=False), consent_text="x", now=NOW
        )
    assert refused.value.field == "consent"
    assert members(session, jury.id) == []


def test_every_question_needs_one_of_its_own_answers(session: Session, jury: Jury) -> None:
    gender = feature_id(session, jury.id, "gender")
    age_value = value_id(session, jury.id, "age", "40+")  # an answer to another question
    for answers in ({}, {gender: age_value}):
        fields = volunteer(session, jury, answers=answers)
        with pytest.raises(Invalid) as refused:
            services.register_volunteer(session, jury.id, fields, consent_text="x", now=NOW)
        assert refused.value.field == f"q{gender}"
    assert members(session, jury.id) == []


@pytest.mark.parametrize(
    ("status", "opens", "closes"),
    [
        (JuryStatus.DRAFT, None, None),
        (JuryStatus.FROZEN, None, None),
        (JuryStatus.OPEN, NOW + timedelta(minutes=1), None),
        (JuryStatus.OPEN, None, NOW),
        (JuryStatus.OPEN, NOW - timedelta(days=9), NOW - timedelta(days=1)),
    ],
)
def test_registration_only_while_open_and_inside_the_window(
    session: Session, status: JuryStatus, opens: datetime | None, closes: datetime | None
) -> None:
    jury = make_jury(session, status=status, registration_opens=opens, registration_closes=closes)
    with pytest.raises(Conflict, match="closed"):
        services.register_volunteer(
            session, jury.id, volunteer(session, jury), consent_text="x", now=NOW
        )
    assert members(session, jury.id) == []


def test_registration_inside_the_window_is_accepted(session: Session) -> None:
    jury = make_jury(
        session, registration_opens=NOW - timedelta(days=1), registration_closes=NOW + timedelta(1)
    )
    services.register_volunteer(
        session, jury.id, volunteer(session, jury), consent_text="x", now=NOW
    )
    assert len(members(session, jury.id)) == 1


def test_people_at_the_same_address_share_a_household_however_it_is_typed(
    session: Session, jury: Jury
) -> None:
    a, _ = services.register_volunteer(
        session, jury.id, volunteer(session, jury), consent_text="x", now=NOW
    )
    b, _ = services.register_volunteer(
        session,
        jury.id,
        volunteer(
            session,
            jury,
            email="grace@example.org",
            address_line1="12, HIGH  STREET.",
            city="london",
            postcode="n11aa",
        ),
        consent_text="x",
        now=NOW,
    )
    c, _ = services.register_volunteer(
        session,
        jury.id,
        volunteer(session, jury, email="alan@example.org", address_line1="14 High Street"),
        consent_text="x",
        now=NOW,
    )
    assert a.household_key == b.household_key != c.household_key
    assert "high" not in a.household_key  # the stored key shows no address


def test_a_registration_in_flight_waits_for_the_freeze_and_is_then_refused(
    session: Session, jury: Jury
) -> None:
    fields = volunteer(session, jury)
    with (
        jury_locked_elsewhere(session, jury.id) as committing_a_draw,
        in_another_session(
            session,
            lambda own: services.register_volunteer(
                own, jury.id, fields, consent_text="x", now=NOW
            ),
        ) as registering,
    ):
        time.sleep(0.3)
        assert not registering.done()  # waits for the lock
        committing_a_draw.execute(
            sa.update(Jury).where(Jury.id == jury.id).values(status=JuryStatus.FROZEN)
        )
        committing_a_draw.commit()
        with pytest.raises(Conflict, match="closed"):
            registering.result(timeout=60)
    assert members(session, jury.id) == []


def test_pseudonyms_are_unique_within_a_jury() -> None:
    taken = {"V-AAAAAA"}
    made = {services.new_pseudonym(taken) for _ in range(200)}
    assert len(made) == 200
    assert "V-AAAAAA" not in made
    assert not any(set(p[2:]) & set("01IOL") for p in made)


# --- Import ------------------------------------------------------------------------------------

QUOTAS = b"feature,value,min,max\ngender,female,1,3\ngender,male,1,3\nage,16-39,0,4\nage,40+,0,4\n"
PEOPLE = (
    b"id,first_name,last_name,email,primary_address1,primary_city,primary_zip,gender,age\n"
    b"p1,Ada,Lovelace,ada@example.org,12 High Street,London,N1 1AA,female,40+\n"
    b"p2,Alan,Turing,alan@example.org,12 High Street,London,N11AA,male,16-39\n"
    b"p3,Grace,Hopper,grace@example.org,3 Low Road,Leeds,LS1 1AA,female,16-39\n"
)


def import_fields(**changes: Any) -> dict[str, Any]:
    return {"replace": False, "consent_text": "Attested.", "now": NOW, **changes}


def test_preview_reports_format_counts_and_first_rows_without_importing(
    session: Session, jury: Jury, officer: User
) -> None:
    preview = services.preview_import(session, jury.id, PEOPLE, QUOTAS, replace=False, user=officer)

    assert preview.format is PoolFormat.SORTITION_FOUNDATION
    assert (preview.people, preview.new, preview.updated) == (3, 3, 0)
    counts = {(f.key, v.key): v.count for f in preview.features for v in f.values}
    assert counts == {
        ("gender", "female"): 2,
        ("gender", "male"): 1,
        ("age", "16-39"): 2,
        ("age", "40+"): 1,
    }
    assert preview.kept_columns["first_name"] == "first_name"
    assert preview.kept_columns["postcode"] == "primary_zip"
    assert preview.first_rows[0][0] == "p1"
    assert members(session, jury.id) == []


def test_import_creates_members_features_and_quotas(session: Session, officer: User) -> None:
    jury = make_jury(session, officers=(officer,), features={"area": ["north", "south"]})
    quotas = (
        b"feature,value,min,max,min_flex,max_flex\n"
        b"gender,female,1,3,,\ngender,male,1,3,0,4\nage,16-39,0,4,,\nage,40+,0,4,,\n"
    )
    summary = services.import_pool(
        session, jury.id, PEOPLE, quotas, actor=officer, **import_fields()
    )

    assert (summary.created, summary.updated, summary.removed) == (3, 0, 0)
    values = feature_values(session, jury.id)
    assert set(values) == {
        ("gender", "female"),
        ("gender", "male"),
        ("age", "16-39"),
        ("age", "40+"),
    }  # the area feature was replaced
    assert (values["gender", "male"].quota_min, values["gender", "male"].max_flex) == (1, 4)
    pool = members(session, jury.id)
    ada = next(m for m in pool if m.external_id == "p1")
    assert (ada.name, ada.email, ada.postcode, ada.source) == (
        "Ada Lovelace",
        "ada@example.org",
        "N1 1AA",
        MemberSource.IMPORT,
    )
    assert ada.consent_text == "Attested."
    alan = next(m for m in pool if m.external_id == "p2")
    grace = next(m for m in pool if m.external_id == "p3")
    assert ada.household_key == alan.household_key != grace.household_key
    assert answers_of(session, alan) == {"gender": "male", "age": "16-39"}
    [entry] = actions(session, "jury.pool_imported")
    assert entry.details["created"] == 3
    assert entry.details["quotas_replaced"] is True


def test_a_registered_volunteer_shares_a_household_with_an_imported_one(
    session: Session, jury: Jury, officer: User
) -> None:
    people = (
        b"id,name,email,address_line1,address_line2,city,postcode,gender,age\n"
        b"p1,Bo,bo@example.org,12 High Street,,London,N1 1AA,male,40+\n"
    )
    services.import_pool(session, jury.id, people, None, actor=officer, **import_fields())
    member, _ = services.register_volunteer(
        session, jury.id, volunteer(session, jury), consent_text="x", now=NOW
    )
    assert len({m.household_key for m in members(session, jury.id)}) == 1
    assert member.household_key == members(session, jury.id)[0].household_key


def test_a_file_without_some_address_columns_still_finds_the_registered_household(
    session: Session, jury: Jury, officer: User
) -> None:
    member, _ = services.register_volunteer(
        session, jury.id, volunteer(session, jury), consent_text="x", now=NOW
    )  # 12 High Street, London, N1 1AA; no second line
    people = (
        b"id,name,email,primary_address1,primary_city,primary_zip,gender,age\n"
        b'p1,Bo,bo@example.org,"12, HIGH STREET.",LONDON,n11aa,male,40+\n'
        b"p2,Cy,cy@example.org,14 High Street,London,N1 1AA,male,16-39\n"
    )
    services.import_pool(session, jury.id, people, None, actor=officer, **import_fields())

    by_id = {m.external_id: m for m in members(session, jury.id)}
    assert by_id["p1"].household_key == member.household_key
    assert by_id["p2"].household_key != member.household_key


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_imported(
    session: Session, jury: Jury, officer: User
) -> None:
    people = PEOPLE + b"p4,Bad,Row,bad@example.org,1 Road,Town,X1,femme,40+\np5,Short\n"
    quotas = QUOTAS + b"age,65+,two,4\n"
    before = feature_values(session, jury.id)

    with pytest.raises(PoolFileError) as refused:
        services.import_pool(session, jury.id, people, quotas, actor=officer, **import_fields())

    where = {(e.file, e.line, e.column) for e in refused.value.errors}
    assert ("quotas", 6, "min") in where
    assert ("people", 6, None) in where  # p5 has too few cells
    assert members(session, jury.id) == []
    assert set(feature_values(session, jury.id)) == set(before)
    assert actions(session, "jury.pool_imported") == []

    # A problem only our columns have (a name too long to store) also stops everything.
    long_name = PEOPLE + f"p9,{'x' * 250},,,,,,male,40+\n".encode()
    with pytest.raises(PoolFileError) as too_long:
        services.import_pool(session, jury.id, long_name, QUOTAS, actor=officer, **import_fields())
    assert [e.column for e in too_long.value.errors] == ["first_name"]
    assert members(session, jury.id) == []


def test_one_upload_reports_the_files_and_the_pools_problems_together(
    session: Session, jury: Jury, officer: User
) -> None:
    quotas = (
        b"feature,value,min,max\n"
        b"gender,female,1,3\n"
        b"gender,male,1,200000\n"  # line 3: more than any column holds (a check of ours)
        b"age,16-39,0,4\n"
        b"age,40+,x,4\n"  # line 5: not a number (a check of the file)
        b"source,web,0,4\n"  # line 6: a name the export uses for itself (ours)
    )
    people = (
        b"id,first_name,email,gender,age,source\n"
        b"p1,Ada,ada@example.org,female,40+,web\n"
        b"p2,Alan,ADA@example.org,male,16-39,web\n"  # line 3: Ada's address again (ours)
        b"p3,Grace,grace@example.org,femme,16-39,web\n"  # line 4: no such value (the file's)
    )

    with pytest.raises(PoolFileError) as refused:
        services.preview_import(session, jury.id, people, quotas, replace=False, user=officer)

    assert [(e.file, e.line, e.column) for e in refused.value.errors] == [
        ("people", 3, "email"),
        ("people", 4, "gender"),
        ("quotas", 3, "max"),
        ("quotas", 5, "min"),
        ("quotas", 6, "feature"),
    ]
    with pytest.raises(PoolFileError) as again:
        services.import_pool(session, jury.id, people, quotas, actor=officer, **import_fields())
    assert len(again.value.errors) == 5
    assert members(session, jury.id) == []


def test_quota_file_errors_point_at_the_row_they_are_about(
    session: Session, jury: Jury, officer: User
) -> None:
    make_member(session, jury, {"gender": "male", "age": "40+"})
    quotas = (
        b"Category,Feature,Min,Max\n"  # the paper's spelling: the feature column is "Category"
        b"gender,female,1,3\n"
        b"age,16-39,0,4\n"
        b"age,40+,0,-4\n"  # line 4: negative
        b"region,north,0,1\n"  # line 5: volunteers were never asked this
    )
    with pytest.raises(PoolFileError) as refused:
        services.import_quotas(session, jury.id, quotas, actor=officer)
    where = [(e.line, e.column, e.params.get("feature")) for e in refused.value.errors]
    assert where == [
        (0, None, "gender"),  # male is answered but missing: no row to point at
        (4, "Max", None),
        (5, "Category", "region"),
    ]


def test_an_import_in_flight_waits_for_the_freeze_and_is_then_refused(
    session: Session, jury: Jury, officer: User
) -> None:
    with (
        jury_locked_elsewhere(session, jury.id) as committing_a_draw,
        in_another_session(
            session,
            lambda own: services.import_pool(
                own, jury.id, PEOPLE, None, actor=own.get_one(User, officer.id), **import_fields()
            ),
        ) as importing,
    ):
        time.sleep(0.3)
        assert not importing.done()
        committing_a_draw.execute(
            sa.update(Jury).where(Jury.id == jury.id).values(status=JuryStatus.FROZEN)
        )
        committing_a_draw.commit()
        with pytest.raises(Conflict, match="can no longer change"):
            importing.result(timeout=60)
    assert members(session, jury.id) == []


def test_the_same_email_twice_in_a_file_is_an_error(
    session: Session, jury: Jury, officer: User
) -> None:
    people = PEOPLE.replace(b"grace@example.org", b"ADA@example.org")
    with pytest.raises(PoolFileError) as refused:
        services.preview_import(session, jury.id, people, QUOTAS, replace=False, user=officer)
    [error] = refused.value.errors
    assert error.column == "email"
    assert error.params == {"id": "p3", "first": "p1"}


def test_importing_again_updates_people_instead_of_duplicating_them(
    session: Session, jury: Jury, officer: User
) -> None:
    registered, _ = services.register_volunteer(
        session, jury.id, volunteer(session, jury), consent_text="Mine.", now=NOW
    )
    services.import_pool(session, jury.id, PEOPLE, None, actor=officer, **import_fields())
    # ada@example.org registered herself: the import updated her, it did not add her twice.
    pool = members(session, jury.id)
    assert len(pool) == 3
    ada = next(m for m in pool if m.email == "ada@example.org")
    assert ada.id == registered.id
    assert ada.source is MemberSource.REGISTRATION
    assert ada.consent_text == "Mine."  # her own consent stays

    changed = PEOPLE.replace(b"p2,Alan,Turing,alan@example.org", b"p2,Alan,Turing,a.t@example.org")
    summary = services.import_pool(
        session, jury.id, changed, None, actor=officer, **import_fields()
    )
    assert (summary.created, summary.updated) == (0, 3)
    assert {m.email for m in members(session, jury.id)} == {
        "ada@example.org",
        "a.t@example.org",
        "grace@example.org",
    }


def test_replacing_the_pool_removes_everyone_first(
    session: Session, jury: Jury, officer: User
) -> None:
    make_member(session, jury, email="old@example.org")
    only_ada = b"\n".join(PEOPLE.splitlines()[:2])
    summary = services.import_pool(
        session, jury.id, only_ada, QUOTAS, actor=officer, **import_fields(replace=True)
    )
    assert (summary.created, summary.removed) == (1, 1)
    assert [m.email for m in members(session, jury.id)] == ["ada@example.org"]


def test_a_quotas_file_may_not_drop_what_volunteers_answered(
    session: Session, jury: Jury, officer: User
) -> None:
    make_member(session, jury, {"gender": "male", "age": "40+"})
    no_male = b"feature,value,min,max\ngender,female,1,3\nage,16-39,0,4\nage,40+,0,4\n"
    people = b"id,gender,age\nx1,female,40+\n"
    with pytest.raises(PoolFileError) as refused:
        services.import_pool(session, jury.id, people, no_male, actor=officer, **import_fields())
    assert "male" in refused.value.errors[0].params.values()
    with pytest.raises(PoolFileError):
        services.import_quotas(
            session, jury.id, b"feature,value,min,max\nregion,x,0,1\n", actor=officer
        )
    assert len(members(session, jury.id)) == 1


def test_the_papers_format_imports_respondents_as_new_people_every_time(
    session: Session, jury: Jury, officer: User
) -> None:
    categories = b"category,feature,min,max\ngender,female,1,3\ngender,male,1,3\n"
    respondents = b"gender\nfemale\nmale\nmale\n"
    preview = services.preview_import(
        session, jury.id, respondents, categories, replace=False, user=officer
    )
    assert preview.format is PoolFormat.PAPER
    services.import_pool(
        session, jury.id, respondents, categories, actor=officer, **import_fields()
    )
    first = {m.id: answers_of(session, m) for m in members(session, jury.id)}
    assert len(first) == 3
    assert set(feature_values(session, jury.id)) == {("gender", "female"), ("gender", "male")}

    # A second respondents file: its row numbers "0", "1", ... are no ids, so nobody from the
    # first file is updated by it.
    second_file = b"gender\nmale\nfemale\nfemale\n"
    again = services.preview_import(
        session, jury.id, second_file, categories, replace=False, user=officer
    )
    assert (again.new, again.updated) == (3, 0)
    summary = services.import_pool(
        session, jury.id, second_file, categories, actor=officer, **import_fields()
    )

    assert (summary.created, summary.updated) == (3, 0)
    pool = members(session, jury.id)
    assert len(pool) == 6
    assert {m.id: answers_of(session, m) for m in pool if m.id in first} == first
    assert all(m.external_id is None for m in pool)  # a row number is no id worth keeping
    assert len({m.household_key for m in pool}) == 6  # everyone lives alone in this format
    # The export names them by pseudonym, so it reads back without clashing ids.
    exported = read_pool(
        services.export_pool_csv(session, jury.id, actor=officer).encode(),
        services.export_quotas_csv(session, jury.id).encode(),
    )
    assert sorted(p.id for p in exported.people) == sorted(m.pseudonym for m in pool)


def test_without_a_quotas_file_the_jury_needs_features(session: Session, officer: User) -> None:
    jury = make_jury(session, officers=(officer,), features={})
    with pytest.raises(Invalid) as refused:
        services.preview_import(session, jury.id, PEOPLE, None, replace=False, user=officer)
    assert refused.value.field == "quotas"


# --- Export ------------------------------------------------------------------------------------


def test_export_round_trip_gives_back_the_same_pool_and_quotas(
    session: Session, jury: Jury, officer: User
) -> None:
    services.import_pool(session, jury.id, PEOPLE, QUOTAS, actor=officer, **import_fields())
    services.register_volunteer(
        session,
        jury.id,
        volunteer(session, jury, email="new@example.org", address_line1="3 Low Road"),
        consent_text="x",
        now=NOW,
    )
    people_csv = services.export_pool_csv(session, jury.id, actor=officer)
    quotas_csv = services.export_quotas_csv(session, jury.id)

    data = read_pool(people_csv.encode(), quotas_csv.encode())
    instance, ordered = services.build_instance(session, jury.id)
    assert data.format is PoolFormat.SORTITION_FOUNDATION
    assert [p.id for p in data.people] == [m.external_id or m.pseudonym for m in ordered]
    assert [[p.values[f] for f in data.features] for p in data.people] == [
        list(row) for row in instance.values
    ]
    assert {(q.feature, q.value, q.min, q.max) for q in data.quotas} == {
        (q.feature, q.value, q.min, q.max) for q in instance.quotas
    }
    assert [p.contact["email"] for p in data.people] == [m.email for m in ordered]
    assert [e.details for e in actions(session, "jury.pool_exported")] == [{"members": 4}]

    # Read into another jury, the pool keeps its people, answers and households.
    other = make_jury(session, officers=(officer,), features={})
    services.import_pool(
        session,
        other.id,
        people_csv.encode(),
        quotas_csv.encode(),
        actor=officer,
        **import_fields(),
    )
    copy, copied = services.build_instance(session, other.id)
    assert sorted(map(tuple, copy.values)) == sorted(map(tuple, instance.values))

    def grouping(households: Any, people: list[PoolMember]) -> set[frozenset[str]]:
        groups: dict[str, set[str]] = {}
        for key, member in zip(households, people, strict=True):
            groups.setdefault(key, set()).add(member.email or "")
        return {frozenset(group) for group in groups.values()}

    assert grouping(copy.households, copied) == grouping(instance.households, ordered)

    # Read back into the same jury, it updates everyone and adds nobody.
    summary = services.import_pool(
        session, jury.id, people_csv.encode(), None, actor=officer, **import_fields()
    )
    assert (summary.created, summary.updated) == (0, 4)


def test_the_pool_export_runs_no_spreadsheet_formula_and_still_reads_back(
    session: Session, jury: Jury, officer: User
) -> None:
    formula = '=HYPERLINK("http://evil.example","Click")'
    services.register_volunteer(
        session,
        jury.id,
        volunteer(session, jury, name=formula, phone="+44 20 7946 0000", city="@London"),
        consent_text="x",
        now=NOW,
    )

    text = services.export_pool_csv(session, jury.id, actor=officer)

    assert "'=HYPERLINK" in text and "'+44 20 7946 0000" in text and "'@London" in text
    assert ",=HYPERLINK" not in text and ',"=HYPERLINK' not in text
    assert ",+44" not in text and ",@London" not in text
    # Read back, the details are what the volunteer typed, apostrophe gone.
    summary = services.import_pool(
        session, jury.id, text.encode(), None, actor=officer, **import_fields()
    )
    assert (summary.created, summary.updated) == (0, 1)
    [member] = members(session, jury.id)
    assert (member.name, member.phone, member.city) == (formula, "+44 20 7946 0000", "@London")


def test_only_the_jurys_officers_export_the_pool(session: Session, jury: Jury) -> None:
    make_member(session, jury)
    other_officer = make_user(session, role=Role.OFFICER)
    with pytest.raises(Forbidden):
        services.export_pool_csv(session, jury.id, actor=other_officer)
    assert actions(session, "jury.pool_exported") == []


# --- Quotas ------------------------------------------------------------------------------------


def test_quotas_are_saved_and_logged(session: Session, jury: Jury, officer: User) -> None:
    female = value_id(session, jury.id, "gender", "female")
    young = value_id(session, jury.id, "age", "16-39")
    services.set_quotas(session, jury.id, {female: (2, 2), young: (None, 3)}, actor=officer)

    values = feature_values(session, jury.id)
    assert (values["gender", "female"].quota_min, values["gender", "female"].quota_max) == (2, 2)
    assert (values["age", "16-39"].quota_min, values["age", "16-39"].quota_max) == (None, 3)
    [entry] = actions(session, "jury.quotas_set")
    assert {c["value"] for c in entry.details["changes"]} == {"female", "16-39"}


@pytest.mark.parametrize(
    ("bounds", "field"),
    [((3, 2), "max"), ((5, None), "min"), ((-1, 2), "min"), ((0, 10**9), "max")],
)
def test_impossible_quota_bounds_are_refused_beside_the_field(
    session: Session, jury: Jury, officer: User, bounds: tuple[int, int | None], field: str
) -> None:
    female = value_id(session, jury.id, "gender", "female")
    with pytest.raises(Invalid) as refused:
        services.set_quotas(session, jury.id, {female: bounds}, actor=officer)
    assert refused.value.field == f"{field}_{female}"
    assert feature_values(session, jury.id)["gender", "female"].quota_min == 1


def test_quotas_proposed_from_population_shares(session: Session, officer: User) -> None:
    jury = make_jury(
        session,
        officers=(officer,),
        panel_size=30,
        features={"gender": ["female", "male"], "age": ["young", "old"]},
        prefer_not_to_say=("gender",),
        quotas={("age", "young"): (5, 9)},
    )
    ids = {key: value.id for key, value in feature_values(session, jury.id).items()}
    shares: dict[int, float | None] = {
        ids["gender", "female"]: 51.5,
        ids["gender", "male"]: 48.5,
        ids["gender", "Prefer not to say"]: None,
        ids["age", "young"]: None,
        ids["age", "old"]: None,
    }
    services.propose_from_shares(session, jury.id, shares, actor=officer)

    values = feature_values(session, jury.id)
    assert (values["gender", "female"].quota_min, values["gender", "female"].quota_max) == (15, 16)
    assert (values["gender", "male"].quota_min, values["gender", "male"].quota_max) == (14, 15)
    assert values["gender", "female"].population_share == 51.5
    assert (values["age", "young"].quota_min, values["age", "young"].quota_max) == (5, 9)
    assert len(actions(session, "jury.quotas_proposed")) == 1


@pytest.mark.parametrize(
    ("female", "male", "field", "message"),
    [(51.5, None, "male", "every answer"), (60.0, 30.0, "female", "add up to 90")],
)
def test_shares_must_cover_every_answer_and_add_up_to_100(
    session: Session,
    jury: Jury,
    officer: User,
    female: float,
    male: float | None,
    field: str,
    message: str,
) -> None:
    ids = {key: value.id for key, value in feature_values(session, jury.id).items()}
    shares = {ids["gender", "female"]: female, ids["gender", "male"]: male}
    with pytest.raises(Invalid, match=message) as refused:
        services.propose_from_shares(session, jury.id, shares, actor=officer)
    assert refused.value.field == f"share_{ids['gender', field]}"


# --- Feasibility -------------------------------------------------------------------------------


def test_infeasible_quotas_are_explained_and_the_relaxation_can_be_applied(
    session: Session, officer: User
) -> None:
    jury = make_jury(
        session,
        officers=(officer,),
        panel_size=2,
        features={"gender": ["female", "male"]},
        quotas={("gender", "female"): (2, 2), ("gender", "male"): (0, 2)},
    )
    make_member(session, jury, {"gender": "female"})
    for _ in range(3):
        make_member(session, jury, {"gender": "male"})

    result = services.check_feasibility(session, jury.id)
    assert result is not None and result.relaxation
    assert [(c.feature, c.value, c.new_min) for c in result.relaxation] == [("gender", "female", 1)]

    with pytest.raises(Conflict, match="changed"):
        services.apply_relaxation(session, jury.id, digest="0" * 64, actor=officer)
    digest = services.relaxation_digest(result.relaxation)
    services.apply_relaxation(session, jury.id, digest=digest, actor=officer)

    assert feature_values(session, jury.id)["gender", "female"].quota_min == 1
    assert services.check_feasibility(session, jury.id) is None
    [entry] = actions(session, "jury.quotas_relaxed")
    assert entry.details["changes"][0]["new_min"] == 1
    with pytest.raises(Conflict, match="nothing to relax"):
        services.apply_relaxation(session, jury.id, digest=digest, actor=officer)


def test_an_empty_pool_has_nothing_to_check(session: Session, jury: Jury) -> None:
    with pytest.raises(Conflict, match="empty"):
        services.check_feasibility(session, jury.id)


# --- A frozen jury refuses changes to its pool and quotas --------------------------------------


def test_a_frozen_jury_refuses_every_change_to_pool_and_quotas(
    session: Session, officer: User
) -> None:
    jury = make_jury(session, officers=(officer,), status=JuryStatus.FROZEN)
    make_member(session, jury)
    female = value_id(session, jury.id, "gender", "female")
    gender = feature_id(session, jury.id, "gender")
    attempts: list[Any] = [
        lambda: services.set_quotas(session, jury.id, {female: (0, 1)}, actor=officer),
        lambda: services.propose_from_shares(session, jury.id, {}, actor=officer),
        lambda: services.import_pool(
            session, jury.id, PEOPLE, QUOTAS, actor=officer, **import_fields()
        ),
        lambda: services.preview_import(
            session, jury.id, PEOPLE, QUOTAS, replace=False, user=officer
        ),
        lambda: services.import_quotas(session, jury.id, QUOTAS, actor=officer),
        lambda: services.add_feature(session, jury.id, feature_fields(), actor=officer),
        lambda: services.update_feature(session, jury.id, gender, feature_fields(), actor=officer),
        lambda: services.remove_feature(session, jury.id, gender, actor=officer),
        lambda: services.apply_relaxation(session, jury.id, digest="x", actor=officer),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict, match="can no longer change"):
            attempt()
    with pytest.raises(Conflict, match="closed"):
        services.register_volunteer(
            session, jury.id, volunteer(session, jury), consent_text="x", now=NOW
        )
    assert len(members(session, jury.id)) == 1
    assert feature_values(session, jury.id)["gender", "female"].quota_min is None
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(JuryOfficer)
            .where(JuryOfficer.jury_id == jury.id)
        )
        == 1
    )


# --- The demo ----------------------------------------------------------------------------------


def test_the_demo_jury_has_a_pool_whose_quotas_can_be_met(session: Session, officer: User) -> None:
    mission = make_mission(session)
    demo.seed_jury(session, mission.id, officer, date(2026, 5, 1))

    [jury] = session.scalars(sa.select(Jury))
    assert jury.status is JuryStatus.OPEN
    pool = members(session, jury.id)
    assert len(pool) == 82
    assert {m.source for m in pool} == {MemberSource.IMPORT, MemberSource.REGISTRATION}
    assert len({m.household_key for m in pool}) < 82  # some share a home
    values = feature_values(session, jury.id)
    assert (values["gender", "Female"].quota_min, values["gender", "Female"].quota_max) == (6, 7)
    assert services.check_feasibility(session, jury.id) is None
