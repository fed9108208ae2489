"""Enqueue again the transmissions to the ERP whose task was lost. Run it periodically, e.g.
from cron every minute:

    * * * * *  cd /srv/postvendita && .venv/bin/python manage.py sweep_transmissions
"""

import time

from django.core.management.base import BaseCommand

from backoffice.erp.services import sweep_transmissions


class Command(BaseCommand):
    help = (
        "Enqueue again the transmissions to the ERP whose delivery task was lost: due and "
        "still queued, or held by a worker whose lease ran out."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=float,
            default=None,
            metavar="SECONDS",
            help="Keep sweeping at this interval instead of once (instead of cron).",
        )

    def handle(self, *args, every=None, **options):
        while True:
            ids = sweep_transmissions()
            if ids or options["verbosity"] > 1:
                self.stdout.write(f"{len(ids)} transmission(s) enqueued again.")
            if every is None:
                return
            try:
                time.sleep(every)
            except KeyboardInterrupt:
                return
