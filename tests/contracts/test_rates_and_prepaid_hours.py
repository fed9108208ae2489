"""The contract page's "Tariffe del contratto" and "Monte ore" cards, and the billing increment
and minimum of the contract form: each form submitted as the page renders it."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice import services as order_services
from backoffice.permissions import MANAGE_MASTER_DATA
from contracts import services
from contracts.models import Contract, ContractRate, PrepaidDraw, PrepaidHours
from contracts.permissions import MANAGE_CONTRACTS
from tests.factories import (
    ContractFactory,
    ContractRateFactory,
    OrderTypeFactory,
    PrepaidHoursFactory,
    ProductFactory,
    UserFactory,
)
from tests.pages import form_as_rendered, post_forms_as_rendered


@pytest.fixture
def operator(make_user):
    return make_user(MANAGE_CONTRACTS, username="postvendita", first_name="Lia", last_name="Neri")


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def contract(db):
    return ContractFactory(pk=10_420, product=ProductFactory(list_price=Decimal("1500.00")))


def rendered_form(client, contract, url_name):
    """The data the card's form posts as the page renders it, and where it posts."""
    action = reverse(url_name, args=[contract.pk])
    page = client.get(contract.get_absolute_url())
    assert page.status_code == 200
    found = dict(post_forms_as_rendered(page))
    assert action in found, f"no form posting to {action}"
    return action, found[action]


def draw(package, hours):
    """A line at 0,00 € of `hours` drawn from the package, as billing writes it."""
    order = order_services.create_order(
        order_type=OrderTypeFactory(),
        customer=package.contract.customer,
        actor=UserFactory(username="fatturazione"),
        lines=[
            order_services.LineDraft(
                product=package.contract.product,
                description="Ore dal monte ore",
                quantity=Decimal(hours),
                unit_price=Decimal("0"),
            )
        ],
    )
    return PrepaidDraw.objects.create(package=package, line=order.lines.get())


# --- Tariffe del contratto ----------------------------------------------------------------------


def test_a_rate_is_added_from_the_form_as_rendered(operator_client, operator, contract):
    product = ProductFactory(pk=23_456, code="MAN-ORD", description="Manutenzione ordinaria")
    action, data = rendered_form(operator_client, contract, "contracts:contract_rate_add")
    assert data["rate-product"] == [""]  # nothing chosen until the user chooses
    data["rate-product"] = [str(product.pk)]
    data["rate-unit_price"] = ["1.080,50"]

    response = operator_client.post(action, data)

    assert response.status_code == 302
    assert response["Location"] == contract.get_absolute_url() + "#rates"
    rate = contract.rates.get()
    assert (rate.product, rate.unit_price) == (product, Decimal("1080.50"))
    assert rate.history.get().history_user == operator
    page = operator_client.get(contract.get_absolute_url()).content.decode()
    assert "MAN-ORD – Manutenzione ordinaria" in page
    assert "1.080,50 €" in page


def test_the_rate_form_offers_only_active_products(operator_client, contract):
    active = ProductFactory()
    inactive = ProductFactory(active=False)
    response = operator_client.get(contract.get_absolute_url())
    offered = {
        str(value) for value, _label in response.context["rate_form"].fields["product"].choices
    }
    assert str(active.pk) in offered
    assert str(inactive.pk) not in offered
    answer = operator_client.post(
        reverse("contracts:contract_rate_add", args=[contract.pk]),
        {"rate-product": inactive.pk, "rate-unit_price": "1.200,00"},
    )
    assert answer.status_code == 422
    assert "rate-product" in answer.content.decode()
    assert not contract.rates.exists()


def test_a_product_already_rated_is_a_form_error_not_a_crash(operator_client, contract):
    rate = ContractRateFactory(contract=contract, unit_price=Decimal("1100.00"))
    response = operator_client.post(
        reverse("contracts:contract_rate_add", args=[contract.pk]),
        {"rate-product": rate.product_id, "rate-unit_price": "1.300,00"},
    )
    assert response.status_code == 422
    (error,) = response.context["rate_form"].errors["product"]
    assert str(rate.product) in error  # names the product, on the product field
    assert list(contract.rates.values_list("unit_price", flat=True)) == [Decimal("1100.00")]
    # The contract form of the page is shown as stored, the rate form with what was typed.
    assert response.context["form"].instance == contract
    assert 'value="1.300,00"' in response.content.decode()


