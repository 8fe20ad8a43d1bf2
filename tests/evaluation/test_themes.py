"""Themes from free text (pure): planted topics are recovered, deterministically."""

from __future__ import annotations

import json

import pytest
from sklearn.metrics import adjusted_rand_score  # type: ignore[import-untyped]

from engage.evaluation.themes import (
    MIN_TEXTS,
    Themes,
    ThemeSettings,
    method_note,
    normalise,
    propose_themes,
    stop_words,
)
from tests.evaluation.corpus import ANCHORS, SOURCES, TOPICS, planted_corpus


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], list[int], list[str | None], list[str | None]]:
    return planted_corpus(400)


@pytest.fixture(scope="module")
def result(
    corpus: tuple[list[str], list[int], list[str | None], list[str | None]],
) -> Themes:
    texts, _, sources, segments = corpus
    return propose_themes(texts, sources=sources, segments=segments)


def test_planted_topics_are_recovered(
    corpus: tuple[list[str], list[int], list[str | None], list[str | None]], result: Themes
) -> None:
    _, truth, _, _ = corpus
    assert result.has_themes and result.problem is None
    assert result.k == 4
    assert [score.k for score in result.scores] == list(range(2, 13))
    labels = [-1 if a is None else a for a in result.assignments]
    assert adjusted_rand_score(truth, labels) > 0.9
    assert result.unassigned < len(labels) * 0.05
    # Each planted topic has exactly one theme whose keywords are its words.
    matched = set()
    for name, words in TOPICS.items():
        vocabulary = {normalise(w) for ws in words.values() for w in ws}
        vocabulary |= {normalise(w) for w in ANCHORS[name]}
        owners = [
            theme.number
            for theme in result.themes
            if sum(k.term in vocabulary for k in theme.keywords) >= 5
        ]
        assert len(owners) == 1, name
        matched.add(owners[0])
    assert len(matched) == 4


def test_keywords_quotes_and_sizes(result: Themes, corpus: tuple[list[str], ...]) -> None:
    texts = corpus[0]
    assert [t.number for t in result.themes] == [0, 1, 2, 3]
    sizes = [t.size for t in result.themes]
    assert sizes == sorted(sizes, reverse=True)
    for theme in result.themes:
        assert len(theme.keywords) == 10
        weights = [k.weight for k in theme.keywords]
        assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)
        assert theme.size == sum(1 for a in result.assignments if a == theme.number)
        assert theme.share == pytest.approx(theme.size / len(texts), abs=1e-6)
        assert len(theme.quotes) == 5
        assert all(result.assignments[q] == theme.number for q in theme.quotes)
    # Keywords keep the accented spelling used in the texts; the term is normalised.
    labels = {k.term: k.label for t in result.themes for k in t.keywords}
    if "arboles" in labels:
        assert labels["arboles"] == "árboles"
    assert all(term == normalise(term) for term in labels)


def test_prevalence_adds_up(
    result: Themes, corpus: tuple[list[str], list[int], list[str | None], list[str | None]]
) -> None:
    _, _, sources, segments = corpus
    for theme in result.themes:
        for table, labels in ((theme.by_source, sources), (theme.by_segment, segments)):
            assert sum(p.count for p in table) == theme.size
            for row in table:
                assert row.total == labels.count(row.label)
                assert row.share == pytest.approx(row.count / row.total, abs=1e-6)
    # Every text of a label is in exactly one theme or in none.
    for label in SOURCES:
        in_themes = sum(p.count for t in result.themes for p in t.by_source if p.label == label)
        unassigned = sum(
            1 for a, s in zip(result.assignments, sources, strict=True) if a is None and s == label
        )
        assert in_themes + unassigned == sources.count(label)
    assert [p.label for p in result.themes[0].by_segment] == ["18-34", "35-64", "65+", None]


def test_same_input_same_output(
    corpus: tuple[list[str], list[int], list[str | None], list[str | None]], result: Themes
) -> None:
    texts, _, sources, segments = corpus
    again = propose_themes(texts, sources=sources, segments=segments)
    assert again == result
    assert json.dumps(again.as_dict()) == json.dumps(result.as_dict())


