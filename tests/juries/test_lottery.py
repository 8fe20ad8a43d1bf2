"""The transparent lottery: rounding a selection distribution to m equally likely panels, and
the committed, verifiable draw from it (pure: no app, no database)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from itertools import combinations

import numpy as np
import pytest

from engage.juries import lottery
from engage.juries.lottery import BundlePerson
from engage.juries.selection import Quota

Panel = tuple[int, ...]


# --- Distributions to round ---------------------------------------------------------------------


def all_subsets(n: int, k: int) -> tuple[list[Panel], list[float]]:
    panels = list(combinations(range(n), k))
    return panels, [1.0 / len(panels)] * len(panels)


def random_distribution(n: int, k: int, support: int, seed: int) -> tuple[list[Panel], list[float]]:
    rng = np.random.default_rng(seed)
    found: set[Panel] = set()
    while len(found) < support:
        found.add(tuple(sorted(int(i) for i in rng.choice(n, size=k, replace=False))))
    panels = sorted(found)
    weights = rng.random(len(panels))
    return panels, [float(w) for w in weights / weights.sum()]


def marginals(panels: list[Panel], probabilities: list[float], n: int) -> np.ndarray:
    result = np.zeros(n)
    for panel, p in zip(panels, probabilities, strict=True):
        result[list(panel)] += p
    return result


INSTANCES = {
    "all 3-subsets of 8": (*all_subsets(8, 3), 8),
    # More panels than people: everyone starts in more than k fractional panels, so the
    # rounding keeps many rows over several rounds.
    "random, support 5x the pool": (*random_distribution(40, 6, 200, seed=1), 40),
    # Everyone is in ~200 panels: rounding them without holding people's rows drifts by
    # about twice the bound.
    "random, dense support": (*random_distribution(20, 4, 1000, seed=1), 20),
    "random, sparse support": (*random_distribution(120, 12, 100, seed=2), 120),
    "random, support = pool": (*random_distribution(300, 30, 300, seed=3), 300),
}


@pytest.mark.parametrize("name", INSTANCES)
@pytest.mark.parametrize("m", [1000, 37])
def test_lottery_has_exactly_m_panels_all_from_the_support(name: str, m: int) -> None:
    panels, probabilities, n = INSTANCES[name]
    drawn = lottery.round_to_uniform(panels, probabilities, n, m=m)
    assert len(drawn) == m
    assert set(drawn) <= set(panels)
    assert drawn == sorted(drawn)  # a fixed order: the draw picks a panel by its position


@pytest.mark.parametrize("name", INSTANCES)
def test_every_share_moves_less_than_k_over_m(name: str) -> None:
    """The Beck-Fiala guarantee of the rounding, with k the panel size."""
    panels, probabilities, n = INSTANCES[name]
    k = len(panels[0])
    m = 1000
    drawn = lottery.round_to_uniform(panels, probabilities, n, m=m)
    deviation = np.abs(
        np.array(lottery.lottery_marginals(drawn, n)) - marginals(panels, probabilities, n)
    )
    assert deviation.max() < k / m


def test_rounding_is_deterministic_and_ignores_the_order_of_its_input() -> None:
    panels, probabilities, n = INSTANCES["random, support 5x the pool"]
    first = lottery.round_to_uniform(panels, probabilities, n)
    assert lottery.round_to_uniform(panels, probabilities, n) == first
    order = np.random.default_rng(7).permutation(len(panels))
    shuffled = [tuple(reversed(panels[i])) for i in order]
    assert lottery.round_to_uniform(shuffled, [probabilities[i] for i in order], n) == first


def test_a_distribution_already_in_whole_copies_is_kept_as_it_is() -> None:
    panels = [(0, 1), (0, 2), (1, 3), (2, 3)]
    probabilities = [0.4, 0.1, 0.3, 0.2]
    drawn = lottery.round_to_uniform(panels, probabilities, 4, m=10)
    assert Counter(drawn) == {(0, 1): 4, (0, 2): 1, (1, 3): 3, (2, 3): 2}


def test_one_panel_for_sure_is_all_m_panels() -> None:
    assert lottery.round_to_uniform([(0, 2, 4)], [1.0], 6, m=5) == [(0, 2, 4)] * 5


def test_people_always_together_do_not_break_the_rounding() -> None:
    """Persons 0 and 1 sit on exactly the same panels, so their rows are equal (the linear
    algebra must cope with dependent rows)."""
    rng = np.random.default_rng(11)
    found: set[Panel] = set()
    while len(found) < 150:
        others = [int(i) for i in rng.choice(np.arange(2, 30), size=6, replace=False)]
        panel = [0, 1, *others[:4]] if rng.random() < 0.4 else others
        found.add(tuple(sorted(panel)))
    panels = sorted(found)
    weights = rng.random(len(panels))
    probabilities = [float(w) for w in weights / weights.sum()]
    drawn = lottery.round_to_uniform(panels, probabilities, 30)
    assert len(drawn) == 1000
    assert set(drawn) <= set(panels)
    shares = np.array(lottery.lottery_marginals(drawn, 30))
    assert shares[0] == shares[1]
    assert np.abs(shares - marginals(panels, probabilities, 30)).max() < 6 / 1000


def test_a_group_with_a_fixed_seat_count_does_not_break_the_rounding() -> None:
    """Every panel holds exactly one of people 0..19 (a quota with min = max = 1), so their
    rows add up to the row of the total: dependent rows that are not simply equal."""
    rng = np.random.default_rng(5)
    found: set[Panel] = set()
    while len(found) < 200:
        one = int(rng.integers(0, 20))
        others = [int(i) for i in rng.choice(np.arange(20, 35), size=3, replace=False)]
        found.add(tuple(sorted([one, *others])))
    panels = sorted(found)
    weights = rng.random(len(panels))
    probabilities = [float(w) for w in weights / weights.sum()]
    drawn = lottery.round_to_uniform(panels, probabilities, 35)
    assert len(drawn) == 1000
    assert set(drawn) <= set(panels)
    shares = np.array(lottery.lottery_marginals(drawn, 35))
    assert np.abs(shares - marginals(panels, probabilities, 35)).max() < 4 / 1000


@pytest.mark.parametrize("lu_trusted", [True, False])
def test_independent_rows_and_columns_are_found_despite_dependent_rows(
    lu_trusted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Row 3 = row 1 + row 2, row 4 = row 0: rank 3. Without the LU shortcut, the slow
    # QR fallback must find the same rank.
    matrix = np.array(
        [
            [1, 1, 1, 1, 1, 1],
            [1, 0, 1, 0, 0, 1],
            [0, 1, 0, 0, 1, 0],
            [1, 1, 1, 0, 1, 1],
            [1, 1, 1, 1, 1, 1],
        ],
        dtype=float,
    )
    if not lu_trusted:
        monkeypatch.setattr(lottery, "_pivot_columns", lambda matrix: None)
    rows, columns = lottery._independent(matrix)
    assert len(rows) == len(columns) == 3
    assert abs(np.linalg.det(matrix[np.ix_(rows, columns)])) > 1e-9


@pytest.mark.parametrize(
    ("panels", "probabilities", "n", "m", "message"),
    [
        ([(0, 1), (1, 2)], [0.5, 0.4], 3, 1000, "sum to"),
        ([(0, 1), (1, 3)], [0.5, 0.5], 3, 1000, "outside"),
        ([(0, 1)], [0.5, 0.5], 3, 1000, "one probability per panel"),
        ([(0, 1), (1, 2)], [1.5, -0.5], 3, 1000, "between 0 and 1"),
        ([(0, 0)], [1.0], 3, 1000, "twice"),
        ([(0, 1)], [1.0], 3, 0, "at least 1"),
    ],
)
def test_what_is_not_a_distribution_is_refused(
    panels: list[Panel], probabilities: list[float], n: int, m: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        lottery.round_to_uniform(panels, probabilities, n, m=m)


def test_improvement_lifts_the_people_at_the_minimum_without_pushing_others_down() -> None:
    # People 0..3; panels (0,1), (2,3), (0,2), (1,3), each wanted 1 time in 4, so everyone
    # wants 2 of the 4 copies. Start from a rounding that gave (0,1) three copies: people 2 and
    # 3 sit at 1. Moving one copy from (0,1) to (2,3) lifts both; after that everyone is at 2
    # and any further move would push someone down to the minimum, so it stops.
    support = [(0, 1), (2, 3), (0, 2), (1, 3)]
    incidence = lottery._incidence(support, 4)
    copies = np.array([3, 1, 0, 0], dtype=np.int64)
    improved = lottery._improve_minimum(incidence, copies, np.full(4, 2.0), band=1.0)
    assert improved.tolist() == [2, 2, 0, 0]


def test_improvement_keeps_everyone_within_the_rounding_band() -> None:
    # Now people 0 and 1 want 2.6 copies (the wanted counts need not add up in this unit
    # test). Lifting 2 and 3 to 2 would put 0 and 1 at 2, 0.6 below their target: with a band
    # of 0.4 (the rounding left nobody further off) that move is not made.
    support = [(0, 1), (2, 3), (0, 2), (1, 3)]
    incidence = lottery._incidence(support, 4)
    copies = np.array([3, 1, 0, 0], dtype=np.int64)
    wanted = np.array([2.6, 2.6, 2.0, 2.0])
    assert lottery._improve_minimum(incidence, copies, wanted, band=0.4).tolist() == [3, 1, 0, 0]
    assert lottery._improve_minimum(incidence, copies, wanted, band=0.6).tolist() == [2, 2, 0, 0]


def test_improvement_only_makes_up_for_the_rounding() -> None:
    # Everyone wants 1.5 copies: a count of 1 is all the rounding can promise (floor), so the
    # lottery is left as it is rather than made to differ more from the distribution.
    support = [(0, 1), (2, 3), (0, 2), (1, 3)]
    incidence = lottery._incidence(support, 4)
    copies = np.array([3, 1, 0, 0], dtype=np.int64)
    improved = lottery._improve_minimum(incidence, copies, np.full(4, 1.5), band=2.0)
    assert improved.tolist() == [3, 1, 0, 0]


def test_lottery_marginals_are_shares_of_the_panels() -> None:
    drawn = [(0, 1), (0, 2), (0, 1), (1, 2)]
    assert lottery.lottery_marginals(drawn, 4) == [0.75, 0.75, 0.5, 0.0]


def test_rounding_loss_is_the_drop_of_the_smallest_probability() -> None:
    drawn = [(0, 1), (0, 2), (0, 1), (1, 2)]
    original = [0.7, 0.7, 0.6, 0.0]
    assert lottery.rounding_loss(original, drawn, 4) == pytest.approx(0.0)
    assert lottery.rounding_loss([0.7, 0.7, 0.6, 0.1], drawn, 4) == pytest.approx(0.1)


# --- The bundle ---------------------------------------------------------------------------------

PEOPLE = [
    BundlePerson("p-b", {"gender": "female", "age": "16-29"}, "h1"),
    BundlePerson("p-a", {"gender": "male", "age": "30-59"}, "h2"),
    BundlePerson("p-d", {"gender": "male", "age": "60+"}, "h2"),
    BundlePerson("p-c", {"gender": "female", "age": "60+"}, "h3"),
]
QUOTAS = [
    Quota("gender", "male", 1, 1),
    Quota("gender", "female", 1, 1),
    Quota("age", "60+", 0, 2, min_flex=0, max_flex=2),
]
LOTTERY_PANELS = [["p-a", "p-b"], ["p-c", "p-d"], ["p-b", "p-a"], ["p-a", "p-c"]]


def bundle(**changes: object) -> str:
    arguments: dict[str, object] = {
        "jury_title": "Jury für Köln: clean air",
        "panel_size": 2,
        "people": PEOPLE,
        "quotas": QUOTAS,
        "algorithm": "leximin",
        "engine_version": "engage 0.1.0",
        "household_rule": True,
        "panels": LOTTERY_PANELS,
        "randomness_source": "EuroMillions draw of 2026-03-07, the five main numbers in order",
        "min_probability": 0.5,
    }
    arguments.update(changes)
    return lottery.make_bundle(**arguments)  # type: ignore[arg-type]


def test_bundle_is_compact_json_with_sorted_keys_and_text_as_is() -> None:
    text = bundle()
    document = json.loads(text)
    assert text == json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert "Jury für Köln" in text  # not escaped to \u00fc
    assert document["format"] == "engage-draw-bundle/1"
    assert document["m"] == 4
    assert document["panels"] == [["p-a", "p-b"], ["p-c", "p-d"], ["p-a", "p-b"], ["p-a", "p-c"]]
    assert [person["pseudonym"] for person in document["people"]] == ["p-a", "p-b", "p-c", "p-d"]
    assert document["people"][0] == {
        "pseudonym": "p-a",
        "features": {"age": "30-59", "gender": "male"},
        "household": "h2",
    }
    assert document["quotas"][0] == {
        "feature": "age",
        "value": "60+",
        "min": 0,
        "max": 2,
        "min_flex": 0,
        "max_flex": 2,
    }


def test_bundle_explains_the_draw_procedure_itself() -> None:
    procedure = json.loads(bundle())["procedure"]
    for words in ["SHA-256", "line feed", "big-endian", "remainder", "numbered from 0", "NFC"]:
        assert words in procedure


def test_the_same_draw_gives_the_same_bundle_whatever_the_order_of_its_parts() -> None:
    reordered_people = [
        BundlePerson(person.pseudonym, dict(reversed(person.features.items())), person.household)
        for person in reversed(PEOPLE)
    ]
    reordered = bundle(
        people=reordered_people,
        quotas=list(reversed(QUOTAS)),
        panels=[list(reversed(panel)) for panel in LOTTERY_PANELS],
    )
    assert reordered == bundle()
    assert lottery.commitment(reordered) == lottery.commitment(bundle())


@pytest.mark.parametrize(
    "change",
    [
        {"randomness_source": "dice at the public meeting"},
        {"panels": [["p-a", "p-c"], ["p-c", "p-d"], ["p-a", "p-b"], ["p-a", "p-b"]]},
        {"min_probability": 0.25},
        {"household_rule": False},
    ],
)
def test_any_change_to_the_draw_changes_the_commitment(change: dict[str, object]) -> None:
    assert lottery.commitment(bundle(**change)) != lottery.commitment(bundle())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"panels": [["p-a", "p-x"]]}, "not in the pool"),
        ({"panels": [["p-a", "p-b", "p-c"]]}, "2 different people"),
        ({"panels": [["p-a", "p-a"]]}, "2 different people"),
        ({"panels": []}, "at least one panel"),
        ({"people": [*PEOPLE, PEOPLE[0]]}, "different pseudonym"),
        ({"randomness_source": "  "}, "source of public randomness"),
    ],
)
def test_a_bundle_whose_parts_do_not_fit_is_refused(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        bundle(**change)


def test_commitment_is_the_sha256_of_the_utf8_text() -> None:
    text = bundle()
    assert lottery.commitment(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- Hash to index ------------------------------------------------------------------------------

EXAMPLE_COMMITMENT = hashlib.sha256(b"engage example bundle").hexdigest()
EXAMPLE_VALUE = "Lotto 2026-03-07: 4 8 15 16 23 42"


def test_panel_index_is_the_whole_hash_modulo_m() -> None:
    digest = hashlib.sha256((EXAMPLE_COMMITMENT + "\n" + EXAMPLE_VALUE).encode("utf-8")).digest()
    assert lottery.panel_index(EXAMPLE_COMMITMENT, EXAMPLE_VALUE, 1000) == (
        int.from_bytes(digest, "big") % 1000
    )
    # Worked out by hand once, to pin the documented procedure down: the whole 256-bit number
    # (its first or last 8 bytes alone, or little-endian order, give 7, 26 and 751).
    assert EXAMPLE_COMMITMENT.startswith("f0089cfb")
    assert lottery.panel_index(EXAMPLE_COMMITMENT, EXAMPLE_VALUE, 1000) == 146
    assert lottery.panel_index(EXAMPLE_COMMITMENT, EXAMPLE_VALUE, 997) == 503


@pytest.mark.parametrize(
    "typed",
    [
        "Lotto 2026-03-07: 4 8 15 16 23 42",
        "  Lotto 2026-03-07:  4 8 15 16 23 42\n",
        "Lotto\t2026-03-07:\n4 8 15 16 23   42",
        "Lotto 2026-03-07: 4 8 15 16 23 42\u00a0",  # a no-break space pasted from a web page
    ],
)
def test_the_random_value_counts_however_its_whitespace_was_typed(typed: str) -> None:
    assert lottery.normalise_random_value(typed) == EXAMPLE_VALUE
    assert lottery.panel_index(EXAMPLE_COMMITMENT, typed, 1000) == 146


def test_the_random_value_is_compared_in_unicode_nfc() -> None:
    composed, decomposed = "Tirage n\u00b0 42 \u00e9t\u00e9", "Tirage n\u00b0 42 e\u0301te\u0301"
    assert lottery.normalise_random_value(decomposed) == composed
    assert lottery.panel_index(EXAMPLE_COMMITMENT, decomposed, 1000) == lottery.panel_index(
        EXAMPLE_COMMITMENT, composed, 1000
    )


def test_a_different_random_value_gives_another_panel() -> None:
    assert lottery.panel_index(EXAMPLE_COMMITMENT, EXAMPLE_VALUE + "3", 1000) != 146


@pytest.mark.parametrize("value", ["", "   ", "\n\t"])
def test_an_empty_random_value_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        lottery.panel_index(EXAMPLE_COMMITMENT, value, 1000)


@pytest.mark.parametrize(("commitment", "m"), [("abc", 10), ("g" * 64, 10), ("0" * 64, 0)])
def test_panel_index_refuses_what_is_not_a_commitment_or_no_panels(commitment: str, m: int) -> None:
    with pytest.raises(ValueError):
        lottery.panel_index(commitment, "42", m)


def test_reserves_are_ranked_by_their_own_hash() -> None:
    pseudonyms = [f"p{i:03d}" for i in range(40)]
    ranked = lottery.reserve_order(EXAMPLE_COMMITMENT, EXAMPLE_VALUE, pseudonyms)
    assert sorted(ranked) == pseudonyms
    assert ranked == sorted(
        pseudonyms,
        key=lambda p: hashlib.sha256(
            f"{EXAMPLE_COMMITMENT}\n{EXAMPLE_VALUE}\n{p}".encode()
        ).hexdigest(),
    )
    assert lottery.reserve_order(EXAMPLE_COMMITMENT, EXAMPLE_VALUE, pseudonyms[::-1]) == ranked
    assert lottery.reserve_order(EXAMPLE_COMMITMENT, f"  {EXAMPLE_VALUE} ", pseudonyms) == ranked
    assert lottery.reserve_order(EXAMPLE_COMMITMENT, "another value", pseudonyms) != ranked


# --- Verifying a draw ---------------------------------------------------------------------------


def test_verify_reproduces_the_panel_from_the_bundle_alone() -> None:
    text = bundle()
    published = lottery.commitment(text)
    verified = lottery.verify(text, " 7  14 21 ")
    index = lottery.panel_index(published, "7 14 21", 4)
    assert verified == lottery.VerifiedDraw(
        commitment=published,
        index=index,
        panel=json.loads(text)["panels"][index],
        random_value="7 14 21",
    )


def test_verify_ignores_a_final_line_break_added_to_the_file() -> None:
    text = bundle()
    assert lottery.verify(text + "\n", "7 14 21") == lottery.verify(text, "7 14 21")
    assert lottery.verify(text + "\r\n", "7 14 21") == lottery.verify(text, "7 14 21")


def test_a_tampered_bundle_verifies_only_to_another_commitment() -> None:
    """verify() cannot know the published commitment: the reader compares the two."""
    text = bundle()
    tampered = text.replace('["p-c","p-d"]', '["p-b","p-d"]')
    assert tampered != text
    assert lottery.verify(tampered, "7 14 21").commitment != lottery.commitment(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("this is not json", "not a draw bundle: it is not valid JSON"),
        ("[1, 2, 3]", "not a draw bundle: it is not a JSON object"),
        ('{"format":"something-else/1"}', "not a draw bundle: its format is 'something-else/1'"),
    ],
)
def test_verify_says_clearly_what_is_not_a_bundle(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        lottery.verify(text, "42")


def test_verify_refuses_a_reformatted_bundle() -> None:
    pretty = json.dumps(json.loads(bundle()), indent=2, sort_keys=True, ensure_ascii=False)
    with pytest.raises(ValueError, match="not in its canonical form"):
        lottery.verify(pretty, "42")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(m=5), "m = 5 but lists 4 panels"),
        (lambda d: d["panels"].append(["p-a", "p-z"]) or d.update(m=5), "'p-z'"),
        (lambda d: d["panels"].append(["p-a"]) or d.update(m=5), "does not name 2"),
        (lambda d: d.update(panels="p-a"), '"panels" must be'),
    ],
)
def test_verify_refuses_a_bundle_that_contradicts_itself(edit: object, message: str) -> None:
    document = json.loads(bundle())
    edit(document)  # type: ignore[operator]
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    with pytest.raises(ValueError, match=message):
        lottery.verify(text, "42")


def test_from_distribution_to_verified_draw() -> None:
    panels, probabilities, n = INSTANCES["random, sparse support"]
    drawn = lottery.round_to_uniform(panels, probabilities, n, m=1000)
    names = [f"P{i:04d}" for i in range(n)]
    people = [
        BundlePerson(name, {"area": "north" if i % 2 else "south"}, f"h{i}")
        for i, name in enumerate(names)
    ]
    text = lottery.make_bundle(
        jury_title="Test jury",
        panel_size=12,
        people=people,
        quotas=[Quota("area", "north", 0, 12), Quota("area", "south", 0, 12)],
        algorithm="leximin",
        engine_version="test",
        household_rule=False,
        panels=[[names[i] for i in panel] for panel in drawn],
        randomness_source="a public beacon round",
        min_probability=min(lottery.lottery_marginals(drawn, n)),
    )
    verified = lottery.verify(text, "beacon round 123456: 9f8e7d")
    assert verified.commitment == lottery.commitment(text)
    assert verified.panel == [names[i] for i in drawn[verified.index]]
    assert tuple(names.index(name) for name in verified.panel) in set(panels)
