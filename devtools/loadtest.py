"""The pieces of `make load` and `make cluster`: seeding the database, starting gunicorn nodes and
task workers in process groups of their own, running the crowd (`devtools/locustfile.py`, locust
headless in its own process), the server's CPU time per request, locust's figures per action,
and the invariants checked on the database afterwards.

Both commands subclass `LoadTestCommand`; what they share lives here once.
"""

import contextlib
import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count

from backoffice.models import Order, OrderLine, Transmission
from contracts.models import Contract, PrepaidHours
from crm_billing.models import BillingProfile
from devtools.cputime import processes_cpu_seconds, tree_cpu_seconds
from tickets.models import Activity, ActivityCondition, ActivityStatus, Ticket

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
STOP_TIMEOUT = 60  # seconds a user may take to finish its action once the time is up
WARMUP_TIMEOUT = 180  # seconds the crowd may take to log in before the measured run
DB_BACKEND = "django_tasks_db.DatabaseBackend"
RQ_BACKEND = "django_tasks_rq.RQBackend"


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


def think_label(think):
    low, high = think
    if not high:
        return " without think time"
    return f", thinking {low:g} s" if low == high else f", thinking {low:g}-{high:g} s"


def load_average():
    """The 1-minute load average of the machine (shared: the figures are as noisy as this)."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


def read_csv(path):
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


@dataclass
class Member:
    """A process the run started: its name in the tables and its kind (node, worker)."""

    name: str
    kind: str
    process: subprocess.Popen
    host: str = ""  # a node's base URL
    cpu_before: float = 0.0
    cpu: float = 0.0


@dataclass
class Outcome:
    """What one run measured, for the tables."""

    label: str
    total: dict = field(default_factory=dict)
    errors: int = 0
    broken: int = 0
    elapsed: float = 0.0
    cpu: dict = field(default_factory=dict)  # kind → CPU seconds during the run
    generator: dict = field(default_factory=dict)
    load: tuple = (0.0, 0.0)

    @property
    def requests(self):
        return int(self.total.get("Request Count") or 0)

    def ms_per_request(self, kind):
        return 1000 * self.cpu.get(kind, 0.0) / self.requests if self.requests else 0.0


class LoadTestCommand(BaseCommand):
    """What `load` and `cluster` share. The processes started are kept in `self.members` and
    stopped by `stop_all()` (call it in a finally)."""

    def add_crowd_arguments(self, parser, *, users=20, seconds=60, think="0"):
        parser.add_argument("--users", type=int, default=users)
        parser.add_argument("--seconds", type=int, default=seconds)
        parser.add_argument("--tickets", type=int, default=400, help="extra billable tickets")
        parser.add_argument(
            "--think",
            type=think_time,
            default=think_time(think),
            metavar="MIN-MAX",
            help="seconds each user waits between two actions, e.g. 1-3 (0: saturation)",
        )
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node")
        parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")

    # --- the database -------------------------------------------------------------------------

    def require_postgresql(self):
        if connection.vendor != "postgresql":
            raise CommandError("The load test runs against PostgreSQL: set DATABASE_URL.")

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

    # --- the processes ------------------------------------------------------------------------

    def server_env(self, *, erp, secret, backend=DB_BACKEND, **extra):
        """The environment of the nodes and workers: production-like, plain HTTP on loopback."""
        return {
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
            "TASKS_BACKEND": backend,
            "AXES_FAILURE_LIMIT": "1000",
            "LOG_LEVEL": "WARNING",
            **extra,
        }

    def start(self, name, kind, argv, env, host="", **kwargs):
        """Start a process in a session (process group) of its own, so that stopping it stops
        whatever it started too."""
        process = subprocess.Popen(  # noqa: S603 - our own commands
            argv, env=env, start_new_session=True, cwd=settings.BASE_DIR, **kwargs
        )
        self.members.append(Member(name, kind, process, host))
        return process

    def start_node(self, port, env, options):
        self.start(
            f"gunicorn :{port} ({options['workers']} workers × {options['threads']} threads)",
            "node",
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "crm_billing.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(options["workers"]),
                "--threads",
                str(options["threads"]),
                "--worker-class",
                "gthread",
                # Longer than any think time: with gunicorn's 2 s default, a user coming back
                # after 2-3 s may reuse a connection just as the server closes it (the same rule
                # as behind a load balancer: the node's keep-alive outlives the balancer's).
                "--keep-alive",
                "75",
                "--log-level",
                "warning",
            ],
            env,
            host=f"http://127.0.0.1:{port}",
        )
        return f"http://127.0.0.1:{port}"

    def start_worker(self, number, env):
        """A task worker of the backend in env: `db_worker` or RQ's `rqworker` (the first one
        also runs RQ's scheduler, for deferred retries)."""
        if env["TASKS_BACKEND"] == RQ_BACKEND:
            argv = ["rqworker", "default", "--verbosity", "0"]
            argv += ["--with-scheduler"] if number == 1 else []
            name = f"rqworker {number}"
        else:
            argv = ["db_worker", "--interval", "0.2", "--verbosity", "0"]
            name = f"db_worker {number}"
        self.start(
            name, "worker", [sys.executable, "manage.py", *argv], env, stdout=subprocess.DEVNULL
        )

    def stop_all(self):
        """SIGTERM to every process group started, then SIGKILL to what is left after 30 s."""
        for member in self.members:
            self._signal(member.process, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for member in self.members:
            try:
                member.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._signal(member.process, signal.SIGKILL)
                member.process.wait(timeout=10)
        self.members = []

    @staticmethod
    def _signal(process, signum):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)

    def wait_until_up(self, base):
        for _ in range(150):
            if any(m.process.poll() is not None for m in self.members):
                raise CommandError("a process of the run ended before the run started")
            try:
                with urllib.request.urlopen(base + "/salute/", timeout=2):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.2)
        raise CommandError(f"gunicorn did not start on {base}")

    # --- CPU ----------------------------------------------------------------------------------

    def database_backends(self):
        """The PostgreSQL backends serving this database (not this command's own)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return [pid for (pid,) in cursor.fetchall()]

    def cpu_start(self):
        for member in self.members:
            member.cpu_before = tree_cpu_seconds(member.process.pid)
        self._pg_before = processes_cpu_seconds(self.database_backends())
        return load_average()

    def cpu_stop(self):
        """CPU seconds used since cpu_start, by kind: node, worker, postgres."""
        used = {"node": 0.0, "worker": 0.0}
        for member in self.members:
            member.cpu = tree_cpu_seconds(member.process.pid) - member.cpu_before
            used[member.kind] += member.cpu
        # Backends that ended meanwhile are missed; with persistent or pooled connections they
        # live through the run.
        after = processes_cpu_seconds(self.database_backends())
        used["postgres"] = sum(cpu - self._pg_before.get(pid, 0.0) for pid, cpu in after.items())
        return used

    def report_cpu(self, outcome):
        out = self.stdout.write
        requests = outcome.requests or 1
        out(
            f"\nCPU during the run (load average {outcome.load[0]:.2f} before, "
            f"{outcome.load[1]:.2f} after, on {os.cpu_count()} cores)"
        )
        out(f"  {'process':<44} {'CPU s':>8} {'ms/request':>11}")
        for member in self.members:
            # A node's CPU per request it served; a worker's per request of the whole run.
            served = outcome.generator.get("by_node", {}).get(member.host) or requests
            out(f"  {member.name:<44} {member.cpu:>8.1f} {1000 * member.cpu / served:>11.2f}")
        rows = [
            ("all gunicorn nodes (the server)", outcome.cpu["node"]),
            ("all task workers", outcome.cpu["worker"]),
            ("PostgreSQL backends of this database", outcome.cpu["postgres"]),
        ]
        for name, cpu in rows:
            out(f"  {name:<44} {cpu:>8.1f} {1000 * cpu / requests:>11.2f}")
        generator = outcome.generator
        if generator:
            share = 100 * generator["cpu_seconds"] / max(generator["wall_seconds"], 0.001)
            out(
                f"  {'locust (the generator, not the server)':<44} "
                f"{generator['cpu_seconds']:>8.1f} "
                f"{1000 * generator['cpu_seconds'] / requests:>11.2f}"
                f"   {share:.0f} % of one core"
            )
            nodes = ", ".join(f"{host} {n}" for host, n in sorted(generator["by_node"].items()))
            out(f"  requests per node: {nodes}")

    # --- the crowd ----------------------------------------------------------------------------

    def run_locust(self, hosts, run_dir, options, on_measuring):
        """The crowd: devtools/locustfile.py, run by locust headless in its own process,
        with neither web UI nor master port. It gets what it needs from run_dir/plan.json (no
        Django in that process): its users send their requests to the nodes in `hosts` in turn,
        as a load balancer without sticky sessions would. It leaves its statistics in
        run_dir/locust_*.csv, its log in run_dir/locust.log and its own CPU time and requests
        per node in run_dir/generator.json. on_measuring() is called when the warm-up ends
        (every user logged in) and the measured run starts. Returns locust's exit status and
        how long the measured run lasted."""
        run_dir.mkdir(parents=True, exist_ok=True)
        started_marker = run_dir / "started"
        for stale in [*run_dir.glob("locust*"), run_dir / "generator.json", started_marker]:
            stale.unlink(missing_ok=True)
        plan = run_dir / "plan.json"
        plan.write_text(
            json.dumps(
                {
                    "password": "demo",
                    "after_sales_user": "postvendita",
                    "back_office_user": "backoffice",
                    "think": options["think"],
                    "hosts": hosts,
                    "seconds": options["seconds"],
                    "warmup_timeout": WARMUP_TIMEOUT,
                    "generator": str(run_dir / "generator.json"),
                    "started": str(started_marker),
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
            hosts[0],
            "--users",
            str(users),
            "--spawn-rate",
            str(users),  # everybody within the first second; the crowd stops itself
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
            f"locust: {users} users{think_label(options['think'])} for {seconds} s on "
            f"{', '.join(hosts)}, log in {log.relative_to(settings.BASE_DIR)}"
        )
        started = time.monotonic()
        deadline = started + WARMUP_TIMEOUT + seconds + STOP_TIMEOUT + 60
        measuring = None
        with log.open("w", encoding="utf-8") as log_file:
            process = subprocess.Popen(  # noqa: S603 - our own command
                command,
                env=env,
                cwd=run_dir,  # no locust.conf or pyproject.toml of the project read
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                while process.poll() is None:
                    if measuring is None and started_marker.exists():
                        measuring = time.monotonic()
                        on_measuring()
                    if time.monotonic() > deadline:
                        raise CommandError(f"locust did not end: see {log}")
                    time.sleep(0.1)
            finally:
                if process.poll() is None:
                    self._signal(process, signal.SIGKILL)
                    process.wait()
        if measuring is None:
            raise CommandError(f"the crowd never finished logging in: see {log}")
        return process.returncode, time.monotonic() - measuring

    def drain(self, env, seconds=150):
        """Wait for every queued transmission to be delivered (sweeping lost tasks)."""
        pending = Transmission.objects.filter(state__in=["queued", "delivering"])
        deadline = time.monotonic() + seconds
        while pending.exists() and time.monotonic() < deadline:
            subprocess.run(  # noqa: S603
                [sys.executable, "manage.py", "sweep_transmissions"],
                env=env,
                cwd=settings.BASE_DIR,
                stdout=subprocess.DEVNULL,
                check=False,
            )
            time.sleep(1)
        return not pending.exists()

    def measure(self, label, hosts, run_dir, options, env):
        """One run on the processes started: the crowd, the drain, and what it cost."""
        outcome = Outcome(label)
        before = []
        returncode, outcome.elapsed = self.run_locust(
            hosts, run_dir, options, lambda: before.append(self.cpu_start())
        )
        drained = self.drain(env)
        outcome.cpu = self.cpu_stop()
        outcome.load = (before[0], load_average())
        try:
            outcome.generator = json.loads((run_dir / "generator.json").read_text())
        except (OSError, ValueError):
            outcome.generator = {}
        outcome.errors, outcome.total = self.report(run_dir, returncode, outcome, options)
        self.report_cpu(outcome)
        return outcome, drained

    def report(self, run_dir, returncode, outcome, options):
        """Per action and in all, from locust's CSV files: requests, failures, requests/s and
        p50/p95/p99 in ms (locust rounds times over 100 ms to 2 significant digits). Returns
        the number of errors (failed requests, exceptions in the crowd, locust's own failure)
        and the row of all requests."""
        out = self.stdout.write
        log = run_dir / "locust.log"
        try:
            rows = read_csv(run_dir / "locust_stats.csv")
            total = next(row for row in rows if row["Name"] == "Aggregated")
        except (OSError, StopIteration):
            out(log.read_text(encoding="utf-8", errors="replace")[-3000:])
            raise CommandError(f"locust (exit status {returncode}) left no statistics") from None
        out(
            f"\n{outcome.label}: {options['users']} users{think_label(options['think'])} for "
            f"{options['seconds']} s (measured {outcome.elapsed:.0f} s): "
            f"{total['Request Count']} requests, {float(total['Requests/s']):.1f} req/s"
        )
        out(
            f"{'action':<28} {'requests':>9} {'failures':>9} {'req/s':>7} {'p50 ms':>8} "
            f"{'p95 ms':>8} {'p99 ms':>8}"
        )
        actions = [row for row in rows if row is not total and int(row["Request Count"])]
        for row in [*actions, {**total, "Name": "all"}]:
            out(
                f"{row['Name']:<28} {row['Request Count']:>9} {row['Failure Count']:>9} "
                f"{float(row['Requests/s']):>7.1f} {row['50%']:>8} {row['95%']:>8} {row['99%']:>8}"
            )
        errors = int(total["Failure Count"])
        for row in read_csv(run_dir / "locust_failures.csv"):
            out(f"  failures of {row['Name']}: {row['Error']} ({row['Occurrences']} times)")
        warmup = outcome.generator.get("warmup")
        if warmup:
            out(
                f"warm-up, before the figures above ({warmup['seconds']:.0f} s, every user "
                "logging in at once):"
            )
            for name, row in warmup["actions"].items():
                errors += row["failures"]
                out(
                    f"  {name:<26} {row['requests']:>9} {row['failures']:>9} {'':>7} "
                    f"{row['p50']:>8.0f} {row['p95']:>8.0f} {row['p99']:>8.0f}"
                )
            for row in warmup["errors"]:
                out(f"  failures of {row['name']}: {row['error']} ({row['occurrences']} times)")
        else:
            errors += 1
            out(f"  the crowd left no figures of its own (see {log})")
        for row in read_csv(run_dir / "locust_exceptions.csv"):
            errors += int(row["Count"])
            out(f"  exception in the crowd ({row['Count']} times): {row['Message']}")
        if not int(total["Request Count"]) or returncode not in (0, 1) or returncode and not errors:
            errors += 1
            out(f"  locust failed (exit status {returncode}, see {log})")
        return errors, total

    # --- the invariants -----------------------------------------------------------------------

    def invariants(self, erp_state, drained):
        """(name, count of what breaks it) for every invariant; erp_state is the stand-in
        ERP's state(): its documents by idempotency key."""
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
        documents = erp_state["documents"]
        delivered = set(
            Transmission.objects.filter(state="delivered").values_list("idempotency_key", flat=True)
        )
        stuck = Transmission.objects.filter(state__in=["queued", "delivering"]).count()
        return [
            ("parts billed on two live order lines", twice),
            (
                "prepaid packages drawn below zero",
                PrepaidHours.objects.with_usage().filter(remaining__lt=0).count(),
            ),
            ("duplicated Num. Ordine", numbers),
            ("duplicated Prot. Int.", protocols.count()),
            ("orders without lines", Order.objects.filter(lines__isnull=True).count()),
            ("delivered transmissions missing at the ERP", len(delivered - set(documents))),
            ("transmissions still queued after the drain", stuck if not drained else 0),
            ("ERP documents without a delivered transmission", len(set(documents) - delivered)),
        ]

    def check_invariants(self, erp, drained):
        out = self.stdout.write
        state = erp.state()
        checks = self.invariants(state, drained)
        out("\nInvariants")
        for name, count in checks:
            out(f"  {'OK ' if count == 0 else 'BROKEN'} {name}: {count}")
        posted_again = len(erp.requests) - len(set(erp.requests))
        out(
            f"  ({len(state['documents'])} documents at the ERP, each from one delivered "
            f"transmission; {posted_again} repeated POSTs answered from the ERP's idempotency "
            "keys)"
        )
        return sum(1 for _name, count in checks if count)
