from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from backoffice.models import Customer, MasterDataImport
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def customers_file() -> bytes:
    """Two new customers and a change to a demo customer's discount, as the ERP exports them."""
    known = Customer.objects.get(code="C0001")
    rows = [
        "codice;ragione_sociale;partita_iva;pagamento;agente;sconto;listino",
        f"C0001;{known.name};{known.vat_number};BB30;AG01;12,50;GOLD",
        "C10001;Termoidraulica Bassi S.r.l.;12345678903;RB60;AG02;7,5;",
        "C10002;Impianti Elettrici Sud S.p.A.;01234567897;RD;;;GOLD",
    ]
    return ("\ufeff" + "\n".join(rows) + "\n").encode("utf-8")


def upload(page, content):
    page.goto(f"{page.base_url}/backoffice/anagrafiche/clienti/")
    page.click("#import-from-erp")
    expect(page.locator("#id_kind")).to_have_value("customers")
    page.set_input_files(
        "#id_file", files=[{"name": "clienti.csv", "mimeType": "text/csv", "buffer": content}]
    )
    page.click("#import-preview")


def test_backoffice_previews_applies_and_reimports_a_customers_file(page):
    call_command("load_demo")
    log_in(page, "backoffice")
    content = customers_file()

    upload(page, content)
    expect(page.locator("#import-created")).to_have_text("2")
    expect(page.locator("#import-updated")).to_have_text("1")
    expect(page.locator("#import-unchanged")).to_have_text("0")
    expect(page.locator("#import-errors")).to_have_text("0")
    expect(page.locator("#import-rows")).to_contain_text("C10001")
    assert not Customer.objects.filter(code__in=["C10001", "C10002"]).exists()
    import_ = MasterDataImport.objects.get()
    assert import_.pk > 10_000

    page.click("#apply-import")
    expect(page.locator(".alert-success")).to_contain_text("Importazione applicata")
    expect(page.locator("#import-state")).to_contain_text("Applicata")
    assert Customer.objects.get(code="C10001").discount_percent == Decimal("7.5")
    assert Customer.objects.get(code="C0001").discount_percent == Decimal("12.50")
    assert Customer.objects.get(code="C10002").price_list.code == "GOLD"

    upload(page, content)
    expect(page.locator("#import-unchanged")).to_have_text("3")
    expect(page.locator("#import-created")).to_have_text("0")
    expect(page.locator("#import-updated")).to_have_text("0")
    page.click("#apply-import")
    expect(page.locator(".alert-success")).to_contain_text("0 creati, 0 aggiornati, 3 invariati")
    assert Customer.objects.get(code="C10001").history.count() == 1


def test_a_file_with_a_wrong_vat_number_shows_the_row_and_cannot_be_applied(page):
    call_command("load_demo")
    log_in(page, "backoffice")
    upload(page, customers_file().replace(b"12345678903", b"12345678904"))

    expect(page.locator("#import-errors")).to_have_text("1")
    errors = page.locator("#import-row-errors")
    expect(errors).to_contain_text("C10001")
    expect(errors).to_contain_text("partita_iva")
    expect(page.locator("#apply-import")).to_be_disabled()
    assert not Customer.objects.filter(code="C10001").exists()
