"""Settings for the test suite: the real settings, with fast password hashing and plain static
storage (no collectstatic before tests). DATABASE_URL still chooses SQLite or PostgreSQL."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("DEVTOOLS", "true")  # the stand-in ERP and the tools are tested too
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")
# The test runner uses an in-memory database; this path only keeps var/ untouched.
os.environ.setdefault(
    "SQLITE_PATH", str(Path(__file__).resolve().parent.parent / "var" / "test.sqlite3")
)

from crm_billing.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["*"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: threads in the concurrency tests then get real separate connections
    # that queue on SQLite's write lock (IMMEDIATE + WAL), as in production.
    (BASE_DIR / "var").mkdir(exist_ok=True)  # noqa: F405
    # One file per test run, so two runs on one machine never share (and destroy) it.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")  # noqa: F405
    }

LOGGING["root"]["level"] = "WARNING"  # noqa: F405

# Orders "sent" by tests with the file transmission land in a throwaway folder, not in var/.
ERP_EXPORT_DIR = Path(tempfile.gettempdir()) / f"crm-billing-test-erp-export-{os.getpid()}"
