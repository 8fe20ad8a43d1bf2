"""Account pages through the test client: what a person sees, where they are sent, what is saved."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from engage.accounts import services
from engage.accounts.models import User
from engage.extensions import db
from engage.mail import MemoryBackend
from engage.security import Role
from tests.conftest import AuthActions
from tests.factories import DEFAULT_PASSWORD, make_user

NEW_PASSWORD = "amber meadow tortoise"
SIGN_IN_FAILED = "The e-mail address or password is not right."
TOO_MANY = "Too many sign-in attempts"

MakeApp = Callable[..., Flask]


# --- Reading pages ----------------------------------------------------------------------------


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def field_error(page: str, field_id: str) -> str:
    """The error shown beside a field (rendered by the field macro), or "" if there is none."""
    found = re.search(
        rf'<p class="error-message" id="{re.escape(field_id)}-error">(.*?)</p>', page, re.S
    )
    return text_of(found.group(1)) if found else ""


def input_tag(page: str, field_id: str) -> str:
    found = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    assert found, f"no input #{field_id} on the page"
    return found.group(0)


def input_value(page: str, field_id: str) -> str:
    """The value an input shows ("" when it has none)."""
    found = re.search(r'\bvalue="([^"]*)"', input_tag(page, field_id))
    return html.unescape(found.group(1)) if found else ""


def flashes(page: str) -> list[str]:
    return [text_of(m) for m in re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', page, re.S)]


def body(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def location_path(response: TestResponse) -> str:
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def is_signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def count_users(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(User)) or 0


# --- Registration -----------------------------------------------------------------------------


def registration(**overrides: str) -> dict[str, str]:
    data = {
        "display_name": "Ada Lovelace",
        "email": "ada@example.org",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def test_register_signs_the_person_in_and_goes_home(client: FlaskClient, session: Session) -> None:
    response = client.post("/register", data=registration(email=" Ada@Example.org "))
    assert response.status_code == 302
    assert location_path(response) == "/"
    home = client.get("/")
    assert "Welcome, Ada Lovelace. Your account is ready." in flashes(body(home))

    user = services.get_user_by_email(session, "ada@example.org")
    assert user is not None
    assert user.email == "ada@example.org"
    account = client.get("/account")
    assert account.status_code == 200
    assert "ada@example.org" in body(account)


LONG_NAME = "Bartholomew " * 7  # 84 characters
LONG_EMAIL = "a" * 250 + "@example.org"

# (what is changed from a good registration, the error expected beside each field)
BAD_REGISTRATIONS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "empty": (
        {"display_name": "", "email": "", "password": "", "confirm": ""},
        {
            "display_name": "Enter a name.",
            "email": "Enter your e-mail address.",
            "password": "Choose a password.",
            "confirm": "Type the password again.",
        },
    ),
    "only spaces": (
        {"display_name": "   ", "email": "   "},
        {"display_name": "Enter a name.", "email": "Enter your e-mail address."},
    ),
    "bad e-mail": (
        {"email": "ada.example.org"},
        {"email": "Enter an e-mail address like name@example.org."},
    ),
    "short password": (
        {"password": "short", "confirm": "short"},
        {"password": "Use at least 10 characters."},
    ),
    "mismatched confirmation": (
        {"confirm": "amber meadow tortoisf"},
        {"confirm": "The two passwords are not the same."},
    ),
    "common password": (
        {"password": "Password123", "confirm": "Password123"},
        {"password": "This password is too common. Choose one that is harder to guess."},
    ),
    "name as password": (
        {"password": "Ada Lovelace", "confirm": "Ada Lovelace"},
        {"password": "Do not use your e-mail address or name as your password."},
    ),
    "long name": (
        {"display_name": LONG_NAME},
        {"display_name": "Field cannot be longer than 80 characters."},
    ),
    "long e-mail": (
        {"email": LONG_EMAIL},
        {"email": "Field cannot be longer than 254 characters."},
    ),
    "long password": (
        {"password": "p" * 150 + "q" * 51, "confirm": "p" * 150 + "q" * 51},
        {"password": "Use at most 200 characters."},
    ),
    "non-ASCII": (
        {
            "display_name": "Zoë Łukasiewicz 山田",
            "email": "zoë@exämple.org",
            "password": "kürz",
            "confirm": "kürz",
        },
        {"password": "Use at least 10 characters."},
    ),
}


def test_register_with_bad_input_shows_the_error_beside_the_field_and_keeps_what_was_typed(
    client: FlaskClient, session: Session, subtests: pytest.Subtests
) -> None:
    for case, (overrides, errors) in BAD_REGISTRATIONS.items():
        with subtests.test(msg=case):
            data = registration(**overrides)
            response = client.post("/register", data=data)
            page = body(response)

            assert response.status_code == 200
            for field_id, message in errors.items():
                assert message in field_error(page, field_id), field_id
            for field_id in {"display_name", "email", "password", "confirm"} - set(errors):
                assert field_error(page, field_id) == "", field_id
            # What the person typed is still there (without surrounding spaces) ...
            assert input_value(page, "display_name") == data["display_name"].strip()
            assert input_value(page, "email") == data["email"].strip()
            # ... except passwords, which are never sent back.
            assert not input_value(page, "password")
            assert not input_value(page, "confirm")
            if data["password"] and data["password"] not in (data["display_name"], data["email"]):
                assert data["password"] not in page
            assert count_users(session) == 0
            assert not is_signed_in(client)


def test_register_with_a_taken_address_says_so_beside_the_e_mail_field(
    client: FlaskClient, session: Session
) -> None:
    make_user(session, email="ada@example.org")
    response = client.post("/register", data=registration(email="ADA@example.org"))
    page = body(response)
    assert response.status_code == 200
    assert field_error(page, "email") == (
        "Error: An account with this e-mail address already exists."
    )
    assert input_value(page, "email") == "ADA@example.org"
    assert count_users(session) == 1


def test_a_non_ascii_name_and_address_register_fine(client: FlaskClient, session: Session) -> None:
    response = client.post(
        "/register", data=registration(display_name="Zoë Łukasiewicz 山田", email="zoë@exämple.org")
    )
    assert response.status_code == 302
    [user] = services.list_users(session)
    assert user.display_name == "Zoë Łukasiewicz 山田"
    assert "Zoë Łukasiewicz 山田" in body(client.get("/account"))


# --- Signing in and out -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "password"),
    [
        pytest.param("sam@example.org", "not the right password", id="wrong-password"),
        pytest.param("nobody@example.org", DEFAULT_PASSWORD, id="unknown-email"),
    ],
)
def test_sign_in_failure_gives_the_same_message_either_way(
    client: FlaskClient, session: Session, email: str, password: str
) -> None:
    make_user(session, email="sam@example.org")
    response = client.post("/sign-in", data={"email": email, "password": password})
    page = body(response)
    assert response.status_code == 200
    assert SIGN_IN_FAILED in field_error(page, "password")
    assert input_value(page, "email") == email
    assert password not in page
    assert not is_signed_in(client)


def test_sign_in_is_case_insensitive_and_records_the_time(
    client: FlaskClient, session: Session, auth: AuthActions
) -> None:
    user = make_user(session, email="sam@example.org")
    response = auth.sign_in("  SAM@example.org ")
    assert response.status_code == 302
    assert location_path(response) == "/"
    assert is_signed_in(client)
    session.expire_all()
    assert services.require_user(session, user.id).last_sign_in_at is not None


def test_sign_in_follows_next_only_to_a_path_on_this_site(
    client: FlaskClient, session: Session, subtests: pytest.Subtests
) -> None:
    # More addresses are checked against safe_next_url in tests/test_security.py.
    make_user(session, email="sam@example.org")
    for next_url, expected in [
        ("/admin/users?q=ann", "/admin/users?q=ann"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
    ]:
        with subtests.test(msg=next_url):
            response = client.post(
                "/sign-in",
                query_string={"next": next_url},
                data={"email": "sam@example.org", "password": DEFAULT_PASSWORD},
            )
            assert response.status_code == 302
            assert response.headers["Location"] == expected


def test_a_protected_page_sends_you_to_sign_in_and_back(
    client: FlaskClient, session: Session, auth: AuthActions
) -> None:
    make_user(session, email="sam@example.org")
    response = client.get("/account/password")
    assert response.status_code == 302
    assert location_path(response) == "/sign-in?next=/account/password"
    signed = client.post(
        location_path(response), data={"email": "sam@example.org", "password": DEFAULT_PASSWORD}
    )
    assert location_path(signed) == "/account/password"


def test_sign_out_is_post_only(client: FlaskClient, session: Session, auth: AuthActions) -> None:
    make_user(session, email="sam@example.org")
    auth.sign_in("sam@example.org")
    assert client.get("/sign-out").status_code == 405
    assert is_signed_in(client)

    response = auth.sign_out()
    assert response.status_code == 302
    assert location_path(response) == "/"
    assert "You have signed out." in flashes(body(client.get("/")))
    assert not is_signed_in(client)


def test_a_deactivated_account_is_signed_out_on_its_next_request(
    client: FlaskClient, session: Session, auth: AuthActions
) -> None:
    user = make_user(session, email="sam@example.org")
    auth.sign_in("sam@example.org")
    user.active = False
    session.commit()
    assert not is_signed_in(client)


# --- Password reset ---------------------------------------------------------------------------


def outbox(app: Flask) -> list[Any]:
    backend = app.extensions["engage.mail"]
    assert isinstance(backend, MemoryBackend)
    return backend.outbox


RESET_SENT = "If that address has an account, we have sent it a link to choose a new password."


def test_password_reset_mails_a_link_that_works_once(
    app: Flask, client: FlaskClient, session: Session, auth: AuthActions
) -> None:
    make_user(session, email="sam@example.org", display_name="Sam")
    response = client.post("/reset-password", data={"email": "Sam@Example.org"})
    assert location_path(response) == "/sign-in"
    assert RESET_SENT in flashes(body(client.get("/sign-in")))

    [mail] = outbox(app)
    assert mail.to == "sam@example.org"
    assert "Hello Sam," in mail.body
    links = re.findall(r"https?://\S+/reset-password/\S+", mail.body)
    assert len(links) == 1
    path = urlsplit(links[0]).path

    form = client.get(path)
    assert form.status_code == 200
    assert 'id="password"' in body(form)

    too_short = client.post(path, data={"password": "short", "confirm": "short"})
    assert "Use at least 10 characters." in field_error(body(too_short), "password")

    done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert location_path(done) == "/sign-in"
    assert "Your password has been changed. Sign in with the new one." in flashes(
        body(client.get("/sign-in"))
    )
    assert auth.sign_in("sam@example.org", NEW_PASSWORD).status_code == 302
    auth.sign_out()

    again = client.get(path)
    assert location_path(again) == "/reset-password"
    assert "This reset link has already been used or is no longer valid." in flashes(
        body(client.get("/reset-password"))
    )


def test_password_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post("/reset-password", data={"email": "nobody@example.org"})
    assert location_path(response) == "/sign-in"
    assert RESET_SENT in flashes(body(client.get("/sign-in")))
    assert outbox(app) == []


def test_a_garbage_reset_link_sends_you_to_ask_again(client: FlaskClient) -> None:
    response = client.get("/reset-password/not-a-token")
    assert location_path(response) == "/reset-password"
    assert "This reset link is not valid. Ask for a new one." in flashes(
        body(client.get("/reset-password"))
    )


# --- Your account -----------------------------------------------------------------------------


def test_change_password_page(client: FlaskClient, session: Session, auth: AuthActions) -> None:
    make_user(session, email="sam@example.org")
    auth.sign_in("sam@example.org")
    assert client.get("/account/password").status_code == 200

    wrong = client.post(
        "/account/password",
        data={"current_password": "not it", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 200
    assert "Your current password is not right." in field_error(body(wrong), "current_password")

    changed = client.post(
        "/account/password",
        data={
            "current_password": DEFAULT_PASSWORD,
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert location_path(changed) == "/account"
    assert "Your password has been changed." in flashes(body(client.get("/account")))
    auth.sign_out()
    assert auth.sign_in("sam@example.org", NEW_PASSWORD).status_code == 302


# --- Administration ---------------------------------------------------------------------------


def test_admin_lists_and_searches_people(
    client: FlaskClient, session: Session, auth: AuthActions
) -> None:
    make_user(session, email="admin@example.org", display_name="Ada Admin", role=Role.ADMIN)
    make_user(session, email="alice@example.org", display_name="Alice Archer")
    make_user(session, email="bob@council.example", display_name="Bob Baker", role=Role.OFFICER)
    auth.sign_in("admin@example.org")

    everyone = body(client.get("/admin/users"))
    for name in ["Ada Admin", "Alice Archer", "Bob Baker"]:
        assert name in everyone

    by_name = client.get("/admin/users", query_string={"q": "ARCHER"})
    assert by_name.status_code == 200
    assert "Alice Archer" in body(by_name)
    assert "Bob Baker" not in body(by_name)
    assert input_value(body(by_name), "q") == "ARCHER"

    by_address = body(client.get("/admin/users", query_string={"q": "council"}))
    assert "Bob Baker" in by_address
    assert "Alice Archer" not in by_address

    nobody = body(client.get("/admin/users", query_string={"q": "zzz"}))
    assert "Nobody matches that search." in nobody


def test_admin_grants_a_role_and_the_person_can_then_reach_officer_pages(
    app: Flask, client: FlaskClient, session: Session, auth: AuthActions
) -> None:
    make_user(session, email="admin@example.org", role=Role.ADMIN)
    person = make_user(session, email="olu@example.org", display_name="Olu")
    theirs = app.test_client()
    theirs.post("/sign-in", data={"email": "olu@example.org", "password": DEFAULT_PASSWORD})
    assert theirs.get("/missions/new").status_code == 403

    auth.sign_in("admin@example.org")
    form = client.get(f"/admin/users/{person.id}/roles")
    assert form.status_code == 200
    assert 'value="officer"' in body(form)

    saved = client.post(f"/admin/users/{person.id}/roles", data={"roles": ["officer"]})
    assert location_path(saved) == "/admin/users"
    assert "Roles saved for Olu." in flashes(body(client.get("/admin/users")))
    session.expire_all()
    assert services.require_user(session, person.id).roles == {Role.OFFICER}

    # The same session, without signing in again.
    assert theirs.get("/missions/new").status_code == 200
    assert theirs.get("/admin/users").status_code == 403


def test_admin_cannot_remove_their_own_admin_role_through_the_page(
    client: FlaskClient, session: Session, auth: AuthActions
) -> None:
    admin = make_user(session, email="admin@example.org", role=Role.ADMIN)
    auth.sign_in("admin@example.org")
    response = client.post(f"/admin/users/{admin.id}/roles", data={"roles": ["officer"]})
    assert response.status_code == 200
    assert "You cannot remove your own administrator role." in body(response)
    session.expire_all()
    assert services.require_user(session, admin.id).roles == {Role.ADMIN}


def test_unknown_role_values_are_refused(
    client: FlaskClient, session: Session, auth: AuthActions
) -> None:
    make_user(session, email="admin@example.org", role=Role.ADMIN)
    person = make_user(session)
    auth.sign_in("admin@example.org")
    response = client.post(f"/admin/users/{person.id}/roles", data={"roles": ["superuser"]})
    assert response.status_code == 200
    assert field_error(body(response), "roles") != ""
    session.expire_all()
    assert services.require_user(session, person.id).roles == set()


# --- Sign-in rate limits ----------------------------------------------------------------------
# Flask-Limiter's `limiter` is a module global that every create_app re-initialises, so these
# tests build their own app with make_app and use only that app.


@pytest.fixture
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with small costs: these tests are about counting attempts, not hashing.

    While it is active, give make_user an explicit password: the factories cache their default
    hash for the whole run, and it must stay a real one.
    """
    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(services, "_hasher", quick)
    monkeypatch.setattr(services, "_DUMMY_HASH", quick.hash("not a real password"))


