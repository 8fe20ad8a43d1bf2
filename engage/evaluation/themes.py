"""Proposed themes for a set of free texts (pure: texts in, themes out).

The steps, in :func:`propose_themes`:

1. Every text is lower-cased and its accents removed (``árboles`` and ``arboles`` are one word);
   words are runs of two or more letters (digits and punctuation split them). Stop words of the
   chosen languages (English from scikit-learn, Spanish and Catalan from the ``stopwordsiso``
   lists), normalised the same way, are dropped.
2. TF-IDF (scikit-learn ``TfidfVectorizer``) over single words and pairs of adjacent words kept
   in at least ``min_df`` texts and at most ``max_df`` of them, the ``max_features`` most
   frequent at most, sublinear term frequency, rows of unit length. Texts left with no term are
   counted but belong to no theme.
3. The number of themes k: for every k from ``k_min`` to ``k_max`` (bounded by the corpus),
   NMF from a random start (seeds ``seed``, ``seed + 1``, ...) is fitted on ``STABILITY_RUNS``
   seeded random subsamples (``STABILITY_FRACTION`` of the texts with terms, at most
   ``stability_sample``); the themes of each pair of runs are matched one to one (Hungarian
   algorithm, scipy's ``linear_sum_assignment``) by the cosine similarity of their term
   weights, and the k's stability is the mean similarity of the matched themes over all pairs.
   The most stable k wins, a tie (within ``STABILITY_TIE``) going to the larger k: the random
   starts make a split of a real theme unstable, whereas two real themes can be merged the same
   way in every run, so of equally stable numbers the larger is the finer reading. Words are
   not translated: a topic written about in two languages is one theme only as far as the
   texts share words (place names, loanwords, cognates); otherwise it may come out as one theme
   per language.
4. NMF (``init="nndsvda"``, the seed) with the chosen k on all texts with terms. A text's
   strongest theme is the one with its largest weight; it counts towards that theme's size
   when that weight is at least ``min_share`` of the text's total theme weight.
5. Themes are numbered 0, 1, ... by size, largest first (equal sizes: by first keyword).
   Keywords are the theme's heaviest terms (weight: share of the theme's total term weight),
   shown in the accented spelling most used in the texts, if any; representative quotes are the
   indices of the theme's texts with the largest share, then largest weight, then lowest index.
   Prevalence by source and by segment counts the theme's texts in each label, out of all the
   texts with that label.

Deterministic: fixed seeds, and the maths runs on one thread (BLAS and OpenMP), so the same
texts and settings always give the same themes.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from itertools import combinations
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import stopwordsiso
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from sklearn.decomposition import NMF  # type: ignore[import-untyped]
from sklearn.exceptions import ConvergenceWarning  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import (  # type: ignore[import-untyped]
    ENGLISH_STOP_WORDS,
    TfidfVectorizer,
)
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from engage.i18n import N_, Message

__all__ = [
    "LANGUAGES",
    "METHOD_NOTE",
    "KStability",
    "Keyword",
    "Message",
    "Prevalence",
    "Progress",
    "Theme",
    "ThemeSettings",
    "Themes",
    "method_note",
    "normalise",
    "propose_themes",
    "stop_words",
]

LANGUAGES = ("en", "es", "ca")
MIN_TEXTS = 10  # texts with at least one term needed to propose themes
STABILITY_RUNS = 3  # subsample fits per k
STABILITY_FRACTION = 0.8  # share of the texts (up to the sample size) in each subsample
STABILITY_TIE = 0.005  # stabilities this close count as equal (the larger k wins)
MAX_ITER = 400  # NMF iterations at most

WORD_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"  # two or more letters (accented letters included)
_TOKEN = re.compile(WORD_PATTERN)


class Progress(Protocol):
    """Called as the work advances: a percentage and a message (an English template marked with
    N_ and its values), the shape of a job's progress reporter."""

    def __call__(self, percent: int, message: str = "", **params: str | int | float) -> None: ...


