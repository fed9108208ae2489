"""The master data edit page shows who changed what, when, and the values before and after, as
the page was submitted."""

from decimal import Decimal

import pytest
from django.urls import reverse

from backoffice.permissions import MANAGE_MASTER_DATA
from core.history import record_changes_by
from tests.factories import CustomerFactory, PaymentTermsFactory, ProductFactory, VatRateFactory
from tests.pages import form_as_rendered, history_rows, history_table


@pytest.fixture
def clerk(make_user):
    return make_user(MANAGE_MASTER_DATA, username="anagrafiche", first_name="Anna", last_name="Blu")


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


def page(kind, record):
    return reverse("backoffice:masterdata_update", args=[kind, record.pk])


def submit(client, url, change):
    data = form_as_rendered(client.get(url))
    change(data)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()


def test_editing_a_customer_shows_before_after_and_who_on_its_page(clerk_client, clerk):
    customer = CustomerFactory(pk=12_347, name="Termoidraulica Bassi S.r.l.")
    terms = PaymentTermsFactory(pk=10_230, name="Bonifico 30 gg d.f.")

    def edit(data):
        data["payment_terms"] = [str(terms.pk)]
        data["discount_percent"] = ["12,50"]
        del data["active"]  # unticked

    submit(clerk_client, page("clienti", customer), edit)

    assert customer.history.first().history_user == clerk
    rows = history_rows(clerk_client.get(page("clienti", customer)))
    assert [row[1:] for row in rows] == [
        ["Anna Blu", "Attivo", "Sì", "No"],
        ["Anna Blu", "Condizioni di pagamento", "—", "Bonifico 30 gg d.f."],
        ["Anna Blu", "Sconto %", "0,00", "12,50"],
        ["Sistema", "Creazione", "—", "—"],
    ]


def test_editing_a_product_shows_amounts_the_italian_way(clerk_client):
    product = ProductFactory(pk=15_003, list_price=Decimal("1200.00"))
    reduced = VatRateFactory(pk=10_010, code="10", description="IVA 10%", rate=Decimal("10"))

    def edit(data):
        data["list_price"] = ["1.350,00"]
        data["vat_rate"] = [str(reduced.pk)]

    submit(clerk_client, page("prodotti", product), edit)
    table = history_table(clerk_client.get(page("prodotti", product)))
    assert table.headings == ["Storico delle modifiche"]
    assert table.heading_scopes == ["col"] * 5
    assert [row[1:] for row in table.rows[:2]] == [
        ["Anna Blu", "Prezzo di listino", "1.200,00", "1.350,00"],
        ["Anna Blu", "Aliquota IVA", "IVA 22%", "IVA 10%"],
    ]


@pytest.mark.parametrize("changes", [1, 25])
def test_the_customer_page_costs_the_same_queries_however_long_the_history(
    clerk_client, make_user, django_assert_max_num_queries, changes
):
    customer = CustomerFactory(pk=12_348)
    for number in range(changes):
        record_changes_by(customer, make_user(username=f"collega{number}"))
        customer.payment_terms = PaymentTermsFactory()
        customer.discount_percent = Decimal(number % 50)
        customer.save()
    with django_assert_max_num_queries(14):
        response = clerk_client.get(page("clienti", customer))
    assert len(history_rows(response)) >= changes
