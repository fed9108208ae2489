"""The deployment settings of the environment: psycopg's pool (DB_POOL) instead of persistent
connections, and RQ on Redis as the task backend. Each case reads the settings in a fresh
interpreter, as a server process would at start."""

import json
import os
import subprocess
import sys

from django.conf import settings

POSTGRES = "postgres://crm@db.example.internal:5432/crm"
READ = """
import json
from django.conf import settings as s
db = s.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"],
    "conn_max_age": db.get("CONN_MAX_AGE"),
    "health_checks": db.get("CONN_HEALTH_CHECKS"),
    "pool": db.get("OPTIONS", {}).get("pool"),
    "backend": s.TASKS["default"]["BACKEND"],
    "rq_apps": [app for app in s.INSTALLED_APPS if "rq" in app],
    "rq_queues": s.RQ_QUEUES,
}))
"""


def run(code, **environ):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DB_POOL", "CONN_MAX_AGE", "TASKS_BACKEND", "REDIS_URL"}
        and not key.startswith("DB_POOL_")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="crm_billing.settings",
        DEBUG="false",
        SECRET_KEY="settings-test-secret-key-not-for-production-0123456789abcdef",
        **environ,
    )
    return subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout


def read(**environ):
    return json.loads(run("import django; django.setup()\n" + READ, **environ))


def test_postgresql_keeps_persistent_connections_by_default():
    db = read(DATABASE_URL=POSTGRES)
    assert db["conn_max_age"] == 60
    assert db["health_checks"] is True
    assert db["pool"] is None


def test_db_pool_takes_connections_from_psycopg_pool_without_persistent_ones():
    db = read(
        DATABASE_URL=POSTGRES,
        DB_POOL="true",
        CONN_MAX_AGE="60",  # ignored: Django refuses persistent connections with a pool
        DB_POOL_MIN_SIZE="3",
        DB_POOL_MAX_SIZE="12",
    )
    assert db["conn_max_age"] == 0
    assert db["pool"] == {"min_size": 3, "max_size": 12, "timeout": 10.0}


def test_sqlite_has_no_pool_even_if_asked():
    db = read(DB_POOL="true", SQLITE_PATH="/tmp/crm-settings-test.sqlite3")  # noqa: S108
    assert db["engine"] == "django.db.backends.sqlite3"
    assert db["pool"] is None


def test_the_rq_backend_installs_django_rq_on_the_redis_given():
    tasks = read(TASKS_BACKEND="django_tasks_rq.RQBackend", REDIS_URL="redis://cache:6379/3")
    assert tasks["backend"] == "django_tasks_rq.RQBackend"
    assert tasks["rq_apps"] == ["django_rq", "django_tasks_rq"]
    assert tasks["rq_queues"] == {"default": {"URL": "redis://cache:6379/3"}}


def test_other_backends_leave_django_rq_out():
    tasks = read(TASKS_BACKEND="django_tasks_db.DatabaseBackend")
    assert tasks["rq_apps"] == []


def test_the_rq_settings_pass_the_system_checks():
    # django-tasks-rq checks that django_rq is installed and that its queue is configured.
    output = run(
        "import django, sys\ndjango.setup()\nfrom django.core.management import call_command\n"
        "call_command('check', '--fail-level', 'WARNING')\n",
        TASKS_BACKEND="django_tasks_rq.RQBackend",
        SQLITE_PATH="/tmp/crm-settings-test.sqlite3",  # noqa: S108
    )
    assert "no issues" in output
