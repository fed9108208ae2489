from datetime import timedelta

import redis
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_rq import RQBackend

from backoffice.models import Order
from backoffice.permissions import MANAGE_ORDERS
from crm_billing.models import BillingRun
from tests.crm_billing.test_billing_activities import configure_activity_case, warranty
from tests.factories import ActivityFactory, TicketFactory
from tickets.permissions import MANAGE_TICKETS


def test_crea_ordine_bills_one_ticket_and_says_it_used_the_defaults(client, make_user):
    configure_activity_case()
    activity = ActivityFactory()
    client.force_login(make_user(MANAGE_TICKETS))
    response = client.post(
        reverse("billing:ticket_create_order", args=[activity.ticket_id]), follow=True
    )
    order = Order.objects.get()
    body = response.content.decode()
    assert "generato con le impostazioni di default" in body
    assert order.number in body and order.get_absolute_url() not in body


def test_crea_ordine_without_billable_activities_explains(client, make_user):
    configure_activity_case()
    activity = ActivityFactory(condition=warranty())
    client.force_login(make_user(MANAGE_TICKETS))
    response = client.post(
        reverse("billing:ticket_create_order", args=[activity.ticket_id]), follow=True
    )
    assert Order.objects.count() == 0
    assert "In garanzia" in response.content.decode()


def preview(client, selection):
    """Post a selection to the preview; the preview is then the run's own page."""
    response = client.post(reverse("billing:bill_activities_preview"), selection)
    run = BillingRun.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    return run


def confirm(client, run, **kwargs):
    return client.post(reverse("billing:billing_run_confirm", args=[run.pk]), **kwargs)


def test_preview_writes_nothing_and_confirm_creates_the_orders(client, make_user):
    configure_activity_case()
    tickets = [ActivityFactory(ticket=TicketFactory()).ticket for _ in range(3)]
    skipped = ActivityFactory(condition=warranty()).ticket
    client.force_login(make_user(MANAGE_TICKETS, MANAGE_ORDERS))
    run = preview(client, {"mode": "selected", "tickets": [t.pk for t in [*tickets, skipped]]})
    page = client.get(run.get_absolute_url())
    assert page.context["order_count"] == 3
    assert run.state == BillingRun.State.PREVIEWED and Order.objects.count() == 0
    response = confirm(client, run, follow=True)
    run.refresh_from_db()
    assert run.state == BillingRun.State.DONE
    assert len(run.created_orders) == 3
    assert [s["ticket"] for s in run.skipped_tickets] == [skipped.pk]
    body = response.content.decode()
    assert Order.objects.first().get_absolute_url() in body  # a Back Office user gets links
    assert "In garanzia" in body


def test_the_confirmation_posts_only_the_run(client, make_user):
    configure_activity_case()
    ticket = ActivityFactory().ticket
    client.force_login(make_user(MANAGE_TICKETS))
    run = preview(client, {"mode": "selected", "tickets": [ticket.pk]})
    page = client.get(run.get_absolute_url()).content.decode()
    form = page[page.index('action="' + reverse("billing:billing_run_confirm", args=[run.pk])) :]
    form = form[: form.index("</form>")]
    assert 'name="tickets"' not in form and 'name="mode"' not in form
    assert ticket.pk > 10_000 and f'value="{ticket.pk}"' not in page.replace(".", "")


def test_all_filtered_tickets_can_be_billed_through_the_preview(client, make_user):
    configure_activity_case()
    billed = ActivityFactory(ticket__subject="A").ticket
    other_customer = ActivityFactory().ticket
    client.force_login(make_user(MANAGE_TICKETS))
    run = preview(client, {"mode": "filtered", "customer": billed.customer_id})
    confirm(client, run)
    assert list(Order.objects.values_list("customer", flat=True)) == [billed.customer_id]
    assert other_customer.customer_id != billed.customer_id


def test_confirming_a_preview_again_says_so_and_bills_nothing_more(client, make_user):
    configure_activity_case()
    ticket = ActivityFactory().ticket
    client.force_login(make_user(MANAGE_TICKETS))
    run = preview(client, {"mode": "selected", "tickets": [ticket.pk]})
    confirm(client, run)
    # The browser's Back button shows the preview again, and the user confirms once more.
    response = confirm(client, run, follow=True)
    body = response.content.decode()
    assert Order.objects.count() == 1
    assert "già stata confermata" in body
    assert response.redirect_chain[-1][0] == run.get_absolute_url()
    assert "0 ordini" not in body


def test_nobody_confirms_another_users_preview(client, make_user):
    configure_activity_case()
    ticket = ActivityFactory().ticket
    client.force_login(make_user(MANAGE_TICKETS))
    run = preview(client, {"mode": "selected", "tickets": [ticket.pk]})
    client.force_login(make_user(MANAGE_TICKETS))
    assert confirm(client, run).status_code == 404
    assert Order.objects.count() == 0


def test_cutoff_leaves_later_activities_out(client, make_user):
    configure_activity_case()
    activity = ActivityFactory()  # done on 02/10/2026
    client.force_login(make_user(MANAGE_TICKETS))
    run = preview(
        client, {"mode": "selected", "tickets": [activity.ticket_id], "cutoff": "2026-10-01"}
    )
    confirm(client, run)
    run.refresh_from_db()
    assert run.created_orders == []
    assert "01/10/2026" in run.skipped_tickets[0]["reason"]


