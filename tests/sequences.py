"""Every test database starts its id sequences high, as a real office's year of data does:
ids over 10,000 reach every page and every form, where a localised "10.001" breaks a value, an
element id or a URL. Each table starts at a different point, so an id of one table passed for
another's never finds a row by chance."""

from django.apps import apps
from django.db import connection, models

FIRST_ID = 10_001
STEP = 1_000


def numbered_tables() -> list[tuple[str, str]]:
    """(table, primary key column) of every model with an auto-incremented key."""
    tables = {
        (model._meta.db_table, model._meta.pk.column)
        for model in apps.get_models(include_auto_created=True)
        if isinstance(model._meta.pk, models.AutoField)
        and model._meta.managed
        and not model._meta.proxy
    }
    return sorted(tables)


def start_sequences_high() -> dict[str, int]:
    """Move every sequence to its start (FIRST_ID + STEP × position); returns the starts."""
    starts = {
        table: FIRST_ID + STEP * position
        for position, (table, _column) in enumerate(numbered_tables())
    }
    columns = dict(numbered_tables())
    with connection.cursor() as cursor:
        for table, start in starts.items():
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), %s, false)",
                    [connection.ops.quote_name(table), columns[table], start],
                )
            elif connection.vendor == "sqlite":
                # AUTOINCREMENT keys continue from sqlite_sequence's value.
                cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, start - 1]
                )
    return starts
