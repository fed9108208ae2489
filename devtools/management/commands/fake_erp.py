"""Serve the stand-in ERP on loopback, for trying the http transmission by hand."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devtools.stand_in_erp import DEFAULT_MAX_SKEW, StandInErp


class Command(BaseCommand):
    help = (
        "Serve a stand-in ERP on loopback: checks the signature, keeps one document per "
        "Idempotency-Key, and can fail the next N requests or answer slowly "
        '(also at run time: POST /_control {"fail_next": 2, "status": 500, "delay": 2.5}).'
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--host", default="127.0.0.1", help="Loopback address (default %(default)s)"
        )
        parser.add_argument("--port", type=int, default=8900, help="Port (default %(default)s)")
        parser.add_argument(
            "--secret", default=None, help="Shared secret (default: the ERP_SECRET setting)"
        )
        parser.add_argument(
            "--fail-next", type=int, default=0, help="Fail the next N documents (default 0)"
        )
        parser.add_argument(
            "--status", type=int, default=500, help="Status of those failures (default 500)"
        )
        parser.add_argument(
            "--delay", type=float, default=0.0, help="Seconds to wait before every answer"
        )
        parser.add_argument(
            "--max-skew",
            type=int,
            default=DEFAULT_MAX_SKEW,
            help="Oldest accepted X-Timestamp, in seconds (default %(default)s)",
        )

    def handle(self, *args, **options):
        secret = options["secret"] if options["secret"] is not None else settings.ERP_SECRET
        try:
            erp = StandInErp(
                secret=secret,
                host=options["host"],
                port=options["port"],
                max_skew=options["max_skew"],
                fail_next=options["fail_next"],
                fail_status=options["status"],
                delay=options["delay"],
                log=self.stdout.write,
            )
        except (ValueError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Stand-in ERP on {erp.url} (control: {erp.control_url}).")
        self.stdout.write("Set ERP_TRANSMISSION=http and ERP_URL to that address. Ctrl+C stops.")
        try:
            erp.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            erp.server.server_close()
