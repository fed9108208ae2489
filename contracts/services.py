"""Saving contracts and renewals. Linking or unlinking an existing Order/Offer is recorded on
the order; an order generated from the record cannot be swapped for another while it is live."""

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from backoffice.billed import live_order_billing
from backoffice.models import Order, OrderEvent
from backoffice.services import record_event
from contracts.models import Contract, Renewal, orders_linked_elsewhere
from core.actors import Actor
from core.exceptions import DomainError
from core.history import record_changes_by


class GeneratedOrderLinked(DomainError):
    pass


class OrderLinkedElsewhere(DomainError):
    pass


class PeriodClash(DomainError):
    pass


def _refuse_order_linked_elsewhere(record: Contract | Renewal) -> None:
    """An order bills at most one contract or renewal. The order's row lock serialises two
    records linking it at once; the unique constraints back this up within each table."""
    if not record.order_id:
        return
    Order.objects.select_for_update().filter(pk=record.order_id).first()
    contracts, renewals = orders_linked_elsewhere(record)
    taken = (
        contracts.filter(order=record.order_id).exists()
        or renewals.filter(order=record.order_id).exists()
    )
    if taken:
        raise OrderLinkedElsewhere(
            _("Order %(number)s is already linked to another contract or renewal.")
            % {"number": record.order.number}
        )


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
    if record.order_id != (previous.pk if previous else None):
        _refuse_order_linked_elsewhere(record)
    record_changes_by(record, actor)
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
    orders. Its own period never reaches into its renewals' (checked under its row lock, which
    saving a renewal takes too)."""
    if contract.pk:
        Contract.objects.select_for_update().filter(pk=contract.pk).first()
        clash = contract.own_period_clash(contract.end_date)
        if clash:
            raise PeriodClash(clash)
    return _save_with_link(
        contract,
        actor=actor,
        linked=_("Linked to contract %(n)s") % {"n": contract.number},
        unlinked=_("Unlinked from contract %(n)s") % {"n": contract.number},
    )


@transaction.atomic
def save_renewal(*, renewal: Renewal, actor: Actor) -> Renewal:
    """Save a renewal (values already validated); a change of Prot. Int. is recorded on both
    orders. Periods of one contract never overlap: the contract's row lock makes two renewals
    saved at once wait for each other, so the second sees the first."""
    contract = Contract.objects.select_for_update().get(pk=renewal.contract_id)
    clash = contract.period_clash(
        renewal.start_date, renewal.end_date, renewal=renewal if renewal.pk else None
    )
    if clash:
        raise PeriodClash(clash)
    number = contract.number
    return _save_with_link(
        renewal,
        actor=actor,
        linked=_("Linked to the renewal of contract %(n)s") % {"n": number},
        unlinked=_("Unlinked from the renewal of contract %(n)s") % {"n": number},
    )


class ContractCancelled(DomainError):
    pass


@transaction.atomic
def cancel_contract(*, contract: Contract, cancelled_on, actor: Actor) -> Contract:
    """Record a cancellation (disdetta): the contract ends with its current period and is never
    proposed for renewal again. Recorded once, with who recorded it."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.is_cancelled:
        raise ContractCancelled(
            _("The contract was already cancelled on %(date)s.")
            % {"date": date_format(contract.cancelled_on, "SHORT_DATE_FORMAT")}
        )
    contract.cancelled_on, contract.cancelled_by = cancelled_on, actor
    record_changes_by(contract, actor)
    contract.save(update_fields=["cancelled_on", "cancelled_by"])
    return contract
