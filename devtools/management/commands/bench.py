"""`make bench`: the speed of bulk billing and of the main pages, printed as a table and written
as JSON (var/bench.json).

- "Fattura attività" of N tickets × k activities (N = 100, 1,000, 5,000), hours only and on
  site (call-out fee, travel, spare parts): wall time, queries, activities billed per second,
  and the ratio to one plain bulk_create of the same rows.
- Pages (`PAGES`, each registered with what grows on it and its N): server time (median of
  repeated requests through the test client, after warm-up) and queries, at N and at 10 N,
  beside a trivial view measured in the same run: the ratio to it and the growth at 10 N.
  "Da fatturare" is one of them, at 10,000 and 100,000 billable activities.
- Esporta CSV / XLSX of the ticket list.

Every measurement runs inside a transaction that is rolled back: nothing is left behind, so it
can be pointed at any database through DATABASE_URL.
"""

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice import services as order_services
from backoffice.models import Customer, Order, OrderLine, OrderType, Product, VatRate
from contracts.models import Contract, Renewal
from crm_billing.models import BillingProfile, BillingRun
from crm_billing.services.activities import bill_tickets
from crm_billing.services.runs import execute_billing_run, preview_renewal_run
from tickets.models import (
    Activity,
    ActivityCondition,
    ActivityMaterial,
    ActivityStatus,
    ActivityType,
    Ticket,
)


class Rollback(Exception):
    pass


def rolled_back(measure):
    """Run measure() in a transaction that is always rolled back; return what it returned."""
    vacuum()
    result = {}
    try:
        with transaction.atomic():
            result = measure()
            raise Rollback
    except Rollback:
        pass
    return result


