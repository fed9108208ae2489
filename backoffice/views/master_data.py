"""Gestione anagrafiche: one screen family (list, new, edit; delete for the kinds that allow it)
per kind of master data. The kinds are registered by each app (backoffice.master_data_registry)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import CreateView, UpdateView

from backoffice import services
from backoffice.imports import import_kind_for
from backoffice.master_data_registry import MASTER_DATA, MasterData
from backoffice.permissions import MANAGE_MASTER_DATA
from backoffice.tables import master_data_filter, master_data_table
from core.exceptions import DomainError
from core.functions import function_required
from core.lists import list_page

__all__ = ["MASTER_DATA", "MasterData", "master_data_kind"]


def master_data_kind(slug) -> MasterData:
    try:
        return MASTER_DATA[slug]
    except KeyError:
        raise Http404(slug) from None


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


class MasterDataList(MasterDataMixin, View):
    """The kind's records: search, sortable columns, pages, exports (core.lists)."""

    def get(self, request, *args, **kwargs):
        return list_page(
            request,
            filterset=master_data_filter(self.kind)(
                request.GET or None, queryset=self.get_queryset().order_by(*self.ordering())
            ),
            table_class=master_data_table(self.kind),
            template="backoffice/masterdata_list.html",
            export_name=self.kind.slug,
            context={
                "kind": self.kind,
                "master_data": MASTER_DATA.values(),
                "import_kind": import_kind_for(self.kind.slug),
            },
        )

    def ordering(self):
        return [*(self.model._meta.ordering or []), "pk"]


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
