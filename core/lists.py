"""A list page in a few lines: its FilterSet, its Table, sorting, pagination with the count,
the htmx fragment, the exports, and the options of its searchable dropdowns. The query string
is the whole state of a list (filters, sort, page): a link, a reload or the back button show
the same rows."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from core.exports import FORMATS, export_response


def filtered(filterset):
    """The rows the filters choose: none while a filter is not valid (the page says which), as
    a bulk action on "all filtered rows" refuses them too."""
    if filterset.is_bound and not filterset.is_valid():
        return filterset.queryset.none()
    return filterset.qs


def list_page(
    request,
    *,
    filterset,
    table_class,
    template: str,
    export_name: str,
    context: dict | None = None,
    table_kwargs: dict | None = None,
):
    """Render the list (or its #results fragment for htmx), or, with ?export=csv|xlsx, every
    filtered row in the current sort as a file, or, with ?options=<filter>, the <option>s of
    that searchable filter's dropdown for the text typed in its search box (htmx)."""
    options = request.GET.get("options")
    if options and filterset.searchable(options):
        field = filterset.form[options]
        return HttpResponse(field.field.widget.options(field.html_name, field.value()))
    table = table_class(filtered(filterset), **(table_kwargs or {}))
    file_format = request.GET.get("export")
    refused = file_format in FORMATS and filterset.is_bound and not filterset.is_valid()
    exporting = file_format in FORMATS and not refused
    paginate = False if exporting else {"per_page": settings.PAGE_SIZE}
    RequestConfig(request, paginate=paginate).configure(table)
    if exporting:
        return export_response(table, file_format, name=export_name)
    if refused:
        # Not a file without rows: the page, with what is wrong in the filters.
        messages.error(request, _("Nothing was exported: some filters are not valid."))
    page_context = {
        "filterset": filterset,
        "filters": filterset.form,
        "table": table,
        "page": table.page,
        **(context or {}),
    }
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, page_context, status=422 if refused else 200)
