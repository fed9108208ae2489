""" "Da fatturare": what is left to bill by age, customer and technician, with hours and value as
billing would price them, in a constant number of queries; each cell bills exactly its slice."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from backoffice import services as order_services
from backoffice.models import Order, OrderLine, PriceListItem
from contracts.models import ContractRate
from crm_billing import dashboard
from crm_billing.models import BillingRun
from crm_billing.services import runs
from crm_billing.services.activities import plan_billing
from tests.crm_billing.test_billing_activities import bill, configure_activity_case
from tests.factories import (
    ActivityConditionFactory,
    ActivityFactory,
    ActivityStatusFactory,
    ContractFactory,
    CustomerFactory,
    PriceListFactory,
    ProductFactory,
    TicketFactory,
    UserFactory,
)
from tests.pages import post_forms_as_rendered
from tickets.models import Activity, ActivityMaterial, ActivityStatus, ActivityType, Ticket
from tickets.permissions import MANAGE_TICKETS

D = Decimal
TODAY = date(2026, 12, 6)


@pytest.fixture
def profile(db):
    profile = configure_activity_case()
    profile.product.list_price = D("1250.00")
    profile.product.save()
    return profile


@pytest.fixture
def actor(db):
    return UserFactory(username="operatore", functions=[MANAGE_TICKETS])


def board(today=TODAY):
    return dashboard.to_be_billed(today=today)


def ages_of(row):
    return {cell.age: cell.count for cell in row.by_age}


def days_ago(days):
    return TODAY - timedelta(days=days)


# --- What is counted, and where ---------------------------------------------------------------


def test_age_buckets_have_their_boundaries_at_30_60_and_90_days(profile):
    for days in (0, 30, 31, 60, 61, 90, 91, 400):
        ActivityFactory(date=days_ago(days))
    ActivityFactory(date=TODAY + timedelta(days=2))  # dated ahead: the youngest bucket
    assert ages_of(board().total) == {"0-30": 3, "31-60": 2, "61-90": 2, "over-90": 2}


def test_the_slice_of_an_age_bucket_is_the_activities_its_cell_counts(profile):
    made = {days: ActivityFactory(date=days_ago(days)).pk for days in (30, 31, 60, 61, 90, 91)}
    in_bucket = {
        age.key: set(
            dashboard.slice_activities(today=TODAY, age=age.key).values_list("pk", flat=True)
        )
        for age in dashboard.AGES
    }
    assert in_bucket == {
        "0-30": {made[30]},
        "31-60": {made[31], made[60]},
        "61-90": {made[61], made[90]},
        "over-90": {made[91]},
    }


def test_only_billable_activities_count(profile, actor):
    counted = ActivityFactory(date=days_ago(5))
    ActivityFactory(
        date=days_ago(5),
        status=ActivityStatusFactory(name="In lavorazione", kind=ActivityStatus.Kind.IN_PROGRESS),
    )
    ActivityFactory(
        date=days_ago(5), condition=ActivityConditionFactory(name="In garanzia", to_be_billed=False)
    )
    billed = ActivityFactory(date=days_ago(5))
    bill([billed.ticket], actor)
    assert board().total.total.count == 1
    assert list(dashboard.slice_activities(today=TODAY)) == [counted]
    # Cancelling the order releases its activity: it is to be billed again.
    order_services.cancel_order(order=Order.objects.get(), actor=actor)
    assert board().total.total.count == 2


def test_rows_by_customer_and_by_technician(profile):
    rossi, bianchi = CustomerFactory(name="Rossi S.p.A."), CustomerFactory(name="Bianchi S.r.l.")
    anna = UserFactory(username="anna", first_name="Anna", last_name="Verdi")
    luca = UserFactory(username="luca", first_name="", last_name="")
    ActivityFactory(ticket__customer=rossi, technician=anna, date=days_ago(10))
    ActivityFactory(ticket__customer=rossi, technician=luca, date=days_ago(45))
    ActivityFactory(ticket__customer=bianchi, technician=anna, date=days_ago(100))
    result = board()
    customers = {row.name: ages_of(row) for row in result.customers}
    assert customers == {
        "Rossi S.p.A.": {"0-30": 1, "31-60": 1, "61-90": 0, "over-90": 0},
        "Bianchi S.r.l.": {"0-30": 0, "31-60": 0, "61-90": 0, "over-90": 1},
    }
    technicians = {row.name: ages_of(row) for row in result.technicians}
    assert technicians == {
        "Anna Verdi": {"0-30": 1, "31-60": 0, "61-90": 0, "over-90": 1},
        "luca": {"0-30": 0, "31-60": 1, "61-90": 0, "over-90": 0},
    }
    # The customer with the most to bill first; each cell knows its slice.
    assert [row.name for row in result.customers] == ["Rossi S.p.A.", "Bianchi S.r.l."]
    cell = result.customers[0].cells["31-60"]
    assert (cell.customer_id, cell.technician_id, cell.age) == (rossi.pk, None, "31-60")


# --- Hours and value, as billing would price them ---------------------------------------------


def test_hours_and_value_follow_the_price_chain_and_the_rounding(profile):
    product = ProductFactory(list_price=D("1500.00"))
    typed = ActivityType.objects.create(name="Sistemista", product=product)
    # List price less the customer's discount: 1 h 30 → 1,50 h × 1.250,00 − 10 %.
    discounted = CustomerFactory(discount_percent=D("10"))
    ActivityFactory(ticket__customer=discounted, duration_minutes=90)
    # The customer's price list, for the activity type's product: 20 min → 0,33 h × 1.150,00.
    price_list = PriceListFactory()
    PriceListItem.objects.create(price_list=price_list, product=product, unit_price=D("1150.00"))
    listed = CustomerFactory(price_list=price_list, discount_percent=D("10"))
    ActivityFactory(ticket__customer=listed, activity_type=typed, duration_minutes=20)
    # The contract's rate, its rounding (30 min) and minimum (60): 70 min → 1,50 h × 1.080,00.
    contract = ContractFactory(billing_increment_minutes=30, minimum_minutes=60)
    ContractRate.objects.create(contract=contract, product=profile.product, unit_price=D("1080"))
    ActivityFactory(
        ticket__customer=contract.customer, ticket__contract=contract, duration_minutes=70
    )
    # The minimum: 10 min → 1,00 h; no duration → 1 h.
    ActivityFactory(
        ticket__contract=contract, ticket__customer=contract.customer, duration_minutes=10
    )
    ActivityFactory(duration_minutes=None)
    result = board()
    values = {row.name: (row.total.hours, row.total.value) for row in result.customers}
    assert values[discounted.name] == (D("1.50"), D("1687.50"))
    assert values[listed.name] == (D("0.33"), D("379.50"))
    assert values[contract.customer.name] == (D("2.50"), D("2700.00"))
    total = result.total.total
    assert total.count == 5
    assert total.hours == D("1.50") + D("0.33") + D("2.50") + D("1.00")
    # The same figures the billing preview shows.
    plan = plan_billing(tickets=Ticket.objects.all())
    assert total.value == sum((p.total for p in plan.tickets), D("0"))


def test_the_value_rounds_each_activity_to_the_cent_as_its_line(profile):
    profile.product.list_price = D("1234.57")
    profile.product.save()
    customer = CustomerFactory(discount_percent=D("12.5"))
    for minutes in (7, 13, 29, 47, 61, 83):
        ActivityFactory(ticket__customer=customer, duration_minutes=minutes)
    plan = plan_billing(tickets=Ticket.objects.all())
    assert board().total.total.value == sum((p.total for p in plan.tickets), D("0"))


def test_without_configuration_the_hours_are_shown_at_no_value(db):
    ActivityFactory(duration_minutes=30)
    total = board().total.total
    assert (total.count, total.hours, total.value) == (1, D("0.50"), D("0"))


def test_queries_do_not_grow_with_the_activities(profile, django_assert_max_num_queries):
    def make(count):
        for n in range(count):
            ActivityFactory(
                ticket__customer=CustomerFactory(),
                technician=UserFactory(username=f"tecnico{count}-{n % 5}"),
                date=days_ago(n * 7),
            )

    make(2)
    with django_assert_max_num_queries(5) as few:
        board()
    make(40)
    with django_assert_max_num_queries(5) as many:
        result = board()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert result.total.total.count == 42


# --- A cell bills exactly its slice -----------------------------------------------------------


def on_site_day(ticket, technician, day, **fields):
    on_site, _created = ActivityType.objects.get_or_create(name="In sede", on_site=True)
    return ActivityFactory(
        ticket=ticket, technician=technician, date=day, activity_type=on_site, **fields
    )


def test_a_slice_bills_its_activities_and_not_the_others_of_their_tickets(profile, actor):
    profile.call_out_product = ProductFactory(code="DIRCH", list_price=D("1100.00"))
    profile.save()
    anna, luca = UserFactory(username="anna"), UserFactory(username="luca")
    ticket = TicketFactory()
    chosen = on_site_day(ticket, anna, days_ago(40))
    same_day_other_technician = on_site_day(ticket, luca, days_ago(40))
    younger = on_site_day(ticket, anna, days_ago(3))
    material = ActivityMaterial.objects.create(
        activity=younger, product=ProductFactory(), quantity=D("2")
    )
    other_ticket = TicketFactory(customer=ticket.customer)
    also_chosen = ActivityFactory(ticket=other_ticket, technician=anna, date=days_ago(50))
    activities = dashboard.slice_activities(today=TODAY, technician_id=anna.pk, age="31-60")
    run, plan = runs.preview_billing_run(activities=activities, actor=actor)
    assert run.activity_ids == sorted([chosen.pk, also_chosen.pk])
    assert sorted(run.ticket_ids) == sorted([ticket.pk, other_ticket.pk])
    # The others of the same ticket are not part of the run: neither billed nor "left out".
    assert [len(p.skipped) for p in plan.tickets] == [0, 0]
    run = runs.confirm_billing_run(run=run, actor=actor)
    assert run.state == BillingRun.State.DONE and len(run.created_orders) == 2
    billed = OrderLine.objects.filter(
        is_live=True, source_type=ContentType.objects.get_for_model(Activity)
    )
    assert set(billed.values_list("source_id", flat=True)) == {chosen.pk, also_chosen.pk}
    # The day of the chosen on-site activity has its call-out fee, once.
    assert OrderLine.objects.filter(kind=OrderLine.Kind.CALL_OUT).count() == 1
    assert not OrderLine.objects.filter(kind=OrderLine.Kind.MATERIAL).exists()
    left = set(dashboard.slice_activities(today=TODAY).values_list("pk", flat=True))
    assert left == {same_day_other_technician.pk, younger.pk}
    # Billing the rest later: the ticket-day's call-out is not billed twice.
    bill([ticket], actor)
    assert OrderLine.objects.filter(kind=OrderLine.Kind.CALL_OUT).count() == 2  # 40 and 3 days
    assert OrderLine.objects.filter(source_id=material.pk, kind=OrderLine.Kind.MATERIAL).exists()


def test_confirming_a_slice_bills_what_was_previewed_not_what_came_later(profile, actor):
    customer = CustomerFactory()
    previewed = ActivityFactory(ticket__customer=customer, date=days_ago(10))
    run, _plan = runs.preview_billing_run(
        activities=dashboard.slice_activities(today=TODAY, customer_id=customer.pk), actor=actor
    )
    later = ActivityFactory(ticket=previewed.ticket, date=days_ago(9))
    runs.confirm_billing_run(run=run, actor=actor)
    assert Activity.objects.billable().get() == later


@override_settings(BILLING_MAX_SELECTION=2)
def test_a_slice_over_the_selection_limit_is_refused(profile, actor):
    customer = CustomerFactory()
    for _ in range(3):
        ActivityFactory(ticket__customer=customer)
    with pytest.raises(runs.SelectionTooLarge, match="3"):
        runs.preview_billing_run(
            activities=dashboard.slice_activities(today=TODAY, customer_id=customer.pk),
            actor=actor,
        )
    assert BillingRun.objects.count() == 0


# --- The pages --------------------------------------------------------------------------------


def test_the_dashboard_needs_the_tickets_function(client, make_user, profile):
    client.force_login(make_user())
    assert client.get(reverse("billing:billing_dashboard")).status_code == 403
    answer = client.post(reverse("billing:dashboard_slice_preview"), {"age": "0-30"})
    assert answer.status_code == 403
    assert BillingRun.objects.count() == 0


def test_the_page_shows_the_tables_the_chart_and_the_menu_entry(client, actor, profile):
    customer = CustomerFactory(name="Officine Meccaniche S.p.A.")
    ActivityFactory(ticket__customer=customer, duration_minutes=600)  # 10 h × 1.250,00
    client.force_login(actor)
    response = client.get(reverse("billing:billing_dashboard"))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<svg id="dashboard-chart"' in body and "<title id=" in body and 'role="img"' in body
    assert "12.500,00 €" in body and "10,00 h" in body
    assert "Officine Meccaniche S.p.A." in body
    assert "prima del monte ore" in body
    assert f'href="{reverse("billing:billing_dashboard")}"' in body  # Post Vendita menu
    assert "<script" not in body.split("</head>")[1]


def test_a_cell_posted_previews_its_slice(client, actor, profile):
    customer = CustomerFactory()
    old = ActivityFactory(ticket__customer=customer, date=days_ago(100))
    ActivityFactory(ticket=old.ticket, date=days_ago(1))
    client.force_login(actor)
    answer = client.post(
        reverse("billing:dashboard_slice_preview"),
        {"customer": str(customer.pk), "age": "over-90"},
        follow=True,
    )
    run = BillingRun.objects.get()
    assert run.activity_ids == [old.pk]
    assert answer.redirect_chain[-1][0] == run.get_absolute_url()
    assert "1 attività della selezione" in answer.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"age": "ieri"},
        {"customer": "1.001"},
        {"customer": "99999999999999999999"},
        {"technician": "-3"},
    ],
)
def test_a_hostile_slice_is_refused_without_a_run(client, actor, profile, data):
    ActivityFactory()
    client.force_login(actor)
    answer = client.post(reverse("billing:dashboard_slice_preview"), data, follow=True)
    assert answer.redirect_chain[-1][0] == reverse("billing:billing_dashboard")
    assert BillingRun.objects.count() == 0


def test_a_slice_billed_meanwhile_says_so(client, actor, profile):
    client.force_login(actor)
    answer = client.post(reverse("billing:dashboard_slice_preview"), {"age": "0-30"}, follow=True)
    assert "già stata fatturata nel frattempo" in answer.content.decode()
    assert BillingRun.objects.count() == 0


def test_every_cell_as_rendered_previews_the_activities_it_counts(client, actor, profile):
    anna, luca = UserFactory(username="anna"), UserFactory(username="luca")
    customers = [CustomerFactory(), CustomerFactory()]
    for n, days in enumerate((3, 35, 65, 95, 120)):
        ActivityFactory(
            ticket__customer=customers[n % 2], technician=(anna, luca)[n % 2], date=days_ago(days)
        )
    client.force_login(actor)
    page = client.get(reverse("billing:billing_dashboard"))
    body = page.content.decode()
    forms = [
        (action, data)
        for action, data in post_forms_as_rendered(page)
        if action == reverse("billing:dashboard_slice_preview")
    ]
    # 5 cells of totals, 5 per customer and per technician; a button on the non-empty ones:
    # the totals, each row's total and its ages (3 and 2 for each customer and technician).
    assert body.count('class="text-end dashboard-cell"') == 5 + 4 * 5
    assert len(forms) == 5 + 2 * ((3 + 1) + (2 + 1))
    today = timezone.localdate()
    for _action, data in forms:
        answer = client.post(reverse("billing:dashboard_slice_preview"), data)
        run = BillingRun.objects.latest("pk")
        assert answer["Location"] == run.get_absolute_url()
        chosen = {key: int(values[0]) for key, values in data.items() if key != "age"}
        expected = dashboard.slice_activities(
            today=today,
            customer_id=chosen.get("customer"),
            technician_id=chosen.get("technician"),
            age=data.get("age", [""])[0],
        )
        assert run.activity_ids == sorted(expected.values_list("pk", flat=True)) != []


def test_only_the_customers_with_the_most_to_bill_are_listed_but_all_are_counted(
    client, actor, profile, monkeypatch
):
    monkeypatch.setattr(dashboard, "TABLE_ROWS", 1)
    small, large = CustomerFactory(name="Piccola S.n.c."), CustomerFactory(name="Grande S.p.A.")
    ActivityFactory(ticket__customer=small, duration_minutes=60)
    ActivityFactory(ticket__customer=large, duration_minutes=600)
    client.force_login(actor)
    body = client.get(reverse("billing:billing_dashboard")).content.decode()
    customers = body.split('id="dashboard-customers"')[1].split("</table>")[0]
    assert "Grande S.p.A." in customers and "Piccola S.n.c." not in customers
    assert "su 2; i totali li comprendono tutti" in body
    assert "13.750,00 €" in body  # 11 h × 1.250,00, both customers
    assert (
        'aria-label="Anteprima della fatturazione di 12.500,00 €: Grande S.p.A., tutte le età"'
        in body
    )
