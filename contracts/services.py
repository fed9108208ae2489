"""Saving contracts and renewals. Linking or unlinking an existing Order/Offer is recorded on
the order; an order generated from the record cannot be swapped for another while it is live.
A contract's rates (tariffe) and prepaid hours (monte ore) are written under the contract's row
lock, so two clerks adding at once are checked one after the other."""

from decimal import Decimal

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from backoffice.billed import live_order_billing
from backoffice.models import Order, OrderEvent, Product
from backoffice.services import record_event
from contracts.models import (
    Contract,
    ContractRate,
    PrepaidHours,
    Renewal,
    orders_linked_elsewhere,
)
from contracts.permissions import MANAGE_CONTRACTS
from core.actors import Actor
from core.exceptions import DomainError
from core.functions import require_function
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
    saving a renewal takes too); its stored current end follows its end date."""
    if contract.pk:
        Contract.objects.select_for_update().filter(pk=contract.pk).first()
        clash = contract.own_period_clash(contract.end_date)
        if clash:
            raise PeriodClash(clash)
    _save_with_link(
        contract,
        actor=actor,
        linked=_("Linked to contract %(n)s") % {"n": contract.number},
        unlinked=_("Unlinked from contract %(n)s") % {"n": contract.number},
    )
    contract.store_current_end()  # its own end date may have changed
    return contract


@transaction.atomic
def save_renewal(*, renewal: Renewal, actor: Actor) -> Renewal:
    """Save a renewal (values already validated); a change of Prot. Int. is recorded on both
    orders. Periods of one contract never overlap: the contract's row lock makes two renewals
    saved at once wait for each other, so the second sees the first. The contract's stored
    current end follows the renewal's period."""
    contract = Contract.objects.select_for_update().get(pk=renewal.contract_id)
    clash = contract.period_clash(
        renewal.start_date, renewal.end_date, renewal=renewal if renewal.pk else None
    )
    if clash:
        raise PeriodClash(clash)
    number = contract.number
    _save_with_link(
        renewal,
        actor=actor,
        linked=_("Linked to the renewal of contract %(n)s") % {"n": number},
        unlinked=_("Unlinked from the renewal of contract %(n)s") % {"n": number},
    )
    contract.store_current_end()
    return renewal


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


class RateExists(DomainError):
    pass


class PackageOverlap(DomainError):
    pass


class PackageEndsBeforeStart(DomainError):
    pass


class PackageDrawn(DomainError):
    pass


def _lock_contract(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().get(pk=contract.pk)


@transaction.atomic
def add_contract_rate(
    *, contract: Contract, product: Product, unit_price: Decimal, actor: Actor
) -> ContractRate:
    """Agree a price for a product/service in the contract: one rate per product."""
    require_function(actor, MANAGE_CONTRACTS)
    contract = _lock_contract(contract)
    if ContractRate.objects.filter(contract=contract, product=product).exists():
        raise RateExists(
            _(
                "The contract already has a rate for %(product)s: delete it first to change "
                "its price."
            )
            % {"product": product}
        )
    rate = ContractRate(contract=contract, product=product, unit_price=unit_price)
    record_changes_by(rate, actor)
    rate.save()
    return rate


@transaction.atomic
def delete_contract_rate(*, rate: ContractRate, actor: Actor) -> None:
    """Remove a rate: orders generated afterwards take the price from the price list or the
    list price; orders already made keep theirs."""
    require_function(actor, MANAGE_CONTRACTS)
    _lock_contract(rate.contract)
    stored = ContractRate.objects.filter(pk=rate.pk).first()
    if stored is None:
        return  # deleted meanwhile
    record_changes_by(stored, actor)
    stored.delete()


@transaction.atomic
def add_prepaid_hours(
    *, contract: Contract, hours: Decimal, valid_from, valid_to, actor: Actor
) -> PrepaidHours:
    """Add a package of prepaid hours. The packages of a contract never overlap: checked under
    the contract's row lock, which a second clerk adding at once waits for."""
    require_function(actor, MANAGE_CONTRACTS)
    if valid_to < valid_from:
        raise PackageEndsBeforeStart(_("The end date comes before the start date."))
    contract = _lock_contract(contract)
    clash = (
        PrepaidHours.objects.filter(
            contract=contract, valid_from__lte=valid_to, valid_to__gte=valid_from
        )
        .order_by("valid_from", "pk")
        .first()
    )
    if clash is not None:
        raise PackageOverlap(
            _(
                "The validity overlaps the package of %(package)s: the prepaid hours of a "
                "contract cannot overlap."
            )
            % {"package": clash}
        )
    package = PrepaidHours(contract=contract, hours=hours, valid_from=valid_from, valid_to=valid_to)
    record_changes_by(package, actor)
    package.save()
    return package


@transaction.atomic
def delete_prepaid_hours(*, package: PrepaidHours, actor: Actor) -> None:
    """Delete a package nothing was drawn from. Once hours were drawn (even on an order since
    cancelled) the package is kept: its draws account for those hours."""
    require_function(actor, MANAGE_CONTRACTS)
    _lock_contract(package.contract)
    # Billing locks the packages it draws from: a run under way finishes first.
    stored = PrepaidHours.objects.select_for_update().filter(pk=package.pk).first()
    if stored is None:
        return  # deleted meanwhile
    if stored.draws.exists():
        raise PackageDrawn(_("Hours were already drawn from this package: it cannot be deleted."))
    record_changes_by(stored, actor)
    stored.delete()
