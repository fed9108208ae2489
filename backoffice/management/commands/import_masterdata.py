"""Import master data from an ERP export file, as the "Importa dal gestionale" page does: for a
scheduled job, e.g. from cron every night after the ERP's export:

    30 2 * * *  cd /srv/postvendita && .venv/bin/python manage.py import_masterdata \\
                    /srv/export/clienti.csv --kind customers --user gestionale

The file is checked first; it is applied only if no row has an error, all of it in one
transaction. The exit status is 1 when the file was refused (nothing changed). Each run is
recorded as a MasterDataImport of the user named, who must hold Gestione anagrafiche.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from backoffice.imports import apply_master_data_import, preview_master_data_import
from backoffice.models import MasterDataImport
from core.exceptions import DomainError


class Command(BaseCommand):
    help = (
        "Import customers, products, price lists, payment terms, VAT rates or agents from an "
        "ERP export file (CSV or XLSX)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV (UTF-8) or XLSX file.")
        parser.add_argument(
            "--kind",
            required=True,
            choices=MasterDataImport.Kind.values,
            help="What the file holds.",
        )
        parser.add_argument(
            "--user",
            required=True,
            help="The user the import is recorded under; must hold Gestione anagrafiche.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only report what the import would do."
        )

    def handle(self, *args, file, kind, user, dry_run=False, **options):
        try:
            actor = get_user_model().objects.get_by_natural_key(user)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {user!r}.") from None
        try:
            with file.open("rb") as handle:
                # A scheduled job takes any number of rows: the page's limit is for a request.
                import_ = preview_master_data_import(
                    kind=kind, file=handle, actor=actor, max_rows=None
                )
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
        except PermissionDenied as denied:
            raise CommandError(str(denied)) from None
        if import_.applicable and not dry_run:
            try:
                import_ = apply_master_data_import(import_=import_, actor=actor)
            except DomainError:
                import_.refresh_from_db()
        self.report(import_, dry_run=dry_run)
        if import_.state == MasterDataImport.State.REFUSED:
            raise CommandError(f"{file}: refused, nothing changed (import {import_.pk}).")

    def report(self, import_, *, dry_run):
        verb = "would be" if dry_run or import_.state != "applied" else "were"
        state = import_.get_state_display()
        self.stdout.write(f"{import_.file_name} ({import_.kind}), import {import_.pk}: {state}")
        self.stdout.write(
            f"  {import_.created} {verb} created, {import_.updated} {verb} updated, "
            f"{import_.unchanged} unchanged, {import_.errors} with errors"
        )
        for problem in import_.problems:
            self.stdout.write(f"  {problem}")
        for row in import_.rows:
            for error in row["errors"]:
                column = f" [{error['column']}]" if error["column"] else ""
                self.stdout.write(f"  line {row['line']} {row['code']}{column}: {error['message']}")
