"""Gestione anagrafiche: one screen family (list, new, edit) per kind of master data."""

from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.generic import CreateView, ListView, UpdateView

from backoffice import forms
from backoffice.models import (
    Agent,
    Customer,
    DealSubject,
    OrderType,
    PaymentTerms,
    Product,
    VatRate,
)
from backoffice.permissions import MANAGE_MASTER_DATA
from core.functions import function_required
from core.input import search_text


class MasterData:
    """One screen family for each kind of master data: list, new, edit. Records in use are
    switched off with "active" instead of being deleted, so there is no delete."""

    def __init__(self, slug, model, form_class, columns, search_fields):
        self.slug, self.model, self.form_class = slug, model, form_class
        self.columns, self.search_fields = columns, search_fields

    @property
    def title(self):
        return self.model._meta.verbose_name_plural


MASTER_DATA = {
    md.slug: md
    for md in [
        MasterData(
            "clienti",
            Customer,
            forms.CustomerForm,
            ["code", "name", "vat_number", "city", "payment_terms", "active"],
            ["code", "name", "vat_number", "tax_code"],
        ),
        MasterData(
            "prodotti",
            Product,
            forms.ProductForm,
            ["code", "description", "unit", "list_price", "vat_rate", "active"],
            ["code", "description"],
        ),
        MasterData(
            "tipi-ordine",
            OrderType,
            forms.OrderTypeForm,
            ["code", "name", "kind", "numbering_pattern", "active"],
            ["code", "name"],
        ),
        MasterData(
            "oggetti-trattativa", DealSubject, forms.DealSubjectForm, ["name", "active"], ["name"]
        ),
        MasterData(
            "pagamenti",
            PaymentTerms,
            forms.PaymentTermsForm,
            ["code", "name", "active"],
            ["code", "name"],
        ),
        MasterData(
            "aliquote-iva",
            VatRate,
            forms.VatRateForm,
            ["code", "description", "rate", "nature", "active"],
            ["code", "description"],
        ),
        MasterData("agenti", Agent, forms.AgentForm, ["code", "name", "active"], ["code", "name"]),
    ]
}


def master_data_kind(slug) -> MasterData:
    try:
        return MASTER_DATA[slug]
    except KeyError:
        raise Http404(slug) from None


def _display(obj, column):
    if obj._meta.get_field(column).choices:
        return getattr(obj, f"get_{column}_display")()
    return getattr(obj, column)


class MasterDataMixin:
    @method_decorator(function_required(MANAGE_MASTER_DATA))
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.kind = master_data_kind(kwargs["kind"])
        self.model = self.kind.model
        self.form_class = self.kind.form_class

    def get_queryset(self):
        related = [
            column for column in self.kind.columns if self.model._meta.get_field(column).is_relation
        ]
        return self.model.objects.select_related(*related)

    def get_context_data(self, **kwargs):
        return super().get_context_data(kind=self.kind, master_data=MASTER_DATA.values(), **kwargs)

    def get_success_url(self):
        return reverse("backoffice:masterdata_list", args=[self.kind.slug])

    def form_valid(self, form):
        messages.success(self.request, _("%(object)s saved.") % {"object": form.instance})
        return super().form_valid(form)


class MasterDataList(MasterDataMixin, ListView):
    template_name = "backoffice/masterdata_list.html"
    paginate_by = settings.PAGE_SIZE

    def get_queryset(self):
        queryset = super().get_queryset()
        self.search = search_text(self.request.GET.get("q"))
        if self.search:
            condition = Q()
            for field in self.kind.search_fields:
                condition |= Q(**{f"{field}__icontains": self.search})
            queryset = queryset.filter(condition)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            headers=[self.model._meta.get_field(c).verbose_name for c in self.kind.columns],
            rows=[
                (obj, [_display(obj, c) for c in self.kind.columns]) for obj in context["page_obj"]
            ],
            search=self.search,
        )
        return context


class MasterDataCreate(MasterDataMixin, CreateView):
    template_name = "backoffice/masterdata_form.html"


class MasterDataUpdate(MasterDataMixin, UpdateView):
    template_name = "backoffice/masterdata_form.html"
