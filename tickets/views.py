from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.billed import live_order_billing
from contracts.models import PrepaidHours
from core.actors import Actor
from core.exceptions import DomainError
from core.functions import function_required
from core.input import record_id
from core.lists import list_page
from tickets import services
from tickets.filters import TicketFilter
from tickets.forms import (
    ActivityForm,
    MaterialFormSet,
    TicketForm,
    contracts_of,
)
from tickets.models import Activity, ActivityMaterial, Ticket
from tickets.permissions import MANAGE_TICKETS
from tickets.tables import TicketTable


@function_required(MANAGE_TICKETS)
def ticket_list(request):
    tickets = Ticket.objects.for_list().with_billable_summary()
    return list_page(
        request,
        filterset=TicketFilter(request.GET or None, queryset=tickets),
        table_class=TicketTable,
        template="tickets/ticket_list.html",
        export_name="segnalazioni",
    )


# The Intervento tab lists a ticket's activities this many at a time.
ACTIVITIES_PER_PAGE = 50


def ticket_activities(ticket, page=None):
    """One page of the Intervento tab: each activity with its billing state and, if any, why it
    is not billable. Three queries (the count, the page, their materials), whatever the number
    of activities."""
    activities = (
        ticket.activities.with_billing_state()
        .with_released_order()
        .select_related("status", "condition", "technician", "activity_type")
        .order_by("date", "id")  # the model's ordering starts with the ticket's: a join
        .prefetch_related(
            # By id alone: the model's ordering ("activity", "id") would join the activities and
            # their ticket again only to sort by the ticket's own ordering.
            Prefetch(
                "materials",
                queryset=ActivityMaterial.objects.select_related("product").order_by("id"),
            )
        )
    )
    shown = Paginator(activities, ACTIVITIES_PER_PAGE).get_page(page)
    for activity in shown:
        activity.reason = activity.not_billable_reason()
    return shown


def _ticket_page(request, ticket, form, tab="intervento", status=200):
    context = {"ticket": ticket, "form": form, "tab": tab}
    if tab == "intervento":  # the Dati tab shows the form alone
        context["activities"] = ticket_activities(ticket, request.GET.get("page"))
        context["packages"] = current_packages(ticket)
    return render(request, "tickets/ticket_detail.html", context, status=status)


def current_packages(ticket) -> list[PrepaidHours]:
    """The prepaid hours of the ticket's contract valid today, with their usage."""
    if not ticket.contract_id:
        return []
    return list(
        PrepaidHours.objects.filter(contract_id=ticket.contract_id)
        .valid_on(timezone.localdate())
        .with_usage()
    )


@function_required(MANAGE_TICKETS)
def customer_contracts_options(request):
    """The <option>s of the ticket form's contract for the customer chosen (htmx)."""
    field = TicketForm().fields["contract"]
    field.queryset = contracts_of(record_id(request.GET.get("customer")))
    return render(request, "contracts/partials/order_options.html", {"field": field})


@function_required(MANAGE_TICKETS)
def ticket_create(request):
    form = TicketForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            ticket = services.save_ticket(ticket=form.instance, actor=request.user)
            messages.success(request, _("Ticket %(code)s saved.") % {"code": ticket.code})
            return redirect(ticket)
        return render(request, "tickets/ticket_form.html", {"form": form}, status=422)
    return render(request, "tickets/ticket_form.html", {"form": form})


def _ticket_saved(form, actor: Actor) -> bool:
    """Validate and save a TicketForm; what the service refuses becomes a field error."""
    if not form.is_valid():
        return False
    try:
        services.save_ticket(ticket=form.instance, actor=actor)
    except DomainError as error:
        form.add_error("customer", error.message)
        return False
    return True


@function_required(MANAGE_TICKETS)
def ticket_detail(request, pk):
    ticket = get_object_or_404(
        Ticket.objects.select_related("customer", "technician", "contract").with_billable_count(),
        pk=pk,
    )
    tab = "dati" if request.GET.get("tab") == "dati" else "intervento"
    if request.method == "POST":
        form = TicketForm(request.POST, instance=ticket)
        if _ticket_saved(form, request.user):
            messages.success(request, _("Ticket %(code)s saved.") % {"code": ticket.code})
            return redirect(f"{ticket.get_absolute_url()}?tab=dati")
        return _ticket_page(request, ticket, form, tab="dati", status=422)
    # The Intervento tab does not show the ticket's form: it is not even built (building it
    # asks the database whether the ticket is billed).
    form = TicketForm(instance=ticket) if tab == "dati" else None
    return _ticket_page(request, ticket, form, tab=tab)


def _billed_on(activity) -> str | None:
    """The Num. Ordine of the live order the activity is on, if any."""
    order = live_order_billing(activity) if activity.pk else None
    return order.number if order else None


def _material_changes(formset) -> services.MaterialChanges:
    materials = formset.save(commit=False)  # the rows changed or added, not yet written
    return services.MaterialChanges(saved=materials, deleted=formset.deleted_objects)


def _activity_page(request, ticket, activity):
    billed_on = _billed_on(activity)
    data = request.POST or None
    form = ActivityForm(data, instance=activity, billed_on=billed_on)
    # A billed activity's materials are shown, not edited: they are on its order.
    materials = None if billed_on else MaterialFormSet(data, instance=activity, prefix="materials")
    if request.method == "POST" and form.is_valid() and (materials is None or materials.is_valid()):
        try:
            services.save_activity(
                activity=form.instance,
                actor=request.user,
                materials=_material_changes(materials) if materials is not None else None,
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Activity saved."))
            return redirect(ticket)
    status = 422 if request.method == "POST" else 200
    context = {
        "ticket": ticket,
        "form": form,
        "materials": materials,
        "billed_materials": activity.materials.select_related("product") if billed_on else [],
        "activity": activity,
        "billed_on": billed_on,
    }
    return render(request, "tickets/activity_form.html", context, status=status)


@function_required(MANAGE_TICKETS)
def activity_create(request, ticket_pk):
    ticket = get_object_or_404(Ticket.objects.select_related("customer"), pk=ticket_pk)
    return _activity_page(request, ticket, Activity(ticket=ticket, technician=request.user))


@function_required(MANAGE_TICKETS)
def activity_update(request, pk):
    activity = get_object_or_404(Activity.objects.select_related("ticket__customer"), pk=pk)
    return _activity_page(request, activity.ticket, activity)


@function_required(MANAGE_TICKETS)
def activity_delete(request, pk):
    activity = get_object_or_404(Activity.objects.select_related("ticket"), pk=pk)
    if request.method == "POST":
        try:
            services.delete_activity(activity=activity, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Activity deleted."))
        return redirect(activity.ticket)
    return render(
        request,
        "tickets/activity_delete.html",
        {"activity": activity, "billed_on": _billed_on(activity)},
    )