def test_the_service_refuses_a_second_rate_for_a_product(operator, contract):
    rate = ContractRateFactory(contract=contract)
    with pytest.raises(services.RateExists):
        services.add_contract_rate(
            contract=contract, product=rate.product, unit_price=Decimal("1"), actor=operator
        )
    assert contract.rates.count() == 1


@pytest.mark.parametrize(
    ("price", "field"),
    [("", "unit_price"), ("-1,00", "unit_price"), ("abc", "unit_price"), ("1.2.3", "unit_price")],
)
def test_bad_rate_prices_are_refused(operator_client, contract, price, field):
    response = operator_client.post(
        reverse("contracts:contract_rate_add", args=[contract.pk]),
        {"rate-product": ProductFactory().pk, "rate-unit_price": price},
    )
    assert response.status_code == 422
    assert field in response.context["rate_form"].errors
    assert not ContractRate.objects.exists()


def test_a_rate_is_deleted_after_a_confirmation_page(operator_client, operator, contract):
    rate = ContractRateFactory(contract=contract, unit_price=Decimal("1234.56"))
    other = ContractRateFactory(contract=contract)
    page = operator_client.get(contract.get_absolute_url()).content.decode()
    confirm_url = reverse("contracts:contract_rate_delete", args=[rate.pk])
    assert f'href="{confirm_url}"' in page  # the button leads to the confirmation first

    confirmation = operator_client.get(confirm_url)
    assert confirmation.status_code == 200
    assert "1.234,56 €" in confirmation.content.decode()
    assert ContractRate.objects.filter(pk=rate.pk).exists()  # nothing deleted by looking

    response = operator_client.post(confirm_url, form_as_rendered(confirmation))
    assert response.status_code == 302
    assert list(contract.rates.all()) == [other]
    deleted = ContractRate.history.filter(id=rate.pk, history_type="-").get()
    assert deleted.history_user == operator


def test_rate_services_check_the_function(contract):
    clerk = UserFactory(username="solo-anagrafiche", functions=[MANAGE_MASTER_DATA])
    rate = ContractRateFactory(contract=contract)
    with pytest.raises(PermissionDenied):
        services.add_contract_rate(
            contract=contract, product=ProductFactory(), unit_price=Decimal("1"), actor=clerk
        )
    with pytest.raises(PermissionDenied):
        services.delete_contract_rate(rate=rate, actor=clerk)
    assert ContractRate.objects.filter(pk=rate.pk).exists()


# --- Monte ore ----------------------------------------------------------------------------------


