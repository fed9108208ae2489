"""`make load`: gunicorn on loopback against PostgreSQL, a database task worker, the stand-in
ERP, and a mixed crowd of after-sales and back-office users for a bounded time. Prints
requests/s, p50/p95/p99 and errors per action, then checks the invariants on the database.

Exit status 1 when a request failed or an invariant is broken.
"""

import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from http.cookiejar import CookieJar

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count

from backoffice.models import Order, OrderLine, Transmission
from contracts.models import Contract
from crm_billing.models import BillingProfile
from devtools.stand_in_erp import StandInErp
from tickets.models import Activity, ActivityCondition, ActivityStatus, Ticket

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REVISION = re.compile(r'name="revision" value="(\d+)"')
ORDER_LINK = re.compile(r'href="/backoffice/ordini/(\d+)/"')


class Browser:
    """One user's session: cookies, CSRF, timings."""

    def __init__(self, base, record):
        self.base, self.record = base, record
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def _csrf(self):
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def request(self, action, path, data=None, headers=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(  # noqa: S310 - our own loopback http:// base
            self.base + path, data=body, headers=headers or {}
        )
        if body is not None:
            request.add_header("X-CSRFToken", self._csrf())
        start = time.perf_counter()
        try:
            with self.opener.open(request, timeout=60) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        except OSError as error:  # connection refused, reset, timeout
            status, text = 0, str(error)
        self.record(action, status, (time.perf_counter() - start) * 1000)
        return status, text

    def log_in(self, username):
        self.request("login page", "/accesso/")
        self.request(
            "login",
            "/accesso/",
            {"username": username, "password": "demo", "csrfmiddlewaretoken": self._csrf()},
        )


class Crowd:
    def __init__(self, base, ids, seconds):
        self.base, self.ids, self.deadline = base, ids, time.monotonic() + seconds
        self.samples = defaultdict(list)  # action → [ms]
        self.failures = defaultdict(list)  # action → [status]
        self.lock = threading.Lock()

    def record(self, action, status, ms):
        with self.lock:
            self.samples[action].append(ms)
            # 2xx and the redirects urllib did not follow are answers; anything else is an error.
            if not 200 <= status < 400:
                self.failures[action].append(status)

    def after_sales(self, browser, rnd):
        ticket, contract = rnd.choice(self.ids["tickets"]), rnd.choice(self.ids["contracts"])
        action = rnd.choices(
            ["tickets", "ticket", "crea", "contracts", "contract", "nuovo", "fattura"],
            weights=[3, 3, 1, 1, 2, 1, 1],
        )[0]
        if action == "tickets":
            browser.request("ticket list", "/segnalazioni/?to_bill=on")
        elif action == "ticket":
            browser.request("ticket page", f"/segnalazioni/{ticket}/")
        elif action == "crea":
            browser.request("Crea Ordine", f"/fatturazione/segnalazioni/{ticket}/crea-ordine/", {})
        elif action == "contracts":
            browser.request("contract list", "/contratti/")
        elif action == "contract":
            browser.request("contract page", f"/contratti/{contract}/")
        elif action == "nuovo":
            browser.request("Nuovo ordine", f"/fatturazione/contratti/{contract}/nuovo-ordine/", {})
        else:
            selection = {"mode": "selected", "tickets": rnd.sample(self.ids["tickets"], 3)}
            browser.request(
                "Fattura attività: preview", "/fatturazione/attivita/anteprima/", selection
            )
            browser.request("Fattura attività", "/fatturazione/attivita/conferma/", selection)

    def back_office(self, browser, rnd, drafts):
        """Browse the draft orders, open one, and now and then send it to the ERP."""
        action = rnd.choices(["list", "page", "send"], weights=[3, 4, 1])[0]
        if action == "list" or not drafts:
            status, page = browser.request("order list", "/backoffice/ordini/?status=draft")
            drafts[:] = [int(pk) for pk in ORDER_LINK.findall(page)] or drafts
            return
        order = rnd.choice(drafts)
        status, page = browser.request("order page", f"/backoffice/ordini/{order}/")
        revision = REVISION.search(page)
        if action == "send" and status == 200 and revision:  # only drafts offer the button
            browser.request(
                "Invia al gestionale",
                f"/backoffice/ordini/{order}/invia/",
                {"revision": revision.group(1)},
            )
            drafts.remove(order)

    def user(self, number):
        rnd = random.Random(number)  # noqa: S311 - load pattern, not security
        browser = Browser(self.base, self.record)
        after_sales = number % 2 == 0
        browser.log_in("postvendita" if after_sales else "backoffice")
        drafts = list(self.ids["orders"])
        while time.monotonic() < self.deadline:
            if after_sales:
                self.after_sales(browser, rnd)
            else:
                self.back_office(browser, rnd, drafts)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Command(BaseCommand):
    help = "Load test on loopback (gunicorn + db_worker + stand-in ERP), then invariant checks."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=20)
        parser.add_argument("--seconds", type=int, default=60)
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--tickets", type=int, default=400, help="extra billable tickets")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("make load runs against PostgreSQL: set DATABASE_URL.")
        self.seed(options["tickets"])
        secret = secrets.token_hex(24)
        erp = StandInErp(secret=secret).start()
        base = f"http://127.0.0.1:{options['port']}"
        env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "ERP_TRANSMISSION": "http",
            "ERP_URL": erp.url,
            "ERP_SECRET": secret,
            "ERP_BACKOFF_BASE": "0.5",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "AXES_FAILURE_LIMIT": "1000",
            "LOG_LEVEL": "WARNING",
        }
        python = sys.executable
        processes = [
            subprocess.Popen(  # noqa: S603 - our own commands
                [
                    str(settings.BASE_DIR / ".venv/bin/gunicorn"),
                    "crm_billing.wsgi",
                    "--bind",
                    f"127.0.0.1:{options['port']}",
                    "--workers",
                    "2",
                    "--threads",
                    "4",
                    "--worker-class",
                    "gthread",
                    "--log-level",
                    "warning",
                ],
                env=env,
            ),
            subprocess.Popen(  # noqa: S603
                [python, "manage.py", "db_worker", "--interval", "0.2", "--verbosity", "0"],
                env=env,
                stdout=subprocess.DEVNULL,
            ),
        ]
        try:
            self.wait_until_up(base)
            crowd = Crowd(base, self.ids(), options["seconds"])
            started = time.monotonic()
            users = [threading.Thread(target=crowd.user, args=[n]) for n in range(options["users"])]
            for user in users:
                user.start()
            for user in users:
                user.join()
            elapsed = time.monotonic() - started
            drained = self.drain(env)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)
        self.report(crowd, elapsed, options["users"])
        broken = self.check_invariants(erp, drained)
        erp.stop()
        errors = sum(len(f) for f in crowd.failures.values())
        if errors or broken:
            raise CommandError(f"{errors} failed requests, {broken} broken invariants")
        self.stdout.write(self.style.SUCCESS("No errors, no invariant broken."))

    def seed(self, extra):
        call_command("load_demo")
        profile = BillingProfile.objects.for_case(BillingProfile.Case.ACTIVITY)
        closed = ActivityStatus.objects.filter(kind=ActivityStatus.Kind.CLOSED).first()
        paid = ActivityCondition.objects.filter(to_be_billed=True).first()
        technician = Activity.objects.values_list("technician", flat=True).first()
        customers = list(Order.objects.values_list("customer", flat=True).distinct())
        assert profile.product and closed and paid and technician and customers
        tickets = Ticket.objects.bulk_create(
            Ticket(customer_id=customers[i % len(customers)], subject=f"Carico {i}")
            for i in range(extra)
        )
        Activity.objects.bulk_create(
            Activity(
                ticket=ticket,
                technician_id=technician,
                description="Intervento sotto carico",
                duration_minutes=30 + n * 15,
                status=closed,
                condition=paid,
            )
            for ticket in tickets
            for n in range(3)
        )

    def ids(self):
        return {
            "tickets": list(Ticket.objects.values_list("pk", flat=True)),
            "contracts": list(Contract.objects.values_list("pk", flat=True)),
            "orders": list(Order.objects.values_list("pk", flat=True)),
        }

    def wait_until_up(self, base):
        for _ in range(100):
            try:
                with urllib.request.urlopen(base + "/salute/", timeout=2):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.2)
        raise CommandError("gunicorn did not start")

    def drain(self, env, seconds=120):
        """Wait for every queued transmission to be delivered (sweeping lost tasks)."""
        pending = Transmission.objects.filter(state__in=["queued", "delivering"])
        deadline = time.monotonic() + seconds
        while pending.exists() and time.monotonic() < deadline:
            subprocess.run(  # noqa: S603
                [sys.executable, "manage.py", "sweep_transmissions"],
                env=env,
                stdout=subprocess.DEVNULL,
                check=False,
            )
            time.sleep(1)
        return not pending.exists()

    def report(self, crowd, elapsed, users):
        out = self.stdout.write
        total = sum(len(s) for s in crowd.samples.values())
        all_ms = [ms for samples in crowd.samples.values() for ms in samples]
        out(f"\n{users} users for {elapsed:.0f} s: {total} requests, {total / elapsed:.1f} req/s")
        out(
            f"{'action':<28} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
            f"{'errors':>7}"
        )
        for action, samples in sorted(crowd.samples.items()):
            out(
                f"{action:<28} {len(samples):>9} {statistics.median(samples):>8.1f} "
                f"{percentile(samples, 0.95):>8.1f} {percentile(samples, 0.99):>8.1f} "
                f"{len(crowd.failures.get(action, [])):>7}"
            )
        out(
            f"{'all':<28} {total:>9} {statistics.median(all_ms):>8.1f} "
            f"{percentile(all_ms, 0.95):>8.1f} {percentile(all_ms, 0.99):>8.1f} "
            f"{sum(len(f) for f in crowd.failures.values()):>7}"
        )
        for action, statuses in crowd.failures.items():
            if statuses:
                out(f"  errors of {action}: HTTP {sorted(set(statuses))} (0: no answer)")

    def check_invariants(self, erp, drained):
        out = self.stdout.write
        twice = (
            OrderLine.objects.filter(is_live=True, source_id__isnull=False)
            .values("source_type", "source_id")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .count()
        )
        numbers = (
            Order.objects.values("order_type", "number").annotate(n=Count("id")).filter(n__gt=1)
        ).count()
        protocols = Order.objects.values("protocol").annotate(n=Count("id")).filter(n__gt=1)
        without_lines = Order.objects.filter(lines__isnull=True).count()
        state = erp.state()["documents"]
        delivered = list(Transmission.objects.filter(state="delivered"))
        not_once = [t for t in delivered if t.idempotency_key not in state]
        stuck = Transmission.objects.filter(state__in=["queued", "delivering"]).count()
        checks = [
            ("activities on two live order lines", twice),
            ("duplicated Num. Ordine", numbers),
            ("duplicated Prot. Int.", protocols.count()),
            ("orders without lines", without_lines),
            ("delivered transmissions missing at the ERP", len(not_once)),
            ("transmissions still queued after the drain", stuck if not drained else 0),
            ("ERP documents without a delivered transmission", len(state) - len(delivered)),
        ]
        out("\nInvariants")
        for name, count in checks:
            out(f"  {'OK ' if count == 0 else 'BROKEN'} {name}: {count}")
        out(f"  ({len(delivered)} transmissions delivered, {len(state)} documents at the ERP)")
        return sum(1 for _name, count in checks if count)
