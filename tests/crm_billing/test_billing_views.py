"""The billing buttons as users press them: messages, links, refusals, concurrency."""

import re
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.models import Order
from backoffice.permissions import MANAGE_ORDERS
from contracts.models import Contract
from contracts.permissions import MANAGE_CONTRACTS
from crm_billing.forms import PRODUCTS_SHOWN
from crm_billing.models import BillingProfile, BillingProfileChange
from crm_billing.permissions import CONFIGURE_BILLING
from tests.factories import ContractFactory, OrderTypeFactory, ProductFactory, UserFactory
from tests.pages import form_as_rendered


def press_nuovo_ordine(client, contract):
    response = client.post(reverse("billing:contract_new_order", args=[contract.pk]), follow=True)
    return response, [str(message) for message in response.context["messages"]]


def test_operator_is_told_the_order_was_generated_with_the_defaults_without_a_back_office_link(
    client,
    configured,
    make_user,
):
    client.force_login(make_user(MANAGE_CONTRACTS))
    contract = ContractFactory(customer_cost=Decimal("1500"))
    response, messages = press_nuovo_ordine(client, contract)
    order = Order.objects.get()
    assert "generato con le impostazioni di default" in messages[0]
    assert order.number in messages[0] and order.protocol in messages[0]
    assert order.get_absolute_url() not in response.content.decode()


def test_back_office_users_get_the_link_to_the_order(client, configured, make_user):
    client.force_login(make_user(MANAGE_CONTRACTS, MANAGE_ORDERS))
    response, messages = press_nuovo_ordine(client, ContractFactory())
    assert Order.objects.get().get_absolute_url() in messages[0]


def test_a_linked_contract_says_so_and_offers_the_existing_order(
    client,
    configured,
    make_user,
):
    client.force_login(make_user(MANAGE_CONTRACTS, MANAGE_ORDERS))
    contract = ContractFactory()
    press_nuovo_ordine(client, contract)
    response, messages = press_nuovo_ordine(client, contract)
    order = Order.objects.get()
    assert order.number in messages[0] and order.get_absolute_url() in messages[0]
    page = client.get(contract.get_absolute_url()).content.decode()
    assert "disabled" in page and order.get_absolute_url() in page


@pytest.mark.parametrize("may_configure", [True, False])
def test_missing_configuration_links_to_the_page_only_for_who_may_open_it(
    client, make_user, may_configure
):
    functions = [MANAGE_CONTRACTS] + ([CONFIGURE_BILLING] if may_configure else [])
    client.force_login(make_user(*functions))
    _response, messages = press_nuovo_ordine(client, ContractFactory())
    assert "Nuovi contratti" in messages[0]
    assert (reverse("administration:billing_configuration") in messages[0]) is may_configure
    assert Order.objects.count() == 0


@pytest.mark.parametrize("orders", [0, 20])
def test_nuovo_ordine_queries_do_not_grow_with_the_customers_orders(
    client,
    configured,
    make_user,
    django_assert_max_num_queries,
    orders,
):
    client.force_login(make_user(MANAGE_CONTRACTS))
    contract = ContractFactory()
    for _ in range(orders):
        press_nuovo_ordine(client, ContractFactory(customer=contract.customer))
    with django_assert_max_num_queries(30):
        client.post(reverse("billing:contract_new_order", args=[contract.pk]))


@pytest.mark.django_db(transaction=True)
def test_eight_users_pressing_nuovo_ordine_at_once_make_one_order(configured):
    contract = ContractFactory()
    users = [UserFactory(functions=[MANAGE_CONTRACTS]) for _ in range(8)]
    barrier = threading.Barrier(len(users))
    answers = []

    def press(user):
        client = Client()
        client.force_login(user)
        try:
            barrier.wait()
            response = client.post(reverse("billing:contract_new_order", args=[contract.pk]))
            # The page's HTML, not response.context: the test client collects the templates
            # rendered by every thread, so context would mix the users' messages.
            page = client.get(contract.get_absolute_url()).content.decode()
            answers.append((response.status_code, page))
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=[user]) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Order.objects.count() == 1
    assert Contract.objects.get(pk=contract.pk).order == Order.objects.get()
    assert [status for status, _page in answers] == [302] * 8
    generated = [page for _s, page in answers if "generato con le impostazioni di default" in page]
    already = [page for _s, page in answers if "nessun nuovo ordine creato" in page]
    assert (len(generated), len(already)) == (1, 7)


