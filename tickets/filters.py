"""The ticket list's filters. "Fattura attività" on all filtered tickets re-applies them
(crm_billing.forms.BillingSelectionForm)."""

import re

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backoffice.filters import customer_filter
from core.filters import FilterSet, SearchableChoiceFilter, SearchFilter, date_filter

TICKET_CODE = re.compile(r"^(?:SEG-?)?0*(\d{1,12})$", re.IGNORECASE)


def _ticket_code(word) -> list[Q]:
    """SEG-012345, seg12345 or 12345: the ticket of that number."""
    match = TICKET_CODE.match(word)
    return [Q(pk=int(match.group(1)))] if match else []


def _technicians():
    return get_user_model().objects.filter(is_active=True).order_by("first_name", "username")


class TicketFilter(FilterSet):
    STATE_CHOICES = [("open", _("open")), ("closed", _("closed"))]

    q = SearchFilter(
        fields=["subject", "customer__name", "customer__code", "contract__number"],
        exact=_ticket_code,
        help_text=_("Ticket no., subject, customer, contract"),
    )
    customer = customer_filter()
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=STATE_CHOICES, method="filter_state"
    )
    opened_from = date_filter(_("Opened from"), "opened_on", "gte")
    opened_to = date_filter(_("Opened to"), "opened_on", "lte")
    technician = SearchableChoiceFilter(
        label=_("Technician"),
        queryset=_technicians(),
        search_fields=["username", "first_name", "last_name"],
        search_label=_("Search a technician"),
    )
    to_bill = django_filters.BooleanFilter(
        label=_("With activities to be billed"),
        widget=forms.CheckboxInput,
        method="filter_to_bill",
    )

    def filter_state(self, tickets, name, value):
        if value == "open":
            return tickets.filter(closed_on__isnull=True)
        if value == "closed":
            return tickets.filter(closed_on__isnull=False)
        return tickets

    def filter_to_bill(self, tickets, name, value):
        return tickets.with_billable_activities() if value else tickets
