"""A mission's citizens' juries as evidence items: aggregates only. Evaluation reads juries only
through here.

No item ever names a volunteer: no pool member's id, pseudonym, name, e-mail, address, postcode
or answer appears anywhere, and no item has a contributor key (none is one person's). Counts of
people go through disclosure control: under ``SMALL_COUNT`` (10) they are ``suppressed``, the
rest are rounded to the nearest ``ROUND_TO`` (5); ``suppressed_below`` and ``rounded_to`` say so
in the attributes of every item that carries such counts.

Draft juries are still being set up and yield nothing. For each other jury of the mission, in
order of creation, then by id:

- ``juries.pool``: the pool's size and its composition per demographic feature
  (``pool.<feature>.<value>``), with the features' and values' labels.
- ``juries.quotas``: the panel size and every value's quota (``quota.<feature>.<value>.min`` and
  ``.max``, empty when unbounded).
- ``juries.selection``: the selection run behind the draw, or without a draw the latest
  finished run, if any: its algorithm, the panel size, the pool size it ran on, the minimum
  selection probability of its lottery, the number of panels in the lottery.
- ``juries.draw``: the committed draw, if any: when it was committed and revealed, the public
  verification hash (the SHA-256 ``commitment`` of the published bundle), the source of the
  random value and, once revealed, the value itself.
- ``juries.panel``: once the draw is revealed, the composition of the current panel (invited or
  confirmed, not reserves) per feature (``panel.<feature>.<value>``).

Every item carries ``jury_id``, ``jury_title``, ``jury_status``, ``personal_data_purged``
(``yes``/``no``) and ``purged_at``. After a purge the pool and panel counts are the ones the purge
kept (``Jury.aggregate_counts``, already suppressed under 10), rounded here like the live ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from engage.disclosure import ROUND_TO, SMALL_COUNT, suppress_and_round
from engage.evidence import EvidenceItem
from engage.juries import draws
from engage.juries.models import (
    Draw,
    FeatureValue,
    Jury,
    JuryFeature,
    JuryStatus,
    RunStatus,
    SelectionRun,
)

POOL_SOURCE = "juries.pool"
QUOTAS_SOURCE = "juries.quotas"
SELECTION_SOURCE = "juries.selection"
DRAW_SOURCE = "juries.draw"
PANEL_SOURCE = "juries.panel"

SUPPRESSED = "suppressed"


def disclose(count: int | None) -> str:
    """A count of people as it may be published (engage.disclosure's rule): ``suppressed`` from 1
    to ``SMALL_COUNT`` - 1 (or when already suppressed: None), otherwise rounded to ``ROUND_TO``."""
    shown = None if count is None else suppress_and_round(count)
    return SUPPRESSED if shown is None else str(shown)


def evidence_items(session: Session, mission_id: int) -> Iterator[EvidenceItem]:
    juries = list(
        session.scalars(
            sa.select(Jury)
            .where(Jury.mission_id == mission_id, Jury.status != JuryStatus.DRAFT)
            .options(selectinload(Jury.features).selectinload(JuryFeature.values))
            .order_by(Jury.created_at, Jury.id)
        )
    )
    if not juries:
        return
    jury_ids = [jury.id for jury in juries]
    drawn = {
        draw.jury_id: draw
        for draw in session.scalars(sa.select(Draw).where(Draw.jury_id.in_(jury_ids)))
    }
    runs = {
        run.id: run
        for run in session.scalars(
            sa.select(SelectionRun)
            .where(SelectionRun.jury_id.in_(jury_ids))
            .order_by(SelectionRun.created_at, SelectionRun.id)
        )
    }
    for jury in juries:
        counts = _counts(session, jury)
        draw = drawn.get(jury.id)
        yield _pool_item(mission_id, jury, counts)
        yield _quotas_item(mission_id, jury)
        run = _run_of(jury, draw, runs)
        if run is not None:
            yield _selection_item(mission_id, jury, run, drawn=draw is not None)
        if draw is not None:
            yield _draw_item(mission_id, jury, draw)
            if draw.random_value is not None:
                yield _panel_item(mission_id, jury, draw, counts)


def _counts(session: Session, jury: Jury) -> dict[str, Any]:
    """Pool and panel counts per feature value (under 10 as None): kept by the purge, or counted
    now. Who answered what never leaves the database's counting."""
    if jury.status is JuryStatus.PURGED:
        return jury.aggregate_counts or {}
    return draws.aggregate_counts(session, jury.id)


def _run_of(jury: Jury, draw: Draw | None, runs: dict[int, SelectionRun]) -> SelectionRun | None:
    if draw is not None:
        return runs.get(draw.run_id)
    finished = [
        run for run in runs.values() if run.jury_id == jury.id and run.status is RunStatus.DONE
    ]
    return finished[-1] if finished else None


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def _jury_attributes(jury: Jury) -> dict[str, str]:
    return {
        "jury_id": str(jury.id),
        "jury_title": jury.title,
        "jury_status": jury.status.value,
        "personal_data_purged": "yes" if jury.status is JuryStatus.PURGED else "no",
        "purged_at": _iso(jury.purged_at),
    }


def _disclosure_attributes() -> dict[str, str]:
    return {"suppressed_below": str(SMALL_COUNT), "rounded_to": str(ROUND_TO)}


def _label_attributes(jury: Jury) -> dict[str, str]:
    attributes = {"features": ",".join(feature.key for feature in jury.features)}
    for feature in jury.features:
        attributes[f"label.{feature.key}"] = feature.label
        attributes[f"values.{feature.key}"] = ",".join(value.key for value in feature.values)
        for value in feature.values:
            attributes[f"label.{feature.key}.{value.key}"] = value.label
    return attributes


def _composition(
    jury: Jury, counts: dict[str, dict[str, int | None]], prefix: str
) -> dict[str, str]:
    """``<prefix>.<feature>.<value>`` -> the disclosed count, for every current feature value."""
    return {
        f"{prefix}.{feature.key}.{value.key}": disclose(counts.get(feature.key, {}).get(value.key))
        for feature in jury.features
        for value in feature.values
    }


def _composition_text(jury: Jury, attributes: dict[str, str], prefix: str) -> str:
    lines = []
    for feature in jury.features:
        shares = "; ".join(
            f"{value.label}: {attributes[f'{prefix}.{feature.key}.{value.key}']}"
            for value in feature.values
        )
        lines.append(f"{feature.label}: {shares}.")
    return "\n".join(lines)


def _pool_item(mission_id: int, jury: Jury, counts: dict[str, Any]) -> EvidenceItem:
    total = disclose(counts.get("pool_total"))
    attributes = (
        _jury_attributes(jury)
        | _disclosure_attributes()
        | {"pool_total": total}
        | _label_attributes(jury)
        | _composition(jury, counts.get("pool", {}), "pool")
    )
    return EvidenceItem(
        source_kind=POOL_SOURCE,
        source_id=jury.id,
        mission_id=mission_id,
        created_at=jury.created_at,
        title=f"Volunteer pool of {jury.title}",
        text=(
            f"Volunteers in the pool: {total} (counts under {SMALL_COUNT} suppressed, the rest "
            f"rounded to {ROUND_TO}).\n" + _composition_text(jury, attributes, "pool")
        ),
        attributes=attributes,
    )


def _bound(bound: int | None) -> str:
    return "" if bound is None else str(bound)


def _quota_text(value: FeatureValue) -> str:
    low, high = value.quota_min, value.quota_max
    if low is None and high is None:
        return f"{value.label}: no quota"
    return f"{value.label}: {_bound(low) or '0'} to {_bound(high) or 'any'}"


def _quotas_item(mission_id: int, jury: Jury) -> EvidenceItem:
    attributes = _jury_attributes(jury) | {"panel_size": str(jury.panel_size)}
    attributes |= _label_attributes(jury)
    for feature in jury.features:
        for value in feature.values:
            attributes[f"quota.{feature.key}.{value.key}.min"] = _bound(value.quota_min)
            attributes[f"quota.{feature.key}.{value.key}.max"] = _bound(value.quota_max)
    text = "\n".join(
        f"{feature.label}: " + "; ".join(_quota_text(value) for value in feature.values) + "."
        for feature in jury.features
    )
    return EvidenceItem(
        source_kind=QUOTAS_SOURCE,
        source_id=jury.id,
        mission_id=mission_id,
        created_at=jury.created_at,
        title=f"Quotas of {jury.title}",
        text=f"A panel of {jury.panel_size}.\n{text}".rstrip(),
        attributes=attributes,
    )


def _float(value: Any) -> str:
    return f"{float(value):.6g}" if isinstance(value, int | float) else ""


def _selection_item(mission_id: int, jury: Jury, run: SelectionRun, *, drawn: bool) -> EvidenceItem:
    # Only what the purge keeps (see draws._purge): never the per-person probabilities or panels.
    result = run.result or {}
    lottery = result.get("lottery") or {}
    minimum = _float(lottery.get("min_probability", result.get("min_probability")))
    pool_size = result.get("pool_size")
    panel_size = result.get("panel_size", jury.panel_size)
    attributes = (
        _jury_attributes(jury)
        | _disclosure_attributes()
        | {
            "run_id": str(run.id),
            "algorithm": str(result.get("algorithm", run.algorithm)),
            "household_rule": "yes" if run.household_rule else "no",
            "panel_size": str(panel_size),
            "pool_size": disclose(pool_size if isinstance(pool_size, int) else None),
            "min_probability": minimum,
            "lottery_panels": str(lottery.get("m", "")),
            "finished_at": _iso(run.finished_at),
            "drawn": "yes" if drawn else "no",
        }
    )
    return EvidenceItem(
        source_kind=SELECTION_SOURCE,
        source_id=run.id,
        mission_id=mission_id,
        created_at=run.finished_at or run.created_at,
        title=f"Selection for {jury.title}",
        text=(
            f"Algorithm {attributes['algorithm']}, panel of {panel_size} from a pool of "
            f"{attributes['pool_size']}; every volunteer's chance of selection at least "
            f"{minimum or 'unknown'}."
        ),
        attributes=attributes,
    )


def _draw_item(mission_id: int, jury: Jury, draw: Draw) -> EvidenceItem:
    revealed = draw.random_value is not None
    attributes = _jury_attributes(jury) | {
        "draw_id": str(draw.id),
        "commitment": draw.commitment,
        "randomness_source": draw.randomness_source,
        "committed_at": _iso(draw.committed_at),
        "revealed": "yes" if revealed else "no",
        "revealed_at": _iso(draw.revealed_at),
        "random_value": draw.random_value or "",
    }
    text = (
        f"Committed on {draw.committed_at.date().isoformat()} with SHA-256 {draw.commitment}; "
        f"random value from: {draw.randomness_source}."
    )
    if revealed and draw.revealed_at is not None:
        text += f" Revealed on {draw.revealed_at.date().isoformat()}: {draw.random_value}."
    return EvidenceItem(
        source_kind=DRAW_SOURCE,
        source_id=draw.id,
        mission_id=mission_id,
        created_at=draw.committed_at,
        title=f"Draw for {jury.title}",
        text=text,
        attributes=attributes,
    )


def _panel_item(mission_id: int, jury: Jury, draw: Draw, counts: dict[str, Any]) -> EvidenceItem:
    total = disclose(counts.get("panel_total"))
    attributes = (
        _jury_attributes(jury)
        | _disclosure_attributes()
        | {"draw_id": str(draw.id), "panel_size": str(jury.panel_size), "panel_total": total}
        | _label_attributes(jury)
        | _composition(jury, counts.get("panel", {}), "panel")
    )
    return EvidenceItem(
        source_kind=PANEL_SOURCE,
        source_id=draw.id,
        mission_id=mission_id,
        created_at=draw.revealed_at or draw.committed_at,
        title=f"Panel of {jury.title}",
        text=(
            f"A panel of {jury.panel_size}; members still in: {total} (counts under "
            f"{SMALL_COUNT} suppressed, the rest rounded to {ROUND_TO}).\n"
            + _composition_text(jury, attributes, "panel")
        ),
        attributes=attributes,
    )
