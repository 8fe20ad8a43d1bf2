"""Coding evidence items, and double-coding samples with their inter-coder agreement.

An evaluator applies a code of the mission's frame to an evidence item, either to the whole item
(no excerpt) or to an excerpt: a passage copied verbatim from the item's text (compared with runs
of white space collapsed, so line breaks copied from the page do not matter). Applying the same
code to the same item and excerpt twice is idempotent: the first application is kept and
returned, nothing is added. Applications are not audited one by one (a coding session makes
hundreds); each row records who applied it and when. A coder removes their own applications and
the applications a theme run proposed (``coder_id`` None); another coder's are not theirs to
remove.

A sample is a seeded draw (``random.Random(seed)``) of items from a filtered set of the index, in
the order drawn, for two different evaluators to code independently. The draw is audited with
its seed, filter and size, so anyone can repeat it on the same index. On the item page, a coder
of the sample who arrives from it sees only their own applications and memos (independent
coding). Agreement is measured per active code over the items BOTH coders have applied at least
one active code to; theme proposals and retired codes never count.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from engage import audit
from engage.accounts.models import User
from engage.accounts.services import display_names
from engage.errors import N_, Forbidden, Invalid, NotFound
from engage.evaluation import agreement as kappa
from engage.evaluation.frame import get_code, list_codes
from engage.evaluation.index import EvidenceFilter, filtered_ids, get_evidence
from engage.evaluation.memos import list_memos
from engage.evaluation.models import (
    Code,
    CodeApplication,
    CodeStatus,
    CodingSample,
    EvidenceRecord,
    Memo,
    SampleItem,
)
from engage.security import Role, evaluators_only, holds

EXCERPT_MAX_LENGTH = 5000
SAMPLE_NAME_MAX_LENGTH = 120
SEED_MAX_LENGTH = 64
SAMPLE_MIN_SIZE = 1
SAMPLE_MAX_SIZE = 500


def collapse(text: str) -> str:
    """``text`` with every run of white space made one space, and none at the ends."""
    return " ".join(text.split())


# --- Applying codes -----------------------------------------------------------------------------


def _check_excerpt(item: EvidenceRecord, excerpt: str) -> str:
    """The excerpt as stored (white space collapsed), or "" for the whole item."""
    if "\x00" in excerpt:
        raise Invalid(
            N_("Remove the invisible control character (NUL) from this text."), field="excerpt"
        )
    if len(excerpt) > EXCERPT_MAX_LENGTH:
        raise Invalid(
            N_("Keep the excerpt to %(max)s characters."), field="excerpt", max=EXCERPT_MAX_LENGTH
        )
    excerpt = collapse(excerpt)
    if excerpt and excerpt not in collapse(item.text):
        raise Invalid(
            N_(
                "The excerpt must be copied exactly from the item's text. Leave it empty to "
                "code the whole item."
            ),
            field="excerpt",
        )
    return excerpt


@evaluators_only
def apply_code(
    session: Session,
    mission_id: int,
    evidence_id: int,
    code_id: int,
    excerpt: str = "",
    *,
    actor: Any,
) -> CodeApplication:
    """Apply an active code of the mission to one of its items, or to an excerpt of its text.

    The same code, coder, item and excerpt a second time changes nothing and returns the
    application already there."""
    item = get_evidence(session, mission_id, evidence_id)
    code = get_code(session, mission_id, code_id)
    if code.status is not CodeStatus.ACTIVE:
        raise Invalid(
            N_("“%(name)s” is no longer an active code of the frame: choose an active one."),
            field="code",
            name=code.name,
        )
    excerpt = _check_excerpt(item, excerpt or "")
    existing = session.scalar(
        sa.select(CodeApplication).where(
            CodeApplication.code_id == code.id,
            CodeApplication.evidence_id == item.id,
            CodeApplication.coder_id == actor.id,
            CodeApplication.excerpt == excerpt,
        )
    )
    if existing is not None:
        return existing
    application = CodeApplication(
        code_id=code.id, evidence_id=item.id, coder_id=actor.id, excerpt=excerpt
    )
    session.add(application)
    session.commit()
    return application


def may_remove(application: CodeApplication, actor: Any) -> bool:
    """Whether ``actor`` may remove the application: their own, or a theme run's proposal."""
    return application.coder_id is None or (actor is not None and application.coder_id == actor.id)


