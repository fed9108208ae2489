"""Billing ticket activities as the users do it, in real Chromium."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from backoffice.models import Order, OrderLine
from tests.browser.conftest import log_in
from tests.factories import CustomerFactory
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
        assert ticket.pk > 10_000  # rendered without a thousands separator, or this fails
        page.check(f"input[name=tickets][value='{ticket.pk}']")
    expect(page.locator("#mode-selected")).to_be_checked()
    page.click("#bill-activities")
    expect(page.locator("#preview-orders")).to_have_text("3")
    assert Order.objects.filter(origin=Order.Origin.TICKET).count() == 2  # the demo's two
    page.click("#confirm-billing")
    expect(page.locator("#run-summary")).to_contain_text("3 ordini sono stati generati")
    first = chosen[0]
    order = Order.objects.get(origin=Order.Origin.TICKET, source_id=first.pk)
    page.click(f"#run-created >> text={order.number}")
    expect(page).to_have_url(re.compile(rf"/backoffice/ordini/{order.pk}/$"))
    activities = Activity.objects.filter(ticket=first).with_billing_state()
    billed = [a for a in activities if a.billed_order_id == order.pk]
    assert len(billed) == order.lines.count() > 0
    descriptions = page.locator("#order-lines .order-line .line-description")
    expect(descriptions).to_have_count(len(billed))
    shown = [descriptions.nth(i).inner_text() for i in range(len(billed))]
    for activity in billed:
        assert any(activity.description in text for text in shown)


def test_select_all_ticks_every_ticket_of_the_page(page):
    call_command("load_demo")
    log_in(page, "admin")
    page.goto(f"{page.base_url}/segnalazioni/?to_bill=on")
    boxes = page.locator("input[name=tickets]")
    page.check("#select-all")
    assert boxes.count() > 1
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    page.uncheck("#select-all")
    assert not any(boxes.nth(i).is_checked() for i in range(boxes.count()))


def test_all_2000_filtered_tickets_are_billed_through_the_pages(page, settings):
    call_command("load_demo")
    customer = make_billable_tickets(2000)
    log_in(page, "admin")
    page.goto(f"{page.base_url}/segnalazioni/")
    page.fill("#id_customer_q", customer.name)  # the dropdown lists a few: search for it
    expect(page.locator(f"#id_customer option[value='{customer.pk}']")).to_have_count(1)
    page.select_option("#id_customer", str(customer.pk))
    expect(page).to_have_url(re.compile(rf"customer={customer.pk}"))
    expect(page.locator("label[for=mode-filtered]")).to_contain_text("2.000")
    page.check("#mode-filtered")
    page.click("#bill-activities")
    expect(page.locator("#preview-orders")).to_have_text("2.000", timeout=60_000)
    page.click("#confirm-billing")
    expect(page.locator("#run-summary")).to_contain_text(
        "2.000 ordini sono stati generati", timeout=120_000
    )
    orders = Order.objects.filter(customer=customer, origin=Order.Origin.TICKET)
    assert orders.count() == 2000
    assert OrderLine.objects.filter(order__customer=customer, is_live=True).count() == 2000


def make_billable_tickets(count):
    """A customer with `count` tickets, each with one billable activity (closed, to be billed),
    written in bulk: a month of a busy office."""
    template = Activity.objects.billable().select_related("ticket").first()
    customer = CustomerFactory(name="Cliente con molte segnalazioni")
    tickets = Ticket.objects.bulk_create(
        Ticket(customer=customer, subject=f"Intervento {n}", opened_on=template.ticket.opened_on)
        for n in range(count)
    )
    Activity.objects.bulk_create(
        Activity(
            ticket=ticket,
            date=template.date,
            technician=template.technician,
            description=f"Riparazione {n}",
            duration_minutes=90,
            status=template.status,
            condition=template.condition,
        )
        for n, ticket in enumerate(tickets)
    )
    return customer


def test_a_ticket_with_rates_prepaid_hours_call_out_travel_and_materials_bills_each_line(page):
    """The demo's boiler ticket is under a contract with its own hourly rate and 2 of its 20
    prepaid hours left; the technician adds one more on-site activity with km and filters."""
    call_command("load_demo")
    ticket = Ticket.objects.get(subject="Caldaia in blocco, centrale termica")
    log_in(page, "admin")
    page.goto(f"{page.base_url}{ticket.get_absolute_url()}")
    expect(page.locator(".prepaid-status.alert-warning")).to_contain_text("2,00 h")
    page.click("text=Nuova attività")
    page.fill("#id_date", ticket.opened_on.isoformat())
    page.select_option("#id_activity_type", label="Intervento in sede")
    page.fill("#id_description", "Controllo tenuta dopo la sostituzione")
    page.fill("#id_duration_minutes", "40")  # rounded up to 45 minutes
    page.fill("#id_km", "10")
    page.select_option("#id_status", label="Completata")
    page.select_option("#id_condition", label="A pagamento")
    page.select_option("#id_materials-0-product", label="RIC-FILTRO - Filtro aria")
    page.fill("#id_materials-0-quantity", "3")
    page.click("form button[type=submit]:has-text('Salva')")
    expect(page.locator(".alert-success")).to_contain_text("Attività salvata")
    page.click("#create-order button[type=submit]")
    order = Order.objects.get(origin=Order.Origin.TICKET, source_id=ticket.pk)
    page.goto(f"{page.base_url}{order.get_absolute_url()}")
    lines = page.locator("#order-lines .order-line")
    expected = [
        # (kind, where the price came from, amount)
        ("call_out", "listino", "35,00"),  # once for the day, though two activities on site
        ("prepaid", "monte ore", "0,00"),  # 2 of the 3 hours, from the package
        ("item", "tariffa contratto", "50,00"),  # the third hour at the contract's rate
        ("travel", "listino", "38,40"),  # 64 km × 0,60 €
        ("material", "listino", "1.480,00"),  # the pump
        ("material", "listino", "37,00"),  # two filters
        ("item", "tariffa contratto", "37,50"),  # the new activity: 45 min at 50,00 €
        ("travel", "listino", "6,00"),  # 10 km
        ("material", "listino", "55,50"),  # three filters
        ("item", "listino", "22,50"),  # remote half hour, next day: no call-out, no km
    ]
    expect(lines).to_have_count(len(expected))
    stored = list(order.lines.order_by("position"))
    for index, (kind, source, amount) in enumerate(expected):
        line = lines.nth(index)
        expect(line.locator(".line-amount")).to_have_text(f"{amount} €")
        expect(line.locator(".price-source")).to_have_text(source)
        assert stored[index].kind == kind
    expect(page.locator("#total-net")).to_have_text("1.761,90 €")
    assert OrderLine.objects.get(order=order, kind="prepaid").description.endswith(
        "a scalare dal monte ore, residuo 0,00 h"
    )
