"""Faults on the way to the ERP, made for real: the ERP's port closed for a while, and a worker
process killed with SIGKILL while it waits for the ERP's answer."""

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from backoffice import services as order_services
from backoffice.erp import services as erp
from backoffice.models import Order, Transmission, TransmissionAttempt
from backoffice.permissions import MANAGE_ORDERS, SEND_TO_ERP
from devtools.stand_in_erp import StandInErp
from tests.backoffice.conftest import ERP_SECRET, wait_until
from tests.factories import CustomerFactory, OrderTypeFactory, ProductFactory, UserFactory

State = Transmission.State


def draft_order(actor):
    product = ProductFactory()
    return order_services.create_order(
        order_type=OrderTypeFactory(),
        customer=CustomerFactory(),
        actor=actor,
        lines=[
            order_services.LineDraft(
                product=product,
                description="Canone",
                quantity=Decimal("1"),
                unit_price=Decimal("100"),
            )
        ],
    )


def test_an_erp_down_for_a_while_gets_every_transmission_once_it_is_back(db, erp_settings):
    erp_up = StandInErp(secret=ERP_SECRET).start()
    port = erp_up.server.server_address[1]
    erp_settings.ERP_TRANSMISSION, erp_settings.ERP_URL = "http", erp_up.url
    erp_settings.ERP_MAX_ATTEMPTS = 8
    erp_up.stop()  # the ERP goes down: its port refuses connections

    actor = UserFactory(functions=[MANAGE_ORDERS, SEND_TO_ERP])
    transmissions = [erp.send_order(order=draft_order(actor), actor=actor) for _ in range(5)]
    for transmission in transmissions:  # the workers try while it is down
        erp.deliver_transmission(transmission_id=transmission.pk)
    assert set(Transmission.objects.values_list("state", flat=True)) == {State.QUEUED}
    assert (
        TransmissionAttempt.objects.filter(outcome=TransmissionAttempt.Outcome.ERROR).count() == 5
    )

    with StandInErp(secret=ERP_SECRET, port=port) as erp_back:
        deadline = time.monotonic() + 30
        while Transmission.objects.exclude(state=State.DELIVERED).exists():
            assert time.monotonic() < deadline, "not delivered after the ERP came back"
            for transmission_id in erp.sweep_transmissions():
                erp.deliver_transmission(transmission_id=transmission_id)
            time.sleep(0.05)
        assert len(erp_back.documents) == 5
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.SENT}


def worker_environment(erp_url):
    """The environment of a db_worker process using this test's database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm_billing.settings_test",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "ERP_TRANSMISSION": "http",
        "ERP_URL": erp_url,
        "ERP_SECRET": ERP_SECRET,
        "ERP_CONNECT_TIMEOUT": "1",
        "ERP_READ_TIMEOUT": "10",
        "ERP_LEASE_SECONDS": "12",
    }
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = db["NAME"]
    return env


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_is_redelivered_and_the_erp_keeps_one_document(
    erp_settings,
):
    erp_settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with StandInErp(secret=ERP_SECRET, delay=5) as stand_in:
        erp_settings.ERP_TRANSMISSION, erp_settings.ERP_URL = "http", stand_in.url
        actor = UserFactory(functions=[MANAGE_ORDERS, SEND_TO_ERP])
        transmission = erp.send_order(order=draft_order(actor), actor=actor)
        worker = subprocess.Popen(  # noqa: S603 - our own manage.py
            [sys.executable, "manage.py", "db_worker", "--interval", "0.1"],
            cwd=settings.BASE_DIR,
            env=worker_environment(stand_in.url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while not stand_in.requests:  # the worker has posted and waits for the answer
                assert time.monotonic() < deadline, "the worker never reached the ERP"
                time.sleep(0.05)
            worker.send_signal(signal.SIGKILL)
        finally:
            worker.kill()
            worker.wait(timeout=10)

        transmission.refresh_from_db()
        assert transmission.state == State.DELIVERING  # held by a worker that is gone
        stand_in.control(delay=0)
        wait_until(transmission.claimed_until)
        erp_settings.ERP_LEASE_SECONDS = 12
        assert transmission.pk in erp.sweep_transmissions(now=timezone.now())
        erp.deliver_transmission(transmission_id=transmission.pk)

        transmission.refresh_from_db()
        assert transmission.state == State.DELIVERED
        assert stand_in.requests_for(transmission.idempotency_key) == 2
        assert len(stand_in.documents) == 1
        assert transmission.order.status == Order.Status.SENT
        outcomes = list(transmission.attempts.order_by("number").values_list("outcome", flat=True))
        assert outcomes == [TransmissionAttempt.Outcome.LOST, TransmissionAttempt.Outcome.DELIVERED]