@evaluators_only
def remove_application(
    session: Session, mission_id: int, evidence_id: int, application_id: int, *, actor: Any
) -> None:
    """Remove one's own application of a code to the item, or one a theme run proposed."""
    application = session.get(CodeApplication, application_id)
    if (
        application is None
        or application.evidence_id != evidence_id
        or application.code.mission_id != mission_id
    ):
        raise NotFound(N_("This item has no such coding."))
    if not may_remove(application, actor):
        raise Forbidden(
            N_("Another evaluator applied this code: only they can remove it (or add a memo).")
        )
    session.delete(application)
    session.commit()


def list_applications(
    session: Session, evidence_id: int, *, coder_id: int | None = None
) -> list[CodeApplication]:
    """The codes applied to an item (only ``coder_id``'s when given), with their codes, by code
    name and then oldest first."""
    query = (
        sa.select(CodeApplication)
        .join(CodeApplication.code)
        .where(CodeApplication.evidence_id == evidence_id)
        .options(joinedload(CodeApplication.code))
        .order_by(sa.func.lower(Code.name), CodeApplication.created_at, CodeApplication.id)
    )
    if coder_id is not None:
        query = query.where(CodeApplication.coder_id == coder_id)
    return list(session.scalars(query))


# --- The item page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleStep:
    """Where an item stands in a sample its viewer is coding independently."""

    sample: CodingSample
    position: int  # 1-based
    size: int
    next_evidence_id: int | None  # the next item of the sample, None after the last


@dataclass(frozen=True)
class ItemCoding:
    """What the item page shows: the item, the codes applied (only the viewer's own while they
    code it in a sample), the memos, and who is who."""

    item: EvidenceRecord
    applications: list[CodeApplication]
    memos: list[Memo]
    names: dict[int, str]  # display names of the coders and memo authors shown
    step: SampleStep | None = None  # set when the viewer codes the item independently

    @property
    def independent(self) -> bool:
        return self.step is not None


def item_coding(
    session: Session,
    mission_id: int,
    evidence_id: int,
    *,
    viewer: Any,
    sample_id: int | None = None,
) -> ItemCoding:
    """The item of the mission with its coding. With ``sample_id`` (a sample of this mission),
    when the viewer is one of its two coders and the item is in it, only the viewer's own
    applications and memos are shown, with the next item of the sample."""
    item = get_evidence(session, mission_id, evidence_id)
    step = None
    if sample_id is not None:
        sample = get_sample(session, mission_id, sample_id)
        if viewer is not None and viewer.id in (sample.coder_a_id, sample.coder_b_id):
            step = _step(session, sample, item.id)
    applications = list_applications(
        session, item.id, coder_id=viewer.id if step is not None else None
    )
    memos = list_memos(session, mission_id, evidence_id=item.id)
    if step is not None:
        memos = [memo for memo in memos if memo.author_id == viewer.id]
    people = {a.coder_id for a in applications if a.coder_id is not None}
    people |= {memo.author_id for memo in memos if memo.author_id is not None}
    return ItemCoding(
        item=item,
        applications=applications,
        memos=memos,
        names=display_names(session, people),
        step=step,
    )


def _step(session: Session, sample: CodingSample, evidence_id: int) -> SampleStep | None:
    order = list(
        session.scalars(
            sa.select(SampleItem.evidence_id)
            .where(SampleItem.sample_id == sample.id)
            .order_by(SampleItem.position)
        )
    )
    if evidence_id not in order:
        return None
    index = order.index(evidence_id)
    following = order[index + 1] if index + 1 < len(order) else None
    return SampleStep(sample, index + 1, len(order), following)


# --- Samples ----------------------------------------------------------------------------------


def _check_sample_fields(
    session: Session,
    mission_id: int,
    name: str,
    size: int,
    seed: str,
    coder_a_id: int,
    coder_b_id: int,
) -> tuple[str, str]:
    name = (name or "").strip()
    seed = (seed or "").strip()
    if not name:
        raise Invalid(N_("Give the sample a name."), field="name")
    if len(name) > SAMPLE_NAME_MAX_LENGTH:
        raise Invalid(
            N_("Keep the name to %(max)s characters."), field="name", max=SAMPLE_NAME_MAX_LENGTH
        )
    for text, where in ((name, "name"), (seed, "seed")):
        if "\x00" in text:
            raise Invalid(
                N_("Remove the invisible control character (NUL) from this text."), field=where
            )
    taken = session.scalar(
        sa.select(CodingSample.id).where(
            CodingSample.mission_id == mission_id,
            sa.func.lower(CodingSample.name) == name.lower(),
        )
    )
    if taken is not None:
        raise Invalid(
            N_("Another sample of this mission is already called “%(name)s”."),
            field="name",
            name=name,
        )
    if not SAMPLE_MIN_SIZE <= size <= SAMPLE_MAX_SIZE:
        raise Invalid(
            N_("Draw between %(min)s and %(max)s items."),
            field="size",
            min=SAMPLE_MIN_SIZE,
            max=SAMPLE_MAX_SIZE,
        )
    if not seed:
        raise Invalid(N_("Give a seed: it lets anyone repeat the draw."), field="seed")
    if len(seed) > SEED_MAX_LENGTH:
        raise Invalid(N_("Keep the seed to %(max)s characters."), field="seed", max=SEED_MAX_LENGTH)
    for coder_id, where in ((coder_a_id, "coder_a"), (coder_b_id, "coder_b")):
        coder = session.get(User, coder_id)
        if coder is None or not coder.active or not holds(coder, Role.EVALUATOR):
            raise Invalid(N_("Choose an evaluator from the list."), field=where)
    if coder_a_id == coder_b_id:
        raise Invalid(
            N_("Choose two different evaluators: agreement needs two independent coders."),
            field="coder_b",
        )
    return name, seed


