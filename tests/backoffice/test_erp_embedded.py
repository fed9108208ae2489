"""The embedded default (`make run`): the first attempt runs inline after the click, and a due
retry runs when the order page asks for news; no worker process, no cron."""

import pytest
from django.urls import reverse

from backoffice.erp import services as erp
from backoffice.models import Order, Transmission
from tests.backoffice.conftest import wait_until


@pytest.fixture
def bo_client(client, backoffice_user):
    client.force_login(backoffice_user)
    return client


def test_a_retry_runs_when_the_order_page_polls(
    bo_client, stand_in, order, django_capture_on_commit_callbacks
):
    stand_in.control(fail_next=1, status=503)
    with django_capture_on_commit_callbacks(execute=True):
        bo_client.post(reverse("backoffice:order_send", args=[order.pk]), {"revision": 1})
    transmission = Transmission.objects.get()
    assert transmission.state == Transmission.State.QUEUED  # the inline attempt got a 503
    wait_until(transmission.next_attempt_at)
    # A GET of the card only reads, whatever is due.
    bo_client.get(
        reverse("backoffice:order_transmissions", args=[order.pk]),
        headers={"HX-Request": "true"},
    )
    transmission.refresh_from_db()
    assert transmission.state == Transmission.State.QUEUED
    with django_capture_on_commit_callbacks(execute=True):
        response = bo_client.post(
            reverse("backoffice:order_transmissions", args=[order.pk]),
            headers={"HX-Request": "true"},
        )
    transmission.refresh_from_db()
    assert transmission.state == Transmission.State.DELIVERED
    assert Order.objects.get(pk=order.pk).status == Order.Status.SENT
    assert response["HX-Refresh"] == "true"
    assert len(stand_in.documents) == 1


def test_no_retry_is_run_before_it_is_due(bo_client, stand_in, order, erp_settings):
    erp_settings.ERP_BACKOFF_BASE = erp_settings.ERP_BACKOFF_CAP = 600  # due in minutes
    stand_in.control(fail_next=1, status=503)
    transmission = erp.send_order(order=order, actor=order.owner)
    erp.deliver_transmission(transmission_id=transmission.pk)
    erp.retry_due_inline(order=order)
    transmission.refresh_from_db()
    assert transmission.state == Transmission.State.QUEUED
    assert transmission.attempt_count == 1
