"""Settings for the Post Vendita billing module.

Everything that differs between a laptop and production comes from the environment (or a `.env`
file beside manage.py), read with django-environ. The defaults are the embedded set-up of
`make run`: SQLite, DEBUG on, the file transmission to the ERP.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Without DEBUG a secret must be given: the default key exists only for local development.
SECRET_KEY = env("SECRET_KEY") if not DEBUG else env("SECRET_KEY", default="dev-only-insecure-key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "simple_history",
    "django_filters",
    "django_tables2",
    "import_export",
    "core",
    "backoffice",
    "contracts",
    "tickets",
    "crm_billing",
]
# Benchmarks, the load generator and the stand-in ERP: for development and tests, never in
# production (they are not even installed there: see requirements-dev.lock).
DEVTOOLS = env.bool("DEVTOOLS", default=DEBUG)
if DEVTOOLS:
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.IdleSessionMiddleware",
    "core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Deny by default: every view needs a login unless marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "core.middleware.NoStoreMiddleware",
    "core.middleware.MethodNotAllowedPageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Who changed a contract, an activity, master data or a user's functions (audit history).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that it sees the outcome of the authentication backends.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm_billing.urls"
WSGI_APPLICATION = "crm_billing.wsgi.application"
ASGI_APPLICATION = "crm_billing.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.menu.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite is the embedded default. IMMEDIATE transactions take the write lock at BEGIN, so two
# billing actions queue up instead of failing with "database is locked" half way through; WAL
# lets readers go on meanwhile (set in core.apps on every new connection).
SQLITE_PATH = env.path("SQLITE_PATH", default=BASE_DIR / "var" / "db.sqlite3")
DATABASES = {
    "default": env.db(
        "DATABASE_URL",
        default=f"sqlite:///{SQLITE_PATH}",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
elif env.bool("DB_POOL", default=False):
    # psycopg's connection pool, one per process (docs/deploy.md): a request borrows a connection
    # and gives it back at its end. Django requires CONN_MAX_AGE=0 with it.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
    }
else:
    # Persistent connections: without them a one-query view is ~20x slower (DESIGN §7).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling: five failures lock the user name from that address for 15 minutes, and
# five failures from one address, whatever the user names tried, lock the address. A successful
# login from the address starts both counts again, so an office behind one NAT address is not
# locked out by a few typos.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_CLIENT_IP_CALLABLE = "core.network.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = env.bool("AXES_VERBOSE", default=False)

# Sessions end after 30 idle minutes: core.middleware.IdleSessionMiddleware pushes the expiry on
# at most once a minute (not a write on every request, as SESSION_SAVE_EVERY_REQUEST would do).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
# Half the idle time when that is shorter than two minutes, so an active session never lapses.
SESSION_REFRESH_SECONDS = min(60, SESSION_COOKIE_AGE // 2)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Security -------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies stand in front of the application (README, "Production serving").
# With 0, X-Forwarded-For is ignored and the client's address is the connection's; with N, the
# address the outermost proxy saw is read from X-Forwarded-For.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
X_FRAME_OPTIONS = "DENY"
# No inline script anywhere: the policy forbids it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- Language, time, money ------------------------------------------------------------------
LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italiano")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Rome"
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

FORM_RENDERER = "core.forms.FormRenderer"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Background work ------------------------------------------------------------------------
# The embedded default runs tasks inline, after the transaction commits; production uses the
# database backend and `manage.py db_worker` (TASKS_BACKEND=django_tasks_db.DatabaseBackend).
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", default="django_tasks.backends.immediate.ImmediateBackend"),
    }
}
# The alternative engine: RQ on Redis (TASKS_BACKEND=django_tasks_rq.RQBackend, workers
# `manage.py rqworker --with-scheduler`). Redis is not this database: the services enqueue for
# it after the commit, and the sweep covers a task lost in between.
RQ_BACKEND = "django_tasks_rq.RQBackend"
RQ_QUEUES = {"default": {"URL": env("REDIS_URL", default="redis://127.0.0.1:6379/0")}}
RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
if TASKS["default"]["BACKEND"] == RQ_BACKEND:
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]

PAGE_SIZE = 25

# The company issuing the Orders/Offers: the header of their PDF.
COMPANY = {
    "name": env("COMPANY_NAME", default="Assistenza Tecnica Esempio S.r.l."),
    "address": env("COMPANY_ADDRESS", default="Via dell'Industria 12, 40128 Bologna (BO)"),
    "vat_number": env("COMPANY_VAT_NUMBER", default="01234560371"),
    "tax_code": env("COMPANY_TAX_CODE", default="01234560371"),
    "email": env("COMPANY_EMAIL", default="postvendita@example.it"),
    "phone": env("COMPANY_PHONE", default="051 0000000"),
}
# An offer's PDF says it is valid this many days from its date.
OFFER_VALIDITY_DAYS = env.int("OFFER_VALIDITY_DAYS", default=30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # Axes reports every login at INFO; lockouts still come through as warnings. WeasyPrint
    # reports each step of drawing a PDF (and of loading its own style sheets) at INFO.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint.progress": {"level": "WARNING"}},
}

# --- Sending to the ERP ("Invia al gestionale") ---------------------------------------------
# How an order reaches the ERP: "file" writes one JSON document per order revision into
# ERP_EXPORT_DIR, for the ERP to import (written atomically: hidden temporary file, then
# rename); "http" POSTs it to ERP_URL, signed with ERP_SECRET (HMAC-SHA256). `manage.py
# fake_erp` (devtools) is a stand-in ERP for trying "http" (see the README).
ERP_TRANSMISSION = env("ERP_TRANSMISSION", default="file")
# A relative ERP_EXPORT_DIR is taken from the folder of manage.py.
ERP_EXPORT_DIR = BASE_DIR / env("ERP_EXPORT_DIR", default="var/erp-export")
# The exported files' permissions (octal): readable by an importer running as another OS user.
ERP_EXPORT_FILE_MODE = int(env("ERP_EXPORT_FILE_MODE", default="644"), 8)
ERP_URL = env("ERP_URL", default="")
# Shared with the ERP; required by "http". At least 32 random characters.
ERP_SECRET = env("ERP_SECRET", default="")
# Seconds to open the connection, and then to wait for the ERP's answer.
ERP_CONNECT_TIMEOUT = env.float("ERP_CONNECT_TIMEOUT", default=5.0)
ERP_READ_TIMEOUT = env.float("ERP_READ_TIMEOUT", default=30.0)
# Retries of errors worth retrying (timeouts, 408, 429, 5xx): at most ERP_MAX_ATTEMPTS attempts;
# before attempt n+1 a random wait between 0 and min(ERP_BACKOFF_CAP, ERP_BACKOFF_BASE × 2^(n-1))
# seconds (exponential backoff with full jitter). Then the send is "failed, needs attention".
ERP_MAX_ATTEMPTS = env.int("ERP_MAX_ATTEMPTS", default=8)
ERP_BACKOFF_BASE = env.float("ERP_BACKOFF_BASE", default=5.0)
ERP_BACKOFF_CAP = env.float("ERP_BACKOFF_CAP", default=600.0)
# How long a worker holds a transmission it is delivering. If the worker dies, another one may
# deliver it again after this (same Idempotency-Key): keep it well above both timeouts together.
ERP_LEASE_SECONDS = env.float("ERP_LEASE_SECONDS", default=120.0)
# `manage.py sweep_transmissions` enqueues again what is due for longer than this (its task was
# lost) and what a dead worker held. With the inline backend it also runs every retry.
ERP_SWEEP_GRACE_SECONDS = env.float("ERP_SWEEP_GRACE_SECONDS", default=60.0)

# The longest duration an activity may have, in minutes (24 h): a longer one is refused by the
# form and never billed (a typo such as 999999999 minutes would bill a fortune).
ACTIVITY_MAX_MINUTES = env.int("ACTIVITY_MAX_MINUTES", default=24 * 60)
# The longest trip an activity may bill, in km, for the same reason.
ACTIVITY_MAX_KM = env.int("ACTIVITY_MAX_KM", default=2000)
# A contract's prepaid hours (monte ore) are "running low" at or under this share of the hours
# bought: the contract and ticket pages warn.
PREPAID_HOURS_WARNING_PERCENT = env.int("PREPAID_HOURS_WARNING_PERCENT", default=10)

# The "indexed" renewal rule compares the ISTAT FOI index of the month this many months before
# the renewal starts with the same month a year earlier.
ISTAT_REFERENCE_MONTHS_BEFORE = env.int("ISTAT_REFERENCE_MONTHS_BEFORE", default=1)

# "Fattura attività" on more tickets than this runs as a background task with a progress bar.
BILLING_BACKGROUND_THRESHOLD = env.int("BILLING_BACKGROUND_THRESHOLD", default=200)
# The most tickets one "Fattura attività" may preview and bill (the preview lists them all).
BILLING_MAX_SELECTION = env.int("BILLING_MAX_SELECTION", default=5000)
# A run not heard from for this long (its worker died) offers "Riprendi" on its page.
BILLING_RUN_STALL_SECONDS = env.int("BILLING_RUN_STALL_SECONDS", default=300)
