from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice.exceptions import DomainError
from backoffice.models import Order
from backoffice.permissions import MANAGE_ORDERS, function_required
from backoffice.validators import search_text
from contracts.models import Contract, Renewal
from contracts.permissions import MANAGE_CONTRACTS
from crm_billing.forms import (
    BillingConfirmationForm,
    BillingProfileForm,
    BillingSelectionForm,
    ConditionsToBeBilledForm,
    UserCreateForm,
    UserFunctionsForm,
)
from crm_billing.functions import CONFIGURE_BILLING, MANAGE_USERS
from crm_billing.models import BillingProfile, BillingProfileChange, BillingRun
from crm_billing.services import activities, billing, configuration, runs
from crm_billing.services import users as user_services
from tickets.models import Ticket
from tickets.permissions import MANAGE_TICKETS


def home(request):
    return render(request, "crm_billing/home.html")


@login_not_required
def health(request):
    """For load balancers (and the trivial view of the benchmarks): the process answers."""
    return HttpResponse("ok", content_type="text/plain")


# --- Amministrazione › Gestione Utenti ---------------------------------------------------------


@function_required(MANAGE_USERS)
def user_list(request):
    search = search_text(request.GET.get("q"))
    users = get_user_model().objects.order_by("username").prefetch_related("user_permissions")
    if search:
        users = users.filter(
            Q(username__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
        )
    page = Paginator(users, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "crm_billing/user_list.html", {"page": page, "search": search})


@function_required(MANAGE_USERS)
def user_create(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = user_services.create_user(
            username=data["username"],
            password=data["password1"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            functions=data["functions"],
        )
        messages.success(request, _("User %(user)s created.") % {"user": user.username})
        return redirect("user_list")
    return render(request, "crm_billing/user_form.html", {"form": form})


@function_required(MANAGE_USERS)
def user_update(request, pk):
    user = get_object_or_404(get_user_model(), pk=pk)
    form = UserFunctionsForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        user_services.update_user(form=form)
        messages.success(request, _("Functions of %(user)s saved.") % {"user": user.username})
        return redirect("user_list")
    return render(request, "crm_billing/user_form.html", {"form": form, "managed_user": user})


@function_required(MANAGE_USERS)
def user_set_active(request, pk, active):
    user = get_object_or_404(get_user_model(), pk=pk)
    if request.method == "POST":
        try:
            user_services.set_user_active(user=user, active=active, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            message = _("User %(user)s activated.") if active else _("User %(user)s deactivated.")
            messages.success(request, message % {"user": user.username})
        return redirect("user_list")
    return render(
        request, "crm_billing/user_confirm_active.html", {"managed_user": user, "active": active}
    )


# --- Amministrazione › Configurazione fatturazione ---------------------------------------------


@function_required(CONFIGURE_BILLING)
def billing_configuration(request):
    # In the order of the workflow: new contracts, renewals, activities.
    profiles = sorted(
        BillingProfile.objects.for_all_cases(),
        key=lambda profile: BillingProfile.Case.values.index(profile.case),
    )
    data = request.POST if request.method == "POST" else None
    forms_by_case = [
        (profile, BillingProfileForm(data, instance=profile, prefix=profile.case))
        for profile in profiles
    ]
    conditions_form = ConditionsToBeBilledForm(data, prefix="conditions")
    if data is not None:
        valid = [form.is_valid() for _profile, form in forms_by_case] + [conditions_form.is_valid()]
        if all(valid):
            changed = configuration.save_billing_configuration(
                values_by_profile={profile: form.cleaned_data for profile, form in forms_by_case},
                conditions=conditions_form.cleaned_data["to_be_billed"],
                actor=request.user,
            )
            messages.success(
                request, _("Billing configuration saved (%(n)s changes).") % {"n": changed}
            )
            return redirect("billing_configuration")
        messages.error(request, _("Please correct the errors below."))
    changes = BillingProfileChange.objects.select_related("actor", "profile")[:50]
    return render(
        request,
        "crm_billing/billing_configuration.html",
        {"forms_by_case": forms_by_case, "conditions_form": conditions_form, "changes": changes},
        status=422 if data is not None else 200,
    )


# --- "Nuovo ordine" on contracts and renewals ---------------------------------------------------


def _order_reference(request, order):
    """A link to the order for Back Office users; its number and protocol for everyone else."""
    if request.user.has_perm(MANAGE_ORDERS):
        return format_html(
            '<a class="btn btn-sm btn-primary ms-2" href="{}">{}</a>',
            order.get_absolute_url(),
            _("Open in the Back Office"),
        )
    return format_html(
        " {}",
        _("Order no. %(number)s, internal protocol %(protocol)s")
        % {"number": order.number, "protocol": order.protocol},
    )


def _announce(request, generated):
    order, price = generated.order, generated.price
    amount = (
        _("Amount by the rule “%(rule)s”: %(source)s.")
        % {"rule": price.rule, "source": price.source}
        if price.rule
        else _("Amount: %(source)s.") % {"source": price.source}
    )
    messages.success(
        request,
        format_html(
            "{} {} {}",
            _("%(type)s %(number)s was generated with the default settings.")
            % {"type": order.order_type.name, "number": order.number},
            amount,
            _order_reference(request, order),
        ),
    )


def _refuse(request, error):
    if isinstance(error, billing.AlreadyLinked):
        messages.warning(
            request, format_html("{}{}", error.message, _order_reference(request, error.order))
        )
    elif isinstance(error, billing.ConfigurationMissing) and request.user.has_perm(
        CONFIGURE_BILLING
    ):
        messages.error(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                error.message,
                reverse("billing_configuration"),
                _("Open the billing configuration"),
            ),
        )
    else:
        messages.error(request, error.message)


def _generate(request, create, target):
    try:
        _announce(request, create(actor=request.user, **target))
    except DomainError as error:
        _refuse(request, error)


@function_required(MANAGE_CONTRACTS)
@require_POST
def contract_new_order(request, pk):
    contract = get_object_or_404(Contract, pk=pk)
    _generate(request, billing.create_order_for_contract, {"contract": contract})
    return redirect(contract)


@function_required(MANAGE_CONTRACTS)
@require_POST
def renewal_new_order(request, pk):
    renewal = get_object_or_404(Renewal, pk=pk)
    _generate(request, billing.create_order_for_renewal, {"renewal": renewal})
    return redirect(renewal)


# --- "Crea Ordine" and "Fattura attività" on tickets --------------------------------------------

PREVIEW_DETAIL_LIMIT = 100


@function_required(MANAGE_TICKETS)
@require_POST
def ticket_create_order(request, pk):
    ticket = get_object_or_404(Ticket, pk=pk)
    try:
        outcome = activities.bill_tickets(tickets=Ticket.objects.filter(pk=pk), actor=request.user)
    except DomainError as error:
        _refuse(request, error)
        return redirect(ticket)
    if outcome.created:
        created = outcome.created[0]
        order = Order.objects.select_related("order_type").get(pk=created["order"])
        messages.success(
            request,
            format_html(
                "{} {} {}",
                _("%(type)s %(number)s was generated with the default settings.")
                % {"type": order.order_type.name, "number": order.number},
                _("%(n)s activities billed.") % {"n": created["lines"]},
                _order_reference(request, order),
            ),
        )
    else:
        messages.warning(
            request,
            _("Nothing was created: %(reason)s.") % {"reason": outcome.skipped[0]["reason"]},
        )
    return redirect(ticket)


def _selection(request, form_class=BillingSelectionForm):
    form = form_class(request.POST)
    if not form.is_valid():
        errors = "; ".join(e for errors in form.errors.values() for e in errors)
        messages.error(request, errors)
        return None, None
    return form, form.tickets_queryset()


@function_required(MANAGE_TICKETS)
@require_POST
def bill_activities_preview(request):
    form, tickets = _selection(request)
    if form is None:
        return redirect("tickets:ticket_list")
    ticket_ids = list(tickets.order_by("pk").values_list("pk", flat=True))
    if len(ticket_ids) > settings.BILLING_MAX_SELECTION:
        messages.error(
            request,
            _("%(count)s tickets selected: narrow the filters (at most %(max)s at a time).")
            % {"count": len(ticket_ids), "max": settings.BILLING_MAX_SELECTION},
        )
        return redirect("tickets:ticket_list")
    cutoff = form.cleaned_data["cutoff"]
    try:
        plans = activities.plan_billing(
            tickets=Ticket.objects.filter(pk__in=ticket_ids), cutoff=cutoff
        )
    except DomainError as error:
        _refuse(request, error)
        return redirect("tickets:ticket_list")
    billable = [plan for plan in plans if plan.lines]
    # The confirmation bills exactly the tickets previewed, even if "all filtered" would now
    # match others.
    hidden = [
        ("mode", "selected"),
        ("cutoff", cutoff.isoformat() if cutoff else ""),
        *(("tickets", pk) for pk in ticket_ids),
    ]
    context = {
        "form": form,
        "plans": plans[:PREVIEW_DETAIL_LIMIT],
        "more": max(0, len(plans) - PREVIEW_DETAIL_LIMIT),
        "ticket_count": len(plans),
        "order_count": len(billable),
        "line_count": sum(len(plan.lines) for plan in plans),
        "skipped_count": sum(len(plan.skipped) for plan in plans),
        "total": sum((plan.total for plan in billable), Decimal("0.00")),
        "background": len(plans) > settings.BILLING_BACKGROUND_THRESHOLD,
        "hidden": hidden,
    }
    return render(request, "crm_billing/billing_preview.html", context)


@function_required(MANAGE_TICKETS)
@require_POST
def bill_activities_confirm(request):
    form, tickets = _selection(request, BillingConfirmationForm)
    if form is None:
        return redirect("tickets:ticket_list")
    try:
        billing.configured_profile(case=BillingProfile.Case.ACTIVITY)
    except DomainError as error:
        _refuse(request, error)
        return redirect("tickets:ticket_list")
    run = runs.start_billing_run(
        tickets=tickets, actor=request.user, cutoff=form.cleaned_data["cutoff"]
    )
    return redirect(run)


@function_required(MANAGE_TICKETS)
@require_POST
def billing_run_resume(request, pk):
    run = get_object_or_404(BillingRun, pk=pk, actor=request.user)
    try:
        runs.resume_billing_run(run=run, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(run)


@function_required(MANAGE_TICKETS)
def billing_run_detail(request, pk):
    # Runs are personal: nobody reads another user's by changing the id.
    run = get_object_or_404(BillingRun, pk=pk, actor=request.user)
    template = "crm_billing/billing_run.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, {"run": run})
