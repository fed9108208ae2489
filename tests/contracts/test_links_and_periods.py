"""An order bills at most one contract or renewal; the periods of one contract never overlap;
a ticket on a live order keeps its customer. Each under concurrency too."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from backoffice import services as order_services
from contracts import services
from contracts.models import Contract, Renewal
from contracts.permissions import MANAGE_CONTRACTS
from crm_billing.models import BillingProfile
from crm_billing.services.billing import create_order_for_renewal
from tests.conftest import configure_all_cases
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    OrderTypeFactory,
    RenewalFactory,
    UserFactory,
)


def make_order(customer):
    return order_services.create_order(
        order_type=OrderTypeFactory(), customer=customer, actor=UserFactory()
    )


def operator():
    return UserFactory(functions=[MANAGE_CONTRACTS])


def choices(form):
    return [getattr(v, "value", v) for v, _label in form.fields["order"].choices]


# --- One order, one contract or renewal --------------------------------------------------------


def test_an_order_linked_to_a_contract_is_not_offered_to_another(client, make_user):
    customer = CustomerFactory()
    order = make_order(customer)
    first = ContractFactory(customer=customer, order=order)
    second = ContractFactory(customer=customer)
    renewal = RenewalFactory(contract=second)
    client.force_login(make_user(MANAGE_CONTRACTS))
    assert order.pk in choices(client.get(first.get_absolute_url()).context["form"])
    assert order.pk not in choices(client.get(second.get_absolute_url()).context["form"])
    assert order.pk not in choices(client.get(renewal.get_absolute_url()).context["form"])


def test_the_service_refuses_an_order_linked_elsewhere(db):
    customer = CustomerFactory()
    order = make_order(customer)
    RenewalFactory(contract=ContractFactory(customer=customer), order=order)
    contract = ContractFactory(customer=customer)
    contract.order = order
    with pytest.raises(services.OrderLinkedElsewhere):
        services.save_contract(contract=contract, actor=operator())
    assert Contract.objects.get(pk=contract.pk).order_id is None


def test_the_database_refuses_one_order_on_two_contracts(db):
    order = make_order(CustomerFactory())
    ContractFactory(customer=order.customer, order=order)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractFactory(customer=order.customer, order=order)
    RenewalFactory(order=order)
    with pytest.raises(IntegrityError), transaction.atomic():
        RenewalFactory(order=order)


@pytest.mark.django_db(transaction=True)
def test_two_contracts_linking_one_order_at_once_link_it_once():
    customer = CustomerFactory()
    order = make_order(customer)
    contracts = [ContractFactory(customer=customer) for _ in range(2)]
    actor = operator()
    barrier, outcomes = threading.Barrier(2), []

    def link(contract):
        try:
            barrier.wait()
            contract.order = order
            services.save_contract(contract=contract, actor=actor)
            outcomes.append("linked")
        except (services.OrderLinkedElsewhere, IntegrityError):
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=link, args=(c,)) for c in contracts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["linked", "refused"]
    assert Contract.objects.filter(order=order).count() == 1


# --- Periods never overlap ----------------------------------------------------------------------


def renewal_of(contract, start, end, **fields):
    return Renewal(contract=contract, start_date=start, end_date=end, **fields)


def test_a_renewal_inside_the_contracts_own_period_is_refused(db):
    contract = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    with pytest.raises(services.PeriodClash):
        services.save_renewal(
            renewal=renewal_of(contract, date(2026, 6, 1), date(2027, 5, 31)), actor=operator()
        )


def test_overlapping_renewals_are_refused(db):
    contract = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    actor = operator()
    services.save_renewal(
        renewal=renewal_of(contract, date(2027, 1, 1), date(2027, 12, 31)), actor=actor
    )
    with pytest.raises(services.PeriodClash, match="01/01/2027"):
        services.save_renewal(
            renewal=renewal_of(contract, date(2027, 12, 31), date(2028, 12, 30)), actor=actor
        )
    services.save_renewal(
        renewal=renewal_of(contract, date(2028, 1, 1), date(2028, 12, 31)), actor=actor
    )
    assert contract.renewals.count() == 2


def test_the_contract_cannot_stretch_over_its_renewals(db):
    contract = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    RenewalFactory(contract=contract, start_date=date(2027, 1, 1), end_date=date(2027, 12, 31))
    contract.end_date = date(2027, 3, 31)
    with pytest.raises(services.PeriodClash):
        services.save_contract(contract=contract, actor=operator())


def test_the_renewal_form_says_which_period_clashes(client, make_user):
    contract = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    RenewalFactory(contract=contract, start_date=date(2027, 1, 1), end_date=date(2027, 12, 31))
    client.force_login(make_user(MANAGE_CONTRACTS))
    response = client.post(
        f"/contratti/{contract.pk}/rinnovi/nuovo/",
        {"start_date": "2027-06-01", "end_date": "2028-05-31", "cost": "", "order": ""},
    )
    assert response.status_code == 422
    assert "01/01/2027" in response.content.decode()
    assert contract.renewals.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_users_adding_overlapping_renewals_at_once_add_one():
    contract = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    actor = operator()
    barrier, outcomes = threading.Barrier(2), []

    def add(start):
        try:
            barrier.wait()
            services.save_renewal(
                renewal=renewal_of(contract, start, date(2027, 12, 31)), actor=actor
            )
            outcomes.append("saved")
        except services.PeriodClash:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=add, args=(d,)) for d in (date(2027, 1, 1), date(2027, 2, 1))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused", "saved"]
    assert contract.renewals.count() == 1


# --- The amount billed for a renewal without a cost ---------------------------------------------


def test_a_renewal_billed_without_a_cost_records_the_amount_billed(db):
    profiles = configure_all_cases()
    profile = profiles[BillingProfile.Case.RENEWAL]
    profile.renewal_pricing = BillingProfile.RenewalPricing.LAST_RENEWAL_COST
    profile.save()
    contract = ContractFactory(customer_cost=None)
    first = RenewalFactory(
        contract=contract, cost=None, start_date=date(2027, 1, 1), end_date=date(2027, 12, 31)
    )
    create_order_for_renewal(renewal=first, actor=UserFactory(functions=[MANAGE_CONTRACTS]))
    first.refresh_from_db()
    assert first.cost == Decimal("1200.00")  # the list price, as billed
    second = RenewalFactory(
        contract=contract, cost=None, start_date=date(2028, 1, 1), end_date=date(2028, 12, 31)
    )
    generated = create_order_for_renewal(
        renewal=second, actor=UserFactory(functions=[MANAGE_CONTRACTS])
    )
    assert "01/01/2027" in generated.price.source  # the first renewal's cost, now recorded
