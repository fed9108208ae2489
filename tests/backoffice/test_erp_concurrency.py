"""Two workers draining the same queue deliver every transmission exactly once (real threads,
real connections). Both workers try every transmission in the same order, the second a moment
after the first, so each keeps arriving at the transmission the other is delivering (as
duplicated tasks would make them do): only the claim keeps them apart. Row locks and the lease
do it on PostgreSQL; on SQLite the IMMEDIATE transactions serialize the claims, which must be
enough there too."""

import threading
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection

from backoffice import services
from backoffice.erp import services as erp
from backoffice.models import Order, Transmission
from backoffice.permissions import MANAGE_ORDERS, SEND_TO_ERP
from tests.factories import CustomerFactory, OrderTypeFactory, ProductFactory

ORDERS = 30


@pytest.mark.django_db(transaction=True)
def test_two_workers_deliver_every_transmission_exactly_once(stand_in, erp_settings, make_user):
    # Tasks are not run here: the two workers below are the only ones delivering.
    erp_settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    stand_in.control(delay=0.03)  # a little network time widens the window for a double send
    actor = make_user(MANAGE_ORDERS, SEND_TO_ERP)
    order_type, product = OrderTypeFactory(), ProductFactory()
    ids = []
    for _ in range(ORDERS):
        order = services.create_order(
            order_type=order_type,
            customer=CustomerFactory(),
            actor=actor,
            lines=[
                services.LineDraft(
                    product=product,
                    description="x",
                    quantity=Decimal("1"),
                    unit_price=Decimal("10"),
                )
            ],
        )
        ids.append(erp.send_order(order=order, actor=actor).pk)

    barrier = threading.Barrier(2)
    delivered, errors = Counter(), []

    def worker(start_after):
        try:
            barrier.wait()
            time.sleep(start_after)
            for transmission_id in ids:
                if erp.deliver_transmission(transmission_id=transmission_id) is not None:
                    delivered[transmission_id] += 1
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(start_after,)) for start_after in (0, 0.01)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert delivered == Counter(dict.fromkeys(ids, 1))
    transmissions = Transmission.objects.filter(pk__in=ids)
    assert {t.state for t in transmissions} == {Transmission.State.DELIVERED}
    assert {t.attempt_count for t in transmissions} == {1}
    keys = [t.idempotency_key for t in transmissions]
    # Every key reached the ERP exactly once: never two deliveries of one transmission at a time.
    assert Counter(stand_in.requests) == Counter(dict.fromkeys(keys, 1))
    assert len(stand_in.documents) == ORDERS
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.SENT}
