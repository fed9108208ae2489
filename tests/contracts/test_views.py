import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice import services as order_services
from contracts.forms import ORDERS_SHOWN
from contracts.models import Contract, Renewal
from contracts.permissions import MANAGE_CONTRACTS
from crm_billing.services.billing import AlreadyLinked, create_order_for_contract
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    OrderTypeFactory,
    ProductFactory,
    RenewalFactory,
    UserFactory,
)


@pytest.fixture
def operator_client(client, make_user):
    client.force_login(make_user(MANAGE_CONTRACTS))
    return client


def make_order(customer):
    return order_services.create_order(
        order_type=OrderTypeFactory(), customer=customer, actor=UserFactory()
    )


def contract_data(contract, **changes):
    data = {
        "number": contract.number,
        "customer": contract.customer_id,
        "product": contract.product_id,
        "description": "",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "renewal_months": "12",
        "notice_days": "0",
        "index_share_percent": "100",
        "customer_cost": "",
        "order": "",
    }
    data.update(changes)
    return data


def test_num_ordine_offers_only_the_customers_live_orders(operator_client):
    contract = ContractFactory()
    own = make_order(contract.customer)
    cancelled = make_order(contract.customer)
    order_services.cancel_order(order=cancelled, actor=UserFactory())
    other = make_order(CustomerFactory())
    response = operator_client.get(contract.get_absolute_url())
    choices = [value for value, _label in response.context["form"].fields["order"].choices]
    assert own.pk in [getattr(v, "value", v) for v in choices]
    assert cancelled.pk not in [getattr(v, "value", v) for v in choices]
    assert other.pk not in [getattr(v, "value", v) for v in choices]


def test_the_dropdown_is_reloaded_for_another_customer(operator_client):
    customer = CustomerFactory()
    order = make_order(customer)
    make_order(CustomerFactory())
    response = operator_client.get(reverse("contracts:customer_orders"), {"customer": customer.pk})
    body = response.content.decode()
    assert f'value="{order.pk}"' in body
    assert body.count("<option") == 2  # the empty choice and the customer's one order


@pytest.mark.parametrize("which", ["other_customer", "cancelled"])
def test_linking_a_foreign_or_cancelled_order_is_refused(operator_client, which):
    contract = ContractFactory()
    if which == "other_customer":
        order = make_order(CustomerFactory())
    else:
        order = make_order(contract.customer)
        order_services.cancel_order(order=order, actor=UserFactory())
    response = operator_client.post(
        contract.get_absolute_url(), contract_data(contract, order=order.pk)
    )
    assert response.status_code == 422
    assert "order" in response.context["form"].errors
    assert Contract.objects.get(pk=contract.pk).order is None


def test_changing_the_customer_does_not_let_the_old_customers_order_through(operator_client):
    contract = ContractFactory()
    order = make_order(contract.customer)
    response = operator_client.post(
        contract.get_absolute_url(),
        contract_data(contract, customer=CustomerFactory().pk, order=order.pk),
    )
    assert response.status_code == 422
    assert Contract.objects.get(pk=contract.pk).order is None


def test_linking_an_own_order_is_saved_and_recorded_on_the_order(operator_client):
    contract = ContractFactory()
    order = make_order(contract.customer)
    response = operator_client.post(
        contract.get_absolute_url(), contract_data(contract, order=order.pk)
    )
    assert response.status_code == 302
    assert Contract.objects.get(pk=contract.pk).order == order
    assert order.events.last().kind == "linked"


def test_prot_int_of_another_customer_is_refused_on_a_renewal(operator_client):
    renewal = RenewalFactory()
    foreign = make_order(CustomerFactory())
    response = operator_client.post(
        renewal.get_absolute_url(),
        {"start_date": "2027-01-01", "end_date": "2027-12-31", "cost": "", "order": foreign.pk},
    )
    assert response.status_code == 422
    assert Renewal.objects.get(pk=renewal.pk).order is None


