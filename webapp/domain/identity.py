"""Estonian identifiers, validated with python-stdnum (no Flask, no database)."""

from __future__ import annotations

from stdnum.ee import ik, registrikood
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


def personal_code_from_subject(subject: str) -> str:
    """The personal code in a TARA ``sub`` such as ``EE48001010217``."""
    if not subject.startswith(TARA_SUBJECT_PREFIX):
        raise ValueError(f"not an Estonian subject: {subject!r}")
    return clean_personal_code(subject.removeprefix(TARA_SUBJECT_PREFIX))
