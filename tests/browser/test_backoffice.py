import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

from backoffice.models import Order
from tests.browser.conftest import log_in, log_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_backoffice_changes_a_quantity_and_sees_the_totals_change(page):
    call_command("load_demo")
    # The demo's manual order for C0001: 1 h × 55,00 + 35,00 → 109,80 €
    order = Order.objects.get(origin=Order.Origin.MANUAL, customer__code="C0001")
    log_in(page, "backoffice")
    page.goto(f"{page.base_url}{order.get_absolute_url()}")
    assert page.inner_text("#grand-total") == "109,80 €"

    first_line = order.lines.get(position=1)
    page.click(f"#line-{first_line.pk} .line-edit")  # the row becomes its form (htmx)
    quantity = page.locator(f"#id_line-{first_line.pk}-quantity")
    quantity.fill("3")
    quantity.press("Enter")  # htmx posts the line, gets its row back and the totals
    # 3 × 55,00 + 35,00 = 200,00; IVA 22% = 44,00 → 244,00 €, without a page reload
    expect(page.locator("#grand-total")).to_have_text("244,00 €")
    expect(page.locator("#total-net")).to_have_text("200,00 €")
    expect(page.locator(f"#line-{first_line.pk} .line-quantity")).to_have_text("3,00")
    order.refresh_from_db()
    assert str(order.total) == "244.00"

    log_out(page)
    log_in(page, "postvendita")
    response = page.goto(f"{page.base_url}{order.get_absolute_url()}")
    assert response.status == 403
    assert "Gestione Ordini/Offerte (Back Office)" in page.inner_text("main")


def test_the_header_form_opens_in_place_and_saves(page):
    call_command("load_demo")
    order = Order.objects.get(origin=Order.Origin.MANUAL, customer__code="C0001")
    log_in(page, "backoffice")
    page.goto(f"{page.base_url}{order.get_absolute_url()}")
    expect(page.locator("#id_notes")).to_have_count(0)  # not rendered until asked for
    page.click("#header-edit-button")  # htmx puts the form in place of the button
    expect(page.locator("#id_notes")).to_be_visible()
    assert "header=edit" not in page.url
    page.fill("#id_date", "2026-03-02")
    page.fill("#id_notes", "Consegna al piano terra")
    page.click("text=Salva testata")
    expect(page.locator("#messages")).to_contain_text("Testata ordine salvata.")
    expect(page.locator("dl")).to_contain_text("02/03/2026")
    order.refresh_from_db()
    assert order.notes == "Consegna al piano terra"


def test_a_refused_line_edit_is_shown_and_blocks_sending_until_corrected(page):
    call_command("load_demo")
    order = Order.objects.get(origin=Order.Origin.MANUAL, customer__code="C0001")
    line = order.lines.get(position=1)
    assert order.pk > 10_000 and line.pk > 10_000
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    log_in(page, "backoffice")
    page.goto(f"{page.base_url}{order.get_absolute_url()}")
    send = page.locator("#send-to-erp")
    expect(send).to_be_enabled()

    page.click(f"#line-{line.pk} .line-edit")
    expect(send).to_be_disabled()  # a line open for editing
    page.click(f"#line-{line.pk} .line-cancel")  # "Annulla" puts the row back
    expect(page.locator(f"#line-{line.pk} .line-edit")).to_be_visible()
    expect(send).to_be_enabled()
    page.click(f"#line-{line.pk} .line-edit")
    quantity = page.locator(f"#id_line-{line.pk}-quantity")
    quantity.fill("-3")
    expect(send).to_be_disabled()  # an edit not yet saved
    quantity.press("Enter")
    # Refused: the field is marked, the message says why, the totals stay those stored.
    quantity = page.locator(f"#id_line-{line.pk}-quantity")
    expect(quantity).to_have_class(re.compile("is-invalid"))
    expect(quantity).to_have_value("-3")
    expect(page.locator(f"#line-{line.pk}")).to_contain_text("maggiore di zero")
    expect(page.locator("#grand-total")).to_have_text("109,80 €")
    expect(send).to_be_disabled()

    quantity.fill("")
    quantity.press("Enter")
    expect(page.locator(f"#line-{line.pk}")).to_contain_text("obbligatorio")  # not ignored

    quantity = page.locator(f"#id_line-{line.pk}-quantity")
    quantity.fill("2")
    quantity.press("Enter")
    expect(page.locator("#grand-total")).to_have_text("176,90 €")  # 2 × 55 + 35 = 145 + 22 %
    expect(send).to_be_enabled()
    line.refresh_from_db()
    assert line.quantity == Decimal("2")
    assert violations == []


def test_an_overflowing_line_is_a_field_error_not_a_crash(page):
    call_command("load_demo")
    order = Order.objects.get(origin=Order.Origin.MANUAL, customer__code="C0001")
    line = order.lines.get(position=1)
    log_in(page, "backoffice")
    page.goto(f"{page.base_url}{order.get_absolute_url()}")
    page.click(f"#line-{line.pk} .line-edit")
    price = page.locator(f"#id_line-{line.pk}-unit_price")
    price.fill("9.999.999.999,99")
    price.press("Enter")
    expect(page.locator(f"#line-{line.pk} .line-amount")).to_have_text("9.999.999.999,99 €")
    page.click(f"#line-{line.pk} .line-edit")
    quantity = page.locator(f"#id_line-{line.pk}-quantity")
    quantity.fill("9.999.999.999,99")
    quantity.press("Enter")
    expect(page.locator(f"#line-{line.pk}")).to_contain_text("999.999.999.999,99")
    expect(quantity).to_have_class(re.compile("is-invalid"))
    line.refresh_from_db()
    assert line.quantity == Decimal("1")  # refused, nothing written, no crash


def test_a_new_line_takes_the_customers_discount_when_left_empty(page):
    call_command("load_demo")
    order = Order.objects.filter(origin=Order.Origin.MANUAL, discount_percent__gt=0).first()
    log_in(page, "backoffice")
    page.goto(f"{page.base_url}{order.get_absolute_url()}")
    expect(page.locator("#id_new-discount_percent")).to_have_value("")
    lines_before = order.lines.count()  # counted before the click: the line is added meanwhile
    page.select_option("#id_new-product", index=1)
    page.click("text=Aggiungi riga")
    expect(page.locator("#order-lines tr.order-line")).to_have_count(lines_before + 1)
    added = order.lines.order_by("-position").first()
    assert added.discount_percent == order.discount_percent


def test_backoffice_downloads_an_orders_pdf_and_reads_it(page):
    call_command("load_demo")
    order = Order.objects.get(origin=Order.Origin.MANUAL, customer__code="C0001")
    log_in(page, "backoffice")
    page.goto(f"{page.base_url}{order.get_absolute_url()}")
    with page.expect_download() as download_info:
        page.click("#order-pdf")
    download = download_info.value
    assert download.suggested_filename == order.number.replace("/", "-") + ".pdf"
    text = "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(Path(download.path()).read_bytes())).pages
    )
    assert order.number in text and order.protocol in text
    assert order.customer.name in text and f"P.IVA {order.customer.vat_number}" in text
    assert "109,80 €" in text  # the grand total, as on the page