@override_settings(BILLING_BACKGROUND_THRESHOLD=2)
def test_large_selections_run_as_a_task_with_a_progress_page(
    client, make_user, django_capture_on_commit_callbacks
):
    configure_activity_case()
    tickets = [ActivityFactory(ticket=TicketFactory()).ticket for _ in range(3)]
    client.force_login(make_user(MANAGE_TICKETS))
    run = preview(client, {"mode": "selected", "tickets": [t.pk for t in tickets]})
    with django_capture_on_commit_callbacks() as scheduled:
        response = confirm(client, run)
    run.refresh_from_db()
    assert response["Location"] == run.get_absolute_url()
    # Queued, not run in the request: the page shows the progress bar and polls.
    assert run.state == BillingRun.State.QUEUED and Order.objects.count() == 0
    page = client.get(run.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
    assert 'id="run-bar"' in page and 'hx-trigger="every 1s"' in page
    # The task, as the worker (here the inline backend) runs it after the commit.
    for callback in scheduled:
        callback()
    run.refresh_from_db()
    assert (run.state, run.processed, len(run.created_orders)) == (BillingRun.State.DONE, 3, 3)
    page = client.get(run.get_absolute_url()).content.decode()
    assert 'id="run-summary"' in page and "hx-trigger" not in page


@override_settings(
    BILLING_BACKGROUND_THRESHOLD=2, TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
)
def test_a_task_backend_down_leaves_the_confirmed_run_queued_not_an_error_page(
    client, make_user, monkeypatch, django_capture_on_commit_callbacks
):
    def down(self, task, args, kwargs):
        raise redis.ConnectionError("Redis is down")

    monkeypatch.setattr(RQBackend, "enqueue", down)
    configure_activity_case()
    tickets = [ActivityFactory(ticket=TicketFactory()).ticket for _ in range(3)]
    client.force_login(make_user(MANAGE_TICKETS))
    run = preview(client, {"mode": "selected", "tickets": [t.pk for t in tickets]})
    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(client, run)
    run.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    assert run.state == BillingRun.State.QUEUED and Order.objects.count() == 0


def test_nobody_reads_another_users_run(client, make_user):
    run = BillingRun.objects.create(actor=make_user(MANAGE_TICKETS))
    client.force_login(make_user(MANAGE_TICKETS))
    assert client.get(run.get_absolute_url()).status_code == 404


def test_an_empty_selection_is_refused_with_a_message(client, make_user):
    client.force_login(make_user(MANAGE_TICKETS))
    response = client.post(
        reverse("billing:bill_activities_preview"), {"mode": "selected"}, follow=True
    )
    assert "Seleziona almeno una segnalazione" in response.content.decode()


def test_the_confirmation_bills_exactly_the_previewed_tickets(client, make_user):
    configure_activity_case()
    previewed = ActivityFactory().ticket
    client.force_login(make_user(MANAGE_TICKETS))
    run = preview(client, {"mode": "filtered", "customer": previewed.customer_id})
    later = ActivityFactory(ticket__customer=previewed.customer).ticket  # appears after
    confirm(client, run)
    billed = set(Order.objects.values_list("source_id", flat=True))
    assert billed == {previewed.pk} and later.pk not in billed


@override_settings(BILLING_MAX_SELECTION=2)
def test_a_selection_over_the_limit_is_refused(client, make_user):
    tickets = [TicketFactory() for _ in range(3)]
    client.force_login(make_user(MANAGE_TICKETS))
    response = client.post(
        reverse("billing:bill_activities_preview"),
        {"mode": "selected", "tickets": [t.pk for t in tickets]},
        follow=True,
    )
    assert "restringi i filtri" in response.content.decode()


def test_a_stalled_run_can_be_resumed_and_completes(client, make_user):
    configure_activity_case()
    tickets = [ActivityFactory(ticket=TicketFactory()).ticket for _ in range(2)]
    user = make_user(MANAGE_TICKETS)
    # A run whose worker died mid-way: RUNNING, not heard from for ten minutes.
    run = BillingRun.objects.create(
        actor=user,
        ticket_ids=[t.pk for t in tickets],
        total=2,
        state=BillingRun.State.RUNNING,
        heartbeat_at=timezone.now() - timedelta(minutes=10),
    )
    client.force_login(user)
    page = client.get(run.get_absolute_url()).content.decode()
    assert 'id="run-stalled"' in page
    client.post(reverse("billing:billing_run_resume", args=[run.pk]))
    run.refresh_from_db()
    assert run.state == BillingRun.State.DONE and len(run.created_orders) == 2


def test_a_live_run_cannot_be_resumed(client, make_user):
    user = make_user(MANAGE_TICKETS)
    run = BillingRun.objects.create(
        actor=user, total=1, state=BillingRun.State.RUNNING, heartbeat_at=timezone.now()
    )
    client.force_login(user)
    assert 'id="run-stalled"' not in client.get(run.get_absolute_url()).content.decode()
    client.post(reverse("billing:billing_run_resume", args=[run.pk]))
    run.refresh_from_db()
    assert run.state == BillingRun.State.RUNNING
