import pytest

from webapp.domain.identity import (
    clean_personal_code,
    clean_registry_code,
    personal_code_from_subject,
)


@pytest.mark.parametrize("code", ["48001010217", "37502020230", "49507070785"])
def test_valid_personal_codes_pass(code: str) -> None:
    assert clean_personal_code(code) == code


@pytest.mark.parametrize("code", ["48001010218", "4800101021", "abc", "", "99999999999"])
def test_invalid_personal_codes_are_refused(code: str) -> None:
    with pytest.raises(ValueError, match="invalid personal code"):
        clean_personal_code(code)


def test_registry_code_checksum() -> None:
    assert clean_registry_code("10123459") == "10123459"
    with pytest.raises(ValueError, match="invalid registry code"):
        clean_registry_code("10123458")


def test_tara_subject_maps_to_personal_code() -> None:
    assert personal_code_from_subject("EE48001010217") == "48001010217"


@pytest.mark.parametrize("subject", ["48001010217", "LV48001010217", "EE48001010218", "EE"])
def test_non_estonian_or_broken_subject_is_refused(subject: str) -> None:
    with pytest.raises(ValueError, match=r"subject|personal code"):
        personal_code_from_subject(subject)
