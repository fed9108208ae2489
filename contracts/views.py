from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice.billed import linkable_orders
from contracts import services
from contracts.filters import ContractFilter, RenewalFilter
from contracts.forms import (
    ORDERS_SHOWN,
    ContractCancelForm,
    ContractForm,
    ContractRateForm,
    PrepaidHoursForm,
    RenewalForm,
    share_product_choices,
    show_linkable_orders,
)
from contracts.models import (
    Contract,
    ContractRate,
    PrepaidHours,
    Renewal,
    orders_linked_elsewhere,
)
from contracts.permissions import MANAGE_CONTRACTS
from contracts.tables import ContractTable, RenewalTable
from core.actors import Actor
from core.exceptions import DomainError
from core.functions import function_required
from core.input import record_id
from core.lists import list_page


def _refused(form, error: DomainError, *, period_field: str) -> bool:
    """What the service refused becomes an error on the field concerned: the period, or the
    order."""
    field = period_field if isinstance(error, services.PeriodClash) else "order"
    form.add_error(field, error.message)
    return False


def contract_form_saved(form, actor: Actor) -> bool:
    """Validate and save a ContractForm; what the service refuses becomes a field error."""
    if not form.is_valid():
        return False
    try:
        services.save_contract(contract=form.instance, actor=actor)
    except DomainError as error:
        return _refused(form, error, period_field="end_date")
    return True


def renewal_form_saved(form, actor: Actor) -> bool:
    """Validate and save a RenewalForm; what the service refuses becomes a field error."""
    if not form.is_valid():
        return False
    try:
        services.save_renewal(renewal=form.instance, actor=actor)
    except DomainError as error:
        return _refused(form, error, period_field="start_date")
    return True


@function_required(MANAGE_CONTRACTS)
def contract_list(request):
    return list_page(
        request,
        filterset=ContractFilter(request.GET or None, queryset=Contract.objects.for_list()),
        table_class=ContractTable,
        template="contracts/contract_list.html",
        export_name="contratti",
    )


@function_required(MANAGE_CONTRACTS)
def renewal_list(request):
    renewals = Renewal.objects.select_related("contract__customer", "order").order_by(
        "-start_date", "-id"
    )
    return list_page(
        request,
        filterset=RenewalFilter(request.GET or None, queryset=renewals),
        table_class=RenewalTable,
        template="contracts/renewal_list.html",
        export_name="rinnovi",
    )


def contract_page(request, form, contract=None, status=200, *, rate_form=None, package_form=None):
    """The contract's page: its form and, once saved, its renewals, rates and prepaid hours (a
    fixed number of queries however many there are)."""
    query = f"?contract={contract.pk}" if contract is not None else ""
    context = {
        "form": form,
        "contract": contract,
        "order_options_url": reverse("contracts:customer_orders") + query,
        "orders_shown": ORDERS_SHOWN,
    }
    if contract is not None:
        rate_form = rate_form or ContractRateForm(contract=contract)
        share_product_choices(form, rate_form)
        context.update(
            renewals=contract.renewals.select_related("order__order_type"),
            rates=contract.rates.select_related("product").order_by("product__code", "pk"),
            packages=contract.packages.with_usage().order_by("valid_from", "pk"),
            rate_form=rate_form,
            package_form=package_form or PrepaidHoursForm(contract=contract),
            prepaid_warning_percent=settings.PREPAID_HOURS_WARNING_PERCENT,
        )
    return render(request, "contracts/contract_form.html", context, status=status)


def _contract_for_page(pk) -> Contract:
    return get_object_or_404(
        Contract.objects.select_related("customer", "product", "order__order_type", "cancelled_by"),
        pk=pk,
    )


@function_required(MANAGE_CONTRACTS)
def contract_create(request):
    form = ContractForm(request.POST or None, order_search=request.GET.get("order_q", ""))
    if request.method == "POST":
        if contract_form_saved(form, request.user):
            messages.success(request, _("Contract %(n)s saved.") % {"n": form.instance.number})
            return redirect(form.instance)
        return contract_page(request, form, status=422)
    return contract_page(request, form)


@function_required(MANAGE_CONTRACTS)
def contract_detail(request, pk):
    contract = _contract_for_page(pk)
    form = ContractForm(
        request.POST or None, instance=contract, order_search=request.GET.get("order_q", "")
    )
    if request.method == "POST":
        if contract_form_saved(form, request.user):
            messages.success(request, _("Contract %(n)s saved.") % {"n": contract.number})
            return redirect(contract)
        return contract_page(request, form, contract, status=422)
    return contract_page(request, form, contract)


@function_required(MANAGE_CONTRACTS)
def customer_orders_options(request):
    """The <option>s of Num. Ordine / Prot. Int. (htmx): for the customer chosen in the contract
    form, or the renewal's contract's customer; the most recent linkable orders, or those
    matching the search box (`q`), and the one selected (`order`) kept."""
    renewal = Renewal.objects.filter(pk=record_id(request.GET.get("renewal"))).first()
    if "renewal_of" in request.GET:
        # An unknown contract finds nothing, like an unknown customer.
        contract = Contract.objects.filter(pk=record_id(request.GET["renewal_of"])).first()
        customer_id, record = (contract.customer_id if contract else None), renewal
    else:
        contract = Contract.objects.filter(pk=record_id(request.GET.get("contract"))).first()
        customer_id, record = record_id(request.GET.get("customer")), contract
    field = ContractForm().fields["order"]
    field.queryset = linkable_orders(customer_id, taken=orders_linked_elsewhere(record))
    selected, search = request.GET.get("order"), request.GET.get("order_q")
    show_linkable_orders(field, selected=selected, search=search)
    return render(
        request,
        "contracts/partials/order_options.html",
        {"field": field, "selected": record_id(selected)},
    )


