"""The order event log is append-only in the database (migration 0006), on PostgreSQL and SQLite:
what OrderEvent.save()/delete() refuse in Python, a queryset's update() and delete() cannot do
either. An event goes only together with its order, which lets a whole database be emptied."""

import pytest
from django.db import IntegrityError, connection, transaction

from backoffice.models import OrderEvent


def events_of(order):
    return list(order.events.order_by("id").values_list("id", "kind", "message"))


def test_a_bulk_update_of_the_event_log_is_refused(order):
    before = events_of(order)
    assert before
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderEvent.objects.filter(order=order).update(message="riscritto")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderEvent.objects.update(actor=None)
    assert events_of(order) == before


@pytest.mark.django_db(transaction=True)
def test_a_bulk_delete_of_the_event_log_is_refused(order):
    before = events_of(order)
    assert before
    with pytest.raises(IntegrityError):
        OrderEvent.objects.filter(order=order).delete()
    with pytest.raises(IntegrityError):
        OrderEvent.objects.all().delete()
    assert events_of(order) == before


@pytest.mark.django_db(transaction=True)
def test_a_bulk_delete_inside_a_transaction_fails_it_at_the_latest_on_commit(order):
    before = events_of(order)
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderEvent.objects.all().delete()
    assert events_of(order) == before


@pytest.mark.django_db(transaction=True)
def test_events_written_in_bulk_are_protected_too(order):
    OrderEvent.objects.bulk_create(
        [OrderEvent(order=order, kind=OrderEvent.Kind.EDITED, message=f"{n}") for n in range(3)]
    )
    before = events_of(order)
    with pytest.raises(IntegrityError):
        OrderEvent.objects.filter(kind=OrderEvent.Kind.EDITED).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderEvent.objects.filter(kind=OrderEvent.Kind.EDITED).update(message="")
    assert events_of(order) == before


ORDER_TABLES = ["backoffice_order", "backoffice_orderline", "backoffice_orderevent"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("tables", [ORDER_TABLES, ORDER_TABLES[::-1]], ids=["orders", "events"])
def test_events_go_with_their_orders_whichever_table_is_emptied_first(order, tables):
    """What `flush` does between transactional tests on SQLite (DELETE FROM each table, in no
    fixed order): the events may go because their orders go in the same transaction."""
    with transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
    assert not OrderEvent.objects.exists()
