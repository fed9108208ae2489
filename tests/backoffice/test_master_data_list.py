"""The master-data and user lists: search, sort, the "active" filter, exports."""

import csv
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse

from backoffice.permissions import MANAGE_MASTER_DATA
from crm_billing.permissions import MANAGE_USERS
from tests.factories import CustomerFactory, ProductFactory, UserFactory


def listed(response):
    return [row.record.pk for row in response.context["page"]]


def csv_rows(response):
    text = b"".join(response.streaming_content).decode()
    header, *rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture
def clerk(client, make_user):
    client.force_login(make_user(MANAGE_MASTER_DATA))
    return client


def test_master_data_search_sort_active_filter_and_export(clerk):
    url = reverse("backoffice:masterdata_list", args=["prodotti"])
    cheap = ProductFactory(code="ZZ-1", description="Assistenza", list_price=D("1200"))
    dear = ProductFactory(code="AA-2", description="Assistenza plus", list_price=D("9500.5"))
    off = ProductFactory(code="MM-3", description="Vecchio", active=False)
    assert set(listed(clerk.get(url, {"q": "assistenza"}))) == {cheap.pk, dear.pk}
    assert listed(clerk.get(url, {"q": "assistenza", "sort": "code"})) == [dear.pk, cheap.pk]
    assert listed(clerk.get(url, {"active": "0"})) == [off.pk]
    rows = csv_rows(clerk.get(url, {"q": "assistenza", "sort": "-code", "export": "csv"}))
    assert [row["Codice"] for row in rows] == ["ZZ-1", "AA-2"]
    assert rows[1]["Prezzo di listino"] == "9.500,50"


@pytest.mark.parametrize("count", [30, 300])
def test_the_customer_list_costs_the_same_queries_with_10_times_the_rows(
    clerk, django_assert_max_num_queries, count
):
    for _ in range(count):
        CustomerFactory()
    url = reverse("backoffice:masterdata_list", args=["clienti"])
    with django_assert_max_num_queries(10):
        assert clerk.get(url, {"q": "cliente", "sort": "-name"}).status_code == 200


def test_the_user_list_searches_sorts_and_exports_with_the_functions(client, make_user):
    admin = make_user(MANAGE_USERS, username="amministra")
    client.force_login(admin)
    url = reverse("administration:user_list")
    anna = UserFactory(username="anna", first_name="Anna", last_name="Verdi", is_active=False)
    assert listed(client.get(url, {"q": "verdi"})) == [anna.pk]
    assert listed(client.get(url, {"state": "inactive"})) == [anna.pk]
    rows = csv_rows(client.get(url, {"sort": "-username", "export": "csv"}))
    assert rows[0]["Nome utente"] == "anna"
    assert rows[0]["Stato"] == "disattivato"
    assert "Gestione Utenti" in {row["Nome utente"]: row for row in rows}["amministra"]["Funzioni"]


def test_the_user_export_needs_the_user_management_function(client, make_user):
    client.force_login(make_user(MANAGE_MASTER_DATA))
    assert client.get(reverse("administration:user_list"), {"export": "csv"}).status_code == 403
