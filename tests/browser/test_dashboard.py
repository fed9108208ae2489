""" "Da fatturare" in real Chromium: open the dashboard from the menu, bill one of its cells,
and exactly that slice is billed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from playwright.sync_api import expect

from backoffice.models import OrderLine
from tests.browser.conftest import log_in
from tests.crm_billing.test_billing_activities import configure_activity_case
from tests.factories import ActivityFactory, CustomerFactory, TicketFactory, UserFactory
from tickets.models import Activity
from tickets.permissions import MANAGE_TICKETS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cell_of_the_dashboard_is_previewed_confirmed_and_billed_alone(page):
    profile = configure_activity_case()
    profile.product.list_price = Decimal("1250.00")
    profile.product.save()
    UserFactory(username="postvendita", functions=[MANAGE_TICKETS])
    anna = UserFactory(username="anna", first_name="Anna", last_name="Verdi")
    luca = UserFactory(username="luca", first_name="Luca", last_name="Neri")
    today = timezone.localdate()
    customer = CustomerFactory(name="Officine Meccaniche S.p.A.")
    ticket = TicketFactory(customer=customer, opened_on=today - timedelta(days=80))
    # Anna's work of 31–60 days ago, on two tickets: the slice billed.
    chosen = [
        ActivityFactory(ticket=ticket, technician=anna, date=today - timedelta(days=40)),
        ActivityFactory(
            ticket__customer=customer, technician=anna, date=today - timedelta(days=55)
        ),
    ]
    # The same ticket's other work: another technician, another age. Not billed.
    others = [
        ActivityFactory(ticket=ticket, technician=luca, date=today - timedelta(days=40)),
        ActivityFactory(ticket=ticket, technician=anna, date=today - timedelta(days=5)),
    ]
    assert min(a.pk for a in chosen + others) > 10_000
    log_in(page, "postvendita", password="pw-test-123")
    page.click("#main-menu .dropdown-toggle:has-text('Post Vendita')")
    page.click("#main-menu .dropdown-item:has-text('Da fatturare')")
    expect(page.locator("h1")).to_have_text("Da fatturare")
    expect(page.locator("#dashboard-chart title")).to_have_text("Valore da fatturare per anzianità")
    # 4 activities of 1,50 h at 1.250,00 €.
    expect(page.locator("#dashboard-value")).to_have_text("7.500,00 €")
    row = page.locator("#dashboard-technicians tr", has=page.locator("th", has_text="Anna Verdi"))
    cell = row.locator("td").nth(1)  # 31–60 days
    expect(cell).to_contain_text("3,00 h")
    cell.locator("button").click()
    expect(page.locator("#preview-slice")).to_contain_text("Solo 2 attività")
    expect(page.locator("#preview-orders")).to_have_text("2")
    expect(page.locator("#preview-total")).to_have_text("3.750,00 €")
    page.click("#confirm-billing")
    expect(page.locator("#run-summary")).to_contain_text("2 ordini sono stati generati")
    billed = OrderLine.objects.filter(
        is_live=True, source_type=ContentType.objects.get_for_model(Activity)
    ).values_list("source_id", flat=True)
    assert sorted(billed) == sorted(a.pk for a in chosen)
    assert set(Activity.objects.billable().values_list("pk", flat=True)) == {a.pk for a in others}
    # Back on the dashboard, what is left.
    page.goto(f"{page.base_url}/fatturazione/da-fatturare/")
    expect(page.locator("#dashboard-value")).to_have_text("3.750,00 €")
