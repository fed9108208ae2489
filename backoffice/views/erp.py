"""Invia al gestionale: send an order to the ERP, send a failed one again, and the ERP card the
order page polls while a send is under way."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice import forms
from backoffice.erp.services import resend_transmission, retry_due_inline, send_order
from backoffice.models import Order
from backoffice.permissions import MANAGE_ORDERS, SEND_TO_ERP
from backoffice.selectors import order_transmissions
from backoffice.views.orders import error_message, visible_order
from core.exceptions import DomainError
from core.functions import function_required


def _sent_message(request, order):
    """Where the send stands now: the inline backend may already have delivered it, or failed."""
    order.refresh_from_db(fields=["status", "erp_reference"])
    if order.status == Order.Status.SENT:
        messages.success(
            request,
            _("%(order)s delivered to the ERP: %(reference)s.")
            % {"order": order, "reference": order.erp_reference},
        )
    elif order.status == Order.Status.DRAFT:
        latest = order.transmissions.order_by("-revision").first()
        messages.error(
            request,
            _("%(order)s was not delivered to the ERP: %(error)s")
            % {"order": order, "error": latest.last_error},
        )
    else:
        messages.success(request, _("%(order)s queued for the ERP.") % {"order": order})


@function_required(SEND_TO_ERP)
@require_POST
def order_send(request, pk):
    order = visible_order(request, pk)
    form = forms.SendOrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The request was incomplete: check the order, then send it."))
        return redirect(order)
    try:
        send_order(order=order, expected_revision=form.cleaned_data["revision"], actor=request.user)
    except DomainError as error:
        messages.error(request, error_message(error))
    else:
        _sent_message(request, order)
    return redirect(order)


@function_required(SEND_TO_ERP)
@require_POST
def transmission_resend(request, pk, transmission_pk):
    order = visible_order(request, pk)
    transmission = get_object_or_404(order.transmissions, pk=transmission_pk)
    try:
        resend_transmission(transmission=transmission, actor=request.user)
    except DomainError as error:
        messages.error(request, error_message(error))
    else:
        _sent_message(request, order)
    return redirect(order)


@function_required(MANAGE_ORDERS)
def transmissions_card(request, pk):
    """The ERP card alone, which the order page polls while a send is under way. When the send
    is over, htmx reloads the whole page: state, buttons and editable fields change with it.

    The poll is a POST: with the embedded task backend (no worker), it is what runs a retry
    that has come due while someone watches the order. A GET only reads."""
    order = visible_order(request, pk)
    if not request.htmx:
        return redirect(order)
    if request.method == "POST":
        retry_due_inline(order=order)
        order.refresh_from_db()
    transmissions = order_transmissions(order)
    response = render(
        request,
        "backoffice/order_detail.html#erp",
        {"order": order, "transmissions": transmissions},
    )
    if order.status != Order.Status.SENDING:
        response["HX-Refresh"] = "true"
    return response
