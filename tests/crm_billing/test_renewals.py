"""Renewals as a workflow: the Scadenzario rinnovi, "Rinnova", cancellation."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from contracts import services as contract_services
from contracts.models import Renewal
from contracts.permissions import MANAGE_CONTRACTS
from crm_billing.models import BillingProfile
from crm_billing.services import renewals
from tests.conftest import configure_all_cases
from tests.factories import ContractFactory, CustomerFactory, RenewalFactory, UserFactory


def operator(name="operatore"):
    return UserFactory(username=name, functions=[MANAGE_CONTRACTS])


@pytest.fixture
def last_cost_rule(db):
    profiles = configure_all_cases()
    profile = profiles[BillingProfile.Case.RENEWAL]
    profile.renewal_pricing = BillingProfile.RenewalPricing.LAST_RENEWAL_COST
    profile.save()
    return profile


def test_rinnova_creates_the_next_period_at_the_rules_cost(last_cost_rule):
    contract = ContractFactory(
        start_date=date(2026, 3, 1),
        end_date=date(2027, 2, 28),
        renewal_months=12,
        customer_cost=Decimal("1800.00"),
    )
    renewal = renewals.renew_contract(contract=contract, actor=operator())
    assert (renewal.start_date, renewal.end_date) == (date(2027, 3, 1), date(2028, 2, 29))
    assert renewal.cost == Decimal("1800.00")  # the contract's cost, by "last renewal cost"
    following = renewals.renew_contract(contract=contract, actor=operator())
    assert (following.start_date, following.end_date) == (date(2028, 3, 1), date(2029, 2, 28))


def test_a_cancelled_contract_is_not_renewed(last_cost_rule):
    contract = ContractFactory()
    contract_services.cancel_contract(
        contract=contract, cancelled_on=date(2026, 10, 1), actor=operator()
    )
    with pytest.raises(renewals.NotRenewable):
        renewals.renew_contract(contract=contract, actor=operator())
    assert not Renewal.objects.exists()
    with pytest.raises(contract_services.ContractCancelled):
        contract_services.cancel_contract(
            contract=contract, cancelled_on=date(2026, 10, 2), actor=operator()
        )


@pytest.mark.django_db(transaction=True)
def test_two_users_renewing_one_contract_at_once_make_one_renewal():
    profiles = configure_all_cases()
    assert profiles
    contract = ContractFactory()
    users = [operator("uno"), operator("due")]
    barrier, outcomes = threading.Barrier(2), []

    def press(user):
        try:
            barrier.wait()
            renewals.renew_contract(contract=contract, actor=user)
            outcomes.append("renewed")
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # Both succeed one after the other on the lock: the second renews the *next* period; no
    # period is renewed twice and none overlap.
    periods = sorted(contract.renewals.values_list("start_date", "end_date"))
    assert len(periods) == len(outcomes) == 2
    assert periods[0][1] < periods[1][0]


def due_page(client, **params):
    return client.get(reverse("billing:renewals_due"), params)


def test_the_scadenzario_lists_what_comes_due_and_leaves_out_the_cancelled(client, last_cost_rule):
    today = timezone.localdate()
    soon = ContractFactory(start_date=today - timedelta(days=300), end_date=today + timedelta(20))
    ended = ContractFactory(start_date=today - timedelta(days=400), end_date=today - timedelta(5))
    later = ContractFactory(start_date=today, end_date=today + timedelta(days=200))
    cancelled = ContractFactory(start_date=today - timedelta(300), end_date=today + timedelta(9))
    cancelled.cancelled_on = today
    cancelled.save()
    renewed = ContractFactory(start_date=today - timedelta(400), end_date=today - timedelta(30))
    RenewalFactory(
        contract=renewed, start_date=today - timedelta(29), end_date=today + timedelta(300)
    )
    client.force_login(operator())
    page = due_page(client).content.decode()
    assert soon.number in page and ended.number in page
    for absent in (later, cancelled, renewed):
        assert absent.number not in page
    assert "2 contratti" in page and "1 già scaduto" in page
    wider = due_page(client, within_days=365).content.decode()
    assert later.number in wider and renewed.number in wider


def test_rinnova_from_the_scadenzario_goes_back_to_it(client, last_cost_rule):
    today = timezone.localdate()
    contract = ContractFactory(
        start_date=today - timedelta(300), end_date=today + timedelta(10), customer_cost=None
    )
    client.force_login(operator())
    url = reverse("billing:renewals_due") + "?within_days=30"
    response = client.post(
        reverse("billing:contract_renew", args=[contract.pk]), {"next": url}, follow=True
    )
    assert response.redirect_chain[-1][0] == url
    renewal = contract.renewals.get()
    assert renewal.start_date == today + timedelta(11)
    assert renewal.cost == Decimal("1200.00")  # no cost anywhere: the list price
    assert "creato" in response.content.decode() or "creat" in response.content.decode()


def test_the_scadenzario_costs_a_fixed_number_of_queries(
    client, last_cost_rule, django_assert_max_num_queries
):
    today = timezone.localdate()
    customer = CustomerFactory()
    for n in range(30):
        contract = ContractFactory(
            customer=customer, start_date=today - timedelta(400), end_date=today - timedelta(40)
        )
        RenewalFactory(
            contract=contract,
            start_date=today - timedelta(39),
            end_date=today + timedelta(n),
            cost=Decimal("1500.00") + n,
        )
    client.force_login(operator())
    due_page(client)
    # 15: session, user, the two counts, the page's contracts, their renewals and orders, the
    # renewal defaults, the FOI table (once), and the page's chrome.
    with django_assert_max_num_queries(15) as captured:
        page = due_page(client)
    rows = [row.record for row in page.context["table"].page.object_list]
    assert page.status_code == 200 and len(rows) == 25
    assert all(contract.proposal.price.amount >= 1500 for contract in rows)
    # The window, the counts and the order read the stored current end: no query but the
    # page's own renewals (by contract id) reads the renewals.
    renewal_reads = [q["sql"] for q in captured.captured_queries if "contracts_renewal" in q["sql"]]
    assert len(renewal_reads) == 1 and "IN (" in renewal_reads[0]


def test_the_notice_deadline_and_tacit_renewal_are_shown_for_each_contract(client, last_cost_rule):
    today = timezone.localdate()
    tacit = ContractFactory(
        start_date=today - timedelta(days=300),
        end_date=today + timedelta(days=45),
        tacit_renewal=True,
        notice_days=60,
    )
    assert tacit.notice_deadline() == tacit.end_date - timedelta(days=60)
    client.force_login(operator())
    page = due_page(client).content.decode()
    row = page[page.index(f'id="due-{tacit.pk}"') :]
    row = row[: row.index("</tr>")]
    deadline = tacit.notice_deadline().strftime("%d/%m/%Y")
    assert deadline in row and "superato" in row  # 60 days' notice before a 45-day end
    assert "sì" in row


def test_the_notice_deadline_follows_the_last_renewal(db):
    contract = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    RenewalFactory(contract=contract, start_date=date(2027, 1, 1), end_date=date(2027, 12, 31))
    contract.notice_days = 90
    assert contract.notice_deadline() == date(2027, 10, 2)