def test_configuration_page_records_who_changed_what(client, make_user):
    admin = make_user(CONFIGURE_BILLING)
    client.force_login(admin)
    order_type, product = OrderTypeFactory(name="Ordine cliente"), ProductFactory()
    data = {}
    for case in BillingProfile.Case.values:
        data.update(
            {
                f"{case}-order_type": order_type.pk,
                f"{case}-deal_subject": "",
                f"{case}-product": product.pk,
            }
        )
    data.update(
        {
            "renewal-renewal_pricing": "indexed",
            "activity-call_out_product": "",
            "activity-travel_product": "",
            "activity-billing_increment_minutes": "15",
            "activity-minimum_minutes": "30",
        }
    )
    response = client.post(reverse("administration:billing_configuration"), data)
    assert response.status_code == 302
    activity = BillingProfile.objects.for_case("activity")
    assert (activity.billing_increment_minutes, activity.minimum_minutes) == (15, 30)
    profile = BillingProfile.objects.for_case("renewal")
    assert profile.order_type == order_type
    assert profile.renewal_pricing == BillingProfile.RenewalPricing.INDEXED_LAST_COST
    change = BillingProfileChange.objects.filter(profile=profile, old_value="").first()
    assert change.actor == admin
    page = client.get(reverse("administration:billing_configuration")).content.decode()
    assert "Ordine cliente" in page


def test_configuration_refuses_an_inactive_product(client, make_user):
    client.force_login(make_user(CONFIGURE_BILLING))
    inactive = ProductFactory(active=False)
    response = client.post(
        reverse("administration:billing_configuration"),
        {
            "new_contract-product": inactive.pk,
            "renewal-renewal_pricing": "last_cost",
        },
    )
    assert response.status_code == 422
    assert BillingProfile.objects.for_case("new_contract").product is None


@pytest.mark.parametrize("products", [5, 200])
def test_the_configuration_page_costs_at_most_8_queries_whatever_the_catalogue(
    client, make_user, products
):
    client.force_login(make_user(CONFIGURE_BILLING))
    ProductFactory.create_batch(products)
    url = reverse("administration:billing_configuration")
    client.get(url)  # the three profiles exist from now on, as they do after the first visit
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    # The session (read, saved), the user, the page's own; not the function check (2 queries
    # for a user without superpowers) nor the test's savepoints.
    counted = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE")) and "auth_permission" not in q["sql"]
    ]
    assert len(counted) <= 8, counted
    select = page.split('id="id_new_contract-product"')[1].split("</select>")[0]
    assert len(re.findall(r'<option value="\d+"', select)) == min(products, PRODUCTS_SHOWN)


def test_a_product_beyond_the_shown_ones_is_found_by_search_and_saved(client, make_user):
    client.force_login(make_user(CONFIGURE_BILLING))
    ProductFactory.create_batch(PRODUCTS_SHOWN + 5)
    hidden = ProductFactory(code="ZZ-LAST", description="Zzz ultimo servizio")
    url = reverse("administration:billing_configuration")
    page = client.get(url).content.decode()
    assert f'<option value="{hidden.pk}"' not in page
    found = client.get(
        reverse("administration:product_options"),
        {"product_q": "zz-last", "field": "new_contract-product"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert f'<option value="{hidden.pk}"' in found and found.count("<option") == 2
    assert (
        f'<option value="{hidden.pk}"' in client.get(url, {"product_q": "ultimo"}).content.decode()
    )
    data = form_as_rendered(client.get(url))
    data["new_contract-product"] = [str(hidden.pk)]
    response = client.post(url, data)
    assert response.status_code == 302
    assert BillingProfile.objects.for_case("new_contract").product == hidden
    # Chosen, it is shown selected though it is not among the first ones.
    page = client.get(url).content.decode()
    assert re.search(rf'<option value="{hidden.pk}" selected>', page)
