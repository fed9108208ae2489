"""The Back Office lists' tables (and their exports)."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from backoffice.models import Transmission
from core.tables import DateColumn, MoneyColumn, Table


def _person(user):
    return (user.get_full_name() or user.username) if user else ""


class OrderTable(Table):
    number = tables.Column(verbose_name=_("Order no."), linkify=True, order_by=("number", "id"))
    protocol = tables.Column(verbose_name=_("Internal protocol"), order_by=("protocol", "id"))
    order_type = tables.Column(
        verbose_name=_("Type"), accessor="order_type__name", order_by=("order_type__name", "id")
    )
    date = DateColumn(verbose_name=_("Date"), order_by=("date", "id"))
    customer_code = tables.Column(
        verbose_name=_("Customer code"), accessor="customer__code", visible=False
    )
    customer = tables.Column(
        verbose_name=_("Customer"), accessor="customer__name", order_by=("customer__name", "id")
    )
    owner = tables.Column(
        verbose_name=_("Owner"),
        order_by=("owner__first_name", "owner__username", "id"),
    )
    origin = tables.Column(verbose_name=_("Source"), order_by=("origin", "id"))
    status = tables.TemplateColumn(
        '{% include "backoffice/partials/status_badge.html" with order=record %}',
        verbose_name=_("Status"),
        order_by=("status", "id"),
    )
    erp_state = tables.TemplateColumn(
        '{% if record.erp_state %}{% include "backoffice/partials/erp_badge.html" with '
        "state=record.erp_state %}{% endif %}{% if record.erp_reference %} "
        '<span class="small">{{ record.erp_reference }}</span>{% endif %}',
        verbose_name=_("ERP"),
        orderable=False,
    )
    erp_reference = tables.Column(verbose_name=_("ERP reference"), visible=False, empty_values=())
    total_net = MoneyColumn(verbose_name=_("Taxable amount"), visible=False)
    total_vat = MoneyColumn(verbose_name=_("VAT"), visible=False)
    total = MoneyColumn(verbose_name=_("Total"), order_by=("total", "id"))

    class Meta(Table.Meta):
        empty_text = _("No order/offer matches the filters.")

    def render_owner(self, value):
        return _person(value)

    def value_owner(self, value):
        return _person(value)

    def render_origin(self, record):
        return record.get_origin_display()

    def value_origin(self, record):
        return record.get_origin_display()

    def value_status(self, record):
        return record.get_status_display()

    def value_erp_state(self, record):
        try:
            return Transmission.State(record.erp_state).label if record.erp_state else ""
        except ValueError:
            return ""

    def value_erp_reference(self, record):
        return record.erp_reference or ""
