"""The Place Standard template: its 14 themes in the tool's order, on its 1-7 scale."""

from __future__ import annotations

from engage.appraisals import place_standard

THEMES = [
    "Moving around",
    "Public transport",
    "Traffic and parking",
    "Streets and spaces",
    "Natural space",
    "Play and recreation",
    "Facilities and services",
    "Work and local economy",
    "Housing and community",
    "Social interaction",
    "Identity and belonging",
    "Feeling safe",
    "Care and maintenance",
    "Influence and sense of control",
]


def test_the_template_has_the_place_standards_fourteen_themes_in_its_order() -> None:
    assert [theme.label for theme in place_standard.THEMES] == THEMES


def test_the_template_is_scored_from_one_to_seven_with_the_tools_meanings() -> None:
    assert (place_standard.SCALE_MIN, place_standard.SCALE_MAX) == (1, 7)
    assert place_standard.LOW_LABEL == "A lot of room for improvement"
    assert place_standard.HIGH_LABEL == "Very little room for improvement"


def test_every_theme_asks_a_question_and_gives_things_to_think_about() -> None:
    for theme in place_standard.THEMES:
        assert theme.question.endswith("?"), theme.label
        assert len(theme.hint) > 40, theme.label
    assert place_standard.THEMES[0].question == (
        "Can I easily walk and cycle around using good-quality routes?"
    )


def test_the_source_is_named() -> None:
    for maker in ("Place Standard", "NHS Health Scotland", "Architecture and Design Scotland"):
        assert maker in place_standard.SOURCE
    assert "Scottish Government" in place_standard.SOURCE
