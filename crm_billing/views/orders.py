""" "Nuovo ordine" on a contract or a renewal, "Crea Ordine" on a ticket: each view runs one
service and tells the user what it generated."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from backoffice.models import Order
from contracts.forms import ContractForm, RenewalForm
from contracts.models import Contract, Renewal
from contracts.permissions import MANAGE_CONTRACTS
from contracts.views import contract_form_saved, contract_page, renewal_form_saved, renewal_page
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


def _posted_form(request, form) -> bool:
    """Whether the page's form came along with the button (it does from the browser: the
    button submits the record's form). Without it, the saved record is billed."""
    return any(form.add_prefix(name) in request.POST for name in form.fields)


def _saved_first(request, form, save) -> bool:
    """The record's form as the page had it: changes not yet saved are saved first (through the
    record's own save), so the order is built from what the user sees. False, with the errors on
    the form, when they cannot be saved: then no order is generated."""
    if not _posted_form(request, form) or not form.has_changed():
        return True
    if not save(form, request.user):
        messages.error(request, _("The order was not generated: correct the data below first."))
        return False
    messages.info(request, _("Your changes were saved first."))
    return True


@function_required(MANAGE_CONTRACTS)
@require_POST
def contract_new_order(request, pk):
    contract = get_object_or_404(
        Contract.objects.select_related("customer", "product", "order__order_type"), pk=pk
    )
    form = ContractForm(request.POST, instance=contract)
    if not _saved_first(request, form, contract_form_saved):
        return contract_page(request, form, contract, status=422)
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
    renewal = get_object_or_404(
        Renewal.objects.select_related("contract__customer", "order__order_type"), pk=pk
    )
    form = RenewalForm(request.POST, instance=renewal, contract=renewal.contract)
    if not _saved_first(request, form, renewal_form_saved):
        return renewal_page(request, form, renewal.contract, renewal, status=422)
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
        billed = ngettext("%(n)s activity billed.", "%(n)s activities billed.", created["lines"])
        announce_generated(request, order, billed % {"n": created["lines"]})
    else:
        messages.warning(
            request,
            _("Nothing was created: %(reason)s.") % {"reason": outcome.skipped[0]["reason"]},
        )
    return redirect(ticket)