@dataclass(frozen=True)
class ThemeSettings:
    """How themes are proposed; the defaults suit short texts from a few hundred upwards."""

    languages: tuple[str, ...] = LANGUAGES
    seed: int = 0
    k_min: int = 2
    k_max: int = 12
    min_df: int = 2  # a term must be in at least this many texts ...
    max_df: float = 0.5  # ... and in at most this share of them
    max_features: int = 5000
    keywords: int = 10  # keywords shown per theme
    quotes: int = 5  # representative quotes per theme
    min_share: float = 0.4  # a text counts for its strongest theme from this share of its weight
    stability_sample: int = 4000  # texts at most in the subsamples that choose k

    def __post_init__(self) -> None:
        unknown = sorted(set(self.languages) - set(LANGUAGES))
        if unknown:
            raise ValueError(f"unknown languages {unknown}; known: {list(LANGUAGES)}")
        if not 2 <= self.k_min <= self.k_max:
            raise ValueError("k_min must be at least 2 and at most k_max")
        if self.min_df < 1 or not 0.0 < self.max_df <= 1.0:
            raise ValueError("min_df must be at least 1 and max_df in (0, 1]")
        if self.max_features < 2 or self.keywords < 1 or self.quotes < 0:
            raise ValueError("max_features, keywords and quotes must be positive")
        if not 0.0 <= self.min_share <= 1.0:
            raise ValueError("min_share must be in [0, 1]")
        if self.stability_sample < 2 * MIN_TEXTS:
            raise ValueError(f"stability_sample must be at least {2 * MIN_TEXTS}")


@dataclass(frozen=True)
class Keyword:
    term: str  # normalised (lower case, no accents); a pair is two words and a space
    label: str  # the spelling most used in the texts
    weight: float  # share of the theme's total term weight


@dataclass(frozen=True)
class Prevalence:
    """A theme's texts among the texts with one source or segment label (None: no label)."""

    label: str | None
    count: int  # texts of the theme with this label
    total: int  # all texts with this label
    share: float  # count / total


@dataclass(frozen=True)
class Theme:
    number: int
    keywords: tuple[Keyword, ...]
    quotes: tuple[int, ...]  # indices into the texts, most representative first
    size: int  # texts whose strongest theme this is (at least min_share of their weight)
    share: float  # size / all texts
    by_source: tuple[Prevalence, ...] = ()
    by_segment: tuple[Prevalence, ...] = ()


@dataclass(frozen=True)
class KStability:
    k: int
    stability: float  # mean cosine similarity of matched themes between subsample runs


