from decimal import Decimal

from django import template
from django.utils.formats import number_format

from backoffice.permissions import missing_function_message

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


@register.simple_tag
def missing_function(perm):
    """The tooltip of a disabled button: which function the user lacks."""
    return missing_function_message(perm)


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """The current address with another page number: filters keep their state across pages."""
    query = context["request"].GET.copy()
    query["page"] = number
    return f"?{query.urlencode()}"
