"""Account use cases: registration, sign-in, passwords, resets, staff roles and the demographics
people choose to give for evaluation."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engage import audit
from engage.accounts.models import AgeBand, DemographicProfile, RoleGrant, User
from engage.accounts.passwords import MESSAGES as PASSWORD_MESSAGES
from engage.accounts.passwords import password_problem
from engage.db import utcnow
from engage.errors import N_, Conflict, Forbidden, Invalid, NotFound
from engage.security import STAFF_ROLES, Role

_hasher = PasswordHasher()
# Verified when the e-mail is unknown, so a sign-in takes as long whether or not the account exists.
_DUMMY_HASH = _hasher.hash("not a real password, only here to spend the same time")

SIGN_IN_FAILED = N_("The e-mail address or password is not right.")
EMAIL_TAKEN = N_("An account with this e-mail address already exists.")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_policy(password: str, *, email: str = "", display_name: str = "") -> None:
    problem = password_problem(password, email=email, display_name=display_name)
    if problem is not None:
        raise Invalid(PASSWORD_MESSAGES[problem], field="password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def require_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("There is no such account."))
    return user


def display_names(session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.execute(sa.select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return {user_id: name for user_id, name in rows}


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def register_resident(session: Session, *, display_name: str, email: str, password: str) -> User:
    user = _add_user(session, display_name=display_name, email=email, password=password)
    _commit_new_account(session)
    return user


def create_user(
    session: Session,
    *,
    display_name: str,
    email: str,
    password: str,
    roles: set[Role],
    actor: User | None,
) -> User:
    """An account made by an administrator (or the command line), with its staff roles."""
    user = _add_user(session, display_name=display_name, email=email, password=password)
    session.flush()
    audit.record(session, actor, "account.created", f"user:{user.id}")
    _grant_exactly(session, user, roles, actor=actor)
    _commit_new_account(session)
    return user


def _add_user(session: Session, *, display_name: str, email: str, password: str) -> User:
    email = normalise_email(email)
    check_password_policy(password, email=email, display_name=display_name)
    # Hash (slow on purpose) before the first query: on SQLite that query takes the write lock.
    password_hash = hash_password(password)
    if get_user_by_email(session, email) is not None:
        raise Conflict(EMAIL_TAKEN, field="email")
    user = User(email=email, display_name=display_name.strip(), password_hash=password_hash)
    session.add(user)
    return user


def _commit_new_account(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError:  # the same address registered a moment ago by another request
        session.rollback()
        raise Conflict(EMAIL_TAKEN, field="email") from None


def authenticate(session: Session, email: str, password: str) -> User:
    """The user with these credentials, or Invalid with one message whatever went wrong."""
    user = get_user_by_email(session, email)
    stored_hash = user.password_hash if user else _DUMMY_HASH
    # End the lookup's transaction before the deliberately slow check: on SQLite it holds the
    # write lock, and every other sign-in and submission would queue behind the hashing.
    session.commit()
    try:
        _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        raise Invalid(SIGN_IN_FAILED, field="password") from None
    if user is None or not user.active:
        raise Invalid(SIGN_IN_FAILED, field="password")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_sign_in_at = utcnow()
    session.commit()
    return user


def change_password(session: Session, user: User, *, current: str, new: str) -> None:
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise Invalid(N_("Your current password is not right."), field="current_password") from None
    check_password_policy(new, email=user.email, display_name=user.display_name)
    user.password_hash = hash_password(new)
    audit.record(session, user, "account.password_changed", f"user:{user.id}")
    session.commit()


# --- Password reset by e-mailed token -------------------------------------------------------
# The token carries a fingerprint of the current password hash, so it stops working as soon as
# the password changes (including by using the token once).

_RESET_SALT = "engage.password-reset"


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User, secret_key: str) -> str:
    serializer = URLSafeTimedSerializer(secret_key, salt=_RESET_SALT)
    return serializer.dumps({"user": user.id, "fp": _fingerprint(user)})


@dataclass(frozen=True)
class ResetRequest:
    """Who to mail a reset link to, if anyone. The caller shows the same page either way."""

    user: User | None
    token: str | None


def request_password_reset(session: Session, email: str, secret_key: str) -> ResetRequest:
    user = get_user_by_email(session, email)
    if user is None or not user.active:
        return ResetRequest(None, None)
    return ResetRequest(user, make_reset_token(user, secret_key))


def user_for_reset_token(session: Session, token: str, secret_key: str, max_age: int) -> User:
    serializer = URLSafeTimedSerializer(secret_key, salt=_RESET_SALT)
    try:
        data = serializer.loads(token, max_age=max_age)
    except SignatureExpired:
        raise Invalid(N_("This reset link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise Invalid(N_("This reset link is not valid. Ask for a new one.")) from None
    user = session.get(User, data.get("user")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("fp") != _fingerprint(user):
        raise Invalid(N_("This reset link has already been used or is no longer valid."))
    return user


def reset_password(
    session: Session, token: str, new: str, *, secret_key: str, max_age: int
) -> User:
    user = user_for_reset_token(session, token, secret_key, max_age)
    check_password_policy(new, email=user.email, display_name=user.display_name)
    user.password_hash = hash_password(new)
    audit.record(session, user, "account.password_reset", f"user:{user.id}")
    session.commit()
    return user


# --- Staff roles ----------------------------------------------------------------------------


def list_users(
    session: Session, *, search: str = "", page: int = 1, per_page: int = 50
) -> list[User]:
    query = sa.select(User).order_by(User.display_name, User.id)
    if search.strip():
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            sa.or_(User.email.like(pattern), sa.func.lower(User.display_name).like(pattern))
        )
    return list(session.scalars(query.offset((max(page, 1) - 1) * per_page).limit(per_page)))


def list_role_holders(session: Session, role: Role) -> list[User]:
    """Active accounts holding ``role`` or administrator (admins hold every role), by name."""
    holders = sa.select(RoleGrant.user_id).where(RoleGrant.role.in_([role, Role.ADMIN]))
    return list(
        session.scalars(
            sa.select(User)
            .where(User.active.is_(True), User.id.in_(holders))
            .order_by(User.display_name, User.id)
        )
    )


def set_roles(session: Session, user_id: int, roles: set[Role], *, actor: User | None) -> User:
    """Grant exactly ``roles`` (staff roles; residents need no grant)."""
    user = require_user(session, user_id)
    if (
        actor is not None
        and actor.id == user.id
        and Role.ADMIN in user.roles
        and Role.ADMIN not in roles
    ):
        raise Forbidden(N_("You cannot remove your own administrator role."))
    _grant_exactly(session, user, roles, actor=actor)
    session.commit()
    return user


def _grant_exactly(session: Session, user: User, roles: set[Role], *, actor: User | None) -> None:
    wanted = {role for role in roles if role in STAFF_ROLES}
    before = user.roles
    if before == wanted:
        return
    user.role_grants = [grant for grant in user.role_grants if grant.role in wanted] + [
        RoleGrant(role=role, granted_by_id=actor.id if actor else None)
        for role in sorted(wanted - before)
    ]
    audit.record(
        session,
        actor,
        "account.roles_changed",
        f"user:{user.id}",
        {"before": sorted(before), "after": sorted(wanted)},
    )


# --- Demographics for evaluation ------------------------------------------------------------
# A profile row exists only while its person consents: withdrawing consent deletes it, so there
# is nothing left to leak or forget. Giving and withdrawing consent are audit-logged (without the
# band: the log is append-only and the band must go when consent does), so the city can show that
# a segment used in an evaluation was given with consent.

SEGMENT_PREFIX = "age "  # segments read "age 25-34", "age 75+": the same in every language
# Above this many people, read every profile in one query and keep the ones asked for, rather
# than send a list of ids longer than a database accepts in one statement.
SEGMENT_ID_LIST_LIMIT = 1000


class DemographicsChange(enum.StrEnum):
    """What set_demographics did, for the page to say so."""

    SAVED = "saved"  # a profile stored (new or changed) with consent
    DELETED = "deleted"  # a stored profile deleted: consent withdrawn or "prefer not to say"
    NOTHING_STORED = "nothing_stored"  # nothing was stored before and nothing is now


def age_band_of(value: AgeBand | str | None) -> AgeBand | None:
    """The band ``value`` names; None (and "") for "prefer not to say"; Invalid for anything
    else, shown beside the ``age_band`` field."""
    if value is None or value == "":
        return None
    try:
        return AgeBand(value)
    except ValueError:
        raise Invalid(
            N_("Choose one of the age bands, or prefer not to say."), field="age_band"
        ) from None


def get_demographics(session: Session, user: User) -> DemographicProfile | None:
    return session.get(DemographicProfile, user.id)


def set_demographics(
    session: Session, user: User, age_band: AgeBand | str | None, *, consent: bool
) -> DemographicsChange:
    """Store ``user``'s age band for use in evaluations, only WITH consent. Without consent, or
    with no band ("prefer not to say"), any stored profile is deleted: that is withdrawal."""
    band = age_band_of(age_band)
    for attempt in (1, 2):
        try:
            change = _set_demographics(session, user, band if consent else None)
            session.commit()
            return change
        except IntegrityError:  # the same person's other request created the row a moment ago
            session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _set_demographics(session: Session, user: User, band: AgeBand | None) -> DemographicsChange:
    profile = session.get(DemographicProfile, user.id)
    if band is None:
        if profile is None:
            return DemographicsChange.NOTHING_STORED
        session.delete(profile)
        audit.record(session, user, "account.demographics_withdrawn", f"user:{user.id}")
        return DemographicsChange.DELETED
    now = utcnow()
    if profile is None:
        session.add(
            DemographicProfile(user_id=user.id, age_band=band, consented_at=now, updated_at=now)
        )
        audit.record(session, user, "account.demographics_consented", f"user:{user.id}")
    elif profile.age_band is not band:
        profile.age_band = band
        profile.updated_at = now
    return DemographicsChange.SAVED


def segment_of(band: AgeBand) -> str:
    """The evaluation segment of an age band: "age 25-34" (language-neutral, like a code)."""
    return f"{SEGMENT_PREFIX}{band.value}"


def consented_segments(session: Session, user_ids: Collection[int]) -> dict[int, str]:
    """Account id -> the segment (``segment_of``) of each of ``user_ids`` who consented to its
    use in evaluation; people who did not are absent. One query, however many ids."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    query = sa.select(DemographicProfile.user_id, DemographicProfile.age_band)
    if len(wanted) <= SEGMENT_ID_LIST_LIMIT:
        query = query.where(DemographicProfile.user_id.in_(sorted(wanted)))
    return {
        user_id: segment_of(band) for user_id, band in session.execute(query) if user_id in wanted
    }