class Fixture:
    """The master data every measurement needs, created inside its transaction."""

    def __init__(self):
        self.user = get_user_model().objects.create(username="bench", is_superuser=True)
        self.vat = VatRate.objects.create(code="B22", description="IVA 22%", rate=Decimal("22"))
        self.product = Product.objects.create(
            code="B-H", description="Ora tecnico", list_price=Decimal("55"), vat_rate=self.vat
        )
        self.order_type = OrderType.objects.create(
            code="BENCH", name="Bench", numbering_pattern="B/{year}/{seq:06}"
        )
        for case in BillingProfile.Case.values:
            profile = BillingProfile.objects.for_case(case)
            profile.order_type, profile.product = self.order_type, self.product
            profile.save()
        # The activity case bills a call-out fee per ticket-day on site and travel per km.
        activity_case = BillingProfile.objects.for_case(BillingProfile.Case.ACTIVITY)
        activity_case.call_out_product = Product.objects.create(
            code="B-DC",
            description="Diritto di chiamata",
            list_price=Decimal("35"),
            vat_rate=self.vat,
        )
        activity_case.travel_product = Product.objects.create(
            code="B-KM", description="Trasferta", list_price=Decimal("0.60"), vat_rate=self.vat
        )
        activity_case.billing_increment_minutes = 15
        activity_case.save()
        self.spare_part = Product.objects.create(
            code="B-RIC", description="Ricambio", list_price=Decimal("1480"), vat_rate=self.vat
        )
        self.on_site = ActivityType.objects.create(name="bench-in-sede", on_site=True)
        self.closed = ActivityStatus.objects.create(name="bench-closed", kind="closed")
        self.paid = ActivityCondition.objects.create(name="bench-paid", to_be_billed=True)
        self.customers = Customer.objects.bulk_create(
            Customer(code=f"B{i:04}", name=f"Cliente {i}") for i in range(50)
        )

    def tickets(self, count, activities=0, on_site=False):
        """`count` tickets of `activities` activities each. On site: over two days (two
        call-out fees), each with km (travel), every other one with a spare part."""
        created = Ticket.objects.bulk_create(
            (
                Ticket(
                    customer=self.customers[i % 50],
                    subject=f"Guasto {i}",
                    opened_on=date(2026, 1, 1) + timedelta(days=i % 300),
                )
                for i in range(count)
            ),
            batch_size=5000,
        )
        work = Activity.objects.bulk_create(
            (
                Activity(
                    ticket=ticket,
                    date=date(2026, 1, 2 + (n % 2 if on_site else 0)),
                    technician=self.user,
                    description="Intervento",
                    duration_minutes=45 + n,
                    status=self.closed,
                    condition=self.paid,
                    activity_type=self.on_site if on_site else None,
                    km=20 + n if on_site else 0,
                )
                for ticket in created
                for n in range(activities)
            ),
            batch_size=5000,
        )
        if on_site:
            ActivityMaterial.objects.bulk_create(
                (
                    ActivityMaterial(activity=activity, product=self.spare_part, quantity=1)
                    for index, activity in enumerate(work)
                    if index % activities % 2 == 0
                ),
                batch_size=5000,
            )
        return created

    def contracts_due(self, count):
        """`count` contracts whose period ends within the Scadenzario's window."""
        today = timezone.localdate()
        ends = [today + timedelta(days=1 + i % 50) for i in range(count)]
        return Contract.objects.bulk_create(
            (
                Contract(
                    number=f"BC-{i:06}",
                    customer=self.customers[i % 50],
                    product=self.product,
                    start_date=today - timedelta(days=340),
                    end_date=end,
                    current_end=end,  # no renewal (bulk_create skips save(), which sets it)
                    customer_cost=Decimal("1200.00") + i % 100,
                )
                for i, end in enumerate(ends)
            ),
            batch_size=5000,
        )

    def products(self, count):
        return Product.objects.bulk_create(
            Product(code=f"BP{i}", description=f"P {i}", list_price=1, vat_rate=self.vat)
            for i in range(count)
        )

    def billable_activities(self, count):
        """`count` billable activities: 10 per ticket, 50 customers, 20 technicians, dated over
        the last 120 days (every age bucket of "Da fatturare"), 30 to 75 minutes each."""
        users = get_user_model()
        technicians = users.objects.bulk_create(users(username=f"bench-t{i}") for i in range(20))
        today = timezone.localdate()
        Activity.objects.bulk_create(
            (
                Activity(
                    ticket=ticket,
                    date=today - timedelta(days=(i * 7 + n) % 120),
                    technician=technicians[(i + n) % 20],
                    description="Intervento",
                    duration_minutes=30 + 5 * n,
                    status=self.closed,
                    condition=self.paid,
                )
                for i, ticket in enumerate(self.tickets(count // 10))
                for n in range(10)
            ),
            batch_size=5000,
        )

    def orders(self, count, customer=None, lines=1):
        drafts = [
            order_services.OrderDraft(
                order_type=self.order_type,
                customer=customer or self.customers[i % 50],
                lines=[
                    order_services.LineDraft(
                        product=self.product,
                        description=f"Riga {n}",
                        quantity=Decimal("1"),
                        unit_price=Decimal("10"),
                    )
                    for n in range(lines)
                ],
            )
            for i in range(count)
        ]
        return order_services.create_orders(drafts=drafts, actor=self.user)


def measure_billing(tickets, per_ticket, on_site):
    fixture = Fixture()
    # Warm-up on a few other tickets: imports, caches and query plans are not what is measured.
    warm_up = fixture.tickets(5, per_ticket, on_site)
    bill_tickets(tickets=Ticket.objects.filter(pk__in=[t.pk for t in warm_up]), actor=fixture.user)
    created = fixture.tickets(tickets, per_ticket, on_site)
    selection = Ticket.objects.filter(pk__in=[t.pk for t in created])
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        outcome = bill_tickets(tickets=selection, actor=fixture.user)
        seconds = time.perf_counter() - start
    lines = sum(row["lines"] for row in outcome.created)
    rows = len(outcome.created) * 2 + lines  # orders, their events, their lines
    order = Order.objects.get(pk=outcome.created[0]["order"])
    start = time.perf_counter()
    OrderLine.objects.bulk_create(
        (
            OrderLine(
                order=order,
                product=fixture.product,
                description="Intervento",
                quantity=Decimal("1.00"),
                unit_price=Decimal("55.00"),
                vat_rate=fixture.vat,
                net_amount=Decimal("55.00"),
            )
            for _ in range(rows)
        ),
        batch_size=2000,
    )
    bulk_seconds = time.perf_counter() - start
    activities = tickets * per_ticket
    return {
        "case": "on site" if on_site else "hours",
        "tickets": tickets,
        "activities": activities,
        "orders": len(outcome.created),
        "lines": lines,
        "seconds": round(seconds, 4),
        "queries": len(queries.captured_queries),
        "activities_per_second": round(activities / seconds),
        "bulk_create_seconds": round(bulk_seconds, 4),
        "ratio_to_bulk_create": round(seconds / bulk_seconds, 2),
    }


def measure_renewals(contracts):
    """ "Rinnova e fattura" of `contracts` contracts: renewals and their orders."""
    fixture = Fixture()
    created = fixture.contracts_due(contracts)
    run = preview_renewal_run(
        contracts=Contract.objects.filter(pk__in=[c.pk for c in created]), actor=fixture.user
    )
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        done = execute_billing_run(run_id=confirm_only(run).pk)
        seconds = time.perf_counter() - start
    return {
        "contracts": contracts,
        "orders": len(done.created_orders),
        "seconds": round(seconds, 4),
        "queries": len(queries.captured_queries),
        "per_second": round(contracts / seconds),
    }


def confirm_only(run):
    """The run marked confirmed, without running it: the measure times the run alone."""
    BillingRun.objects.filter(pk=run.pk).update(state=BillingRun.State.QUEUED)
    return run


def logged_in(user) -> Client:
    """A test client logged in as `user`, sending a host the settings allow."""
    host = next((host for host in settings.ALLOWED_HOSTS if "*" not in host), "localhost")
    client = Client(HTTP_HOST=host.lstrip("."))
    client.force_login(user)
    return client


def time_page(client, url, repeat):
    for _ in range(3):  # warm-up: caches, lazy imports, compiled templates
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    # Now: the next request clears the log. Savepoints are left out: they are there because the
    # bench runs in a transaction (the session's save), not in production.
    query_count = sum(
        not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
        for q in queries.captured_queries
    )
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000, query_count


@dataclass(frozen=True)
class Page:
    grows_with: str
    size: int  # N; the page is measured at N and at 10 N
    setup: Callable  # (fixture, size) → the page's address, its data written


PAGES: dict[str, Page] = {}


def page(name, grows_with, size):
    """Register a page of the bench: `setup(fixture, size)` writes `size` of what grows and
    returns the page's address."""

    def register(setup):
        PAGES[name] = Page(grows_with, size, setup)
        return setup

    return register


@page("home", "orders", 1_000)
def _home(fixture, size):
    fixture.orders(size)
    return reverse("home")


@page("ticket_list", "tickets", 10_000)
def _ticket_list(fixture, size):
    fixture.tickets(size)
    return reverse("tickets:ticket_list")


@page("order_list", "orders", 1_000)
def _order_list(fixture, size):
    fixture.orders(size)
    return reverse("backoffice:order_list")


@page("contract_list", "contracts", 1_000)
def _contract_list(fixture, size):
    fixture.contracts_due(size)
    return reverse("contracts:contract_list")


@page("renewal_list", "renewals", 1_000)
def _renewal_list(fixture, size):
    contracts = fixture.contracts_due(size)
    Renewal.objects.bulk_create(
        (
            Renewal(
                contract=contract,
                start_date=contract.end_date + timedelta(days=1),
                end_date=contract.end_date + timedelta(days=366),
                cost=contract.customer_cost,
            )
            for contract in contracts
        ),
        batch_size=5000,
    )
    Contract.objects.filter(pk__in=[c.pk for c in contracts]).store_current_end()
    return reverse("contracts:renewal_list")


def _contract_with_renewal(fixture, orders):
    """A contract and its renewal, its customer with `orders` orders (the dropdowns' choices)."""
    customer = fixture.customers[0]
    fixture.orders(orders, customer=customer)
    contract = Contract.objects.create(
        number="B-1",
        customer=customer,
        product=fixture.product,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    renewal = Renewal.objects.create(
        contract=contract, start_date=date(2027, 1, 1), end_date=date(2027, 12, 31)
    )
    contract.store_current_end()
    return contract, renewal


@page("contract_page", "orders of the customer", 20)
def _contract_page(fixture, size):
    return _contract_with_renewal(fixture, size)[0].get_absolute_url()


@page("renewal_page", "orders of the customer", 20)
def _renewal_page(fixture, size):
    return _contract_with_renewal(fixture, size)[1].get_absolute_url()


@page("order_page", "lines", 50)
def _order_page(fixture, size):
    return fixture.orders(1, lines=size)[0].get_absolute_url()


@page("ticket_page", "activities of the ticket", 50)
def _ticket_page(fixture, size):
    return fixture.tickets(1, activities=size, on_site=True)[0].get_absolute_url()


@page("configuration", "products", 20)
def _configuration(fixture, size):
    fixture.products(size)
    return reverse("administration:billing_configuration")


@page("customer_list", "customers", 1_000)
def _customer_list(fixture, size):
    Customer.objects.bulk_create(
        Customer(code=f"BL{i:06}", name=f"Cliente elenco {i}") for i in range(size)
    )
    return reverse("backoffice:masterdata_list", args=["clienti"])


@page("user_list", "users", 100)
def _user_list(fixture, size):
    users = get_user_model()
    users.objects.bulk_create(users(username=f"bench-u{i}") for i in range(size))
    return reverse("administration:user_list")


@page("renewals_due", "contracts due", 10_000)
def _renewals_due(fixture, size):
    fixture.contracts_due(size)
    return reverse("billing:renewals_due")


@page("dashboard", "billable activities", 10_000)
def _dashboard(fixture, size):
    fixture.billable_activities(size)
    return reverse("billing:billing_dashboard")


def measure_page(name, size, repeat):
    fixture = Fixture()
    url = PAGES[name].setup(fixture, size)
    analyze()
    client = logged_in(fixture.user)
    trivial_ms, _ = time_page(client, reverse("health"), repeat)
    page_ms, queries = time_page(client, url, repeat)
    return {
        "size": size,
        "ms": round(page_ms, 2),
        "queries": queries,
        "trivial_ms": round(trivial_ms, 3),
        "ratio_to_trivial": round(page_ms / trivial_ms, 1),
    }


def export_once(client, url):
    """One export through the view, read to the last byte: (seconds, bytes)."""
    start = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    size = sum(len(chunk) for chunk in response.streaming_content)
    return time.perf_counter() - start, size


def _memory_kib(field: str) -> int:
    """A line of /proc/self/status, in KiB: VmRSS (resident now) or VmHWM (its peak)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1])


def vacuum():
    """Clear what earlier measurements wrote and rolled back: PostgreSQL keeps those rows as
    dead tuples until a vacuum, and every scan still reads them. After a few runs on one
    database the contracts' table held 680,000 dead rows (75 MB) and none alive: counting the
    10,000 contracts of the Scadenzario took 14 ms instead of 4, and the dashboard's scan of
    its activities 11 ms before the first row."""
    # Not inside a transaction (the test of the bench): VACUUM cannot run in one.
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        tables = connection.introspection.django_table_names(only_existing=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM " + ", ".join(map(connection.ops.quote_name, tables)))


def analyze():
    """Fresh planner statistics for the rows the fixture wrote in this (rolled back)
    transaction: PostgreSQL's ANALYZE sees them. Without it the planner takes the tables for
    empty, as they were when last analysed, and scans them once per listed row, which no
    database in use would do."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def measure_exports(count):
    """Esporta CSV / XLSX of `count` tickets with one billable activity each (the estimated
    value column computed for every row): seconds, and how far the process's resident memory
    rose above where it stood during the export (its peak is reset first through
    /proc/self/clear_refs, so the figure costs the export nothing, unlike tracemalloc)."""
    fixture = Fixture()
    fixture.tickets(count, activities=1)
    analyze()
    client = logged_in(fixture.user)
    rows = []
    for file_format in ("csv", "xlsx"):
        url = f"{reverse('tickets:ticket_list')}?export={file_format}"
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # the peak (VmHWM) starts again from the resident size
        before = _memory_kib("VmRSS")
        seconds, size = export_once(client, url)
        peak = (_memory_kib("VmHWM") - before) * 1024
        rows.append(
            {
                "format": file_format,
                "tickets": count,
                "seconds": round(seconds, 2),
                "rows_per_second": round(count / seconds),
                "mib": round(size / 2**20, 1),
                "peak_mib": round(peak / 2**20, 1),
            }
        )
    return rows


def report_exports(out, results, count):
    out(f"\nEsporta CSV / XLSX of the ticket list ({count} tickets, all columns)")
    out(f"{'format':<7} {'tickets':>8} {'seconds':>8} {'rows/s':>8} {'MiB':>6} {'peak MiB':>9}")
    rows = rolled_back(lambda: {"rows": measure_exports(count)})["rows"]
    results["exports"] = rows
    for row in rows:
        out(
            f"{row['format']:<7} {row['tickets']:>8} {row['seconds']:>8.2f} "
            f"{row['rows_per_second']:>8} {row['mib']:>6.1f} {row['peak_mib']:>9.1f}"
        )


class Command(BaseCommand):
    help = "Benchmarks bulk billing and the main pages; prints a table, writes var/bench.json."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="100,1000,5000", help="tickets to bill, N,…")
        parser.add_argument("--activities", type=int, default=5)
        parser.add_argument("--renewals", default="100,1000", help="contracts to renew, N,…")
        parser.add_argument("--repeat", type=int, default=15, help="timed requests per page")
        parser.add_argument("--no-pages", action="store_true")
        parser.add_argument("--pages", default="", help="only these pages, name,… (all)")
        parser.add_argument(
            "--page-size", type=int, default=0, help="N of every page (each its own by default)"
        )
        parser.add_argument("--export-rows", type=int, default=100_000, help="0: no export")
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "var/bench.json"))

    def handle(self, *args, **options):
        results = {"database": connection.vendor, "billing": [], "pages": {}}
        out = self.stdout.write
        out(f"Database: {connection.vendor}\n")
        out(f"Fattura attività (k = {options['activities']} activities per ticket)")
        out(
            "  hours: one line per activity; on site: two call-out days per ticket, km on "
            "every activity, a spare part on every other one"
        )
        out(
            f"{'case':<8} {'tickets':>8} {'lines':>7} {'seconds':>9} {'queries':>8} "
            f"{'act./s':>8} {'× bulk_create':>14}"
        )
        for on_site in (False, True):
            for tickets in [int(n) for n in options["sizes"].split(",")]:
                row = rolled_back(
                    lambda n=tickets, o=on_site: measure_billing(n, options["activities"], o)
                )
                results["billing"].append(row)
                out(
                    f"{row['case']:<8} {row['tickets']:>8} {row['lines']:>7} "
                    f"{row['seconds']:>9.3f} {row['queries']:>8} "
                    f"{row['activities_per_second']:>8} {row['ratio_to_bulk_create']:>14.1f}"
                )
        out("\nRinnova e fattura (one renewal and one order per contract)")
        out(f"{'contracts':>9} {'seconds':>9} {'queries':>8} {'per s':>8}")
        for contracts in [int(n) for n in options["renewals"].split(",") if n]:
            row = rolled_back(lambda n=contracts: measure_renewals(n))
            results.setdefault("renewals", []).append(row)
            out(
                f"{row['contracts']:>9} {row['seconds']:>9.3f} {row['queries']:>8} "
                f"{row['per_second']:>8}"
            )
        if not options["no_pages"]:
            out(f"\nPages: median server time of {options['repeat']} requests (test client)")
            out(
                f"{'page':<15} {'grows with':<24} {'N':>7} {'ms':>8} {'queries':>8} "
                f"{'× trivial':>10} {'10 N ms':>9} {'queries':>8} {'growth':>7}"
            )
            chosen = [name for name in options["pages"].split(",") if name] or list(PAGES)
            unknown = set(chosen) - set(PAGES)
            if unknown:
                raise CommandError(f"No such page: {', '.join(sorted(unknown))}")
            for name in chosen:
                grows, size = PAGES[name].grows_with, options["page_size"] or PAGES[name].size
                small = rolled_back(lambda n=name, s=size: measure_page(n, s, options["repeat"]))
                large = rolled_back(
                    lambda n=name, s=size: measure_page(n, s * 10, options["repeat"])
                )
                results["pages"][name] = {"grows_with": grows, "N": small, "10N": large}
                out(
                    f"{name:<15} {grows:<24} {size:>7} {small['ms']:>8.2f} {small['queries']:>8} "
                    f"{small['ratio_to_trivial']:>10.1f} {large['ms']:>9.2f} "
                    f"{large['queries']:>8} {large['ms'] / small['ms']:>6.2f}×"
                )
        if options["export_rows"]:
            report_exports(out, results, options["export_rows"])
        Path(options["output"]).parent.mkdir(parents=True, exist_ok=True)
        Path(options["output"]).write_text(json.dumps(results, indent=2))
        out(f"\nFigures written to {options['output']}")
