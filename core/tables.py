"""The lists' tables: django-tables2 with the project's Bootstrap 5 template, and columns that
show dates and amounts the Italian way (dd/mm/yyyy, 1.234,56 €) while exports get the values
themselves (core.exports formats them). Numbers written into markup are never localised."""

import django_tables2 as tables
from django.core.paginator import Paginator
from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.templatetags.core_tags import euro


class Table(tables.Table):
    """A list's table. Sorting through `?sort=`, the page through `?page=`: both kept in the
    address with the filters (the query string holds the list's whole state)."""

    class Meta:
        template_name = "core/table.html"
        attrs = {"class": "table table-sm table-hover align-middle"}
        order_by_field = "sort"
        page_field = "page"
        empty_text = _("Nothing matches the filters.")

    def paginate(self, paginator_class=Paginator, per_page=None, page=1, *args, **kwargs):
        """As django-tables2's, but a page out of range or not a number shows the nearest page
        (as Django's get_page does) instead of a 404: the page number is typed by anyone."""
        self.paginator = paginator_class(self.rows, per_page or self._meta.per_page)
        self.page = self.paginator.get_page(page)
        return self

    def export_columns(self):
        """The columns an export writes: every column, hidden ones too, but those marked
        exclude_from_export (a checkbox, a button)."""
        return [
            column for column in self.columns.iterall() if not column.column.exclude_from_export
        ]


class DateColumn(tables.Column):
    """A date as dd/mm/yyyy (the language's short format); exports get the date."""

    def render(self, value):
        return date_format(value, "SHORT_DATE_FORMAT")

    def value(self, value):
        return value


class MoneyColumn(tables.Column):
    """An amount as 1.234,56 €, right-aligned; exports get the Decimal."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", {"td": {"class": "text-end"}, "th": {"class": "text-end"}})
        super().__init__(*args, **kwargs)

    def render(self, value):
        return euro(value)

    def value(self, value):
        return value


class NumberColumn(tables.Column):
    """A count or a quantity, right-aligned, grouped the language's way; exports get the number."""

    def __init__(self, *args, decimals=None, **kwargs):
        self.decimals = decimals
        kwargs.setdefault("attrs", {"td": {"class": "text-end"}, "th": {"class": "text-end"}})
        super().__init__(*args, **kwargs)

    def render(self, value):
        return number_format(value, self.decimals, use_l10n=True, force_grouping=True)

    def value(self, value):
        return value


class BooleanColumn(tables.Column):
    """Sì / No, in words (a screen reader reads them, a spreadsheet filters them)."""

    def render(self, value):
        return _("yes") if value else _("no")

    def value(self, value):
        return bool(value)


class SelectColumn(tables.Column):
    """The checkbox ticking a row for a bulk action; its header ticks every row of the page.
    Posts `name` = the record's id, never localised; `form`: the id of the bulk action's form,
    when the table cannot be inside it (rows with forms of their own)."""

    def __init__(self, name, *, header_label, row_label, form="", **kwargs):
        self.input_name = name
        self.header_label = header_label
        self.row_label = row_label
        self.form_attr = format_html(' form="{}"', form) if form else ""
        kwargs.update(accessor="pk", orderable=False, exclude_from_export=True, empty_values=())
        super().__init__(verbose_name="", **kwargs)

    @property
    def header(self):
        return format_html(
            '<input class="form-check-input" type="checkbox" id="select-all" '
            'data-select-all="{}" aria-label="{}"{}>',
            self.input_name,
            self.header_label,
            self.form_attr,
        )

    def render(self, value, record):
        return format_html(
            '<input class="form-check-input" type="checkbox" name="{}" value="{}" '
            'aria-label="{} {}"{}>',
            self.input_name,
            str(value),
            _("Select"),
            self.row_label(record),
            self.form_attr,
        )