@dataclass(frozen=True)
class Themes:
    """Proposed themes, or (``problem`` set) why there are none.

    ``assignments[i]`` is the number of text i's theme, or None (no terms, or no theme with at
    least ``min_share`` of its weight)."""

    settings: ThemeSettings
    text_count: int
    problem: Message | None
    used_count: int = 0  # texts with at least one term
    vocabulary_size: int = 0
    k: int | None = None
    scores: tuple[KStability, ...] = ()
    themes: tuple[Theme, ...] = ()
    assignments: tuple[int | None, ...] = ()
    unassigned: int = 0

    @property
    def has_themes(self) -> bool:
        return self.problem is None

    def method_note(self) -> Message:
        return method_note(self.settings)

    def as_dict(self) -> dict[str, Any]:
        """Plain lists, dicts, strings and numbers (``json.dumps`` takes it as it is)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Themes:
        """The result :meth:`as_dict` gave (after a JSON round trip too)."""
        settings = dict(data["settings"])
        settings["languages"] = tuple(settings["languages"])
        problem = data["problem"]
        return cls(
            settings=ThemeSettings(**settings),
            text_count=int(data["text_count"]),
            problem=None if problem is None else Message(problem["template"], problem["params"]),
            used_count=int(data["used_count"]),
            vocabulary_size=int(data["vocabulary_size"]),
            k=None if data["k"] is None else int(data["k"]),
            scores=tuple(KStability(int(s["k"]), float(s["stability"])) for s in data["scores"]),
            themes=tuple(_theme_from_dict(t) for t in data["themes"]),
            assignments=tuple(None if a is None else int(a) for a in data["assignments"]),
            unassigned=int(data["unassigned"]),
        )


def _theme_from_dict(data: Mapping[str, Any]) -> Theme:
    def prevalences(rows: Iterable[Mapping[str, Any]]) -> tuple[Prevalence, ...]:
        return tuple(
            Prevalence(r["label"], int(r["count"]), int(r["total"]), float(r["share"]))
            for r in rows
        )

    return Theme(
        number=int(data["number"]),
        keywords=tuple(
            Keyword(k["term"], k["label"], float(k["weight"])) for k in data["keywords"]
        ),
        quotes=tuple(int(q) for q in data["quotes"]),
        size=int(data["size"]),
        share=float(data["share"]),
        by_source=prevalences(data["by_source"]),
        by_segment=prevalences(data["by_segment"]),
    )


METHOD_NOTE = N_(
    "How the themes were proposed. Every text was put in lower case and its accents removed, so "
    "that words written with and without accents count as one; words are runs of two or more "
    "letters. Common words of %(languages)s (stop words: the English list of scikit-learn, the "
    "Spanish and Catalan lists of stopwords-iso) were left out. Single words and pairs of adjacent"
    " words found in at least %(min_df)d texts and in at most %(max_df)s of them (the "
    "%(max_features)d most frequent at most) were weighted by TF-IDF (scikit-learn). Non-negative "
    "matrix factorisation (scikit-learn NMF, NNDSVDA start, random seed %(seed)d) then splits the "
    "texts into themes. The number of themes was chosen from %(k_min)d to %(k_max)d by stability: "
    "for each number, the factorisation was run from random starts on %(runs)d random samples of "
    "the texts (each %(fraction)s of them, at most %(sample)d texts), the themes of each pair of "
    "runs were matched one to one (Hungarian algorithm) by the similarity of their word weights, "
    "and the number whose matched themes were most alike on average was kept (numbers within "
    "%(tie)s of the best count as equal, and the larger is kept, as two real themes can be merged "
    "the same way in every run while a split of one varies). Words are not translated, so a "
    "subject discussed in several languages may appear as one theme per language where the texts "
    "share few words. Each text belongs to the theme with its largest weight when that weight is "
    "at least %(min_share)s of its total; other texts, and texts with no counted word, belong to "
    "no theme. Keywords are each theme's heaviest words; quotes are the texts that belong most "
    "clearly to the theme. The calculation uses fixed random seeds and a single processor thread, "
    "so the same texts and settings always give the same themes. Themes are proposals for "
    "evaluators to rename, merge, split or retire, not findings."
)


def method_note(settings: ThemeSettings | None = None) -> Message:
    """:data:`METHOD_NOTE` with the settings filled in."""
    s = settings or ThemeSettings()
    return Message(
        METHOD_NOTE,
        {
            "languages": ", ".join(s.languages),
            "min_df": s.min_df,
            "max_df": f"{s.max_df:.0%}",
            "max_features": s.max_features,
            "seed": s.seed,
            "k_min": s.k_min,
            "k_max": s.k_max,
            "runs": STABILITY_RUNS,
            "fraction": f"{STABILITY_FRACTION:.0%}",
            "sample": s.stability_sample,
            "tie": f"{STABILITY_TIE:g}",
            "min_share": f"{s.min_share:.0%}",
        },
    )


# --- text normalisation and stop words -------------------------------------------------------


def _strip(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_strip_word = cache(_strip)  # words repeat a lot; whole texts are not cached


def normalise(text: str) -> str:
    """Lower case, accents removed (the vectorizer's preprocessing)."""
    lowered = text.lower()
    return lowered if lowered.isascii() else _strip(lowered)


@cache
def stop_words(languages: tuple[str, ...] = LANGUAGES) -> frozenset[str]:
    """The stop words of the languages, normalised and split into words as texts are."""
    raw: set[str] = set()
    for language in languages:
        if language == "en":
            raw.update(ENGLISH_STOP_WORDS)
        else:
            raw.update(stopwordsiso.stopwords(language))
    words: set[str] = set()
    for entry in raw:
        words.update(_TOKEN.findall(normalise(entry)))
    return frozenset(words)


# --- the calculation -------------------------------------------------------------------------


def _no_progress(percent: int, message: str = "", **params: str | int | float) -> None:
    return None


def propose_themes(
    texts: Sequence[str],
    *,
    sources: Sequence[str | None] | None = None,
    segments: Sequence[str | None] | None = None,
    settings: ThemeSettings | None = None,
    progress: Progress | None = None,
) -> Themes:
    """Themes of ``texts``; ``sources`` and ``segments`` (one label per text, or None) give
    the prevalence tables. ``progress(percent, message, **params)`` is called as the work advances.

    Raises ValueError when a label sequence's length differs from the texts'."""
    s = settings or ThemeSettings()
    report = progress or _no_progress
    n = len(texts)
    for name, labels in (("sources", sources), ("segments", segments)):
        if labels is not None and len(labels) != n:
            raise ValueError(f"{name} has {len(labels)} labels for {n} texts")

    def no_themes(problem: Message, used: int = 0, vocabulary: int = 0) -> Themes:
        report(100, N_("Themes described"))
        return Themes(
            settings=s,
            text_count=n,
            problem=problem,
            used_count=used,
            vocabulary_size=vocabulary,
            assignments=(None,) * n,
            unassigned=n,
        )

    report(0, N_("Weighting the words of %(count)s texts"), count=len(texts))
    vectorizer = TfidfVectorizer(
        preprocessor=normalise,
        token_pattern=WORD_PATTERN,
        stop_words=sorted(stop_words(tuple(sorted(s.languages)))),
        ngram_range=(1, 2),
        min_df=s.min_df,
        max_df=s.max_df,
        max_features=s.max_features,
        sublinear_tf=True,
        dtype=np.float64,
    )
    with_words = sum(1 for t in texts if _TOKEN.search(t or ""))
    if with_words < MIN_TEXTS:
        return no_themes(_too_few(with_words))
    try:
        matrix = csr_matrix(vectorizer.fit_transform([t or "" for t in texts]))
    except ValueError:  # no term left (stop words only, or too rare / too common everywhere)
        return no_themes(_too_few(0))
    terms = np.array(vectorizer.get_feature_names_out(), dtype=object)
    used_rows = np.flatnonzero(np.diff(matrix.indptr) > 0)
    used = len(used_rows)
    vocabulary = len(terms)
    if used < MIN_TEXTS:
        return no_themes(_too_few(used), used, vocabulary)
    data = matrix[used_rows]
    report(10, N_("Words weighted"))

    rng = np.random.default_rng(s.seed)
    sample = min(used, s.stability_sample)
    sub_size = max(MIN_TEXTS, int(sample * STABILITY_FRACTION))
    subsamples = [
        np.sort(rng.choice(used, size=sub_size, replace=False)) for _ in range(STABILITY_RUNS)
    ]
    k_top = min(s.k_max, sub_size - 1, vocabulary - 1)
    if k_top < s.k_min:
        return no_themes(_too_few(used), used, vocabulary)
    ks = list(range(s.k_min, k_top + 1))

    # One thread: BLAS sums in the order threads finish, which would change the last digits.
    with threadpool_limits(limits=1):
        scores: list[KStability] = []
        for position, k in enumerate(ks):
            runs = [
                _fit(data[rows], k, s.seed + run, init="random")[1]
                for run, rows in enumerate(subsamples)
            ]
            scores.append(KStability(k, round(_stability(runs), 6)))
            report(
                10 + int(70 * (position + 1) / len(ks)),
                N_("Measured how stable %(k)s themes are"),
                k=k,
            )
        best = max(score.stability for score in scores)
        k = max(score.k for score in scores if score.stability >= best - STABILITY_TIE)
        weights, components = _fit(data, k, s.seed)
    report(85, N_("Describing %(k)s themes"), k=k)

    themes, assignments = _describe(
        texts, terms, used_rows, weights, components, s, sources, segments
    )
    report(100, N_("Themes described"))
    return Themes(
        settings=s,
        text_count=n,
        problem=None,
        used_count=used,
        vocabulary_size=vocabulary,
        k=k,
        scores=tuple(scores),
        themes=themes,
        assignments=assignments,
        unassigned=sum(1 for a in assignments if a is None),
    )


def _too_few(count: int) -> Message:
    return Message(
        N_(
            "Themes need at least %(minimum)d texts with words that are not too common or too "
            "rare; this set has %(count)d."
        ),
        {"minimum": MIN_TEXTS, "count": count},
    )


def _fit(
    data: csr_matrix, k: int, seed: int, init: str = "nndsvda"
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    model = NMF(n_components=k, init=init, random_state=seed, max_iter=MAX_ITER)
    with warnings.catch_warnings():
        # Stopping at MAX_ITER is part of the method (and deterministic), not a fault.
        warnings.simplefilter("ignore", ConvergenceWarning)
        weights = np.asarray(model.fit_transform(data), dtype=np.float64)
    return weights, np.asarray(model.components_, dtype=np.float64)


def _stability(components: list[npt.NDArray[np.float64]]) -> float:
    """Mean cosine similarity of one-to-one matched themes over all pairs of runs."""
    unit = []
    for matrix in components:
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        unit.append(matrix / np.where(norms > 0, norms, 1.0))
    values = []
    for a, b in combinations(unit, 2):
        similarity = a @ b.T
        rows, cols = linear_sum_assignment(-similarity)
        values.append(float(similarity[rows, cols].mean()))
    return float(np.mean(values))


def _describe(
    texts: Sequence[str],
    terms: npt.NDArray[Any],
    used_rows: npt.NDArray[np.intp],
    weights: npt.NDArray[np.float64],
    components: npt.NDArray[np.float64],
    s: ThemeSettings,
    sources: Sequence[str | None] | None,
    segments: Sequence[str | None] | None,
) -> tuple[tuple[Theme, ...], tuple[int | None, ...]]:
    n = len(texts)
    k = components.shape[0]
    totals = weights.sum(axis=1)
    strongest = weights.argmax(axis=1)
    top = weights[np.arange(len(weights)), strongest]
    share = np.divide(top, totals, out=np.zeros_like(top), where=totals > 0)
    counted = (totals > 0) & (share >= s.min_share)

    raw = np.full(n, -1, dtype=np.intp)
    raw[used_rows[counted]] = strongest[counted]

    top_terms = []
    for t in range(k):
        row = components[t]
        order = np.lexsort((np.arange(len(row)), -row))[: s.keywords]
        total = float(row.sum()) or 1.0
        top_terms.append([(str(terms[j]), float(row[j]) / total) for j in order if row[j] > 0])
    sizes = [int((raw == t).sum()) for t in range(k)]
    order_themes = sorted(
        range(k), key=lambda t: (-sizes[t], top_terms[t][0][0] if top_terms[t] else "")
    )
    number_of = {old: new for new, old in enumerate(order_themes)}

    spellings = _spellings(texts, {w for tt in top_terms for term, _ in tt for w in term.split()})
    assignments = tuple(None if r < 0 else number_of[int(r)] for r in raw)
    source_totals = Counter(sources) if sources is not None else Counter[str | None]()
    segment_totals = Counter(segments) if segments is not None else Counter[str | None]()

    themes = []
    for old in order_themes:
        members_used = np.flatnonzero(counted & (strongest == old))
        rank = np.lexsort((members_used, -weights[members_used, old], -share[members_used]))
        quotes = tuple(int(used_rows[members_used[i]]) for i in rank[: s.quotes])
        members = used_rows[members_used]
        themes.append(
            Theme(
                number=number_of[old],
                keywords=tuple(
                    Keyword(
                        term, " ".join(spellings.get(w, w) for w in term.split()), round(weight, 6)
                    )
                    for term, weight in top_terms[old]
                ),
                quotes=quotes,
                size=len(members),
                share=round(len(members) / n, 6),
                by_source=_prevalence(sources, source_totals, members),
                by_segment=_prevalence(segments, segment_totals, members),
            )
        )
    return tuple(themes), assignments


def _prevalence(
    labels: Sequence[str | None] | None,
    totals: Counter[str | None],
    members: npt.NDArray[np.intp],
) -> tuple[Prevalence, ...]:
    if labels is None:
        return ()
    counts = Counter(labels[int(i)] for i in members)
    ordered = sorted(totals, key=lambda label: (label is None, label or ""))
    return tuple(
        Prevalence(label, counts[label], totals[label], round(counts[label] / totals[label], 6))
        for label in ordered
    )


def _spellings(texts: Sequence[str], words: set[str]) -> dict[str, str]:
    """For each normalised word written with accents in some text, its most used accented
    lower-case spelling (ties: the first in alphabetical order); other words keep theirs."""
    found: dict[str, Counter[str]] = {}
    for text in texts:
        if not text or text.isascii():
            continue  # an ASCII text only has the normalised spellings
        for token in _TOKEN.findall(text.lower()):
            if token.isascii():
                continue
            key = _strip_word(token)
            if key in words:
                found.setdefault(key, Counter())[token] += 1
    return {
        key: min(counter, key=lambda spelling: (-counter[spelling], spelling))
        for key, counter in found.items()
    }
