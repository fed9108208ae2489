from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from backoffice.models import Customer, Product
from contracts.models import Contract
from core.forms import StyledForm
from core.input import record_id
from tickets.models import (
    Activity,
    ActivityCondition,
    ActivityMaterial,
    ActivityStatus,
    ActivityType,
    Ticket,
)

DATE = {"type": "date"}


def _technicians():
    return get_user_model().objects.filter(is_active=True).order_by("first_name", "username")


def contracts_of(customer_id) -> QuerySet[Contract]:
    """The contracts a ticket of this customer may be under (the ticket form's choices)."""
    if not customer_id:
        return Contract.objects.none()
    return Contract.objects.filter(customer_id=customer_id).order_by("-start_date", "-id")


class TicketForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Ticket
        fields = [
            "customer",
            "contract",
            "subject",
            "description",
            "opened_on",
            "closed_on",
            "technician",
        ]
        widgets = {
            "opened_on": forms.DateInput(DATE, format="%Y-%m-%d"),
            "closed_on": forms.DateInput(DATE, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def setup_fields(self):
        customer = self.fields["customer"]
        customer.queryset = Customer.objects.filter(
            Q(active=True) | Q(pk=self.instance.customer_id)
        )
        # The contract's choices follow the customer chosen (htmx), as on the contract page.
        customer.widget.attrs.update(
            {
                "hx-get": reverse("tickets:customer_contracts"),
                "hx-target": "#id_contract",
                "hx-trigger": "change",
            }
        )
        chosen = record_id(self.data.get("customer")) if self.is_bound else None
        contract = self.fields["contract"]
        contract.queryset = contracts_of(chosen or self.instance.customer_id)
        contract.help_text = _(
            "Its rates, rounding and prepaid hours apply to the ticket's activities."
        )
        self.fields["technician"].queryset = _technicians()
        if self.instance.pk and self.instance.activities.on_live_orders().exists():
            # Its orders are made out to this customer under this contract: frozen.
            for name in ("customer", "contract"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "Activities of this ticket are billed: the customer and the contract "
                    "cannot change."
                )

    def clean(self):
        cleaned = super().clean()
        opened, closed = cleaned.get("opened_on"), cleaned.get("closed_on")
        if opened and closed and closed < opened:
            self.add_error("closed_on", _("A ticket cannot be closed before it was opened."))
        customer, contract = cleaned.get("customer"), cleaned.get("contract")
        if customer and contract and contract.customer_id != customer.pk:
            self.add_error("contract", _("The contract belongs to another customer."))
        return cleaned


class ActivityForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Activity
        fields = [
            "date",
            "technician",
            "activity_type",
            "description",
            "duration_minutes",
            "km",
            "status",
            "condition",
        ]
        widgets = {
            "date": forms.DateInput(DATE, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, billed_on=None, **kwargs):
        # billed_on: the number of the live order the activity is on; its billed fields freeze.
        self.billed_on = billed_on
        super().__init__(*args, **kwargs)

    def setup_fields(self):
        self.fields["technician"].queryset = _technicians()
        self.fields["status"].queryset = ActivityStatus.objects.filter(
            Q(active=True) | Q(pk=self.instance.status_id)
        )
        self.fields["condition"].queryset = ActivityCondition.objects.filter(
            Q(active=True) | Q(pk=self.instance.condition_id)
        )
        self.fields["activity_type"].queryset = ActivityType.objects.filter(
            Q(active=True) | Q(pk=self.instance.activity_type_id)
        )
        km = self.fields["km"]
        km.widget.attrs.update(min=0, max=settings.ACTIVITY_MAX_KM)
        km.validators.append(MaxValueValidator(settings.ACTIVITY_MAX_KM))
        km.help_text = _("Billed as travel when the activity type is on site.")
        duration = self.fields["duration_minutes"]
        duration.widget.attrs.update(min=1, max=settings.ACTIVITY_MAX_MINUTES)
        duration.validators.append(MaxValueValidator(settings.ACTIVITY_MAX_MINUTES))
        duration.help_text = _("At most %(max)s minutes. Empty: billed as 1 hour.") % {
            "max": settings.ACTIVITY_MAX_MINUTES
        }
        if self.billed_on:
            for name in Activity.BILLED_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "Cannot change while the activity is on order %(number)s."
                ) % {"number": self.billed_on}


class MaterialForm(StyledForm, forms.ModelForm):
    class Meta:
        model = ActivityMaterial
        fields = ["product", "quantity", "description"]

    def setup_fields(self):
        self.fields["quantity"].widget.attrs.update(min="0.01", step="0.01")


class BaseMaterialFormSet(forms.BaseInlineFormSet):
    """Every row offers the same products (the active ones, and any the activity's materials
    already use), read once, not once per row. The hidden counts the page posts are checked: a
    tampered post is refused, not read as "no rows"."""

    TAMPERED = _("The materials were not sent as the page shows them: reload the page.")
    default_error_messages = {
        "missing_management_form": TAMPERED,
        "too_many_forms": ngettext_lazy(
            "At most %(num)d material per activity.",
            "At most %(num)d materials per activity.",
            "num",
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        used = self.get_queryset().values("product_id")
        self.products = Product.objects.filter(Q(active=True) | Q(pk__in=used)).only(
            "pk", "code", "description"
        )
        self.product_choices = None

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        product = form.fields["product"]
        product.queryset = self.products
        if self.product_choices is None:
            self.product_choices = list(iter(product.choices))  # iter(): no COUNT query
        product.choices = self.product_choices
        return form

    def clean(self):
        super().clean()
        counts = self.management_form.cleaned_data.values()
        if any(count is not None and count < 0 for count in counts):
            raise forms.ValidationError(self.TAMPERED)


MaterialFormSet = forms.inlineformset_factory(
    Activity,
    ActivityMaterial,
    form=MaterialForm,
    formset=BaseMaterialFormSet,
    extra=2,
    can_delete=True,
)


# Gestione anagrafiche (registered in TicketsConfig.ready): the tables activities choose from.


class ActivityTypeForm(StyledForm, forms.ModelForm):
    class Meta:
        model = ActivityType
        fields = ["name", "product", "on_site", "active"]

    def setup_fields(self):
        self.fields["product"].queryset = Product.objects.filter(
            Q(active=True) | Q(pk=self.instance.product_id)
        )


class ActivityStatusForm(StyledForm, forms.ModelForm):
    class Meta:
        model = ActivityStatus
        fields = ["name", "kind", "active"]


class ActivityConditionForm(StyledForm, forms.ModelForm):
    class Meta:
        model = ActivityCondition
        fields = ["name", "to_be_billed", "active"]
