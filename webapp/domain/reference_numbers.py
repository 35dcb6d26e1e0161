"""The Estonian payment reference number (viitenumber) of an invoice.

A reference number is a base of digits followed by one check digit made by the
7-3-1 method of the Estonian Banking Association (Eesti Pangaliit, "Viitenumber,
7-3-1 meetod"); it has 2 to 20 digits in all, so the base has 1 to 19:

- the base's digits are multiplied by the weights 7, 3, 1, 7, 3, 1, ... starting
  from its rightmost digit;
- the products are added up;
- the check digit is what the sum lacks to the next multiple of ten:
  (10 - sum mod 10) mod 10.

Base 123: 3 x 7 + 2 x 3 + 1 x 1 = 28, 10 - 8 = 2, so the reference is 1232.

The Finnish viitenumero uses the same weights and check digit (with 4 to 20
digits), so its published examples check this code too (tests/domain/
test_reference_numbers.py). Banks print long references in groups of digits, so a
reference typed back may hold spaces: ``is_valid_reference`` ignores them.

Pure: no Flask, no database.
"""

from __future__ import annotations

import re

MIN_LENGTH = 2  # one base digit and the check digit
MAX_LENGTH = 20  # Pangaliit: a reference number has at most 20 digits
MAX_BASE_LENGTH = MAX_LENGTH - 1

_WEIGHTS = (7, 3, 1)  # from the rightmost digit of the base
_DIGITS = re.compile(r"[0-9]+")  # ASCII digits only: str.isdigit admits "²" and "٣"
_SPACES = re.compile(r"[ \u00a0\u202f\u2009]")


class InvalidReference(ValueError):
    """A base that no reference number can be made of."""


def _digits(base: str) -> str:
    if not _DIGITS.fullmatch(base):
        raise InvalidReference(f"a reference number's base is digits 0-9 only, got {base!r}")
    return base


def check_digit(base: str) -> str:
    """The 7-3-1 check digit of ``base`` (digits only, at least one)."""
    digits = _digits(base)
    total = sum(int(digit) * _WEIGHTS[position % 3]
                for position, digit in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def make_reference(base: str | int) -> str:
    """``base`` followed by its check digit: an invoice number 123 gives "1232".

    The base is 1 to 19 digits (a non-negative int, or a string of digits, whose
    leading zeros are kept), so the reference has 2 to 20; ``InvalidReference``
    otherwise.
    """
    if isinstance(base, bool) or not isinstance(base, int | str):
        raise InvalidReference(f"a reference number's base is digits, got {base!r}")
    if isinstance(base, int):
        if base < 0:
            raise InvalidReference(f"a reference number's base is not negative, got {base}")
        base = str(base)
    digits = _digits(base)
    if len(digits) > MAX_BASE_LENGTH:
        raise InvalidReference(
            f"a reference number has at most {MAX_LENGTH} digits: the base {digits} has "
            f"{len(digits)}, at most {MAX_BASE_LENGTH} leave room for the check digit")
    return digits + check_digit(digits)


def compact_reference(text: str) -> str:
    """``text`` without the spaces that group its digits ("12 3456 7" -> "1234567")."""
    return _SPACES.sub("", text.strip())


def is_valid_reference(text: str) -> bool:
    """Whether ``text`` is a reference number: 2 to 20 digits (spaces between them
    are ignored) whose last digit is the 7-3-1 check digit of the others."""
    if not isinstance(text, str):
        return False
    digits = compact_reference(text)
    if not _DIGITS.fullmatch(digits) or not MIN_LENGTH <= len(digits) <= MAX_LENGTH:
        return False
    return check_digit(digits[:-1]) == digits[-1]
