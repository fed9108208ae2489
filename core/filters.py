"""The lists' filters: django-filter FilterSets whose form is styled as every form here, the
one search box each list has, and the choice among the rows of a table that grows (customers,
users) whose dropdown lists a few of them and finds the others by a search."""

from functools import partial, reduce
from operator import and_, or_

import django_filters
from django import forms
from django.db.models import Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.forms import StyledForm, choices_of, few_and_selected
from core.input import record_id, search_text
from core.templatetags.core_tags import select_options

DATE = {"type": "date"}
SEARCH_MAX_LENGTH = 100
# A SearchableChoiceFilter's dropdown lists this many rows (the first in order, or the first
# matching its search), and the one chosen: its cost does not grow with the table.
CHOICES_SHOWN = 20


class FilterForm(StyledForm, forms.Form):
    pass


class FilterSet(django_filters.FilterSet):
    """Subclasses declare their filters; the form is styled (Bootstrap, Italian amounts), its
    dropdowns are core.filters.Select (rows read when rendered),
    and those of its SearchableChoiceFilters list the few rows they show."""

    class Meta:
        form = FilterForm

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            for name, field in form.fields.items():
                if isinstance(self.filters.get(name), SearchableChoiceFilter):
                    self.filters[name].show_choices(field, form.data, name=name)
                elif type(field.widget) is forms.Select:
                    field.widget = Select(attrs=field.widget.attrs, choices=field.widget.choices)
                    if isinstance(field, forms.ModelChoiceField):
                        field.widget.shown = partial(model_choices, field)
        return self._form

    def searchable(self, name) -> bool:
        return isinstance(self.filters.get(name), SearchableChoiceFilter)


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
        return matching_words(qs, value, self.word_matches)


def matching_words(queryset, text, word_matches):
    """The rows where every word of `text` matches (`word_matches(word)` → Q)."""
    words = (text or "").split()
    if not words:
        return queryset
    return queryset.filter(reduce(and_, (word_matches(word) for word in words)))


class Select(forms.Select):
    """A filter's dropdown: `shown`, when set, gives its (value, label) options, read only when
    it is rendered (the htmx results and the exports do not show it). Its options are written
    by the project's select template in one go (core_tags.select_options)."""

    shown = None  # () → the (value, label) listed

    def _list_shown(self):
        if self.shown is not None:
            self.choices = list(self.shown())

    def get_context(self, name, value, attrs):
        self._list_shown()
        return super().get_context(name, value, attrs)

    def options(self, name, value) -> str:
        """The <option>s alone, for the htmx search of a SearchSelect (core.lists.list_page)."""
        self._list_shown()
        return select_options(self.optgroups(name, self.format_value(value)))


class SearchSelect(Select):
    """A dropdown with its search box before it (`<name>_q`). As the user types, htmx fetches
    the matching options from the list page itself (`?options=<name>`, core.lists.list_page);
    without JavaScript the search is sent with the filters and the page lists the matches."""

    search = ""

    def __init__(self, *, search_label, attrs=None):
        self.search_label = search_label
        super().__init__(attrs)

    def render(self, name, value, attrs=None, renderer=None):
        select_id = (attrs or {}).get("id", f"id_{name}")
        search = format_html(
            '<input type="search" name="{}_q" value="{}" id="{}_q" class="{}" maxlength="60" '
            "data-choices-search "
            'aria-label="{}" placeholder="{}" hx-get="?options={}" hx-include="#{}" '
            'hx-target="#{}" hx-swap="innerHTML" hx-push-url="false" '
            'hx-trigger="input changed delay:300ms, search">',
            name,
            self.search,
            select_id,
            self.attrs.get("class", "").replace("form-select", "form-control"),
            self.search_label,
            self.search_label,
            name,
            select_id,
            select_id,
        )
        select = super().render(name, value, attrs, renderer)
        return format_html('<div class="input-group flex-nowrap">{}{}</div>', search, select)


def model_choices(field) -> list:
    """A ModelChoiceField's choices read by one plain query (its own iterator opens a
    server-side cursor on PostgreSQL: three round trips)."""
    return choices_of(field, field.queryset)


class SearchableChoiceFilter(django_filters.ModelChoiceFilter):
    """A choice among the rows of a table that grows (customers, users). Its dropdown lists
    CHOICES_SHOWN rows, the first in the queryset's order or the first matching the words typed
    in its search box (any of `search_fields`), and the one chosen; what is sent is validated
    against the whole queryset, so a link with `?customer=<id>` works for any customer."""

    def __init__(self, *, search_fields, search_label, **kwargs):
        self.search_fields = search_fields
        kwargs.setdefault("widget", SearchSelect(search_label=search_label))
        super().__init__(**kwargs)

    def word_matches(self, word) -> Q:
        return reduce(or_, (Q(**{f"{field}__icontains": word}) for field in self.search_fields))

    def show_choices(self, field, data, *, name):
        """Give the dropdown its search text and the rows it lists, read when it is rendered
        (not for the htmx results or an export, which do not show it)."""
        search, selected = search_text(data.get(f"{name}_q")), record_id(data.get(name))
        field.widget.search = search
        field.widget.shown = lambda: self.choices_shown(field, search, selected)

    def choices_shown(self, field, search, selected) -> list:
        """Two queries at most, whatever the size of the table."""
        matching = matching_words(field.queryset, search, self.word_matches)
        rows = few_and_selected(field, matching, shown=CHOICES_SHOWN, selected=selected)
        return choices_of(field, rows)


class IntegerFilter(django_filters.Filter):
    """A whole number (days, a quantity): min_value / max_value go to its field."""

    field_class = forms.IntegerField
