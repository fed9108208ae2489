"""Gestione anagrafiche › Importa dal gestionale: upload an ERP export file and see what importing
it would do (the preview), then apply exactly that stored file."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from backoffice import imports
from backoffice.forms import MasterDataImportForm
from backoffice.master_data_registry import MASTER_DATA
from backoffice.models import MasterDataImport
from backoffice.permissions import MANAGE_MASTER_DATA
from core.exceptions import DomainError
from core.functions import function_required


@function_required(MANAGE_MASTER_DATA)
def masterdata_import(request):
    status = 200
    if request.method == "POST":
        form = MasterDataImportForm(request.POST, request.FILES)
        if form.is_valid():
            import_ = imports.preview_master_data_import(
                kind=form.cleaned_data["kind"], file=form.cleaned_data["file"], actor=request.user
            )
            return redirect(import_)
        status = 422
    else:
        kind = request.GET.get("kind")
        form = MasterDataImportForm(
            initial={"kind": kind} if kind in MasterDataImport.Kind.values else None
        )
    context = {
        "form": form,
        "imports": imports.recent_imports(),
        "kinds": imports.columns_by_kind(),
        "master_data": MASTER_DATA.values(),
    }
    return render(request, "backoffice/masterdata_import.html", context, status=status)


@function_required(MANAGE_MASTER_DATA)
def masterdata_import_detail(request, pk):
    import_ = get_object_or_404(MasterDataImport.objects.select_related("actor"), pk=pk)
    context = {
        "import": import_,
        "error_rows": [row for row in import_.rows if row["errors"]],
        "changed_rows": [row for row in import_.rows if not row["errors"]],
        "own": import_.actor_id == request.user.pk,
        "applied": import_.state == MasterDataImport.State.APPLIED,
        "master_data": MASTER_DATA.values(),
    }
    return render(request, "backoffice/masterdata_import_detail.html", context)


@function_required(MANAGE_MASTER_DATA)
def masterdata_import_apply(request, pk):
    import_ = get_object_or_404(MasterDataImport, pk=pk)
    if request.method != "POST":
        return redirect(import_)
    try:
        import_ = imports.apply_master_data_import(import_=import_, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Import applied: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
            % {
                "created": import_.created,
                "updated": import_.updated,
                "unchanged": import_.unchanged,
            },
        )
    return redirect(import_)
