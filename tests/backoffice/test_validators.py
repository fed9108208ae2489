"""P.IVA and codice fiscale (python-stdnum underneath, but no more lenient than before: ASCII
only, no separators, no prefix) and the numbering pattern."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from backoffice.validators import (
    codice_fiscale_is_valid,
    partita_iva_is_valid,
    validate_numbering_pattern,
    validate_partita_iva,
    validate_tax_code,
)

# stdnum would clean every one of these into a valid number; we refuse them as they are.
VALID_PARTITA_IVA = "00743110157"
DISGUISED_PARTITA_IVA = [
    " 00743110157",
    "00743110157 ",
    "00743110157\n",
    "007 431 101 57",
    "007-43110157",
    "007:43110157",
    "IT00743110157",
    "it00743110157",
    "0074311015\uff17",  # the last digit fullwidth
    "\uff10\uff10\uff17\uff14\uff13\uff11\uff11\uff10\uff11\uff15\uff17",  # all fullwidth
    "\u0660\u0660\u0667\u0664\u0663\u0661\u0661\u0660\u0661\u0665\u0667",  # Arabic-Indic digits
    "0074311015\u2077",  # a superscript 7
    "00743110157\x00",
]


@pytest.mark.parametrize("value", ["01234567897", "00145678900", "12345678903", "00743110157"])
def test_valid_partita_iva(value):
    assert partita_iva_is_valid(value)


@pytest.mark.parametrize(
    "value",
    [
        "01234567890",
        "00743110158",  # wrong check digit
        "1234567890",
        "0123456789a",
        "",
        "012345678971",
        "٠١٢٣٤٥٦٧٨٩٧",
        "١٢٣",
        "\u00b2",
        "999999999",
    ],
)
def test_malformed_partita_iva(value):
    assert not partita_iva_is_valid(value)


@pytest.mark.parametrize("value", DISGUISED_PARTITA_IVA)
def test_a_partita_iva_is_taken_as_it_is_written(value):
    assert not partita_iva_is_valid(value)
    assert not codice_fiscale_is_valid(value)


def test_codice_fiscale_of_a_person_and_of_a_company():
    assert codice_fiscale_is_valid("RSSMRA85T10A562S")
    assert codice_fiscale_is_valid("rssmra85t10a562s")
    assert not codice_fiscale_is_valid("RSSMRA85T10A562T")
    assert codice_fiscale_is_valid("01234567897")
    assert codice_fiscale_is_valid(VALID_PARTITA_IVA)
    assert not codice_fiscale_is_valid("00743110158")


def test_an_omocodic_codice_fiscale_is_valid():
    # The last digit of the place code (2) replaced by its letter (N), with its check letter.
    assert codice_fiscale_is_valid("RSSMRA85T10A56NH")


@pytest.mark.parametrize(
    "value",
    [
        "RSSMRA85Z10A562B",  # Z is no month, though the check letter is right
        "RSSMRA85T35A562G",  # no 35 December (days 41-71 are 1-31 for a woman)
        "RSSMRA85B70A562K",  # no 30 February
        "1234567890123456",
        "RSSMRA85T10A562",
        "RSSMRA85T10A562SX",
        "",
    ],
)
def test_a_codice_fiscale_must_have_the_shape_of_one(value):
    assert not codice_fiscale_is_valid(value)


@pytest.mark.parametrize(
    "value",
    [
        "RSSMRA 85T10A562S",
        " RSSMRA85T10A562S",
        "RSSMRA85T10A562S\n",
        "RSSMRA-85T10A562S",
        "RSSMRA85T10A56\uff12S",  # a fullwidth 2
        "RSSMRA85T10A562\uff33",  # a fullwidth S
        # "ß".upper() is "SS": this would become the valid RSSMRA85T10A27SS once capitalised.
        "RSSMRA85T10A27\u00df",
        "\u00b2",
        "١٢٣",
    ],
)
def test_a_codice_fiscale_is_taken_as_it_is_written(value):
    assert not codice_fiscale_is_valid(value)


def test_the_validators_say_what_is_wrong_in_italian():
    with translation.override("it"):
        with pytest.raises(ValidationError) as vat:
            validate_partita_iva("00743110158")
        with pytest.raises(ValidationError) as tax:
            validate_tax_code("RSSMRA85T10A562T")
    assert vat.value.code == "invalid_partita_iva"
    assert tax.value.code == "invalid_codice_fiscale"
    with translation.override("it"):
        assert vat.value.messages == [
            "P.IVA non valida: deve avere 11 cifre e una cifra di controllo valida."
        ]
        assert tax.value.messages == [
            "Codice fiscale non valido: deve avere 16 caratteri con una lettera di controllo "
            "valida, oppure 11 cifre."
        ]


def test_the_validators_let_an_empty_field_be_and_a_valid_value_through():
    for value in ("", VALID_PARTITA_IVA):
        validate_partita_iva(value)
    for value in ("", VALID_PARTITA_IVA, "RSSMRA85T10A562S", "rssmra85t10a562s"):
        validate_tax_code(value)
    with pytest.raises(ValidationError):
        validate_partita_iva("0074311015\uff17")


@pytest.mark.parametrize("pattern", ["{code}/{year}/{seq:05}", "OFF-{year}-{seq}"])
def test_numbering_pattern_accepted(pattern):
    validate_numbering_pattern(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        "{seq}",
        "{year}",
        "{year}/{seq}/{customer}",
        "{year}{seq:x",
        # Format specs that print two numbers alike, or control characters, or a percentage.
        "{year}/{seq:.0e}",
        "{year}/{seq:c}",
        "{year}/{seq:.0%}",
        "{year}/{seq:010}",
        "{year}/{seq:5}",
        "{year}/{{seq}}",
        "{year}\t{seq}",
    ],
)
def test_numbering_pattern_rejected(pattern):
    with pytest.raises(ValidationError):
        validate_numbering_pattern(pattern)


def test_every_accepted_pattern_numbers_distinctly():
    for pattern in ["{year}/{seq:01}", "{code}{year}{seq:09}", "N.{seq}/{year}"]:
        validate_numbering_pattern(pattern)
        numbers = {pattern.format(code="OC", year=2026, seq=seq) for seq in range(1, 2000)}
        assert len(numbers) == 1999