def test_bad_contract_input_is_refused(operator_client):
    customer, product = CustomerFactory(), ProductFactory()
    response = operator_client.post(
        reverse("contracts:contract_create"),
        {
            "number": "CTR-X",
            "customer": customer.pk,
            "product": product.pk,
            "start_date": "2026-05-01",
            "end_date": "2026-04-01",
            "renewal_months": "0",
            "customer_cost": "-10",
        },
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert {"end_date", "renewal_months", "customer_cost"} <= set(errors)
    assert not Contract.objects.filter(number="CTR-X").exists()


def test_a_renewal_is_created_under_its_contract(operator_client):
    contract = ContractFactory(start_date=date(2026, 1, 1))
    response = operator_client.post(
        reverse("contracts:renewal_create", args=[contract.pk]),
        {"start_date": "2027-01-01", "end_date": "2027-12-31", "cost": "1.250,50"},
    )
    renewal = contract.renewals.get()
    assert response["Location"] == renewal.get_absolute_url()
    assert renewal.cost == Decimal("1250.50")


def test_contract_list_filters_by_expiry(operator_client):
    today = timezone.localdate()
    soon = ContractFactory(start_date=today - timedelta(days=300), end_date=today + timedelta(10))
    ContractFactory(start_date=today - timedelta(days=300), end_date=today + timedelta(90))
    response = operator_client.get(reverse("contracts:contract_list"), {"expiring_within": "30"})
    assert [row.record.pk for row in response.context["page"]] == [soon.pk]


@pytest.mark.parametrize("orders", [1, 30])
def test_contract_page_queries_do_not_grow_with_the_customers_orders(
    operator_client, django_assert_max_num_queries, orders
):
    contract = ContractFactory()
    for _ in range(orders):
        make_order(contract.customer)
    # +3 for the rates, the prepaid hours and the products of the rate form.
    with django_assert_max_num_queries(17):
        assert operator_client.get(contract.get_absolute_url()).status_code == 200


def test_the_generated_order_cannot_be_unlinked_nor_billed_twice(client, make_user, configured):
    client.force_login(make_user(MANAGE_CONTRACTS))
    contract = ContractFactory()
    generated = create_order_for_contract(
        contract=contract, actor=UserFactory(functions=[MANAGE_CONTRACTS])
    ).order
    other = make_order(contract.customer)
    for replacement in ("", other.pk):
        response = client.post(
            contract.get_absolute_url(), contract_data(contract, order=replacement)
        )
        assert response.status_code == 422
        assert generated.number in str(response.context["form"].errors["order"])
        assert Contract.objects.get(pk=contract.pk).order == generated
    with pytest.raises(AlreadyLinked):
        create_order_for_contract(
            contract=contract, actor=UserFactory(functions=[MANAGE_CONTRACTS])
        )


def test_changing_a_manual_link_is_recorded_on_both_orders(operator_client):
    contract = ContractFactory()
    first, second = make_order(contract.customer), make_order(contract.customer)
    operator_client.post(contract.get_absolute_url(), contract_data(contract, order=first.pk))
    operator_client.post(contract.get_absolute_url(), contract_data(contract, order=second.pk))
    assert first.events.last().kind == "unlinked"
    assert second.events.last().kind == "linked"


def many_orders(customer, count):
    """`count` orders of the customer, oldest first (the bench's way: one bulk creation)."""
    drafts = [order_services.OrderDraft(order_type=OrderTypeFactory(), customer=customer, lines=[])]
    drafts *= count
    return order_services.create_orders(drafts=drafts, actor=UserFactory())


def shown_order_ids(body):
    return [int(pk) for pk in re.findall(r'<option value="(\d+)"', body)]


def test_num_ordine_shows_the_most_recent_orders_and_search_finds_an_older_one(
    operator_client,
):
    contract = ContractFactory()
    orders = many_orders(contract.customer, ORDERS_SHOWN + 15)
    oldest = orders[0]
    page = operator_client.get(contract.get_absolute_url()).content.decode()
    shown = shown_order_ids(page.split('id="id_order"')[1].split("</select>")[0])
    assert len(shown) == ORDERS_SHOWN and oldest.pk not in shown
    assert 'id="order-search-q"' in page
    # The search box asks the server, which looks through every linkable order.
    found = operator_client.get(
        reverse("contracts:customer_orders"),
        {"customer": contract.customer_id, "contract": contract.pk, "order_q": oldest.number},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert oldest.pk in shown_order_ids(found)
    # Without JS, the page itself with the search in its address shows the matches.
    page = operator_client.get(contract.get_absolute_url(), {"order_q": oldest.protocol})
    assert oldest.pk in shown_order_ids(page.content.decode())
    # And it is linked, though it was not among the orders shown at first.
    response = operator_client.post(
        contract.get_absolute_url(), contract_data(contract, order=oldest.pk)
    )
    assert response.status_code == 302
    assert Contract.objects.get(pk=contract.pk).order_id == oldest.pk


def test_the_linked_order_stays_shown_when_it_is_older_than_the_recent_ones(operator_client):
    contract = ContractFactory()
    oldest, *_ = many_orders(contract.customer, ORDERS_SHOWN + 5)
    Contract.objects.filter(pk=contract.pk).update(order=oldest)
    body = operator_client.get(contract.get_absolute_url()).content.decode()
    assert re.search(rf'<option value="{oldest.pk}" selected>', body)


def test_search_never_finds_another_customers_order(operator_client):
    contract = ContractFactory()
    foreign = make_order(CustomerFactory())
    found = operator_client.get(
        reverse("contracts:customer_orders"),
        {"customer": contract.customer_id, "order_q": foreign.number, "order": foreign.pk},
    ).content.decode()
    assert foreign.pk not in shown_order_ids(found)
    renewal = RenewalFactory(contract=contract)
    found = operator_client.get(
        reverse("contracts:customer_orders"),
        {"renewal_of": contract.pk, "renewal": renewal.pk, "order_q": foreign.protocol},
    ).content.decode()
    assert foreign.pk not in shown_order_ids(found)


def test_prot_int_refuses_another_customers_order_id_posted_by_hand(operator_client):
    renewal = RenewalFactory()
    foreign = make_order(CustomerFactory())
    response = operator_client.post(
        renewal.get_absolute_url(),
        {
            "start_date": renewal.start_date.isoformat(),
            "end_date": renewal.end_date.isoformat(),
            "cost": "",
            "order": foreign.pk,
        },
    )
    assert response.status_code == 422
    assert Renewal.objects.get(pk=renewal.pk).order_id is None


@pytest.mark.parametrize("page", ["contract", "renewal"])
def test_contract_and_renewal_pages_cost_the_same_queries_with_10_times_the_orders(
    operator_client, page
):
    counts = []
    for orders in (ORDERS_SHOWN, ORDERS_SHOWN * 10):
        contract = ContractFactory()
        many_orders(contract.customer, orders)
        renewal = RenewalFactory(contract=contract)
        url = (contract if page == "contract" else renewal).get_absolute_url()
        operator_client.get(url)  # warm: the session, the content types
        with CaptureQueriesContext(connection) as queries:
            body = operator_client.get(url).content.decode()
        counts.append(len(queries))
        assert len(shown_order_ids(body.split('id="id_order"')[1].split("</select>")[0])) == 20
    assert counts[0] == counts[1]
