"""The Orders/Offers list: search, sort, counts, constant queries, and its exports."""

import csv
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.urls import reverse

from backoffice import services
from backoffice.models import Order
from tests.factories import CustomerFactory, OrderTypeFactory

URL = reverse("backoffice:order_list")


@pytest.fixture
def bo_client(client, backoffice_user):
    client.force_login(backoffice_user)
    return client


def make_order(actor, *, customer=None, total=None):
    order = services.create_order(
        order_type=OrderTypeFactory(), customer=customer or CustomerFactory(), actor=actor
    )
    if total is not None:
        Order.objects.filter(pk=order.pk).update(total=total, total_net=total)
        order.refresh_from_db()
    return order


def listed(response):
    return [row.record.pk for row in response.context["page"]]


def test_the_search_finds_by_number_protocol_and_customer(bo_client, backoffice_user):
    rossi = make_order(backoffice_user, customer=CustomerFactory(name="Rossi Impianti"))
    other = make_order(backoffice_user)
    assert listed(bo_client.get(URL, {"q": "rossi"})) == [rossi.pk]
    assert listed(bo_client.get(URL, {"q": other.number})) == [other.pk]
    assert listed(bo_client.get(URL, {"q": other.protocol})) == [other.pk]


def test_the_total_column_sorts(bo_client, backoffice_user):
    orders = [make_order(backoffice_user, total=D(amount)) for amount in ("2500", "1200", "9000")]
    response = bo_client.get(URL, {"sort": "total"})
    assert listed(response) == [orders[1].pk, orders[0].pk, orders[2].pk]
    assert listed(bo_client.get(URL, {"sort": "-total"})) == [
        orders[2].pk,
        orders[0].pk,
        orders[1].pk,
    ]
    assert "3 ordini/offerte" in response.content.decode()


@pytest.mark.parametrize("count", [30, 300])
def test_the_list_costs_the_same_queries_with_10_times_the_rows(
    bo_client, backoffice_user, django_assert_max_num_queries, count
):
    customer, order_type = CustomerFactory(), OrderTypeFactory()
    for _ in range(count):
        services.create_order(order_type=order_type, customer=customer, actor=backoffice_user)
    for params in ({}, {"q": "c", "sort": "-total"}, {"erp_state": "not_sent", "sort": "owner"}):
        with django_assert_max_num_queries(12):
            assert bo_client.get(URL, params).status_code == 200


def test_the_exports_have_the_filtered_orders_italian_csv_and_real_xlsx(bo_client, backoffice_user):
    customer = CustomerFactory(name="Bianchi S.p.A.")
    order = make_order(backoffice_user, customer=customer, total=D("12345.60"))
    make_order(backoffice_user, total=D("1500"))
    text = b"".join(bo_client.get(URL, {"customer": customer.pk, "export": "csv"})).decode()
    header, *rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 1
    values = dict(zip(header, rows[0], strict=True))
    assert values["Num. Ordine"] == order.number
    assert values["Totale"] == "12.345,60"
    assert values["Data"] == order.date.strftime("%d/%m/%Y")
    assert values["Stato"] == order.get_status_display()
    response = bo_client.get(URL, {"customer": customer.pk, "export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, row = list(sheet.iter_rows(values_only=True))
    values = dict(zip(header, row, strict=True))
    assert values["Totale"] == pytest.approx(12345.60)
    assert values["Data"].date() == order.date


def test_the_export_needs_the_back_office_function(client, make_user, backoffice_user):
    make_order(backoffice_user)
    client.force_login(make_user())
    assert client.get(URL, {"export": "csv"}).status_code == 403
