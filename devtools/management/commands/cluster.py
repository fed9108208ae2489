"""`make cluster`: scale-out, run for real on one machine.

For each task backend asked for (`db`: the database queue and `db_worker`; `rq`: RQ on Redis
and `rqworker`), on a database dropped and created again: two gunicorn nodes on two loopback
ports (nothing in front of them but the load generator), two task workers, the stand-in ERP,
one PostgreSQL database. The crowd of `make load` (devtools/locustfile.py, locust headless in
its own process) sends each user's requests to the nodes in turn, as a load balancer without
sticky sessions would; then every queued transmission is drained and the invariants are checked
on the database: nothing billed twice, no duplicated Num. Ordine or Prot. Int., every document
at the ERP from exactly one delivered transmission. A table per backend, and one beside the
other at the end. Everything it started is stopped, also on failure (process groups).

Exit status 1 when a request failed or an invariant is broken, with either backend.
"""

import os
import secrets
import subprocess
import sys

import redis
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection

from devtools.loadtest import DB_BACKEND, RQ_BACKEND, LoadTestCommand
from devtools.stand_in_erp import StandInErp

BACKENDS = {"db": DB_BACKEND, "rq": RQ_BACKEND}


class Command(LoadTestCommand):
    help = "Two gunicorn nodes, two task workers per backend (db, rq), one database, then checks."

    def add_arguments(self, parser):
        self.add_crowd_arguments(parser, users=50, seconds=60, think="1-3")
        parser.add_argument("--ports", type=int, nargs="+", default=[8765, 8766])
        parser.add_argument("--task-workers", type=int, default=2)
        parser.add_argument("--backends", nargs="+", choices=sorted(BACKENDS), default=["db", "rq"])
        parser.add_argument(
            "--redis-url",
            default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"),
            help="a Redis database of the run's own: it is flushed before and after",
        )
        parser.add_argument(
            "--fresh-database",
            action="store_true",
            help="required: drop and create again the database of DATABASE_URL for each backend",
        )

    def handle(self, *args, **options):
        self.require_postgresql()
        if not options["fresh_database"]:
            raise CommandError(
                "make cluster drops and creates again the database of DATABASE_URL for each "
                "backend: say so with --fresh-database."
            )
        outcomes = [self.run_backend(name, options) for name in options["backends"]]
        self.summary(outcomes, options)
        failed = [o.label for o in outcomes if o.errors or o.broken]
        if failed:
            raise CommandError(f"errors or broken invariants with: {', '.join(failed)}")
        self.stdout.write(self.style.SUCCESS("No errors, no invariant broken, with every backend."))

    def run_backend(self, name, options):
        backend = BACKENDS[name]
        self.stdout.write(self.style.MIGRATE_HEADING(f"\n=== {name}: {backend} ==="))
        extra = {}
        if backend == RQ_BACKEND:
            extra["REDIS_URL"] = options["redis_url"]
            self.flush_redis(options["redis_url"])
        self.recreate_database()
        secret = secrets.token_hex(24)
        erp = StandInErp(secret=secret).start()
        env = self.server_env(erp=erp, secret=secret, backend=backend, **extra)
        self.members = []
        try:
            subprocess.run(  # noqa: S603 - our own command
                [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
                env=env,
                cwd=settings.BASE_DIR,
                check=True,
            )
            self.seed(options["tickets"])
            hosts = [self.start_node(port, env, options) for port in options["ports"]]
            for number in range(1, options["task_workers"] + 1):
                self.start_worker(number, env)
            for host in hosts:
                self.wait_until_up(host)
            outcome, drained = self.measure(
                f"make cluster, {name}",
                hosts,
                settings.BASE_DIR / "var" / "cluster" / name,
                options,
                env,
            )
        finally:
            self.stop_all()
            erp.stop()
            if backend == RQ_BACKEND:
                self.flush_redis(options["redis_url"])
        outcome.broken = self.check_invariants(erp, drained)
        return outcome

    def recreate_database(self):
        """Drop the database of DATABASE_URL (closing its connections) and create it again."""
        name = connection.settings_dict["NAME"]
        if connection.settings_dict.get("OPTIONS", {}).get("pool"):
            connection.close_pool()
        connection.close()
        quoted = connection.ops.quote_name(name)
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {quoted}")

    def flush_redis(self, url):
        """Empty the run's Redis database (that one only)."""
        try:
            client = redis.Redis.from_url(url)
            client.flushdb()
            client.close()
        except redis.RedisError as error:
            raise CommandError(f"Redis at {url}: {error}") from None

    def summary(self, outcomes, options):
        out = self.stdout.write
        out(
            f"\nmake cluster: {len(options['ports'])} nodes × {options['workers']} workers × "
            f"{options['threads']} threads, {options['task_workers']} task workers, "
            f"{options['users']} users for {options['seconds']} s"
        )
        out(
            f"{'backend':<8} {'requests':>9} {'errors':>7} {'req/s':>6} {'p50':>6} {'p95':>6} "
            f"{'p99':>6} {'srv ms/req':>10} {'wrk ms/req':>10} {'pg ms/req':>9} {'gen %':>6} "
            f"{'load':>10} {'broken':>7}"
        )
        for outcome in outcomes:
            total, generator = outcome.total, outcome.generator
            share = (
                100 * generator["cpu_seconds"] / max(generator["wall_seconds"], 0.001)
                if generator
                else 0.0
            )
            out(
                f"{outcome.label.rpartition(' ')[2]:<8} {outcome.requests:>9} "
                f"{outcome.errors:>7} {float(total['Requests/s']):>6.1f} {total['50%']:>6} "
                f"{total['95%']:>6} {total['99%']:>6} {outcome.ms_per_request('node'):>10.1f} "
                f"{outcome.ms_per_request('worker'):>10.1f} "
                f"{outcome.ms_per_request('postgres'):>9.1f} {share:>6.0f} "
                f"{outcome.load[0]:>4.1f}→{outcome.load[1]:<4.1f} {outcome.broken:>7}"
            )