def test_prepaid_hours_are_added_from_the_form_as_rendered(operator_client, operator, contract):
    action, data = rendered_form(operator_client, contract, "contracts:prepaid_hours_add")
    data.update(
        {
            "package-hours": ["1.250,50"],
            "package-valid_from": ["2026-01-01"],
            "package-valid_to": ["2026-12-31"],
        }
    )
    response = operator_client.post(action, data)

    assert response.status_code == 302
    assert response["Location"] == contract.get_absolute_url() + "#prepaid-hours"
    package = contract.packages.get()
    assert (package.hours, package.valid_from, package.valid_to) == (
        Decimal("1250.50"),
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    assert package.history.get().history_user == operator


def test_the_card_shows_bought_used_remaining_and_warns_when_running_low(
    operator_client, contract, settings
):
    settings.PREPAID_HOURS_WARNING_PERCENT = 10
    plenty = PrepaidHoursFactory(
        contract=contract,
        hours=Decimal("1500"),
        valid_from=date(2025, 1, 1),
        valid_to=date(2025, 12, 31),
    )
    low = PrepaidHoursFactory(
        contract=contract,
        hours=Decimal("40"),
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
    )
    draw(plenty, "12.5")
    draw(low, "37")

    response = operator_client.get(contract.get_absolute_url())

    packages = {p.pk: p for p in response.context["packages"]}
    assert (packages[plenty.pk].used, packages[plenty.pk].remaining) == (
        Decimal("12.5"),
        Decimal("1487.5"),
    )
    assert (packages[low.pk].used, packages[low.pk].remaining) == (Decimal("37"), Decimal("3"))
    assert not packages[plenty.pk].is_running_low
    assert packages[low.pk].is_running_low
    page = response.content.decode()
    assert "1.500,00" in page and "12,50" in page and "1.487,50" in page
    assert page.count('class="table-warning"') == 1
    assert "01/01/2026 – 31/12/2026" in page


def test_cancelling_the_order_gives_the_hours_back(operator_client, contract):
    package = PrepaidHoursFactory(contract=contract, hours=Decimal("10"))
    drawn = draw(package, "9")
    order_services.cancel_order(order=drawn.line.order, actor=UserFactory(username="bo"))
    response = operator_client.get(contract.get_absolute_url())
    (shown,) = response.context["packages"]
    assert (shown.used, shown.remaining, shown.is_running_low) == (
        Decimal("0"),
        Decimal("10"),
        False,
    )


@pytest.mark.parametrize(
    ("valid_from", "valid_to"),
    [
        ("2026-06-01", "2027-05-31"),  # starts inside
        ("2025-06-01", "2026-01-01"),  # ends on the first day
        ("2026-12-31", "2027-12-31"),  # starts on the last day
        ("2025-01-01", "2027-12-31"),  # contains it
        ("2026-03-01", "2026-03-31"),  # inside it
    ],
)
def test_overlapping_packages_are_refused_with_a_form_error(
    operator_client, contract, valid_from, valid_to
):
    existing = PrepaidHoursFactory(contract=contract)
    response = operator_client.post(
        reverse("contracts:prepaid_hours_add", args=[contract.pk]),
        {"package-hours": "20", "package-valid_from": valid_from, "package-valid_to": valid_to},
    )
    assert response.status_code == 422
    (error,) = response.context["package_form"].errors["valid_from"]
    assert str(existing) in error
    assert list(contract.packages.all()) == [existing]


def test_packages_may_follow_each_other_and_other_contracts_are_not_in_the_way(operator, contract):
    PrepaidHoursFactory(contract=contract)  # 2026
    PrepaidHoursFactory(valid_from=date(2027, 1, 1), valid_to=date(2027, 12, 31))  # another one
    services.add_prepaid_hours(
        contract=contract,
        hours=Decimal("30"),
        valid_from=date(2027, 1, 1),
        valid_to=date(2027, 12, 31),
        actor=operator,
    )
    assert contract.packages.count() == 2


def test_the_service_refuses_an_overlap_whoever_calls_it(operator, contract):
    PrepaidHoursFactory(contract=contract)
    with pytest.raises(services.PackageOverlap):
        services.add_prepaid_hours(
            contract=contract,
            hours=Decimal("5"),
            valid_from=date(2026, 12, 1),
            valid_to=date(2027, 1, 31),
            actor=operator,
        )
    with pytest.raises(services.PackageEndsBeforeStart):
        services.add_prepaid_hours(
            contract=contract,
            hours=Decimal("5"),
            valid_from=date(2028, 2, 1),
            valid_to=date(2028, 1, 1),
            actor=operator,
        )
    assert contract.packages.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {
                "package-hours": "0",
                "package-valid_from": "2026-01-01",
                "package-valid_to": "2026-12-31",
            },
            "hours",
        ),
        (
            {
                "package-hours": "-5",
                "package-valid_from": "2026-01-01",
                "package-valid_to": "2026-12-31",
            },
            "hours",
        ),
        (
            {
                "package-hours": "",
                "package-valid_from": "2026-01-01",
                "package-valid_to": "2026-12-31",
            },
            "hours",
        ),
        (
            {
                "package-hours": "1.5",
                "package-valid_from": "2026-01-01",
                "package-valid_to": "2026-12-31",
            },
            "hours",
        ),
        (
            {"package-hours": "10", "package-valid_from": "", "package-valid_to": "2026-12-31"},
            "valid_from",
        ),
        (
            {
                "package-hours": "10",
                "package-valid_from": "2026-12-31",
                "package-valid_to": "2026-01-01",
            },
            "valid_to",
        ),
    ],
)
def test_bad_prepaid_hours_are_refused(operator_client, contract, data, field):
    response = operator_client.post(
        reverse("contracts:prepaid_hours_add", args=[contract.pk]), data
    )
    assert response.status_code == 422
    assert field in response.context["package_form"].errors
    assert not PrepaidHours.objects.exists()


def test_a_package_without_draws_is_deleted_after_a_confirmation_page(
    operator_client, operator, contract
):
    package = PrepaidHoursFactory(contract=contract)
    confirm_url = reverse("contracts:prepaid_hours_delete", args=[package.pk])
    assert (
        f'href="{confirm_url}"' in operator_client.get(contract.get_absolute_url()).content.decode()
    )
    confirmation = operator_client.get(confirm_url)
    assert confirmation.status_code == 200
    assert PrepaidHours.objects.filter(pk=package.pk).exists()

    response = operator_client.post(confirm_url, form_as_rendered(confirmation))

    assert response.status_code == 302
    assert not contract.packages.exists()
    assert (
        PrepaidHours.history.filter(id=package.pk, history_type="-").get().history_user == operator
    )


