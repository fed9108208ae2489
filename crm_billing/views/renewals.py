"""Scadenzario rinnovi: the contracts coming due, with the renewal "Rinnova" would create; and
"Rinnova" itself, on the contract page and on each row."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts.models import Contract
from contracts.permissions import MANAGE_CONTRACTS
from core.exceptions import DomainError
from core.functions import function_required
from core.lists import filtered, list_page
from crm_billing.filters import RenewalsDueFilter
from crm_billing.forms import RenewalSelectionForm
from crm_billing.services.renewals import renew_contract
from crm_billing.services.runs import preview_renewal_run
from crm_billing.tables import RenewalsDueTable
from crm_billing.views.messages import refuse


@function_required(MANAGE_CONTRACTS)
def renewals_due(request):
    filterset = RenewalsDueFilter(
        request.GET, queryset=Contract.objects.select_related("customer", "order")
    )
    return list_page(
        request,
        filterset=filterset,
        table_class=RenewalsDueTable,
        template="crm_billing/renewals_due.html",
        export_name="scadenzario-rinnovi",
        # Counted by the page only (an export never renders it).
        context={
            "ended_contracts": filtered(filterset).filter(current_end__lt=timezone.localdate())
        },
    )


@function_required(MANAGE_CONTRACTS)
@require_POST
def renew_and_bill_preview(request):
    """ "Rinnova e fattura" of the ticked rows, or of every row the filters match: the selection
    is stored as a previewed run, whose page is the preview."""
    selection = RenewalSelectionForm(request.POST)
    if not selection.is_valid():
        messages.error(request, selection.errors_in_one_line())
        return redirect("billing:renewals_due")
    if selection.cleaned_data["mode"] == "selected":
        contracts = Contract.objects.filter(pk__in=selection.cleaned_data["contracts"])
    else:
        contracts = selection.filters.qs
    try:
        run = preview_renewal_run(contracts=contracts, actor=request.user)
    except DomainError as error:
        refuse(request, error)
        return redirect("billing:renewals_due")
    return redirect(run)


def _back(request) -> str:
    """Where "Rinnova" was pressed from, when it was the Scadenzario (a local address only)."""
    back = request.POST.get("next", "")
    local = back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    )
    return back if local else ""


@function_required(MANAGE_CONTRACTS)
@require_POST
def contract_renew(request, pk):
    contract = get_object_or_404(Contract, pk=pk)
    try:
        renewal = renew_contract(contract=contract, actor=request.user)
    except DomainError as error:
        refuse(request, error)
        return redirect(_back(request) or contract)
    messages.success(
        request,
        _(
            "%(renewal)s created for contract %(number)s, cost %(cost)s €: generate its order with "
            "“New order”."
        )
        % {
            "renewal": renewal,
            "number": contract.number,
            "cost": number_format(renewal.cost, 2, force_grouping=True),
        },
    )
    return redirect(_back(request) or renewal)
