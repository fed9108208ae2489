"""'Crea Ordine' and 'Fattura attività': one order per ticket, a line per billable activity,
nothing billed twice, one bad ticket never blocks the others."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from backoffice import services as order_services
from backoffice.models import Order, OrderLine
from crm_billing.models import BillingProfile
from crm_billing.services import activities as billing_activities
from crm_billing.services.billing import ConfigurationMissing
from tests.factories import (
    ActivityConditionFactory,
    ActivityFactory,
    ActivityStatusFactory,
    CustomerFactory,
    DealSubjectFactory,
    OrderTypeFactory,
    ProductFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import Activity, ActivityMaterial, ActivityStatus, Ticket
from tickets.permissions import MANAGE_TICKETS


def configure_activity_case():
    profile = BillingProfile.objects.for_case(BillingProfile.Case.ACTIVITY)
    profile.order_type = OrderTypeFactory()
    profile.deal_subject = DealSubjectFactory()
    profile.product = ProductFactory(list_price=Decimal("60.00"))
    profile.save()
    return profile


@pytest.fixture
def profile(db):
    return configure_activity_case()


@pytest.fixture
def actor(db):
    return UserFactory(username="operatore", functions=[MANAGE_TICKETS])


def open_status():
    return ActivityStatusFactory(name="In lavorazione", kind=ActivityStatus.Kind.IN_PROGRESS)


def warranty():
    return ActivityConditionFactory(name="In garanzia", to_be_billed=False)


def bill(tickets, actor, **kwargs):
    return billing_activities.bill_tickets(
        tickets=Ticket.objects.filter(pk__in=[t.pk for t in tickets]), actor=actor, **kwargs
    )


def test_one_order_per_ticket_with_a_line_per_billable_activity(profile, actor):
    customer = CustomerFactory(discount_percent=Decimal("10"))
    ticket = TicketFactory(customer=customer)
    billable = ActivityFactory(ticket=ticket, duration_minutes=90)
    no_duration = ActivityFactory(ticket=ticket, duration_minutes=None)
    ActivityFactory(ticket=ticket, status=open_status())
    ActivityFactory(ticket=ticket, condition=warranty())
    outcome = bill([ticket], actor)
    order = Order.objects.get()
    assert outcome.created[0]["order"] == order.pk
    assert (order.origin, order.from_defaults, order.owner, order.source) == (
        Order.Origin.TICKET,
        True,
        actor,
        ticket,
    )
    lines = {line.source: line for line in order.lines.all()}
    assert set(lines) == {billable, no_duration}
    # 90 minutes → 1,50 h × 60,00 − 10% = 81,00; no duration → 1 × 60,00 − 10% = 54,00
    assert (lines[billable].quantity, lines[billable].net_amount) == (
        Decimal("1.50"),
        Decimal("81.00"),
    )
    assert lines[no_duration].quantity == Decimal("1")
    assert "Sostituzione scheda" in lines[billable].description


def test_hours_are_minutes_over_sixty_rounded_half_up(db):
    assert ActivityFactory.build(duration_minutes=20).hours == Decimal("0.33")
    assert ActivityFactory.build(duration_minutes=1).hours == Decimal("0.02")  # 0.01666 → 0.02
    assert ActivityFactory.build(duration_minutes=None).hours == Decimal("1")


def test_reasons_are_given_in_the_design_order(profile, actor):
    ticket = TicketFactory()
    not_closed = ActivityFactory(ticket=ticket, status=open_status(), condition=warranty())
    not_billable_condition = ActivityFactory(ticket=ticket, condition=warranty())
    late = ActivityFactory(ticket=ticket, date=date(2026, 10, 20))
    billed = ActivityFactory(ticket=TicketFactory())
    bill([billed.ticket], actor)
    plans = billing_activities.plan_billing(
        tickets=type(ticket).objects.filter(pk__in=[ticket.pk, billed.ticket_id]),
        cutoff=date(2026, 10, 10),
    ).tickets
    reasons = {activity: reason for plan in plans for activity, reason in plan.skipped}
    assert "Chiuso" in reasons[not_closed]  # not closed comes before the condition
    assert "In garanzia" in reasons[not_billable_condition]
    order = Order.objects.get()
    assert order.number in reasons[billed]
    assert "10/10/2026" in reasons[late]


def test_no_billable_activity_creates_nothing_and_says_why(profile, actor):
    ticket = TicketFactory()
    ActivityFactory(ticket=ticket, condition=warranty())
    outcome = bill([ticket], actor)
    assert Order.objects.count() == 0
    assert outcome.created == []
    assert "In garanzia" in outcome.skipped[0]["reason"]


def test_missing_configuration_writes_nothing(db, actor):
    ticket = ActivityFactory().ticket
    with pytest.raises(ConfigurationMissing):
        bill([ticket], actor)
    assert Order.objects.count() == 0


def test_a_second_run_bills_nothing_more(profile, actor):
    tickets = [ActivityFactory().ticket for _ in range(3)]
    first = bill(tickets, actor)
    second = bill(tickets, actor)
    assert len(first.created) == 3 and second.created == []
    assert Order.objects.count() == 3
    assert [s["ticket"] for s in second.skipped] == sorted(t.pk for t in tickets)
    assert all("già sull'ordine" in s["reason"] for s in second.skipped)


def test_cancelling_an_order_releases_its_activities(profile, actor):
    activity = ActivityFactory()
    bill([activity.ticket], actor)
    order_services.cancel_order(order=Order.objects.get(), actor=actor)
    outcome = bill([activity.ticket], actor)
    assert len(outcome.created) == 1
    live = OrderLine.objects.filter(is_live=True)
    assert [line.source for line in live] == [activity]
    released = Activity.objects.with_released_order().get(pk=activity.pk)
    assert released.released_order_number


def test_a_failure_at_ticket_k_leaves_the_others_billed(profile, actor, monkeypatch):
    tickets = [ActivityFactory(ticket=TicketFactory()).ticket for _ in range(5)]
    broken = tickets[2]
    real_hours_lines = billing_activities._Planner.hours_lines

    def failing_hours_lines(planner, ticket, activity, hours):
        if ticket.pk == broken.pk:
            raise RuntimeError("scheda tecnica illeggibile")
        return real_hours_lines(planner, ticket, activity, hours)

    monkeypatch.setattr(billing_activities._Planner, "hours_lines", failing_hours_lines)
    outcome = bill(tickets, actor)
    billed = {item["ticket"] for item in outcome.created}
    assert billed == {t.pk for t in tickets} - {broken.pk}
    assert [item["ticket"] for item in outcome.skipped] == [broken.pk]
    assert "scheda tecnica illeggibile" in outcome.skipped[0]["reason"]
    # No order without lines, no line without its order.
    assert not Order.objects.filter(lines__isnull=True).exists()
    assert Order.objects.count() == 4


def test_billing_queries_do_not_grow_with_the_tickets(
    profile, actor, django_assert_max_num_queries
):
    few = [ActivityFactory(ticket=TicketFactory()).ticket for _ in range(2)]
    many = [ActivityFactory(ticket=TicketFactory()).ticket for _ in range(40)]
    actor.has_perm(MANAGE_TICKETS)  # the user's permissions are read once, then cached
    # Content types are cached per process, but a transactional test run before this one may
    # have emptied the cache: fill it, so both measures start alike.
    ContentType.objects.get_for_models(Activity, ActivityMaterial, Ticket)
    # 24: the batch locks its tickets, then their activities (a ticket cannot change customer
    # while it is billed) and the prepaid packages; reads the activities, their materials,
    # prices, packages and what is billed already; reserves numbers and writes orders, lines
    # and events.
    with django_assert_max_num_queries(24) as few_queries:
        bill(few, actor)
    with django_assert_max_num_queries(24) as many_queries:
        bill(many, actor)
    assert len(many_queries.captured_queries) == len(few_queries.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_two_users_billing_overlapping_selections_bill_each_activity_once():
    configure_activity_case()
    tickets = [ActivityFactory(ticket=TicketFactory()).ticket for _ in range(30)]
    for ticket in tickets:
        ActivityFactory(ticket=ticket, duration_minutes=30)
    users = [UserFactory(username=name, functions=[MANAGE_TICKETS]) for name in ("uno", "due")]
    selections = [tickets[:20], tickets[10:]]
    barrier = threading.Barrier(2)
    errors = []

    def run(user, selection):
        try:
            barrier.wait()
            bill(selection, user)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in zip(users, selections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    live = OrderLine.objects.filter(is_live=True)
    assert live.count() == Activity.objects.count() == 60
    assert len(set(live.values_list("source_id", flat=True))) == 60
    assert Order.objects.count() == 30  # one per ticket, whoever got there first


# --- Property: billing twice = billing once; billed set = billable set -------------------------

activity_kinds = st.tuples(
    st.sampled_from(["closed", "open"]),
    st.booleans(),  # condition to be billed
    st.booleans(),  # already billed beforehand
    st.one_of(st.none(), st.integers(min_value=1, max_value=600)),
)


class BillingProperty(HypothesisTestCase):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.lists(activity_kinds, min_size=0, max_size=4), min_size=1, max_size=4))
    def test_billing_twice_equals_billing_once_and_bills_exactly_the_billable(self, tickets):
        configure_activity_case()
        actor = UserFactory(username="prop", functions=[MANAGE_TICKETS])
        closed = ActivityStatusFactory()
        opened = open_status()
        paid, free = ActivityConditionFactory(), warranty()
        created, expected = [], set()
        for spec in tickets:
            ticket = TicketFactory()
            created.append(ticket)
            for kind, to_bill, prebilled, minutes in spec:
                activity = ActivityFactory(
                    ticket=ticket,
                    status=closed if kind == "closed" else opened,
                    condition=paid if to_bill else free,
                    duration_minutes=minutes,
                )
                if kind == "closed" and to_bill:
                    if prebilled:
                        bill_single_activity(activity, actor)
                    else:
                        expected.add(activity.pk)
        before = set(OrderLine.objects.filter(is_live=True).values_list("source_id", flat=True))
        bill(created, actor)
        after_once = set(OrderLine.objects.filter(is_live=True).values_list("source_id", flat=True))
        orders_once = Order.objects.count()
        bill(created, actor)
        after_twice = set(
            OrderLine.objects.filter(is_live=True).values_list("source_id", flat=True)
        )
        assert after_once - before == expected
        assert after_twice == after_once
        assert Order.objects.count() == orders_once


def bill_single_activity(activity, actor):
    """Bill one activity on its own order, as an earlier run would have."""
    profile = BillingProfile.objects.for_case(BillingProfile.Case.ACTIVITY)
    order_services.create_order(
        order_type=profile.order_type,
        customer=activity.ticket.customer,
        actor=actor,
        lines=[
            order_services.LineDraft(
                product=profile.product,
                description="prima fatturazione",
                quantity=activity.hours,
                unit_price=Decimal("1"),
                source=activity,
            )
        ],
    )


def test_billing_checks_the_function_again(profile):
    ticket = ActivityFactory().ticket
    with pytest.raises(PermissionDenied):
        bill([ticket], UserFactory(username="senza-funzioni"))
    assert Order.objects.count() == 0
