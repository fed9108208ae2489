import pytest
from django.core.exceptions import ValidationError

from backoffice.validators import (
    codice_fiscale_is_valid,
    partita_iva_is_valid,
    validate_numbering_pattern,
)


@pytest.mark.parametrize("value", ["01234567897", "00145678900", "12345678903"])
def test_valid_partita_iva(value):
    assert partita_iva_is_valid(value)


@pytest.mark.parametrize(
    "value", ["01234567890", "1234567890", "0123456789a", "", "012345678971", "٠١٢٣٤٥٦٧٨٩٧"]
)
def test_malformed_partita_iva(value):
    assert not partita_iva_is_valid(value)


def test_codice_fiscale_of_a_person_and_of_a_company():
    assert codice_fiscale_is_valid("RSSMRA85T10A562S")
    assert codice_fiscale_is_valid("rssmra85t10a562s")
    assert not codice_fiscale_is_valid("RSSMRA85T10A562T")
    assert codice_fiscale_is_valid("01234567897")


@pytest.mark.parametrize("pattern", ["{code}/{year}/{seq:05}", "OFF-{year}-{seq}"])
def test_numbering_pattern_accepted(pattern):
    validate_numbering_pattern(pattern)


@pytest.mark.parametrize("pattern", ["{seq}", "{year}", "{year}/{seq}/{customer}", "{year}{seq:x"])
def test_numbering_pattern_rejected(pattern):
    with pytest.raises(ValidationError):
        validate_numbering_pattern(pattern)
