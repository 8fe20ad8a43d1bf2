"""Jury use cases: setting a jury up, the volunteer pool (registration and CSV import), quotas
and their feasibility. Every change is audit-logged in its own transaction."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from slugify import slugify as make_slug
from sqlalchemy.orm import Session, selectinload

from engage import audit
from engage.accounts.models import User
from engage.accounts.services import get_user_by_email, normalise_email
from engage.db import utcnow
from engage.errors import N_, Conflict, Forbidden, Invalid, NotFound
from engage.juries import pooldata, selection
from engage.juries.models import (
    Draw,
    FeatureValue,
    Jury,
    JuryFeature,
    JuryOfficer,
    JuryStatus,
    MemberAnswer,
    MemberSource,
    PanelSeat,
    PoolMember,
    SeatStatus,
)
from engage.juries.pooldata import PEOPLE as PEOPLE_FILE
from engage.juries.pooldata import QUOTAS as QUOTAS_FILE
from engage.juries.pooldata import (
    SHARE_TOLERANCE,
    Person,
    PoolData,
    PoolFileError,
    PoolFormat,
    RowError,
    propose_quotas,
    read_pool_partly,
    read_quotas_partly,
    write_features_csv,
    write_people_csv,
)
from engage.juries.selection import Infeasibility, Instance, Quota, QuotaChange
from engage.missions.models import Mission, MissionStatus
from engage.security import Role
from engage.slugs import unique_slug

FROZEN_STATUSES = frozenset({JuryStatus.FROZEN, JuryStatus.DRAWN, JuryStatus.PURGED})


# --- Readers and access -------------------------------------------------------------------------


def get_jury(session: Session, jury_id: int) -> Jury:
    jury = session.get(Jury, jury_id)
    if jury is None:
        raise NotFound(N_("No such jury."))
    return jury


def lock_jury(session: Session, jury_id: int) -> Jury:
    """The jury, read afresh with its row locked until the transaction ends, so that a check of
    its status still holds when the change is committed. Every service that changes the pool or
    the quotas takes this lock first, and so does the commit of a draw that freezes them: a
    registration or an import in flight and the freeze happen one after the other, never
    interleaved. (PostgreSQL: SELECT ... FOR UPDATE. SQLite lets one writer in at a time anyway,
    from BEGIN IMMEDIATE, and ignores the clause.)"""
    jury = session.get(Jury, jury_id, with_for_update=True, populate_existing=True)
    if jury is None:
        raise NotFound(N_("No such jury."))
    return jury


def is_jury_officer(session: Session, jury_id: int, user: User | None) -> bool:
    """Whether ``user`` is one of this jury's officers (admins are not, unless named)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    found = session.scalar(
        sa.select(JuryOfficer.id).where(
            JuryOfficer.jury_id == jury_id, JuryOfficer.user_id == user.id
        )
    )
    return found is not None


