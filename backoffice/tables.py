"""The Back Office lists' tables (and their exports)."""

from functools import cache

import django_filters
import django_tables2 as tables
from django.db import models
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from backoffice.models import Transmission
from backoffice.templatetags.backoffice_tags import erp_badge, status_badge
from core.filters import FilterSet, SearchFilter
from core.tables import BooleanColumn, DateColumn, MoneyColumn, NumberColumn, Table


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
    status = tables.Column(verbose_name=_("Status"), order_by=("status", "id"))
    erp_state = tables.Column(verbose_name=_("ERP"), orderable=False, empty_values=())
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

    def render_status(self, record):
        return status_badge(record)

    def render_erp_state(self, record):
        badge = erp_badge(record.erp_state) if record.erp_state else ""
        if not record.erp_reference:
            return badge
        return format_html('{} <span class="small">{}</span>', badge, record.erp_reference)

    def value_status(self, record):
        return record.get_status_display()

    def value_erp_state(self, record):
        try:
            return Transmission.State(record.erp_state).label if record.erp_state else ""
        except ValueError:
            return ""

    def value_erp_reference(self, record):
        return record.erp_reference or ""


class DeleteColumn(tables.Column):
    """The Delete button of a master-data record."""

    def __init__(self, slug):
        self.slug = slug
        super().__init__(
            verbose_name="",
            orderable=False,
            exclude_from_export=True,
            empty_values=(),
            attrs={"td": {"class": "text-end"}},
        )

    def render(self, record):
        return format_html(
            '<a href="{}" class="btn btn-sm btn-outline-danger">{}</a>',
            reverse("backoffice:masterdata_delete", args=[self.slug, record.pk]),
            _("Delete"),
        )


@cache
def master_data_table(kind) -> type[Table]:
    """The table of a kind of master data: its columns, the first linking to the record's
    page, booleans in words, dates and numbers the Italian way; a Delete button if deletable."""
    model = kind.model
    attrs = {}
    for position, name in enumerate(kind.columns):
        field = model._meta.get_field(name)
        options = {"verbose_name": capfirst(field.verbose_name), "order_by": (name, "pk")}
        if position == 0:
            options["linkify"] = lambda record, slug=kind.slug: reverse(
                "backoffice:masterdata_update", args=[slug, record.pk]
            )
        if isinstance(field, models.BooleanField):
            column = BooleanColumn(**options)
        elif isinstance(field, models.DecimalField):
            column = NumberColumn(decimals=field.decimal_places, **options)
        elif isinstance(field, models.DateField):
            column = DateColumn(**options)
        else:
            column = tables.Column(default="—", **options)
        attrs[name] = column
    if kind.deletable:
        attrs["delete"] = DeleteColumn(kind.slug)
    attrs["Meta"] = type("Meta", (Table.Meta,), {"empty_text": _("Nothing found.")})
    return type(f"{model.__name__}Table", (Table,), attrs)


@cache
def master_data_filter(kind) -> type[FilterSet]:
    """The search box of a kind (its search fields), and "active" for the kinds that have it."""
    attrs = {"q": SearchFilter(fields=kind.search_fields)}
    if any(field.name == "active" for field in kind.model._meta.fields):
        attrs["active"] = django_filters.ChoiceFilter(
            label=_("Active"), choices=[("1", _("yes")), ("0", _("no"))], method="filter_active"
        )
        attrs["filter_active"] = lambda self, queryset, name, value: queryset.filter(
            active=value == "1"
        )
    return type(f"{kind.model.__name__}Filter", (FilterSet,), attrs)
