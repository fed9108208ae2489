"""Benchmark of "Fattura attività": bills N tickets × k activities in one run and prints wall
time, queries and the ratio to a plain bulk_create of the same rows, measured in the same run.

Everything happens inside a transaction that is rolled back at the end, so it can be pointed at
any database (DATABASE_URL) without leaving data behind.
"""

import time
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from backoffice.models import Customer, Order, OrderLine, OrderType, Product, VatRate
from crm_billing.models import BillingProfile
from crm_billing.services.activities import bill_tickets
from tickets.models import Activity, ActivityCondition, ActivityStatus, Ticket


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Measures bulk activity billing (nothing is kept: the run is rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=1000)
        parser.add_argument("--activities", type=int, default=5)

    def handle(self, *args, **options):
        tickets, per_ticket = options["tickets"], options["activities"]
        try:
            with transaction.atomic():
                figures = self.measure(tickets, per_ticket)
                raise Rollback
        except Rollback:
            pass
        vendor = connection.vendor
        self.stdout.write(
            f"Fattura attività on {vendor}: {tickets} tickets × {per_ticket} activities\n"
            f"  billing            {figures['billing_s']:.3f} s, {figures['billing_queries']} "
            f"queries, {figures['orders']} orders, {figures['lines']} lines, "
            f"{figures['lines'] / figures['billing_s']:.0f} activities/s\n"
            f"  plain bulk_create  {figures['bulk_s']:.3f} s for {figures['rows']} rows\n"
            f"  ratio              {figures['billing_s'] / figures['bulk_s']:.1f}× bulk_create"
        )
        return None

    def measure(self, tickets, per_ticket):
        user = get_user_model().objects.create(username="bench-billing")
        vat = VatRate.objects.create(code="BENCH22", description="IVA 22%", rate=Decimal("22"))
        product = Product.objects.create(
            code="BENCH-H", description="Ora tecnico", list_price=Decimal("55"), vat_rate=vat
        )
        order_type = OrderType.objects.create(
            code="BENCH", name="Bench", numbering_pattern="B/{year}/{seq:06}"
        )
        profile = BillingProfile.objects.for_case(BillingProfile.Case.ACTIVITY)
        profile.order_type, profile.product = order_type, product
        profile.save()
        closed = ActivityStatus.objects.create(name="bench-closed", kind="closed")
        paid = ActivityCondition.objects.create(name="bench-paid", to_be_billed=True)
        customers = Customer.objects.bulk_create(
            Customer(code=f"BENCH{i:04}", name=f"Cliente {i}") for i in range(50)
        )
        created = Ticket.objects.bulk_create(
            Ticket(customer=customers[i % 50], subject=f"Bench {i}", opened_on=date(2026, 1, 1))
            for i in range(tickets)
        )
        Activity.objects.bulk_create(
            Activity(
                ticket=ticket,
                date=date(2026, 1, 2),
                technician=user,
                description="Intervento",
                duration_minutes=45 + n,
                status=closed,
                condition=paid,
            )
            for ticket in created
            for n in range(per_ticket)
        )
        selection = Ticket.objects.filter(pk__in=[t.pk for t in created])

        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            outcome = bill_tickets(tickets=selection, actor=user)
            billing_s = time.perf_counter() - start
        orders = len(outcome.created)
        lines = OrderLine.objects.filter(order__order_type=order_type).count()
        rows = orders * 2 + lines  # orders, their events, their lines

        # The floor: the same number of rows written by one plain bulk_create.
        order = Order.objects.filter(order_type=order_type).first()
        start = time.perf_counter()
        OrderLine.objects.bulk_create(
            (
                OrderLine(
                    order=order,
                    product=product,
                    description="Intervento",
                    quantity=Decimal("1.00"),
                    unit_price=Decimal("55.00"),
                    vat_rate=vat,
                    net_amount=Decimal("55.00"),
                )
                for _ in range(rows)
            ),
            batch_size=2000,
        )
        bulk_s = time.perf_counter() - start
        return {
            "billing_s": billing_s,
            "billing_queries": len(queries.captured_queries),
            "orders": orders,
            "lines": lines,
            "rows": rows,
            "bulk_s": bulk_s,
        }
