from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backoffice import money
from backoffice.imports import MAX_BYTES as MASTER_DATA_IMPORT_MAX_BYTES
from backoffice.models import (
    Agent,
    Customer,
    DealSubject,
    MasterDataImport,
    Order,
    OrderLine,
    OrderType,
    PaymentTerms,
    PriceList,
    PriceListItem,
    Product,
    Transmission,
    VatRate,
)
from core.forms import StyledForm

# The order list's "ERP" filter: the state of each order's latest transmission.
ERP_NOT_SENT = "not_sent"
ERP_IN_PROGRESS = "in_progress"
ERP_STATE_CHOICES = [
    (ERP_NOT_SENT, _("never sent")),
    (ERP_IN_PROGRESS, _("being sent")),
    (Transmission.State.DELIVERED, _("delivered")),
    (Transmission.State.FAILED, _("failed, needs attention")),
]


def filter_by_erp_state(queryset, erp_state):
    """Orders (annotated with_erp_state) whose latest send is in the chosen state."""
    if erp_state == ERP_NOT_SENT:
        return queryset.filter(erp_state__isnull=True)
    if erp_state == ERP_IN_PROGRESS:
        return queryset.filter(erp_state__in=Transmission.IN_FLIGHT)
    return queryset.filter(erp_state=erp_state)


