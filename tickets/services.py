"""Changes to activities that respect billing: what is on a live order line stays as billed."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.billed import live_order_billing
from core.actors import Actor
from core.exceptions import DomainError
from core.history import record_changes_by
from tickets.models import Activity, ActivityMaterial, Ticket


class ActivityBilled(DomainError):
    pass


class TicketBilled(DomainError):
    pass


@transaction.atomic
def save_ticket(*, ticket: Ticket, actor: Actor) -> Ticket:
    """Save a ticket carrying validated values. While any of its activities is on a live
    order, its customer and contract cannot change: the orders are made out to that customer,
    at that contract's rates and prepaid hours. Checked under
    the ticket's row lock, which billing takes too, so a change and a "Crea Ordine" at the same
    time cannot leave an order under another customer than its ticket."""
    if ticket.pk:
        stored = Ticket.objects.select_for_update().get(pk=ticket.pk)
        moved = (stored.customer_id, stored.contract_id) != (ticket.customer_id, ticket.contract_id)
        if moved and stored.activities.on_live_orders().exists():
            raise TicketBilled(
                _(
                    "Activities of this ticket are billed: the customer and the contract "
                    "cannot change."
                )
            )
    if ticket.contract_id and ticket.contract.customer_id != ticket.customer_id:
        raise TicketBilled(_("The contract belongs to another customer."))
    record_changes_by(ticket, actor)
    ticket.save()
    return ticket


@dataclass(frozen=True)
class MaterialChanges:
    """The materials of an activity to write and to delete (from the activity page)."""

    saved: list[ActivityMaterial] = field(default_factory=list)
    deleted: list[ActivityMaterial] = field(default_factory=list)

    def __bool__(self):
        return bool(self.saved or self.deleted)


@transaction.atomic
def save_activity(
    *, activity: Activity, actor: Actor, materials: MaterialChanges | None = None
) -> Activity:
    """Save an activity carrying validated values, and the changes to its materials. While it
    is on a live order, its billed fields (date, duration, status, condition, type, km) and its
    materials cannot differ from what is stored, whatever the browser sent: checked under the
    activity's row lock, against the stored row."""
    if activity.pk:
        stored = Activity.objects.select_for_update().get(pk=activity.pk)
        changed = [
            name
            for name in Activity.BILLED_FIELDS
            if getattr(stored, Activity._meta.get_field(name).attname)
            != getattr(activity, Activity._meta.get_field(name).attname)
        ]
        order = live_order_billing(stored)
        if order is not None and (changed or materials):
            raise ActivityBilled(
                _(
                    "The activity is on order %(number)s: its date, duration, status, "
                    "condition, type, km and materials cannot change."
                )
                % {"number": order.number}
            )
    record_changes_by(activity, actor)
    activity.save()
    for material in materials.saved if materials else ():
        material.activity = activity
        record_changes_by(material, actor)
        material.save()
    for material in materials.deleted if materials else ():
        if material.pk and material.activity_id == activity.pk:
            record_changes_by(material, actor)
            material.delete()
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
