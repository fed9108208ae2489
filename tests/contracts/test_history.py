"""A contract's and a renewal's pages show who changed what, when, and the values before and
after, as the page was submitted."""

from decimal import Decimal

import pytest

from backoffice import services as order_services
from contracts.permissions import MANAGE_CONTRACTS
from contracts.services import save_contract
from core.history import record_changes_by
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    OrderTypeFactory,
    ProductFactory,
    RenewalFactory,
)
from tests.pages import form_as_rendered, history_rows, history_table


@pytest.fixture
def clerk(make_user):
    return make_user(MANAGE_CONTRACTS, username="contratti", first_name="Paola", last_name="Gialli")


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def contract(db):
    return ContractFactory(
        pk=41_207,
        number="CTR-41207",
        customer=CustomerFactory(pk=12_345, name="Officine Rinaldi S.p.A."),
        product=ProductFactory(
            pk=15_001, code="MAN-STD", description="Manutenzione", list_price=Decimal("1800")
        ),
        customer_cost=Decimal("1234.56"),
    )


def submit(client, url, change):
    data = form_as_rendered(client.get(url))
    change(data)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()


def test_editing_a_contract_shows_before_after_and_who_on_its_page(clerk_client, clerk, contract):
    plus = ProductFactory(pk=15_002, code="MAN-PLUS", description="Manutenzione plus")

    def edit(data):
        assert data["customer_cost"] == ["1.234,56"]
        data["product"] = [str(plus.pk)]
        data["end_date"] = ["2027-06-30"]
        data["customer_cost"] = ["2.500,00"]

    submit(clerk_client, contract.get_absolute_url(), edit)

    latest = contract.history.first()
    assert latest.history_user == clerk
    assert latest.customer_cost == Decimal("2500.00")
    rows = history_rows(clerk_client.get(contract.get_absolute_url()))
    assert [row[1:] for row in rows] == [
        [
            "Paola Gialli",
            "Prodotto/servizio",
            "MAN-STD - Manutenzione",
            "MAN-PLUS - Manutenzione plus",
        ],
        ["Paola Gialli", "Data fine", "31/12/2026", "30/06/2027"],
        ["Paola Gialli", "Costo al cliente", "1.234,56", "2.500,00"],
        ["Sistema", "Creazione", "—", "—"],
    ]


def test_linking_an_order_shows_the_order_by_its_name(clerk_client, clerk, contract):
    order = order_services.create_order(
        order_type=OrderTypeFactory(name="Ordine cliente"), customer=contract.customer, actor=clerk
    )
    submit(
        clerk_client,
        contract.get_absolute_url(),
        lambda data: data.update(order=[str(order.pk)]),
    )
    rows = history_rows(clerk_client.get(contract.get_absolute_url()))
    assert rows[0][1:] == ["Paola Gialli", "Num. ordine", "—", f"Ordine cliente {order.number}"]


def test_editing_a_renewal_shows_on_its_page(clerk_client, contract):
    renewal = RenewalFactory(pk=43_101, contract=contract, cost=Decimal("1250.00"))
    submit(
        clerk_client,
        renewal.get_absolute_url(),
        lambda data: data.update(cost=["1.312,50"]),
    )
    rows = history_rows(clerk_client.get(renewal.get_absolute_url()))
    assert rows[0][1:] == ["Paola Gialli", "Costo di rinnovo", "1.250,00", "1.312,50"]


def test_the_history_section_is_a_titled_table(clerk_client, contract):
    table = history_table(clerk_client.get(contract.get_absolute_url()))
    assert table.headings == ["Storico delle modifiche"]
    assert table.heading_scopes == ["col"] * 5


@pytest.mark.parametrize("changes", [1, 25])
def test_the_contract_page_costs_the_same_queries_however_long_the_history(
    clerk_client, clerk, contract, make_user, django_assert_max_num_queries, changes
):
    order_type = OrderTypeFactory()
    for number in range(changes):
        colleague = make_user(username=f"collega{number}")
        contract.customer_cost = Decimal("1000.00") + number
        contract.product = ProductFactory()
        contract.order = order_services.create_order(
            order_type=order_type, customer=contract.customer, actor=colleague
        )
        record_changes_by(contract, colleague)
        save_contract(contract=contract, actor=colleague)
    # +3 for the rates, the prepaid hours and the products of the rate form.
    with django_assert_max_num_queries(20):
        response = clerk_client.get(contract.get_absolute_url())
    assert len(history_rows(response)) >= 3 * changes
