"""'Fattura attività' grouped: one Order/Offer per ticket (the default), per customer, or per
customer and contract; lines say their ticket; cancelling releases all an order billed."""

from decimal import Decimal

import pytest
from django.urls import reverse

from backoffice import services as order_services
from backoffice.models import Order, OrderLine
from backoffice.permissions import MANAGE_ORDERS
from crm_billing.models import BillingRun
from crm_billing.services import activities as billing_activities
from tests.crm_billing.test_billing_activities import bill, configure_activity_case
from tests.crm_billing.test_billing_activity_views import confirm, preview
from tests.factories import (
    ActivityFactory,
    ContractFactory,
    CustomerFactory,
    TicketFactory,
    UserFactory,
)
from tickets.permissions import MANAGE_TICKETS

Grouping = BillingRun.Grouping


@pytest.fixture
def actor(db):
    configure_activity_case()
    return UserFactory(username="operatore", functions=[MANAGE_TICKETS])


@pytest.fixture
def world(db):
    """Customer A: a ticket under contract X, two without; customer B: one ticket."""
    a, b = CustomerFactory(name="Alfa S.r.l."), CustomerFactory(name="Beta S.p.A.")
    contract = ContractFactory(customer=a, number="CTR-X")
    tickets = {
        "a_contract": TicketFactory(customer=a, contract=contract),
        "a_1": TicketFactory(customer=a),
        "a_2": TicketFactory(customer=a),
        "b": TicketFactory(customer=b),
    }
    for ticket in tickets.values():
        ActivityFactory(ticket=ticket, duration_minutes=1200)  # 20 h × 60,00 = 1.200,00 €
    return a, b, tickets


def orders_by_customer(customer):
    return list(Order.objects.filter(customer=customer).order_by("pk"))


def test_one_order_per_customer_with_lines_saying_their_ticket(actor, world):
    a, b, tickets = world
    outcome = bill(list(tickets.values()), actor, grouping=Grouping.CUSTOMER)
    (order_a,) = orders_by_customer(a)
    (order_b,) = orders_by_customer(b)
    lines = list(order_a.lines.order_by("position"))
    ours = [tickets["a_contract"], tickets["a_1"], tickets["a_2"]]
    assert [line.description.split(" – ")[0] for line in lines] == [t.code for t in ours]
    assert order_a.total_net == Decimal("3600.00") and order_a.source is None
    assert order_a.origin == Order.Origin.TICKET
    event = order_a.events.get()
    assert all(t.code in event.message for t in ours)
    by_order = {item["order"]: item for item in outcome.created}
    assert by_order[order_a.pk]["tickets"] == sorted(t.pk for t in ours)
    assert by_order[order_b.pk]["tickets"] == [tickets["b"].pk]


def test_one_order_per_customer_and_contract(actor, world):
    a, b, tickets = world
    bill(list(tickets.values()), actor, grouping=Grouping.CUSTOMER_CONTRACT)
    orders = orders_by_customer(a)
    assert len(orders) == 2 and len(orders_by_customer(b)) == 1
    counts = sorted(order.lines.count() for order in orders)
    assert counts == [1, 2]  # the contract's ticket alone; the two without a contract together


def test_one_order_per_ticket_is_the_default(actor, world):
    _a, _b, tickets = world
    bill(list(tickets.values()), actor)
    assert Order.objects.count() == 4
    assert {order.source for order in Order.objects.all()} == set(tickets.values())


def test_cancelling_a_grouped_order_releases_every_ticket_it_billed(actor, world):
    a, _b, tickets = world
    bill(list(tickets.values()), actor, grouping=Grouping.CUSTOMER)
    (order_a,) = orders_by_customer(a)
    order_services.cancel_order(order=order_a, actor=actor)
    assert not OrderLine.objects.filter(order=order_a, is_live=True).exists()
    outcome = bill(list(tickets.values()), actor, grouping=Grouping.CUSTOMER)
    (again,) = outcome.created
    assert len(again["tickets"]) == 3 and Order.objects.count() == 3


def test_batches_never_split_a_customer(actor, world, monkeypatch):
    a, b, tickets = world
    monkeypatch.setattr(billing_activities, "BATCH_SIZE", 2)
    batches = billing_activities._batches(
        type(tickets["b"]).objects.filter(pk__in=[t.pk for t in tickets.values()]),
        Grouping.CUSTOMER,
    )
    assert [[len(group) for group in groups] for groups in batches] == [[3], [1]]
    bill(list(tickets.values()), actor, grouping=Grouping.CUSTOMER)
    assert len(orders_by_customer(a)) == 1 and len(orders_by_customer(b)) == 1


def test_a_failing_ticket_leaves_its_group_unbilled_and_the_others_billed(
    actor, world, monkeypatch
):
    a, b, tickets = world
    broken = tickets["a_1"]
    real = billing_activities._Planner.hours_lines

    def failing(planner, ticket, activity, hours):
        if ticket.pk == broken.pk:
            raise RuntimeError("scheda illeggibile")
        return real(planner, ticket, activity, hours)

    monkeypatch.setattr(billing_activities._Planner, "hours_lines", failing)
    outcome = bill(list(tickets.values()), actor, grouping=Grouping.CUSTOMER)
    assert orders_by_customer(a) == [] and len(orders_by_customer(b)) == 1
    skipped = {item["ticket"] for item in outcome.skipped}
    assert skipped == {tickets["a_contract"].pk, tickets["a_1"].pk, tickets["a_2"].pk}


def test_the_preview_shows_the_orders_as_they_will_be_made(client, actor, world):
    a, _b, tickets = world
    client.force_login(UserFactory(username="capo", functions=[MANAGE_TICKETS, MANAGE_ORDERS]))
    run = preview(
        client,
        {
            "mode": "selected",
            "tickets": [t.pk for t in tickets.values()],
            "grouping": Grouping.CUSTOMER_CONTRACT,
        },
    )
    assert run.grouping == Grouping.CUSTOMER_CONTRACT
    page = client.get(run.get_absolute_url())
    assert page.context["order_count"] == 3
    body = page.content.decode()
    assert body.count('class="card mb-2 preview-order"') == 3
    assert "CTR-X" in body and f"{tickets['a_1'].code} – " in body
    response = confirm(client, run, follow=True)
    assert Order.objects.count() == 3
    assert f"{tickets['a_1'].code}, {tickets['a_2'].code}" in response.content.decode()


def test_an_unknown_grouping_is_refused(client, actor, world):
    _a, _b, tickets = world
    client.force_login(UserFactory(username="capo", functions=[MANAGE_TICKETS]))
    response = client.post(
        reverse("billing:bill_activities_preview"),
        {"mode": "selected", "tickets": [tickets["b"].pk], "grouping": "per-agente"},
        follow=True,
    )
    assert BillingRun.objects.count() == 0
    assert "per-agente" in response.content.decode()
