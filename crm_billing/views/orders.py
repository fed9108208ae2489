""" "Nuovo ordine" on a contract or a renewal, "Crea Ordine" on a ticket: each view runs one
service and tells the user what it generated."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice.models import Order
from contracts.models import Contract, Renewal
from contracts.permissions import MANAGE_CONTRACTS
from core.exceptions import DomainError
from core.functions import function_required
from crm_billing.services.activities import bill_tickets
from crm_billing.services.billing import (
    Generated,
    create_order_for_contract,
    create_order_for_renewal,
)
from crm_billing.views.messages import announce_generated, refuse
from tickets.models import Ticket
from tickets.permissions import MANAGE_TICKETS


def _price_said(generated: Generated) -> str:
    price = generated.price
    if price.rule:
        return _("Amount by the rule “%(rule)s”: %(source)s.") % {
            "rule": price.rule,
            "source": price.source,
        }
    return _("Amount: %(source)s.") % {"source": price.source}


@function_required(MANAGE_CONTRACTS)
@require_POST
def contract_new_order(request, pk):
    contract = get_object_or_404(Contract, pk=pk)
    try:
        generated = create_order_for_contract(contract=contract, actor=request.user)
    except DomainError as error:
        refuse(request, error)
    else:
        announce_generated(request, generated.order, _price_said(generated))
    return redirect(contract)


@function_required(MANAGE_CONTRACTS)
@require_POST
def renewal_new_order(request, pk):
    renewal = get_object_or_404(Renewal, pk=pk)
    try:
        generated = create_order_for_renewal(renewal=renewal, actor=request.user)
    except DomainError as error:
        refuse(request, error)
    else:
        announce_generated(request, generated.order, _price_said(generated))
    return redirect(renewal)


@function_required(MANAGE_TICKETS)
@require_POST
def ticket_create_order(request, pk):
    ticket = get_object_or_404(Ticket, pk=pk)
    try:
        outcome = bill_tickets(tickets=Ticket.objects.filter(pk=pk), actor=request.user)
    except DomainError as error:
        refuse(request, error)
        return redirect(ticket)
    if outcome.created:
        created = outcome.created[0]
        order = Order.objects.select_related("order_type").get(pk=created["order"])
        announce_generated(request, order, _("%(n)s activities billed.") % {"n": created["lines"]})
    else:
        messages.warning(
            request,
            _("Nothing was created: %(reason)s.") % {"reason": outcome.skipped[0]["reason"]},
        )
    return redirect(ticket)
