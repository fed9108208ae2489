"""Contract.current_end, the end of the current period stored for the Scadenzario rinnovi: right
after every change of the periods, by each path that makes one. (tests/conftest.py checks every
contract after every test as well, so a path that forgets it fails wherever it is taken.)"""

import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from contracts import services
from contracts.models import Contract, Renewal
from contracts.permissions import MANAGE_CONTRACTS
from crm_billing.models import BillingProfile
from crm_billing.services import renewals
from tests.conftest import configure_all_cases
from tests.contracts.test_views import contract_data
from tests.factories import ContractFactory, CustomerFactory, ProductFactory, UserFactory


def operator():
    return UserFactory(functions=[MANAGE_CONTRACTS])


def stored_end(contract):
    return Contract.objects.values_list("current_end", flat=True).get(pk=contract.pk)


@pytest.fixture
def renewal_defaults(db):
    profile = configure_all_cases()[BillingProfile.Case.RENEWAL]
    profile.renewal_pricing = BillingProfile.RenewalPricing.LAST_RENEWAL_COST
    profile.save()
    return profile


def test_a_new_contract_ends_its_current_period_with_its_own(db):
    contract = Contract(
        number="CTR-NEW-1",
        customer=CustomerFactory(),
        product=ProductFactory(),
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    services.save_contract(contract=contract, actor=operator())
    assert stored_end(contract) == contract.current_end == date(2026, 12, 31)


def test_moving_the_contracts_own_end_moves_its_current_end(db):
    contract = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    contract = Contract.objects.get(pk=contract.pk)
    contract.end_date = date(2026, 9, 30)  # shortened: the stored end goes back too
    services.save_contract(contract=contract, actor=operator())
    assert stored_end(contract) == contract.current_end == date(2026, 9, 30)


def test_a_renewal_saved_and_changed_moves_the_current_end(db):
    contract = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    actor = operator()
    renewal = Renewal(contract=contract, start_date=date(2027, 1, 1), end_date=date(2027, 12, 31))
    services.save_renewal(renewal=renewal, actor=actor)
    assert stored_end(contract) == date(2027, 12, 31)
    renewal.end_date = date(2027, 6, 30)  # shortened
    services.save_renewal(renewal=renewal, actor=actor)
    assert stored_end(contract) == date(2027, 6, 30)


def test_a_renewal_saved_with_a_clash_leaves_the_current_end(db):
    contract = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    clashing = Renewal(contract=contract, start_date=date(2026, 6, 1), end_date=date(2028, 5, 31))
    with pytest.raises(services.PeriodClash):
        services.save_renewal(renewal=clashing, actor=operator())
    assert stored_end(contract) == date(2026, 12, 31)


def test_rinnova_moves_the_current_end_to_the_new_period(renewal_defaults):
    contract = ContractFactory(start_date=date(2026, 3, 1), end_date=date(2027, 2, 28))
    renewals.renew_contract(contract=contract, actor=operator())
    assert stored_end(contract) == date(2028, 2, 29)
    renewals.renew_contract(contract=contract, actor=operator())  # from the stored end
    assert stored_end(contract) == date(2029, 2, 28)


def test_rinnova_e_fattura_moves_the_current_end_of_each_contract(renewal_defaults):
    contracts = [
        ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)),
        ContractFactory(start_date=date(2026, 4, 1), end_date=date(2027, 3, 31)),
    ]
    periods = renewals.previewed_periods(renewals.plan_renewals(contracts))
    created, skipped = renewals.renew_and_bill(contract_periods=periods, actor=operator())
    assert len(created) == 2 and skipped == []
    assert [stored_end(contract) for contract in contracts] == [
        date(2027, 12, 31),
        date(2028, 3, 31),
    ]


def test_the_admin_keeps_the_current_end_of_the_renewals_it_adds_and_deletes(admin_client):
    contract = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    url = reverse("admin:contracts_contract_change", args=[contract.pk])
    # The contract page's fields, as the admin's form has them, and its inline renewals.
    fields = contract_data(
        contract,
        **{"renewals-INITIAL_FORMS": 0, "renewals-MIN_NUM_FORMS": 0, "renewals-MAX_NUM_FORMS": 9},
    )
    added = {
        "renewals-TOTAL_FORMS": 1,
        "renewals-0-start_date": "2027-01-01",
        "renewals-0-end_date": "2027-12-31",
        "renewals-0-cost": "1500.00",
    }
    assert admin_client.post(url, {**fields, **added}).status_code == 302
    assert stored_end(contract) == date(2027, 12, 31)
    renewal = contract.renewals.get()
    deleted = {
        "renewals-TOTAL_FORMS": 1,
        "renewals-INITIAL_FORMS": 1,
        "renewals-0-id": renewal.pk,
        "renewals-0-contract": contract.pk,
        "renewals-0-start_date": "2027-01-01",
        "renewals-0-end_date": "2027-12-31",
        "renewals-0-cost": "1500.00",
        "renewals-0-DELETE": "on",
    }
    assert admin_client.post(url, {**fields, **deleted}).status_code == 302
    assert not contract.renewals.exists()
    assert stored_end(contract) == date(2026, 12, 31)


def test_a_renewal_written_without_storing_the_end_is_found(db):
    """What the suite's check after every test looks for: it can fail."""
    contract = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    Renewal.objects.create(
        contract=contract, start_date=date(2027, 1, 1), end_date=date(2027, 12, 31)
    )
    assert list(Contract.objects.with_current_end_not_stored()) == [contract]
    Contract.objects.filter(pk=contract.pk).store_current_end()
    assert not Contract.objects.with_current_end_not_stored().exists()


def test_the_migration_fills_the_current_end_from_the_periods(db):
    renewed = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    Renewal.objects.create(
        contract=renewed, start_date=date(2027, 1, 1), end_date=date(2027, 12, 31), cost=Decimal(1)
    )
    alone = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 10, 31))
    Contract.objects.update(current_end=date(2000, 1, 1))
    migration = importlib.import_module("contracts.migrations.0007_contract_current_end")
    migration.fill_current_end(apps, schema_editor=None)
    assert (stored_end(renewed), stored_end(alone)) == (date(2027, 12, 31), date(2026, 10, 31))
