"""Saving contracts and renewals. Linking or unlinking an existing Order/Offer is recorded on
the order; an order generated from the record cannot be swapped for another while it is live."""

from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.billed import live_order_billing
from backoffice.models import OrderEvent
from backoffice.services import record_event
from contracts.models import Contract, Renewal
from core.actors import Actor
from core.exceptions import DomainError


class GeneratedOrderLinked(DomainError):
    pass


def _save_with_link(record: Contract | Renewal, *, actor: Actor, linked: str, unlinked: str):
    """Save a contract or renewal carrying validated values, under the row lock of the stored
    one. A change of its order is recorded on both orders; an order generated from the record
    (a live line bills it) cannot be replaced."""
    previous = None
    if record.pk:
        stored = type(record).objects.select_for_update().get(pk=record.pk)
        previous = stored.order
        generated = live_order_billing(stored)
        if generated is not None and record.order_id != generated.pk:
            raise GeneratedOrderLinked(
                _(
                    "Order %(number)s was generated from this record and bills it: cancel it in "
                    "the Back Office before linking another order."
                )
                % {"number": generated.number}
            )
    record.save()
    if record.order_id != (previous.pk if previous else None):
        if previous is not None:
            record_event(
                order=previous, kind=OrderEvent.Kind.UNLINKED, actor=actor, message=unlinked
            )
        if record.order_id:
            record_event(
                order=record.order, kind=OrderEvent.Kind.LINKED, actor=actor, message=linked
            )
    return record


@transaction.atomic
def save_contract(*, contract: Contract, actor: Actor) -> Contract:
    """Save a contract (values already validated); a change of Num. Ordine is recorded on both
    orders."""
    return _save_with_link(
        contract,
        actor=actor,
        linked=_("Linked to contract %(n)s") % {"n": contract.number},
        unlinked=_("Unlinked from contract %(n)s") % {"n": contract.number},
    )


@transaction.atomic
def save_renewal(*, renewal: Renewal, actor: Actor) -> Renewal:
    """Save a renewal (values already validated); a change of Prot. Int. is recorded on both
    orders."""
    number = renewal.contract.number
    return _save_with_link(
        renewal,
        actor=actor,
        linked=_("Linked to the renewal of contract %(n)s") % {"n": number},
        unlinked=_("Unlinked from the renewal of contract %(n)s") % {"n": number},
    )
