"""Inter-coder agreement per code, checked against a 2x2 table worked out by hand, and the edge
cases where kappa is undefined. Pure: no app, no database."""

from __future__ import annotations

from collections.abc import Collection

import pytest

from engage.evaluation.agreement import (
    AgreementReport,
    Code,
    agreement,
    band,
    code_agreement,
)

Item = tuple[Collection[Code], Collection[Code]]


def sample_from_table(code: Code, both: int, a_only: int, b_only: int, neither: int) -> list[Item]:
    """Items whose applied/not pairs for ``code`` make the given 2x2 table."""
    items: list[Item] = []
    items += [({code}, {code})] * both
    items += [({code}, set())] * a_only
    items += [(set(), {code})] * b_only
    items += [(set(), set())] * neither
    return items


def merge(*samples: list[Item]) -> list[Item]:
    """Item i of the result carries item i of every sample (all samples have the same length)."""
    return [
        (set().union(*(s[i][0] for s in samples)), set().union(*(s[i][1] for s in samples)))
        for i in range(len(samples[0]))
    ]


# Worked by hand, 20 items, two codes.
#
# Code "noise":              B applied  B not
#               A applied        7        2      -> A applied 9 / 20 = 0.45
#               A not            3        8
#                          B applied 10 / 20 = 0.5
#   po = (7 + 8) / 20 = 0.75
#   pe = 0.45 * 0.5 + 0.55 * 0.5 = 0.225 + 0.275 = 0.5
#   kappa = (0.75 - 0.5) / (1 - 0.5) = 0.5                    -> moderate
#
# Code 2 (an int code):      B applied  B not
#               A applied        4        1      -> A applied 5 / 20 = 0.25
#               A not            0       15
#                          B applied 4 / 20 = 0.2
#   po = (4 + 15) / 20 = 0.95
#   pe = 0.25 * 0.2 + 0.75 * 0.8 = 0.05 + 0.6 = 0.65
#   kappa = (0.95 - 0.65) / (1 - 0.65) = 0.3 / 0.35 = 6/7     -> almost perfect
#
# Mean kappa = (0.5 + 6/7) / 2 = 19/28.
NOISE = sample_from_table("noise", both=7, a_only=2, b_only=3, neither=8)
TWO = sample_from_table(2, both=4, a_only=1, b_only=0, neither=15)
# The order of items must not matter: shuffle code 2's items against noise's.
HAND_SAMPLE = merge(NOISE, TWO[7:] + TWO[:7])


def test_kappa_matches_the_hand_computed_tables() -> None:
    report = agreement(HAND_SAMPLE, ["noise", 2, "unused"])

    noise, two, unused = report.codes
    assert (noise.code, noise.n_items) == ("noise", 20)
    assert (noise.both, noise.a_only, noise.b_only, noise.neither) == (7, 2, 3, 8)
    assert noise.observed == pytest.approx(0.75, abs=1e-12)
    assert noise.expected == pytest.approx(0.5, abs=1e-12)
    assert noise.kappa == pytest.approx(0.5, abs=1e-12)
    assert noise.band == "moderate"
    assert noise.reason is None

    assert (two.both, two.a_only, two.b_only, two.neither) == (4, 1, 0, 15)
    assert two.observed == pytest.approx(0.95, abs=1e-12)
    assert two.expected == pytest.approx(0.65, abs=1e-12)
    assert two.kappa == pytest.approx(6 / 7, abs=1e-12)
    assert two.band == "almost_perfect"

    assert unused.kappa is None and unused.reason == "never_applied"
    assert report.n_items == 20
    assert report.n_codes_with_kappa == 2
    assert report.mean_kappa == pytest.approx(19 / 28, abs=1e-12)


def test_codes_keep_frame_order_and_duplicate_codes_on_an_item_count_once() -> None:
    sample: list[Item] = [(["b", "b", "a"], ["a"]), (["b"], []), ([], ["b"])]
    report = agreement(sample, ["b", "a"])
    assert [c.code for c in report.codes] == ["b", "a"]
    b, a = report.codes
    assert (b.both, b.a_only, b.b_only, b.neither) == (0, 2, 1, 0)
    assert (a.both, a.a_only, a.b_only, a.neither) == (1, 0, 0, 2)