def test_a_package_hours_were_drawn_from_is_not_deleted(operator_client, contract):
    package = PrepaidHoursFactory(contract=contract)
    drawn = draw(package, "2")
    confirm_url = reverse("contracts:prepaid_hours_delete", args=[package.pk])

    confirmation = operator_client.get(confirm_url)
    assert confirmation.context["drawn"] is True
    assert '<form method="post">' not in confirmation.content.decode()  # no delete button

    response = operator_client.post(confirm_url, follow=True)
    assert response.redirect_chain[-1][0] == contract.get_absolute_url() + "#prepaid-hours"
    (message,) = response.context["messages"]
    assert message.level_tag == "error"
    assert PrepaidHours.objects.filter(pk=package.pk).exists()
    # Also when the order was cancelled since: the draw accounts for those hours.
    order_services.cancel_order(order=drawn.line.order, actor=UserFactory(username="bo"))
    with pytest.raises(services.PackageDrawn):
        services.delete_prepaid_hours(
            package=package, actor=UserFactory(username="capo", functions=[MANAGE_CONTRACTS])
        )
    assert PrepaidHours.objects.filter(pk=package.pk).exists()


def test_package_services_check_the_function(contract):
    clerk = UserFactory(username="solo-anagrafiche", functions=[MANAGE_MASTER_DATA])
    package = PrepaidHoursFactory(contract=contract)
    with pytest.raises(PermissionDenied):
        services.add_prepaid_hours(
            contract=contract,
            hours=Decimal("5"),
            valid_from=date(2030, 1, 1),
            valid_to=date(2030, 12, 31),
            actor=clerk,
        )
    with pytest.raises(PermissionDenied):
        services.delete_prepaid_hours(package=package, actor=clerk)
    assert contract.packages.count() == 1


# --- The contract form and the page as a whole --------------------------------------------------


def test_billing_increment_and_minimum_are_saved_from_the_form_as_rendered(
    operator_client, contract
):
    page = operator_client.get(contract.get_absolute_url())
    data = form_as_rendered(page)
    assert data["billing_increment_minutes"] == [""] and data["minimum_minutes"] == [""]
    data["billing_increment_minutes"] = ["15"]
    data["minimum_minutes"] = ["1.440"]  # a whole day, written with the thousands point
    response = operator_client.post(contract.get_absolute_url(), data)
    assert response.status_code == 302
    contract.refresh_from_db()
    assert (contract.billing_increment_minutes, contract.minimum_minutes) == (15, 1440)
    # Emptied again: as the billing configuration says.
    data = form_as_rendered(operator_client.get(contract.get_absolute_url()))
    assert data["minimum_minutes"] == ["1440"]
    data["billing_increment_minutes"], data["minimum_minutes"] = [""], ["0"]
    assert operator_client.post(contract.get_absolute_url(), data).status_code == 302
    contract.refresh_from_db()
    assert (contract.billing_increment_minutes, contract.minimum_minutes) == (None, 0)


@pytest.mark.parametrize("value", ["1441", "-15", "7,5", "abc"])
@pytest.mark.parametrize("field", ["billing_increment_minutes", "minimum_minutes"])
def test_billing_minutes_beyond_a_day_or_not_whole_are_refused(
    operator_client, contract, field, value
):
    data = form_as_rendered(operator_client.get(contract.get_absolute_url()))
    data[field] = [value]
    response = operator_client.post(contract.get_absolute_url(), data)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert getattr(Contract.objects.get(pk=contract.pk), field) is None


def test_the_page_of_a_new_contract_has_no_rate_nor_package_card(operator_client):
    response = operator_client.get(reverse("contracts:contract_create"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="rates"' not in page and 'id="prepaid-hours"' not in page


def page_queries(client, contract) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(contract.get_absolute_url()).status_code == 200
    return len(queries)


def test_contract_page_queries_do_not_grow_with_rates_and_packages(operator_client, contract):
    ContractRateFactory(contract=contract)
    draw(
        PrepaidHoursFactory(
            contract=contract, valid_from=date(2020, 1, 1), valid_to=date(2020, 12, 31)
        ),
        "1",
    )
    few = page_queries(operator_client, contract)
    for year in range(2021, 2031):
        ContractRateFactory(contract=contract)
        package = PrepaidHoursFactory(
            contract=contract, valid_from=date(year, 1, 1), valid_to=date(year, 12, 31)
        )
        draw(package, "3")
        draw(package, "4")
    assert page_queries(operator_client, contract) == few