def can_manage(session: Session, jury_id: int, user: User | None) -> bool:
    """Admins and this jury's officers manage it and see its volunteers' contact details."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if Role.ADMIN in user.roles:
        return True
    return is_jury_officer(session, jury_id, user)


def require_manager(session: Session, jury_id: int, user: User | None) -> Jury:
    """The jury, if ``user`` is an admin or one of its officers; Forbidden otherwise."""
    jury = get_jury(session, jury_id)
    if not can_manage(session, jury_id, user):
        raise Forbidden(N_("Only this jury's officers can do this."))
    return jury


def is_frozen(jury: Jury) -> bool:
    """Whether the pool and quotas can no longer change (a draw is committed, done or purged)."""
    return jury.status in FROZEN_STATUSES


def _features(session: Session, jury_id: int) -> list[JuryFeature]:
    return list(
        session.scalars(
            sa.select(JuryFeature)
            .where(JuryFeature.jury_id == jury_id)
            .options(selectinload(JuryFeature.values))
            .order_by(JuryFeature.position, JuryFeature.id)
        )
    )


def _members(session: Session, jury_id: int) -> list[PoolMember]:
    return list(
        session.scalars(
            sa.select(PoolMember)
            .where(PoolMember.jury_id == jury_id)
            .options(selectinload(PoolMember.answers))
            .order_by(PoolMember.id)
        )
    )


def build_instance(session: Session, jury_id: int) -> tuple[Instance, list[PoolMember]]:
    """The selection problem for this jury: members by pseudonym, feature and value keys, the
    quotas (a value with no quota set may take anywhere from 0 to the panel size), and the
    household keys. ``members[i]`` is the person ``instance.ids[i]``."""
    jury = get_jury(session, jury_id)
    features = _features(session, jury_id)
    value_keys = {value.id: value.key for feature in features for value in feature.values}
    members = _members(session, jury_id)
    rows: list[list[str]] = []
    for member in members:
        by_feature = {answer.feature_id: value_keys[answer.value_id] for answer in member.answers}
        rows.append([by_feature.get(feature.id, "") for feature in features])
    quotas = [
        Quota(
            feature=feature.key,
            value=value.key,
            min=value.quota_min if value.quota_min is not None else 0,
            max=value.quota_max if value.quota_max is not None else jury.panel_size,
            min_flex=value.min_flex,
            max_flex=value.max_flex,
        )
        for feature in features
        for value in feature.values
    ]
    instance = Instance(
        ids=[member.pseudonym for member in members],
        features=[feature.key for feature in features],
        values=rows,
        quotas=quotas,
        panel_size=jury.panel_size,
        households=[member.household_key for member in members],
    )
    return instance, members


# --- Inputs: what the forms hand over -------------------------------------------------------------


@dataclass
class JuryFields:
    title: str
    question: str
    panel_size: int
    purpose: str
    registration_opens: datetime | None
    registration_closes: datetime | None
    retention_until: date
    household_rule: bool
    status: JuryStatus


@dataclass
class FeatureFields:
    label: str
    key: str  # the CSV column name; empty: made from the label
    values: list[str]  # one answer per entry, in the order shown
    allow_prefer_not_to_say: bool


@dataclass
class VolunteerFields:
    name: str
    email: str
    phone: str
    address_line1: str
    address_line2: str
    city: str
    postcode: str
    answers: dict[int, int]  # feature id -> value id
    consent: bool


# --- Juries ---------------------------------------------------------------------------------------

EDITABLE_STATUSES = (JuryStatus.DRAFT, JuryStatus.OPEN)
FROZEN_MESSAGE = N_(
    "A draw has been committed for this jury, so its pool and quotas can no longer change."
)


def _subject(jury: Jury) -> str:
    return f"jury:{jury.id}"


def _refuse_if_frozen(jury: Jury) -> None:
    if is_frozen(jury):
        raise Conflict(FROZEN_MESSAGE)


def _editable_jury(session: Session, jury_id: int, actor: User) -> Jury:
    """The jury, locked (see lock_jury), when ``actor`` manages it and it is not frozen."""
    jury = lock_jury(session, jury_id)
    if not can_manage(session, jury.id, actor):
        raise Forbidden(N_("Only this jury's officers can do this."))
    _refuse_if_frozen(jury)
    return jury


@dataclass(frozen=True)
class JuryListing:
    jury: Jury
    mission_title: str
    mission_slug: str
    members: int


def list_missions_for_juries(session: Session) -> list[tuple[int, str]]:
    """(id, title) of every mission a jury may belong to."""
    rows = session.execute(sa.select(Mission.id, Mission.title).order_by(Mission.title))
    return [(mission_id, title) for mission_id, title in rows]


def list_juries(
    session: Session, *, include_drafts: bool, mission_slug: str | None = None
) -> list[JuryListing]:
    members = (
        sa.select(sa.func.count(PoolMember.id))
        .where(PoolMember.jury_id == Jury.id)
        .correlate(Jury)
        .scalar_subquery()
    )
    query = (
        sa.select(Jury, Mission.title, Mission.slug, members)
        .join(Mission, Mission.id == Jury.mission_id)
        .order_by(Mission.title, Jury.created_at.desc(), Jury.id.desc())
    )
    if not include_drafts:
        query = query.where(Jury.status != JuryStatus.DRAFT, Mission.status != MissionStatus.DRAFT)
    if mission_slug:
        query = query.where(Mission.slug == mission_slug)
    return [
        JuryListing(jury, title, slug, count or 0)
        for jury, title, slug, count in session.execute(query)
    ]


def get_mission_of(session: Session, jury: Jury) -> Mission:
    mission = session.get(Mission, jury.mission_id)
    if mission is None:  # the foreign key cascades, so only a race gets here
        raise NotFound(N_("No such jury."))
    return mission


def get_jury_by_slug(session: Session, slug: str) -> Jury:
    jury = session.scalar(sa.select(Jury).where(Jury.slug == slug))
    if jury is None:
        raise NotFound(N_("No such jury."))
    return jury


def _check_jury_fields(values: JuryFields, *, today: date) -> None:
    if values.panel_size < 1:
        raise Invalid(N_("The panel needs at least one member."), field="panel_size")
    if values.status not in EDITABLE_STATUSES:
        raise Invalid(N_("Choose draft or open."), field="status")
    opens, closes = values.registration_opens, values.registration_closes
    if opens is not None and closes is not None and closes <= opens:
        raise Invalid(N_("Registration must close after it opens."), field="registration_closes")
    if values.retention_until <= today:
        raise Invalid(
            N_("The personal data must be kept until a date in the future."),
            field="retention_until",
        )
    if closes is not None and values.retention_until < closes.date():
        raise Invalid(
            N_("The personal data cannot be deleted before registration closes."),
            field="retention_until",
        )


def create_jury(
    session: Session, mission_id: int, values: JuryFields, *, actor: User, today: date | None = None
) -> Jury:
    """A new jury for a mission; its creator becomes its first officer."""
    if session.get(Mission, mission_id) is None:
        raise Invalid(N_("Choose the mission this jury serves."), field="mission_id")
    _check_jury_fields(values, today=today or date.today())
    jury = Jury(
        mission_id=mission_id,
        slug=unique_slug(session, Jury.slug, values.title, fallback="jury", max_length=70),
        created_by_id=actor.id,
        **asdict(values),
    )
    jury.officers.append(JuryOfficer(user_id=actor.id))
    session.add(jury)
    session.flush()
    audit.record(
        session,
        actor,
        "jury.created",
        _subject(jury),
        {"mission_id": mission_id, "slug": jury.slug, "status": jury.status.value},
    )
    session.commit()
    return jury


def update_jury(
    session: Session, jury_id: int, values: JuryFields, *, actor: User, today: date | None = None
) -> Jury:
    jury = _editable_jury(session, jury_id, actor)
    _check_jury_fields(values, today=today or date.today())
    changed: dict[str, list[Any]] = {}
    for name, after in asdict(values).items():
        before = getattr(jury, name)
        if before != after:
            changed[name] = [before, after]
            setattr(jury, name, after)
    if changed:
        audit.record(session, actor, "jury.updated", _subject(jury), changed)
    session.commit()
    return jury


# --- Officers -------------------------------------------------------------------------------------


def list_officers(session: Session, jury_id: int) -> list[User]:
    return list(
        session.scalars(
            sa.select(User)
            .join(JuryOfficer, JuryOfficer.user_id == User.id)
            .where(JuryOfficer.jury_id == jury_id)
            .order_by(User.display_name, User.id)
        )
    )


def add_officer(session: Session, jury_id: int, email: str, *, actor: User) -> User:
    """Make another officer (someone holding the officer role) an officer of this jury."""
    jury = require_manager(session, jury_id, actor)
    user = get_user_by_email(session, email)
    if user is None or not user.is_active or not user.has_role(Role.OFFICER):
        raise Invalid(N_("No officer has an account with this e-mail address."), field="email")
    if is_jury_officer(session, jury.id, user):
        raise Conflict(
            N_("%(name)s is already an officer of this jury."),
            field="email",
            name=user.display_name,
        )
    session.add(JuryOfficer(jury_id=jury.id, user_id=user.id))
    audit.record(session, actor, "jury.officer_added", _subject(jury), {"user_id": user.id})
    session.commit()
    return user


def remove_officer(session: Session, jury_id: int, user_id: int, *, actor: User) -> None:
    jury = require_manager(session, jury_id, actor)
    officer = session.scalar(
        sa.select(JuryOfficer).where(JuryOfficer.jury_id == jury.id, JuryOfficer.user_id == user_id)
    )
    if officer is None:
        raise NotFound(N_("This person is not an officer of this jury."))
    count = session.scalar(
        sa.select(sa.func.count(JuryOfficer.id)).where(JuryOfficer.jury_id == jury.id)
    )
    if (count or 0) <= 1:
        raise Conflict(N_("A jury needs at least one officer. Add another officer first."))
    session.delete(officer)
    audit.record(session, actor, "jury.officer_removed", _subject(jury), {"user_id": user_id})
    session.commit()


# --- Features and their values ---------------------------------------------------------------------

PREFER_NOT_TO_SAY = "Prefer not to say"
PREFER_NOT_TO_SAY_KEYS = frozenset({"prefer not to say", "prefer_not_to_say", "prefer-not-to-say"})
# Columns the pool export writes beside the features, so no feature may be called this.
CONTACT_COLUMNS = (
    "pseudonym",
    "name",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "postcode",
)
RESERVED_KEYS = frozenset({"id", "household", "source", *CONTACT_COLUMNS})


def contact_details(member: PoolMember) -> dict[str, str]:
    """A member's CONTACT_COLUMNS, in that order, as the exports write them."""
    return {
        "pseudonym": member.pseudonym,
        "name": member.name,
        "email": member.email or "",
        "phone": member.phone,
        "address_line1": member.address_line1,
        "address_line2": member.address_line2,
        "city": member.city,
        "postcode": member.postcode,
    }


