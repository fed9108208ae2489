"""Saving contracts and renewals. Linking or unlinking an existing Order/Offer is recorded on
the order; an order generated from the record cannot be swapped for another while it is live."""

from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.exceptions import DomainError
from backoffice.models import OrderEvent
from backoffice.selectors import live_order_billing
from backoffice.services import record_event


class GeneratedOrderLinked(DomainError):
    pass


def _save_link(form, actor, *, linked_text, unlinked_text):
    instance = form.instance
    previous = None
    if instance.pk:
        locked = type(instance).objects.select_for_update().get(pk=instance.pk)
        previous = locked.order
        generated = live_order_billing(locked)
        if generated is not None and form.cleaned_data.get("order") != generated:
            raise GeneratedOrderLinked(
                _(
                    "Order %(number)s was generated from this record and bills it: cancel it in "
                    "the Back Office before linking another order."
                )
                % {"number": generated.number}
            )
    saved = form.save()
    if saved.order_id != (previous.pk if previous else None):
        if previous is not None:
            record_event(
                order=previous, kind=OrderEvent.Kind.UNLINKED, actor=actor, message=unlinked_text
            )
        if saved.order_id:
            record_event(
                order=saved.order, kind=OrderEvent.Kind.LINKED, actor=actor, message=linked_text
            )
    return saved


@transaction.atomic
def save_contract(*, form, actor):
    """Save a validated ContractForm under a row lock; a change of Num. Ordine is recorded on
    both orders."""
    number = form.cleaned_data["number"]
    return _save_link(
        form,
        actor,
        linked_text=_("Linked to contract %(n)s") % {"n": number},
        unlinked_text=_("Unlinked from contract %(n)s") % {"n": number},
    )


@transaction.atomic
def save_renewal(*, form, actor):
    """Save a validated RenewalForm under a row lock; a change of Prot. Int. is recorded on
    both orders."""
    number = form.contract.number
    return _save_link(
        form,
        actor,
        linked_text=_("Linked to the renewal of contract %(n)s") % {"n": number},
        unlinked_text=_("Unlinked from the renewal of contract %(n)s") % {"n": number},
    )
