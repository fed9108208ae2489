"""What the browser sends, made safe before it reaches a query: ids, search text, numbers."""

import re


def record_id(value) -> int | None:
    """A primary key sent by the browser, or None: ASCII digits only (str.isdigit() would let
    "²" through) and within the range of a database id."""
    text = str(value or "")
    if text.isascii() and text.isdigit() and 0 < int(text) < 2**63:
        return int(text)
    return None


def search_text(value) -> str:
    """A search box's text, safe for any database: NUL bytes (refused by PostgreSQL) dropped,
    trimmed to a sensible length."""
    return str(value or "").replace("\x00", "").strip()[:60]


# One rule for every number a user types (README, "Numbers"): "," is the decimal separator; "."
# groups thousands, in groups of three after a non-zero digit ("1.234.567,89"). Any other "."
# ("0.125", "1.5", "60.00") is ambiguous and refused, never guessed.
_ITALIAN_NUMBER = re.compile(r"[+-]?(?:[1-9]\d{0,2}(?:\.\d{3})+|\d+)(?:,\d+)?")


def italian_number(text: str) -> str | None:
    """The canonical form ("1234567.89") of a number written the Italian way, or None when a
    "." in it is not a thousands separator. Text that is no number at all is returned as it
    is, for the form field to refuse with its own message."""
    value = text.strip()
    if _ITALIAN_NUMBER.fullmatch(value):
        return value.replace(".", "").replace(",", ".")
    if "." in value:
        return None
    return value
