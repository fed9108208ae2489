"""The lists' dropdowns of a table that grows (customers, technicians): a few rows listed, the
others found by a search, any of them chosen by a link; their cost does not grow with the table."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.models import Customer
from core.filters import CHOICES_SHOWN
from tests.factories import CustomerFactory, TicketFactory, UserFactory

LISTS = [
    reverse("tickets:ticket_list"),
    reverse("backoffice:order_list"),
    reverse("contracts:contract_list"),
    reverse("contracts:renewal_list"),
    reverse("billing:renewals_due"),
]


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def options(html: str, name: str) -> list[str]:
    """The labels of the options of the dropdown `name`."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.DOTALL)
    assert select, f"no dropdown {name}"
    return re.findall(r"<option [^>]*>([^<]*)</option>", select.group(1))


def chosen(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.DOTALL)
    return re.findall(r'<option value="(\d*)" selected>', select.group(1))


def make_customers(count):
    Customer.objects.bulk_create(
        Customer(code=f"K{n:05}", name=f"Cliente {n:05}") for n in range(count)
    )


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("count", [30, 300])
def test_the_customer_dropdown_lists_as_many_customers_with_30_or_300(
    admin, django_assert_max_num_queries, url, count
):
    make_customers(count)
    with django_assert_max_num_queries(12):
        html = admin.get(url).content.decode()
    listed = options(html, "customer")
    assert len(listed) == CHOICES_SHOWN + 1  # and "---------"
    assert listed[1:] == [f"Cliente {n:05}" for n in range(CHOICES_SHOWN)]  # by name
    assert f"Cliente {CHOICES_SHOWN:05}" not in html


@pytest.mark.parametrize("url", LISTS)
def test_a_link_to_a_customer_not_listed_shows_it_chosen(admin, url):
    make_customers(CHOICES_SHOWN + 10)
    rossi = CustomerFactory(name="Zeta Rossi S.r.l.")
    html = admin.get(url, {"customer": rossi.pk}).content.decode()
    assert chosen(html, "customer") == [str(rossi.pk)]
    assert options(html, "customer")[-1] == "Zeta Rossi S.r.l."


def test_the_link_filters_the_tickets_by_a_customer_not_listed(admin):
    make_customers(CHOICES_SHOWN + 10)
    rossi = CustomerFactory(name="Zeta Rossi S.r.l.")
    mine = TicketFactory(customer=rossi)
    TicketFactory()
    response = admin.get(reverse("tickets:ticket_list"), {"customer": rossi.pk})
    assert [row.record.pk for row in response.context["page"]] == [mine.pk]


@pytest.mark.parametrize("url", LISTS)
def test_the_search_box_lists_the_matching_customers_and_keeps_the_chosen_one(admin, url):
    make_customers(CHOICES_SHOWN + 10)
    rossi = CustomerFactory(name="Idraulica Rossi", code="C-ROSSI")
    bianchi = CustomerFactory(name="Termo Bianchi", code="C-BIANCHI")
    # htmx, as the user types: the options only.
    response = admin.get(url, {"options": "customer", "customer_q": "c-ross"})
    assert options(f'<select name="customer">{response.content.decode()}</select>', "customer") == [
        "---------",
        "Idraulica Rossi",
    ]
    response = admin.get(
        url, {"options": "customer", "customer_q": "rossi", "customer": bianchi.pk}
    )
    body = f'<select name="customer">{response.content.decode()}</select>'
    assert options(body, "customer") == ["---------", "Idraulica Rossi", "Termo Bianchi"]
    assert chosen(body, "customer") == [str(bianchi.pk)]
    # Without JavaScript the search goes with the filters: the page lists the matches, the
    # rows are not filtered by it.
    html = admin.get(url, {"customer_q": "idraulica"}).content.decode()
    assert options(html, "customer") == ["---------", "Idraulica Rossi"]
    assert 'name="customer_q" value="idraulica"' in html
    assert chosen(html, "customer") == [""]  # "---------"
    assert rossi.pk != bianchi.pk


def test_a_customer_that_does_not_exist_is_refused_as_before(admin):
    response = admin.get(reverse("tickets:ticket_list"), {"customer": "999999999"})
    assert "customer" in response.context["filters"].errors
    assert list(response.context["page"]) == []


def test_the_technician_dropdown_lists_a_few_and_finds_the_others(admin):
    for n in range(CHOICES_SHOWN + 5):
        UserFactory(username=f"tec{n:03}", first_name=f"Tecnico {n:03}")
    url = reverse("tickets:ticket_list")
    html = admin.get(url).content.decode()
    assert len(options(html, "technician")) == CHOICES_SHOWN + 1
    body = admin.get(url, {"options": "technician", "technician_q": "tec024"}).content.decode()
    assert options(f'<select name="technician">{body}</select>', "technician") == [
        "---------",
        "tec024",
    ]


def test_the_htmx_results_and_the_exports_do_not_read_the_dropdowns(admin):
    make_customers(30)
    url = reverse("tickets:ticket_list")
    for params, headers in (({}, {"HX-Request": "true"}), ({"export": "csv"}, {})):
        with CaptureQueriesContext(connection) as queries:
            response = admin.get(url, params, headers=headers)
            assert b"".join(response.streaming_content) if response.streaming else response.content
        assert not [q for q in queries.captured_queries if 'FROM "backoffice_customer"' in q["sql"]]
