"""Jury pages through the test client: the public volunteer page, setting a jury up, the pool,
CSV import and export, quotas and feasibility, and who may see and do what."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.extensions import db
from engage.juries.models import (
    FeatureValue,
    Jury,
    JuryFeature,
    JuryOfficer,
    JuryStatus,
    PoolMember,
)
from engage.juries.pooldata import read_pool
from engage.security import Role
from tests.conftest import AuthActions
from tests.factories import make_jury, make_member, make_mission, make_user
from tests.missions.test_views import field_error, field_value, page_text, sign_in

QUOTAS = b"feature,value,min,max\ngender,female,1,3\ngender,male,1,3\nage,16-39,0,4\nage,40+,0,4\n"
PEOPLE = (
    b"id,first_name,last_name,email,primary_address1,primary_city,primary_zip,gender,age\n"
    b"p1,Ada,Lovelace,ada@example.org,12 High Street,London,N1 1AA,female,40+\n"
    b"p2,Alan,Turing,alan@example.org,12 High Street,London,N11AA,male,16-39\n"
    b"p3,Grace,Hopper,grace@example.org,3 Low Road,Leeds,LS1 1AA,female,16-39\n"
)


@pytest.fixture
def officer(session: Session) -> User:
    return make_user(session, role=Role.OFFICER, email="olu@example.org")


@pytest.fixture
def jury(session: Session, officer: User) -> Jury:
    return make_jury(
        session,
        title="Healthy Streets Jury",
        slug="healthy-streets",
        officers=(officer,),
        quotas={("gender", "female"): (1, 3), ("gender", "male"): (1, 3)},
        prefer_not_to_say=("age",),
    )


def members(session: Session, jury_id: int) -> list[PoolMember]:
    session.rollback()
    return list(
        session.scalars(
            sa.select(PoolMember).where(PoolMember.jury_id == jury_id).order_by(PoolMember.id)
        )
    )


def values_of(session: Session, jury_id: int) -> dict[tuple[str, str], FeatureValue]:
    session.rollback()
    rows = session.execute(
        sa.select(JuryFeature.key, FeatureValue)
        .join(FeatureValue, FeatureValue.feature_id == JuryFeature.id)
        .where(JuryFeature.jury_id == jury_id)
    )
    return {(key, value.key): value for key, value in rows}


def audit_actions(session: Session) -> list[str]:
    session.rollback()
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def answer_ids(session: Session, jury_id: int, answers: dict[str, str]) -> dict[str, str]:
    """Form fields choosing the given answers: {"q<feature id>": "<value id>"}."""
    session.rollback()
    fields: dict[str, str] = {}
    for feature in session.scalars(sa.select(JuryFeature).where(JuryFeature.jury_id == jury_id)):
        value = next(v for v in feature.values if v.key == answers[feature.key])
        fields[f"q{feature.id}"] = str(value.id)
    return fields


def registration(session: Session, jury: Jury, **changes: str) -> dict[str, str]:
    return {
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "phone": "",
        "address_line1": "12 High Street",
        "address_line2": "",
        "city": "London",
        "postcode": "N1 1AA",
        "consent": "y",
        **answer_ids(session, jury.id, {"gender": "female", "age": "40+"}),
        **changes,
    }


def upload(data: bytes, name: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(data), name


def table_rows(page: str, caption: str) -> list[list[str]]:
    """The cells of the table with this caption, row by row, as plain text."""
    for table in re.findall(r"<table>.*?</table>", page, re.DOTALL):
        if caption in table:
            rows = re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)
            return [
                [
                    html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                    for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)
                ]
                for row in rows
            ]
    raise AssertionError(f"no table captioned {caption!r}")


# --- The public volunteer page -----------------------------------------------------------------


def test_the_volunteer_page_states_purpose_retention_and_hides_the_honeypot(
    client: FlaskClient, jury: Jury
) -> None:
    response = client.get("/juries/healthy-streets/volunteer")

    assert response.status_code == 200
    raw = response.get_data(as_text=True)
    page = page_text(response)
    assert "To select a jury that reflects the borough." in page
    retention = jury.retention_until.strftime("%B %-d, %Y")
    assert f"deleted by {retention} at the latest" in page
    assert 'type="radio"' in raw
    assert "Prefer not to say" in page
    # The consent statement is tied to the box for screen readers.
    checkbox = re.search(r'<input[^>]*name="consent"[^>]*>', raw)
    assert checkbox is not None
    assert 'aria-describedby="consent-hint"' in checkbox.group(0)
    assert re.search(r'<p class="hint" id="consent-hint">I agree that my contact details', raw)
    honeypot = re.search(r'<div class="visually-hidden" aria-hidden="true">(.*?)</div>', raw, re.S)
    assert honeypot is not None
    assert re.search(r'<input[^>]*name="website"[^>]*tabindex="-1"', honeypot.group(1))


def test_registering_stores_the_volunteer_and_the_consent_text_they_saw(
    client: FlaskClient, session: Session, jury: Jury
) -> None:
    shown = page_text(client.get("/juries/healthy-streets/volunteer"))
    response = client.post("/juries/healthy-streets/volunteer", data=registration(session, jury))

    assert response.status_code == 302
    assert response.headers["Location"] == "/juries/healthy-streets/volunteer/thanks"
    thanks = page_text(client.get(response.headers["Location"]))
    assert "Thank you for volunteering" in thanks
    [member] = members(session, jury.id)
    assert member.name == "Ada Lovelace"
    assert member.consent_text in shown
    assert "special categories of personal data" in member.consent_text
    assert member.consent_given_at > datetime.now(UTC) - timedelta(minutes=5)


def test_the_volunteer_is_shown_their_pseudonym_once_and_nowhere_public(
    client: FlaskClient, session: Session, jury: Jury
) -> None:
    response = client.post("/juries/healthy-streets/volunteer", data=registration(session, jury))
    [member] = members(session, jury.id)
    pseudonym = member.pseudonym

    thanks = client.get(response.headers["Location"])
    raw = thanks.get_data(as_text=True)
    assert f'<code id="pseudonym">{pseudonym}</code>' in raw
    assert thanks.headers["Cache-Control"] == "no-store"
    assert pseudonym not in client.get(response.headers["Location"]).get_data(as_text=True)
    for public in ("/juries/", f"/juries/{jury.id}", "/juries/healthy-streets/volunteer"):
        assert pseudonym not in client.get(public).get_data(as_text=True), public

    # Registering again (the same e-mail address) shows the new pseudonym it gets.
    again = client.post("/juries/healthy-streets/volunteer", data=registration(session, jury))
    [updated] = members(session, jury.id)
    assert updated.pseudonym != pseudonym
    shown = client.get(again.headers["Location"]).get_data(as_text=True)
    assert f'<code id="pseudonym">{updated.pseudonym}</code>' in shown


def test_registering_again_with_the_same_email_updates_the_first(
    client: FlaskClient, session: Session, jury: Jury
) -> None:
    client.post("/juries/healthy-streets/volunteer", data=registration(session, jury))
    again = registration(
        session,
        jury,
        email="ADA@Example.org",
        name="Ada King",
        **answer_ids(session, jury.id, {"gender": "female", "age": "Prefer not to say"}),
    )
    response = client.post("/juries/healthy-streets/volunteer", data=again)

    assert response.status_code == 302
    [member] = members(session, jury.id)
    assert member.name == "Ada King"
    prefer = values_of(session, jury.id)["age", "Prefer not to say"].id
    assert prefer in {answer.value_id for answer in member.answers}


def test_without_consent_nothing_is_stored_and_the_answers_stay(
    client: FlaskClient, session: Session, jury: Jury
) -> None:
    data = registration(session, jury)
    del data["consent"]
    response = client.post("/juries/healthy-streets/volunteer", data=data)

    assert response.status_code == 200
    raw = response.get_data(as_text=True)
    assert "Tick the box to give your consent" in field_error(raw, "consent")
    assert field_value(raw, "name") == "Ada Lovelace"
    assert field_value(raw, "postcode") == "N1 1AA"
    assert members(session, jury.id) == []


def test_a_missing_answer_is_shown_beside_its_question(
    client: FlaskClient, session: Session, jury: Jury
) -> None:
    data = registration(session, jury)
    gender_field = next(name for name in data if name.startswith("q"))
    del data[gender_field]
    response = client.post("/juries/healthy-streets/volunteer", data=data)
    assert response.status_code == 200
    assert field_error(response.get_data(as_text=True), gender_field) == "Choose an answer."
    assert members(session, jury.id) == []


def test_a_filled_honeypot_gets_the_thank_you_page_and_stores_nothing(
    client: FlaskClient, session: Session, jury: Jury
) -> None:
    data = registration(session, jury, website="http://spam.example")
    response = client.post("/juries/healthy-streets/volunteer", data=data)

    assert response.status_code == 302
    assert response.headers["Location"] == "/juries/healthy-streets/volunteer/thanks"
    assert members(session, jury.id) == []
    assert "jury.volunteer_registered" not in audit_actions(session)
    thanks = client.get(response.headers["Location"])
    assert "Thank you for volunteering" in page_text(thanks)
    assert 'id="pseudonym"' not in thanks.get_data(as_text=True)  # nothing was stored


def test_registrations_are_rate_limited_per_connection(
    client: FlaskClient, session: Session, jury: Jury
) -> None:
    for number in range(10):
        data = registration(session, jury, email=f"person{number}@example.org")
        assert client.post("/juries/healthy-streets/volunteer", data=data).status_code == 302

    data = registration(session, jury, email="eleventh@example.org", name="Eleventh Person")
    response = client.post("/juries/healthy-streets/volunteer", data=data)

    assert response.status_code == 429
    raw = response.get_data(as_text=True)
    assert "Too many registrations from this connection" in page_text(response)
    assert field_value(raw, "name") == "Eleventh Person"
    assert len(members(session, jury.id)) == 10


@pytest.mark.parametrize(
    ("opens", "closes", "message"),
    [
        (timedelta(days=1), None, "Registration opens on"),
        (None, -timedelta(minutes=1), "Registration for this jury is closed"),
    ],
)
def test_outside_the_window_there_is_no_form_and_posts_store_nothing(
    client: FlaskClient,
    session: Session,
    opens: timedelta | None,
    closes: timedelta | None,
    message: str,
) -> None:
    now = datetime.now(UTC)
    jury = make_jury(
        session,
        slug="windowed",
        registration_opens=now + opens if opens else None,
        registration_closes=now + closes if closes else None,
    )
    page = client.get("/juries/windowed/volunteer")
    assert page.status_code == 200
    assert message in page_text(page)
    assert 'name="email"' not in page.get_data(as_text=True)

    response = client.post("/juries/windowed/volunteer", data=registration(session, jury))
    assert response.status_code == 200
    assert members(session, jury.id) == []


def test_a_draft_jury_is_not_found_by_the_public(client: FlaskClient, session: Session) -> None:
    jury = make_jury(session, slug="draft-jury", status=JuryStatus.DRAFT)
    assert client.get("/juries/draft-jury/volunteer").status_code == 404
    assert client.get(f"/juries/{jury.id}").status_code == 404
    assert "draft-jury" not in client.get("/juries/").get_data(as_text=True)


# --- Setting a jury up -------------------------------------------------------------------------


def test_an_officer_creates_a_jury_and_becomes_its_officer(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User
) -> None:
    mission = make_mission(session, title="Healthy streets")
    sign_in(auth, officer)
    form = {
        "mission_id": str(mission.id),
        "title": "Street Space Jury",
        "question": "How should we share street space?",
        "panel_size": "30",
        "purpose": "To select a jury like the borough.",
        "registration_opens": "2030-01-01T09:00",
        "registration_closes": "2030-02-01T17:00",
        "retention_until": "2029-12-31",  # before registration closes
        "household_rule": "y",
        "status": "open",
    }
    refused = client.post("/juries/new", data=form)
    assert refused.status_code == 200
    raw = refused.get_data(as_text=True)
    assert "cannot be deleted before registration closes" in field_error(raw, "retention_until")
    assert field_value(raw, "title") == "Street Space Jury"
    assert field_value(raw, "registration_opens") == "2030-01-01T09:00"

    response = client.post("/juries/new", data={**form, "retention_until": "2031-06-30"})
    assert response.status_code == 302
    session.rollback()
    jury = session.scalars(sa.select(Jury)).one()
    assert response.headers["Location"] == f"/juries/{jury.id}"
    assert jury.registration_opens == datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    assert jury.status is JuryStatus.OPEN
    officers = session.scalars(sa.select(JuryOfficer.user_id).where(JuryOfficer.jury_id == jury.id))
    assert list(officers) == [officer.id]
    assert "jury.created" in audit_actions(session)

    page = page_text(client.get(f"/juries/{jury.id}"))
    assert "Volunteer for this jury" not in page  # registration opens in 2030
    assert "Manage this jury" in page


def test_features_are_added_from_one_answer_per_line(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User
) -> None:
    jury = make_jury(session, officers=(officer,), features={})
    sign_in(auth, officer)
    response = client.post(
        f"/juries/{jury.id}/features",
        data={
            "label": "Age band",
            "key": "",
            "values": "16-29\r\n30-44\r\n\r\n45+\r\n",
            "allow_prefer_not_to_say": "y",
        },
    )
    assert response.status_code == 302
    values = values_of(session, jury.id)
    assert sorted(key for _, key in values) == ["16-29", "30-44", "45+", "Prefer not to say"]
    assert {feature for feature, _ in values} == {"age_band"}

    duplicate = client.post(
        f"/juries/{jury.id}/features", data={"label": "Age", "values": "old\nOld"}
    )
    assert duplicate.status_code == 200
    assert "listed twice" in field_error(duplicate.get_data(as_text=True), "values")


def test_officers_add_colleagues_to_their_jury(
    client: FlaskClient, auth: AuthActions, session: Session, jury: Jury, officer: User
) -> None:
    colleague = make_user(session, role=Role.OFFICER, email="colleague@example.org")
    sign_in(auth, officer)
    unknown = client.post(f"/juries/{jury.id}/officers", data={"email": "nobody@example.org"})
    assert "No officer has an account" in field_error(unknown.get_data(as_text=True), "email")

    assert (
        client.post(f"/juries/{jury.id}/officers", data={"email": colleague.email}).status_code
        == 302
    )
    page = page_text(client.get(f"/juries/{jury.id}/officers"))
    assert colleague.display_name in page
    removed = client.post(f"/juries/{jury.id}/officers/{officer.id}/remove")
    assert removed.status_code == 302
    assert client.get(f"/juries/{jury.id}/officers").status_code == 403


# --- Who may see and do what -------------------------------------------------------------------


MANAGER_PAGES = [
    "/juries/{id}/edit",
    "/juries/{id}/features",
    "/juries/{id}/officers",
    "/juries/{id}/quotas",
    "/juries/{id}/quotas/import",
    "/juries/{id}/quotas/propose",
    "/juries/{id}/pool/import",
]


@pytest.mark.parametrize(
    ("who", "status"),
    [("resident", 403), ("other_officer", 403), ("jury_officer", 200), ("admin", 200)],
)
def test_only_the_jurys_officers_and_admins_manage_it(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    jury: Jury,
    officer: User,
    who: str,
    status: int,
) -> None:
    people = {
        "resident": make_user(session),
        "other_officer": make_user(session, role=Role.OFFICER),
        "jury_officer": officer,
        "admin": make_user(session, role=Role.ADMIN),
    }
    make_jury(session, officers=(people["other_officer"],))
    sign_in(auth, people[who])
    for path in MANAGER_PAGES:
        assert client.get(path.format(id=jury.id)).status_code == status, path
    export = client.post(f"/juries/{jury.id}/pool/export")
    assert export.status_code == status
    quotas_before = values_of(session, jury.id)["gender", "female"].quota_min
    female = values_of(session, jury.id)["gender", "female"].id
    client.post(f"/juries/{jury.id}/quotas", data={f"min_{female}": "0", f"max_{female}": "4"})
    changed = values_of(session, jury.id)["gender", "female"].quota_min != quotas_before
    assert changed is (status == 200)


def test_contact_details_are_shown_only_to_the_jurys_officers(
    client: FlaskClient, auth: AuthActions, session: Session, jury: Jury, officer: User
) -> None:
    member = make_member(session, jury, name="Ada Lovelace", email="ada@example.org")
    other = make_user(session, role=Role.OFFICER)
    pseudonym = member.pseudonym

    sign_in(auth, other)
    page = page_text(client.get(f"/juries/{jury.id}/pool"))
    assert pseudonym in page
    assert "Ada Lovelace" not in page
    assert "ada@example.org" not in page
    assert "Only this jury's officers see contact details." in page
    assert client.post(f"/juries/{jury.id}/pool/export").status_code == 403

    auth.sign_out()
    sign_in(auth, officer)
    page = page_text(client.get(f"/juries/{jury.id}/pool"))
    assert "Ada Lovelace" in page
    assert "ada@example.org" in page


# --- The pool page -----------------------------------------------------------------------------


def test_the_pool_page_shows_counts_beside_quotas_as_a_table_and_a_chart(
    client: FlaskClient, auth: AuthActions, session: Session, jury: Jury, officer: User
) -> None:
    for gender in ("female", "female", "male"):
        make_member(session, jury, {"gender": gender, "age": "40+"})
    sign_in(auth, officer)
    response = client.get(f"/juries/{jury.id}/pool")

    assert response.status_code == 200
    raw = response.get_data(as_text=True)
    rows = table_rows(raw, "Volunteers and quotas for Gender")
    assert rows[1][:5] == ["female", "2", "66.7%", "1", "3"]
    assert rows[2][:5] == ["male", "1", "33.3%", "1", "3"]
    age_rows = table_rows(raw, "Volunteers and quotas for Age")
    assert age_rows[1][:5] == ["16-39", "0", "0.0%", "0", "4"]
    assert raw.count("<svg") == 2
    assert "2 (quota 1–3)" in page_text(response)


def test_the_member_list_is_paginated(
    client: FlaskClient, auth: AuthActions, session: Session, jury: Jury, officer: User
) -> None:
    for _ in range(51):
        make_member(session, jury)
    sign_in(auth, officer)
    first = client.get(f"/juries/{jury.id}/pool").get_data(as_text=True)
    second = client.get(f"/juries/{jury.id}/pool?page=2").get_data(as_text=True)
    assert first.count("V-T") == 50
    assert second.count("V-T") == 1
    assert "Next page" in first and "Next page" not in second


# --- Import ------------------------------------------------------------------------------------


def test_an_import_with_errors_lists_each_with_file_line_and_column_and_imports_nothing(
    client: FlaskClient, auth: AuthActions, session: Session, jury: Jury, officer: User
) -> None:
    sign_in(auth, officer)
    people = PEOPLE + b"p4,Bad,Row,bad@example.org,1 Road,Town,X1,femme,40+\n"
    quotas = QUOTAS + b"age,65+,-2,4\n"
    response = client.post(
        f"/juries/{jury.id}/pool/import",
        data={"people": upload(people, "people.csv"), "quotas": upload(quotas, "features.csv")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 200
    rows = table_rows(response.get_data(as_text=True), "Problems in the uploaded files")
    assert rows[1][:3] == ["People file", "5", "gender"]
    assert "femme is not a value of gender" in rows[1][3]
    assert rows[2][:3] == ["Quotas file", "6", "min"]
    assert "negative" in rows[2][3]
    assert "The files have 2 problems. Nothing was imported." in page_text(response)
    assert members(session, jury.id) == []
    assert "jury.pool_imported" not in audit_actions(session)


def test_import_previews_then_imports_only_after_the_officer_confirms(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    jury: Jury,
    officer: User,
    app: Flask,
) -> None:
    sign_in(auth, officer)
    response = client.post(
        f"/juries/{jury.id}/pool/import",
        data={"people": upload(PEOPLE, "people.csv"), "quotas": upload(QUOTAS, "features.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    token = preview_url.rsplit("/", 1)[1]
    staged = Path(app.instance_path) / "jury-uploads" / str(jury.id) / token
    assert (staged / "people.csv").read_bytes() == PEOPLE

    preview = client.get(preview_url)
    assert preview.status_code == 200
    text = page_text(preview)
    assert "Sortition Foundation" in text
    assert table_rows(preview.get_data(as_text=True), "gender")[1] == ["female", "2", "1", "3"]
    assert "Ada" in text and "p3" in text
    assert members(session, jury.id) == []

    unconfirmed = client.post(preview_url, data={})
    assert unconfirmed.status_code == 200
    assert "Confirm that the volunteers consented" in field_error(
        unconfirmed.get_data(as_text=True), "attest"
    )
    assert members(session, jury.id) == []

    done = client.post(preview_url, data={"attest": "y"})
    assert done.status_code == 302
    assert done.headers["Location"] == f"/juries/{jury.id}/pool"
    pool = members(session, jury.id)
    assert sorted(m.external_id or "" for m in pool) == ["p1", "p2", "p3"]
    assert all("confirmed that every person in the file agreed" in m.consent_text for m in pool)
    assert not staged.exists()  # the personal data left the disk

    again = client.post(preview_url, data={"attest": "y"})
    assert again.status_code == 302
    assert again.headers["Location"] == f"/juries/{jury.id}/pool/import"
    assert len(members(session, jury.id)) == 3


def test_pool_and_quotas_export_round_trip(
    client: FlaskClient, auth: AuthActions, session: Session, jury: Jury, officer: User
) -> None:
    make_member(session, jury, {"gender": "male", "age": "40+"}, email="bo@example.org")
    make_member(session, jury, {"gender": "female", "age": "16-39"}, email="cy@example.org")
    sign_in(auth, officer)

    people = client.post(f"/juries/{jury.id}/pool/export")
    quotas = client.get(f"/juries/{jury.id}/quotas.csv")

    assert people.status_code == quotas.status_code == 200
    assert people.mimetype == "text/csv"
    assert (
        people.headers["Content-Disposition"] == 'attachment; filename="healthy-streets-people.csv"'
    )
    assert people.headers["Cache-Control"] == "no-store"
    data = read_pool(people.data, quotas.data)
    assert [(p.contact["email"], p.values) for p in data.people] == [
        ("bo@example.org", {"gender": "male", "age": "40+"}),
        ("cy@example.org", {"gender": "female", "age": "16-39"}),
    ]
    assert ("gender", "female", 1, 3) in {(q.feature, q.value, q.min, q.max) for q in data.quotas}
    assert audit_actions(session).count("jury.pool_exported") == 1


# --- Quotas ------------------------------------------------------------------------------------


def test_the_quota_form_keeps_input_and_shows_errors_beside_fields(
    client: FlaskClient, auth: AuthActions, session: Session, jury: Jury, officer: User
) -> None:
    values = values_of(session, jury.id)
    female, male = values["gender", "female"].id, values["gender", "male"].id
    sign_in(auth, officer)

    refused = client.post(
        f"/juries/{jury.id}/quotas",
        data={f"min_{female}": "3", f"max_{female}": "2", f"min_{male}": "9", f"max_{male}": "x"},
    )
    assert refused.status_code == 200
    raw = refused.get_data(as_text=True)
    assert "at least the minimum" in field_error(raw, f"max_{female}")
    assert "Not a valid integer value." in field_error(raw, f"max_{male}")
    assert field_value(raw, f"min_{female}") == "3"
    assert field_value(raw, f"max_{female}") == "2"
    assert values_of(session, jury.id)["gender", "female"].quota_max == 3

    saved = client.post(
        f"/juries/{jury.id}/quotas",
        data={f"min_{female}": "2", f"max_{female}": "2", f"min_{male}": "", f"max_{male}": "4"},
    )
    assert saved.status_code == 302
    values = values_of(session, jury.id)
    assert (values["gender", "female"].quota_min, values["gender", "female"].quota_max) == (2, 2)
    assert (values["gender", "male"].quota_min, values["gender", "male"].quota_max) == (None, 4)


def test_quotas_proposed_from_shares(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User
) -> None:
    jury = make_jury(
        session, officers=(officer,), panel_size=30, features={"gender": ["female", "male"]}
    )
    values = values_of(session, jury.id)
    female, male = values["gender", "female"].id, values["gender", "male"].id
    sign_in(auth, officer)

    wrong = client.post(
        f"/juries/{jury.id}/quotas/propose", data={f"share_{female}": "60", f"share_{male}": "30"}
    )
    assert "add up to 90%; they should add up to 100%" in field_error(
        wrong.get_data(as_text=True), f"share_{female}"
    )

    response = client.post(
        f"/juries/{jury.id}/quotas/propose",
        data={f"share_{female}": "51.5", f"share_{male}": "48.5"},
    )
    assert response.status_code == 302
    values = values_of(session, jury.id)
    assert (values["gender", "female"].quota_min, values["gender", "female"].quota_max) == (15, 16)
    assert values["gender", "male"].population_share == 48.5


def test_a_quotas_file_alone_replaces_the_quotas(
    client: FlaskClient, auth: AuthActions, session: Session, jury: Jury, officer: User
) -> None:
    sign_in(auth, officer)
    bad = client.post(
        f"/juries/{jury.id}/quotas/import",
        data={"quotas": upload(b"feature,value,min,max\ngender,female,4,2\n", "f.csv")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 200
    assert table_rows(bad.get_data(as_text=True), "Problems")[1][:3] == ["Quotas file", "2", "min"]

    good = client.post(
        f"/juries/{jury.id}/quotas/import",
        data={"quotas": upload(QUOTAS.replace(b"female,1,3", b"female,2,2"), "f.csv")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    assert values_of(session, jury.id)["gender", "female"].quota_min == 2


# --- Feasibility -------------------------------------------------------------------------------


def test_feasibility_explains_the_conflict_and_applies_the_relaxation(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User
) -> None:
    jury = make_jury(
        session,
        officers=(officer,),
        panel_size=2,
        features={"gender": ["female", "male"]},
        quotas={("gender", "female"): (2, 2)},
    )
    make_member(session, jury, {"gender": "female"})
    make_member(session, jury, {"gender": "male"})
    make_member(session, jury, {"gender": "male"})
    sign_in(auth, officer)

    response = client.get(f"/juries/{jury.id}/feasibility")
    assert response.status_code == 200
    page = page_text(response)
    assert "Not feasible" in page
    assert "asks for at least 2 people, but only 1 volunteers" in page
    assert "Lower the minimum of Gender “female” from 2 to 1." in page
    assert "Apply this relaxation" in page
    digest = re.search(r'name="digest"[^>]*value="([0-9a-f]{64})"', response.get_data(as_text=True))
    assert digest is not None

    applied = client.post(f"/juries/{jury.id}/feasibility/relax", data={"digest": digest.group(1)})
    assert applied.status_code == 302
    assert values_of(session, jury.id)["gender", "female"].quota_min == 1
    assert "jury.quotas_relaxed" in audit_actions(session)
    after = page_text(client.get(f"/juries/{jury.id}/feasibility"))
    assert "Feasible: at least one panel of 2 volunteers meets every quota." in after


def test_feasibility_of_an_empty_pool_says_so(
    client: FlaskClient, auth: AuthActions, jury: Jury, officer: User
) -> None:
    sign_in(auth, officer)
    response = client.get(f"/juries/{jury.id}/feasibility")
    assert response.status_code == 200
    assert "The pool is empty" in page_text(response)


# --- A frozen jury -----------------------------------------------------------------------------


def test_a_frozen_jury_refuses_changes_with_a_clear_message(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User
) -> None:
    jury = make_jury(session, officers=(officer,), status=JuryStatus.FROZEN, slug="frozen")
    make_member(session, jury)
    female = values_of(session, jury.id)["gender", "female"].id
    sign_in(auth, officer)
    message = (
        "A draw has been committed for this jury, so its pool and quotas can no longer change."
    )

    quotas = client.post(f"/juries/{jury.id}/quotas", data={f"min_{female}": "1"})
    assert quotas.status_code == 200
    assert message in page_text(quotas)
    imported = client.post(
        f"/juries/{jury.id}/pool/import",
        data={"people": upload(PEOPLE, "p.csv")},
        content_type="multipart/form-data",
    )
    assert message in page_text(imported)
    assert 'name="people"' not in imported.get_data(as_text=True)  # no form to try again
    volunteer = client.post("/juries/frozen/volunteer", data=registration(session, jury))
    assert "Registration for this jury is closed" in page_text(volunteer)
    assert len(members(session, jury.id)) == 1
    assert values_of(session, jury.id)["gender", "female"].quota_min is None
    assert not any(a.startswith("jury.") and a != "jury.created" for a in audit_actions(session))


def test_index_lists_open_juries_for_everyone(
    client: FlaskClient, session: Session, jury: Jury
) -> None:
    make_jury(session, title="Hidden Draft", status=JuryStatus.DRAFT)
    page = page_text(client.get("/juries/"))
    assert "Healthy Streets Jury" in page
    assert "Hidden Draft" not in page
    public = page_text(client.get(f"/juries/{jury.id}"))
    assert "Volunteer for this jury" in public
    assert "Manage this jury" not in public


def test_registration_times_are_typed_and_shown_in_the_citys_time_zone(make_app: Any) -> None:
    app = make_app(BABEL_DEFAULT_TIMEZONE="Europe/London")
    client = app.test_client()
    opens = datetime(2030, 7, 1, 8, 0, tzinfo=UTC)  # 09:00 in London (summer time)
    with app.app_context():
        officer = make_user(db.session, role=Role.OFFICER)
        jury = make_jury(db.session, officers=(officer,), registration_opens=opens)
        jury_id, email = jury.id, officer.email
        fields = {
            "title": jury.title,
            "question": jury.question,
            "panel_size": "4",
            "purpose": jury.purpose,
            "registration_opens": "2030-07-01T10:30",
            "registration_closes": "",
            "retention_until": jury.retention_until.isoformat(),
            "status": "open",
        }
    AuthActions(client).sign_in(email)

    raw = client.get(f"/juries/{jury_id}/edit").get_data(as_text=True)
    assert field_value(raw, "registration_opens") == "2030-07-01T09:00"

    assert client.post(f"/juries/{jury_id}/edit", data=fields).status_code == 302
    with app.app_context():
        saved = db.session.get(Jury, jury_id)
        assert saved is not None
        assert saved.registration_opens == datetime(2030, 7, 1, 9, 30, tzinfo=UTC)
        assert saved.household_rule is False  # the box was left unticked
