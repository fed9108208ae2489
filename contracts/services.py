"""Saving contracts and renewals. Linking an existing Order/Offer is recorded on the order."""

from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.models import OrderEvent
from backoffice.services import record_event


def _record_link(obj, previous_order_id, actor, text):
    if obj.order_id and obj.order_id != previous_order_id:
        record_event(order=obj.order, kind=OrderEvent.Kind.LINKED, actor=actor, message=text)


@transaction.atomic
def save_contract(*, form, actor):
    """Save a validated ContractForm; a newly chosen Num. Ordine gets a "linked" event."""
    previous = form.initial.get("order")
    contract = form.save()
    _record_link(contract, previous, actor, _("Linked to contract %(n)s") % {"n": contract.number})
    return contract


@transaction.atomic
def save_renewal(*, form, actor):
    """Save a validated RenewalForm; a newly chosen Prot. Int. gets a "linked" event."""
    previous = form.initial.get("order")
    renewal = form.save()
    _record_link(
        renewal,
        previous,
        actor,
        _("Linked to the renewal of contract %(n)s") % {"n": renewal.contract.number},
    )
    return renewal