def test_round_trip_through_json(result: Themes) -> None:
    assert Themes.from_dict(json.loads(json.dumps(result.as_dict()))) == result


def test_stop_words_never_keywords(result: Themes) -> None:
    words = stop_words()
    for language in ("en", "es", "ca"):
        assert stop_words((language,)) <= words
    assert {"the", "necesitamos"} & words == {"the"}
    assert {"el", "la", "es", "mes", "molt", "hi", "ha", "mas", "en", "els", "les"} <= words
    for theme in result.themes:
        for keyword in theme.keywords:
            assert not set(keyword.term.split()) & words, keyword


def test_progress_is_reported(corpus: tuple[list[str], ...]) -> None:
    calls: list[tuple[int, str]] = []
    settings = ThemeSettings(k_max=5)

    def progress(percent: int, message: str = "", **params: str | int | float) -> None:
        calls.append((percent, message % params if params else message))

    propose_themes(corpus[0][:200], settings=settings, progress=progress)
    percents = [p for p, _ in calls]
    assert percents[0] == 0 and percents[-1] == 100
    assert percents == sorted(percents)
    assert calls[0][1] == "Weighting the words of 200 texts"
    assert "Measured how stable 5 themes are" in [message for _, message in calls]


@pytest.mark.parametrize(
    "texts",
    [
        [],
        ["one short text about trees"],
        ["the and of", "y el la", "i els les"] * 10,
        ["", "   ", "123 456", "!!!"] * 10,
        [f"unique words everywhere {i}" for i in range(MIN_TEXTS - 1)],
    ],
)
def test_tiny_or_empty_corpora_give_no_themes(texts: list[str]) -> None:
    result = propose_themes(texts)
    assert not result.has_themes
    assert result.problem is not None and "at least" in str(result.problem)
    assert result.themes == () and result.k is None
    assert result.assignments == (None,) * len(texts)


def test_distinct_words_only_give_no_themes() -> None:
    # Every word in a single text: nothing reaches min_df, so there is nothing to theme.
    texts = [f"word{chr(97 + i)} other{chr(97 + i)}x" for i in range(20)]
    assert not propose_themes(texts).has_themes


def test_labels_must_match_the_texts() -> None:
    with pytest.raises(ValueError, match="sources"):
        propose_themes(["a text"], sources=["x", "y"])


@pytest.mark.parametrize(
    "kwargs",
    [{"languages": ("fr",)}, {"k_min": 1}, {"k_min": 5, "k_max": 4}, {"max_df": 0.0}],
)
def test_bad_settings_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ThemeSettings(**kwargs)  # type: ignore[arg-type]


def test_method_note_fills_the_settings() -> None:
    note = str(method_note(ThemeSettings(languages=("es", "ca"), k_max=8)))
    assert "es, ca" in note and "from 2 to 8" in note and "%(" not in note


def test_accents_and_case_are_ignored() -> None:
    assert normalise("Árboles del PARC, Montjuïc i l'Àvia") == "arboles del parc, montjuic i l'avia"
    texts = ["Árboles y parque verde"] * 8 + ["arboles parque sombra"] * 8
    texts += ["tráfico coches atascos"] * 8 + ["trafico coches velocidad"] * 8
    result = propose_themes(texts, settings=ThemeSettings(k_max=4))
    assert result.has_themes
    keywords = {k.term: k.label for t in result.themes for k in t.keywords}
    # One term per word whatever the accents, shown with the accents the texts use.
    assert keywords["arboles"] == "árboles" and keywords["trafico"] == "tráfico"
    assert "árboles" not in keywords


def test_languages_choose_the_stop_words() -> None:
    english = stop_words(("en",))
    assert "the" in english and "necesitamos" not in english and "molt" not in english
    assert "molt" in stop_words(("ca",)) and "mucho" in stop_words(("es",))
