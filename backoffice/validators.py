"""Validators for Italian fiscal identifiers and the numbering pattern."""

import re
import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def partita_iva_is_valid(value: str) -> bool:
    """11 digits with the Luhn-like check digit of the Agenzia delle Entrate."""
    if not re.fullmatch(r"[0-9]{11}", value):
        return False
    total = 0
    for index, char in enumerate(value[:10]):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(value[10])


def validate_partita_iva(value: str) -> None:
    if value and not partita_iva_is_valid(value):
        raise ValidationError(
            _("Invalid VAT number: it must have 11 digits and a valid check digit."),
            code="invalid_partita_iva",
        )


_CF_ODD = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [
            1,
            0,
            5,
            7,
            9,
            13,
            15,
            17,
            19,
            21,
            1,
            0,
            5,
            7,
            9,
            13,
            15,
            17,
            19,
            21,
            2,
            4,
            18,
            20,
            11,
            3,
            6,
            8,
            12,
            14,
            16,
            10,
            22,
            25,
            24,
            23,
        ],
        strict=True,
    )
)


def _cf_even(char: str) -> int:
    return int(char) if char.isdigit() else ord(char) - ord("A")


def codice_fiscale_is_valid(value: str) -> bool:
    """A person's 16-character code with its check letter, or a company's 11-digit one."""
    value = value.upper()
    if re.fullmatch(r"[0-9]{11}", value):
        return partita_iva_is_valid(value)
    if not re.fullmatch(r"[A-Z0-9]{15}[A-Z]", value):
        return False
    total = sum(
        _CF_ODD[char] if index % 2 == 0 else _cf_even(char) for index, char in enumerate(value[:15])
    )
    return string.ascii_uppercase[total % 26] == value[15]


def validate_tax_code(value: str) -> None:
    if value and not codice_fiscale_is_valid(value):
        raise ValidationError(
            _("Invalid tax code: 16 characters with a valid check letter, or 11 digits."),
            code="invalid_codice_fiscale",
        )


def validate_numbering_pattern(value: str) -> None:
    invalid = ValidationError(
        _("The pattern must contain {year} and {seq}, and may contain {code}."),
        code="invalid_pattern",
    )
    try:
        fields = {name for _text, name, _spec, _conv in string.Formatter().parse(value) if name}
        value.format(code="X", year=2026, seq=1)
    except (ValueError, IndexError, KeyError) as exc:
        raise invalid from exc
    if fields - {"code", "year", "seq"} or not {"year", "seq"} <= fields:
        raise invalid
