"""Account use cases against a real session (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts import services
from engage.accounts.models import RoleGrant, User
from engage.audit import AuditEntry
from engage.errors import Conflict, Forbidden, Invalid, NotFound
from engage.security import Role
from tests.factories import DEFAULT_PASSWORD, make_user

SECRET = "test secret key, not for production"
NEW_PASSWORD = "amber meadow tortoise"


def count_users(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(User)) or 0


def audit_entries(session: Session, action: str) -> list[AuditEntry]:
    query = sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(session.scalars(query))


# --- Registration -----------------------------------------------------------------------------


def test_registration_normalises_the_email_and_trims_the_name(session: Session) -> None:
    user = services.register_resident(
        session, display_name="  Ada Lovelace ", email="  Ada@Example.ORG ", password=NEW_PASSWORD
    )
    assert user.id is not None
    assert user.email == "ada@example.org"
    assert user.display_name == "Ada Lovelace"
    assert user.roles == set()
    assert user.active
    assert NEW_PASSWORD not in user.password_hash
    assert services.get_user_by_email(session, "ADA@example.org") == user


def test_registration_refuses_an_address_already_registered_in_another_case(
    session: Session,
) -> None:
    make_user(session, email="ada@example.org")
    with pytest.raises(Conflict) as refused:
        services.register_resident(
            session, display_name="Ada again", email="ADA@example.org ", password=NEW_PASSWORD
        )
    assert refused.value.field == "email"
    assert count_users(session) == 1


def test_the_database_backstops_a_duplicate_registered_at_the_same_moment(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two requests both pass the "is the address free?" check before either commits.
    make_user(session, email="ada@example.org")
    monkeypatch.setattr(services, "get_user_by_email", lambda session, email: None)
    with pytest.raises(Conflict) as refused:
        services.register_resident(
            session, display_name="Ada", email="ada@example.org", password=NEW_PASSWORD
        )
    assert refused.value.field == "email"
    assert count_users(session) == 1


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Use at least 10 characters."),
        ("Password123", "This password is too common. Choose one that is harder to guess."),
        ("grace.hopper@example.org", "Do not use your e-mail address or name as your password."),
        ("Grace Hopper", "Do not use your e-mail address or name as your password."),
    ],
)
def test_registration_enforces_the_password_policy_without_the_form(
    session: Session, password: str, message: str
) -> None:
    with pytest.raises(Invalid) as refused:
        services.register_resident(
            session,
            display_name="Grace Hopper",
            email="Grace.Hopper@example.org",
            password=password,
        )
    assert refused.value.field == "password"
    assert refused.value.message == message
    assert count_users(session) == 0


# --- Sign-in ----------------------------------------------------------------------------------


def test_authenticate_returns_the_user_and_records_the_sign_in(session: Session) -> None:
    user = make_user(session, email="sam@example.org")
    assert user.last_sign_in_at is None
    signed_in = services.authenticate(session, " Sam@Example.org", DEFAULT_PASSWORD)
    assert signed_in.id == user.id
    session.expire_all()
    assert services.require_user(session, user.id).last_sign_in_at is not None


def test_authenticate_gives_one_message_whatever_went_wrong(session: Session) -> None:
    make_user(session, email="sam@example.org")
    inactive = make_user(session, email="gone@example.org")
    inactive.active = False
    session.commit()

    refusals: list[Invalid] = []
    for email, password in [
        ("nobody@example.org", DEFAULT_PASSWORD),  # no such account
        ("sam@example.org", "not the right password"),  # wrong password
        ("gone@example.org", DEFAULT_PASSWORD),  # right password, deactivated account
    ]:
        with pytest.raises(Invalid) as refused:
            services.authenticate(session, email, password)
        refusals.append(refused.value)

    assert {(error.message, error.field) for error in refusals} == {
        (services.SIGN_IN_FAILED, "password")
    }
    assert services.require_user(session, inactive.id).last_sign_in_at is None


# --- Changing the password --------------------------------------------------------------------


def test_change_password_refuses_a_wrong_current_password(session: Session) -> None:
    user = make_user(session)
    before = user.password_hash
    with pytest.raises(Invalid) as refused:
        services.change_password(session, user, current="not my password", new=NEW_PASSWORD)
    assert refused.value.field == "current_password"
    assert user.password_hash == before
    assert audit_entries(session, "account.password_changed") == []


def test_change_password_enforces_the_policy(session: Session) -> None:
    user = make_user(session)
    with pytest.raises(Invalid) as refused:
        services.change_password(session, user, current=DEFAULT_PASSWORD, new="qwerty1234")
    assert refused.value.field == "password"


def test_change_password_stores_the_new_one_and_writes_an_audit_entry(session: Session) -> None:
    user = make_user(session)
    services.change_password(session, user, current=DEFAULT_PASSWORD, new=NEW_PASSWORD)
    session.expire_all()
    assert services.authenticate(session, user.email, NEW_PASSWORD).id == user.id
    [entry] = audit_entries(session, "account.password_changed")
    assert entry.actor_id == user.id
    assert entry.subject == f"user:{user.id}"


# --- Password reset ---------------------------------------------------------------------------


def test_reset_request_for_an_unknown_or_deactivated_address_names_nobody(
    session: Session,
) -> None:
    inactive = make_user(session, email="gone@example.org")
    inactive.active = False
    session.commit()
    for email in ["nobody@example.org", "gone@example.org"]:
        reset = services.request_password_reset(session, email, SECRET)
        assert reset.user is None
        assert reset.token is None


def test_a_reset_token_works_once(session: Session) -> None:
    user = make_user(session, email="sam@example.org")
    reset = services.request_password_reset(session, "SAM@example.org", SECRET)
    assert reset.user == user
    assert reset.token is not None

    assert services.user_for_reset_token(session, reset.token, SECRET, 3600) == user
    services.reset_password(session, reset.token, NEW_PASSWORD, secret_key=SECRET, max_age=3600)
    [entry] = audit_entries(session, "account.password_reset")
    assert entry.subject == f"user:{user.id}"

    # The password changed, so its fingerprint in the token no longer matches.
    with pytest.raises(Invalid, match="already been used"):
        services.reset_password(
            session, reset.token, "another long passphrase", secret_key=SECRET, max_age=3600
        )
    session.expire_all()
    assert services.authenticate(session, "sam@example.org", NEW_PASSWORD).id == user.id


def test_a_reset_token_stops_working_when_the_password_is_changed_another_way(
    session: Session,
) -> None:
    user = make_user(session)
    token = services.make_reset_token(user, SECRET)
    services.change_password(session, user, current=DEFAULT_PASSWORD, new=NEW_PASSWORD)
    with pytest.raises(Invalid, match="already been used"):
        services.user_for_reset_token(session, token, SECRET, 3600)


def test_an_expired_reset_token_is_refused(session: Session) -> None:
    user = make_user(session)
    token = services.make_reset_token(user, SECRET)
    with pytest.raises(Invalid, match="expired"):
        services.reset_password(session, token, NEW_PASSWORD, secret_key=SECRET, max_age=-1)


@pytest.mark.parametrize("where", ["payload", "signature"])
def test_a_tampered_reset_token_is_refused(session: Session, where: str) -> None:
    user = make_user(session)
    token = services.make_reset_token(user, SECRET)
    payload, timestamp, signature = token.split(".")
    if where == "payload":
        other = services.make_reset_token(make_user(session), SECRET)
        token = ".".join([other.split(".")[0], timestamp, signature])
    else:
        flipped = "A" if signature[0] != "A" else "B"
        token = ".".join([payload, timestamp, flipped + signature[1:]])
    with pytest.raises(Invalid, match="not valid"):
        services.user_for_reset_token(session, token, SECRET, 3600)


def test_a_token_signed_with_another_key_is_refused(session: Session) -> None:
    user = make_user(session)
    token = services.make_reset_token(user, "some other site's key")
    with pytest.raises(Invalid, match="not valid"):
        services.user_for_reset_token(session, token, SECRET, 3600)


def test_reset_refuses_a_deactivated_account(session: Session) -> None:
    user = make_user(session)
    token = services.make_reset_token(user, SECRET)
    user.active = False
    session.commit()
    with pytest.raises(Invalid):
        services.user_for_reset_token(session, token, SECRET, 3600)


def test_reset_enforces_the_password_policy(session: Session) -> None:
    user = make_user(session)
    token = services.make_reset_token(user, SECRET)
    with pytest.raises(Invalid) as refused:
        services.reset_password(session, token, "short", secret_key=SECRET, max_age=3600)
    assert refused.value.field == "password"
    # Refused, so the link still works.
    assert services.user_for_reset_token(session, token, SECRET, 3600) == user


# --- Staff roles ------------------------------------------------------------------------------


def test_set_roles_grants_exactly_the_roles_asked_for_and_audits_the_change(
    session: Session,
) -> None:
    admin = make_user(session, role=Role.ADMIN)
    person = make_user(session, role=Role.OFFICER)

    services.set_roles(session, person.id, {Role.EVALUATOR, Role.ADMIN, Role.RESIDENT}, actor=admin)
    session.expire_all()
    person = services.require_user(session, person.id)
    assert person.roles == {Role.EVALUATOR, Role.ADMIN}  # residents need no grant
    assert all(grant.granted_by_id == admin.id for grant in person.role_grants)

    [entry] = audit_entries(session, "account.roles_changed")
    assert entry.actor_id == admin.id
    assert entry.subject == f"user:{person.id}"
    assert entry.details == {"before": ["officer"], "after": ["admin", "evaluator"]}

    services.set_roles(session, person.id, set(), actor=admin)
    session.expire_all()
    assert services.require_user(session, person.id).roles == set()
    assert session.scalar(sa.select(sa.func.count()).select_from(RoleGrant)) == 1  # the admin's
    assert audit_entries(session, "account.roles_changed")[-1].details == {
        "before": ["admin", "evaluator"],
        "after": [],
    }


def test_set_roles_without_a_change_writes_no_audit_entry(session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    person = make_user(session, role=Role.OFFICER)
    services.set_roles(session, person.id, {Role.OFFICER}, actor=admin)
    assert services.require_user(session, person.id).roles == {Role.OFFICER}
    assert audit_entries(session, "account.roles_changed") == []


def test_an_admin_cannot_remove_their_own_admin_role(session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    with pytest.raises(Forbidden):
        services.set_roles(session, admin.id, {Role.OFFICER}, actor=admin)
    session.expire_all()
    assert services.require_user(session, admin.id).roles == {Role.ADMIN}
    assert audit_entries(session, "account.roles_changed") == []


def test_an_admin_may_add_roles_to_themselves(session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    services.set_roles(session, admin.id, {Role.ADMIN, Role.OFFICER}, actor=admin)
    session.expire_all()
    assert services.require_user(session, admin.id).roles == {Role.ADMIN, Role.OFFICER}


def test_another_admin_may_remove_an_admin_role(session: Session) -> None:
    first = make_user(session, role=Role.ADMIN)
    second = make_user(session, role=Role.ADMIN)
    services.set_roles(session, second.id, set(), actor=first)
    session.expire_all()
    assert services.require_user(session, second.id).roles == set()


def test_set_roles_for_an_unknown_user(session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    with pytest.raises(NotFound):
        services.set_roles(session, admin.id + 1000, {Role.OFFICER}, actor=admin)


# --- Accounts made by an administrator --------------------------------------------------------


def test_create_user_with_roles(session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    user = services.create_user(
        session,
        display_name="Olu Officer",
        email="Olu@Example.org",
        password=NEW_PASSWORD,
        roles={Role.OFFICER},
        actor=admin,
    )
    session.expire_all()
    user = services.require_user(session, user.id)
    assert user.email == "olu@example.org"
    assert user.roles == {Role.OFFICER}
    assert [grant.granted_by_id for grant in user.role_grants] == [admin.id]
    [created] = audit_entries(session, "account.created")
    assert (created.actor_id, created.subject) == (admin.id, f"user:{user.id}")
    [entry] = audit_entries(session, "account.roles_changed")
    assert entry.details == {"before": [], "after": ["officer"]}
    assert services.authenticate(session, "olu@example.org", NEW_PASSWORD).id == user.id


def test_create_user_from_the_command_line_has_no_actor(session: Session) -> None:
    user = services.create_user(
        session,
        display_name="First Admin",
        email="admin@example.org",
        password=NEW_PASSWORD,
        roles={Role.ADMIN},
        actor=None,
    )
    assert user.roles == {Role.ADMIN}
    [entry] = audit_entries(session, "account.roles_changed")
    assert entry.actor_id is None


def test_create_user_refuses_a_taken_address_and_a_weak_password(session: Session) -> None:
    make_user(session, email="taken@example.org")
    with pytest.raises(Conflict) as taken:
        services.create_user(
            session,
            display_name="Someone",
            email="TAKEN@example.org",
            password=NEW_PASSWORD,
            roles={Role.OFFICER},
            actor=None,
        )
    assert taken.value.field == "email"
    with pytest.raises(Invalid) as weak:
        services.create_user(
            session,
            display_name="Someone",
            email="someone@example.org",
            password="welcome123",
            roles=set(),
            actor=None,
        )
    assert weak.value.field == "password"
    assert count_users(session) == 1
    assert audit_entries(session, "account.roles_changed") == []


# --- Finding people ---------------------------------------------------------------------------


def test_list_users_searches_names_and_addresses_ignoring_case(session: Session) -> None:
    alice = make_user(session, display_name="Alice Archer", email="alice@example.org")
    bob = make_user(session, display_name="Bob Baker", email="bob@council.example")
    assert services.list_users(session) == [alice, bob]
    assert services.list_users(session, search="ARCHER") == [alice]
    assert services.list_users(session, search=" council ") == [bob]
    assert services.list_users(session, search="nobody") == []
    assert services.list_users(session, page=2, per_page=1) == [bob]
