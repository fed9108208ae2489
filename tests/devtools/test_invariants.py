"""The invariant checks of make load and make cluster, on crafted database states: each broken
invariant is counted, and a clean state counts zero everywhere."""

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from backoffice import services
from backoffice.models import Order, OrderLine, Transmission
from devtools.management.commands.load import Command
from tests.factories import ProductFactory


def broken(erp_documents, drained=True):
    state = {"documents": erp_documents}
    return {name: count for name, count in Command().invariants(state, drained) if count}


def transmission(order, key, state="delivered"):
    return Transmission.objects.create(
        order=order,
        revision=order.revision,
        idempotency_key=key,
        payload={},
        state=state,
        next_attempt_at=timezone.now(),
        created_at=timezone.now(),
    )


def test_a_clean_state_breaks_nothing(order):
    transmission(order, "key-1")
    assert broken({"key-1": "ERP-1"}) == {}


def test_an_order_without_lines_is_counted(order):
    OrderLine.objects.filter(order=order).delete()
    assert broken({}) == {"orders without lines": 1}


def test_transmissions_and_erp_documents_are_matched_one_to_one(order):
    transmission(order, "delivered-not-at-erp")
    assert broken({"at-erp-only": "ERP-2"}) == {
        "delivered transmissions missing at the ERP": 1,
        "ERP documents without a delivered transmission": 1,
    }


def test_a_transmission_left_queued_counts_only_when_the_drain_gave_up(order):
    transmission(order, "queued", state="queued")
    assert broken({}) == {}
    assert broken({}, drained=False) == {"transmissions still queued after the drain": 1}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="drops a constraint: PostgreSQL")
def test_a_duplicated_order_number_is_detected(order, backoffice_user):
    other = services.create_order(
        order_type=order.order_type,
        customer=order.customer,
        actor=backoffice_user,
        lines=[
            services.LineDraft(
                product=ProductFactory(),
                description="Intervento",
                quantity=Decimal("1"),
                unit_price=Decimal("1500.00"),
            )
        ],
    )
    assert broken({}) == {}
    # The database refuses a duplicate (constraint order_number_per_type): the check is the
    # belt over those braces, so the braces come off inside the test's transaction.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending trigger event left
        cursor.execute(f"ALTER TABLE {Order._meta.db_table} DROP CONSTRAINT order_number_per_type")
    Order.objects.filter(pk=other.pk).update(number=order.number)
    assert broken({}) == {"duplicated Num. Ordine": 1}
