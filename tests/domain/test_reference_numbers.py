"""The Estonian payment reference number (viitenumber), 7-3-1 method.

Known examples, worked by hand (weights 7, 3, 1 from the base's rightmost digit;
check digit = (10 - sum mod 10) mod 10):

- 123 -> 1232: 3x7 + 2x3 + 1x1 = 28 -> 2.
- 71998532127, the reference number of an Eesti Energia invoice (an e-mail bill a
  public repository parses in its tests): base 7199853212, 2x7 + 1x3 + 2x1 + 3x7 +
  5x3 + 8x1 + 9x7 + 9x3 + 1x1 + 7x7 = 203 -> 7.
- The Finnish viitenumero uses the same weights and check digit, so its published
  examples hold too: 100 -> 1009 (the Ruby gem viitelaskuri's README), 1234567 ->
  12345672 (Continia Banking's sample reference), 617435 -> 6174354 (the worked
  example after tarkistusmerkit.teppovuori.fi: 5x7 + 3x3 + 4x1 + 7x7 + 1x3 + 6x1 =
  106 -> 4).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.domain.reference_numbers import (
    MAX_LENGTH,
    InvalidReference,
    check_digit,
    compact_reference,
    is_valid_reference,
    make_reference,
)


@pytest.mark.parametrize(("base", "reference"), [
    ("123", "1232"),
    ("7199853212", "71998532127"),
    ("100", "1009"),
    ("1234567", "12345672"),
    ("617435", "6174354"),
    # One base digit: 1x7 = 7 -> 3; 0 -> 0; 9x7 = 63 -> 7.
    ("1", "13"),
    ("0", "00"),
    ("9", "97"),
])
def test_known_reference_numbers(base: str, reference: str) -> None:
    assert make_reference(base) == reference
    assert make_reference(int(base)) == reference
    assert check_digit(base) == reference[-1]
    assert is_valid_reference(reference)


def test_leading_zeros_of_a_string_base_are_kept() -> None:
    # A zero weighs nothing, so the check digit is that of the base without them.
    assert make_reference("00123") == "001232"
    assert is_valid_reference("001232")


def test_spaces_between_groups_are_tolerated() -> None:
    assert is_valid_reference("719 9853 2127")
    assert is_valid_reference(" 71998 53212 7 ")
    assert is_valid_reference("1\u00a0232")
    assert compact_reference(" 12 3 2 ") == "1232"


@pytest.mark.parametrize("text", [
    "", " ", "1", "7", "1233", "71998532128", "12a2", "-1232", "12.32", "1232x",
    "１２３２",  # full-width digits are not the digits a bank takes
    "1" * 21,
])
def test_invalid_references(text: str) -> None:
    assert not is_valid_reference(text)


@pytest.mark.parametrize("base", ["", " ", "12 3", "12a", "-5", "1.5", "²", "1" * 20])
def test_bases_that_make_no_reference(base: str) -> None:
    with pytest.raises(InvalidReference):
        make_reference(base)


@pytest.mark.parametrize("base", [-1, True, 1.5, None])
def test_bases_of_the_wrong_kind(base: object) -> None:
    with pytest.raises(InvalidReference):
        make_reference(base)  # type: ignore[arg-type]


def test_the_longest_reference_has_twenty_digits() -> None:
    reference = make_reference("1" * 19)
    assert len(reference) == MAX_LENGTH
    assert is_valid_reference(reference)
    assert make_reference(10**18)[-1] == check_digit(str(10**18))


_bases = st.text(alphabet="0123456789", min_size=1, max_size=19)


@given(_bases)
def test_round_trip(base: str) -> None:
    reference = make_reference(base)
    assert reference[:-1] == base
    assert is_valid_reference(reference)


@given(st.integers(min_value=0, max_value=10**19 - 1))
def test_round_trip_of_an_int(base: int) -> None:
    reference = make_reference(base)
    assert int(reference[:-1]) == base
    assert is_valid_reference(reference)


@given(_bases, st.data())
def test_a_changed_digit_fails_validation(base: str, data: st.DataObject) -> None:
    # The weights 7, 3 and 1 are prime to 10, so a single changed digit (the check
    # digit included) always changes the sum's last digit.
    reference = make_reference(base)
    position = data.draw(st.integers(min_value=0, max_value=len(reference) - 1))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != reference[position]]))
    changed = reference[:position] + digit + reference[position + 1:]
    assert not is_valid_reference(changed)


@given(_bases)
def test_exactly_one_check_digit_is_valid(base: str) -> None:
    valid = [digit for digit in "0123456789" if is_valid_reference(base + digit)]
    assert valid == [check_digit(base)]
