from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from backoffice.permissions import MANAGE_ORDERS
from crm_billing.services.activities import bill_tickets
from tests.crm_billing.test_billing_activities import configure_activity_case, open_status, warranty
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    ProductFactory,
    TicketFactory,
    UserFactory,
)
from tickets.forms import MaterialFormSet
from tickets.models import Activity, ActivityMaterial, Ticket
from tickets.permissions import MANAGE_TICKETS


@pytest.fixture
def operator(client, make_user):
    client.force_login(make_user(MANAGE_TICKETS))
    return client


def test_intervento_tab_says_for_each_activity_why_it_is_not_billable(operator):
    configure_activity_case()
    ticket = TicketFactory()
    ActivityFactory(ticket=ticket, status=open_status())
    ActivityFactory(ticket=ticket, condition=warranty())
    billable = ActivityFactory(ticket=ticket)
    body = operator.get(ticket.get_absolute_url()).content.decode()
    assert "non in uno stato di tipo Chiuso (In lavorazione)" in body
    assert "la condizione «In garanzia» non è da fatturare" in body
    assert f'id="activity-{billable.pk}"' in body
    bill_tickets(
        tickets=Ticket.objects.filter(pk=ticket.pk), actor=UserFactory(functions=[MANAGE_TICKETS])
    )
    body = operator.get(ticket.get_absolute_url()).content.decode()
    assert "fatturata" in body
    assert ticket.activities.with_billing_state().get(pk=billable.pk).billed_order_number in body


@pytest.mark.parametrize("extra", [0, 60])
def test_a_long_ticket_shows_its_activities_a_page_at_a_time_and_counts_every_billable_one(
    operator, django_assert_max_num_queries, extra
):
    configure_activity_case()
    ticket = TicketFactory()
    ActivityFactory(ticket=ticket, status=open_status())
    ActivityFactory.create_batch(14 + extra, ticket=ticket)
    with django_assert_max_num_queries(11):  # the same for 15 activities and 75
        body = operator.get(ticket.get_absolute_url()).content.decode()
    rows = body.count('<tr id="activity-')
    assert rows == min(15 + extra, 50)
    # "Crea Ordine" bills every billable activity of the ticket, not only those shown.
    assert f"({14 + extra} attività)" in body
    if extra:
        second = operator.get(ticket.get_absolute_url(), {"page": "2"}).content.decode()
        assert second.count('<tr id="activity-') == 25
        assert f"({14 + extra} attività)" in second


def test_a_billed_activity_cannot_be_deleted_nor_its_billed_fields_changed(operator):
    configure_activity_case()
    activity = ActivityFactory()
    bill_tickets(
        tickets=Ticket.objects.filter(pk=activity.ticket_id),
        actor=UserFactory(functions=[MANAGE_TICKETS]),
    )
    operator.post(reverse("tickets:activity_delete", args=[activity.pk]))
    assert Activity.objects.filter(pk=activity.pk).exists()
    response = operator.post(
        reverse("tickets:activity_update", args=[activity.pk]),
        {
            "date": "2026-10-02",
            "technician": activity.technician_id,
            "description": "Descrizione corretta",
            "duration_minutes": "600",
            "status": activity.status_id,
            "condition": activity.condition_id,
        },
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    # The description may change; the disabled duration keeps its billed value.
    assert (activity.description, activity.duration_minutes) == ("Descrizione corretta", 90)


def test_an_unbilled_activity_can_be_deleted_after_confirmation(operator):
    activity = ActivityFactory(condition=warranty())
    url = reverse("tickets:activity_delete", args=[activity.pk])
    assert operator.get(url).status_code == 200
    operator.post(url)
    assert not Activity.objects.filter(pk=activity.pk).exists()


def test_ticket_list_filters(operator):
    configure_activity_case()
    customer = CustomerFactory()
    to_bill = ActivityFactory(ticket__customer=customer).ticket
    ActivityFactory(ticket__customer=customer, condition=warranty())
    TicketFactory(customer=customer, opened_on=date(2025, 1, 1))
    response = operator.get(
        reverse("tickets:ticket_list"), {"customer": customer.pk, "to_bill": "on"}
    )
    assert [row.record.pk for row in response.context["page"]] == [to_bill.pk]
    response = operator.get(
        reverse("tickets:ticket_list"), {"customer": customer.pk, "opened_to": "2025-12-31"}
    )
    assert response.context["page"].paginator.count == 1


@pytest.mark.parametrize("tickets", [3, 60])
def test_ticket_list_queries_do_not_grow(operator, django_assert_max_num_queries, tickets):
    technician = UserFactory(username="tec")
    for _ in range(tickets):
        TicketFactory(technician=technician)
    with django_assert_max_num_queries(12):
        operator.get(reverse("tickets:ticket_list"), {"to_bill": "on", "state": "open"})
    with django_assert_max_num_queries(12):
        operator.get(reverse("tickets:ticket_list"))


def test_bad_ticket_input_is_refused(operator):
    response = operator.post(
        reverse("tickets:ticket_create"),
        {
            "customer": CustomerFactory().pk,
            "subject": "",
            "opened_on": "2026-10-10",
            "closed_on": "2026-10-01",
        },
    )
    assert response.status_code == 422
    assert {"subject", "closed_on"} <= set(response.context["form"].errors)
    assert Ticket.objects.count() == 0


def test_back_office_link_only_for_back_office_users(client, make_user):
    configure_activity_case()
    activity = ActivityFactory()
    bill_tickets(
        tickets=Ticket.objects.filter(pk=activity.ticket_id),
        actor=UserFactory(functions=[MANAGE_TICKETS]),
    )
    order_id = Activity.objects.with_billing_state().get(pk=activity.pk).billed_order_id
    link = reverse("backoffice:order_detail", args=[order_id])
    client.force_login(make_user(MANAGE_TICKETS))
    assert link not in client.get(activity.ticket.get_absolute_url()).content.decode()
    client.force_login(make_user(MANAGE_TICKETS, MANAGE_ORDERS))
    assert link in client.get(activity.ticket.get_absolute_url()).content.decode()


def test_every_material_row_offers_the_product_it_uses_even_if_switched_off_since(db):
    activity = ActivityFactory()
    active, retired = ProductFactory(code="FILTRO"), ProductFactory(code="POMPA-OLD")
    ActivityMaterial.objects.create(activity=activity, product=active, quantity=Decimal("1"))
    ActivityMaterial.objects.create(activity=activity, product=retired, quantity=Decimal("2"))
    retired.active = False
    retired.save()
    rows = MaterialFormSet(instance=activity, prefix="materials").forms
    for row in rows:
        offered = {str(value) for value, _label in row.fields["product"].choices}
        assert {str(active.pk), str(retired.pk)} <= offered
