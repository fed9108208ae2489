from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def _enable_sqlite_wal(sender, connection, **kwargs):
    # WAL lets pages read while a billing transaction writes (DESIGN invariant 2 on SQLite).
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")


class CrmBillingConfig(AppConfig):
    name = "crm_billing"
    verbose_name = _("Post-sales billing")

    def ready(self):
        connection_created.connect(_enable_sqlite_wal, dispatch_uid="crm_billing_sqlite_wal")
