""" "Fattura attività": preview the tickets ticked or filtered on the ticket list (the selection
is stored server-side as a previewed run), confirm that run, follow its progress, resume a run
whose worker died."""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.functions import function_required, require_function
from crm_billing.forms import BillingSelectionForm
from crm_billing.models import BillingRun
from crm_billing.services.activities import group_plans
from crm_billing.services.renewals import plan_previewed_renewals
from crm_billing.services.runs import (
    RunAlreadyConfirmed,
    confirm_billing_run,
    plan_previewed_run,
    preview_billing_run,
    resume_billing_run,
    run_function,
)
from crm_billing.views.messages import refuse
from tickets.permissions import MANAGE_TICKETS

PREVIEW_DETAIL_LIMIT = 100


@function_required(MANAGE_TICKETS)
@require_POST
def bill_activities_preview(request):
    form = BillingSelectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors_in_one_line())
        return redirect("tickets:ticket_list")
    try:
        run, _plans = preview_billing_run(
            tickets=form.tickets_queryset(),
            actor=request.user,
            cutoff=form.cleaned_data["cutoff"],
            grouping=form.cleaned_data["grouping"],
        )
    except DomainError as error:
        refuse(request, error)
        return redirect("tickets:ticket_list")
    # Post/redirect/get: the preview is the run's own page, so a reload posts nothing again.
    return redirect(run)


def _render_preview(request, run: BillingRun):
    plan = plan_previewed_run(run=run)
    plans = plan.tickets
    billable = [ticket_plan for ticket_plan in plans if ticket_plan.lines]
    # The orders as they will be made (one card each), then the tickets with nothing to bill.
    to_make = group_plans(billable, run.grouping)
    cards = to_make + [[p] for p in plans if not p.lines]
    context = {
        "run": run,
        "prepaid": plan.prepaid,
        "orders": [(group, sum((p.total for p in group), Decimal("0.00"))) for group in cards][
            :PREVIEW_DETAIL_LIMIT
        ],
        "more": max(0, len(cards) - PREVIEW_DETAIL_LIMIT),
        "ticket_count": len(plans),
        "order_count": len(to_make),
        "line_count": sum(len(ticket_plan.lines) for ticket_plan in plans),
        "skipped_count": sum(len(ticket_plan.skipped) for ticket_plan in plans),
        "without_duration_count": sum(len(p.without_duration) for p in plans),
        "total": sum((ticket_plan.total for ticket_plan in billable), Decimal("0.00")),
        "background": len(plans) > settings.BILLING_BACKGROUND_THRESHOLD,
    }
    return render(request, "crm_billing/billing_preview.html", context)


def _own_run(request, pk) -> BillingRun:
    """The run, if the user holds the function its kind needs (403 otherwise) and it is theirs:
    runs are personal, nobody reads another user's by changing the id (404)."""
    run = get_object_or_404(BillingRun, pk=pk)
    require_function(request.user, run_function(run))
    if run.actor_id != request.user.pk:
        raise Http404
    return run


@require_POST
def billing_run_confirm(request, pk):
    run = _own_run(request, pk)
    try:
        run = confirm_billing_run(run=run, actor=request.user)
    except RunAlreadyConfirmed as error:
        messages.warning(request, error.message)
    except DomainError as error:
        refuse(request, error)
    return redirect(run)


@require_POST
def billing_run_resume(request, pk):
    run = _own_run(request, pk)
    try:
        resume_billing_run(run=run, actor=request.user)
    except DomainError as error:
        messages.warning(request, error.message)
    return redirect(run)


def billing_run_detail(request, pk):
    run = _own_run(request, pk)
    if run.state == BillingRun.State.PREVIEWED and run.kind == BillingRun.Kind.RENEWALS:
        proposals = plan_previewed_renewals(run=run)
        renewable = [proposal for proposal in proposals if proposal.price is not None]
        context = {
            "run": run,
            "proposals": proposals,
            "renewable_count": len(renewable),
            "total": sum((p.price.amount for p in renewable), Decimal("0.00")),
            "background": len(renewable) > settings.BILLING_BACKGROUND_THRESHOLD,
        }
        return render(request, "crm_billing/renewal_run_preview.html", context)
    if run.state == BillingRun.State.PREVIEWED:
        return _render_preview(request, run)
    template = "crm_billing/billing_run.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, {"run": run})
