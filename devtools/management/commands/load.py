"""`make load`: gunicorn on loopback against PostgreSQL, a database task worker, the stand-in
ERP, and a mixed crowd of after-sales and back-office users for a bounded time. The crowd is
`devtools/locustfile.py`, run by locust headless in its own process (no web UI, nothing listening);
this command writes what it needs to a JSON file, reads locust's CSV statistics afterwards and
prints requests, failures, requests/s and p50/p95/p99 per action, then checks the invariants on
the database.

Exit status 1 when a request failed or an invariant is broken.
"""

import csv
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count

from backoffice.models import Order, OrderLine, Transmission
from contracts.models import Contract, PrepaidHours
from crm_billing.models import BillingProfile
from devtools.stand_in_erp import StandInErp
from tickets.models import Activity, ActivityCondition, ActivityStatus, Ticket

LOCUSTFILE = Path(__file__).resolve().parents[2] / "locustfile.py"
STOP_TIMEOUT = 60  # seconds a user may take to finish its action once the time is up


def think_time(value):
    """`0` (none: the saturation run), `2` (always 2 s) or `1-3` (1 to 3 s at random)."""
    low, _dash, high = value.partition("-")
    try:
        low = float(low)
        high = float(high) if high else low
    except ValueError:
        raise ValueError(value) from None
    if not 0 <= low <= high:
        raise ValueError(value)
    return [low, high]


class Command(BaseCommand):
    help = "Load test on loopback (gunicorn + db_worker + stand-in ERP), then invariant checks."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=20)
        parser.add_argument("--seconds", type=int, default=60)
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--tickets", type=int, default=400, help="extra billable tickets")
        parser.add_argument(
            "--think",
            type=think_time,
            default=[0.0, 0.0],
            metavar="MIN-MAX",
            help="seconds each user waits between two actions, e.g. 1-3 (default 0: saturation)",
        )

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
        run_dir = settings.BASE_DIR / "var" / "load"
        try:
            self.wait_until_up(base)
            returncode, elapsed = self.run_locust(base, run_dir, options)
            drained = self.drain(env)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)
        errors = self.report(run_dir, returncode, elapsed, options)
        broken = self.check_invariants(erp, drained)
        erp.stop()
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

    def run_locust(self, base, run_dir, options):
        """The crowd: devtools/locustfile.py, run by locust headless in its own process, with
        neither web UI nor master port. It gets what it needs from run_dir/plan.json (no Django
        in that process) and leaves its statistics in run_dir/locust_*.csv, its log and its own
        summary in run_dir/locust.log. Returns locust's exit status and how long it ran."""
        run_dir.mkdir(parents=True, exist_ok=True)
        for stale in run_dir.glob("locust*"):
            stale.unlink()
        plan = run_dir / "plan.json"
        plan.write_text(
            json.dumps(
                {
                    "password": "demo",
                    "after_sales_user": "postvendita",
                    "back_office_user": "backoffice",
                    "think": options["think"],
                    **self.ids(),
                }
            ),
            encoding="utf-8",
        )
        users, seconds = options["users"], options["seconds"]
        command = [
            sys.executable,
            "-m",
            "locust",
            "--locustfile",
            str(LOCUSTFILE),
            "--headless",
            "--host",
            base,
            "--users",
            str(users),
            "--spawn-rate",
            str(users),  # everybody within the first second
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            str(STOP_TIMEOUT),
            "--csv",
            str(run_dir / "locust"),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
        drop = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY", "ERP_SECRET"}
        env = {
            **{k: v for k, v in os.environ.items() if k not in drop and not k.startswith("LOCUST")},
            "LOAD_PLAN": str(plan),
        }
        log = run_dir / "locust.log"
        self.stdout.write(
            f"locust: {users} users{self.think_label(options)} for {seconds} s, "
            f"log in {log.relative_to(settings.BASE_DIR)}"
        )
        started = time.monotonic()
        with log.open("w", encoding="utf-8") as log_file:
            try:
                process = subprocess.run(  # noqa: S603 - our own command
                    command,
                    env=env,
                    cwd=run_dir,  # no locust.conf or pyproject.toml of the project read
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    timeout=seconds + STOP_TIMEOUT + 120,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise CommandError(f"locust did not end: see {log}") from None
        return process.returncode, time.monotonic() - started

    @staticmethod
    def think_label(options):
        low, high = options["think"]
        if not high:
            return " without think time"
        return f", thinking {low:g} s" if low == high else f", thinking {low:g}-{high:g} s"

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

    def report(self, run_dir, returncode, elapsed, options):
        """Per action and in all, from locust's CSV files: requests, failures, requests/s and
        p50/p95/p99 in ms (locust rounds times over 100 ms to 2 significant digits). Returns
        the number of errors: failed requests, exceptions in the crowd, locust's own failure."""
        out = self.stdout.write
        log = run_dir / "locust.log"
        try:
            rows = read_csv(run_dir / "locust_stats.csv")
            total = next(row for row in rows if row["Name"] == "Aggregated")
        except (OSError, StopIteration):
            out(log.read_text(encoding="utf-8", errors="replace")[-3000:])
            raise CommandError(f"locust (exit status {returncode}) left no statistics") from None
        out(
            f"\n{options['users']} users{self.think_label(options)} for {options['seconds']} s "
            f"(locust ran {elapsed:.0f} s): {total['Request Count']} requests, "
            f"{float(total['Requests/s']):.1f} req/s"
        )
        out(
            f"{'action':<28} {'requests':>9} {'failures':>9} {'req/s':>7} {'p50 ms':>8} "
            f"{'p95 ms':>8} {'p99 ms':>8}"
        )
        for row in [*(row for row in rows if row is not total), {**total, "Name": "all"}]:
            out(
                f"{row['Name']:<28} {row['Request Count']:>9} {row['Failure Count']:>9} "
                f"{float(row['Requests/s']):>7.1f} {row['50%']:>8} {row['95%']:>8} {row['99%']:>8}"
            )
        errors = int(total["Failure Count"])
        for row in read_csv(run_dir / "locust_failures.csv"):
            out(f"  failures of {row['Name']}: {row['Error']} ({row['Occurrences']} times)")
        for row in read_csv(run_dir / "locust_exceptions.csv"):
            errors += int(row["Count"])
            out(f"  exception in the crowd ({row['Count']} times): {row['Message']}")
        if not int(total["Request Count"]) or returncode not in (0, 1) or returncode and not errors:
            errors += 1
            out(f"  locust failed (exit status {returncode}, see {log})")
        return errors

    def check_invariants(self, erp, drained):
        out = self.stdout.write
        twice = (
            # Each part of a source (an activity's hours, its travel, a day's call-out...) once.
            OrderLine.objects.filter(is_live=True, source_id__isnull=False)
            .values("source_type", "source_id", "kind", "source_date")
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
            ("parts billed on two live order lines", twice),
            (
                "prepaid packages drawn below zero",
                PrepaidHours.objects.with_usage().filter(remaining__lt=0).count(),
            ),
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


def read_csv(path):
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))