def draw(ids: list[int], size: int, seed: str) -> list[int]:
    """``size`` of ``ids`` (all of them, shuffled, if there are fewer), drawn with ``seed``."""
    return random.Random(seed).sample(ids, min(size, len(ids)))


@evaluators_only
def draw_sample(
    session: Session,
    mission_id: int,
    name: str,
    size: int,
    seed: str,
    filters: EvidenceFilter,
    coder_a_id: int,
    coder_b_id: int,
    *,
    actor: Any,
) -> CodingSample:
    """Draw ``size`` items (all, if fewer match) from the mission's items that pass ``filters``,
    with ``random.Random(seed)``, for the two coders to code independently. Audited with the
    seed, the filter and the size, so the draw can be repeated."""
    name, seed = _check_sample_fields(session, mission_id, name, size, seed, coder_a_id, coder_b_id)
    ids = filtered_ids(session, mission_id, filters)
    if not ids:
        raise Invalid(N_("No item matches this filter: there is nothing to draw from."))
    drawn = draw(ids, size, seed)
    sample = CodingSample(
        mission_id=mission_id,
        name=name,
        seed=seed,
        filters=filters.as_params(),
        coder_a_id=coder_a_id,
        coder_b_id=coder_b_id,
        created_by_id=actor.id,
    )
    sample.items = [
        SampleItem(evidence_id=evidence_id, position=position)
        for position, evidence_id in enumerate(drawn, start=1)
    ]
    session.add(sample)
    try:
        session.flush()
    except IntegrityError:  # another evaluator took the name a moment ago
        session.rollback()
        raise Invalid(
            N_("Another sample of this mission is already called “%(name)s”."),
            field="name",
            name=name,
        ) from None
    audit.record(
        session,
        actor,
        "evaluation.sample_drawn",
        f"mission:{mission_id}",
        {
            "sample_id": sample.id,
            "name": name,
            "seed": seed,
            "filter": filters.as_params(),
            "size": size,
            "drawn": len(drawn),
            "matching": len(ids),
            "coders": [coder_a_id, coder_b_id],
        },
    )
    session.commit()
    return sample


def get_sample(session: Session, mission_id: int, sample_id: int) -> CodingSample:
    sample = session.get(CodingSample, sample_id)
    if sample is None or sample.mission_id != mission_id:
        raise NotFound(N_("There is no such sample in this mission."))
    return sample


@dataclass
class SampleProgress:
    """A sample with how far its coders are: items each has coded (applied at least one active
    code to) and items both have, which are the ones agreement counts."""

    sample: CodingSample
    size: int
    coded_a: int = 0
    coded_b: int = 0
    coded_both: int = 0
    coder_a_name: str | None = None  # None: the account was deleted
    coder_b_name: str | None = None


