import pytest
from django.core.management import call_command
from playwright.sync_api import expect

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
    quantity = page.locator(f"#id_line-{first_line.pk}-quantity")
    quantity.fill("3")
    quantity.press("Tab")  # leaving the field fires "change": htmx posts the line
    # 3 × 55,00 + 35,00 = 200,00; IVA 22% = 44,00 → 244,00 €, without a page reload
    expect(page.locator("#grand-total")).to_have_text("244,00 €")
    expect(page.locator("#total-net")).to_have_text("200,00 €")
    order.refresh_from_db()
    assert str(order.total) == "244.00"

    log_out(page)
    log_in(page, "postvendita")
    response = page.goto(f"{page.base_url}{order.get_absolute_url()}")
    assert response.status == 403
    assert "Gestione Ordini/Offerte (Back Office)" in page.inner_text("main")