MAX_VALUES = 50


def list_features(session: Session, jury_id: int) -> list[JuryFeature]:
    get_jury(session, jury_id)
    return _features(session, jury_id)


def get_feature(session: Session, jury_id: int, feature_id: int) -> JuryFeature:
    feature = session.get(JuryFeature, feature_id)
    if feature is None or feature.jury_id != jury_id:
        raise NotFound(N_("This jury has no such feature."))
    return feature


def _member_count(session: Session, jury_id: int) -> int:
    return (
        session.scalar(sa.select(sa.func.count(PoolMember.id)).where(PoolMember.jury_id == jury_id))
        or 0
    )


def _answered_value_ids(session: Session, feature_id: int) -> set[int]:
    return set(
        session.scalars(
            sa.select(MemberAnswer.value_id).where(MemberAnswer.feature_id == feature_id).distinct()
        )
    )


def _feature_key(values: FeatureFields) -> str:
    key = values.key or make_slug(values.label, separator="_", max_length=80) or "feature"
    if key.casefold() in RESERVED_KEYS:
        raise Invalid(
            N_("%(key)s is used for contact details in pool files; choose another name."),
            field="key",
            key=key,
        )
    return key


def _clean_values(lines: list[str]) -> list[str]:
    values: list[str] = []
    seen: set[str] = set()
    for line in (line.strip() for line in lines):
        if not line:
            continue
        if len(line) > 120:
            raise Invalid(N_("Keep each answer under 120 characters."), field="values")
        if line.casefold() in seen:
            raise Invalid(N_("The answer %(value)s is listed twice."), field="values", value=line)
        if line.casefold() in PREFER_NOT_TO_SAY_KEYS:
            raise Invalid(
                N_("Tick the box below to offer “prefer not to say” instead of listing it."),
                field="values",
            )
        seen.add(line.casefold())
        values.append(line)
    if not values:
        raise Invalid(N_("List at least one answer."), field="values")
    if len(values) > MAX_VALUES:
        raise Invalid(N_("List at most %(count)s answers."), field="values", count=MAX_VALUES)
    return values


def _sync_values(
    feature: JuryFeature, wanted: list[str], prefer_not_to_say: bool, answered: set[int]
) -> None:
    """Make the feature's values ``wanted`` (plus "prefer not to say" when offered), keeping the
    quotas of values that stay. A value a volunteer chose cannot go."""
    keep = {value.key: value for value in feature.values}
    targets = [(key, key, False) for key in wanted]
    if prefer_not_to_say:
        existing = next((v for v in feature.values if v.is_prefer_not_to_say), None)
        key = existing.key if existing is not None else PREFER_NOT_TO_SAY
        targets.append((key, PREFER_NOT_TO_SAY, True))
    wanted_keys = {key for key, _, _ in targets}
    for value in list(feature.values):
        if value.key not in wanted_keys:
            if value.id in answered:
                raise Conflict(
                    N_("Volunteers already chose %(value)s, so it cannot be removed."),
                    field="values",
                    value=value.label,
                )
            feature.values.remove(value)
    for position, (key, label, pnts) in enumerate(targets):
        row = keep.get(key)
        if row is None:
            row = FeatureValue(key=key, label=label, is_prefer_not_to_say=pnts)
            feature.values.append(row)
        row.position = position
        row.is_prefer_not_to_say = pnts
    feature.allow_prefer_not_to_say = prefer_not_to_say
    feature.values.sort(key=lambda value: value.position)


def add_feature(
    session: Session, jury_id: int, values: FeatureFields, *, actor: User
) -> JuryFeature:
    """A new demographic question. Volunteers already in the pool were not asked it, so it can
    only be added while the pool is empty."""
    jury = _editable_jury(session, jury_id, actor)
    if _member_count(session, jury.id):
        raise Conflict(
            N_(
                "Volunteers already in the pool were not asked this question. Add questions "
                "before anyone registers, or import the pool again with the new column."
            )
        )
    key = _feature_key(values)
    if session.scalar(
        sa.select(JuryFeature.id).where(JuryFeature.jury_id == jury.id, JuryFeature.key == key)
    ):
        raise Conflict(N_("This jury already has a feature called %(key)s."), field="key", key=key)
    wanted = _clean_values(values.values)
    position = len(_features(session, jury.id))
    feature = JuryFeature(jury_id=jury.id, key=key, label=values.label, position=position)
    session.add(feature)
    _sync_values(feature, wanted, values.allow_prefer_not_to_say, set())
    session.flush()
    audit.record(
        session,
        actor,
        "jury.feature_added",
        _subject(jury),
        {"feature": key, "values": [value.key for value in feature.values]},
    )
    session.commit()
    return feature


def update_feature(
    session: Session, jury_id: int, feature_id: int, values: FeatureFields, *, actor: User
) -> JuryFeature:
    jury = _editable_jury(session, jury_id, actor)
    feature = get_feature(session, jury.id, feature_id)
    key = _feature_key(values)
    if key != feature.key:
        if _member_count(session, jury.id):
            raise Conflict(
                N_("The pool already uses this feature's name; it cannot change now."), field="key"
            )
        clash = session.scalar(
            sa.select(JuryFeature.id).where(
                JuryFeature.jury_id == jury.id, JuryFeature.key == key, JuryFeature.id != feature.id
            )
        )
        if clash:
            raise Conflict(
                N_("This jury already has a feature called %(key)s."), field="key", key=key
            )
    before = [value.key for value in feature.values]
    _sync_values(
        feature,
        _clean_values(values.values),
        values.allow_prefer_not_to_say,
        _answered_value_ids(session, feature.id),
    )
    feature.key, feature.label = key, values.label
    session.flush()
    audit.record(
        session,
        actor,
        "jury.feature_updated",
        _subject(jury),
        {"feature": key, "values": [before, [value.key for value in feature.values]]},
    )
    session.commit()
    return feature


