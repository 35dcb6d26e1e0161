"""Estonian identifiers, validated with python-stdnum (no Flask, no database)."""

from __future__ import annotations

from stdnum import bic, iban
from stdnum.ee import ik, registrikood
from stdnum.eu import vat
from stdnum.exceptions import ValidationError

TARA_SUBJECT_PREFIX = "EE"  # TARA: sub = country code + personal code


def clean_personal_code(value: str) -> str:
    """Return the personal code (isikukood) or raise ``ValueError``."""
    try:
        return str(ik.validate(value))
    except ValidationError as error:
        raise ValueError(f"invalid personal code: {value!r}") from error


def clean_registry_code(value: str) -> str:
    """Return the business registry code (registrikood) or raise ``ValueError``."""
    try:
        return str(registrikood.validate(value))
    except ValidationError as error:
        raise ValueError(f"invalid registry code: {value!r}") from error


def clean_iban(value: str) -> str:
    """Return the IBAN without spaces, in capitals, or raise ``ValueError``: the
    ISO 13616 mod-97 check and the country's length and shape must be right."""
    try:
        return str(iban.validate(value))
    except ValidationError as error:
        raise ValueError(f"invalid IBAN: {value!r}") from error


def clean_bic(value: str) -> str:
    """Return the BIC (ISO 9362, 8 or 11 characters) in capitals, or raise ``ValueError``."""
    try:
        return str(bic.validate(value))
    except ValidationError as error:
        raise ValueError(f"invalid BIC: {value!r}") from error


def clean_vat_number(value: str) -> str:
    """Return the EU VAT number with its country prefix (KMKR: ``EE`` and 9 digits),
    without spaces, or raise ``ValueError``: the check digit must be right."""
    try:
        return str(vat.validate(value))
    except ValidationError as error:
        raise ValueError(f"invalid VAT number: {value!r}") from error


def personal_code_from_subject(subject: str) -> str:
    """The personal code in a TARA ``sub`` such as ``EE48001010217``."""
    if not subject.startswith(TARA_SUBJECT_PREFIX):
        raise ValueError(f"not an Estonian subject: {subject!r}")
    return clean_personal_code(subject.removeprefix(TARA_SUBJECT_PREFIX))
