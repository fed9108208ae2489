""" "Fattura attività" as a BillingRun: previewed (the selection stored server-side), confirmed
once, then billed at once for small selections or as a background task (Django Tasks) for large
ones, with its progress stored on the run. A run whose worker died can be resumed, once."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from contracts.permissions import MANAGE_CONTRACTS
from core.actors import Actor
from core.exceptions import DomainError
from core.functions import require_function
from crm_billing.models import BillingProfile, BillingRun
from crm_billing.services.activities import BillingPlan, bill_tickets, plan_billing
from crm_billing.services.billing import configured_profile
from crm_billing.services.renewals import plan_renewals, previewed_periods, renew_and_bill
from tickets.models import Ticket
from tickets.permissions import MANAGE_TICKETS


class SelectionTooLarge(DomainError):
    def __init__(self, count: int):
        super().__init__(
            _("%(count)s tickets selected: narrow the filters (at most %(max)s at a time).")
            % {"count": count, "max": settings.BILLING_MAX_SELECTION}
        )


class RunAlreadyConfirmed(DomainError):
    """A preview confirmed a second time (browser Back, a double click): the run is linked."""

    default_message = gettext_lazy("This preview was already confirmed: nothing new was billed.")

    def __init__(self, run: BillingRun):
        self.run = run
        super().__init__()


class RunNotResumable(DomainError):
    default_message = gettext_lazy(
        "This run is not stalled (it was resumed meanwhile, or it is running): nothing to do."
    )


def _within_the_limit(rows, selection) -> list:
    """The rows of a selection, at most BILLING_MAX_SELECTION of them (one more is read to
    know); SelectionTooLarge, with the selection's size, beyond."""
    limit = settings.BILLING_MAX_SELECTION
    rows = list(rows[: limit + 1])
    if len(rows) > limit:
        raise SelectionTooLarge(selection.count())
    return rows


def preview_billing_run(
    *,
    tickets=None,
    actor: Actor,
    cutoff=None,
    grouping=BillingRun.Grouping.TICKET,
    activities=None,
) -> tuple[BillingRun, BillingPlan]:
    """Store the selection as a previewed run and plan it; nothing is billed. Confirming the
    run bills exactly these tickets, whatever the filters would match later. At most
    BILLING_MAX_SELECTION tickets; ConfigurationMissing if the activity defaults are not set.

    `activities` instead of `tickets` (a slice of the "Da fatturare" dashboard): the run
    stores the ids of these activities as they are now and bills only them, not the other
    activities of their tickets."""
    require_function(actor, MANAGE_TICKETS)
    if activities is not None:
        tickets = Ticket.objects.filter(pk__in=activities.values("ticket_id"))
    ticket_ids = _within_the_limit(tickets.order_by("pk").values_list("pk", flat=True), tickets)
    activity_ids = None
    if activities is not None:
        activity_ids = list(
            activities.filter(ticket_id__in=ticket_ids).order_by("pk").values_list("pk", flat=True)
        )
    plan = plan_billing(
        tickets=Ticket.objects.filter(pk__in=ticket_ids), cutoff=cutoff, activity_ids=activity_ids
    )
    run = BillingRun.objects.create(
        actor=actor,
        cutoff=cutoff,
        grouping=grouping,
        ticket_ids=ticket_ids,
        activity_ids=activity_ids,
        total=len(ticket_ids),
        state=BillingRun.State.PREVIEWED,
    )
    return run, plan


# What each kind of run needs: the function, the billing defaults, what its items are.
_KINDS = {
    BillingRun.Kind.ACTIVITIES: (MANAGE_TICKETS, BillingProfile.Case.ACTIVITY, "ticket"),
    BillingRun.Kind.RENEWALS: (MANAGE_CONTRACTS, BillingProfile.Case.RENEWAL, "contract"),
}


def run_function(run: BillingRun) -> str:
    """The function a user needs to see, confirm or resume this run."""
    return _KINDS[run.kind][0]


def preview_renewal_run(*, contracts, actor: Actor) -> BillingRun:
    """ "Rinnova e fattura": store the contracts chosen, each with the period it would be renewed
    for (or none, when it cannot be: cancelled, missing index...), as a previewed run. Nothing
    is renewed until the run is confirmed. At most BILLING_MAX_SELECTION contracts."""
    require_function(actor, MANAGE_CONTRACTS)
    chosen = _within_the_limit(contracts.select_related("customer").order_by("pk"), contracts)
    periods = {str(contract.pk): None for contract in chosen}
    periods.update(previewed_periods(plan_renewals(chosen)))
    return BillingRun.objects.create(
        actor=actor,
        kind=BillingRun.Kind.RENEWALS,
        contract_periods=periods,
        total=sum(1 for start in periods.values() if start),
        state=BillingRun.State.PREVIEWED,
    )


