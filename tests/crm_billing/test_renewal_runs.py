""" "Rinnova e fattura" from the Scadenzario: previewed, confirmed once, each contract renewed
for exactly the period previewed and billed with the renewal defaults."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from backoffice.models import Order
from contracts.models import Contract, Renewal
from contracts.permissions import MANAGE_CONTRACTS
from crm_billing.models import BillingProfile, BillingRun
from crm_billing.services import renewals, runs
from tests.conftest import configure_all_cases
from tests.factories import ContractFactory, UserFactory


@pytest.fixture
def operator(client, db):
    profile = configure_all_cases()[BillingProfile.Case.RENEWAL]
    profile.renewal_pricing = BillingProfile.RenewalPricing.LAST_RENEWAL_COST
    profile.save()
    user = UserFactory(functions=[MANAGE_CONTRACTS])
    client.force_login(user)
    return user


def due(**fields):
    today = timezone.localdate()
    return ContractFactory(
        start_date=today - timedelta(days=340), end_date=today + timedelta(days=25), **fields
    )


def preview(client, data):
    response = client.post(reverse("billing:renew_and_bill_preview"), data)
    run = BillingRun.objects.latest("pk")
    assert response["Location"] == run.get_absolute_url()
    return run


def confirm(client, run, **kwargs):
    return client.post(reverse("billing:billing_run_confirm", args=[run.pk]), **kwargs)


def test_ticked_contracts_are_previewed_then_renewed_and_billed(client, operator):
    first, second = due(customer_cost=Decimal("1980.00")), due(customer_cost=Decimal("2400.00"))
    cancelled = due(cancelled_on=timezone.localdate())
    run = preview(client, {"mode": "selected", "contracts": [first.pk, second.pk, cancelled.pk]})
    page = client.get(run.get_absolute_url()).content.decode()
    assert "1.980,00 €" in page and "2.400,00 €" in page and "contratto disdetto" in page
    assert run.total == 2 and not Order.objects.exists()
    response = confirm(client, run, follow=True)
    run.refresh_from_db()
    assert run.state == BillingRun.State.DONE and len(run.created_orders) == 2
    for contract, cost in ((first, "1980.00"), (second, "2400.00")):
        renewal = contract.renewals.get()
        assert renewal.cost == Decimal(cost) and renewal.order.total_net == Decimal(cost)
    assert cancelled.renewals.count() == 0
    assert "2 ordini sono stati generati" in response.content.decode()


def test_all_filtered_contracts_are_renewed(client, operator):
    contracts = [due() for _ in range(3)]
    ContractFactory()  # not due within the window
    run = preview(client, {"mode": "filtered", "within_days": "60"})
    assert set(map(int, run.contract_periods)) >= {c.pk for c in contracts}
    confirm(client, run)
    assert all(contract.renewals.count() == 1 for contract in contracts)


def test_a_contract_renewed_after_the_preview_is_not_renewed_twice(client, operator):
    contract = due()
    run = preview(client, {"mode": "selected", "contracts": [contract.pk]})
    renewals.renew_contract(contract=contract, actor=operator)  # someone pressed "Rinnova"
    confirm(client, run)
    run.refresh_from_db()
    assert contract.renewals.count() == 1
    assert (
        run.created_orders == [] and "rinnovato nel frattempo" in run.skipped_tickets[0]["reason"]
    )


def test_the_preview_shows_what_confirming_will_do(client, operator):
    renewed_since, priced_since = due(), due()
    run = preview(client, {"mode": "selected", "contracts": [renewed_since.pk, priced_since.pk]})
    renewals.renew_contract(contract=renewed_since, actor=operator)  # "Rinnova" meanwhile
    # Stored as not renewable when previewed (as a missing index would leave it), renewable now.
    BillingRun.objects.filter(pk=run.pk).update(
        contract_periods={
            str(renewed_since.pk): run.contract_periods[str(renewed_since.pk)],
            str(priced_since.pk): None,
        }
    )
    page = client.get(run.get_absolute_url())
    assert page.context["renewable_count"] == 0
    body = page.content.decode()
    assert "rinnovato nel frattempo" in body and "ripeti l&#x27;anteprima" in body


def test_confirming_twice_renews_once(client, operator):
    contract = due()
    run = preview(client, {"mode": "selected", "contracts": [contract.pk]})
    confirm(client, run)
    response = confirm(client, run, follow=True)
    assert "già stata confermata" in response.content.decode()
    assert contract.renewals.count() == 1 and Order.objects.count() == 1


def test_running_a_run_again_renews_nothing_more(client, operator):
    contract = due()
    run = preview(client, {"mode": "selected", "contracts": [contract.pk]})
    confirm(client, run)
    BillingRun.objects.filter(pk=run.pk).update(state=BillingRun.State.RUNNING)
    runs.execute_billing_run(run_id=run.pk)
    run.refresh_from_db()
    assert contract.renewals.count() == 1 and len(run.created_orders) == 1
    assert run.skipped_tickets == []


@override_settings(BILLING_BACKGROUND_THRESHOLD=1)
def test_a_large_selection_runs_in_the_background(
    client, operator, django_capture_on_commit_callbacks
):
    contracts = [due(), due()]
    run = preview(client, {"mode": "selected", "contracts": [c.pk for c in contracts]})
    with django_capture_on_commit_callbacks() as scheduled:
        confirm(client, run)
    run.refresh_from_db()
    assert run.state == BillingRun.State.QUEUED and not Order.objects.exists()
    for callback in scheduled:
        callback()
    run.refresh_from_db()
    assert run.state == BillingRun.State.DONE and Order.objects.count() == 2


def test_a_renewal_run_needs_the_contracts_function(client, operator):
    run = preview(client, {"mode": "selected", "contracts": [due().pk]})
    client.force_login(UserFactory(functions=["tickets.manage_tickets"]))
    assert client.get(run.get_absolute_url()).status_code == 403


def test_renewing_many_contracts_costs_the_queries_of_a_few(
    operator, django_assert_max_num_queries
):
    groups = [[due() for _ in range(2)], [due() for _ in range(30)]]
    plans = [renewals.previewed_periods(renewals.plan_renewals(group)) for group in groups]
    # Cached per process and per user: filled first, so both measures start alike.
    ContentType.objects.get_for_models(Renewal, Contract)
    operator.has_perm(MANAGE_CONTRACTS)
    counts = []
    for periods in plans:
        with django_assert_max_num_queries(30) as captured:
            created, skipped = renewals.renew_and_bill(contract_periods=periods, actor=operator)
        assert skipped == [] and len(created) == len(periods)
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_bulk_renewals_are_in_the_history_with_who_made_them(operator):
    contract = due()
    periods = renewals.previewed_periods(renewals.plan_renewals([contract]))
    renewals.renew_and_bill(contract_periods=periods, actor=operator)
    record = contract.renewals.get().history.get()
    assert record.history_user == operator and record.order_id is not None


def test_a_failing_batch_is_done_again_contract_by_contract(operator, monkeypatch):
    contracts = [due(), due()]
    periods = renewals.previewed_periods(renewals.plan_renewals(contracts))

    def broken(*args, **kwargs):
        raise RuntimeError("lost connection")

    monkeypatch.setattr(renewals, "_renew_and_bill_batch", broken)
    created, skipped = renewals.renew_and_bill(contract_periods=periods, actor=operator)
    assert len(created) == 2 and skipped == []
    assert all(contract.renewals.get().order is not None for contract in contracts)
