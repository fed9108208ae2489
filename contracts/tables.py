"""The contract and renewal lists' tables (and their exports)."""

import django_tables2 as tables
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from backoffice.models import Order
from contracts.models import Contract
from core.tables import BooleanColumn, DateColumn, MoneyColumn, Table

STATE_BADGES = {
    Contract.State.ACTIVE: "text-bg-success",
    Contract.State.EXPIRED: "text-bg-secondary",
    Contract.State.FUTURE: "text-bg-info",
}


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
    state = tables.Column(verbose_name=_("State"), orderable=False, empty_values=())
    tacit_renewal = BooleanColumn(verbose_name=_("Tacit renewal"), visible=False)
    cancelled_on = DateColumn(verbose_name=_("Cancellation date"), visible=False)
    customer_cost = MoneyColumn(
        verbose_name=_("Customer cost"), order_by=("customer_cost", "id"), default="—"
    )
    order = tables.Column(verbose_name=_("Order no."), order_by=("order__number", "id"))

    class Meta(Table.Meta):
        empty_text = _("No contract matches the filters.")

    def render_period(self, record):
        return (
            f"{date_format(record.start_date, 'SHORT_DATE_FORMAT')} – "
            f"{date_format(record.end_date, 'SHORT_DATE_FORMAT')}"
        )

    def value_period(self, record):
        return self.render_period(record)

    def render_state(self, record):
        state = record.state
        return format_html(
            '<span class="badge {}">{}</span>', STATE_BADGES.get(state, "text-bg-info"), state.label
        )

    def render_order(self, value):
        if value.status != Order.Status.CANCELLED:
            return value.number
        return format_html(
            '{} <span class="badge text-bg-dark">{}</span>',
            value.number,
            value.get_status_display(),
        )

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
