"""Num. Ordine and Prot. Int.: numbers per order type per year (from the type's pattern) and
protocols per year across all types. Never duplicated, never reused: a cancelled order keeps
its numbers; a rolled-back transaction gives its numbers back."""

from collections import defaultdict

from django.db import connection

from backoffice.models import OrderType

PROTOCOL_SCOPE = "protocol"


def allocate_numbers(*, scope: str, year: int, count: int = 1) -> range:
    """Reserve `count` consecutive numbers of a yearly sequence.

    One INSERT ... ON CONFLICT DO UPDATE ... RETURNING: atomic on PostgreSQL and SQLite alike, and
    the row it writes stays locked until the caller's transaction ends, so two transactions never
    get the same numbers and a rolled-back one gives its numbers back.
    """
    table = connection.ops.quote_name("backoffice_numbersequence")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, year, last_value) VALUES (%s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (scope, year) DO UPDATE SET last_value = {table}.last_value + %s "
            "RETURNING last_value",
            [scope, year, count, count],
        )
        last = cursor.fetchone()[0]
    return range(last - count + 1, last + 1)


def format_protocol(*, year: int, seq: int) -> str:
    return f"{seq:05}/{year}"


def number_scope(order_type: OrderType) -> str:
    return f"type:{order_type.pk}"


def reserve_numbers(orders: list[tuple[OrderType, int]]) -> list[tuple[str, str]]:
    """(Num. Ordine, Prot. Int.) for each (order type, year), in order: one block per type and
    year, one block of protocols per year, whatever the number of orders."""
    by_type, by_year = defaultdict(list), defaultdict(list)
    for index, (order_type, year) in enumerate(orders):
        by_type[(order_type, year)].append(index)
        by_year[year].append(index)
    numbers, protocols = [""] * len(orders), [""] * len(orders)
    for (order_type, year), indexes in by_type.items():
        block = allocate_numbers(scope=number_scope(order_type), year=year, count=len(indexes))
        for index, seq in zip(indexes, block, strict=True):
            numbers[index] = order_type.format_number(year=year, seq=seq)
    for year, indexes in by_year.items():
        block = allocate_numbers(scope=PROTOCOL_SCOPE, year=year, count=len(indexes))
        for index, seq in zip(indexes, block, strict=True):
            protocols[index] = format_protocol(year=year, seq=seq)
    return list(zip(numbers, protocols, strict=True))
