"""The contract and renewal lists' filters."""

from datetime import timedelta

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.filters import customer_filter
from contracts.models import Contract
from core.filters import FilterSet, IntegerFilter, SearchFilter, date_filter


class ContractFilter(FilterSet):
    q = SearchFilter(
        fields=["number", "description", "customer__name", "customer__code", "order__number"],
        help_text=_("Contract no., description, customer, order no."),
    )
    customer = customer_filter()
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=Contract.State.choices, method="filter_state"
    )
    expiring_within = IntegerFilter(
        label=_("Expiring within (days)"),
        min_value=0,
        max_value=3650,
        method="filter_expiring_within",
    )

    def filter_state(self, contracts, name, value):
        today = timezone.localdate()
        if value == Contract.State.FUTURE:
            return contracts.filter(start_date__gt=today)
        if value == Contract.State.ACTIVE:
            return contracts.filter(start_date__lte=today, current_end__gte=today)
        if value == Contract.State.EXPIRED:
            return contracts.filter(current_end__lt=today)
        return contracts

    def filter_expiring_within(self, contracts, name, value):
        if value is None:
            return contracts
        today = timezone.localdate()
        return contracts.filter(
            current_end__gte=today, current_end__lte=today + timedelta(days=value)
        )


class RenewalFilter(FilterSet):
    ORDER_CHOICES = [("with", _("with an order")), ("without", _("without an order"))]

    q = SearchFilter(
        fields=[
            "contract__number",
            "contract__customer__name",
            "contract__customer__code",
            "order__protocol",
            "order__number",
        ],
        help_text=_("Contract no., customer, internal protocol"),
    )
    customer = customer_filter(field_name="contract__customer")
    start_from = date_filter(_("Starting from"), "start_date", "gte")
    start_to = date_filter(_("Starting by"), "start_date", "lte")
    order = django_filters.ChoiceFilter(
        label=_("Order"), choices=ORDER_CHOICES, method="filter_order"
    )

    def filter_order(self, renewals, name, value):
        if value == "with":
            return renewals.filter(order__isnull=False)
        if value == "without":
            return renewals.filter(order__isnull=True)
        return renewals
