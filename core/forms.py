"""Form styling shared by every app (Bootstrap classes, Italian amounts, one field markup), and
the login form."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _

from core.input import italian_number

AMBIGUOUS_NUMBER = _(
    "Unclear number: use the comma for decimals (0,125) and the point only to group thousands "
    "(1.234,56)."
)


def show_amounts_the_italian_way(form: forms.BaseForm) -> None:
    """Amounts are shown as 1.234,56. What the user types is read by StyledForm's one rule
    (core.input.italian_number), not by Django's localized parsing, which drops every "."."""
    for field in form.fields.values():
        if isinstance(field, forms.DecimalField):
            field.localize = False
            field.widget.is_localized = True
            # A number input would reject the comma, so amounts are text inputs.
            field.widget.input_type = "text"
            field.widget.attrs.setdefault("inputmode", "decimal")


class FormRenderer(TemplatesSetting):
    """Every form of the project is rendered with one field markup, Bootstrap 5's (label,
    widget, help text, errors): `{{ form }}` and `{{ form.field.as_field_group }}`. Its templates
    are the project's, so they can also write Django's widgets leaner
    (templates/django/forms/widgets)."""

    form_template_name = "core/forms/form.html"
    field_template_name = "core/forms/field.html"


def choices_of(field: forms.ModelChoiceField, rows) -> list[tuple]:
    """A model choice field's (value, label) choices for `rows`: its empty label first."""
    empty = [] if field.empty_label is None else [("", field.empty_label)]
    return empty + [(row.pk, field.label_from_instance(row)) for row in rows]


def few_and_selected(field: forms.ModelChoiceField, matching, *, shown: int, selected) -> list:
    """The first `shown` of `matching` (the field's rows, maybe narrowed by a search) and the
    selected one when it is not among them, if the field allows it: what a dropdown of a table
    that grows lists (two queries at most), while the field still validates any of its rows."""
    few = list(matching[:shown])
    if selected and all(row.pk != selected for row in few):
        few += list(field.queryset.filter(pk=selected))
    return few


class StyledForm:
    """Bootstrap classes on every widget and Italian amounts, for forms rendered field by field.
    Subclasses adjust their fields in setup_fields(), before the styling is applied."""

    small = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_fields()
        show_amounts_the_italian_way(self)
        self.style_widgets()

    def setup_fields(self):
        pass

    def full_clean(self):
        """Read every number by one rule, then mark the refused fields (red, and aria-invalid
        for screen readers)."""
        ambiguous = self._read_numbers() if self.is_bound else []
        super().full_clean()
        for name in ambiguous:
            self.cleaned_data.pop(name, None)
            self._errors[name] = self.error_class(
                ValidationError(AMBIGUOUS_NUMBER, code="ambiguous_number").error_list
            )
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"

    def _read_numbers(self) -> list[str]:
        """Read every typed number (integers and decimals) by the one rule and hand it to its
        field as a Decimal, which a form shown again renders back the Italian way; the names of
        those whose "." is ambiguous are returned, to be refused."""
        data = self.data.copy()
        ambiguous = []
        for name, field in self.fields.items():
            key = self.add_prefix(name)
            raw = data.get(key)
            if field.disabled or not isinstance(field, forms.IntegerField) or not raw:
                continue
            canonical = italian_number(str(raw))
            if canonical is None:
                ambiguous.append(name)
                continue
            try:
                number = Decimal(canonical)
            except InvalidOperation:
                continue  # not a number at all: the field says so
            if number.is_finite():
                data[key] = number
        self.data = data
        return ambiguous

    def style_widgets(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect)):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm" if self.small else "form-select"
            else:
                css = "form-control form-control-sm" if self.small else "form-control"
            widget.attrs["class"] = css


class LoginForm(StyledForm, AuthenticationForm):
    """Django's login form, with the user name's length enforced: an over-long name is refused
    by the form instead of reaching the login-failure log (axes) and the database."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].validators.append(
            MaxLengthValidator(self.fields["username"].max_length or 150)
        )
