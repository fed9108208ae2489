from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.forms import StyledForm
from backoffice.models import DealSubject, OrderType, Product
from crm_billing.functions import function_permissions
from crm_billing.models import BillingProfile


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
            "index_percent",
            "index_share_percent",
        ]
        widgets = {"renewal_pricing": forms.RadioSelect}

    def setup_fields(self):
        self.fields["order_type"].queryset = OrderType.objects.filter(active=True)
        self.fields["deal_subject"].queryset = DealSubject.objects.filter(active=True)
        self.fields["product"].queryset = Product.objects.filter(active=True)
        if self.instance.case != BillingProfile.Case.RENEWAL:
            for name in ("renewal_pricing", "index_percent", "index_share_percent"):
                del self.fields[name]

    def style_widgets(self):
        super().style_widgets()
        if "renewal_pricing" in self.fields:
            self.fields["renewal_pricing"].widget.attrs["class"] = "form-check-input"