def remove_feature(session: Session, jury_id: int, feature_id: int, *, actor: User) -> None:
    """Remove a question, its quotas and every volunteer's answer to it."""
    jury = _editable_jury(session, jury_id, actor)
    feature = get_feature(session, jury.id, feature_id)
    key = feature.key
    session.delete(feature)
    audit.record(session, actor, "jury.feature_removed", _subject(jury), {"feature": key})
    session.commit()


# --- Registration ---------------------------------------------------------------------------------

PSEUDONYM_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud safely
PSEUDONYM_LENGTH = 6
_HOUSEHOLD_KEY = re.compile(r"hh-[0-9a-f]{40}")


def new_pseudonym(taken: set[str]) -> str:
    """A random, readable pseudonym such as ``V-K7P2QX`` not in ``taken``."""
    while True:
        pseudonym = "V-" + "".join(
            secrets.choice(PSEUDONYM_ALPHABET) for _ in range(PSEUDONYM_LENGTH)
        )
        if pseudonym not in taken:
            return pseudonym


def _taken_pseudonyms(session: Session, jury_id: int) -> set[str]:
    return set(
        session.scalars(sa.select(PoolMember.pseudonym).where(PoolMember.jury_id == jury_id))
    )


def normalise_address(line1: str, line2: str, city: str, postcode: str) -> str:
    """The address as the CSV import normalises a people file's address columns (the same four
    slots), so a volunteer who registers and one imported at the same address share a
    household."""
    return pooldata.address_key(line1, line2, city, postcode)


def household_key(jury_id: int, household: str) -> str:
    """A stored household key: a digest of the normalised address or imported household id, so
    the key itself shows no address. A key already in this form (from an export) is kept."""
    if _HOUSEHOLD_KEY.fullmatch(household):
        return household
    digest = hashlib.sha256(f"{jury_id}\n{household}".encode()).hexdigest()
    return f"hh-{digest[:40]}"


