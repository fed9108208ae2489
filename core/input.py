"""What the browser sends, made safe before it reaches a query: ids and search text."""


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
