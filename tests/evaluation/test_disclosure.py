"""Disclosure control: scrubbing contact details from free text (table-driven, with ordinary
numbers that must survive), suppression and rounding of counts at their boundaries, and keyed
pseudonyms. Pure: no app, no database."""

from __future__ import annotations

import pytest

from engage.evaluation.disclosure import (
    KINDS,
    SuppressedTable,
    make_package_key,
    pseudonym,
    scrub,
    suppress_and_round,
    suppress_table,
)

# (text, expected clean text, expected counts as (email, phone, postcode))
SCRUBBED: list[tuple[str, str, tuple[int, int, int]]] = [
    # E-mail addresses.
    ("Write to jo.bloggs@example.org please", "Write to [email] please", (1, 0, 0)),
    ("JO+news@Mail.Example.co.uk.", "[email].", (1, 0, 0)),
    ("o'neill_2@sub-domain.example.es, x@y.cat", "[email], [email]", (2, 0, 0)),
    ("Contact: anna.garcía@correo.es", "Contact: [email]", (1, 0, 0)),
    # UK phone numbers.
    ("call 020 7946 0018 today", "call [phone] today", (0, 1, 0)),
    ("call +44 20 7946 0018 today", "call [phone] today", (0, 1, 0)),
    ("call +44 (0)20 7946 0018.", "call [phone].", (0, 1, 0)),
    ("+442079460018", "[phone]", (0, 1, 0)),
    ("0044 20 7946 0018", "[phone]", (0, 1, 0)),
    ("mobile 07700 900123, thanks", "mobile [phone], thanks", (0, 1, 0)),
    ("mobile 07700-900-123", "mobile [phone]", (0, 1, 0)),
    ("ring (01632) 960123 or 0116 496 0123", "ring [phone] or [phone]", (0, 2, 0)),
    ("02079460018", "[phone]", (0, 1, 0)),
    # Spanish phone numbers.
    ("tel +34 612 34 56 78", "tel [phone]", (0, 1, 0)),
    ("tel 612345678", "tel [phone]", (0, 1, 0)),
    ("tel 612 345 678 or 91 234 56 78", "tel [phone] or [phone]", (0, 2, 0)),
    ("tel 0034 612345678", "tel [phone]", (0, 1, 0)),
    ("(+34) 934-123-456", "[phone]", (0, 1, 0)),
    ("(+44) 7700 900123", "[phone]", (0, 1, 0)),
    ("(0044) 20 7946 0018", "[phone]", (0, 1, 0)),
    # Other international numbers; a count after the number is not swallowed.
    ("+1 555 123 4567 and 120 trees", "[phone] and 120 trees", (0, 1, 0)),
    ("+33 1 23 45 67 89", "[phone]", (0, 1, 0)),
    ("+353.1.234.5678", "[phone]", (0, 1, 0)),
    # UK postcodes.
    ("NW1 2DB", "[postcode]", (0, 0, 1)),
    ("10 Downing St, London SW1A 2AA", "10 Downing St, London [postcode]", (0, 0, 1)),
    ("SW1A 1AA and EC1V 9LB and ec1v9lb", "[postcode] and [postcode] and [postcode]", (0, 0, 3)),
    ("M1 1AE.", "[postcode].", (0, 0, 1)),
    ("B33 8TH", "[postcode]", (0, 0, 1)),  # in capitals; "b33 8th" reads as an ordinal
    # Spanish postcodes, only with a cue or in an address line.
    ("C.P. 08001 Barcelona", "C.P. [postcode] Barcelona", (0, 0, 1)),
    ("CP: 28013", "CP: [postcode]", (0, 0, 1)),
    ("código postal 46001", "código postal [postcode]", (0, 0, 1)),
    ("codi postal: 17001", "codi postal: [postcode]", (0, 0, 1)),
    (
        "Carrer de Mallorca 401, 08013 Barcelona",
        "Carrer de Mallorca 401, [postcode] Barcelona",
        (0, 0, 1),
    ),
    ("Av. Diagonal 1, 08019 L'Hospitalet", "Av. Diagonal 1, [postcode] L'Hospitalet", (0, 0, 1)),
    # Everything at once.
    (
        "Ana (ana@example.es, 612 34 56 78) lives at C.P. 08001; Bob: +44 7700 900123, NW1 2DB",
        "Ana ([email], [phone]) lives at C.P. [postcode]; Bob: [phone], [postcode]",
        (1, 2, 2),
    ),
]

# Text with ordinary numbers that must come through untouched.
KEPT = [
    "In 2026 we planted 120 trees",
    "It cost £1,500.50 or €1.500.000 or 12,345,678 or 1 500 000",
    "Meet at 18:30 on 2026-11-21, or 18:30-19:30, or 2026-11-21T18:30",
    "Dates 21/11/2026 and 21-11-2026 and 11.21.2026",
    "pi is 3.14159 and 0.612345678 is a fraction",
    "years 1999, 2000-2010, and 45000 people came",
    "08001 is just a number without a cue, and so is 28013",
    "we counted 12000 trees, 52001 birds",
    "Ages 16-24: 35%, 25-34: 12%",
    "12345678901234 is an id, 123456789 is too",
    "District NW1 only, the A1 and the M25",
    "the M25 2nd junction and B1 3rd exit, b33 8th",
    "An @handle and an email-like thing user@localhost",
    "Phase 2 of 3, room 101, 5 x 7, version 1.2.3",
    "the 44th and 34th streets, +5 points, 3+4=7",
    "In 2025, 12000 volunteers came",
    "see note (020) 12345 and (0161) 123456789",
]


