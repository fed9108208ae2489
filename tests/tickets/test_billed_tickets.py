"""A ticket on a live order keeps its customer, under concurrency too; implausible durations
are refused and never billed."""

import threading

import pytest
from django.db import connection
from django.test import override_settings

from backoffice.models import Order
from crm_billing.models import BillingRun
from crm_billing.services.activities import bill_tickets, plan_billing
from tests.crm_billing.test_billing_activities import configure_activity_case
from tests.factories import ActivityFactory, CustomerFactory, UserFactory
from tickets import services
from tickets.models import Activity, Ticket
from tickets.permissions import MANAGE_TICKETS


def operator(name="operatore"):
    return UserFactory(username=name, functions=[MANAGE_TICKETS])


def test_a_billed_ticket_cannot_move_to_another_customer(db):
    configure_activity_case()
    ticket = ActivityFactory().ticket
    bill_tickets(tickets=Ticket.objects.filter(pk=ticket.pk), actor=operator())
    ticket.customer = CustomerFactory()
    with pytest.raises(services.TicketBilled):
        services.save_ticket(ticket=ticket, actor=operator("altro"))
    assert Ticket.objects.get(pk=ticket.pk).customer_id == Order.objects.get().customer_id


@pytest.mark.django_db(transaction=True)
def test_changing_the_customer_while_billing_never_splits_ticket_and_order():
    configure_activity_case()
    billing, editing = operator("fatturazione"), operator("modifica")
    pairs = [(ActivityFactory().ticket, CustomerFactory()) for _ in range(20)]

    def bill(ticket, barrier):
        try:
            barrier.wait()
            bill_tickets(tickets=Ticket.objects.filter(pk=ticket.pk), actor=billing)
        finally:
            connection.close()

    def move(ticket, customer, barrier):
        try:
            barrier.wait()
            ticket = Ticket.objects.get(pk=ticket.pk)
            ticket.customer = customer
            services.save_ticket(ticket=ticket, actor=editing)
        except services.TicketBilled:
            pass
        finally:
            connection.close()

    for ticket, customer in pairs:
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=bill, args=(ticket, barrier)),
            threading.Thread(target=move, args=(ticket, customer, barrier)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    for ticket, _customer in pairs:
        ticket.refresh_from_db()
        for order in Order.objects.filter(source_id=ticket.pk, origin=Order.Origin.TICKET):
            assert order.customer_id == ticket.customer_id


@override_settings(ACTIVITY_MAX_MINUTES=24 * 60)
def test_an_implausible_duration_is_refused_by_the_form_and_never_billed(client, make_user):
    configure_activity_case()
    activity = ActivityFactory()
    client.force_login(make_user(MANAGE_TICKETS))
    data = {
        "date": activity.date.isoformat(),
        "technician": activity.technician_id,
        "description": activity.description,
        "duration_minutes": "999999999",
        "status": activity.status_id,
        "condition": activity.condition_id,
    }
    response = client.post(f"/segnalazioni/attivita/{activity.pk}/", data)
    assert response.status_code == 422
    assert Activity.objects.get(pk=activity.pk).duration_minutes == 90
    # One already stored (imported, say) is left out of billing, with the reason.
    Activity.objects.filter(pk=activity.pk).update(duration_minutes=999_999_999)
    (plan,) = plan_billing(tickets=Ticket.objects.filter(pk=activity.ticket_id)).tickets
    assert plan.lines == [] and "999999999" in plan.skipped[0][1]


def test_the_preview_points_out_activities_without_a_duration(client, make_user):
    configure_activity_case()
    ticket = ActivityFactory(duration_minutes=None).ticket
    client.force_login(make_user(MANAGE_TICKETS))
    client.post("/fatturazione/attivita/anteprima/", {"mode": "selected", "tickets": [ticket.pk]})
    page = client.get(BillingRun.objects.get().get_absolute_url()).content.decode()
    assert 'id="preview-without-duration"' in page
