"""Orders created at the same instant never share a number (real threads, real connections)."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from backoffice import services
from tests.factories import CustomerFactory, OrderTypeFactory, UserFactory

THREADS = 8


def run_at_once(target, count):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(target())
        except Exception as error:  # noqa: BLE001 - every failure is reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_simultaneous_orders_get_distinct_numbers_and_protocols():
    order_type, customer, user = OrderTypeFactory(), CustomerFactory(), UserFactory()

    def create():
        order = services.create_order(order_type=order_type, customer=customer, actor=user)
        return order.number, order.protocol

    results, errors = run_at_once(create, THREADS)
    assert errors == []
    numbers = sorted(number for number, _protocol in results)
    assert len(set(numbers)) == THREADS
    assert len({protocol for _number, protocol in results}) == THREADS
    year = timezone.localdate().year
    assert numbers == [
        order_type.format_number(year=year, seq=seq) for seq in range(1, THREADS + 1)
    ]
