"""The ticket list's table (and its exports)."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from core.tables import DateColumn, MoneyColumn, NumberColumn, SelectColumn, Table
from core.templatetags.core_tags import euro


class TicketTable(Table):
    select = SelectColumn(
        "tickets",
        header_label=_("Select every ticket of this page"),
        row_label=lambda ticket: ticket.code,
    )
    code = tables.Column(verbose_name=_("Ticket"), accessor="pk", linkify=True, order_by=("id",))
    subject = tables.Column(verbose_name=_("Subject"), order_by=("subject", "id"))
    customer_code = tables.Column(
        verbose_name=_("Customer code"), accessor="customer__code", visible=False
    )
    customer = tables.Column(
        verbose_name=_("Customer"), accessor="customer__name", order_by=("customer__name", "id")
    )
    contract = tables.Column(verbose_name=_("Contract"), accessor="contract__number", visible=False)
    opened_on = DateColumn(verbose_name=_("Opened on"), order_by=("opened_on", "id"))
    closed_on = DateColumn(verbose_name=_("Closed on"), order_by=("closed_on", "id"))
    technician = tables.Column(
        verbose_name=_("Technician"),
        accessor="technician",
        order_by=("technician__first_name", "technician__username", "id"),
    )
    billable_count = NumberColumn(
        verbose_name=_("Billable activities"), orderable=False, empty_values=()
    )
    billable_value = MoneyColumn(
        verbose_name=_("Estimated value"),
        orderable=False,
        empty_values=(),
        attrs={
            "td": {"class": "text-end"},
            "th": {
                "class": "text-end",
                "title": _(
                    "Estimated value of the billable activities: hours × unit price (contract "
                    "rate, customer price list, or list price less the customer's discount), "
                    "before rounding, prepaid hours, call-out, travel and materials."
                ),
            },
        },
    )

    class Meta(Table.Meta):
        empty_text = _("No ticket matches the filters.")

    def render_code(self, record):
        return record.code

    def value_code(self, record):
        return record.code

    def render_technician(self, value):
        return value.get_full_name() or value.username

    def value_technician(self, value):
        return value.get_full_name() or value.username

    def render_billable_count(self, value):
        return value or "—"

    def render_billable_value(self, record, value):
        return euro(value) if record.billable_count else "—"

    # Exports get the numbers themselves (a table's render_* would be used otherwise).
    def value_billable_count(self, value):
        return value

    def value_billable_value(self, value):
        return value
