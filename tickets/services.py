"""Changes to activities that respect billing: what is on a live order line stays as billed."""

from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.exceptions import DomainError
from tickets.models import Activity


class ActivityBilled(DomainError):
    pass


def _live_order_number(activity: Activity) -> str | None:
    return (
        Activity.objects.with_billing_state()
        .filter(pk=activity.pk)
        .values_list("billed_order_number", flat=True)
        .first()
    )


@transaction.atomic
def save_activity(*, form) -> Activity:
    """Save a validated ActivityForm. While the activity is on a live order its billed fields
    (duration, status, condition) cannot change, whatever the browser sent."""
    activity = form.instance
    if activity.pk:
        Activity.objects.select_for_update().filter(pk=activity.pk).first()
        number = _live_order_number(activity)
        changed = [name for name in Activity.BILLED_FIELDS if name in form.changed_data]
        if number and changed:
            raise ActivityBilled(
                _(
                    "The activity is on order %(number)s: its duration, status and condition "
                    "cannot change."
                )
                % {"number": number}
            )
    return form.save()


@transaction.atomic
def delete_activity(*, activity: Activity) -> None:
    Activity.objects.select_for_update().filter(pk=activity.pk).first()
    number = _live_order_number(activity)
    if number:
        raise ActivityBilled(
            _("The activity is on order %(number)s and cannot be deleted.") % {"number": number}
        )
    activity.delete()
