"""Validators for Italian fiscal identifiers and the numbering pattern.

The check digits and the shape of a codice fiscale are python-stdnum's. stdnum is lenient about
what it is given: it drops spaces, dashes, colons and an "IT" prefix, and turns look-alike Unicode
characters (fullwidth digits, for one) into ASCII before checking. We are not: a value must
already be exactly the identifier, in ASCII, or it is refused, so what is stored is what was
checked.
"""

import re

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


# The only fields a numbering pattern may hold: {year}, {code}, and {seq} with an optional
# zero-padded width of 1 to 9 ({seq:05}). Any other format spec ("{seq:.0e}", "{seq:c}",
# "{seq:.0%}") could print two numbers alike, or control characters.
_PATTERN_FIELD = re.compile(r"\{(year|code|seq(?::0[1-9])?)\}")


def validate_numbering_pattern(value: str) -> None:
    invalid = ValidationError(
        _(
            "The pattern must contain {year} and {seq} (or {seq:0N}, N from 1 to 9), may "
            "contain {code}, and nothing else in braces."
        ),
        code="invalid_pattern",
    )
    fields = _PATTERN_FIELD.findall(value)
    plain = _PATTERN_FIELD.sub("", value)
    names = {field.split(":")[0] for field in fields}
    if "{" in plain or "}" in plain or not {"year", "seq"} <= names:
        raise invalid
    if any(not char.isprintable() for char in plain):
        raise invalid
    # Distinct sequence numbers must give distinct numbers, also past the padding's width.
    samples = [value.format(code="X", year=2026, seq=seq) for seq in (1, 2, 10, 10**9 + 1)]
    if len(set(samples)) != len(samples):
        raise invalid
