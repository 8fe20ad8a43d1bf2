"""Inter-coder agreement per code for a double-coded sample (pure: code sets in, kappas out).

Two evaluators code the same sample of items independently. For every code of the frame, each
item becomes a yes/no pair: did coder A apply the code, did coder B? The four counts of that
2x2 table (``both``, ``a_only``, ``b_only``, ``neither``) give, over the ``n`` items:

* observed agreement ``po = (both + neither) / n``;
* expected (chance) agreement ``pe = pA * pB + (1 - pA) * (1 - pB)``, where
  ``pA = (both + a_only) / n`` and ``pB = (both + b_only) / n`` are how often each coder
  applied the code;
* Cohen's kappa ``(po - pe) / (1 - pe)``, computed by
  :func:`sklearn.metrics.cohen_kappa_score` on the two binary vectors.

Kappa is left undefined (``None``, with a machine-readable reason) where the formula has no
meaning rather than returning a number that looks like a verdict:

* ``"no_items"``: the sample is empty;
* ``"single_item"``: one item only; its kappa is either 0/0 or exactly 0 whatever the coders
  did, so it says nothing about the code;
* ``"never_applied"``: neither coder applied the code to any item (``pe = 1``);
* ``"always_applied"``: both coders applied it to every item (``pe = 1``).

Perfect agreement on a code that is applied to some items and not to others gives kappa 1.
The band follows Landis & Koch (1977): below 0 poor, up to 0.20 slight, up to 0.40 fair, up to
0.60 moderate, up to 0.80 substantial, above that almost perfect (each upper bound included).
The overall figure is the plain mean of the kappas that are defined, with how many went into it.

Codes may be strings or integers; an item's codes are any collection (duplicates count once).
A code a coder applied that is not in the frame is an error, not something to ignore silently.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import cohen_kappa_score  # type: ignore[import-untyped]

__all__ = [
    "BANDS",
    "AgreementReport",
    "Code",
    "CodeAgreement",
    "agreement",
    "band",
    "code_agreement",
]

Code = str | int

# Landis & Koch upper bounds (inclusive) and their band names; anything above 0.80 is the last.
BANDS: tuple[tuple[float, str], ...] = (
    (0.20, "slight"),
    (0.40, "fair"),
    (0.60, "moderate"),
    (0.80, "substantial"),
)
POOR = "poor"
ALMOST_PERFECT = "almost_perfect"


@dataclass(frozen=True)
class CodeAgreement:
    """Agreement of two coders on one code over the sample."""

    code: Code
    n_items: int
    both: int
    a_only: int
    b_only: int
    neither: int
    observed: float | None  # po; None only for an empty sample
    expected: float | None  # pe; None only for an empty sample
    kappa: float | None
    band: str | None  # Landis & Koch band of kappa, None when kappa is None
    reason: str | None  # why kappa is None ("no_items", "single_item", ...), else None


@dataclass(frozen=True)
class AgreementReport:
    """Agreement for every code of the frame, in frame order, and the mean kappa."""

    codes: tuple[CodeAgreement, ...]
    n_items: int
    mean_kappa: float | None  # mean of the defined kappas; None when no code has one
    n_codes_with_kappa: int


def band(kappa: float) -> str:
    """Landis & Koch band of a kappa: poor, slight, fair, moderate, substantial, almost_perfect."""
    if kappa < 0:
        return POOR
    for upper, name in BANDS:
        if kappa <= upper:
            return name
    return ALMOST_PERFECT


def code_agreement(
    code: Code, applied_a: Sequence[bool], applied_b: Sequence[bool]
) -> CodeAgreement:
    """Agreement on one code from the two coders' applied/not vectors (same item order)."""
    if len(applied_a) != len(applied_b):
        raise ValueError("both coders must code the same items")
    n = len(applied_a)
    pairs = list(zip((bool(a) for a in applied_a), (bool(b) for b in applied_b), strict=True))
    both = sum(1 for a, b in pairs if a and b)
    a_only = sum(1 for a, b in pairs if a and not b)
    b_only = sum(1 for a, b in pairs if b and not a)
    neither = n - both - a_only - b_only

    def result(
        observed: float | None, expected: float | None, kappa: float | None, reason: str | None
    ) -> CodeAgreement:
        return CodeAgreement(
            code=code,
            n_items=n,
            both=both,
            a_only=a_only,
            b_only=b_only,
            neither=neither,
            observed=observed,
            expected=expected,
            kappa=kappa,
            band=None if kappa is None else band(kappa),
            reason=reason,
        )

    if n == 0:
        return result(None, None, None, "no_items")
    observed = (both + neither) / n
    p_a = (both + a_only) / n
    p_b = (both + b_only) / n
    expected = p_a * p_b + (1 - p_a) * (1 - p_b)
    if n == 1:
        return result(observed, expected, None, "single_item")
    if both == n:
        return result(observed, expected, None, "always_applied")
    if neither == n:
        return result(observed, expected, None, "never_applied")
    # Here pe < 1 (pe = 1 only when both coders apply the code to every item or to none), so
    # kappa is defined. One coder always and the other never applying it gives po = pe = 0, kappa 0.
    vector_a = np.array([int(a) for a, _ in pairs])
    vector_b = np.array([int(b) for _, b in pairs])
    kappa = float(cohen_kappa_score(vector_a, vector_b, labels=[0, 1]))
    return result(observed, expected, kappa, None)


def agreement(
    sample: Sequence[tuple[Collection[Code], Collection[Code]]], frame: Sequence[Code]
) -> AgreementReport:
    """Agreement per code of ``frame`` over ``sample``: one (codes by A, codes by B) per item."""
    if len(set(frame)) != len(frame):
        raise ValueError("the frame lists a code twice")
    known = set(frame)
    sets = [(set(codes_a), set(codes_b)) for codes_a, codes_b in sample]
    unknown = {code for codes_a, codes_b in sets for code in codes_a | codes_b} - known
    if unknown:
        listed = ", ".join(sorted(repr(code) for code in unknown))
        raise ValueError(f"codes not in the frame: {listed}")
    results = tuple(
        code_agreement(
            code,
            [code in codes_a for codes_a, _ in sets],
            [code in codes_b for _, codes_b in sets],
        )
        for code in frame
    )
    kappas = [result.kappa for result in results if result.kappa is not None]
    mean = sum(kappas) / len(kappas) if kappas else None
    return AgreementReport(
        codes=results, n_items=len(sets), mean_kappa=mean, n_codes_with_kappa=len(kappas)
    )