def plan_previewed_run(*, run: BillingRun) -> BillingPlan:
    """The plan of a previewed run as it stands now (what confirming it would bill)."""
    return plan_billing(
        tickets=Ticket.objects.filter(pk__in=run.ticket_ids),
        cutoff=run.cutoff,
        activity_ids=run.activity_ids,
    )


def confirm_billing_run(*, run: BillingRun, actor: Actor) -> BillingRun:
    """Confirm a previewed run: once. A second confirmation (two clicks, two tabs, browser Back)
    waits for the first on the run's row lock, then is refused with RunAlreadyConfirmed."""
    require_function(actor, run_function(run))
    with transaction.atomic():
        locked = BillingRun.objects.select_for_update().get(pk=run.pk, actor=actor)
        if locked.state != BillingRun.State.PREVIEWED:
            raise RunAlreadyConfirmed(locked)
        configured_profile(case=_KINDS[locked.kind][1])
        locked.state, locked.heartbeat_at = BillingRun.State.QUEUED, timezone.now()
        locked.save(update_fields=["state", "heartbeat_at"])
    return _dispatch(locked)


def resume_billing_run(*, run: BillingRun, actor: Actor) -> BillingRun:
    """Run again a run whose worker died, claiming it under its row lock: of several presses
    (or users, or workers) one resumes it, the others are told. Safe: what was billed is not
    billed twice, and the run keeps counting what its earlier attempts created."""
    require_function(actor, run_function(run))
    with transaction.atomic():
        locked = BillingRun.objects.select_for_update().get(pk=run.pk)
        if locked.actor_id != actor.pk or not locked.stalled:
            raise RunNotResumable()
        locked.state, locked.heartbeat_at = BillingRun.State.QUEUED, timezone.now()
        locked.save(update_fields=["state", "heartbeat_at"])
    return _dispatch(locked)


def _dispatch(run: BillingRun) -> BillingRun:
    if run.total <= settings.BILLING_BACKGROUND_THRESHOLD:
        execute_billing_run(run_id=run.pk)
    else:
        # After commit: the worker must find the run; the inline backend runs it right there.
        # robust: a task backend that is down (Redis) must not turn the committed run into an
        # error page; the run stays queued, shows as stalled after BILLING_RUN_STALL_SECONDS
        # and its user resumes it. A named function: Django logs a failing callback by name.
        def enqueue_run_after_commit():
            billing_run_task.enqueue(run.pk)

        transaction.on_commit(enqueue_run_after_commit, robust=True)
    run.refresh_from_db()
    return run


def execute_billing_run(*, run_id: int) -> BillingRun:
    """Bill the run's tickets, saving progress and the orders created after each batch. Safe to
    run again: billed activities are never billed twice, so a rerun after a crash completes the
    work, and the orders of the earlier attempts stay counted as created by this run."""
    run = BillingRun.objects.get(pk=run_id)
    if run.finished or run.state == BillingRun.State.PREVIEWED:
        return run
    created = list(run.created_orders)  # by earlier attempts of this run (it was resumed)
    skipped = []
    BillingRun.objects.filter(pk=run.pk).update(
        state=BillingRun.State.RUNNING, processed=0, heartbeat_at=timezone.now()
    )

    def progress(done: int, batch_created: list[dict], batch_skipped: list[dict]) -> None:
        created.extend(batch_created)
        skipped.extend(batch_skipped)
        BillingRun.objects.filter(pk=run.pk).update(
            processed=done, heartbeat_at=timezone.now(), created_orders=created
        )

    try:
        if run.kind == BillingRun.Kind.RENEWALS:
            renew_and_bill(
                contract_periods={pk: start for pk, start in run.contract_periods.items() if start},
                actor=run.actor,
                on_progress=progress,
            )
        else:
            bill_tickets(
                tickets=Ticket.objects.filter(pk__in=run.ticket_ids),
                actor=run.actor,
                cutoff=run.cutoff,
                grouping=run.grouping,
                on_progress=lambda done, batch: progress(done, batch.created, batch.skipped),
                activity_ids=run.activity_ids,
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
        # An item billed by an earlier attempt now reads "already on order N" (or "renewed
        # meanwhile"): it is counted as created, not as skipped.
        key = _KINDS[run.kind][2]
        # An order of several tickets lists them all ("tickets").
        billed = {billed for item in created for billed in item.get(f"{key}s", [item[key]])}
        BillingRun.objects.filter(pk=run.pk).update(
            state=BillingRun.State.DONE,
            processed=run.total,
            created_orders=created,
            skipped_tickets=[item for item in skipped if item[key] not in billed],
            finished_at=timezone.now(),
        )
    run.refresh_from_db()
    return run


@task()
def billing_run_task(run_id: int) -> None:
    """Background "Fattura attività" for a large selection. It lives beside the service it
    runs, which enqueues it."""
    execute_billing_run(run_id=run_id)