def limited_app(make_app: MakeApp) -> Flask:
    return make_app(RATELIMIT_ENABLED=True)


def assert_throttled(response: TestResponse, email: str) -> None:
    page = body(response)
    assert response.status_code == 429
    assert TOO_MANY in field_error(page, "email")
    assert input_value(page, "email") == email
    assert '<form method="post"' in page


@pytest.mark.parametrize("has_account", [True, False], ids=["known-email", "unknown-email"])
def test_the_sixth_sign_in_attempt_for_one_address_is_refused(
    make_app: MakeApp, quick_hashing: None, has_account: bool
) -> None:
    app = limited_app(make_app)
    if has_account:
        with app.app_context():
            make_user(db.session, email="sam@example.org", password=DEFAULT_PASSWORD)
    client = app.test_client()

    for attempt in range(5):
        # Different spellings of one address count together.
        email = "sam@example.org" if attempt % 2 else "SAM@Example.org"
        response = client.post("/sign-in", data={"email": email, "password": f"guess {attempt}"})
        assert response.status_code == 200, attempt
        assert SIGN_IN_FAILED in field_error(body(response), "password")

    # Even the right password is refused now, with the same message whether or not the account
    # exists.
    sixth = client.post("/sign-in", data={"email": "sam@example.org", "password": DEFAULT_PASSWORD})
    assert_throttled(sixth, "sam@example.org")
    assert not is_signed_in(client)

    # Other addresses and the page itself are unaffected.
    assert client.get("/sign-in").status_code == 200
    other = client.post("/sign-in", data={"email": "ann@example.org", "password": ""})
    assert other.status_code == 200


def test_twenty_sign_in_attempts_per_network_address_are_allowed_and_the_next_is_refused(
    make_app: MakeApp,
) -> None:
    client = limited_app(make_app).test_client()
    # An empty password fails in the form, before any hashing: the limit counts every POST.
    for number in range(20):
        response = client.post("/sign-in", data={"email": f"p{number}@example.org", "password": ""})
        assert response.status_code == 200, number
    response = client.post("/sign-in", data={"email": "p20@example.org", "password": ""})
    assert_throttled(response, "p20@example.org")

    # Another network address is counted separately.
    elsewhere = client.post(
        "/sign-in",
        data={"email": "p21@example.org", "password": ""},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert elsewhere.status_code == 200
