# The two commands of the README: `make run` and `make test`. Everything they need is installed
# here, into .venv, from the pinned requirements.lock.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# make run and make test install requirements-dev.lock: the runtime lock plus the development and
# test tools. A production install uses requirements.lock alone (see README).
STAMP := $(VENV)/.installed-$(shell cat requirements-pip.lock requirements.lock requirements-dev.lock | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint messages bench load cluster lock

# pip itself first, pinned (requirements-pip.lock): the pip that ships with Python 3.11 refuses a
# hashed lock in which a package asks for another one's extras (weasyprint → fonttools[woff]).
$(STAMP): requirements-pip.lock requirements.lock requirements-dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-pip.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# Embedded set-up: SQLite under var/, demo data on first run, development server on loopback.
run: export DEBUG ?= true
run: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo ""
	@echo "  Post Vendita: http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password 'demo'): admin, backoffice, postvendita, tecnico"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

# SQLite unless DATABASE_URL points at PostgreSQL.
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# Speed of bulk billing and of the main pages on DATABASE_URL, or SQLite: a table, and the
# same figures in var/bench.json. Production-like settings; nothing is kept (rolled back).
bench: export DEBUG = false
bench: export DEVTOOLS = true
bench: export SECRET_KEY ?= bench-only-secret-key-not-for-production-0123456789abcdef
bench: export SECURE_SSL_REDIRECT = false
bench: install
	mkdir -p var
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py bench

# Load test: gunicorn + db_worker + stand-in ERP on loopback, against a fresh PostgreSQL
# database; the users are devtools/locustfile.py, run by locust headless in its own process
# (no web UI). USERS (20) users for SECONDS (60) s, without think time unless THINK says how
# many seconds a user waits between two actions: THINK=2, or THINK=1-3 for 1 to 3 s at random.
# POOL=true takes PostgreSQL connections from psycopg's pool instead of keeping one per thread
# (CONN_MAX_AGE=60). The CPU time of the server (gunicorn master and workers), of the worker, of
# PostgreSQL and of locust itself is printed per request. Then the invariants are checked on the
# database; exit status 1 on any failed request or broken invariant. locust's CSV files and log
# are left in var/load/.
LOAD_DATABASE ?= crm_billing_load
PGHOST ?= 127.0.0.1
load: export DATABASE_URL = postgres://postgres@$(PGHOST):5432/$(LOAD_DATABASE)
load: export DEBUG = false
load: export DEVTOOLS = true
load: export SECRET_KEY ?= load-only-secret-key-not-for-production-0123456789abcdef
load: export SECURE_SSL_REDIRECT = false
load: export DB_POOL = $(or $(POOL),false)
load: install
	psql -h $(PGHOST) -U postgres -qc "DROP DATABASE IF EXISTS $(LOAD_DATABASE)" \
	  -c "CREATE DATABASE $(LOAD_DATABASE)"
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py load --users $(or $(USERS),20) --seconds $(or $(SECONDS),60) \
	  --think $(or $(THINK),0) --port $(or $(LOAD_PORT),8765)

# Scale-out on one machine: two gunicorn nodes on two loopback ports, two task workers, the
# stand-in ERP, one PostgreSQL database; the users of the load test send their requests to both
# nodes in turn. Run twice on a fresh database each time: with the database task backend
# (db_worker) and with RQ on Redis (rqworker; REDIS_URL names a Redis database of its own, which
# is flushed). Defaults: USERS=50, THINK=1-3, SECONDS=60. A table per backend; exit status 1 on
# any failed request or broken invariant. The database of CLUSTER_DATABASE is dropped first.
CLUSTER_DATABASE ?= crm_billing_cluster
REDIS_URL ?= redis://127.0.0.1:6379/14
cluster: export DATABASE_URL = postgres://postgres@$(PGHOST):5432/$(CLUSTER_DATABASE)
cluster: export DEBUG = false
cluster: export DEVTOOLS = true
cluster: export SECRET_KEY ?= load-only-secret-key-not-for-production-0123456789abcdef
cluster: export SECURE_SSL_REDIRECT = false
cluster: export DB_POOL = $(or $(POOL),false)
cluster: export REDIS_URL := $(REDIS_URL)
cluster: install
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py cluster --fresh-database --users $(or $(USERS),50) \
	  --seconds $(or $(SECONDS),60) --think $(or $(THINK),1-3) --backends $(or $(BACKENDS),db rq) \
	  --ports $(or $(CLUSTER_PORTS),8765 8766)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Refresh the Italian catalogue after changing visible strings (needs gettext's xgettext).
messages: export DEBUG = true
messages: install
	$(PY) manage.py makemessages -l it --no-obsolete --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compilemessages -l it --ignore=.venv

# Rewrite both locks from pyproject.toml, keeping the versions already pinned (uv reads the
# existing lock as its preferences); add --upgrade-package NAME to move one package.
lock: install
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" -q -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" -c requirements.lock -q -o requirements-dev.lock
