from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.validators import MaxValueValidator
from django.db.models import Q, Value
from django.urls import reverse_lazy
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.models import DealSubject, OrderType, Product
from contracts.models import Contract
from core.forms import StyledForm
from core.input import record_id, search_text
from crm_billing.dashboard import AGES
from crm_billing.filters import RenewalsDueFilter
from crm_billing.functions import function_permissions
from crm_billing.models import BillingProfile, BillingRun
from tickets.filters import TicketFilter
from tickets.models import ActivityCondition, Ticket


class FunctionChoiceField(forms.ModelMultipleChoiceField):
    """The project's functions as checkboxes, named in the user's language."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(queryset=function_permissions(), label=_("Functions"), required=False)

    def label_from_instance(self, obj):
        return gettext(obj.name)


class UserCreateForm(StyledForm, UserCreationForm):
    functions = FunctionChoiceField()

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "first_name", "last_name", "email"]

    def setup_fields(self):
        # Every account made here logs in with a password: no "unusable password" choice.
        self.fields.pop("usable_password", None)


class UserFunctionsForm(StyledForm, forms.ModelForm):
    functions = FunctionChoiceField()

    class Meta:
        model = get_user_model()
        fields = ["first_name", "last_name", "email"]

    def setup_fields(self):
        granted = set(self.instance.user_permissions.values_list("pk", flat=True))
        self.fields["functions"].initial = [
            p.pk for p in self.fields["functions"].queryset if p.pk in granted
        ]


MINUTES_IN_A_DAY = 24 * 60
# The product dropdowns of the configuration show this many active products (and the ones
# chosen); the rest of the catalogue is found with the search box beside each (htmx).
PRODUCTS_SHOWN = 20
PRODUCT_FIELDS = ("product", "call_out_product", "travel_product")
PRODUCT_OPTIONS_URL = reverse_lazy("administration:product_options")


class ProductSearchSelect(forms.Select):
    """A product dropdown with a search box under it that reloads its options from the server.
    The box belongs to the page's GET form "product-search" (form attribute), not to the form
    the dropdown is posted with: without JavaScript it searches by reloading the page."""

    def render(self, name, value, attrs=None, renderer=None):
        select = super().render(name, value, attrs, renderer)
        target = (attrs or {}).get("id") or self.attrs.get("id", "")
        label = gettext("Search a product/service by code or description")
        return format_html(
            '{}<input type="search" name="product_q" form="product-search" maxlength="40"'
            ' class="form-control form-control-sm mt-1 product-search" aria-label="{}"'
            ' placeholder="{}" hx-get="{}" hx-include="#{}" hx-vals=\'{{"field": "{}"}}\''
            ' hx-target="#{}" hx-swap="innerHTML" hx-trigger="input changed delay:300ms, search">'
            '<noscript><button type="submit" form="product-search"'
            ' class="btn btn-sm btn-outline-secondary mt-1">{}</button></noscript>',
            select,
            label,
            label,
            PRODUCT_OPTIONS_URL,
            target,
            name,
            target,
            gettext("Search"),
        )


def product_choices(*, selected=(), search="", known=()):
    """The options of a product dropdown: the first PRODUCTS_SHOWN active products (or those
    matching `search` by code or description), plus the `selected` ones. Two queries at most,
    whatever the size of the catalogue; what is posted is validated against every active one."""
    products = Product.objects.filter(active=True)
    search = search_text(search)
    if search:
        products = products.filter(Q(code__icontains=search) | Q(description__icontains=search))
    shown = list(products[:PRODUCTS_SHOWN])
    missing = {pk for pk in selected if pk} - {product.pk for product in shown}
    # The products already read with the profiles need no query (while active).
    at_hand = {product.pk: product for product in known if product.active}
    shown += [at_hand[pk] for pk in sorted(missing & at_hand.keys())]
    if missing - at_hand.keys():
        shown += list(Product.objects.filter(active=True, pk__in=missing - at_hand.keys()))
    return [("", "---------")] + [(product.pk, str(product)) for product in shown]


def share_profile_choices(forms_on_page, *, product_search=""):
    """Load the choices of the configuration's dropdowns once for the three cases' forms: the
    active order types and deal subjects, and the products shown (`product_choices`)."""
    # The two short lists in one query; both are named by their name, in that order.
    named = [
        model.objects.filter(active=True)
        .order_by()
        .annotate(list=Value(key))
        .values_list("list", "pk", "name")
        for key, model in (("order_type", OrderType), ("deal_subject", DealSubject))
    ]
    rows = sorted(named[0].union(named[1], all=True), key=lambda row: (row[2], row[1]))
    order_types, deal_subjects = (
        [("", "---------")] + [(pk, name) for key, pk, name in rows if key == wanted]
        for wanted in ("order_type", "deal_subject")
    )
    selected = {
        record_id(form[name].value())
        for form in forms_on_page
        for name in PRODUCT_FIELDS
        if name in form.fields
    }
    known = [
        getattr(form.instance, name)
        for form in forms_on_page
        for name in PRODUCT_FIELDS
        if name in form.fields and getattr(form.instance, f"{name}_id")
    ]
    products = product_choices(selected=selected, search=product_search, known=known)
    for form in forms_on_page:
        form.fields["order_type"].widget.choices = order_types
        form.fields["deal_subject"].widget.choices = deal_subjects
        for name in PRODUCT_FIELDS:
            if name in form.fields:
                form.fields[name].widget.choices = products


class BillingProfileForm(StyledForm, forms.ModelForm):
    """The defaults of one case. Only active products and types can be chosen."""

    class Meta:
        model = BillingProfile
        fields = [
            "order_type",
            "deal_subject",
            "product",
            "renewal_pricing",
            "call_out_product",
            "travel_product",
            "billing_increment_minutes",
            "minimum_minutes",
        ]
        widgets = {
            "renewal_pricing": forms.RadioSelect,
            "product": ProductSearchSelect,
            "call_out_product": ProductSearchSelect,
            "travel_product": ProductSearchSelect,
        }

    ACTIVITY_ONLY = (
        "call_out_product",
        "travel_product",
        "billing_increment_minutes",
        "minimum_minutes",
    )

    def setup_fields(self):
        self.fields["order_type"].queryset = OrderType.objects.filter(active=True)
        self.fields["deal_subject"].queryset = DealSubject.objects.filter(active=True)
        for name in ("product", "call_out_product", "travel_product"):
            self.fields[name].queryset = Product.objects.filter(active=True)
        if self.instance.case != BillingProfile.Case.RENEWAL:
            del self.fields["renewal_pricing"]
        if self.instance.case != BillingProfile.Case.ACTIVITY:
            for name in self.ACTIVITY_ONLY:
                del self.fields[name]
            return
        for name in ("billing_increment_minutes", "minimum_minutes"):
            self.fields[name].validators.append(MaxValueValidator(MINUTES_IN_A_DAY))
            self.fields[name].widget.attrs.update(min=0, max=MINUTES_IN_A_DAY)


class TickedOrFilteredForm(forms.Form):
    """A bulk action's selection: the rows ticked on a list, or every row its filters match
    (posted along with the button). Subclasses name the ids field, the model, the list's filter
    form (or a function of the data returning the list's FilterSet) and what to say."""

    MODES: list = []
    ids_field = ""
    model = None
    filter_form = None
    none_ticked = ""
    vanished = ""

    mode = forms.ChoiceField()

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["mode"].choices = self.MODES
        # The ticked ids are checked against the database in clean(), not against a list.
        values = data.getlist(self.ids_field) if data is not None else []
        self.fields[self.ids_field].choices = [(v, v) for v in values if record_id(v)]
        self.filters = self.filter_form(data)

    def clean(self):
        cleaned = super().clean()
        ticked = set(cleaned.get(self.ids_field) or ())
        selected = cleaned.get("mode") == "selected"
        if selected and not ticked:
            raise forms.ValidationError(self.none_ticked)
        # Ticks left on the page do not matter when every filtered row is billed.
        if selected and self.model.objects.filter(pk__in=ticked).count() != len(ticked):
            raise forms.ValidationError(self.vanished)
        if cleaned.get("mode") == "filtered" and not self.filters.is_valid():
            fields = getattr(self.filters, "form", self.filters).fields
            problems = "; ".join(
                f"{fields[name].label}: {' '.join(errors)}"
                for name, errors in self.filters.errors.items()
            )
            raise forms.ValidationError(
                _("The filters are not valid (%(problems)s).") % {"problems": problems}
            )
        return cleaned

    def errors_in_one_line(self) -> str:
        """Every error, for the message shown back on the list."""
        return "; ".join(error for errors in self.errors.values() for error in errors)


class BillingSelectionForm(TickedOrFilteredForm):
    """What "Fattura attività" bills: the tickets ticked on the page, or every ticket matching
    the list's filters, with an optional cut-off date."""

    MODES = [("selected", _("ticked tickets")), ("filtered", _("all tickets matching the filters"))]
    ids_field, model = "tickets", Ticket
    filter_form = staticmethod(lambda data: TicketFilter(data, queryset=Ticket.objects.all()))
    none_ticked = _("Tick at least one ticket, or bill all filtered ones.")
    vanished = _("Some ticked tickets no longer exist: reload the list and tick again.")

    tickets = forms.TypedMultipleChoiceField(coerce=int, required=False)
    cutoff = forms.DateField(
        label=_("Activities closed up to"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    grouping = forms.ChoiceField(
        label=_("Orders"),
        choices=BillingRun.Grouping.choices,
        initial=BillingRun.Grouping.TICKET,
        required=False,
    )

    def clean_grouping(self):
        return self.cleaned_data["grouping"] or BillingRun.Grouping.TICKET  # the default

    def tickets_queryset(self):
        if self.cleaned_data["mode"] == "selected":
            return Ticket.objects.filter(pk__in=self.cleaned_data["tickets"])
        return self.filters.qs


class ConditionsToBeBilledForm(forms.Form):
    """The activity section: which execution conditions are "Da fatturare"."""

    to_be_billed = forms.ModelMultipleChoiceField(
        label=_("Conditions to be billed"),
        queryset=ActivityCondition.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One read of the conditions for the boxes and their initial ticks (the queryset
        # still validates what is posted).
        conditions = list(self.fields["to_be_billed"].queryset)
        self.fields["to_be_billed"].widget.choices = [(c.pk, str(c)) for c in conditions]
        self.fields["to_be_billed"].initial = [c.pk for c in conditions if c.to_be_billed]


class PriceIndexForm(StyledForm, forms.Form):
    """One month of the ISTAT FOI table."""

    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100)
    month = forms.IntegerField(label=_("Month"), min_value=1, max_value=12)
    value = forms.DecimalField(
        label=_("FOI index"), max_digits=6, decimal_places=1, min_value=Decimal("0.1")
    )


class PriceIndexImportForm(StyledForm, forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "One row per month: year; month; index (e.g. 2026;9;122,1). A first row of headings "
            "is skipped."
        ),
    )

    MAX_BYTES = 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        return upload


class RenewalSelectionForm(TickedOrFilteredForm):
    """What "Rinnova e fattura" renews: the rows ticked on the Scadenzario, or every row its
    filters match."""

    MODES = [
        ("selected", _("ticked contracts")),
        ("filtered", _("all contracts matching the filters")),
    ]
    ids_field, model = "contracts", Contract
    filter_form = staticmethod(
        lambda data: RenewalsDueFilter(data, queryset=Contract.objects.all())
    )
    none_ticked = _("Tick at least one contract, or renew all filtered ones.")
    vanished = _("Some ticked contracts no longer exist: reload the list and tick again.")

    contracts = forms.TypedMultipleChoiceField(coerce=int, required=False)


class DashboardSliceForm(forms.Form):
    """One cell of the "Da fatturare" dashboard, posted to bill it: a customer and/or a
    technician and/or an age bucket (empty: all)."""

    customer = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    technician = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    age = forms.ChoiceField(
        choices=[("", _("all")), *((age.key, age.label) for age in AGES)], required=False
    )

    def slice(self) -> dict:
        data = self.cleaned_data
        return {
            "customer_id": data["customer"],
            "technician_id": data["technician"],
            "age": data["age"],
        }

    def errors_in_one_line(self) -> str:
        return "; ".join(error for errors in self.errors.values() for error in errors)
