"""Gestione anagrafiche: one screen family (list, new, edit; delete for the kinds that allow it)
per kind of master data. The kinds are registered by each app (backoffice.master_data_registry)."""

from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.generic import CreateView, ListView, UpdateView

from backoffice import services
from backoffice.imports import import_kind_for
from backoffice.master_data_registry import MASTER_DATA, MasterData
from backoffice.permissions import MANAGE_MASTER_DATA
from core.exceptions import DomainError
from core.functions import function_required
from core.input import search_text

__all__ = ["MASTER_DATA", "MasterData", "master_data_kind"]


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
            import_kind=import_kind_for(self.kind.slug),
        )
        return context


class MasterDataCreate(MasterDataMixin, CreateView):
    template_name = "backoffice/masterdata_form.html"


class MasterDataUpdate(MasterDataMixin, UpdateView):
    template_name = "backoffice/masterdata_form.html"


@function_required(MANAGE_MASTER_DATA)
def masterdata_delete(request, kind, pk):
    """Delete a record of a kind nothing points at (a price of a price list): a confirmation
    page, then the POST that deletes. Other kinds are switched off instead, never deleted."""
    md = master_data_kind(kind)
    if not md.deletable:
        raise Http404(kind)
    record = get_object_or_404(md.model, pk=pk)
    if request.method == "POST":
        try:
            services.delete_master_data(record=record, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("backoffice:masterdata_update", md.slug, record.pk)
        messages.success(request, _("%(object)s deleted.") % {"object": record})
        return redirect("backoffice:masterdata_list", md.slug)
    return render(
        request,
        "backoffice/masterdata_delete.html",
        {"kind": md, "object": record, "master_data": MASTER_DATA.values()},
    )
