from django import forms
from django.core.validators import MaxValueValidator
from django.db.models import Q
from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from backoffice.billed import linkable_orders
from backoffice.models import Customer, Order, Product
from contracts.models import (
    Contract,
    ContractRate,
    PrepaidHours,
    Renewal,
    orders_linked_elsewhere,
)
from core.forms import StyledForm, choices_of, few_and_selected
from core.input import record_id, search_text

DATE_WIDGET = {"type": "date"}
# A contract's billing increment and minimum: at most a day.
MAX_BILLING_MINUTES = 1440


class OrderChoiceField(forms.ModelChoiceField):
    """An Order/Offer of one customer, shown with number, Prot. Int., date and total."""

    def label_from_instance(self, order):
        return _("%(number)s · internal protocol %(protocol)s · %(date)s · %(total)s €") % {
            "number": order.number,
            "protocol": order.protocol,
            "date": date_format(order.date, "SHORT_DATE_FORMAT"),
            "total": number_format(order.total, 2, force_grouping=True),
        }


# Num. Ordine / Prot. Int. show this many of the customer's most recent linkable orders; the
# others are found by searching (htmx). The field validates against all of them.
ORDERS_SHOWN = 20


def show_linkable_orders(field, *, selected=None, search=""):
    """Limit what the order dropdown *shows* to the most recent linkable orders (or those
    matching `search` by number or Prot. Int.), plus the one selected: its queryset, which
    validates what is posted, stays every linkable order. Two queries at most, whatever the
    number of the customer's orders."""
    orders, search = field.queryset, search_text(search)
    if search:
        orders = orders.filter(Q(number__icontains=search) | Q(protocol__icontains=search))
    selected = record_id(selected) if selected not in (None, "") else None
    shown = few_and_selected(field, orders, shown=ORDERS_SHOWN, selected=selected)
    field.widget.choices = choices_of(field, shown)


class ContractForm(StyledForm, forms.ModelForm):
    order = OrderChoiceField(label=_("Order no."), queryset=Order.objects.none(), required=False)

    def __init__(self, *args, order_search="", **kwargs):
        self.order_search = order_search
        super().__init__(*args, **kwargs)

    class Meta:
        model = Contract
        fields = [
            "number",
            "customer",
            "product",
            "description",
            "start_date",
            "end_date",
            "renewal_months",
            "tacit_renewal",
            "notice_days",
            "indexed",
            "index_share_percent",
            "customer_cost",
            "billing_increment_minutes",
            "minimum_minutes",
            "order",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def setup_fields(self):
        self.fields["customer"].queryset = Customer.objects.filter(active=True) | (
            Customer.objects.filter(pk=self.instance.customer_id)
        )
        self.fields["product"].queryset = Product.objects.filter(active=True) | (
            Product.objects.filter(pk=self.instance.product_id)
        )
        # The order dropdown follows the customer chosen (htmx).
        query = f"?contract={self.instance.pk}" if self.instance.pk else ""
        self.fields["customer"].widget.attrs.update(
            {
                "hx-get": reverse("contracts:customer_orders") + query,
                "hx-target": "#id_order",
                "hx-trigger": "change",
                "hx-swap": "innerHTML",
            }
        )
        # The customer the dropdown belongs to: the one posted, else the contract's own.
        posted = self.data.get(self.add_prefix("customer"))
        customer_id = record_id(posted) if posted else self.instance.customer_id
        self.fields["order"].queryset = linkable_orders(
            customer_id, taken=orders_linked_elsewhere(self.instance)
        )
        show_linkable_orders(
            self.fields["order"],
            selected=self.data.get(self.add_prefix("order")) or self.instance.order_id,
            search=self.order_search,
        )
        for name in ("billing_increment_minutes", "minimum_minutes"):
            field = self.fields[name]
            field.validators.append(MaxValueValidator(MAX_BILLING_MINUTES))
            field.widget.attrs.update(min=0, max=MAX_BILLING_MINUTES)

    def clean(self):
        cleaned = super().clean()
        end = cleaned.get("end_date")
        clash = self.instance.own_period_clash(end) if end else ""
        if clash:
            self.add_error("end_date", clash)
        return cleaned


class RenewalForm(StyledForm, forms.ModelForm):
    order = OrderChoiceField(
        label=_("Internal protocol"), queryset=Order.objects.none(), required=False
    )

    class Meta:
        model = Renewal
        fields = ["start_date", "end_date", "cost", "order"]
        widgets = {
            "start_date": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
        }

    def __init__(self, *args, contract, order_search="", **kwargs):
        self.contract, self.order_search = contract, order_search
        super().__init__(*args, **kwargs)
        self.instance.contract = contract

    def setup_fields(self):
        self.fields["order"].queryset = linkable_orders(
            self.contract.customer_id, taken=orders_linked_elsewhere(self.instance)
        )
        show_linkable_orders(
            self.fields["order"],
            selected=self.data.get(self.add_prefix("order")) or self.instance.order_id,
            search=self.order_search,
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end:
            clash = self.contract.period_clash(
                start, end, renewal=self.instance if self.instance.pk else None
            )
            if clash:
                self.add_error("start_date", clash)
        return cleaned


def share_product_choices(contract_form, rate_form):
    """The contract page's two product dropdowns from one read of the catalogue: the contract's
    (the active products and its own) and the new rate's (the active ones). Their querysets
    still validate what is posted."""
    products = list(contract_form.fields["product"].queryset)
    for field, shown in (
        (contract_form.fields["product"], products),
        (rate_form.fields["product"], [product for product in products if product.active]),
    ):
        field.choices = choices_of(field, shown)


class ContractCancelForm(StyledForm, forms.Form):
    """Disdetta: the date the customer's (or our) cancellation arrived."""

    cancelled_on = forms.DateField(
        label=_("Cancellation received on"),
        widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
    )


class ContractRateForm(StyledForm, forms.ModelForm):
    """Tariffe del contratto: the price agreed for one product/service, once per product (the
    service checks it, under the contract's lock)."""

    small = True
    prefix = "rate"

    class Meta:
        model = ContractRate
        fields = ["product", "unit_price"]

    def __init__(self, *args, contract, **kwargs):
        self.contract = contract
        super().__init__(*args, **kwargs)
        self.instance.contract = contract

    def setup_fields(self):
        self.fields["product"].queryset = Product.objects.filter(active=True)


class PrepaidHoursForm(StyledForm, forms.ModelForm):
    """Monte ore: hours bought in advance and the period they may be drawn in. That packages of
    a contract do not overlap is checked by the service, under the contract's lock."""

    small = True
    prefix = "package"

    class Meta:
        model = PrepaidHours
        fields = ["hours", "valid_from", "valid_to"]
        widgets = {
            "valid_from": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "valid_to": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
        }

    def __init__(self, *args, contract, **kwargs):
        self.contract = contract
        super().__init__(*args, **kwargs)
        self.instance.contract = contract
