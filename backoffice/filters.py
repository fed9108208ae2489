"""The Back Office lists' filters."""

import django_filters
from django.utils.translation import gettext_lazy as _

from backoffice.forms import ERP_STATE_CHOICES, filter_by_erp_state
from backoffice.models import Customer, Order, OrderType
from core.filters import FilterSet, SearchableChoiceFilter, SearchFilter, date_filter


def customer_filter(**kwargs) -> SearchableChoiceFilter:
    """The customer of a list's rows: a dropdown of a few customers, the others found by name
    or code (a real office has thousands)."""
    return SearchableChoiceFilter(
        label=_("Customer"),
        queryset=Customer.objects.only("pk", "name"),
        search_fields=["name", "code"],
        search_label=_("Search a customer (name or code)"),
        **kwargs,
    )


class OrderFilter(FilterSet):
    q = SearchFilter(
        fields=["number", "protocol", "customer__name", "customer__code"],
        help_text=_("Order no., internal protocol, customer"),
    )
    order_type = django_filters.ModelChoiceFilter(label=_("Type"), queryset=OrderType.objects.all())
    customer = customer_filter()
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Order.Status.choices)
    origin = django_filters.ChoiceFilter(label=_("Source"), choices=Order.Origin.choices)
    erp_state = django_filters.ChoiceFilter(
        label=_("ERP"), choices=ERP_STATE_CHOICES, method="filter_erp_state"
    )
    date_from = date_filter(_("From"), "date", "gte")
    date_to = date_filter(_("To"), "date", "lte")

    def filter_erp_state(self, orders, name, value):
        return filter_by_erp_state(orders, value) if value else orders
