"""Template tags every app uses: money and numbers the Italian way, the tooltip of a disabled
button, page links that keep the filters, the history of changes of a record, and the options
of a dropdown."""

from datetime import timedelta
from decimal import Decimal

from django import template
from django.forms.utils import flatatt
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join

from core.functions import missing_function_message
from core.history import record_history

register = template.Library()


@register.filter
def euro(value):
    """1234.5 → "1.234,50 €" in Italian (Decimal throughout, no float)."""
    if value in (None, ""):
        return ""
    return f"{number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)} €"


@register.filter
def decimal2(value):
    if value in (None, ""):
        return ""
    return number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)


def _options(choices):
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (choice["value"], flatatt(choice["attrs"]) if choice["attrs"] else "", choice["label"])
            for choice in choices
        ),
    )


@register.simple_tag
def select_options(optgroups):
    """The <option>s of a select widget (templates/django/forms/widgets/select.html), written
    here rather than through a template per option: a dropdown of customers or products has
    hundreds, and the include costs more than the option."""
    # Django makes a group of each option that is not in an <optgroup>.
    if not any(name for name, _choices, _index in optgroups):
        return _options(choice for _name, choices, _index in optgroups for choice in choices)
    return format_html_join(
        "",
        "{}",
        (
            (
                format_html('<optgroup label="{}">{}</optgroup>', name, _options(choices))
                if name
                else _options(choices),
            )
            for name, choices, _index in optgroups
        ),
    )


@register.filter
def seconds(value):
    """A duration as seconds with one decimal ("2,5"), without going through float."""
    if not isinstance(value, timedelta):
        return ""
    total = Decimal(value.days * 86400 + value.seconds) + Decimal(value.microseconds) / 10**6
    return number_format(total, 1, use_l10n=True)


@register.simple_tag
def missing_function(perm):
    """The tooltip of a disabled button: which function the user lacks."""
    return missing_function_message(perm)


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """The current address with another page number: filters keep their state across pages."""
    query = context["request"].GET.copy()
    query["page"] = number
    query.pop("export", None)
    return f"?{query.urlencode()}"


@register.simple_tag(takes_context=True)
def sort_url(context, table, column):
    """The current address sorted by this column (the other way if it already is): the filters
    stay, the page goes back to the first."""
    query = context["request"].GET.copy()
    query[table.prefixed_order_by_field] = column.order_by_alias.next
    for name in (table.prefixed_page_field, "export"):
        query.pop(name, None)
    return f"{context['request'].path}?{query.urlencode()}"


@register.simple_tag(takes_context=True)
def export_url(context, file_format):
    """The current address (filters and sort) asking for every row as a file."""
    query = context["request"].GET.copy()
    query.pop("page", None)
    query["export"] = file_format
    return f"{context['request'].path}?{query.urlencode()}"


@register.inclusion_tag("partials/history.html")
def history(record):
    """The section listing the latest changes of a record: when, who, what, before, after."""
    return {"history": record_history(record)}
