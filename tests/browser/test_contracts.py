"""Configurazione fatturazione and 'Nuovo ordine' as the users do them, in real Chromium."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from backoffice import services as order_services
from backoffice.models import Order
from contracts.forms import ORDERS_SHOWN
from contracts.models import Contract, Renewal
from crm_billing.models import BillingProfile
from tests.browser.conftest import log_in
from tests.factories import ContractFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_sets_the_three_defaults(page):
    call_command("load_demo")
    BillingProfile.objects.update(order_type=None, deal_subject=None, product=None)
    log_in(page, "admin")
    page.goto(f"{page.base_url}/amministrazione/configurazione-fatturazione/")
    for case, subject, product in [
        ("new_contract", "Contratto di assistenza", "CAN-ASS - Canone assistenza annuale"),
        ("renewal", "Rinnovo contratto di assistenza", "CAN-ASS - Canone assistenza annuale"),
        ("activity", "Interventi tecnici a consuntivo", "INT-ORA - Intervento tecnico (ora)"),
    ]:
        page.select_option(f"#id_{case}-order_type", label="Ordine cliente")
        page.select_option(f"#id_{case}-deal_subject", label=subject)
        page.select_option(f"#id_{case}-product", label=product)
    page.click("text=Salva configurazione")
    expect(page.locator(".alert-success")).to_contain_text("Configurazione fatturazione salvata")
    expect(page.locator("#configuration-changes")).to_contain_text("Anna Amministratrice")
    assert not any(profile.missing for profile in BillingProfile.objects.all())


def test_postvendita_generates_the_order_of_a_contract_without_back_office_link(page):
    call_command("load_demo")
    contract = Contract.objects.get(number="CTR-0001")  # Costo al cliente 1.500,00
    log_in(page, "postvendita")
    page.goto(f"{page.base_url}{contract.get_absolute_url()}")
    page.click("#new-order-button")
    message = page.locator(".alert-success")
    expect(message).to_contain_text("generato con le impostazioni di default")
    expect(message).to_contain_text("costo al cliente del contratto")
    order = Contract.objects.get(pk=contract.pk).order
    expect(message).to_contain_text(order.protocol)
    assert page.locator(".alert-success a").count() == 0
    assert order.lines.get().net_amount == Decimal("1500.00")


@pytest.mark.parametrize(
    ("rule", "rule_label", "expected"),
    [
        # CTR-0005's second renewal has no cost; the first cost 1.050,00.
        ("last_cost", "l'ultimo costo di rinnovo del contratto", "1.050,00 €"),
        ("list_price", "il prezzo di listino del prodotto/servizio impostato", "1.200,00 €"),
        # CTR-0005 is indexed at 75%; the demo's FOI grows 1,8 % a year:
        # 1.050,00 × (1 + 1,8% × 75%) = 1.064,175 → 1.064,18
        ("indexed", "rivalutato", "1.064,18 €"),
    ],
)
def test_admin_generates_a_renewal_order_with_each_rule_and_opens_it(
    page, rule, rule_label, expected
):
    call_command("load_demo")
    BillingProfile.objects.filter(case="renewal").update(renewal_pricing=rule)
    renewal = Renewal.objects.filter(contract__number="CTR-0005", cost__isnull=True).get()
    log_in(page, "admin")
    page.goto(f"{page.base_url}{renewal.get_absolute_url()}")
    page.click("#new-order-button")
    expect(page.locator(".alert-success")).to_contain_text(
        "generato con le impostazioni di default"
    )
    page.click(".alert-success >> text=Apri nel Back Office")
    expect(page).to_have_url(re.compile(r"/backoffice/ordini/\d+/$"))
    expect(page.locator("#total-net")).to_have_text(expected)
    order = Renewal.objects.get(pk=renewal.pk).order
    assert order.origin == Order.Origin.RENEWAL


def test_nuovo_ordine_saves_a_typed_cost_first_and_bills_it(page):
    call_command("load_demo")
    contract = Contract.objects.get(number="CTR-0002")  # no Costo al cliente: list price
    log_in(page, "postvendita")
    page.goto(f"{page.base_url}{contract.get_absolute_url()}")
    page.fill("#id_customer_cost", "2.345,60")
    page.click("#new-order-button")  # without pressing "Salva"
    expect(page.locator(".alert-success")).to_contain_text(
        "generato con le impostazioni di default"
    )
    contract.refresh_from_db()
    assert contract.customer_cost == Decimal("2345.60")
    assert contract.order.lines.get().net_amount == Decimal("2345.60")
    expect(page.locator("#id_customer_cost")).to_have_value("2.345,60")


def test_nuovo_ordine_with_an_invalid_change_generates_nothing_and_shows_why(page):
    call_command("load_demo")
    contract = Contract.objects.get(number="CTR-0002")
    log_in(page, "postvendita")
    page.goto(f"{page.base_url}{contract.get_absolute_url()}")
    page.fill("#id_customer_cost", "0.125")  # an unclear number: refused, never guessed
    page.click("#new-order-button")
    expect(page.locator(".alert-danger")).to_contain_text("non è stato generato")
    expect(page.locator("#id_customer_cost")).to_have_class(re.compile("is-invalid"))
    expect(page.locator("#id_customer_cost")).to_have_value("0.125")
    contract.refresh_from_db()
    assert contract.order_id is None and contract.customer_cost is None


def test_the_scadenzario_renews_a_contract_due_and_rinnova_on_the_contract_page(page):
    call_command("load_demo")
    today = timezone.localdate()
    due = ContractFactory(
        number="CTR-DUE-1",
        customer=Contract.objects.first().customer,
        start_date=today - timedelta(days=340),
        end_date=today + timedelta(days=25),
        customer_cost=Decimal("1980.00"),
        tacit_renewal=True,
        notice_days=30,
    )
    log_in(page, "postvendita")
    page.goto(f"{page.base_url}/fatturazione/scadenzario/")
    row = page.locator(f"#due-{due.pk}")
    expect(row).to_contain_text(due.number)
    expect(row).to_contain_text("1.980,00 €")
    row.locator("button", has_text="Rinnova").click()
    expect(page.locator(".alert-success")).to_contain_text(due.number)
    renewal = due.renewals.get()
    assert renewal.start_date == today + timedelta(days=26)
    assert renewal.cost == Decimal("1980.00")
    # On the contract page, "Rinnova" renews the period after that one.
    page.goto(f"{page.base_url}{due.get_absolute_url()}")
    page.click("#renew-button")
    expect(page.locator(".alert-success")).to_contain_text("Rinnovo")
    assert due.renewals.count() == 2
    second = due.renewals.order_by("start_date").last()
    assert second.start_date == renewal.end_date + timedelta(days=1)


def test_rinnova_e_fattura_of_the_ticked_rows_through_the_pages(page):
    call_command("load_demo")
    today = timezone.localdate()
    customer = Contract.objects.first().customer
    chosen = [
        ContractFactory(
            number=f"CTR-BULK-{days}",
            customer=customer,
            start_date=today - timedelta(days=330),
            end_date=today + timedelta(days=days),
            customer_cost=Decimal(cost),
        )
        for days, cost in ((30, "1500.00"), (40, "2750.50"))
    ]
    log_in(page, "admin")
    page.goto(f"{page.base_url}/fatturazione/scadenzario/")
    # The header's box ticks and clears every row of the page (the rows are outside the form).
    boxes = page.locator("input[name=contracts]")
    page.check("#select-all")
    assert boxes.count() > 2 and all(box.is_checked() for box in boxes.all())
    page.uncheck("#select-all")
    assert not any(box.is_checked() for box in boxes.all())
    for contract in chosen:
        assert contract.pk > 10_000
        page.check(f"input[name=contracts][value='{contract.pk}']")
    page.click("#renew-and-bill")
    expect(page.locator("#preview-renewals")).to_have_text("2")
    expect(page.locator("#renewal-preview")).to_contain_text("2.750,50 €")
    page.click("#confirm-renewals")
    expect(page.locator("#run-summary")).to_contain_text("2 ordini sono stati generati")
    for contract in chosen:
        renewal = contract.renewals.get()
        assert renewal.start_date == contract.end_date + timedelta(days=1)
        assert renewal.order.total_net == contract.customer_cost
        assert renewal.order.origin == Order.Origin.RENEWAL


def test_an_old_order_is_found_by_searching_and_linked_to_the_contract(page):
    call_command("load_demo")
    contract = Contract.objects.get(number="CTR-0001")
    Contract.objects.filter(pk=contract.pk).update(order=None)
    order_type = Order.objects.filter(customer=contract.customer).first().order_type
    drafts = [
        order_services.OrderDraft(order_type=order_type, customer=contract.customer, lines=[])
    ] * (ORDERS_SHOWN + 5)
    oldest = order_services.create_orders(
        drafts=drafts, actor=get_user_model().objects.get(username="admin")
    )[0]
    Order.objects.filter(pk=oldest.pk).update(date=timezone.localdate() - timedelta(days=900))
    log_in(page, "admin")
    page.goto(f"{page.base_url}{contract.get_absolute_url()}")
    option = page.locator(f"#id_order option[value='{oldest.pk}']")
    expect(option).to_have_count(0)  # not among the most recent shown
    page.fill("#order-search-q", oldest.number)  # the server searches (htmx)
    expect(option).to_have_count(1)
    page.select_option("#id_order", str(oldest.pk))
    page.press("#order-search-q", "Enter")  # with JS, Enter searches: the page stays
    expect(page.locator("#id_order")).to_have_value(str(oldest.pk))
    page.click("#record-form button:has-text('Salva')")
    expect(page.locator(".alert-success")).to_be_visible()
    assert Contract.objects.get(pk=contract.pk).order_id == oldest.pk
