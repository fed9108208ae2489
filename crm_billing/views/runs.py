""" "Fattura attività": preview the tickets ticked or filtered on the ticket list, confirm exactly
those, follow the run's progress, resume a run whose worker died."""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.functions import function_required
from crm_billing.forms import BillingConfirmationForm, BillingSelectionForm
from crm_billing.models import BillingProfile, BillingRun
from crm_billing.services.activities import plan_billing
from crm_billing.services.billing import configured_profile
from crm_billing.services.runs import resume_billing_run, start_billing_run
from crm_billing.views.messages import refuse
from tickets.models import Ticket
from tickets.permissions import MANAGE_TICKETS

PREVIEW_DETAIL_LIMIT = 100


def _selection(request, form_class):
    """The bound selection form, or None after telling the user what is wrong with it."""
    form = form_class(request.POST)
    if form.is_valid():
        return form
    messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
    return None


@function_required(MANAGE_TICKETS)
@require_POST
def bill_activities_preview(request):
    form = _selection(request, BillingSelectionForm)
    if form is None:
        return redirect("tickets:ticket_list")
    ticket_ids = list(form.tickets_queryset().order_by("pk").values_list("pk", flat=True))
    if len(ticket_ids) > settings.BILLING_MAX_SELECTION:
        messages.error(
            request,
            _("%(count)s tickets selected: narrow the filters (at most %(max)s at a time).")
            % {"count": len(ticket_ids), "max": settings.BILLING_MAX_SELECTION},
        )
        return redirect("tickets:ticket_list")
    cutoff = form.cleaned_data["cutoff"]
    try:
        plans = plan_billing(tickets=Ticket.objects.filter(pk__in=ticket_ids), cutoff=cutoff)
    except DomainError as error:
        refuse(request, error)
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
    form = _selection(request, BillingConfirmationForm)
    if form is None:
        return redirect("tickets:ticket_list")
    try:
        configured_profile(case=BillingProfile.Case.ACTIVITY)
    except DomainError as error:
        refuse(request, error)
        return redirect("tickets:ticket_list")
    run = start_billing_run(
        tickets=form.tickets_queryset(), actor=request.user, cutoff=form.cleaned_data["cutoff"]
    )
    return redirect(run)


@function_required(MANAGE_TICKETS)
@require_POST
def billing_run_resume(request, pk):
    run = get_object_or_404(BillingRun, pk=pk, actor=request.user)
    try:
        resume_billing_run(run=run, actor=request.user)
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
