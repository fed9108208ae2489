""" "Da fatturare": the dashboard of what is left to bill, and the button of each of its cells,
which previews the billing of exactly that slice (then confirmed as any "Fattura attività")."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.functions import function_required
from crm_billing import dashboard
from crm_billing.forms import DashboardSliceForm
from crm_billing.services.runs import preview_billing_run
from crm_billing.views.messages import refuse
from tickets.permissions import MANAGE_TICKETS


@function_required(MANAGE_TICKETS)
def billing_dashboard(request):
    today = timezone.localdate()
    board = dashboard.to_be_billed(today=today, limit=dashboard.TABLE_ROWS)
    context = {
        "board": board,
        "ages": dashboard.AGES,
        "bars": dashboard.chart(board),
        "chart": {
            "width": dashboard.CHART_WIDTH,
            "height": dashboard.CHART_HEIGHT,
            "bottom": dashboard.CHART_BOTTOM,
        },
        "today": today,
        "rows_shown": dashboard.TABLE_ROWS,
    }
    return render(request, "crm_billing/billing_dashboard.html", context)


@function_required(MANAGE_TICKETS)
@require_POST
def dashboard_slice_preview(request):
    """A cell's button: the activities of that slice as they are now, stored as a previewed run
    (only them, not the other activities of their tickets)."""
    form = DashboardSliceForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors_in_one_line())
        return redirect("billing:billing_dashboard")
    activities = dashboard.slice_activities(today=timezone.localdate(), **form.slice())
    if not activities.exists():
        messages.warning(
            request, _("Nothing is left to bill in this slice: it was billed meanwhile.")
        )
        return redirect("billing:billing_dashboard")
    try:
        run, _plan = preview_billing_run(activities=activities, actor=request.user)
    except DomainError as error:
        refuse(request, error)
        return redirect("billing:billing_dashboard")
    return redirect(run)
