"""Scadenzario rinnovi: the contracts coming due, with the renewal "Rinnova" would create; and
"Rinnova" itself, on the contract page and on each row."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts.models import Contract
from contracts.permissions import MANAGE_CONTRACTS
from core.exceptions import DomainError
from core.exports import FORMATS, export_response
from core.functions import function_required
from crm_billing.forms import RenewalsDueFilterForm, RenewalSelectionForm
from crm_billing.services.renewals import contracts_due, plan_renewals, renew_contract
from crm_billing.services.runs import preview_renewal_run
from crm_billing.tables import RenewalsDueTable
from crm_billing.views.messages import refuse

SORTS = {
    "end": ("current_end", "number"),
    "customer": ("customer__name", "current_end", "number"),
    "number": ("number",),
}


def _filtered(filters: RenewalsDueFilterForm, today):
    """The Scadenzario's contracts as its filters choose them (none when they are invalid)."""
    if filters.is_bound and not filters.is_valid():
        return Contract.objects.none(), RenewalsDueFilterForm.DEFAULT_WITHIN_DAYS
    data = filters.cleaned_data if filters.is_bound else {}
    within = data.get("within_days")
    within = RenewalsDueFilterForm.DEFAULT_WITHIN_DAYS if within is None else within
    contracts = contracts_due(
        today=today, within_days=within, customer=data.get("customer"), search=data.get("q", "")
    )
    return contracts, within


@function_required(MANAGE_CONTRACTS)
def renewals_due(request):
    filters = RenewalsDueFilterForm(request.GET or None)
    today = timezone.localdate()
    contracts, within = _filtered(filters, today)
    sort = filters.cleaned_data.get("sort") if filters.is_bound and filters.is_valid() else ""
    ordered = contracts.select_related("customer", "order").order_by(*SORTS[sort or "end"])
    file_format = request.GET.get("export")
    if file_format in FORMATS:
        # Every contract listed, in the order chosen (not only this page).
        return export_response(RenewalsDueTable(ordered), file_format, name="scadenzario-rinnovi")
    counts = contracts.aggregate(
        due=Count("pk"), ended=Count("pk", filter=Q(current_end__lt=today))
    )
    page = Paginator(ordered, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "page": page,
        # The page's contracts only, in a fixed number of queries.
        "proposals": plan_renewals(list(page.object_list)),
        "counts": counts,
        "within_days": within,
        "today": today,
    }
    template = "crm_billing/renewals_due.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


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
        contracts, _within = _filtered(selection.filters, timezone.localdate())
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
