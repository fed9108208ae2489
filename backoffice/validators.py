"""Validators for Italian fiscal identifiers and the numbering pattern.

The check digits and the shape of a codice fiscale are python-stdnum's. stdnum is lenient about
what it is given: it drops spaces, dashes, colons and an "IT" prefix, and turns look-alike Unicode
characters (fullwidth digits, for one) into ASCII before checking. We are not: a value must
already be exactly the identifier, in ASCII, or it is refused, so what is stored is what was
checked.
"""

import re
import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import luhn
from stdnum.it import codicefiscale

# Written-out classes match ASCII only (not \d); fullmatch refuses the trailing newline that
# "$" would let through.
_PARTITA_IVA = re.compile(r"[0-9]{11}")
_CODICE_FISCALE_PERSON = re.compile(r"[A-Z0-9]{16}")


def partita_iva_is_valid(value: str) -> bool:
    """11 ASCII digits whose last is the check digit of the Agenzia delle Entrate (Luhn).

    stdnum.it.iva also requires digits 8-10 to name an existing provincial office; so do real
    numbers, but not every number in use as test or demo data here, so that rule is not applied.
    """
    return bool(_PARTITA_IVA.fullmatch(value)) and luhn.is_valid(value)


def validate_partita_iva(value: str) -> None:
    if value and not partita_iva_is_valid(value):
        raise ValidationError(
            _("Invalid VAT number: it must have 11 digits and a valid check digit."),
            code="invalid_partita_iva",
        )


def codice_fiscale_is_valid(value: str) -> bool:
    """A person's 16-character code (stdnum.it.codicefiscale: its shape, birth date and check
    letter, omocodia included), in capitals or not, or a company's 11 digits (a partita IVA)."""
    if not value.isascii():  # before upper(): "ß".upper() is "SS"
        return False
    value = value.upper()
    if _PARTITA_IVA.fullmatch(value):
        return partita_iva_is_valid(value)
    return bool(_CODICE_FISCALE_PERSON.fullmatch(value)) and codicefiscale.is_valid(value)


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
