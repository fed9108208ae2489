"""The lists' tables: django-tables2 with the project's Bootstrap 5 template, and columns that
show dates and amounts the Italian way (dd/mm/yyyy, 1.234,56 €) while exports get the values
themselves (core.exports formats them). Numbers written into markup are never localised.

django-tables2 defines the columns, their headers, the sort and the pages. The cells, of the
page and of the exports alike, are read by `CellReader`: what django-tables2 works out again for
every cell (which arguments the render method takes, whether the field has choices, the td's
attributes, the link's) is worked out once per column, so a cell costs its value and its render
method only."""

from functools import cache

import django_tables2 as tables
from django.core.paginator import Paginator
from django.db import models
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.formats import date_format, number_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_tables2.rows import BoundRow
from django_tables2.utils import AttributeDict, signature

from core.templatetags.core_tags import euro

# What a render_<name> / value_<name> / Column.render method may ask for (django-tables2's names).
CELL_ARGUMENTS = ("value", "record", "column", "bound_column", "table", "bound_row")
CELL_CONTEXT = Context(autoescape=True)


@cache
def _arguments(function) -> tuple[tuple[str, ...], bool]:
    """The names of the arguments `function` takes and whether it takes **kwargs, read once per
    function (inspect.signature per cell was most of a list page's time)."""
    args, kwargs_name = signature(function)
    return args, kwargs_name is not None


def _caller(method, bound_column, table):
    """`method` as a function of (value, record, row) that passes the arguments it declares, as
    django-tables2's call_with_appropriate does (and None when it asks for an unknown one)."""
    function = getattr(method, "__func__", method)
    args, takes_any = _arguments(function)
    if function is not method:  # a bound method: its self is not asked for
        args = args[1:]
    if takes_any:
        args = CELL_ARGUMENTS
    elif not set(args) <= set(CELL_ARGUMENTS):
        return lambda value, record, row: None
    fixed = {"column": bound_column.column, "bound_column": bound_column, "table": table}
    fixed = {name: fixed[name] for name in args if name in fixed}
    wants_value, wants_record, wants_row = ("value" in args, "record" in args, "bound_row" in args)

    def call(value, record, row):
        kwargs = dict(fixed)
        if wants_value:
            kwargs["value"] = value
        if wants_record:
            kwargs["record"] = record
        if wants_row:
            kwargs["bound_row"] = row if row is not None else BoundRow(record, table=table)
        return method(**kwargs)

    return call


def _resolve(record, bits):
    """django-tables2's Accessor.resolve for the lists' records (model instances, dicts): an
    attribute (a key of a dict) per bit, callables called unless they alter data, None stops;
    a failed lookup is None (the column's default), as django-tables2 has it."""
    current = record
    try:
        for bit in bits:
            current = current[bit] if isinstance(current, dict) else getattr(current, bit)
            if callable(current):
                if getattr(current, "alters_data", False):
                    return None
                if not getattr(current, "do_not_call_in_templates", False):
                    current = current()
            if current is None:
                return None
    except Exception:
        return None
    return current


