"""Billing the activities of tickets: "Crea Ordine" on one ticket, "Fattura attività" on many.

One Order/Offer per ticket, one line per billable activity (closed status, condition "Da
fatturare", not on a live order line, done by the cut-off date). The selection is read and
written set-wise, a batch of tickets per transaction, so the number of queries does not grow
with the number of tickets. Inside a batch the activities are locked (in id order, so two
overlapping runs cannot deadlock): a second run waits, then finds them billed. Should a batch
fail, its tickets are retried one by one, so one bad ticket neither undoes nor blocks the others.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from backoffice import money
from backoffice import services as order_services
from backoffice.billed import live_orders_of
from backoffice.models import Order
from core.actors import Actor
from core.exceptions import DomainError
from core.functions import require_function
from crm_billing.models import BillingProfile
from crm_billing.services.billing import configured_profile
from tickets.models import Activity, Ticket
from tickets.permissions import MANAGE_TICKETS

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000


@dataclass
class TicketPlan:
    """What billing one ticket would write: a line per billable activity, and the activities
    left out with their reason."""

    ticket: Ticket
    lines: list[tuple[Activity, order_services.LineDraft]] = field(default_factory=list)
    skipped: list[tuple[Activity, str]] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum(
            (
                money.line_net_amount(draft.quantity, draft.unit_price, draft.discount_percent)
                for _activity, draft in self.lines
            ),
            Decimal("0.00"),
        )

    @property
    def without_duration(self) -> list[Activity]:
        """Billable activities with no duration recorded: billed as 1 h (DESIGN §6), so the
        preview points them out."""
        return [activity for activity, _draft in self.lines if activity.duration_minutes is None]

    @property
    def reason(self) -> str:
        """Why nothing is billed for this ticket ("" when something is)."""
        if self.lines:
            return ""
        if not self.skipped:
            return _("the ticket has no activities")
        details = "; ".join(
            f"{date_format(a.date, 'SHORT_DATE_FORMAT')}: {reason}"
            for a, reason in self.skipped[:5]
        )
        more = len(self.skipped) - 5
        if more > 0:
            details += " " + _("and %(n)s more") % {"n": more}
        return _("no billable activity (%(details)s)") % {"details": details}


def _line_for(activity: Activity, profile: BillingProfile, ticket: Ticket):
    product = profile.product
    technician = activity.technician.get_full_name() or activity.technician.username
    return order_services.LineDraft(
        product=product,
        description=f"{date_format(activity.date, 'SHORT_DATE_FORMAT')} – {technician} – "
        f"{activity.description}"[:500],
        quantity=activity.hours,
        unit_price=product.list_price,
        # A list price: the customer's default discount applies (DESIGN §6).
        discount_percent=ticket.customer.discount_percent,
        source=activity,
    )


def plan_billing(*, tickets, cutoff: date | None = None, profile=None) -> list[TicketPlan]:
    """The plan for every ticket of the queryset, in three queries whatever their number.
    Writes nothing: this is also the preview."""
    profile = profile or configured_profile(case=BillingProfile.Case.ACTIVITY)
    tickets = list(tickets.prefetch_related("customer__vat_exemption").order_by("pk"))
    by_ticket = defaultdict(list)
    activities = list(
        Activity.objects.filter(ticket_id__in=[t.pk for t in tickets])
        # prefetch, not select: a handful of statuses, conditions and technicians are shared
        # by thousands of activities, so each is built once instead of once per row.
        .prefetch_related("status", "condition", "technician")
        .order_by("ticket_id", "date", "pk")
    )
    billed = live_orders_of(Activity, (activity.pk for activity in activities))
    for activity in activities:
        activity.billed_order_id, activity.billed_order_number = billed.get(
            activity.pk, (None, None)
        )
        by_ticket[activity.ticket_id].append(activity)
    plans = []
    for ticket in tickets:
        plan = TicketPlan(ticket)
        for activity in by_ticket[ticket.pk]:
            reason = activity.not_billable_reason(cutoff)
            if reason:
                plan.skipped.append((activity, reason))
            else:
                plan.lines.append((activity, _line_for(activity, profile, ticket)))
        plans.append(plan)
    return plans


@dataclass
class BillingOutcome:
    """Orders created and tickets skipped, as plain data (it is stored on a BillingRun)."""

    created: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    def add_created(self, plan: TicketPlan, order: Order):
        self.created.append(
            {
                "ticket": plan.ticket.pk,
                "ticket_code": plan.ticket.code,
                "order": order.pk,
                "number": order.number,
                "protocol": order.protocol,
                "lines": len(plan.lines),
                "total": str(order.total),
            }
        )

    def add_skipped(self, ticket: Ticket, reason: str):
        self.skipped.append({"ticket": ticket.pk, "ticket_code": ticket.code, "reason": reason})


def _bill_batch(ticket_ids, *, actor: Actor, cutoff, profile, outcome: BillingOutcome):
    # Lock the tickets, then their activities (id order: no deadlock between overlapping
    # selections), then read their billing state: a run that waited here sees what the other
    # one billed, and a ticket cannot change customer meanwhile (tickets.services.save_ticket).
    list(
        Ticket.objects.filter(pk__in=ticket_ids)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    list(
        Activity.objects.filter(ticket_id__in=ticket_ids)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    plans = plan_billing(
        tickets=Ticket.objects.filter(pk__in=ticket_ids), cutoff=cutoff, profile=profile
    )
    to_bill = [plan for plan in plans if plan.lines]
    drafts = [
        order_services.OrderDraft(
            order_type=profile.order_type,
            customer=plan.ticket.customer,
            lines=[draft for _activity, draft in plan.lines],
            deal_subject=profile.deal_subject,
            origin=Order.Origin.TICKET,
            source=plan.ticket,
            from_defaults=True,
            event_message=_("From ticket %(code)s") % {"code": plan.ticket.code},
        )
        for plan in to_bill
    ]
    orders = order_services.create_orders(drafts=drafts, actor=actor) if drafts else []
    for plan, order in zip(to_bill, orders, strict=True):
        outcome.add_created(plan, order)
    for plan in plans:
        if not plan.lines:
            outcome.add_skipped(plan.ticket, plan.reason)


def _failure_reason(error: Exception) -> str:
    if isinstance(error, DomainError):
        return str(error.message)
    if isinstance(error, IntegrityError):
        return _("an activity was billed by another operation at the same time; run it again")
    return _("unexpected error: %(error)s") % {"error": error}


def bill_tickets(
    *,
    tickets,
    actor: Actor,
    cutoff: date | None = None,
    on_progress: Callable[[int, BillingOutcome], None] | None = None,
) -> BillingOutcome:
    """Bill the billable activities of the given tickets: one Order/Offer per ticket.

    Idempotent: billed activities are never billed again, so a second run creates nothing.
    Raises ConfigurationMissing before writing anything if the activity defaults are not set.
    """
    require_function(actor, MANAGE_TICKETS)
    profile = configured_profile(case=BillingProfile.Case.ACTIVITY)
    outcome = BillingOutcome()
    ticket_ids = list(tickets.order_by("pk").values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ticket_ids), BATCH_SIZE):
        batch = ticket_ids[start : start + BATCH_SIZE]
        try:
            with transaction.atomic():
                batch_outcome = BillingOutcome()
                _bill_batch(
                    batch, actor=actor, cutoff=cutoff, profile=profile, outcome=batch_outcome
                )
        except Exception:  # noqa: BLE001 - the batch is retried ticket by ticket below
            # The batch was rolled back whole (a bad ticket, a lost connection: Django opens
            # a new one); its tickets are retried one by one so the others still get billed.
            logger.warning("Billing batch failed, retrying ticket by ticket", exc_info=True)
            batch_outcome = _bill_one_by_one(batch, actor=actor, cutoff=cutoff, profile=profile)
        outcome.created += batch_outcome.created
        outcome.skipped += batch_outcome.skipped
        done += len(batch)
        if on_progress:
            on_progress(done, batch_outcome)
    return outcome


def _bill_one_by_one(ticket_ids, *, actor: Actor, cutoff, profile) -> BillingOutcome:
    outcome = BillingOutcome()
    for ticket_id in ticket_ids:
        single = BillingOutcome()
        try:
            with transaction.atomic():
                _bill_batch(
                    [ticket_id], actor=actor, cutoff=cutoff, profile=profile, outcome=single
                )
        except Exception as error:  # noqa: BLE001 - reported for this ticket, the others go on
            logger.exception("Billing ticket %s failed", ticket_id)
            outcome.add_skipped(Ticket.objects.get(pk=ticket_id), _failure_reason(error))
        else:
            outcome.created += single.created
            outcome.skipped += single.skipped
    return outcome
