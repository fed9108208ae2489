"""The Back Office lists' filters."""

import django_filters
from django.utils.translation import gettext_lazy as _

from backoffice.forms import ERP_STATE_CHOICES, filter_by_erp_state
from backoffice.models import Customer, Order, OrderType
from core.filters import FilterSet, SearchFilter, date_filter


class OrderFilter(FilterSet):
    q = SearchFilter(
        fields=["number", "protocol", "customer__name", "customer__code"],
        help_text=_("Order no., internal protocol, customer"),
    )
    order_type = django_filters.ModelChoiceFilter(label=_("Type"), queryset=OrderType.objects.all())
    customer = django_filters.ModelChoiceFilter(
        label=_("Customer"), queryset=Customer.objects.only("pk", "name")
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Order.Status.choices)
    origin = django_filters.ChoiceFilter(label=_("Source"), choices=Order.Origin.choices)
    erp_state = django_filters.ChoiceFilter(
        label=_("ERP"), choices=ERP_STATE_CHOICES, method="filter_erp_state"
    )
    date_from = date_filter(_("From"), "date", "gte")
    date_to = date_filter(_("To"), "date", "lte")

    def filter_erp_state(self, orders, name, value):
        return filter_by_erp_state(orders, value) if value else orders
