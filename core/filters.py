"""The lists' filters: django-filter FilterSets whose form is styled as every form here, and
the one search box each list has."""

from functools import reduce
from operator import and_, or_

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.forms import StyledForm

DATE = {"type": "date"}
SEARCH_MAX_LENGTH = 100


class FilterForm(StyledForm, forms.Form):
    pass


class FilterSet(django_filters.FilterSet):
    """Subclasses declare their filters; the form is styled (Bootstrap, Italian amounts)."""

    class Meta:
        form = FilterForm


def date_filter(label, field_name, lookup_expr):
    return django_filters.DateFilter(
        label=label,
        field_name=field_name,
        lookup_expr=lookup_expr,
        widget=forms.DateInput(DATE, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )


class SearchFilter(django_filters.CharFilter):
    """The list's search box `q`: every word typed must be in one of `fields` (icontains), so
    "rossi caldaia" finds the boiler tickets of Rossi. `exact` maps a word to extra Q objects
    (a ticket code typed as SEG-012345, a number)."""

    def __init__(self, *, fields, exact=None, help_text="", **kwargs):
        self.search_fields = fields
        self.exact = exact
        kwargs.setdefault("label", _("Search"))
        kwargs.setdefault("max_length", SEARCH_MAX_LENGTH)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"type": "search", "placeholder": help_text})
        )
        super().__init__(**kwargs)

    def word_matches(self, word) -> Q:
        matches = [Q(**{f"{field}__icontains": word}) for field in self.search_fields]
        if self.exact is not None:
            matches += self.exact(word)
        return reduce(or_, matches)

    def filter(self, qs, value):
        words = (value or "").split()
        if not words:
            return qs
        return qs.filter(reduce(and_, (self.word_matches(word) for word in words)))


class IntegerFilter(django_filters.Filter):
    """A whole number (days, a quantity): min_value / max_value go to its field."""

    field_class = forms.IntegerField
