"""The ticket list as users expect it: search, sort, pages with the count, the billable
activities' column, and its exports (CSV the Italian way, XLSX with real values), streamed."""

import csv
import io
from datetime import date
from decimal import Decimal as D

import openpyxl
import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse

from backoffice.models import PriceList, PriceListItem
from contracts.models import ContractRate
from crm_billing.services.activities import bill_tickets
from tests.crm_billing.test_billing_activities import configure_activity_case, warranty
from tests.factories import (
    ActivityFactory,
    ContractFactory,
    CustomerFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import Ticket
from tickets.permissions import MANAGE_TICKETS

URL = reverse("tickets:ticket_list")


@pytest.fixture
def operator(client, make_user):
    client.force_login(make_user(MANAGE_TICKETS))
    return client


def listed(response):
    return [row.record.pk for row in response.context["page"]]


def content(response) -> bytes:
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(response):
    text = content(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def xlsx_rows(response):
    workbook = openpyxl.load_workbook(io.BytesIO(content(response)))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_the_search_finds_by_ticket_number_subject_customer_and_contract(operator):
    rossi = CustomerFactory(name="Idraulica Rossi S.r.l.", code="C-ROSSI")
    boiler = TicketFactory(customer=rossi, subject="Caldaia in blocco")
    pump = TicketFactory(subject="Pompa rumorosa", contract=ContractFactory(number="CTR-7788"))
    TicketFactory(subject="Altro")
    assert listed(operator.get(URL, {"q": "caldaia"})) == [boiler.pk]
    assert listed(operator.get(URL, {"q": "rossi"})) == [boiler.pk]
    assert listed(operator.get(URL, {"q": "c-rossi blocco"})) == [boiler.pk]
    assert listed(operator.get(URL, {"q": "CTR-7788"})) == [pump.pk]
    assert listed(operator.get(URL, {"q": pump.code})) == [pump.pk]
    assert listed(operator.get(URL, {"q": str(pump.pk)})) == [pump.pk]
    assert listed(operator.get(URL, {"q": "rossi pompa"})) == []


def test_the_column_headers_sort_and_keep_the_filters(operator):
    customer = CustomerFactory()
    names = ["Beta", "Alfa", "Gamma"]
    tickets = {name: TicketFactory(customer=customer, subject=name) for name in names}
    TicketFactory(subject="Alfa di un altro cliente")
    response = operator.get(URL, {"customer": customer.pk, "sort": "subject"})
    assert listed(response) == [tickets[n].pk for n in ("Alfa", "Beta", "Gamma")]
    response = operator.get(URL, {"customer": customer.pk, "sort": "-subject"})
    assert listed(response) == [tickets[n].pk for n in ("Gamma", "Beta", "Alfa")]
    body = response.content.decode()
    # The header links sort the other way and keep the customer; htmx swaps the results.
    assert f'href="{URL}?customer={customer.pk}&amp;sort=subject"' in body
    assert f'hx-get="{URL}?customer={customer.pk}&amp;sort=subject"' in body
    assert 'aria-sort="descending"' in body


def test_a_filter_changed_after_sorting_keeps_the_sort(operator):
    customer = CustomerFactory()
    response = operator.get(URL, {"customer": customer.pk, "sort": "-subject"})
    filters = response.content.decode().split('role="search"')[1].split("</form>")[0]
    # The filter form posts the sort back with the filters it submits.
    assert '<input type="hidden" name="sort" value="-subject">' in filters
    response = operator.get(URL, {"customer": customer.pk})
    filters = response.content.decode().split('role="search"')[1].split("</form>")[0]
    assert 'name="sort"' not in filters


def test_a_sort_on_an_unknown_column_is_ignored(operator):
    ticket = TicketFactory()
    response = operator.get(URL, {"sort": "customer__password"})
    assert response.status_code == 200
    assert listed(response) == [ticket.pk]


def test_pages_keep_the_filters_and_say_how_many_tickets(operator, settings):
    settings.PAGE_SIZE = 2
    customer = CustomerFactory()
    for n in range(5):
        TicketFactory(customer=customer, subject=f"Guasto {n}")
    TicketFactory()
    response = operator.get(URL, {"customer": customer.pk, "sort": "subject", "page": "2"})
    assert response.context["page"].paginator.count == 5
    assert len(listed(response)) == 2
    body = response.content.decode()
    assert "5 segnalazioni" in body
    assert f"?customer={customer.pk}&amp;sort=subject&amp;page=3" in body
    # A page number out of range or not a number shows a page, not an error.
    assert operator.get(URL, {"page": "999"}).status_code == 200
    assert operator.get(URL, {"page": "abc"}).status_code == 200


def test_the_htmx_fragment_is_the_results_only(operator):
    TicketFactory(subject="Caldaia")
    response = operator.get(URL, {"q": "caldaia"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">')
    assert "Caldaia" in body and "<html" not in body


def test_the_billable_column_counts_and_values_the_billable_activities(operator):
    """60,00 €/h list price (the profile's product), 10 % customer discount: 1 h 30 = 81,00 €;
    a warranty activity is not counted; a ticket under a contract rate of 1.050,00 €/h with a
    2 h activity is worth 2.100,00 €; a billed activity no longer counts."""
    profile = configure_activity_case()
    discounted = TicketFactory(customer=CustomerFactory(discount_percent=D("10")))
    ActivityFactory(ticket=discounted, duration_minutes=90)
    ActivityFactory(ticket=discounted, condition=warranty())
    contract = ContractFactory()
    ContractRate.objects.create(contract=contract, product=profile.product, unit_price=D("1050"))
    agreed = TicketFactory(customer=contract.customer, contract=contract)
    ActivityFactory(ticket=agreed, duration_minutes=120)
    gold = PriceList.objects.create(code="L-GOLD", name="Gold")
    PriceListItem.objects.create(price_list=gold, product=profile.product, unit_price=D("1100"))
    listed_price = TicketFactory(customer=CustomerFactory(price_list=gold, discount_percent=10))
    ActivityFactory(ticket=listed_price, duration_minutes=None)  # 1 h
    billed = TicketFactory()
    ActivityFactory(ticket=billed)
    bill_tickets(
        tickets=Ticket.objects.filter(pk=billed.pk), actor=UserFactory(functions=[MANAGE_TICKETS])
    )
    rows = {
        row.record.pk: (row.record.billable_count, row.record.billable_value)
        for row in operator.get(URL).context["page"]
    }
    assert rows[discounted.pk] == (1, D("81.00"))
    assert rows[agreed.pk] == (1, D("2100.00"))
    assert rows[listed_price.pk] == (1, D("1100.00"))
    assert rows[billed.pk] == (0, D("0"))
    body = operator.get(URL, {"q": agreed.code}).content.decode()
    assert "2.100,00 €" in body
    assert "Valore stimato" in body


@pytest.mark.parametrize("count", [30, 300])
def test_the_list_costs_the_same_queries_with_10_or_100_times_the_rows(
    operator, django_assert_max_num_queries, count
):
    configure_activity_case()
    technician = UserFactory(username="tec")
    for n in range(count):
        ticket = TicketFactory(technician=technician, subject=f"Guasto {n}")
        if n % 3 == 0:
            ActivityFactory(ticket=ticket)
    for params in ({}, {"q": "guasto", "sort": "customer"}, {"to_bill": "on", "sort": "-code"}):
        with django_assert_max_num_queries(12):
            response = operator.get(URL, params)
        assert response.status_code == 200


def test_the_csv_export_has_every_filtered_ticket_the_italian_way(operator, settings):
    settings.PAGE_SIZE = 2
    configure_activity_case()
    customer = CustomerFactory(name="Termoidraulica Bianchi", code="C-BIANCHI")
    tickets = [
        TicketFactory(customer=customer, subject=f"Guasto {n}", opened_on=date(2026, 10, 1 + n))
        for n in range(3)
    ]
    ActivityFactory(ticket=tickets[0], duration_minutes=60 * 20)  # 20 h × 60,00 € = 1.200,00
    TicketFactory(subject="Di un altro cliente")
    response = operator.get(URL, {"customer": customer.pk, "sort": "opened_on", "export": "csv"})
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    assert ".csv" in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header[:4] == ["Segnalazione", "Oggetto", "Codice cliente", "Cliente"]
    assert "Valore stimato" in header
    assert [row[0] for row in rows] == [t.code for t in tickets]  # all pages, in the sort
    first = dict(zip(header, rows[0], strict=True))
    assert first["Aperta il"] == "01/10/2026"
    assert first["Codice cliente"] == "C-BIANCHI"
    assert first["Attività fatturabili"] == "1"
    assert first["Valore stimato"] == "1.200,00"
    assert dict(zip(header, rows[1], strict=True))["Chiusa il"] == ""


def test_the_xlsx_export_has_real_dates_and_numbers(operator):
    configure_activity_case()
    ticket = TicketFactory(subject="Caldaia", opened_on=date(2026, 10, 5))
    ActivityFactory(ticket=ticket, duration_minutes=60 * 20)
    response = operator.get(URL, {"q": "caldaia", "export": "xlsx"})
    assert isinstance(response, FileResponse)
    assert "spreadsheetml" in response["Content-Type"]
    header, row = xlsx_rows(response)
    values = dict(zip(header, row, strict=True))
    assert values["Segnalazione"] == ticket.code
    assert values["Aperta il"].date() == date(2026, 10, 5)
    assert values["Attività fatturabili"] == 1
    assert values["Valore stimato"] == 1200
    assert values["Chiusa il"] is None


def test_the_export_reads_the_rows_in_chunks(operator, monkeypatch):
    """Bounded memory: the rows come from QuerySet.iterator, not from a list of all of them."""
    chunks = []
    original = Ticket.objects.none().__class__.iterator

    def iterator(self, chunk_size=None):
        chunks.append(chunk_size)
        return original(self, chunk_size=chunk_size)

    monkeypatch.setattr(Ticket.objects.none().__class__, "iterator", iterator)
    TicketFactory()
    for file_format in ("csv", "xlsx"):
        content(operator.get(URL, {"export": file_format}))
    assert chunks == [2000, 2000]


def test_an_export_cell_is_never_a_spreadsheet_formula(operator):
    TicketFactory(subject='=HYPERLINK("http://x")')
    header, row = csv_rows(operator.get(URL, {"export": "csv"}))
    assert dict(zip(header, row, strict=True))["Oggetto"].startswith("'=")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_with_invalid_filters_shows_the_page_with_what_is_wrong(operator, file_format):
    TicketFactory()
    response = operator.get(URL, {"opened_from": "not a date", "export": file_format})
    assert response.status_code == 422 and "Content-Disposition" not in response
    page = response.content.decode()
    assert "Nessuna esportazione: alcuni filtri non sono validi." in page
    assert "Aperta dal" in page and "alert-warning" in page  # the filter and its error


def test_while_a_filter_is_not_valid_the_export_buttons_are_disabled_with_the_reason(operator):
    page = operator.get(URL, {"opened_from": "not a date"}).content.decode()
    assert 'id="export-csv" disabled' in page and 'id="export-xlsx" disabled' in page
    assert "Correggi i filtri per esportare." in page and "export=csv" not in page
    assert "export=csv" in operator.get(URL).content.decode()


def test_the_export_needs_the_list_function(client, make_user):
    TicketFactory()
    client.force_login(make_user())
    assert client.get(URL, {"export": "csv"}).status_code == 403
    client.logout()
    assert client.get(URL, {"export": "xlsx"}).status_code == 302  # to the login


def test_bill_activities_on_all_filtered_tickets_bills_what_the_search_finds(operator):
    configure_activity_case()
    found = ActivityFactory(ticket__subject="Caldaia in blocco").ticket
    ActivityFactory(ticket__subject="Pompa")
    response = operator.post(
        reverse("billing:bill_activities_preview"),
        {"mode": "filtered", "q": "caldaia", "grouping": "ticket"},
    )
    assert response.status_code == 302
    run = response.url
    body = operator.get(run).content.decode()
    assert found.code in body
    assert "Pompa" not in body
