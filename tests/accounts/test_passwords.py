"""The password policy as a pure function: no app, no database."""

from __future__ import annotations

import pytest

from engage.accounts.passwords import (
    MAX_LENGTH,
    MESSAGES,
    MIN_LENGTH,
    common_passwords,
    password_problem,
)

GOOD = "violet lantern harbour"


def test_a_few_unusual_words_are_accepted() -> None:
    assert password_problem(GOOD) is None
    assert password_problem(GOOD, email="sam@example.org", display_name="Sam") is None


def test_length_limits_are_inclusive() -> None:
    assert MIN_LENGTH == 10
    assert password_problem("k7#vQ2mz!x"[: MIN_LENGTH - 1]) == "too_short"
    assert password_problem("k7#vQ2mz!x") is None
    assert password_problem(("k7#vQ2mz!x" * 21)[:MAX_LENGTH]) is None
    assert password_problem(("k7#vQ2mz!x" * 21)[: MAX_LENGTH + 1]) == "too_long"


def test_empty_password_is_too_short() -> None:
    assert password_problem("") == "too_short"


def test_length_counts_characters_not_bytes() -> None:
    # Ten characters, more than ten bytes in UTF-8.
    assert password_problem("ŝťřëéťčàřð") is None
    assert password_problem("ŝťřëéťčàř") == "too_short"


@pytest.mark.parametrize("password", ["1234567890", "password123", "qwertyuiop", "camden2026"])
def test_common_passwords_are_refused(password: str) -> None:
    assert password_problem(password) == "too_common"


@pytest.mark.parametrize("password", ["PASSWORD123", "Password123", "QwertyUiop", "CAMDEN2026"])
def test_common_list_ignores_case(password: str) -> None:
    assert password_problem(password) == "too_common"


def test_every_long_enough_entry_of_the_list_is_refused() -> None:
    entries = common_passwords()
    assert len(entries) > 50
    for entry in entries:
        expected = "too_short" if len(entry) < MIN_LENGTH else "too_common"
        assert password_problem(entry) == expected, entry


def test_the_list_skips_comments_and_blank_lines() -> None:
    assert not any(entry.startswith("#") or not entry for entry in common_passwords())


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "abababababab", "abcabcabcabc", "1212121212"])
def test_passwords_of_fewer_than_four_different_characters_count_as_common(password: str) -> None:
    assert password_problem(password) == "too_common"


def test_four_different_characters_are_enough_variety() -> None:
    assert password_problem("abcdabcdabcd") is None


def test_the_email_address_is_refused_as_a_password() -> None:
    email = "maria.lopez@example.org"
    assert password_problem(email, email=email) == "personal"
    assert password_problem("Maria.Lopez@Example.ORG", email=email) == "personal"


def test_the_part_before_the_at_sign_is_refused() -> None:
    assert password_problem("maria.lopez", email="maria.lopez@example.org") == "personal"


def test_the_display_name_is_refused_in_any_case() -> None:
    assert password_problem("Florentina Maria", display_name="florentina maria") == "personal"
    assert password_problem("FLORENTINA MARIA", display_name="Florentina Maria") == "personal"


def test_personal_data_only_counts_when_it_is_the_whole_password() -> None:
    assert password_problem("maria.lopez and a garden", email="maria.lopez@example.org") is None


def test_empty_personal_data_refuses_nothing() -> None:
    assert password_problem(GOOD, email="", display_name="") is None


def test_length_is_checked_before_personal_data() -> None:
    assert password_problem("ann", email="ann@example.org") == "too_short"


def test_every_problem_has_a_message() -> None:
    problems = {
        password_problem(""),
        password_problem("x" * (MAX_LENGTH + 1)),
        password_problem("password123"),
        password_problem("maria.lopez", email="maria.lopez@example.org"),
    }
    assert problems == set(MESSAGES)
    assert all(message.strip() for message in MESSAGES.values())
