"""The contract and renewal lists: search, sort, counts, constant queries, exports."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal as D

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice import services
from contracts.permissions import MANAGE_CONTRACTS
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    OrderTypeFactory,
    RenewalFactory,
    UserFactory,
)

CONTRACTS = reverse("contracts:contract_list")
RENEWALS = reverse("contracts:renewal_list")


@pytest.fixture
def operator(client, make_user):
    client.force_login(make_user(MANAGE_CONTRACTS))
    return client


def listed(response):
    return [row.record.pk for row in response.context["page"]]


def csv_export(client, url, params):
    text = b"".join(client.get(url, {**params, "export": "csv"}).streaming_content).decode()
    header, *rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_the_contract_search_finds_by_number_and_customer(operator):
    rossi = ContractFactory(number="CTR-9001", customer=CustomerFactory(name="Rossi Termica"))
    other = ContractFactory(number="CTR-9002")
    assert listed(operator.get(CONTRACTS, {"q": "rossi"})) == [rossi.pk]
    assert listed(operator.get(CONTRACTS, {"q": "9002"})) == [other.pk]


def test_the_contract_columns_sort(operator):
    cheap = ContractFactory(customer_cost=D("1200"))
    dear = ContractFactory(customer_cost=D("9800.50"))
    assert listed(operator.get(CONTRACTS, {"sort": "customer_cost"})) == [cheap.pk, dear.pk]
    response = operator.get(CONTRACTS, {"sort": "-customer_cost"})
    assert listed(response) == [dear.pk, cheap.pk]
    assert "2 contratti" in response.content.decode()


@pytest.mark.parametrize("count", [30, 300])
def test_the_contract_list_costs_the_same_queries_with_10_times_the_rows(
    operator, django_assert_max_num_queries, count
):
    customer = CustomerFactory()
    for _ in range(count):
        RenewalFactory(contract=ContractFactory(customer=customer))
    for url in (CONTRACTS, RENEWALS):
        for params in ({}, {"q": "ctr", "sort": "-customer"}):
            with django_assert_max_num_queries(12):
                assert operator.get(url, params).status_code == 200


def test_the_contract_exports(operator):
    contract = ContractFactory(
        customer_cost=D("12500.00"), start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)
    )
    ContractFactory()
    (row,) = csv_export(operator, CONTRACTS, {"q": contract.number})
    assert row["Num. Contratto"] == contract.number
    assert row["Costo al cliente"] == "12.500,00"
    assert row["Data inizio"] == "01/01/2026"
    response = operator.get(CONTRACTS, {"q": contract.number, "export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, values = list(sheet.iter_rows(values_only=True))
    values = dict(zip(header, values, strict=True))
    assert values["Costo al cliente"] == 12500
    assert values["Data inizio"].date() == date(2026, 1, 1)


def test_the_renewal_list_searches_filters_and_exports(operator):
    order = services.create_order(
        order_type=OrderTypeFactory(), customer=CustomerFactory(), actor=UserFactory()
    )
    billed = RenewalFactory(
        contract=ContractFactory(number="CTR-7001", customer=order.customer),
        cost=D("1450.30"),
        order=order,
    )
    unbilled = RenewalFactory(contract=ContractFactory(number="CTR-7002"))
    assert listed(operator.get(RENEWALS, {"q": "7001"})) == [billed.pk]
    assert listed(operator.get(RENEWALS, {"q": order.protocol})) == [billed.pk]
    assert listed(operator.get(RENEWALS, {"order": "without"})) == [unbilled.pk]
    response = operator.get(RENEWALS, {"order": "with"})
    assert listed(response) == [billed.pk]
    body = response.content.decode()
    assert billed.get_absolute_url() in body and "1.450,30 €" in body
    (row,) = csv_export(operator, RENEWALS, {"order": "with"})
    assert row["Costo di rinnovo"] == "1.450,30"
    assert row["Prot. Int."] == order.protocol


def test_the_renewal_list_needs_the_contracts_function(client, make_user):
    client.force_login(make_user())
    assert client.get(RENEWALS).status_code == 403
    assert client.get(RENEWALS, {"export": "csv"}).status_code == 403


def test_the_scadenzario_exports_every_contract_listed_in_its_order(operator):
    today = timezone.localdate()
    first = ContractFactory(
        start_date=today - timedelta(300), end_date=today + timedelta(5), notice_days=30
    )
    second = ContractFactory(
        start_date=today - timedelta(300), end_date=today + timedelta(20), customer_cost=D("1999")
    )
    ContractFactory(start_date=today, end_date=today + timedelta(days=200))  # not due
    url = reverse("billing:renewals_due")
    assert 'id="export-csv"' in operator.get(url).content.decode()
    rows = csv_export(operator, url, {"sort": "end"})
    assert [row["Num. Contratto"] for row in rows] == [first.number, second.number]
    # An ended contract's end: the date itself, not the page's "scaduto" badge.
    ended = ContractFactory(start_date=today - timedelta(400), end_date=today - timedelta(3))
    rows = {row["Num. Contratto"]: row for row in csv_export(operator, url, {"sort": "end"})}
    assert rows[ended.number]["Fine del periodo in corso"] == (today - timedelta(3)).strftime(
        "%d/%m/%Y"
    )
    rows = [rows[first.number], rows[second.number]]
    notice = (today + timedelta(5) - timedelta(30)).strftime("%d/%m/%Y")
    assert rows[0]["Termine per la disdetta"] == notice
    assert rows[1]["Costo al cliente"] == "1.999,00"
