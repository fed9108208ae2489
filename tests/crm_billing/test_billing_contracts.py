"""'Nuovo ordine' on contracts and renewals: defaults, pricing rules, one order per contract."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import given
from hypothesis import strategies as st

from backoffice import services as order_services
from backoffice.models import Order
from contracts.models import Contract, Renewal
from contracts.permissions import MANAGE_CONTRACTS
from crm_billing.models import BillingProfile, ConsumerPriceIndex
from crm_billing.services import billing
from crm_billing.services.indices import IndexMissing
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    PaymentTermsFactory,
    RenewalFactory,
    UserFactory,
)

Rule = BillingProfile.RenewalPricing


@pytest.fixture
def actor(db):
    return UserFactory(functions=[MANAGE_CONTRACTS])


def set_rule(rule):
    profile = BillingProfile.objects.for_case(BillingProfile.Case.RENEWAL)
    profile.renewal_pricing = rule
    profile.save()
    return profile


def foi(year, month, value):
    ConsumerPriceIndex.objects.create(year=year, month=month, value=Decimal(value))


def test_contract_order_takes_the_defaults_and_the_costo_al_cliente(configured, actor):
    customer = CustomerFactory(payment_terms=PaymentTermsFactory(), discount_percent=Decimal("10"))
    contract = ContractFactory(customer=customer, customer_cost=Decimal("1500.00"))
    generated = billing.create_order_for_contract(contract=contract, actor=actor)
    order = generated.order
    profile = configured[BillingProfile.Case.NEW_CONTRACT]
    assert (order.order_type, order.deal_subject, order.owner) == (
        profile.order_type,
        profile.deal_subject,
        actor,
    )
    assert order.payment_terms == customer.payment_terms
    assert order.from_defaults and order.origin == Order.Origin.CONTRACT
    line = order.lines.get()
    # An agreed amount is not discounted again.
    assert (line.product, line.unit_price, line.discount_percent, line.net_amount) == (
        profile.product,
        Decimal("1500.00"),
        Decimal("0"),
        Decimal("1500.00"),
    )
    assert line.source == contract
    assert Contract.objects.get(pk=contract.pk).order == order


def test_without_costo_al_cliente_the_list_price_is_billed_with_the_customer_discount(
    configured, actor
):
    contract = ContractFactory(customer=CustomerFactory(discount_percent=Decimal("10")))
    generated = billing.create_order_for_contract(contract=contract, actor=actor)
    line = generated.order.lines.get()
    assert (line.unit_price, line.discount_percent, line.net_amount) == (
        Decimal("1200.00"),
        Decimal("10.00"),
        Decimal("1080.00"),
    )
    assert "listino" in generated.price.source or "list price" in generated.price.source


def test_a_second_nuovo_ordine_returns_the_existing_order(configured, actor):
    contract = ContractFactory()
    first = billing.create_order_for_contract(contract=contract, actor=actor).order
    with pytest.raises(billing.AlreadyLinked) as refused:
        billing.create_order_for_contract(contract=contract, actor=actor)
    assert refused.value.order == first
    assert Order.objects.count() == 1


def test_after_cancelling_the_order_a_new_one_can_be_generated(configured, actor):
    contract = ContractFactory()
    first = billing.create_order_for_contract(contract=contract, actor=actor).order
    order_services.cancel_order(order=first, actor=actor)
    second = billing.create_order_for_contract(contract=contract, actor=actor).order
    assert second != first
    assert Contract.objects.get(pk=contract.pk).order == second


def test_missing_configuration_creates_nothing(db, actor):
    contract = ContractFactory()
    with pytest.raises(billing.ConfigurationMissing):
        billing.create_order_for_contract(contract=contract, actor=actor)
    assert Order.objects.count() == 0
    assert Contract.objects.get(pk=contract.pk).order is None


# --- Renewal pricing rules ----------------------------------------------------------------------


@pytest.fixture
def history(configured):
    """A contract with Costo al cliente 1.000,00 and two renewals: 2027 at 1.050,00 and 2028
    without its own cost."""
    contract = ContractFactory(customer_cost=Decimal("1000.00"))
    earlier = RenewalFactory(contract=contract, start_date=date(2027, 1, 1), cost=Decimal("1050"))
    current = RenewalFactory(contract=contract, start_date=date(2028, 1, 1), cost=None)
    return contract, earlier, current


def price_of(renewal):
    return billing.renewal_price(
        renewal=Renewal.objects.get(pk=renewal.pk),
        profile=BillingProfile.objects.for_case(BillingProfile.Case.RENEWAL),
    )


def test_last_cost_rule_prefers_the_renewals_own_cost(history):
    _contract, _earlier, current = history
    set_rule(Rule.LAST_RENEWAL_COST)
    current.cost = Decimal("1111.11")
    current.save()
    assert price_of(current).amount == Decimal("1111.11")


def test_last_cost_rule_falls_back_to_the_latest_earlier_renewal(history):
    _contract, _earlier, current = history
    set_rule(Rule.LAST_RENEWAL_COST)
    price = price_of(current)
    assert price.amount == Decimal("1050")
    assert "01/01/2027" in price.source


def test_last_cost_rule_falls_back_to_the_contract_then_the_list_price(configured):
    set_rule(Rule.LAST_RENEWAL_COST)
    with_cost = RenewalFactory(contract=ContractFactory(customer_cost=Decimal("900")))
    assert price_of(with_cost).amount == Decimal("900")
    without = RenewalFactory(contract=ContractFactory(customer_cost=None))
    assert price_of(without).amount == Decimal("1200.00")
    assert price_of(without).agreed is False


def test_list_price_rule_ignores_every_cost(history):
    _contract, _earlier, current = history
    set_rule(Rule.LIST_PRICE)
    current.cost = Decimal("5")
    current.save()
    assert price_of(current).amount == Decimal("1200.00")


def test_indexed_rule_revalues_the_last_cost_by_the_contracts_share_of_the_foi_variation(
    history,
):
    contract, _earlier, current = history
    contract.indexed, contract.index_share_percent = True, 75
    contract.save()
    set_rule(Rule.INDEXED_LAST_COST)
    # The renewal starts on 01/01/2028: December 2027 against December 2026.
    foi(2026, 12, "100.0")
    foi(2027, 12, "101.8")
    foi(2027, 11, "150.0")  # another month: not used
    price = price_of(current)
    # 1.050,00 × (1 + 1,8% × 75%) = 1.050,00 × 1,0135 = 1.064,175 → 1.064,18
    assert price.amount == Decimal("1064.18")
    assert "12/2027" in price.source and "12/2026" in price.source and "1,8" in price.source


def test_the_full_share_applies_the_whole_variation(history):
    contract, _earlier, current = history
    contract.indexed = True
    contract.save()
    set_rule(Rule.INDEXED_LAST_COST)
    foi(2026, 12, "120.3")
    foi(2027, 12, "118.1")  # prices fell: -1,8%
    assert price_of(current).amount == Decimal("1031.10")  # 1.050,00 × 0,982


def test_a_missing_index_is_a_reason_never_a_silent_zero(history):
    contract, _earlier, current = history
    contract.indexed = True
    contract.save()
    set_rule(Rule.INDEXED_LAST_COST)
    foi(2027, 12, "101.8")
    with pytest.raises(IndexMissing, match="12/2026"):
        price_of(current)


def test_a_contract_that_is_not_indexed_keeps_its_last_cost(history):
    _contract, _earlier, current = history
    set_rule(Rule.INDEXED_LAST_COST)
    price = price_of(current)
    assert price.amount == Decimal("1050") and "non è indicizzato" in price.source


def test_indexed_rule_without_history_bills_the_list_price(configured):
    set_rule(Rule.INDEXED_LAST_COST)
    renewal = RenewalFactory(contract=ContractFactory(customer_cost=None))
    assert price_of(renewal).amount == Decimal("1200.00")


@given(
    cost=st.decimals(min_value=0, max_value=10**7, places=2),
    rate=st.decimals(min_value=-50, max_value=50, places=4),
)
def test_indexed_amount_is_the_cost_times_one_plus_rate_rounded_to_the_cent(cost, rate):
    amount = billing.indexed_amount(cost, rate)
    exact = cost * (1 + rate / 100)
    assert amount == amount.quantize(Decimal("0.01"))
    assert abs(amount - exact) <= Decimal("0.005")
    # Half-up: exactly half a cent goes up.
    assert amount == exact.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


def test_renewal_order_links_the_renewal_and_says_where_the_amount_came_from(history, actor):
    _contract, _earlier, current = history
    set_rule(Rule.LAST_RENEWAL_COST)
    generated = billing.create_order_for_renewal(renewal=current, actor=actor)
    assert Renewal.objects.get(pk=current.pk).order == generated.order
    assert generated.order.origin == Order.Origin.RENEWAL
    assert generated.order.lines.get().unit_price == Decimal("1050.00")
    assert generated.order.lines.get().source == current
    with pytest.raises(billing.AlreadyLinked):
        billing.create_order_for_renewal(renewal=current, actor=actor)


def test_the_service_checks_the_function_again(configured):
    contract = ContractFactory()
    with pytest.raises(PermissionDenied):
        billing.create_order_for_contract(contract=contract, actor=UserFactory())
    assert Order.objects.count() == 0