def registration_is_open(jury: Jury, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if jury.status is not JuryStatus.OPEN:
        return False
    if jury.registration_opens is not None and now < jury.registration_opens:
        return False
    return jury.registration_closes is None or now < jury.registration_closes


def _check_answers(features: list[JuryFeature], answers: dict[int, int]) -> None:
    for feature in features:
        chosen = answers.get(feature.id)
        if chosen is None or chosen not in {value.id for value in feature.values}:
            raise Invalid(N_("Choose an answer."), field=f"q{feature.id}")


def register_volunteer(
    session: Session,
    jury_id: int,
    values: VolunteerFields,
    *,
    consent_text: str,
    user: User | None = None,
    now: datetime | None = None,
) -> tuple[PoolMember, bool]:
    """Add a resident to the pool, or update their registration when this e-mail address is
    already in it. Returns the member and whether they are new.

    Every registration, an update too, gets a new pseudonym, which the volunteer is shown. So
    typing someone else's e-mail address never reveals the pseudonym under which their answers
    will be published, and the page looks the same whether the address was new or not. (Nothing
    is published before a draw is committed, and registration closes then.)"""
    now = now or utcnow()
    # Locked: a draw committed meanwhile waits for this registration, or this one sees it.
    jury = lock_jury(session, jury_id)
    if not registration_is_open(jury, now):
        raise Conflict(N_("Registration for this jury is closed."))
    if not values.consent:
        raise Invalid(N_("Tick the box to give your consent, or you cannot join."), field="consent")
    features = _features(session, jury.id)
    _check_answers(features, values.answers)
    email = normalise_email(values.email)
    member = session.scalar(
        sa.select(PoolMember).where(PoolMember.jury_id == jury.id, PoolMember.email == email)
    )
    created = member is None
    pseudonym = new_pseudonym(_taken_pseudonyms(session, jury.id))
    if member is None:
        member = PoolMember(
            jury_id=jury.id, pseudonym=pseudonym, source=MemberSource.REGISTRATION, email=email
        )
        session.add(member)
    previous = member.pseudonym
    member.pseudonym = pseudonym
    member.name = values.name
    member.phone = values.phone
    member.address_line1 = values.address_line1
    member.address_line2 = values.address_line2
    member.city = values.city
    member.postcode = values.postcode
    member.household_key = household_key(
        jury.id,
        normalise_address(values.address_line1, values.address_line2, values.city, values.postcode),
    )
    member.consent_given_at = now
    member.consent_text = consent_text
    if user is not None and member.user_id is None:
        member.user_id = user.id
    _set_answers(member, {feature.id: values.answers[feature.id] for feature in features})
    session.flush()
    details = {"member": pseudonym} if created else {"member": pseudonym, "previous": previous}
    # No actor, on purpose: the log outlives a purge while the published bundle keeps each
    # pseudonym's answers, so an entry naming the signed-in resident beside the pseudonym would
    # tie their account to their answers for good.
    audit.record(
        session,
        None,
        "jury.volunteer_registered" if created else "jury.volunteer_updated",
        _subject(jury),
        details,
    )
    session.commit()
    return member, created


def _set_answers(member: PoolMember, answers: dict[int, int]) -> None:
    by_feature = {answer.feature_id: answer for answer in member.answers}
    for feature_id, value_id in answers.items():
        answer = by_feature.pop(feature_id, None)
        if answer is None:
            member.answers.append(MemberAnswer(feature_id=feature_id, value_id=value_id))
        else:
            answer.value_id = value_id
    for stale in by_feature.values():
        member.answers.remove(stale)


# --- The pool -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueCount:
    value_id: int
    key: str
    label: str
    is_prefer_not_to_say: bool
    count: int
    quota_min: int | None
    quota_max: int | None
    population_share: float | None


@dataclass(frozen=True)
class FeatureCount:
    feature_id: int
    key: str
    label: str
    values: list[ValueCount]


@dataclass(frozen=True)
class PoolSummary:
    members: int
    features: list[FeatureCount]


def pool_summary(session: Session, jury_id: int) -> PoolSummary:
    """How many volunteers gave each answer, beside the quotas."""
    jury = get_jury(session, jury_id)
    counts: dict[int, int] = {
        value_id: count
        for value_id, count in session.execute(
            sa.select(MemberAnswer.value_id, sa.func.count(MemberAnswer.id))
            .join(PoolMember, PoolMember.id == MemberAnswer.member_id)
            .where(PoolMember.jury_id == jury.id)
            .group_by(MemberAnswer.value_id)
        )
    }
    features = [
        FeatureCount(
            feature.id,
            feature.key,
            feature.label,
            [
                ValueCount(
                    value.id,
                    value.key,
                    value.label,
                    value.is_prefer_not_to_say,
                    counts.get(value.id, 0),
                    value.quota_min,
                    value.quota_max,
                    value.population_share,
                )
                for value in feature.values
            ],
        )
        for feature in _features(session, jury.id)
    ]
    return PoolSummary(_member_count(session, jury.id), features)


MEMBERS_PER_PAGE = 50


def list_members(
    session: Session, jury_id: int, *, page: int, per_page: int = MEMBERS_PER_PAGE
) -> list[PoolMember]:
    return list(
        session.scalars(
            sa.select(PoolMember)
            .where(PoolMember.jury_id == jury_id)
            .options(selectinload(PoolMember.answers))
            .order_by(PoolMember.id)
            .offset(max(page - 1, 0) * per_page)
            .limit(per_page)
        )
    )


def count_members(session: Session, jury_id: int) -> int:
    return _member_count(session, jury_id)


# --- Quotas ---------------------------------------------------------------------------------------

# Far above any panel, far below what an INTEGER column holds.
MAX_QUOTA = 100_000


def current_quotas(session: Session, jury_id: int) -> list[Quota]:
    """The jury's quotas as the selection sees them (unset bounds: 0 and the panel size)."""
    instance, _ = build_instance(session, jury_id)
    return list(instance.quotas)


def _values_by_id(session: Session, jury_id: int) -> dict[int, FeatureValue]:
    return {value.id: value for feature in _features(session, jury_id) for value in feature.values}


def check_quota_bounds(value_id: int, low: int | None, high: int | None, panel_size: int) -> None:
    """Raise Invalid (beside the offending field) for bounds no panel could meet."""
    for name, bound in (("min", low), ("max", high)):
        if bound is not None and not 0 <= bound <= MAX_QUOTA:
            raise Invalid(
                N_("Give a whole number from 0 to %(max)s."),
                field=f"{name}_{value_id}",
                max=MAX_QUOTA,
            )
    if low is not None and low > panel_size:
        raise Invalid(
            N_("The minimum cannot be more than the panel size (%(size)s)."),
            field=f"min_{value_id}",
            size=panel_size,
        )
    if low is not None and high is not None and high < low:
        raise Invalid(N_("The maximum must be at least the minimum."), field=f"max_{value_id}")


def set_quotas(
    session: Session,
    jury_id: int,
    bounds: dict[int, tuple[int | None, int | None]],
    *,
    actor: User,
) -> None:
    """Set min and max for the given values (None: not set, so 0 and the panel size)."""
    jury = _editable_jury(session, jury_id, actor)
    values = _values_by_id(session, jury.id)
    changes: list[dict[str, Any]] = []
    for value_id, (low, high) in bounds.items():
        value = values.get(value_id)
        if value is None:
            raise NotFound(N_("This jury has no such answer."))
        check_quota_bounds(value_id, low, high, jury.panel_size)
        if (value.quota_min, value.quota_max) != (low, high):
            changes.append(
                {
                    "feature": value.feature.key,
                    "value": value.key,
                    "min": [value.quota_min, low],
                    "max": [value.quota_max, high],
                }
            )
            value.quota_min, value.quota_max = low, high
    if changes:
        audit.record(session, actor, "jury.quotas_set", _subject(jury), {"changes": changes})
    session.commit()


def propose_from_shares(
    session: Session, jury_id: int, shares: dict[int, float | None], *, actor: User
) -> list[Quota]:
    """Store each value's share of the population (percent) and set the quotas they give for
    the panel size. Features whose shares are all empty keep their quotas; a "prefer not to
    say" answer may be left empty."""
    jury = _editable_jury(session, jury_id, actor)
    features = _features(session, jury.id)
    wanted: dict[str, dict[str, float]] = {}
    for feature in features:
        given = {value.id: shares.get(value.id) for value in feature.values}
        for value_id, share in given.items():
            if share is not None and not (math.isfinite(share) and 0 <= share <= 100):
                raise Invalid(N_("Give a percentage from 0 to 100."), field=f"share_{value_id}")
        required = [value for value in feature.values if not value.is_prefer_not_to_say]
        missing = [value for value in required if given[value.id] is None]
        if len(missing) == len(required) and all(
            given[value.id] is None for value in feature.values
        ):
            continue
        if missing:
            raise Invalid(
                N_("Give a share for every answer to %(feature)s, or leave them all empty."),
                field=f"share_{missing[0].id}",
                feature=feature.label,
            )
        chosen = {
            value.key: share for value in feature.values if (share := given[value.id]) is not None
        }
        total = math.fsum(chosen.values())
        if abs(total - 100) > SHARE_TOLERANCE:
            raise Invalid(
                N_(
                    "The shares for %(feature)s add up to %(total)s%%; they should add up to 100%%."
                ),
                field=f"share_{feature.values[0].id}",
                feature=feature.label,
                total=f"{total:g}",
            )
        wanted[feature.key] = chosen
    proposed = propose_quotas(wanted, jury.panel_size) if wanted else []
    by_key = {(q.feature, q.value): q for q in proposed}
    for feature in features:
        for value in feature.values:
            value.population_share = shares.get(value.id)
            quota = by_key.get((feature.key, value.key))
            if quota is not None:
                value.quota_min, value.quota_max = quota.min, quota.max
    audit.record(
        session,
        actor,
        "jury.quotas_proposed",
        _subject(jury),
        {
            "shares": wanted,
            "quotas": [[q.feature, q.value, q.min, q.max] for q in proposed],
        },
    )
    session.commit()
    return proposed


# --- Feasibility ----------------------------------------------------------------------------------


def check_feasibility(session: Session, jury_id: int) -> Infeasibility | None:
    """None when some panel meets every quota (and the household rule when on); otherwise why
    not, and the smallest relaxation that would help."""
    jury = get_jury(session, jury_id)
    instance, _ = build_instance(session, jury.id)
    if not instance.ids:
        raise Conflict(N_("The pool is empty: there is nobody to select yet."))
    return selection.check_feasibility(instance, households=jury.household_rule)


def relaxation_digest(changes: list[QuotaChange]) -> str:
    """A fingerprint of a proposed relaxation, so the one applied is the one the officer saw."""
    text = json.dumps(
        sorted([c.feature, c.value, c.old_min, c.old_max, c.new_min, c.new_max] for c in changes),
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()


def apply_relaxation(
    session: Session, jury_id: int, *, digest: str, actor: User
) -> list[QuotaChange]:
    """Write the relaxation the feasibility check proposes, if it is still the one shown."""
    jury = _editable_jury(session, jury_id, actor)
    result = check_feasibility(session, jury.id)
    if result is None:
        raise Conflict(N_("The quotas can already be met; there is nothing to relax."))
    if result.relaxation is None:
        raise Conflict(N_("No relaxation within the flex bounds makes these quotas feasible."))
    if not hmac.compare_digest(digest, relaxation_digest(result.relaxation)):
        raise Conflict(
            N_("The pool or the quotas changed since you looked. Check the new proposal.")
        )
    values = {
        (feature.key, value.key): value
        for feature in _features(session, jury.id)
        for value in feature.values
    }
    for change in result.relaxation:
        value = values[change.feature, change.value]
        value.quota_min, value.quota_max = change.new_min, change.new_max
    audit.record(
        session,
        actor,
        "jury.quotas_relaxed",
        _subject(jury),
        {"changes": [asdict(change) for change in result.relaxation]},
    )
    session.commit()
    return result.relaxation


# --- Import and export ----------------------------------------------------------------------------

# Where each stored contact detail may come from in an imported people file (names compared
# ignoring case, spaces and hyphens), and how long it may be.
CONTACT_SOURCES: dict[str, tuple[str, ...]] = {
    "name": ("name", "full_name"),
    "first_name": ("first_name", "firstname", "given_name", "forename"),
    "last_name": ("last_name", "lastname", "surname", "family_name"),
    "email": ("email", "e_mail", "email_address"),
    "phone": ("phone", "mobile_number", "mobile", "telephone", "phone_number"),
    # The address: the columns the household key reads too.
    **dict(pooldata.ADDRESS_SLOTS),
}
CONTACT_LENGTHS = {
    "name": 200,
    "email": 254,
    "phone": 40,
    "address_line1": 200,
    "address_line2": 200,
    "city": 120,
    "postcode": 20,
}
MAX_EXTERNAL_ID = 120
MAX_FEATURE_KEY = 80
MAX_VALUE_KEY = 120
PREVIEW_ROWS = 10


def _column_name(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().casefold())


def contact_columns(columns: list[str]) -> dict[str, str]:
    """Which column of a people file gives each contact detail we keep: {detail: column}."""
    found: dict[str, str] = {}
    for detail, names in CONTACT_SOURCES.items():
        for column in columns:
            if _column_name(column) in names:
                found[detail] = column
                break
    return found


def _contact_of(person: Person, columns: dict[str, str]) -> dict[str, str]:
    def cell(detail: str) -> str:
        column = columns.get(detail)
        return person.contact.get(column, "") if column else ""

    name = cell("name") or " ".join(
        part for part in (cell("first_name"), cell("last_name")) if part
    )
    details = {detail: cell(detail) for detail in CONTACT_LENGTHS}
    details["name"] = name
    details["email"] = normalise_email(details["email"])
    return details


@dataclass(frozen=True)
class PreviewValue:
    key: str
    count: int
    quota_min: int
    quota_max: int


@dataclass(frozen=True)
class PreviewFeature:
    key: str
    values: list[PreviewValue]


@dataclass(frozen=True)
class ImportPreview:
    format: PoolFormat
    people: int
    new: int
    updated: int
    removed: int  # members now in the pool that a replacing import deletes
    quotas_from_file: bool
    features: list[PreviewFeature]
    kept_columns: dict[str, str]  # detail -> column
    ignored_columns: list[str]
    columns: list[str]  # of the first rows
    first_rows: list[list[str]]


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    removed: int


@dataclass
class _Match:
    """What an import would do: each person with the member they update (None: a new one)."""

    data: PoolData
    columns: dict[str, str]
    contacts: list[dict[str, str]]
    matches: list[PoolMember | None]
    existing: int


def _quota_errors(session: Session, jury: Jury, data: PoolData, *, replace: bool) -> list[RowError]:
    """Problems with a quotas file (as read into ``data``, perhaps partly) beyond its own
    syntax: names we reserve, sizes our columns hold, and (when the pool stays) answers
    volunteers already gave that it would drop. Each on the line and in the column of the quota
    row it is about (line 0 when it is about a row the file lacks)."""
    features, values, quotas, where = data.features, data.values, data.quotas, data.where
    errors: list[RowError] = []

    def error(line: int, role: str | None, message: str, params: dict[str, str | int]) -> None:
        column = where.column(role) if role is not None and line else None
        errors.append(RowError(QUOTAS_FILE, line, column, message, params))

    for name in features:
        if name.casefold() in RESERVED_KEYS:
            error(
                where.line(name),
                "feature",
                N_("The feature name %(feature)s is used for contact details; rename it."),
                {"feature": name},
            )
        if len(name) > MAX_FEATURE_KEY:
            error(
                where.line(name),
                "feature",
                N_("The feature name %(feature)s is longer than %(max)s characters."),
                {"feature": name[:40] + "…", "max": MAX_FEATURE_KEY},
            )
        for value in values[name]:
            if len(value) > MAX_VALUE_KEY:
                error(
                    where.line(name, value),
                    "value",
                    N_("A value of %(feature)s is longer than %(max)s characters."),
                    {"feature": name, "max": MAX_VALUE_KEY},
                )
    for quota in quotas:
        bounds = {
            "min": quota.min,
            "max": quota.max,
            "min_flex": quota.min_flex,
            "max_flex": quota.max_flex,
        }
        too_big = next((role for role, bound in bounds.items() if (bound or 0) > MAX_QUOTA), None)
        if too_big is not None:
            error(
                where.line(quota.feature, quota.value),
                too_big,
                N_("The quota of %(feature)s = %(value)s is above %(max)s."),
                {"feature": quota.feature, "value": quota.value, "max": MAX_QUOTA},
            )
    if replace or not _member_count(session, jury.id):
        return errors
    current = _features(session, jury.id)
    current_keys = [feature.key for feature in current]
    for key in current_keys:
        if key not in values:
            error(
                0,
                None,
                N_(
                    "Volunteers in the pool answered %(feature)s, which this file leaves out. "
                    "Keep it, or replace the whole pool."
                ),
                {"feature": key},
            )
    for key in features:
        if key not in current_keys:
            error(
                where.line(key),
                "feature",
                N_(
                    "Volunteers in the pool were not asked %(feature)s. Leave it out, or "
                    "replace the whole pool."
                ),
                {"feature": key},
            )
    for feature in current:
        if feature.key not in values:
            continue
        answered = _answered_value_ids(session, feature.id)
        for row in feature.values:
            if row.id in answered and row.key not in values[feature.key]:
                error(
                    0,
                    None,
                    N_(
                        "Volunteers in the pool answered %(value)s to %(feature)s, which "
                        "this file leaves out. Keep it, or replace the whole pool."
                    ),
                    {"feature": feature.key, "value": row.key},
                )
    return errors


def _match_import(
    session: Session, jury: Jury, people: bytes, quotas: bytes | None, *, replace: bool
) -> _Match:
    """Read and check the files completely; raise PoolFileError with every problem found: those
    of the files themselves and, for every row that could be read, those of the pool (lengths,
    e-mail addresses, ids, quotas against the answers already given), all in one go."""
    if quotas is None:
        current = current_quotas(session, jury.id)
        if not current:
            raise Invalid(
                N_("This jury has no features yet: upload a quotas file with the people."),
                field="quotas",
            )
        data, errors = read_pool_partly(people, write_features_csv(current).encode())
    else:
        data, errors = read_pool_partly(people, quotas)
        if data is not None:
            errors += _quota_errors(session, jury, data, replace=replace)
    if data is None:
        raise PoolFileError(errors)
    header = list(data.people[0].contact) if data.people else []
    columns = contact_columns(header)
    # The paper's respondents have no ids of their own (a row number is no id): always new.
    paper = data.format is PoolFormat.PAPER
    existing = [] if replace or paper else _members(session, jury.id)
    by_external = {m.external_id: m for m in existing if m.external_id is not None}
    by_pseudonym = {m.pseudonym: m for m in existing}
    by_email = {m.email: m for m in existing if m.email}
    contacts: list[dict[str, str]] = []
    matches: list[PoolMember | None] = []
    first_with_email: dict[str, str] = {}
    claimed: dict[int, str] = {}
    where = {**columns, "name": columns.get("name") or columns.get("first_name")}
    for person in data.people:
        line = person.line
        contact = _contact_of(person, columns)
        if len(person.id) > MAX_EXTERNAL_ID:
            errors.append(
                RowError(
                    PEOPLE_FILE,
                    line,
                    None,
                    N_("An id is longer than %(max)s characters: %(id)s…"),
                    {"id": person.id[:20], "max": MAX_EXTERNAL_ID},
                )
            )
        for detail, limit in CONTACT_LENGTHS.items():
            if len(contact[detail]) > limit:
                errors.append(
                    RowError(
                        PEOPLE_FILE,
                        line,
                        where.get(detail),
                        N_("%(id)s: this is longer than %(max)s characters."),
                        {"id": person.id, "max": limit},
                    )
                )
        email = contact["email"]
        if email:
            if email in first_with_email:
                errors.append(
                    RowError(
                        PEOPLE_FILE,
                        line,
                        columns.get("email"),
                        N_("%(id)s has the same e-mail address as %(first)s."),
                        {"id": person.id, "first": first_with_email[email]},
                    )
                )
            first_with_email.setdefault(email, person.id)
        member = by_external.get(person.id) or by_pseudonym.get(person.id)
        holder = by_email.get(email) if email else None
        if member is None:
            member = holder
        elif holder is not None and holder is not member:
            errors.append(
                RowError(
                    PEOPLE_FILE,
                    line,
                    columns.get("email"),
                    N_(
                        "%(id)s has the e-mail address of %(member)s, another volunteer "
                        "already in the pool."
                    ),
                    {"id": person.id, "member": holder.pseudonym},
                )
            )
        if member is not None:
            if member.id in claimed:
                errors.append(
                    RowError(
                        PEOPLE_FILE,
                        line,
                        None,
                        N_("%(id)s and %(first)s are the same volunteer in the pool (%(member)s)."),
                        {"id": person.id, "first": claimed[member.id], "member": member.pseudonym},
                    )
                )
            claimed.setdefault(member.id, person.id)
        contacts.append(contact)
        matches.append(member)
    if errors:
        raise PoolFileError(errors)
    return _Match(data, columns, contacts, matches, _member_count(session, jury.id))


def preview_import(
    session: Session,
    jury_id: int,
    people: bytes,
    quotas: bytes | None,
    *,
    replace: bool,
    user: User,
) -> ImportPreview:
    """What importing these files would do, without doing it. Raises PoolFileError listing
    every problem (file, line, column, reason), or Invalid when the jury cannot take them."""
    jury = require_manager(session, jury_id, user)
    _refuse_if_frozen(jury)
    match = _match_import(session, jury, people, quotas, replace=replace)
    data = match.data
    counts: dict[tuple[str, str], int] = {}
    for person in data.people:
        for feature, value in person.values.items():
            counts[feature, value] = counts.get((feature, value), 0) + 1
    bounds = {(q.feature, q.value): q for q in data.quotas}
    features = [
        PreviewFeature(
            feature,
            [
                PreviewValue(
                    value,
                    counts.get((feature, value), 0),
                    bounds[feature, value].min,
                    bounds[feature, value].max,
                )
                for value in data.values[feature]
            ],
        )
        for feature in data.features
    ]
    header = list(data.people[0].contact) if data.people else []
    kept = set(match.columns.values())
    columns = [
        "id",
        *[match.columns[d] for d in CONTACT_SOURCES if d in match.columns],
        *data.features,
    ]
    first_rows = [
        [
            person.id,
            *[
                person.contact.get(match.columns[d], "")
                for d in CONTACT_SOURCES
                if d in match.columns
            ],
            *[person.values[f] for f in data.features],
        ]
        for person in data.people[:PREVIEW_ROWS]
    ]
    updated = sum(1 for member in match.matches if member is not None)
    return ImportPreview(
        format=data.format,
        people=len(data.people),
        new=len(data.people) - updated,
        updated=updated,
        removed=match.existing if replace else 0,
        quotas_from_file=quotas is not None,
        features=features,
        kept_columns=match.columns,
        ignored_columns=[name for name in header if name not in kept],
        columns=columns,
        first_rows=first_rows,
    )


def _replace_features(
    session: Session,
    jury: Jury,
    data_features: list[str],
    values: dict[str, list[str]],
    quotas: list[Quota],
) -> None:
    """Make the jury's features, values and quotas those of a quotas file, keeping the labels,
    population shares and ids of features and values that stay."""
    bounds = {(q.feature, q.value): q for q in quotas}
    current = {feature.key: feature for feature in _features(session, jury.id)}
    for key, stale in current.items():
        if key not in values:
            session.delete(stale)
    for position, key in enumerate(data_features):
        found = current.get(key)
        feature = found if found is not None else JuryFeature(jury_id=jury.id, key=key, label=key)
        if found is None:
            session.add(feature)
        feature.position = position
        existing = {value.key: value for value in feature.values}
        for value in list(feature.values):
            if value.key not in values[key]:
                feature.values.remove(value)
        for value_position, value_key in enumerate(values[key]):
            matched = existing.get(value_key)
            value = matched if matched is not None else FeatureValue(key=value_key, label=value_key)
            if matched is None:
                feature.values.append(value)
            quota = bounds[key, value_key]
            value.position = value_position
            value.is_prefer_not_to_say = value_key.casefold() in PREFER_NOT_TO_SAY_KEYS
            value.quota_min, value.quota_max = quota.min, quota.max
            value.min_flex, value.max_flex = quota.min_flex, quota.max_flex
        feature.values.sort(key=lambda value: value.position)
        feature.allow_prefer_not_to_say = any(v.is_prefer_not_to_say for v in feature.values)
    session.flush()


def import_pool(
    session: Session,
    jury_id: int,
    people: bytes,
    quotas: bytes | None,
    *,
    replace: bool,
    consent_text: str,
    actor: User,
    now: datetime | None = None,
) -> ImportSummary:
    """Import a people file (and its quotas file, which then replaces the jury's features and
    quotas), all or nothing. People are matched to members already in the pool by id, then by
    e-mail address; with ``replace`` everyone now in the pool is removed first. The paper's
    respondents, who have no ids, are always new people."""
    now = now or utcnow()
    jury = _editable_jury(session, jury_id, actor)
    match = _match_import(session, jury, people, quotas, replace=replace)
    data = match.data
    removed = 0
    if replace:
        removed = match.existing
        for old in _members(session, jury.id):
            session.delete(old)
        session.flush()
    if quotas is not None:
        _replace_features(session, jury, data.features, data.values, data.quotas)
    features = {feature.key: feature for feature in _features(session, jury.id)}
    value_ids = {
        (feature.key, value.key): value.id
        for feature in features.values()
        for value in feature.values
    }
    taken = _taken_pseudonyms(session, jury.id)
    paper = data.format is PoolFormat.PAPER
    created = updated = 0
    for person, contact, matched in zip(data.people, match.contacts, match.matches, strict=True):
        member = session.get(PoolMember, matched.id) if matched is not None else None
        if member is None:
            pseudonym = new_pseudonym(taken)
            taken.add(pseudonym)
            member = PoolMember(jury_id=jury.id, pseudonym=pseudonym, source=MemberSource.IMPORT)
            session.add(member)
            created += 1
        else:
            updated += 1
        if member.source is MemberSource.IMPORT:
            # A paper respondent's id is only their row number: not kept, as it says nothing
            # once another file is imported (an export names them by pseudonym instead).
            member.external_id = None if paper else person.id
            # A registered volunteer keeps the consent they gave themselves.
            member.consent_given_at = now
            member.consent_text = consent_text
        member.name = contact["name"]
        member.email = contact["email"] or None
        member.phone = contact["phone"]
        member.address_line1 = contact["address_line1"]
        member.address_line2 = contact["address_line2"]
        member.city = contact["city"]
        member.postcode = contact["postcode"]
        # Everyone lives alone in the paper's format: their own household, whatever the row.
        household = f"member:{member.pseudonym}" if paper else person.household
        member.household_key = household_key(jury.id, household)
        _set_answers(
            member,
            {
                features[feature].id: value_ids[feature, value]
                for feature, value in person.values.items()
            },
        )
    session.flush()
    audit.record(
        session,
        actor,
        "jury.pool_imported",
        _subject(jury),
        {
            "format": data.format.value,
            "created": created,
            "updated": updated,
            "removed": removed,
            "quotas_replaced": quotas is not None,
        },
    )
    session.commit()
    return ImportSummary(created, updated, removed)


def import_quotas(session: Session, jury_id: int, data: bytes, *, actor: User) -> list[Quota]:
    """Replace the jury's features and quotas with a quotas file's (either format). While the
    pool has volunteers, the file must keep every feature and every answer they gave."""
    jury = _editable_jury(session, jury_id, actor)
    read, errors = read_quotas_partly(data)
    if read is not None:
        errors += _quota_errors(session, jury, read, replace=False)
    if errors or read is None:
        raise PoolFileError(errors)
    quotas = read.quotas
    _replace_features(session, jury, read.features, read.values, quotas)
    audit.record(
        session,
        actor,
        "jury.quotas_imported",
        _subject(jury),
        {
            "format": read.format.value,
            "quotas": [[q.feature, q.value, q.min, q.max] for q in quotas],
        },
    )
    session.commit()
    return quotas


def export_quotas_csv(session: Session, jury_id: int) -> str:
    """The quotas as a Sortition Foundation features file."""
    return write_features_csv(current_quotas(session, jury_id))


def export_pool_csv(session: Session, jury_id: int, *, actor: User) -> str:
    """The pool as a Sortition Foundation people file, with contact details: personal data,
    so only for the jury's officers, and recorded in the audit log."""
    jury = require_manager(session, jury_id, actor)
    if jury.status is JuryStatus.PURGED:
        raise Conflict(N_("This jury's personal data has been erased."))
    instance, members = build_instance(session, jury.id)
    people = [
        Person(
            id=member.external_id or member.pseudonym,
            values=dict(zip(instance.features, row, strict=True)),
            household=member.household_key,
            contact=contact_details(member),
        )
        for member, row in zip(members, instance.values, strict=True)
    ]
    text = write_people_csv(people, list(instance.features))
    audit.record(session, actor, "jury.pool_exported", _subject(jury), {"members": len(people)})
    session.commit()
    return text


# --- For other domains: who was drawn ------------------------------------------------------------


@dataclass(frozen=True)
class DrawnPerson:
    """Someone drawn onto a jury's panel, as an advisory group filling seats by lot needs them:
    the account they volunteered with (None when they volunteered without one)."""

    name: str
    user_id: int | None


def drawn_people(session: Session, jury_id: int) -> list[DrawnPerson] | None:
    """The panel of the jury's revealed draw, in seat order, without those who declined or
    withdrew; None while the draw is not revealed."""
    draw = session.scalar(sa.select(Draw).where(Draw.jury_id == jury_id))
    if draw is None or draw.revealed_at is None:
        return None
    rows = session.execute(
        sa.select(PoolMember.name, PoolMember.user_id)
        .join(PanelSeat, PanelSeat.member_id == PoolMember.id)
        .where(
            PanelSeat.draw_id == draw.id,
            PanelSeat.status.in_([SeatStatus.INVITED, SeatStatus.CONFIRMED]),
        )
        .order_by(PanelSeat.id)
    )
    return [DrawnPerson(name, user_id) for name, user_id in rows]