@pytest.mark.parametrize(("text", "clean", "counts"), SCRUBBED)
def test_scrub_replaces_contact_details(
    text: str, clean: str, counts: tuple[int, int, int]
) -> None:
    result, found = scrub(text)
    assert result == clean
    assert (found["email"], found["phone"], found["postcode"]) == counts


@pytest.mark.parametrize("text", KEPT)
def test_scrub_leaves_ordinary_numbers_alone(text: str) -> None:
    assert scrub(text) == (text, dict.fromkeys(KINDS, 0))


def test_scrub_counts_every_kind_even_when_nothing_is_found() -> None:
    assert scrub("") == ("", {"email": 0, "phone": 0, "postcode": 0})


def test_scrub_is_idempotent() -> None:
    text = "ana@example.es 020 7946 0018 NW1 2DB CP 08001"
    once, counts = scrub(text)
    assert counts == {"email": 1, "phone": 1, "postcode": 2}
    assert scrub(once) == (once, dict.fromkeys(KINDS, 0))


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, 0),
        (1, None),
        (9, None),
        (10, 10),
        (11, 10),
        (12, 10),
        (13, 15),
        (14, 15),
        (15, 15),
        (17, 15),
        (18, 20),
        (102, 100),
        (103, 105),
    ],
)
def test_suppress_and_round_boundaries(count: int, shown: int | None) -> None:
    assert suppress_and_round(count) == shown


def test_suppress_and_round_with_other_settings() -> None:
    assert suppress_and_round(4, threshold=5, base=10) is None
    assert suppress_and_round(5, threshold=5, base=10) == 10  # halves go up
    assert suppress_and_round(14, threshold=5, base=10) == 10
    # A published count is never shown as 0 (that would read as a true zero).
    assert suppress_and_round(1, threshold=1, base=5) == 5
    assert suppress_and_round(7, threshold=1, base=1) == 7


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((-1,), ValueError),
        ((10, 0), ValueError),
        ((10, 10, 0), ValueError),
        ((True,), TypeError),
        ((10.0,), TypeError),
    ],
)
def test_suppress_and_round_rejects_bad_input(
    args: tuple[object, ...], error: type[Exception]
) -> None:
    with pytest.raises(error):
        suppress_and_round(*args)  # type: ignore[arg-type]


def test_suppress_table_hides_small_cells_and_totals_the_raw_counts() -> None:
    table = suppress_table({"16-24": 3, "25-44": 12, "45-64": 0, "65+": 13})
    assert table == SuppressedTable(
        cells={"16-24": None, "25-44": 10, "45-64": 0, "65+": 15}, total=30, suppressed=1
    )
    # Order kept; the total is 28 raw, rounded to 30, not 10 + 0 + 15 = 25.
    assert list(table.cells) == ["16-24", "25-44", "45-64", "65+"]


def test_suppress_table_of_nothing() -> None:
    assert suppress_table({}) == SuppressedTable(cells={}, total=0, suppressed=0)
    assert suppress_table({"a": 4}) == SuppressedTable(cells={"a": None}, total=None, suppressed=1)


def test_pseudonyms_are_stable_for_a_key_and_differ_across_keys() -> None:
    key = make_package_key()
    other = make_package_key()
    assert len(key) == 32 and key != other

    first = pseudonym(key, "participant", 42)
    assert first == pseudonym(key, "participant", 42)
    assert first == pseudonym(key, "participant", "42")  # ids compare as text
    assert len(first) == 12 and all(c in "0123456789abcdef" for c in first)
    assert first != pseudonym(other, "participant", 42)
    assert first != pseudonym(key, "participant", 43)
    assert first != pseudonym(key, "submission", 42)
    assert pseudonym(key, "participant", 42, length=20)[:12] == first


def test_pseudonym_is_the_documented_hmac() -> None:
    import hashlib
    import hmac

    key = bytes(range(32))
    expected = hmac.new(key, b"participant\x1f7", hashlib.sha256).hexdigest()
    assert pseudonym(key, "participant", 7, length=64) == expected
    assert pseudonym(key, "participant", 7) == expected[:12]


def test_pseudonyms_of_many_ids_do_not_collide() -> None:
    key = make_package_key()
    assert len({pseudonym(key, "participant", i) for i in range(10_000)}) == 10_000


@pytest.mark.parametrize(
    ("key", "kind", "raw_id", "length", "error"),
    [
        (b"short", "participant", 1, 12, ValueError),
        (bytes(32), "", 1, 12, ValueError),
        (bytes(32), "a\x1fb", 1, 12, ValueError),
        (bytes(32), "participant", 1, 7, ValueError),
        (bytes(32), "participant", 1, 65, ValueError),
        (bytes(32), "participant", True, 12, TypeError),
        (bytes(32), "participant", 1.5, 12, TypeError),
    ],
)
def test_pseudonym_rejects_bad_input(
    key: bytes, kind: str, raw_id: object, length: int, error: type[Exception]
) -> None:
    with pytest.raises(error):
        pseudonym(key, kind, raw_id, length)  # type: ignore[arg-type]