def test_perfect_agreement_gives_kappa_one() -> None:
    report = agreement(sample_from_table("x", both=3, a_only=0, b_only=0, neither=5), ["x"])
    (x,) = report.codes
    assert x.observed == 1.0
    assert x.kappa == pytest.approx(1.0, abs=1e-12)
    assert x.band == "almost_perfect"
    assert report.mean_kappa == pytest.approx(1.0, abs=1e-12)


def test_complete_disagreement_is_poor() -> None:
    (x,) = agreement(sample_from_table("x", both=0, a_only=2, b_only=2, neither=0), ["x"]).codes
    # po = 0; pA = pB = 0.5, pe = 0.5; kappa = (0 - 0.5) / 0.5 = -1
    assert x.kappa == pytest.approx(-1.0, abs=1e-12)
    assert x.band == "poor"


def test_one_coder_always_the_other_never_gives_kappa_zero() -> None:
    (x,) = agreement(sample_from_table("x", both=0, a_only=4, b_only=0, neither=0), ["x"]).codes
    # po = 0; pA = 1, pB = 0 -> pe = 0; kappa = 0
    assert (x.observed, x.expected) == (0.0, 0.0)
    assert x.kappa == pytest.approx(0.0, abs=1e-12)
    assert x.band == "slight"


def test_a_code_nobody_applied_has_no_kappa_and_a_reason() -> None:
    report = agreement([(set(), set())] * 6, ["x"])
    (x,) = report.codes
    assert x.kappa is None and x.band is None
    assert x.reason == "never_applied"
    assert (x.observed, x.expected) == (1.0, 1.0)
    assert x.neither == 6
    assert report.mean_kappa is None and report.n_codes_with_kappa == 0


def test_a_code_both_applied_everywhere_has_no_kappa() -> None:
    (x,) = agreement([({"x"}, {"x"})] * 3, ["x"]).codes
    assert x.kappa is None and x.reason == "always_applied"
    assert x.both == 3


@pytest.mark.parametrize(
    ("item", "counts"),
    [
        (({"x"}, {"x"}), (1, 0, 0, 0)),
        (({"x"}, set()), (0, 1, 0, 0)),
        ((set(), {"x"}), (0, 0, 1, 0)),
        ((set(), set()), (0, 0, 0, 1)),
    ],
)
def test_a_sample_of_one_reports_counts_but_no_kappa(
    item: Item, counts: tuple[int, int, int, int]
) -> None:
    (x,) = agreement([item], ["x"]).codes
    assert (x.both, x.a_only, x.b_only, x.neither) == counts
    assert x.n_items == 1
    assert x.kappa is None and x.reason == "single_item"
    assert x.observed in (0.0, 1.0)


def test_an_empty_sample_has_no_figures() -> None:
    report = agreement([], ["x", "y"])
    assert report.n_items == 0
    assert all(c.kappa is None and c.reason == "no_items" for c in report.codes)
    assert all(c.observed is None and c.expected is None for c in report.codes)
    assert report == AgreementReport(
        codes=report.codes, n_items=0, mean_kappa=None, n_codes_with_kappa=0
    )


def test_unknown_codes_and_duplicate_frame_codes_are_errors() -> None:
    with pytest.raises(ValueError, match="not in the frame: 'z'"):
        agreement([({"x"}, {"z"})], ["x"])
    with pytest.raises(ValueError, match="twice"):
        agreement([], ["x", "x"])


def test_code_agreement_needs_vectors_of_one_length() -> None:
    with pytest.raises(ValueError, match="same items"):
        code_agreement("x", [True, False], [True])


@pytest.mark.parametrize(
    ("kappa", "expected"),
    [
        (-0.01, "poor"),
        (-1.0, "poor"),
        (0.0, "slight"),
        (0.2, "slight"),
        (0.21, "fair"),
        (0.4, "fair"),
        (0.41, "moderate"),
        (0.6, "moderate"),
        (0.61, "substantial"),
        (0.8, "substantial"),
        (0.81, "almost_perfect"),
        (1.0, "almost_perfect"),
    ],
)
def test_landis_and_koch_bands(kappa: float, expected: str) -> None:
    assert band(kappa) == expected
