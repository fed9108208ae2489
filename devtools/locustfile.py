"""The crowd of `make load`: half after-sales users, half back-office users, on locust.

`manage.py load` runs it headless in its own process (`python -m locust --headless -f ...`):
this file imports nothing from the project and needs no Django settings. What it needs comes
from the JSON file named by the LOAD_PLAN environment variable, written by the command:

    {"password": "...", "after_sales_user": "...", "back_office_user": "...",
     "tickets": [pk, ...], "contracts": [pk, ...], "orders": [pk, ...], "think": [min, max]}

Every request is named after its action, so locust's statistics have one row per action. Any
answer other than 2xx (redirects are followed) counts as a failure, as does a refused login.
"""

import itertools
import json
import os
import random
import re
import sys
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


class Crowd(FastHttpUser):
    """One user's session: log in once, then actions until locust stops it (between two actions
    when --stop-timeout allows, so an action is not cut in half)."""

    abstract = True
    username = ""
    # No think time (the saturation run) unless the plan says otherwise.
    wait_time = between(*PLAN["think"]) if max(PLAN["think"]) > 0 else constant(0)
    network_timeout = connection_timeout = 60.0

    def on_start(self):
        self.rnd = random.Random(next(NUMBERS))  # noqa: S311 - load pattern, not security
        self.client.get("/accesso/", name="login page")
        credentials = {"username": self.username, "password": PLAN["password"]}
        credentials["csrfmiddlewaretoken"] = self.csrf()
        with self.post("login", "/accesso/", credentials, catch_response=True) as response:
            if response.status_code == 200 and 'name="password"' in response.text:
                response.failure(f"login of {self.username} refused")

    def csrf(self):
        return next((c.value for c in self.client.cookiejar if c.name == "csrftoken"), "")

    def post(self, name, path, fields=None, **kwargs):
        """A form post, the CSRF token in the X-CSRFToken header."""
        body = urlencode(fields or {}, doseq=True)
        headers = {**FORM, "X-CSRFToken": self.csrf()}
        return self.client.post(path, data=body, headers=headers, name=name, **kwargs)


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
        self.client.get("/segnalazioni/?to_bill=on", name="ticket list")

    @task(3)
    def ticket_page(self):
        self.client.get(f"/segnalazioni/{self.ticket()}/", name="ticket page")

    @task(1)
    def crea_ordine(self):
        self.post("Crea Ordine", f"/fatturazione/segnalazioni/{self.ticket()}/crea-ordine/")

    @task(1)
    def contract_list(self):
        self.client.get("/contratti/", name="contract list")

    @task(2)
    def contract_page(self):
        self.client.get(f"/contratti/{self.contract()}/", name="contract page")

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
        page = self.client.get("/backoffice/ordini/?status=draft", name="order list").text or ""
        self.drafts = [int(pk) for pk in ORDER_LINK.findall(page)] or self.drafts

    def order_page(self):
        """Open a draft; its page, its number and revision (None if not a draft any more)."""
        order = self.rnd.choice(self.drafts)
        response = self.client.get(f"/backoffice/ordini/{order}/", name="order page")
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


@events.quitting.add_listener
def _last_csv_turn(environment, **_kwargs):
    """locust rewrites its --csv files every second and closes them right after this event:
    give its writer one more turn, so that they hold the final figures of the run."""
    gevent.sleep(1.5)
