"""Running a confirmed "Fattura attività": at once for small selections, as a background task
(Django Tasks) for large ones, with its progress stored on the BillingRun."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from core.exceptions import DomainError
from crm_billing.models import BillingRun
from crm_billing.services.activities import bill_tickets
from tickets.models import Ticket


def start_billing_run(*, tickets, actor, cutoff=None) -> BillingRun:
    """Record the run with its selection, then bill at once or queue the task."""
    ticket_ids = list(tickets.order_by("pk").values_list("pk", flat=True))
    run = BillingRun.objects.create(
        actor=actor, cutoff=cutoff, ticket_ids=ticket_ids, total=len(ticket_ids)
    )
    _dispatch(run)
    run.refresh_from_db()
    return run


def _dispatch(run: BillingRun) -> None:
    if run.total <= settings.BILLING_BACKGROUND_THRESHOLD:
        execute_billing_run(run_id=run.pk)
    else:
        # After commit: the worker must find the run; the inline backend runs it right there.
        transaction.on_commit(lambda: billing_run_task.enqueue(run.pk))


def resume_billing_run(*, run: BillingRun, actor) -> BillingRun:
    """Run again a run whose worker died. Safe: what was billed is not billed twice; the
    result then lists those tickets as already on their order."""
    if run.actor_id != actor.pk or not run.stalled:
        raise DomainError(_("Only a stalled run of yours can be resumed."))
    BillingRun.objects.filter(pk=run.pk).update(
        state=BillingRun.State.QUEUED, heartbeat_at=timezone.now()
    )
    _dispatch(run)
    run.refresh_from_db()
    return run


def execute_billing_run(*, run_id: int) -> BillingRun:
    """Bill the run's tickets, saving progress after each batch. Safe to run again: billed
    activities are never billed twice, so a rerun after a crash completes the work."""
    run = BillingRun.objects.get(pk=run_id)
    if run.finished:
        return run
    BillingRun.objects.filter(pk=run.pk).update(
        state=BillingRun.State.RUNNING, processed=0, heartbeat_at=timezone.now()
    )

    def progress(done):
        BillingRun.objects.filter(pk=run.pk).update(processed=done, heartbeat_at=timezone.now())

    try:
        outcome = bill_tickets(
            tickets=Ticket.objects.filter(pk__in=run.ticket_ids),
            actor=run.actor,
            cutoff=run.cutoff,
            on_progress=progress,
        )
    except DomainError as error:
        BillingRun.objects.filter(pk=run.pk).update(
            state=BillingRun.State.FAILED, error=str(error.message), finished_at=timezone.now()
        )
    except Exception as error:
        BillingRun.objects.filter(pk=run.pk).update(
            state=BillingRun.State.FAILED,
            error=_("unexpected error: %(error)s") % {"error": error},
            finished_at=timezone.now(),
        )
        raise
    else:
        BillingRun.objects.filter(pk=run.pk).update(
            state=BillingRun.State.DONE,
            processed=run.total,
            created_orders=outcome.created,
            skipped_tickets=outcome.skipped,
            finished_at=timezone.now(),
        )
    run.refresh_from_db()
    return run


@task()
def billing_run_task(run_id: int) -> None:
    """Background "Fattura attività" for a large selection. It lives beside the service it
    runs, which enqueues it."""
    execute_billing_run(run_id=run_id)