def _coded_sets(
    session: Session, mission_id: int, samples: list[CodingSample]
) -> dict[int, dict[int, tuple[set[int], set[int]]]]:
    """Per sample, per item: (active codes coder A applied, those coder B applied)."""
    result: dict[int, dict[int, tuple[set[int], set[int]]]] = defaultdict(dict)
    by_id = {sample.id: sample for sample in samples}
    if not samples:
        return result
    # (sample, item, coder, code) for every active code a sample's coders applied to its items.
    query = (
        sa.select(
            SampleItem.sample_id,
            CodeApplication.evidence_id,
            CodeApplication.coder_id,
            CodeApplication.code_id,
        )
        .join(CodingSample, CodingSample.id == SampleItem.sample_id)
        .join(CodeApplication, CodeApplication.evidence_id == SampleItem.evidence_id)
        .join(Code, Code.id == CodeApplication.code_id)
        .where(
            SampleItem.sample_id.in_(list(by_id)),
            Code.mission_id == mission_id,
            Code.status == CodeStatus.ACTIVE,
            sa.or_(
                CodeApplication.coder_id == CodingSample.coder_a_id,
                CodeApplication.coder_id == CodingSample.coder_b_id,
            ),
        )
        .distinct()
    )
    for sample_id, evidence_id, coder_id, code_id in session.execute(query):
        sets = result[sample_id].setdefault(evidence_id, (set(), set()))
        sample = by_id[sample_id]
        if coder_id == sample.coder_a_id:
            sets[0].add(code_id)
        elif coder_id == sample.coder_b_id:
            sets[1].add(code_id)
    return result


def list_samples(session: Session, mission_id: int) -> list[SampleProgress]:
    """The mission's samples, newest first, with their coders' progress."""
    samples = list(
        session.scalars(
            sa.select(CodingSample)
            .where(CodingSample.mission_id == mission_id)
            .order_by(CodingSample.created_at.desc(), CodingSample.id.desc())
        )
    )
    sizes = dict(
        session.execute(
            sa.select(SampleItem.sample_id, sa.func.count())
            .where(SampleItem.sample_id.in_([sample.id for sample in samples]))
            .group_by(SampleItem.sample_id)
        ).all()
    )
    coded = _coded_sets(session, mission_id, samples)
    names = display_names(session, _coder_ids(samples))
    progress = []
    for sample in samples:
        sets = coded.get(sample.id, {}).values()
        progress.append(
            SampleProgress(
                sample=sample,
                size=sizes.get(sample.id, 0),
                coded_a=sum(1 for a, _ in sets if a),
                coded_b=sum(1 for _, b in sets if b),
                coded_both=sum(1 for a, b in sets if a and b),
                coder_a_name=names.get(sample.coder_a_id or 0),
                coder_b_name=names.get(sample.coder_b_id or 0),
            )
        )
    return progress


def _coder_ids(samples: list[CodingSample]) -> set[int]:
    return {
        coder_id
        for sample in samples
        for coder_id in (sample.coder_a_id, sample.coder_b_id)
        if coder_id is not None
    }


@dataclass(frozen=True)
class SampleItemStatus:
    item: EvidenceRecord
    position: int
    coded_a: bool
    coded_b: bool

    @property
    def counted(self) -> bool:
        return self.coded_a and self.coded_b


@dataclass(frozen=True)
class SampleReport:
    """A sample's items, its coders' progress and the agreement per active code."""

    progress: SampleProgress
    items: list[SampleItemStatus]
    codes: list[Code]  # the active codes, in the order of ``agreement.codes``
    agreement: kappa.AgreementReport
    rows: list[tuple[Code, kappa.CodeAgreement]]  # each active code with its agreement


def sample_report(session: Session, mission_id: int, sample_id: int) -> SampleReport:
    """The sample of the mission with agreement per active code over the items both coders
    have coded (see :mod:`engage.evaluation.agreement`)."""
    sample = get_sample(session, mission_id, sample_id)
    rows = session.execute(
        sa.select(SampleItem.position, EvidenceRecord)
        .join(EvidenceRecord, EvidenceRecord.id == SampleItem.evidence_id)
        .where(SampleItem.sample_id == sample.id)
        .order_by(SampleItem.position)
    ).all()
    sets = _coded_sets(session, mission_id, [sample]).get(sample.id, {})
    items = [
        SampleItemStatus(
            item=record,
            position=position,
            coded_a=bool(sets.get(record.id, (set(), set()))[0]),
            coded_b=bool(sets.get(record.id, (set(), set()))[1]),
        )
        for position, record in rows
    ]
    codes = list_codes(session, mission_id)
    counted = [sets[status.item.id] for status in items if status.counted]
    report = kappa.agreement(counted, [code.id for code in codes])
    names = display_names(session, _coder_ids([sample]))
    progress = SampleProgress(
        sample=sample,
        size=len(items),
        coded_a=sum(1 for status in items if status.coded_a),
        coded_b=sum(1 for status in items if status.coded_b),
        coded_both=len(counted),
        coder_a_name=names.get(sample.coder_a_id or 0),
        coder_b_name=names.get(sample.coder_b_id or 0),
    )
    return SampleReport(
        progress=progress,
        items=items,
        codes=codes,
        agreement=report,
        rows=list(zip(codes, report.codes, strict=True)),
    )