class SendOrderForm(forms.Form):
    """ "Invia al gestionale": the revision of the order the user was looking at."""

    revision = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class OrderCreateForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Order
        fields = ["order_type", "customer", "date", "deal_subject"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def setup_fields(self):
        self.fields["order_type"].queryset = OrderType.objects.filter(active=True)
        self.fields["customer"].queryset = Customer.objects.filter(active=True)
        self.fields["deal_subject"].queryset = DealSubject.objects.filter(active=True)


class OrderHeaderForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Order
        fields = ["date", "deal_subject", "payment_terms", "notes"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def setup_fields(self):
        self.fields["deal_subject"].queryset = DealSubject.objects.filter(active=True)
        self.fields["payment_terms"].queryset = PaymentTerms.objects.filter(active=True)


class OrderLineForm(StyledForm, forms.ModelForm):
    small = True

    class Meta:
        model = OrderLine
        fields = [
            "product",
            "description",
            "quantity",
            "unit_price",
            "discount_percent",
            "vat_rate",
        ]

    def setup_fields(self):
        if "product" in self.fields:
            self.fields["product"].queryset = Product.objects.filter(active=True)
        self.fields["vat_rate"].queryset = VatRate.objects.filter(active=True)
        self.fields["vat_rate"].required = False
        self.fields["vat_rate"].empty_label = _("by product/customer")
        self.fields["description"].required = False
        self.fields["unit_price"].required = False
        self.fields["discount_percent"].required = False
        self.fields["quantity"].initial = Decimal("1")
        if self.instance._state.adding:
            # Empty, not 0: an empty discount is the customer's default discount.
            self.initial.pop("discount_percent", None)
            self.fields["discount_percent"].initial = None

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity <= 0:
            raise forms.ValidationError(_("The quantity must be greater than zero."))
        return quantity

    def clean_unit_price(self):
        price = self.cleaned_data["unit_price"]
        if price is not None and price < 0:
            raise forms.ValidationError(_("The price cannot be negative."))
        return price

    def clean_discount_percent(self):
        discount = self.cleaned_data["discount_percent"]
        if discount is not None and not Decimal("0") <= discount <= Decimal("100"):
            raise forms.ValidationError(_("The discount must be between 0 and 100%."))
        return discount

    def clean(self):
        cleaned = super().clean()
        quantity, price = cleaned.get("quantity"), cleaned.get("unit_price")
        if quantity is not None and price is not None:
            amount = money.line_net_amount(quantity, price, cleaned.get("discount_percent") or 0)
            if not money.fits_amount(amount):
                self.add_error(
                    "quantity",
                    _("Quantity × price may be at most 999.999.999.999,99 € on one line."),
                )
        return cleaned


class OrderCancelForm(StyledForm, forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=400, required=False)


class OrderLineEditForm(OrderLineForm):
    """An existing line, edited in place. Its product is shown, not chosen again: a different
    product is a different line (and a select of the whole catalogue on every line would make
    long orders slow to show)."""

    class Meta(OrderLineForm.Meta):
        fields = ["description", "quantity", "unit_price", "discount_percent", "vat_rate"]

    def attach_to(self, form_id):
        """The inputs sit in the cells of the line's table row, the <form> in its last cell
        (HTML allows no form around a row): they belong to it through their form attribute."""
        for field in self.fields.values():
            field.widget.attrs["form"] = form_id


class CustomerForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Customer
        fields = [
            "code",
            "name",
            "vat_number",
            "tax_code",
            "address",
            "postal_code",
            "city",
            "province",
            "email",
            "payment_terms",
            "vat_exemption",
            "agent",
            "discount_percent",
            "price_list",
            "active",
        ]

    def setup_fields(self):
        self.fields["price_list"].queryset = PriceList.objects.filter(
            Q(active=True) | Q(pk=self.instance.price_list_id)
        )
        self.fields["price_list"].help_text = _(
            "Its prices come before the list prices when orders are generated."
        )

    def clean_tax_code(self):
        return self.cleaned_data["tax_code"].upper()

    def clean_province(self):
        return self.cleaned_data["province"].upper()


class ProductForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Product
        fields = ["code", "description", "unit", "list_price", "vat_rate", "active"]


class PriceListForm(StyledForm, forms.ModelForm):
    class Meta:
        model = PriceList
        fields = ["code", "name", "active"]


class PriceListItemForm(StyledForm, forms.ModelForm):
    """The price of one product in one price list: one price per product in each list."""

    class Meta:
        model = PriceListItem
        fields = ["price_list", "product", "unit_price"]

    def setup_fields(self):
        instance = self.instance
        self.fields["price_list"].queryset = PriceList.objects.filter(
            Q(active=True) | Q(pk=instance.price_list_id)
        )
        self.fields["product"].queryset = Product.objects.filter(
            Q(active=True) | Q(pk=instance.product_id)
        )

    def clean(self):
        cleaned = super().clean()
        price_list, product = cleaned.get("price_list"), cleaned.get("product")
        if price_list and product:
            others = PriceListItem.objects.filter(price_list=price_list, product=product)
            if instance_pk := self.instance.pk:
                others = others.exclude(pk=instance_pk)
            if others.exists():
                self.add_error(
                    "product",
                    _(
                        "The price list %(price_list)s already has a price for this product: "
                        "change that one."
                    )
                    % {"price_list": price_list},
                )
        return cleaned


class OrderTypeForm(StyledForm, forms.ModelForm):
    class Meta:
        model = OrderType
        fields = ["code", "name", "kind", "numbering_pattern", "active"]


class DealSubjectForm(StyledForm, forms.ModelForm):
    class Meta:
        model = DealSubject
        fields = ["name", "active"]


class PaymentTermsForm(StyledForm, forms.ModelForm):
    class Meta:
        model = PaymentTerms
        fields = ["code", "name", "active"]


class VatRateForm(StyledForm, forms.ModelForm):
    class Meta:
        model = VatRate
        fields = ["code", "description", "rate", "nature", "active"]

    def setup_fields(self):
        # Orders show and send VAT from their lines' rate: once a rate is on a line, changing
        # it would rewrite the VAT of orders already made. A new rate is a new record.
        if self.instance.pk and OrderLine.objects.filter(vat_rate=self.instance).exists():
            for name in ("rate", "nature"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "Used on order lines: create a new VAT rate instead of changing this one."
                )


class AgentForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Agent
        fields = ["code", "name", "active"]


class MasterDataImportForm(StyledForm, forms.Form):
    """Importa dal gestionale: which kind of master data, and the ERP's export file."""

    kind = forms.ChoiceField(label=_("Kind of master data"), choices=MasterDataImport.Kind.choices)
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        help_text=_(
            "The ERP's export: CSV in UTF-8 separated by “;” (or “,”), or XLSX; the first row "
            "holds the column names. At most 5 MB."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MASTER_DATA_IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


def share_line_choices(forms_on_page):
    """Load the product and VAT choices once for all the line forms of a page, instead of two
    queries per line."""
    products = None
    vat_rates = [("", _("by product/customer"))] + [
        (vat.pk, str(vat)) for vat in VatRate.objects.filter(active=True)
    ]
    for form in forms_on_page:
        form.fields["vat_rate"].choices = vat_rates
        if "product" in form.fields:
            if products is None:
                products = [("", "---------")] + [
                    (product.pk, str(product)) for product in Product.objects.filter(active=True)
                ]
            form.fields["product"].choices = products