class CellReader:
    """How the cells of one column are read: for the page (rendered: render_<name> or the
    column's render, the default for empty values, the link, inside its <td>) or for an export
    (the value: value_<name>, render_<name> or the column's value; None when empty). Everything
    that does not depend on the row is decided here, once per table."""

    def __init__(self, table, bound_column, *, export: bool):
        column = bound_column.column
        self.bound_column, self.table = bound_column, table
        accessor = bound_column.accessor
        self.bits = tuple(accessor.bits)
        self.empty_values = column.empty_values
        self.default = None if export else bound_column.default
        # A field with choices shows its label (get_FOO_display), as in django-tables2.
        field = accessor.get_field(getattr(table.data, "model", None))
        self.display = f"get_{self.bits[-1]}_display" if getattr(field, "choices", None) else None
        method = bound_column.value if export else bound_column.render
        if getattr(method, "__func__", None) is tables.Column.value:
            method = column.render  # Column.value is the column's render
        self.call = _caller(method, bound_column, table)
        self.link = self.td = None
        if not export:
            self._prepare_html(bound_column)

    def _prepare_html(self, bound_column):
        link = bound_column.link
        if link is not None:
            a_attrs = link.attrs or {}
            if callable(link.url):
                url = _caller(link.url, bound_column, self.table)
            else:
                url = lambda value, record, row: link.compose_url(  # noqa: E731
                    record=record, bound_column=bound_column
                )
            self.link = (url, a_attrs, any(callable(v) for v in a_attrs.values()))
        attrs = {**self.table.attrs, **bound_column.column.attrs}
        td = attrs.get("td", attrs.get("cell", {}))
        if not any(callable(v) for v in td.values()):
            self.td = format_html("<td {}>", bound_column.attrs["td"].as_html())

    def value(self, record):
        if self.display:
            owner = _resolve(record, self.bits[:-1])
            if isinstance(owner, models.Model):
                label = getattr(owner, self.display, None)
                if label is not None:
                    return label()
        return _resolve(record, self.bits)

    def export_value(self, record):
        value = self.value(record)
        if value in self.empty_values:
            return None
        return self.call(value, record, None)

    def html(self, record, row) -> str:
        """The cell's <td>, its content escaped and localised as {{ cell }} in a template is."""
        value = self.value(record)
        if value in self.empty_values:
            content = self.default
        else:
            content = self.call(value, record, row)
            if self.link is not None:
                content = self._linked(content, value, record, row)
        td = self.td
        if td is None:  # attributes computed from the cell (django-tables2's current_*)
            self.bound_column.current_value, self.bound_column.current_record = content, record
            td = format_html("<td {}>", self.bound_column.attrs["td"].as_html())
        if isinstance(content, str):  # most cells: nothing to localise
            return f"{td}{conditional_escape(content)}</td>"
        return f"{td}{render_value_in_context(content, CELL_CONTEXT)}</td>"

    def _linked(self, content, value, record, row):
        url, a_attrs, computed = self.link
        if computed:  # attributes computed from the cell: django-tables2's own link
            column = self.bound_column
            return column.link(
                content,
                value=value,
                record=record,
                column=column.column,
                bound_column=column,
                bound_row=row,
                table=self.table,
            )
        href = url(value, record, row)
        if href is None:
            return content
        return format_html(
            "<a {}>{}</a>", AttributeDict({**a_attrs, "href": href}).as_html(), content
        )


class SharedColumns(dict):
    """A table class's columns, shared by its tables. django-tables2 deep-copies them for each
    table (hundreds of objects per page) in case a table changes one of its columns; none here
    does (no columns.hide/show, no extra_columns)."""

    def __deepcopy__(self, memo):
        return dict(self)


class Table(tables.Table):
    """A list's table. Sorting through `?sort=`, the page through `?page=`: both kept in the
    address with the filters (the query string holds the list's whole state)."""

    class Meta:
        template_name = "core/table.html"
        attrs = {"class": "table table-sm table-hover align-middle"}
        order_by_field = "sort"
        page_field = "page"
        empty_text = _("Nothing matches the filters.")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.base_columns = SharedColumns(cls.base_columns)

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

    def html_rows(self) -> list[str]:
        """The <tr>s of the page's rows (every row if not paginated), cells ready."""
        readers = [CellReader(self, column, export=False) for column in self.columns]
        return [
            mark_safe(  # noqa: S308 (every cell is escaped by CellReader.html)
                f"<tr {row.attrs.as_html()}>"
                + "".join(reader.html(row.record, row) for reader in readers)
                + "</tr>"
            )
            for row in self.paginated_rows
        ]

    def export_readers(self) -> list[CellReader]:
        return [CellReader(self, column, export=True) for column in self.export_columns()]


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
