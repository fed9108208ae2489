"""Invia al gestionale in real Chromium, with the stand-in ERP running on loopback."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from backoffice.erp import payload as erp_payload
from backoffice.erp import services as erp
from backoffice.models import Order, Transmission
from devtools.stand_in_erp import StandInErp
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "browser-test-erp-secret-0123456789abcdef"


def a_sendable_demo_order():
    for order in Order.objects.filter(status=Order.Status.DRAFT).order_by("pk"):
        if not erp.order_problems(*erp_payload.load_order(order.pk)):
            return order
    raise AssertionError("the demo data has no order ready to send")


def test_backoffice_sends_an_order_and_sees_the_erp_reference(page, settings):
    call_command("load_demo")
    order = a_sendable_demo_order()
    with StandInErp(secret=SECRET) as stand_in:
        settings.ERP_TRANSMISSION = "http"
        settings.ERP_URL = stand_in.url
        settings.ERP_SECRET = SECRET
        log_in(page, "backoffice")
        page.goto(f"{page.base_url}{order.get_absolute_url()}")
        expect(page.locator("#erp-transmissions .transmission")).to_have_count(0)
        page.click("#send-to-erp")

        expect(page.locator("#erp-reference")).to_have_text(re.compile(r"^ERP-\d{4}-\d{6}$"))
        (document,) = stand_in.documents.values()
        expect(page.locator("#erp-reference")).to_have_text(document["reference"])
        delivered = page.locator("#erp-transmissions .transmission-attempt")
        expect(delivered).to_have_count(1)
        expect(delivered).to_have_attribute("data-outcome", "delivered")
        expect(page.locator("#send-to-erp")).to_have_count(0)  # sent: read-only now
        expect(page.locator(".order-line .line-edit")).to_have_count(0)

    order.refresh_from_db()
    transmission = Transmission.objects.get(order=order)
    assert (order.status, order.erp_reference) == (Order.Status.SENT, document["reference"])
    assert document["payload"]["header"]["number"] == order.number
    assert stand_in.requests == [transmission.idempotency_key]
