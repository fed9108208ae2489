from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.models import Customer, DealSubject, OrderType, Product
from contracts.models import Contract
from core.forms import StyledForm
from core.input import record_id
from crm_billing.functions import function_permissions
from crm_billing.models import BillingProfile
from tickets.forms import TicketFilterForm
from tickets.models import ActivityCondition, Ticket


class FunctionChoiceField(forms.ModelMultipleChoiceField):
    """The project's functions as checkboxes, named in the user's language."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(queryset=function_permissions(), label=_("Functions"), required=False)

    def label_from_instance(self, obj):
        return gettext(obj.name)


class FunctionsFormMixin(StyledForm):
    def style_widgets(self):
        super().style_widgets()
        self.fields["functions"].widget.attrs["class"] = "form-check-input"


class UserCreateForm(FunctionsFormMixin, UserCreationForm):
    functions = FunctionChoiceField()

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "first_name", "last_name", "email"]

    def setup_fields(self):
        # Every account made here logs in with a password: no "unusable password" choice.
        self.fields.pop("usable_password", None)


class UserFunctionsForm(FunctionsFormMixin, forms.ModelForm):
    functions = FunctionChoiceField()

    class Meta:
        model = get_user_model()
        fields = ["first_name", "last_name", "email"]

    def setup_fields(self):
        granted = set(self.instance.user_permissions.values_list("pk", flat=True))
        self.fields["functions"].initial = [
            p.pk for p in self.fields["functions"].queryset if p.pk in granted
        ]


class BillingProfileForm(StyledForm, forms.ModelForm):
    """The defaults of one case. Only active products and types can be chosen."""

    class Meta:
        model = BillingProfile
        fields = [
            "order_type",
            "deal_subject",
            "product",
            "renewal_pricing",
        ]
        widgets = {"renewal_pricing": forms.RadioSelect}

    def setup_fields(self):
        self.fields["order_type"].queryset = OrderType.objects.filter(active=True)
        self.fields["deal_subject"].queryset = DealSubject.objects.filter(active=True)
        self.fields["product"].queryset = Product.objects.filter(active=True)
        if self.instance.case != BillingProfile.Case.RENEWAL:
            del self.fields["renewal_pricing"]

    def style_widgets(self):
        super().style_widgets()
        if "renewal_pricing" in self.fields:
            self.fields["renewal_pricing"].widget.attrs["class"] = "form-check-input"


class BillingSelectionForm(forms.Form):
    """What "Fattura attività" bills: the tickets ticked on the page, or every ticket matching
    the list's filters (posted along), with an optional cut-off date."""

    MODES = [("selected", _("ticked tickets")), ("filtered", _("all tickets matching the filters"))]

    mode = forms.ChoiceField(choices=MODES)
    tickets = forms.TypedMultipleChoiceField(coerce=int, required=False)
    cutoff = forms.DateField(
        label=_("Activities closed up to"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        # The ticked ids are checked against the database in clean(), not against a list.
        values = data.getlist("tickets") if data is not None else []
        self.fields["tickets"].choices = [(v, v) for v in values if record_id(v)]
        self.filters = TicketFilterForm(data)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("mode") == "selected":
            ids = set(cleaned.get("tickets") or ())
            if not ids:
                raise forms.ValidationError(
                    _("Tick at least one ticket, or bill all filtered ones.")
                )
            if Ticket.objects.filter(pk__in=ids).count() != len(ids):
                raise forms.ValidationError(
                    _("Some ticked tickets no longer exist: reload the list and tick again.")
                )
        elif cleaned.get("mode") == "filtered" and not self.filters.is_valid():
            problems = "; ".join(
                f"{self.filters.fields[name].label}: {' '.join(errors)}"
                for name, errors in self.filters.errors.items()
            )
            raise forms.ValidationError(
                _("The filters are not valid (%(problems)s).") % {"problems": problems}
            )
        return cleaned

    def tickets_queryset(self):
        if self.cleaned_data["mode"] == "selected":
            return Ticket.objects.filter(pk__in=self.cleaned_data["tickets"])
        return self.filters.filter(Ticket.objects.all())


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
        self.fields["to_be_billed"].initial = [
            c.pk for c in self.fields["to_be_billed"].queryset if c.to_be_billed
        ]


class RenewalsDueFilterForm(StyledForm, forms.Form):
    """The Scadenzario rinnovi's filters: how far ahead, whose, and the order of the rows."""

    SORTS = [
        ("end", _("end of the current period")),
        ("customer", _("customer")),
        ("number", _("contract no.")),
    ]

    within_days = forms.IntegerField(
        label=_("Ending within (days)"), min_value=0, max_value=3650, required=False
    )
    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=Customer.objects.only("pk", "name"), required=False
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=60)
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORTS, required=False)

    DEFAULT_WITHIN_DAYS = 60


class PriceIndexForm(StyledForm, forms.Form):
    """One month of the ISTAT FOI table."""

    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100)
    month = forms.IntegerField(label=_("Month"), min_value=1, max_value=12)
    value = forms.DecimalField(
        label=_("FOI index"), max_digits=6, decimal_places=1, min_value=Decimal("0.1")
    )


class PriceIndexImportForm(forms.Form):
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


class RenewalSelectionForm(forms.Form):
    """What "Rinnova e fattura" renews: the rows ticked on the Scadenzario, or every row its
    filters match (posted along)."""

    MODES = [
        ("selected", _("ticked contracts")),
        ("filtered", _("all contracts matching the filters")),
    ]

    mode = forms.ChoiceField(choices=MODES)
    contracts = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        values = data.getlist("contracts") if data is not None else []
        self.fields["contracts"].choices = [(v, v) for v in values if record_id(v)]
        self.filters = RenewalsDueFilterForm(data)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("mode") == "selected" and not cleaned.get("contracts"):
            raise forms.ValidationError(
                _("Tick at least one contract, or renew all filtered ones.")
            )
        ticked = set(cleaned.get("contracts") or ())
        if ticked and Contract.objects.filter(pk__in=ticked).count() != len(ticked):
            raise forms.ValidationError(
                _("Some ticked contracts no longer exist: reload the list and tick again.")
            )
        if cleaned.get("mode") == "filtered" and not self.filters.is_valid():
            problems = "; ".join(
                f"{self.filters.fields[name].label}: {' '.join(errors)}"
                for name, errors in self.filters.errors.items()
            )
            raise forms.ValidationError(
                _("The filters are not valid (%(problems)s).") % {"problems": problems}
            )
        return cleaned
