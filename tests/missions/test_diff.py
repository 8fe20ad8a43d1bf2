"""The word diff shown on a mission's statement history: pure strings in, segments out."""

from __future__ import annotations

from itertools import pairwise

import pytest

from engage.missions.diff import Segment, summary, word_diff


def new_text(segments: list[Segment]) -> str:
    return "".join(segment.text for segment in segments if segment.op != "removed")


def old_text(segments: list[Segment]) -> str:
    return "".join(segment.text for segment in segments if segment.op != "added")


def test_identical_texts_are_one_unchanged_segment() -> None:
    text = "By 2030 every street will be healthy."
    assert word_diff(text, text) == [Segment("same", text)]


def test_an_inserted_word_is_marked_added() -> None:
    assert word_diff("clean air for all", "clean fresh air for all") == [
        Segment("same", "clean "),
        Segment("added", "fresh "),
        Segment("same", "air for all"),
    ]


def test_a_removed_word_is_marked_removed() -> None:
    assert word_diff("clean fresh air for all", "clean air for all") == [
        Segment("same", "clean "),
        Segment("removed", "fresh "),
        Segment("same", "air for all"),
    ]


def test_a_replaced_word_shows_what_went_before_what_came() -> None:
    assert word_diff("safe streets near schools", "safe crossings near schools") == [
        Segment("same", "safe "),
        Segment("removed", "streets "),
        Segment("added", "crossings "),
        Segment("same", "near schools"),
    ]


def test_punctuation_stays_apart_from_the_word_before_it() -> None:
    segments = word_diff(
        "every street will be healthy: clean air",
        "every street will be healthy for everyone: clean air",
    )
    assert [s.op for s in segments] == ["same", "added", "same"]
    assert segments[0].text.endswith("healthy")
    assert segments[1].text.split() == ["for", "everyone"]
    assert segments[2].text == ": clean air"
    assert summary(segments) == (2, 0)


def test_adjacent_changes_of_one_kind_are_merged() -> None:
    segments = word_diff("a b c", "a x y c")
    assert [s.op for s in segments] == ["same", "removed", "added", "same"]
    assert segments[2].text == "x y "


PAIRS = [
    ("", ""),
    ("", "A new statement."),
    ("An old statement.", ""),
    ("Clean air.", "Clean air."),
    ("two  spaces   here", "two spaces here"),
    ("one space here", "one  space\there"),
    ("line one\nline two", "line one\n\nline two, longer"),
    ("  leading and trailing  ", "leading and trailing\n"),
    ("Healthy streets: air, crossings and space.", "Healthy streets for all: air; crossings!"),
    (
        "By 2030 every street in the borough will be healthy: clean air, safe crossings and "
        "space to walk and play.",
        "By 2030 every street in the borough will be healthy for everyone who uses it: air "
        "that meets the World Health Organization's guideline, safe crossings near every "
        "school and care home.",
    ),
    ("Ça va — très bien, merci", "Ça va, très bien — merci beaucoup"),
    ("x", "y"),
]


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_segments_spell_out_both_texts(old: str, new: str) -> None:
    segments = word_diff(old, new)
    assert new_text(segments) == new
    assert old_text(segments) == old
    assert all(segment.text for segment in segments), "no empty segments"
    assert all(a.op != b.op for a, b in pairwise(segments)), (
        "neighbouring segments of one kind are merged"
    )


def test_summary_counts_words_added_and_removed() -> None:
    segments = word_diff(
        "safe crossings near every school",
        "safe and quick crossings near every school and care home",
    )
    assert summary(segments) == (5, 0)
    segments = word_diff("one two three four", "one four five")
    assert summary(segments) == (1, 2)
    assert summary(word_diff("same words", "same words")) == (0, 0)
    assert summary([]) == (0, 0)
