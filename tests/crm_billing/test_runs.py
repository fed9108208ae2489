""" "Fattura attività" runs: the selection stored with the preview, one confirmation, one resume
at a time, and figures that count every attempt of a resumed run."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from backoffice.models import Order
from crm_billing.models import BillingRun
from crm_billing.services import runs
from crm_billing.services.activities import bill_tickets
from tests.crm_billing.test_billing_activities import configure_activity_case
from tests.factories import ActivityFactory, TicketFactory, UserFactory
from tickets.models import Ticket
from tickets.permissions import MANAGE_TICKETS


def operator(name="operatore"):
    return UserFactory(username=name, functions=[MANAGE_TICKETS])


def stalled_run(actor, tickets, **fields):
    """A run whose worker died mid-way: RUNNING, not heard from for ten minutes."""
    return BillingRun.objects.create(
        actor=actor,
        ticket_ids=[t.pk for t in tickets],
        total=len(tickets),
        state=BillingRun.State.RUNNING,
        heartbeat_at=timezone.now() - timedelta(minutes=10),
        **fields,
    )


@override_settings(BILLING_MAX_SELECTION=3)
def test_the_selection_limit_is_enforced_by_the_service(db):
    tickets = [TicketFactory() for _ in range(4)]
    with pytest.raises(runs.SelectionTooLarge, match="4"):
        runs.preview_billing_run(
            tickets=Ticket.objects.filter(pk__in=[t.pk for t in tickets]), actor=operator()
        )
    assert BillingRun.objects.count() == 0


def test_a_preview_stores_its_selection_and_confirming_bills_exactly_it(db):
    configure_activity_case()
    actor = operator()
    previewed = [ActivityFactory().ticket for _ in range(2)]
    run, plans = runs.preview_billing_run(
        tickets=Ticket.objects.filter(pk__in=[t.pk for t in previewed]), actor=actor
    )
    ActivityFactory(ticket__customer=previewed[0].customer)  # a ticket that came later
    assert run.ticket_ids == sorted(t.pk for t in previewed) and len(plans.tickets) == 2
    run = runs.confirm_billing_run(run=run, actor=actor)
    assert run.state == BillingRun.State.DONE
    assert set(Order.objects.values_list("source_id", flat=True)) == {t.pk for t in previewed}
    with pytest.raises(runs.RunAlreadyConfirmed) as refused:
        runs.confirm_billing_run(run=run, actor=actor)
    assert refused.value.run == run and Order.objects.count() == 2


def test_a_resumed_run_counts_the_orders_its_dead_attempt_created(db):
    configure_activity_case()
    actor = operator()
    tickets = [ActivityFactory().ticket for _ in range(3)]
    # The first attempt billed the first ticket, recorded it after its batch, then died.
    first = bill_tickets(tickets=Ticket.objects.filter(pk=tickets[0].pk), actor=actor)
    run = stalled_run(actor, tickets, created_orders=first.created)
    run = runs.resume_billing_run(run=run, actor=actor)
    assert run.state == BillingRun.State.DONE
    assert sorted(item["ticket"] for item in run.created_orders) == sorted(t.pk for t in tickets)
    assert run.skipped_tickets == []
    assert Order.objects.count() == 3


def test_a_run_resumed_twice_is_resumed_once(db):
    configure_activity_case()
    actor = operator()
    run = stalled_run(actor, [ActivityFactory().ticket])
    runs.resume_billing_run(run=run, actor=actor)
    with pytest.raises(runs.RunNotResumable):
        runs.resume_billing_run(run=run, actor=actor)
    run.refresh_from_db()
    assert len(run.created_orders) == 1 and run.skipped_tickets == []


def test_only_the_runs_owner_resumes_it(db):
    configure_activity_case()
    run = stalled_run(operator(), [ActivityFactory().ticket])
    with pytest.raises(runs.RunNotResumable):
        runs.resume_billing_run(run=run, actor=operator("altro"))
    assert Order.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@override_settings(BILLING_BACKGROUND_THRESHOLD=1000)
def test_resume_pressed_in_two_places_at_once_resumes_the_run_once():
    configure_activity_case()
    actor = operator()
    tickets = [ActivityFactory().ticket for _ in range(20)]
    run = stalled_run(actor, tickets)
    barrier = threading.Barrier(2)
    outcomes = []

    def press():
        try:
            barrier.wait()
            runs.resume_billing_run(run=BillingRun.objects.get(pk=run.pk), actor=actor)
            outcomes.append("resumed")
        except runs.RunNotResumable:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    run.refresh_from_db()
    assert sorted(outcomes) == ["refused", "resumed"]
    assert run.state == BillingRun.State.DONE
    assert len(run.created_orders) == 20 and run.skipped_tickets == []
