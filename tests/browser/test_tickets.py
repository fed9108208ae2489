"""Billing ticket activities as the users do it, in real Chromium."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from backoffice.models import Order
from tests.browser.conftest import log_in
from tickets.models import Activity, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def billable_tickets():
    return [t for t in Ticket.objects.order_by("pk") if t.activities.billable().exists()]


def test_postvendita_bills_one_ticket_from_the_intervento_tab(page):
    call_command("load_demo")
    ticket = billable_tickets()[0]
    expected = ticket.activities.billable().count()
    log_in(page, "postvendita")
    page.goto(f"{page.base_url}{ticket.get_absolute_url()}")
    page.click("#create-order button[type=submit]")
    message = page.locator(".alert-success")
    expect(message).to_contain_text("generato con le impostazioni di default")
    assert page.locator(".alert-success a").count() == 0  # no Back Office function, no link
    order = Order.objects.get(origin=Order.Origin.TICKET, source_id=ticket.pk)
    expect(message).to_contain_text(order.number)
    assert order.lines.count() == expected
    expect(page.locator("#activities")).to_contain_text(order.number)


def test_admin_filters_ticks_previews_confirms_and_opens_an_order(page):
    call_command("load_demo")
    chosen = billable_tickets()[:3]
    log_in(page, "admin")
    page.goto(f"{page.base_url}/segnalazioni/")
    page.check("#id_to_bill")  # filter: with activities to be billed
    expect(page).to_have_url(re.compile(r"to_bill=on"))
    for ticket in chosen:
        page.check(f"input[name=tickets][value='{ticket.pk}']")
    page.click("button[name=mode][value=selected]")
    expect(page.locator("#preview-orders")).to_have_text("3")
    assert Order.objects.filter(origin=Order.Origin.TICKET).count() == 1  # the demo's one
    page.click("#confirm-billing")
    expect(page.locator("#run-summary")).to_contain_text("3 ordini sono stati generati")
    first = chosen[0]
    order = Order.objects.get(origin=Order.Origin.TICKET, source_id=first.pk)
    page.click(f"#run-created >> text={order.number}")
    expect(page).to_have_url(re.compile(rf"/backoffice/ordini/{order.pk}/$"))
    activities = Activity.objects.filter(ticket=first).with_billing_state()
    billed = [a for a in activities if a.billed_order_id == order.pk]
    assert len(billed) == order.lines.count() > 0
    descriptions = page.locator("#order-lines form.order-line input[name$='-description']")
    expect(descriptions).to_have_count(len(billed))
    shown = [descriptions.nth(i).input_value() for i in range(len(billed))]
    for activity in billed:
        assert any(activity.description in text for text in shown)
