from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _

from core.middleware import session_refreshed_at_login


def _enable_sqlite_wal(sender, connection, **kwargs):
    # WAL lets pages read while a billing transaction writes (invariant 2 on SQLite).
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        connection_created.connect(_enable_sqlite_wal, dispatch_uid="core_sqlite_wal")
        user_logged_in.connect(session_refreshed_at_login, dispatch_uid="core_session_login")
