"""Activities billed as an after-sales department bills them: the price chain, rounding and
minimum, call-out fee, travel, materials and prepaid hours (monte ore), each part of an activity
on at most one live line."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from backoffice import services as order_services
from backoffice.models import Order, OrderLine, PriceList, PriceListItem
from contracts.models import ContractRate, PrepaidDraw, PrepaidHours
from crm_billing.services.prices import billed_minutes, hours_of
from tests.crm_billing.test_billing_activities import bill, configure_activity_case
from tests.factories import (
    ActivityFactory,
    ContractFactory,
    CustomerFactory,
    ProductFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import ActivityMaterial, ActivityType
from tickets.permissions import MANAGE_TICKETS

Kind, Source = OrderLine.Kind, OrderLine.PriceSource
D = Decimal


@pytest.fixture
def profile(db):
    profile = configure_activity_case()
    profile.product.list_price = D("1250.00")  # a senior engineer's hour, list price
    profile.product.save()
    return profile


@pytest.fixture
def actor(db):
    return UserFactory(username="operatore", functions=[MANAGE_TICKETS])


def lines_of(order, kind=None):
    lines = order.lines.order_by("position")
    return list(lines.filter(kind=kind) if kind else lines)


def on_site_type(product=None):
    return ActivityType.objects.create(name="Intervento in sede", on_site=True, product=product)


def remote_type():
    return ActivityType.objects.create(name="Assistenza remota", on_site=False)


def with_call_out_and_travel(profile):
    profile.call_out_product = ProductFactory(code="DIRCH", list_price=D("1100.00"))
    profile.travel_product = ProductFactory(code="KM", list_price=D("0.60"))
    profile.save()
    return profile


# --- The price chain ---------------------------------------------------------------------------


def test_the_list_price_less_the_customer_discount_when_nothing_is_agreed(profile, actor):
    ticket = TicketFactory(customer=CustomerFactory(discount_percent=D("10")))
    ActivityFactory(ticket=ticket, duration_minutes=60)
    bill([ticket], actor)
    (line,) = lines_of(Order.objects.get())
    assert (line.unit_price, line.discount_percent, line.price_source) == (
        D("1250.00"),
        D("10.00"),
        Source.LIST_PRICE,
    )
    assert line.net_amount == D("1125.00")


def test_the_customer_price_list_comes_before_the_list_price_and_is_not_discounted(profile, actor):
    price_list = PriceList.objects.create(code="L-GOLD", name="Clienti gold")
    PriceListItem.objects.create(
        price_list=price_list, product=profile.product, unit_price=D("1100")
    )
    customer = CustomerFactory(discount_percent=D("10"), price_list=price_list)
    ticket = TicketFactory(customer=customer)
    ActivityFactory(ticket=ticket, duration_minutes=120)
    bill([ticket], actor)
    (line,) = lines_of(Order.objects.get())
    assert (line.unit_price, line.discount_percent, line.price_source) == (
        D("1100.00"),
        D("0.00"),
        Source.PRICE_LIST,
    )
    assert line.net_amount == D("2200.00")


def test_the_contract_rate_comes_first(profile, actor):
    price_list = PriceList.objects.create(code="L-GOLD", name="Clienti gold")
    PriceListItem.objects.create(
        price_list=price_list, product=profile.product, unit_price=D("1100")
    )
    customer = CustomerFactory(discount_percent=D("10"), price_list=price_list)
    contract = ContractFactory(customer=customer)
    ContractRate.objects.create(contract=contract, product=profile.product, unit_price=D("1050"))
    ticket = TicketFactory(customer=customer, contract=contract)
    ActivityFactory(ticket=ticket, duration_minutes=60)
    other = TicketFactory(customer=customer)  # not under the contract: the price list
    ActivityFactory(ticket=other, duration_minutes=60)
    bill([ticket, other], actor)
    by_ticket = {order.source_id: lines_of(order)[0] for order in Order.objects.all()}
    assert (by_ticket[ticket.pk].unit_price, by_ticket[ticket.pk].price_source) == (
        D("1050.00"),
        Source.CONTRACT_RATE,
    )
    assert by_ticket[ticket.pk].discount_percent == 0
    assert by_ticket[other.pk].price_source == Source.PRICE_LIST


def test_the_activity_type_names_the_product_billed(profile, actor):
    specialist = ProductFactory(code="SPEC", list_price=D("1480.00"))
    ticket = TicketFactory()
    ActivityFactory(ticket=ticket, duration_minutes=60, activity_type=remote_type())
    typed = ActivityType.objects.create(name="Collaudo", product=specialist)
    ActivityFactory(ticket=ticket, duration_minutes=60, activity_type=typed)
    bill([ticket], actor)
    products = [line.product for line in lines_of(Order.objects.get())]
    assert products == [profile.product, specialist]


# --- Rounding and minimum ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "increment", "minimum", "minutes"),
    [
        (50, 0, 0, 50),
        (50, 15, 0, 60),
        (61, 15, 0, 75),
        (10, 15, 30, 30),
        (None, 0, 0, 60),
        (None, 45, 0, 90),
        (1440, 15, 30, 1440),
    ],
)
def test_billed_minutes(duration, increment, minimum, minutes):
    assert billed_minutes(duration, increment=increment, minimum=minimum) == minutes


def test_rounding_comes_from_the_contract_else_from_the_configuration(profile, actor):
    profile.billing_increment_minutes, profile.minimum_minutes = 30, 60
    profile.save()
    customer = CustomerFactory()
    exact = ContractFactory(customer=customer, billing_increment_minutes=0, minimum_minutes=0)
    by_quarter = ContractFactory(customer=customer, billing_increment_minutes=15)
    tickets = {
        "configured": TicketFactory(customer=customer),
        "exact": TicketFactory(customer=customer, contract=exact),
        "quarter": TicketFactory(customer=customer, contract=by_quarter),
    }
    for ticket in tickets.values():
        ActivityFactory(ticket=ticket, duration_minutes=70)
        ActivityFactory(ticket=ticket, duration_minutes=20)
    bill(list(tickets.values()), actor)
    quantities = {
        name: [line.quantity for line in lines_of(Order.objects.get(source_id=ticket.pk))]
        for name, ticket in tickets.items()
    }
    assert quantities == {
        "configured": [D("1.50"), D("1.00")],  # 70 → 90 min; 20 → the 60 min minimum
        "exact": [D("1.17"), D("0.33")],
        "quarter": [D("1.25"), D("1.00")],  # 70 → 75 min; 20 → 30, then the minimum of 60
    }


# --- Call-out fee, travel, materials -----------------------------------------------------------


def test_call_out_once_per_ticket_and_day_travel_per_on_site_activity_materials_each(
    profile, actor
):
    with_call_out_and_travel(profile)
    on_site, remote = on_site_type(), remote_type()
    ticket = TicketFactory(customer=CustomerFactory(discount_percent=D("0")))
    morning = ActivityFactory(
        ticket=ticket, date=date(2026, 10, 5), activity_type=on_site, km=42, duration_minutes=120
    )
    ActivityFactory(
        ticket=ticket, date=date(2026, 10, 5), activity_type=on_site, km=0, duration_minutes=60
    )
    ActivityFactory(
        ticket=ticket, date=date(2026, 10, 6), activity_type=remote, km=80, duration_minutes=30
    )
    pump = ProductFactory(code="POMPA", list_price=D("1480.00"))
    ActivityMaterial.objects.create(
        activity=morning, product=pump, quantity=D("2"), description="Pompa di ricircolo"
    )
    bill([ticket], actor)
    order = Order.objects.get()
    kinds = [(line.kind, line.quantity) for line in lines_of(order)]
    assert kinds == [
        (Kind.CALL_OUT, D("1.00")),  # the 5th: on-site work; the 6th was remote: none
        (Kind.ITEM, D("2.00")),
        (Kind.TRAVEL, D("42.00")),
        (Kind.MATERIAL, D("2.00")),
        (Kind.ITEM, D("1.00")),  # on site, but no km: no travel line
        (Kind.ITEM, D("0.50")),  # remote: its km are not billed
    ]
    call_out, _hours, travel, material, *_rest = lines_of(order)
    assert (call_out.source, call_out.source_date, call_out.net_amount) == (
        ticket,
        date(2026, 10, 5),
        D("1100.00"),
    )
    assert "05/10/2026" in call_out.description
    assert (travel.source, travel.net_amount) == (morning, D("25.20"))
    assert (material.source.product, material.net_amount) == (pump, D("2960.00"))
    assert "Pompa di ricircolo" in material.description


def test_a_second_run_never_charges_a_day_twice(profile, actor):
    with_call_out_and_travel(profile)
    on_site = on_site_type()
    ticket = TicketFactory()
    ActivityFactory(ticket=ticket, date=date(2026, 10, 5), activity_type=on_site, km=10)
    bill([ticket], actor)
    later_same_day = ActivityFactory(
        ticket=ticket, date=date(2026, 10, 5), activity_type=on_site, km=10
    )
    ActivityFactory(ticket=ticket, date=date(2026, 10, 7), activity_type=on_site, km=10)
    bill([ticket], actor)
    second = Order.objects.order_by("-id").first()
    call_outs = lines_of(second, Kind.CALL_OUT)
    assert [line.source_date for line in call_outs] == [date(2026, 10, 7)]
    assert {line.source for line in lines_of(second, Kind.TRAVEL)} >= {later_same_day}
    assert OrderLine.objects.filter(kind=Kind.CALL_OUT, is_live=True).count() == 2


def test_cancelling_releases_the_call_out_travel_and_materials_too(profile, actor):
    with_call_out_and_travel(profile)
    ticket = TicketFactory()
    activity = ActivityFactory(ticket=ticket, activity_type=on_site_type(), km=15)
    ActivityMaterial.objects.create(activity=activity, product=ProductFactory(), quantity=D("1"))
    bill([ticket], actor)
    first = Order.objects.get()
    order_services.cancel_order(order=first, actor=actor)
    bill([ticket], actor)
    second = Order.objects.exclude(pk=first.pk).get()
    assert sorted(line.kind for line in lines_of(second)) == sorted(
        [Kind.CALL_OUT, Kind.ITEM, Kind.TRAVEL, Kind.MATERIAL]
    )


def test_each_part_is_on_at_most_one_live_line_in_the_database(profile, actor):
    with_call_out_and_travel(profile)
    ticket = TicketFactory()
    activity = ActivityFactory(ticket=ticket, activity_type=on_site_type(), km=15)
    bill([ticket], actor)
    order = Order.objects.get()
    travel = lines_of(order, Kind.TRAVEL)[0]
    call_out = lines_of(order, Kind.CALL_OUT)[0]
    for copied in (travel, call_out):
        copied.pk, copied.position = None, 99
        with pytest.raises(IntegrityError), transaction.atomic():
            copied.save()
    # Another day's call-out of the same ticket, or another kind of line of the same
    # activity, are different parts.
    call_out.pk, call_out.source_date = None, date(2026, 10, 9)
    call_out.save()
    assert OrderLine.objects.filter(source_id=activity.pk, is_live=True).count() == 2


# --- Prepaid hours (monte ore) -----------------------------------------------------------------


def package(contract, hours, start=date(2026, 1, 1), end=date(2026, 12, 31)):
    return PrepaidHours.objects.create(
        contract=contract, hours=D(hours), valid_from=start, valid_to=end
    )


def remaining(pkg) -> Decimal:
    return PrepaidHours.objects.with_usage().get(pk=pkg.pk).remaining


def test_hours_are_drawn_from_the_package_in_date_order_and_only_the_excess_is_billed(
    profile, actor
):
    contract = ContractFactory()
    ContractRate.objects.create(contract=contract, product=profile.product, unit_price=D("1050"))
    hours = package(contract, "3")
    first = TicketFactory(customer=contract.customer, contract=contract)
    second = TicketFactory(customer=contract.customer, contract=contract)
    ActivityFactory(ticket=second, date=date(2026, 10, 1), duration_minutes=120)  # oldest
    ActivityFactory(ticket=first, date=date(2026, 10, 3), duration_minutes=120)
    bill([first, second], actor)
    older = lines_of(Order.objects.get(source_id=second.pk))
    newer = lines_of(Order.objects.get(source_id=first.pk))
    assert [(line.kind, line.quantity, line.unit_price) for line in older] == [
        (Kind.PREPAID, D("2.00"), D("0.00"))
    ]
    assert "a scalare dal monte ore, residuo 1,00 h" in older[0].description
    assert older[0].price_source == Source.PREPAID
    assert [(line.kind, line.quantity, line.unit_price) for line in newer] == [
        (Kind.PREPAID, D("1.00"), D("0.00")),
        (Kind.ITEM, D("1.00"), D("1050.00")),
    ]
    assert "residuo 0,00 h" in newer[0].description
    assert remaining(hours) == 0
    assert PrepaidDraw.objects.filter(package=hours).count() == 2


def test_cancelling_an_order_gives_its_hours_back(profile, actor):
    contract = ContractFactory()
    hours = package(contract, "10")
    ticket = TicketFactory(customer=contract.customer, contract=contract)
    ActivityFactory(ticket=ticket, duration_minutes=240)
    bill([ticket], actor)
    assert remaining(hours) == D("6.00")
    order_services.cancel_order(order=Order.objects.get(), actor=actor)
    assert remaining(hours) == D("10.00")
    bill([ticket], actor)
    assert remaining(hours) == D("6.00")


def test_a_package_not_valid_on_the_activity_date_is_not_drawn(profile, actor):
    contract = ContractFactory()
    package(contract, "10", start=date(2027, 1, 1), end=date(2027, 12, 31))
    ticket = TicketFactory(customer=contract.customer, contract=contract)
    ActivityFactory(ticket=ticket, date=date(2026, 10, 2), duration_minutes=60)
    bill([ticket], actor)
    assert [line.kind for line in lines_of(Order.objects.get())] == [Kind.ITEM]


def test_a_package_drawn_to_the_last_hundredth_has_exactly_nothing_left(profile, actor):
    # Found by the property below on SQLite, which subtracts decimals as floats.
    profile.billing_increment_minutes = 30
    profile.save()
    contract = ContractFactory()
    hours = package(contract, "3.61")
    ticket = TicketFactory(customer=contract.customer, contract=contract)
    ActivityFactory(ticket=ticket, duration_minutes=91)
    ActivityFactory(ticket=ticket, duration_minutes=91)
    bill([ticket], actor)
    assert remaining(hours) == Decimal("0.00")
    assert PrepaidHours.objects.with_usage().filter(remaining__lt=0).count() == 0


def test_billing_twice_never_draws_twice(profile, actor):
    contract = ContractFactory()
    hours = package(contract, "5")
    ticket = TicketFactory(customer=contract.customer, contract=contract)
    ActivityFactory(ticket=ticket, duration_minutes=60)
    bill([ticket], actor)
    bill([ticket], actor)
    assert remaining(hours) == D("4.00") and Order.objects.count() == 1


# --- Property: drawn + billed = rounded hours; remaining ≥ 0; twice = once ---------------------

activities_spec = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=28),  # day of October
        st.one_of(st.none(), st.integers(min_value=1, max_value=600)),  # duration
        st.booleans(),  # under the contract with the package
    ),
    min_size=1,
    max_size=8,
)


class PrepaidProperty(HypothesisTestCase):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        activities_spec,
        st.sampled_from([0, 15, 30]),
        st.sampled_from([0, 30, 60]),
        st.decimals(min_value=D("0.25"), max_value=D("20"), places=2),
    )
    def test_drawn_plus_billed_is_the_rounded_hours(self, specs, increment, minimum, bought):
        profile = configure_activity_case()
        profile.billing_increment_minutes, profile.minimum_minutes = increment, minimum
        profile.save()
        actor = UserFactory(username="prop", functions=[MANAGE_TICKETS])
        contract = ContractFactory()
        hours = package(contract, bought)
        under = TicketFactory(customer=contract.customer, contract=contract)
        outside = TicketFactory(customer=contract.customer)
        rounded = D("0")
        for day, duration, covered in specs:
            ActivityFactory(
                ticket=under if covered else outside,
                date=date(2026, 10, day),
                duration_minutes=duration,
            )
            minutes = billed_minutes(duration, increment=increment, minimum=minimum)
            rounded += hours_of(minutes)
        bill([under, outside], actor)
        live = OrderLine.objects.filter(is_live=True)
        drawn = sum((line.quantity for line in live.filter(kind=Kind.PREPAID)), D("0"))
        billed = sum((line.quantity for line in live.filter(kind=Kind.ITEM)), D("0"))
        assert drawn + billed == rounded
        assert remaining(hours) >= 0
        assert drawn <= bought
        assert live.filter(kind=Kind.PREPAID, unit_price__gt=0).count() == 0
        once = sorted(live.values_list("source_id", "kind", "quantity"))
        bill([under, outside], actor)
        assert sorted(live.values_list("source_id", "kind", "quantity")) == once


# --- Concurrency: two runs drawing the last hours of one package -------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL; SQLite serialises"
)
@pytest.mark.django_db(transaction=True)
def test_two_runs_drawing_one_nearly_empty_package_never_draw_more_than_it_holds():
    profile = configure_activity_case()
    contract = ContractFactory()
    hours = package(contract, "1.5")
    tickets = []
    for _ in range(6):
        ticket = TicketFactory(customer=contract.customer, contract=contract)
        ActivityFactory(ticket=ticket, duration_minutes=60)
        tickets.append(ticket)
    users = [UserFactory(username=name, functions=[MANAGE_TICKETS]) for name in ("uno", "due")]
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

    selections = [tickets[::2], tickets[1::2]]  # disjoint tickets, one package
    threads = [threading.Thread(target=run, args=pair) for pair in zip(users, selections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    drawn = sum(
        OrderLine.objects.filter(kind=Kind.PREPAID, is_live=True).values_list("quantity", flat=True)
    )
    assert drawn == D("1.50")
    assert remaining(hours) == 0
    assert OrderLine.objects.filter(kind=Kind.ITEM, is_live=True).count() == 5
    assert profile.pk
