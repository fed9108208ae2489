"""Failures of the database in the middle of a bulk billing (PostgreSQL: pg_terminate_backend)."""

import psycopg
import pytest
from django.db import connection

from backoffice import services as order_services
from backoffice.models import Order, OrderLine
from crm_billing.services import activities as billing_activities
from tests.crm_billing.test_billing_activities import configure_activity_case
from tests.factories import ActivityFactory, TicketFactory, UserFactory
from tickets.models import Activity, Ticket
from tickets.permissions import MANAGE_TICKETS

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="kills a PostgreSQL backend; runs in the PostgreSQL pass of CI",
    ),
]


def kill_backend(pid):
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_connection_killed_mid_billing_leaves_nothing_partial_and_a_rerun_completes(
    monkeypatch, caplog
):
    configure_activity_case()
    actor = UserFactory(functions=[MANAGE_TICKETS])
    tickets = [TicketFactory() for _ in range(30)]
    for ticket in tickets:
        ActivityFactory(ticket=ticket)
        ActivityFactory(ticket=ticket, duration_minutes=30)
    monkeypatch.setattr(billing_activities, "BATCH_SIZE", 10)
    selection = Ticket.objects.filter(pk__in=[t.pk for t in tickets])
    real_create_orders = order_services.create_orders
    calls = []

    def create_orders_then_lose_the_database(**kwargs):
        # The second batch writes its orders, then its connection is killed before the commit.
        orders = real_create_orders(**kwargs)
        calls.append(len(orders))
        if len(calls) == 2:
            kill_backend(connection.connection.info.backend_pid)
        return orders

    monkeypatch.setattr(order_services, "create_orders", create_orders_then_lose_the_database)
    outcome = billing_activities.bill_tickets(tickets=selection, actor=actor)

    # The killed batch was rolled back whole and billed again group by group (a ticket each) on
    # a new connection: every ticket billed once, no order without lines, and the numbers the
    # killed transaction had taken were given back (no gap).
    assert "retrying group by group" in caplog.text  # the kill did hit the second batch
    assert len(outcome.created) == 30 and outcome.skipped == []
    assert not Order.objects.filter(lines__isnull=True).exists()
    live = OrderLine.objects.filter(is_live=True)
    assert live.count() == Activity.objects.count() == 60
    assert len(set(live.values_list("source_id", flat=True))) == 60
    order_type = Order.objects.first().order_type
    year = Order.objects.first().date.year
    assert sorted(Order.objects.values_list("number", flat=True)) == [
        order_type.format_number(year=year, seq=seq) for seq in range(1, 31)
    ]

    # A rerun finds nothing left to bill.
    monkeypatch.setattr(order_services, "create_orders", real_create_orders)
    assert billing_activities.bill_tickets(tickets=selection, actor=actor).created == []
