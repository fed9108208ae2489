"""Changes to activities that respect billing: what is on a live order line stays as billed."""

from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.billed import live_order_billing
from core.actors import Actor
from core.exceptions import DomainError
from tickets.models import Activity


class ActivityBilled(DomainError):
    pass


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
    stored.delete()
