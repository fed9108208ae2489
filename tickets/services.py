"""Changes to activities that respect billing: what is on a live order line stays as billed."""

from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.billed import live_order_billing
from core.actors import Actor
from core.exceptions import DomainError
from core.history import record_changes_by
from tickets.models import Activity, Ticket


class ActivityBilled(DomainError):
    pass


class TicketBilled(DomainError):
    pass


@transaction.atomic
def save_ticket(*, ticket: Ticket, actor: Actor) -> Ticket:
    """Save a ticket carrying validated values. While any of its activities is on a live
    order, its customer cannot change: the orders are made out to that customer. Checked under
    the ticket's row lock, which billing takes too, so a change and a "Crea Ordine" at the same
    time cannot leave an order under another customer than its ticket."""
    if ticket.pk:
        stored = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if stored.customer_id != ticket.customer_id and stored.activities.on_live_orders().exists():
            raise TicketBilled(
                _("Activities of this ticket are billed: the customer cannot change.")
            )
    record_changes_by(ticket, actor)
    ticket.save()
    return ticket


@transaction.atomic
def save_activity(*, activity: Activity, actor: Actor) -> Activity:
    """Save an activity carrying validated values. While it is on a live order, its billed
    fields (duration, status, condition) cannot differ from what is stored, whatever the
    browser sent: checked under the activity's row lock, against the stored row."""
    if activity.pk:
        stored = Activity.objects.select_for_update().get(pk=activity.pk)
        changed = [
            name
            for name in Activity.BILLED_FIELDS
            if getattr(stored, Activity._meta.get_field(name).attname)
            != getattr(activity, Activity._meta.get_field(name).attname)
        ]
        order = live_order_billing(stored)
        if order is not None and changed:
            raise ActivityBilled(
                _(
                    "The activity is on order %(number)s: its duration, status and condition "
                    "cannot change."
                )
                % {"number": order.number}
            )
    record_changes_by(activity, actor)
    activity.save()
    return activity


@transaction.atomic
def delete_activity(*, activity: Activity, actor: Actor) -> None:
    stored = Activity.objects.select_for_update().get(pk=activity.pk)
    order = live_order_billing(stored)
    if order is not None:
        raise ActivityBilled(
            _("The activity is on order %(number)s and cannot be deleted.")
            % {"number": order.number}
        )
    record_changes_by(stored, actor)
    stored.delete()
