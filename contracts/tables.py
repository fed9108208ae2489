"""The contract and renewal lists' tables (and their exports)."""

import django_tables2 as tables
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.tables import BooleanColumn, DateColumn, MoneyColumn, Table


def _order_number(order):
    return order.number if order else ""


class ContractTable(Table):
    number = tables.Column(verbose_name=_("Contract no."), linkify=True, order_by=("number",))
    customer_code = tables.Column(
        verbose_name=_("Customer code"), accessor="customer__code", visible=False
    )
    customer = tables.Column(
        verbose_name=_("Customer"), accessor="customer__name", order_by=("customer__name", "id")
    )
    product = tables.Column(
        verbose_name=_("Product/service"),
        accessor="product__description",
        order_by=("product__description", "id"),
    )
    period = tables.Column(
        verbose_name=_("Period"), accessor="start_date", order_by=("start_date", "id")
    )
    start_date = DateColumn(verbose_name=_("Start date"), visible=False)
    end_date = DateColumn(verbose_name=_("End date"), visible=False)
    current_end = DateColumn(verbose_name=_("Current end"), order_by=("current_end", "id"))
    state = tables.TemplateColumn(
        "{% with state=record.state %}<span class=\"badge {% if state == 'active' %}"
        "text-bg-success{% elif state == 'expired' %}text-bg-secondary{% else %}text-bg-info"
        '{% endif %}">{{ state.label }}</span>{% endwith %}',
        verbose_name=_("State"),
        orderable=False,
    )
    tacit_renewal = BooleanColumn(verbose_name=_("Tacit renewal"), visible=False)
    cancelled_on = DateColumn(verbose_name=_("Cancellation date"), visible=False)
    customer_cost = MoneyColumn(
        verbose_name=_("Customer cost"), order_by=("customer_cost", "id"), default="—"
    )
    order = tables.TemplateColumn(
        "{% if record.order %}{{ record.order.number }}{% if record.order.status == 'cancelled' %}"
        ' <span class="badge text-bg-dark">{{ record.order.get_status_display }}</span>'
        "{% endif %}{% else %}—{% endif %}",
        verbose_name=_("Order no."),
        order_by=("order__number", "id"),
    )

    class Meta(Table.Meta):
        empty_text = _("No contract matches the filters.")

    def render_period(self, record):
        return (
            f"{date_format(record.start_date, 'SHORT_DATE_FORMAT')} – "
            f"{date_format(record.end_date, 'SHORT_DATE_FORMAT')}"
        )

    def value_period(self, record):
        return self.render_period(record)

    def value_state(self, record):
        return record.state.label

    def value_order(self, record):
        return _order_number(record.order)


class RenewalTable(Table):
    contract = tables.Column(
        verbose_name=_("Contract no."),
        accessor="contract__number",
        linkify=lambda record: record.contract.get_absolute_url(),
        order_by=("contract__number", "start_date", "id"),
    )
    customer_code = tables.Column(
        verbose_name=_("Customer code"), accessor="contract__customer__code", visible=False
    )
    customer = tables.Column(
        verbose_name=_("Customer"),
        accessor="contract__customer__name",
        order_by=("contract__customer__name", "id"),
    )
    start_date = DateColumn(
        verbose_name=_("Start date"),
        linkify=lambda record: record.get_absolute_url(),
        order_by=("start_date", "id"),
    )
    end_date = DateColumn(verbose_name=_("End date"), order_by=("end_date", "id"))
    cost = MoneyColumn(verbose_name=_("Renewal cost"), order_by=("cost", "id"), default="—")
    protocol = tables.Column(
        verbose_name=_("Internal protocol"),
        accessor="order__protocol",
        order_by=("order__protocol", "id"),
        default="—",
    )
    order_number = tables.Column(
        verbose_name=_("Order no."), accessor="order__number", visible=False
    )

    class Meta(Table.Meta):
        empty_text = _("No renewal matches the filters.")
