"""`make load`: gunicorn on loopback against PostgreSQL, a database task worker, the stand-in
ERP, and a mixed crowd of after-sales and back-office users for a bounded time. The crowd is
`devtools/locustfile.py`, run by locust headless in its own process (no web UI, nothing listening);
this command writes what it needs to a JSON file, reads locust's CSV statistics afterwards and
prints requests, failures, requests/s and p50/p95/p99 per action, the CPU time the server (the
gunicorn master and workers), the worker, PostgreSQL and the generator used per request, then
checks the invariants on the database. The pieces are in devtools/loadtest.py.

Exit status 1 when a request failed or an invariant is broken.
"""

import secrets

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection

from devtools.loadtest import LoadTestCommand
from devtools.stand_in_erp import StandInErp


class Command(LoadTestCommand):
    help = "Load test on loopback (gunicorn + db_worker + stand-in ERP), then invariant checks."

    def add_arguments(self, parser):
        self.add_crowd_arguments(parser)
        parser.add_argument("--port", type=int, default=8765)

    def handle(self, *args, **options):
        self.require_postgresql()
        self.seed(options["tickets"])
        secret = secrets.token_hex(24)
        erp = StandInErp(secret=secret).start()
        env = self.server_env(erp=erp, secret=secret)
        pooled = bool(connection.settings_dict.get("OPTIONS", {}).get("pool"))
        label = (
            "psycopg pool" if pooled else f"CONN_MAX_AGE={connection.settings_dict['CONN_MAX_AGE']}"
        )
        self.members = []
        try:
            base = self.start_node(options["port"], env, options)
            self.start_worker(1, env)
            self.wait_until_up(base)
            outcome, drained = self.measure(
                f"make load ({label})", [base], settings.BASE_DIR / "var" / "load", options, env
            )
        finally:
            self.stop_all()
            erp.stop()
        broken = self.check_invariants(erp, drained)
        if outcome.errors or broken:
            raise CommandError(f"{outcome.errors} failed requests, {broken} broken invariants")
        self.stdout.write(self.style.SUCCESS("No errors, no invariant broken."))
