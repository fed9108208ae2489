"""The crowd of `make load`: half after-sales users, half back-office users, on locust.

`manage.py load` runs it headless in its own process (`python -m locust --headless -f ...`):
this file imports nothing from the project and needs no Django settings. What it needs comes
from the JSON file named by the LOAD_PLAN environment variable, written by the command:

    {"password": "...", "after_sales_user": "...", "back_office_user": "...",
     "tickets": [pk, ...], "contracts": [pk, ...], "orders": [pk, ...], "think": [min, max],
     "hosts": ["http://127.0.0.1:8765", ...], "seconds": 60, "warmup_timeout": 180,
     "generator": "path of generator.json", "started": "path of the marker file"}

Every request is named after its action, so locust's statistics have one row per action. Any
answer other than 2xx (redirects are followed) counts as a failure, as does a refused login.

The run has two parts. The warm-up: every user logs in (a password hash is slow on purpose, and
office users log in once a day, not all in the same minute), and starts working. Once all are
logged in, the statistics start again from zero, the "started" file is written (the command
starts measuring CPU then) and the measured run lasts "seconds"; then locust stops. The logins'
own figures, taken before the reset, are written to the "generator" file.

With several hosts (`make cluster`: several gunicorn nodes) each user sends its requests to them
in turn, as a load balancer without sticky sessions would: a session opened on one node must
hold on the others. At the end the crowd writes its own CPU time during the run and its
requests per node to the "generator" file, so that the report can show the generator is not
what limits the figures.
"""

import itertools
import json
import os
import random
import re
import sys
import time
from collections import Counter
from urllib.parse import urlencode

import gevent
from locust import between, constant, events, task
from locust.contrib.fasthttp import FastHttpUser

try:
    with open(os.environ["LOAD_PLAN"], encoding="utf-8") as plan_file:
        PLAN = json.load(plan_file)
except (KeyError, OSError, ValueError) as error:
    sys.exit(f"The crowd of make load needs LOAD_PLAN, the JSON file of manage.py load: {error!r}")

REVISION = re.compile(r'name="revision" value="(\d+)"')
ORDER_LINK = re.compile(r'href="/backoffice/ordini/(\d+)/"')
RUN_PAGE = re.compile(r"/fatturazione/attivita/(\d+)/$")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
NUMBERS = itertools.count()  # one random sequence per user, as reproducible as the spawn order
HOSTS = PLAN.get("hosts") or []
BY_NODE = Counter()  # requests sent to each host
RUN = {}  # the generator's CPU and wall clock at the start of the run
LOGGED_IN = Counter()
WARMUP = {}  # the warm-up's figures per action, kept across the reset of the statistics


class Crowd(FastHttpUser):
    """One user's session: log in once, then actions until locust stops it (between two actions
    when --stop-timeout allows, so an action is not cut in half)."""

    abstract = True
    username = ""
    # No think time (the saturation run) unless the plan says otherwise.
    wait_time = between(*PLAN["think"]) if max(PLAN["think"]) > 0 else constant(0)
    network_timeout = connection_timeout = 60.0

    def on_start(self):
        number = next(NUMBERS)
        self.rnd = random.Random(number)  # noqa: S311 - load pattern, not security
        self.turn = itertools.count(number)  # users start on different nodes
        self.get("login page", "/accesso/")
        credentials = {"username": self.username, "password": PLAN["password"]}
        credentials["csrfmiddlewaretoken"] = self.csrf()
        with self.post("login", "/accesso/", credentials, catch_response=True) as response:
            if response.status_code == 200 and 'name="password"' in response.text:
                response.failure(f"login of {self.username} refused")
        LOGGED_IN["users"] += 1

    def csrf(self):
        return next((c.value for c in self.client.cookiejar if c.name == "csrftoken"), "")

    def url(self, path):
        """The next node's URL of path (the only host when there is one)."""
        if not HOSTS:
            return path
        host = HOSTS[next(self.turn) % len(HOSTS)]
        BY_NODE[host] += 1
        return host + path

    def get(self, name, path, **kwargs):
        return self.client.get(self.url(path), name=name, **kwargs)

    def post(self, name, path, fields=None, **kwargs):
        """A form post, the CSRF token in the X-CSRFToken header."""
        body = urlencode(fields or {}, doseq=True)
        headers = {**FORM, "X-CSRFToken": self.csrf()}
        return self.client.post(self.url(path), data=body, headers=headers, name=name, **kwargs)