@function_required(MANAGE_CONTRACTS)
def renewal_create(request, contract_pk):
    contract = get_object_or_404(Contract.objects.select_related("customer"), pk=contract_pk)
    form = RenewalForm(
        request.POST or None, contract=contract, order_search=request.GET.get("order_q", "")
    )
    if request.method == "POST" and renewal_form_saved(form, request.user):
        messages.success(request, _("Renewal saved."))
        return redirect(form.instance)
    return renewal_page(request, form, contract, status=422 if request.method == "POST" else 200)


@function_required(MANAGE_CONTRACTS)
def renewal_detail(request, pk):
    renewal = get_object_or_404(
        Renewal.objects.select_related("contract__customer", "order__order_type"), pk=pk
    )
    form = RenewalForm(
        request.POST or None,
        instance=renewal,
        contract=renewal.contract,
        order_search=request.GET.get("order_q", ""),
    )
    if request.method == "POST" and renewal_form_saved(form, request.user):
        messages.success(request, _("Renewal saved."))
        return redirect(renewal)
    status = 422 if request.method == "POST" else 200
    return renewal_page(request, form, renewal.contract, renewal, status=status)


def renewal_page(request, form, contract, renewal=None, status=200):
    query = f"?renewal_of={contract.pk}" + (f"&renewal={renewal.pk}" if renewal else "")
    context = {
        "form": form,
        "contract": contract,
        "renewal": renewal,
        "order_options_url": reverse("contracts:customer_orders") + query,
        "orders_shown": ORDERS_SHOWN,
    }
    return render(request, "contracts/renewal_form.html", context, status=status)


@function_required(MANAGE_CONTRACTS)
@require_POST
def contract_cancel(request, pk):
    contract = get_object_or_404(Contract, pk=pk)
    form = ContractCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date the cancellation was received."))
        return redirect(contract)
    try:
        services.cancel_contract(
            contract=contract, cancelled_on=form.cleaned_data["cancelled_on"], actor=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Cancellation recorded: contract %(n)s will not be renewed.")
            % {"n": contract.number},
        )
    return redirect(contract)


@function_required(MANAGE_CONTRACTS)
@require_POST
def contract_rate_add(request, pk):
    """Tariffe del contratto: add the price agreed for a product/service."""
    contract = _contract_for_page(pk)
    form = ContractRateForm(request.POST, contract=contract)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_contract_rate(
                contract=contract,
                product=data["product"],
                unit_price=data["unit_price"],
                actor=request.user,
            )
        except DomainError as error:
            form.add_error("product", error.message)
        else:
            messages.success(
                request, _("Rate for %(product)s saved.") % {"product": data["product"]}
            )
            return redirect(contract.get_absolute_url() + "#rates")
    return contract_page(
        request, ContractForm(instance=contract), contract, status=422, rate_form=form
    )


@function_required(MANAGE_CONTRACTS)
def contract_rate_delete(request, pk):
    """A confirmation page, then the POST that deletes the rate."""
    rate = get_object_or_404(ContractRate.objects.select_related("contract", "product"), pk=pk)
    if request.method == "POST":
        try:
            services.delete_contract_rate(rate=rate, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Rate for %(product)s deleted.") % {"product": rate.product}
            )
        return redirect(rate.contract.get_absolute_url() + "#rates")
    return render(request, "contracts/rate_delete.html", {"rate": rate, "contract": rate.contract})


@function_required(MANAGE_CONTRACTS)
@require_POST
def prepaid_hours_add(request, pk):
    """Monte ore: add a package of hours bought in advance."""
    contract = _contract_for_page(pk)
    form = PrepaidHoursForm(request.POST, contract=contract)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_prepaid_hours(
                contract=contract,
                hours=data["hours"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                actor=request.user,
            )
        except services.PackageEndsBeforeStart as error:
            form.add_error("valid_to", error.message)
        except DomainError as error:
            form.add_error("valid_from", error.message)
        else:
            messages.success(request, _("Prepaid hours saved."))
            return redirect(contract.get_absolute_url() + "#prepaid-hours")
    return contract_page(
        request, ContractForm(instance=contract), contract, status=422, package_form=form
    )


@function_required(MANAGE_CONTRACTS)
def prepaid_hours_delete(request, pk):
    """A confirmation page, then the POST that deletes the package; refused once hours were
    drawn from it."""
    package = get_object_or_404(PrepaidHours.objects.select_related("contract"), pk=pk)
    if request.method == "POST":
        try:
            services.delete_prepaid_hours(package=package, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Prepaid hours deleted."))
        return redirect(package.contract.get_absolute_url() + "#prepaid-hours")
    return render(
        request,
        "contracts/prepaid_hours_delete.html",
        {"package": package, "contract": package.contract, "drawn": package.draws.exists()},
    )
