"""The age band a person may give for evaluation: stored only with consent, deleted on withdrawal,
read back as segments only for those who consented; and the "About you" page that sets it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts import services
from engage.accounts.models import AgeBand, DemographicProfile, User
from engage.accounts.services import DemographicsChange, consented_segments, set_demographics
from engage.audit import AuditEntry
from engage.errors import Invalid
from tests.accounts.test_views import body, field_error, flashes, location_path, text_of
from tests.conftest import AuthActions, counting_queries
from tests.factories import make_user

CONSENT_TEXT = (
    "Your age band may be used, with others', in anonymised evaluations of the missions you "
    "take part in. Groups of fewer than 10 people are never shown. Untick to withdraw at any "
    "time: it is deleted."
)


def profile_of(session: Session, user: User) -> DemographicProfile | None:
    session.expire_all()
    return session.get(DemographicProfile, user.id)


def audit_actions(session: Session) -> list[tuple[str, str, dict[str, object]]]:
    return [
        (entry.action, entry.subject, entry.details)
        for entry in session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
    ]


# --- The service ------------------------------------------------------------------------------


def test_consent_stores_the_band_and_logs_the_consent_without_the_band(session: Session) -> None:
    person = make_user(session)
    change = set_demographics(session, person, AgeBand.AGE_25_34, consent=True)

    assert change is DemographicsChange.SAVED
    profile = profile_of(session, person)
    assert profile is not None
    assert profile.age_band is AgeBand.AGE_25_34
    assert profile.consented_at == profile.updated_at
    assert profile.consented_at.tzinfo is not None
    assert audit_actions(session) == [("account.demographics_consented", f"user:{person.id}", {})]


def test_changing_the_band_keeps_the_date_of_consent(session: Session) -> None:
    person = make_user(session)
    set_demographics(session, person, "35-44", consent=True)
    first = profile_of(session, person)
    assert first is not None
    consented_at = first.consented_at

    assert set_demographics(session, person, "45-54", consent=True) is DemographicsChange.SAVED
    profile = profile_of(session, person)
    assert profile is not None
    assert profile.age_band is AgeBand.AGE_45_54
    assert profile.consented_at == consented_at
    assert profile.updated_at >= consented_at
    assert [action for action, _, _ in audit_actions(session)] == ["account.demographics_consented"]


@pytest.mark.parametrize(
    ("band", "consent"),
    [("25-34", False), (None, True), ("", True), (None, False)],
    ids=["consent withdrawn", "prefer not to say", "empty band", "neither"],
)
def test_withdrawal_deletes_the_profile(session: Session, band: str | None, consent: bool) -> None:
    person = make_user(session)
    set_demographics(session, person, AgeBand.AGE_65_74, consent=True)

    assert set_demographics(session, person, band, consent=consent) is DemographicsChange.DELETED
    assert profile_of(session, person) is None
    assert consented_segments(session, [person.id]) == {}
    assert audit_actions(session)[-1] == (
        "account.demographics_withdrawn",
        f"user:{person.id}",
        {},
    )


def test_without_consent_nothing_is_stored(session: Session) -> None:
    person = make_user(session)
    change = set_demographics(session, person, AgeBand.AGE_16_24, consent=False)

    assert change is DemographicsChange.NOTHING_STORED
    assert profile_of(session, person) is None
    assert audit_actions(session) == []


@pytest.mark.parametrize("band", ["99-100", "25 - 34", "75", "16-24\x00", "x" * 10_000])
def test_an_unknown_band_is_refused_beside_the_field(session: Session, band: str) -> None:
    person = make_user(session)
    set_demographics(session, person, AgeBand.AGE_55_64, consent=True)

    with pytest.raises(Invalid) as refused:
        set_demographics(session, person, band, consent=True)
    assert refused.value.field == "age_band"
    assert str(refused.value.message) == "Choose one of the age bands, or prefer not to say."
    profile = profile_of(session, person)
    assert profile is not None and profile.age_band is AgeBand.AGE_55_64


def test_segments_are_given_only_for_people_who_consented(session: Session) -> None:
    young, old, shy, declined = (make_user(session) for _ in range(4))
    set_demographics(session, young, AgeBand.AGE_16_24, consent=True)
    set_demographics(session, old, AgeBand.AGE_75_PLUS, consent=True)
    set_demographics(session, declined, AgeBand.AGE_35_44, consent=False)

    asked = [young.id, old.id, shy.id, declined.id, 999_999]
    assert consented_segments(session, asked) == {young.id: "age 16-24", old.id: "age 75+"}
    assert consented_segments(session, [old.id]) == {old.id: "age 75+"}


def test_segments_take_one_query_however_many_people_are_asked_about(session: Session) -> None:
    people = [make_user(session) for _ in range(3)]
    for person, band in zip(people, AgeBand, strict=False):
        set_demographics(session, person, band, consent=True)
    with counting_queries(session) as none:
        assert consented_segments(session, []) == {}
    assert none == []

    many = [person.id for person in people] + list(
        range(10_000_000, 10_000_000 + 3 * services.SEGMENT_ID_LIST_LIMIT)
    )
    with counting_queries(session) as few_queries:
        few = consented_segments(session, many[:2])
    with counting_queries(session) as many_queries:
        found = consented_segments(session, many)
    assert len(few_queries) == len(many_queries) == 1
    assert few == {people[0].id: "age 16-24", people[1].id: "age 25-34"}
    assert found == few | {people[2].id: "age 35-44"}
    # Above the limit every profile is read, but only those asked about come back.
    assert consented_segments(session, many[1:]) == {
        people[1].id: "age 25-34",
        people[2].id: "age 35-44",
    }


def test_a_deleted_account_takes_its_profile_with_it(session: Session) -> None:
    person = make_user(session)
    set_demographics(session, person, AgeBand.AGE_45_54, consent=True)
    session.execute(sa.delete(User).where(User.id == person.id))
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(DemographicProfile)) == 0


# --- The "About you" page ---------------------------------------------------------------------


def radio_checked(page: str, value: str) -> bool:
    found = re.search(rf'<input[^>]*\bname="age_band"[^>]*\bvalue="{re.escape(value)}"[^>]*>', page)
    assert found, f"no radio for {value}"
    return "checked" in found.group(0)


def consent_ticked(page: str) -> bool:
    found = re.search(r'<input[^>]*\bid="consent"[^>]*>', page)
    assert found, "no consent box"
    return "checked" in found.group(0)


@pytest.fixture
def rosa(session: Session, auth: AuthActions) -> User:
    person = make_user(session, email="rosa@example.org", display_name="Rosa")
    auth.sign_in("rosa@example.org")
    return person


def test_the_page_is_for_signed_in_people_only(client: FlaskClient) -> None:
    for response in (
        client.get("/account/about-you"),
        client.post("/account/about-you", data={"age_band": "25-34", "consent": "y"}),
    ):
        assert response.status_code == 302
        assert location_path(response).startswith("/sign-in")


def test_the_account_page_links_to_the_optional_page(client: FlaskClient, rosa: User) -> None:
    page = body(client.get("/account"))
    assert 'href="/account/about-you"' in page
    assert "Not given" in text_of(page)


def test_the_page_explains_the_consent_and_nothing_is_chosen_for_the_person(
    client: FlaskClient, rosa: User
) -> None:
    response = client.get("/account/about-you")
    assert response.status_code == 200
    page = body(response)
    assert CONSENT_TEXT in text_of(page)
    assert "Prefer not to say" in text_of(page)
    assert radio_checked(page, "prefer-not-to-say")
    assert not any(radio_checked(page, band.value) for band in AgeBand)
    assert not consent_ticked(page)


def test_consenting_stores_the_band_and_the_account_shows_it(
    client: FlaskClient, session: Session, rosa: User
) -> None:
    response = client.post("/account/about-you", data={"age_band": "25-34", "consent": "y"})
    assert response.status_code == 302
    assert location_path(response) == "/account"
    account = body(client.get("/account"))
    assert "Thank you. Your age band is saved for use in anonymised evaluations." in flashes(
        account
    )
    assert "25 to 34" in text_of(account)
    assert "Change or withdraw your age band" in text_of(account)
    profile = profile_of(session, rosa)
    assert profile is not None and profile.age_band is AgeBand.AGE_25_34

    again = body(client.get("/account/about-you"))
    assert radio_checked(again, "25-34")
    assert not radio_checked(again, "prefer-not-to-say")
    assert consent_ticked(again)


def test_unticking_withdraws_and_deletes(client: FlaskClient, session: Session, rosa: User) -> None:
    set_demographics(session, rosa, AgeBand.AGE_55_64, consent=True)
    response = client.post("/account/about-you", data={"age_band": "55-64"})
    assert response.status_code == 302
    account = body(client.get("/account"))
    assert "Your age band has been deleted. It will not be used in any new evaluation." in flashes(
        account
    )
    assert "Not given" in text_of(account)
    assert profile_of(session, rosa) is None


def test_a_band_without_consent_is_not_stored(
    client: FlaskClient, session: Session, rosa: User
) -> None:
    response = client.post("/account/about-you", data={"age_band": "16-24"})
    assert response.status_code == 302
    assert (
        "Your age band has not been stored: tick the box if you agree to its use in evaluations."
        in flashes(body(client.get("/account")))
    )
    assert profile_of(session, rosa) is None


def test_prefer_not_to_say_stores_nothing(
    client: FlaskClient, session: Session, rosa: User
) -> None:
    response = client.post(
        "/account/about-you", data={"age_band": "prefer-not-to-say", "consent": "y"}
    )
    assert response.status_code == 302
    assert "Nothing is stored about your age." in flashes(body(client.get("/account")))
    assert profile_of(session, rosa) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"age_band": "99-100", "consent": "y"},
            "Choose one of the age bands, or prefer not to say.",
        ),
        (
            {"age_band": "25-34\x00", "consent": "y"},
            "Choose one of the age bands, or prefer not to say.",
        ),
        ({"consent": "y"}, "Choose your age band, or prefer not to say."),
    ],
    ids=["unknown band", "NUL", "missing"],
)
def test_a_bad_band_is_refused_beside_the_field_and_the_consent_kept(
    client: FlaskClient,
    session: Session,
    rosa: User,
    data: dict[str, str],
    message: str,
) -> None:
    set_demographics(session, rosa, AgeBand.AGE_35_44, consent=True)
    response = client.post("/account/about-you", data=data)
    assert response.status_code == 400
    page = body(response)
    assert field_error(page, "age_band") == f"Error: {message}"
    assert "There is a problem" in page
    assert consent_ticked(page)
    profile = profile_of(session, rosa)
    assert profile is not None and profile.age_band is AgeBand.AGE_35_44