class AfterSales(Crowd):
    """Tickets and contracts, and billing from them: "Crea Ordine", "Nuovo ordine", "Fattura
    attività"."""

    username = PLAN["after_sales_user"]

    def ticket(self):
        return self.rnd.choice(PLAN["tickets"])

    def contract(self):
        return self.rnd.choice(PLAN["contracts"])

    @task(3)
    def ticket_list(self):
        self.get("ticket list", "/segnalazioni/?to_bill=on")

    @task(3)
    def ticket_page(self):
        self.get("ticket page", f"/segnalazioni/{self.ticket()}/")

    @task(1)
    def crea_ordine(self):
        self.post("Crea Ordine", f"/fatturazione/segnalazioni/{self.ticket()}/crea-ordine/")

    @task(1)
    def contract_list(self):
        self.get("contract list", "/contratti/")

    @task(2)
    def contract_page(self):
        self.get("contract page", f"/contratti/{self.contract()}/")

    @task(1)
    def nuovo_ordine(self):
        self.post("Nuovo ordine", f"/fatturazione/contratti/{self.contract()}/nuovo-ordine/")

    @task(1)
    def fattura_attivita(self):
        """The preview stores the selection as a run and redirects to the run's page (the
        preview); confirming posts only the run."""
        selection = {"mode": "selected", "tickets": self.rnd.sample(PLAN["tickets"], 3)}
        preview = self.post(
            "Fattura attività: preview", "/fatturazione/attivita/anteprima/", selection
        )
        run = RUN_PAGE.search(preview.url or "")
        if run is None:
            return  # refused (the message is on the ticket list): nothing to confirm
        self.post("Fattura attività", f"/fatturazione/attivita/{run.group(1)}/conferma/")


class BackOffice(Crowd):
    """Browses the draft orders, opens one, and now and then sends it to the ERP."""

    username = PLAN["back_office_user"]

    def on_start(self):
        super().on_start()
        self.drafts = list(PLAN["orders"])

    @task(3)
    def order_list(self):
        page = self.get("order list", "/backoffice/ordini/?status=draft").text or ""
        self.drafts = [int(pk) for pk in ORDER_LINK.findall(page)] or self.drafts

    def order_page(self):
        """Open a draft; its page, its number and revision (None if not a draft any more)."""
        order = self.rnd.choice(self.drafts)
        response = self.get("order page", f"/backoffice/ordini/{order}/")
        revision = REVISION.search(response.text or "") if response.status_code == 200 else None
        return order, revision

    @task(4)
    def open_order(self):
        if not self.drafts:
            return self.order_list()
        self.order_page()

    @task(1)
    def send_order(self):
        if not self.drafts:
            return self.order_list()
        order, revision = self.order_page()
        if revision:  # only drafts offer the button
            self.post(
                "Invia al gestionale",
                f"/backoffice/ordini/{order}/invia/",
                {"revision": revision.group(1)},
            )
            self.drafts.remove(order)


@events.test_start.add_listener
def _run_started(environment, **_kwargs):
    gevent.spawn(_pace, environment)


def _pace(environment):
    """The warm-up until every user is logged in, then the measured run of PLAN["seconds"]."""
    users, started = environment.parsed_options.num_users, time.monotonic()
    deadline = started + PLAN.get("warmup_timeout", 180)
    while LOGGED_IN["users"] < users and time.monotonic() < deadline:
        gevent.sleep(0.1)
    stats = environment.runner.stats
    WARMUP["seconds"] = time.monotonic() - started
    WARMUP["actions"] = {
        entry.name: {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            **{f"p{n}": entry.get_response_time_percentile(n / 100) for n in (50, 95, 99)},
        }
        for entry in stats.entries.values()
    }
    WARMUP["errors"] = [
        {"name": error.name, "error": str(error.error), "occurrences": error.occurrences}
        for error in stats.errors.values()
    ]
    stats.reset_all()
    BY_NODE.clear()
    RUN.update(cpu=time.process_time(), wall=time.monotonic())
    if PLAN.get("started"):
        with open(PLAN["started"], "w", encoding="utf-8") as file:
            file.write("measuring\n")
    gevent.sleep(PLAN.get("seconds", 60))
    environment.runner.quit()


@events.test_stop.add_listener
def _run_stopped(**_kwargs):
    """The generator's own CPU time (all its threads) and wall time during the run."""
    if not RUN or not PLAN.get("generator"):
        return
    figures = {
        "cpu_seconds": time.process_time() - RUN["cpu"],
        "wall_seconds": time.monotonic() - RUN["wall"],
        "by_node": dict(BY_NODE),
        "warmup": WARMUP,
    }
    with open(PLAN["generator"], "w", encoding="utf-8") as file:
        json.dump(figures, file)


@events.quitting.add_listener
def _last_csv_turn(environment, **_kwargs):
    """locust rewrites its --csv files every second and closes them right after this event:
    give its writer one more turn, so that they hold the final figures of the run."""
    gevent.sleep(1.5)
