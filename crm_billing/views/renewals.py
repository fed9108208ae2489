"""Scadenzario rinnovi: the contracts coming due, with the renewal "Rinnova" would create; and
"Rinnova" itself, on the contract page and on each row."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, prefetch_related_objects
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts.models import Contract
from contracts.permissions import MANAGE_CONTRACTS
from core.exceptions import DomainError
from core.functions import function_required
from crm_billing.forms import RenewalsDueFilterForm
from crm_billing.services.indices import foi_indices
from crm_billing.services.renewals import propose_renewal, renew_contract, renewal_profile
from crm_billing.views.messages import refuse

SORTS = {
    "end": ("current_end", "number"),
    "customer": ("customer__name", "current_end", "number"),
    "number": ("number",),
}


@function_required(MANAGE_CONTRACTS)
def renewals_due(request):
    filters = RenewalsDueFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    today = timezone.localdate()
    within = data.get("within_days")
    within = RenewalsDueFilterForm.DEFAULT_WITHIN_DAYS if within is None else within
    contracts = Contract.objects.due_for_renewal(today=today, within_days=within)
    if data.get("customer"):
        contracts = contracts.filter(customer=data["customer"])
    if data.get("q"):
        contracts = contracts.filter(
            Q(number__icontains=data["q"]) | Q(customer__name__icontains=data["q"])
        )
    if request.GET and not filters.is_valid():
        contracts = contracts.none()
    counts = contracts.aggregate(
        due=Count("pk"), ended=Count("pk", filter=Q(current_end__lt=today))
    )
    ordered = contracts.select_related("customer", "order").order_by(
        *SORTS[data.get("sort") or "end"]
    )
    page = Paginator(ordered, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    # The page's contracts only: their renewals (and those renewals' orders) price every row
    # and say whether the current period has its order, in a fixed number of queries.
    prefetch_related_objects(page.object_list, "renewals__order")
    profile, indices = renewal_profile(), foi_indices()
    context = {
        "filters": filters,
        "page": page,
        "proposals": [
            propose_renewal(contract, profile=profile, indices=indices) for contract in page
        ],
        "counts": counts,
        "within_days": within,
        "today": today,
    }
    template = "crm_billing/renewals_due.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


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
