"""The ticket list as a user works it in real Chromium: search, sort, export (CSV and XLSX,
downloaded and opened)."""

import csv
import io
import re

import openpyxl
import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from backoffice.models import Customer
from core.filters import CHOICES_SHOWN
from tests.browser.conftest import log_in
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def subjects_shown(page):
    return page.locator("#results tbody tr td:nth-child(3)").all_inner_texts()


def test_search_sort_and_export_the_ticket_list(page):
    call_command("load_demo")
    log_in(page, "admin")
    page.goto(f"{page.base_url}/segnalazioni/")
    # Search: the box finds by subject; htmx swaps the results and keeps the address.
    page.fill("#id_q", "caldaia")
    page.press("#id_q", "Enter")
    expect(page).to_have_url(re.compile(r"q=caldaia"))
    expected = Ticket.objects.filter(subject__icontains="caldaia")
    expect(page.locator("#results tbody tr")).to_have_count(expected.count())
    assert expected.count() >= 2
    expect(page.locator("#list-count")).to_contain_text(f"{expected.count()} segnalazioni")
    # Sort by subject, then the other way: the search stays.
    page.click("#results th a[data-sort=subject]")
    expect(page).to_have_url(re.compile(r"q=caldaia.*sort=subject$"))
    ascending = sorted(expected.values_list("subject", flat=True))
    expect(page.locator("#results tbody tr td:nth-child(3)")).to_have_text(ascending)
    page.click("#results th a[data-sort=subject]")
    expect(page).to_have_url(re.compile(r"sort=-subject"))
    expect(page.locator("#results tbody tr td:nth-child(3)")).to_have_text(ascending[::-1])
    codes = page.locator("#results tbody tr td:nth-child(2)").all_inner_texts()

    # CSV: every filtered ticket, in the sort shown, dates the Italian way.
    with page.expect_download() as download:
        page.click("#export-csv")
    path = download.value.path()
    assert download.value.suggested_filename.endswith(".csv")
    text = path.read_text(encoding="utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert header[0] == "Segnalazione" and "Valore stimato" in header
    assert [row[0] for row in rows] == codes
    opened = header.index("Aperta il")
    first = expected.order_by("-subject").first()
    assert rows[0][opened] == first.opened_on.strftime("%d/%m/%Y")

    # XLSX: the same rows, with real dates and numbers.
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == header
    assert [row[0] for row in values[1:]] == codes
    assert values[1][opened].date() == first.opened_on
    count = header.index("Attività fatturabili")
    assert all(isinstance(row[count], int) for row in values[1:])


def test_the_customer_filter_finds_a_customer_not_listed_by_typing(page):
    """Of a real office's thousands of customers the dropdown lists a few: typing in its search
    box brings the others (htmx), choosing one filters the list, and the address says so."""
    call_command("load_demo")
    Customer.objects.bulk_create(
        Customer(code=f"K{n:05}", name=f"Azienda {n:05}") for n in range(CHOICES_SHOWN + 5)
    )
    ticket = Ticket.objects.select_related("customer").order_by("customer__name").last()
    log_in(page, "admin")
    page.goto(f"{page.base_url}/segnalazioni/")
    choices = page.locator("#id_customer option")
    expect(choices).to_have_count(CHOICES_SHOWN + 1)
    expect(page.locator(f"#id_customer option[value='{ticket.customer_id}']")).to_have_count(0)
    page.fill("#id_customer_q", ticket.customer.name)
    expect(page.locator(f"#id_customer option[value='{ticket.customer_id}']")).to_have_count(1)
    assert "options=" not in page.url  # the search is not the list's address
    page.select_option("#id_customer", str(ticket.customer_id))
    expect(page).to_have_url(re.compile(rf"customer={ticket.customer_id}"))
    assert "options=" not in page.url
    expected = Ticket.objects.filter(customer=ticket.customer).count()
    expect(page.locator("#results tbody tr")).to_have_count(min(expected, 25))
    # What the search box holds filters no row: leaving it, or Enter in it, does not refresh
    # the list (which would undo a choice made below the filters).
    page.check("#mode-filtered")
    page.fill("#id_customer_q", "Azienda")
    page.press("#id_customer_q", "Enter")
    page.press("#id_customer_q", "Tab")
    # The matches, and the customer chosen (not one of them).
    expect(page.locator("#id_customer option")).to_have_count(CHOICES_SHOWN + 2)
    expect(page.locator("#mode-filtered")).to_be_checked()
    expect(page.locator("#results tbody tr")).to_have_count(min(expected, 25))
    # A reload shows the customer chosen.
    page.reload()
    expect(page.locator("#id_customer")).to_have_value(str(ticket.customer_id))
