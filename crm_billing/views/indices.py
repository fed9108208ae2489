"""Amministrazione › Indici ISTAT FOI: the index of each month, entered or imported from CSV."""

from collections import defaultdict

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.functions import function_required
from crm_billing.forms import PriceIndexForm, PriceIndexImportForm
from crm_billing.models import ConsumerPriceIndex
from crm_billing.permissions import CONFIGURE_BILLING
from crm_billing.services.indices import ImportRefused, import_indices, save_index

MONTHS = range(1, 13)


@function_required(CONFIGURE_BILLING)
def price_indices(request):
    form = PriceIndexForm(prefix="index")
    upload = PriceIndexImportForm(prefix="import")
    status = 200
    if request.method == "POST" and "index-value" in request.POST:
        form = PriceIndexForm(request.POST, prefix="index")
        if form.is_valid():
            index = save_index(actor=request.user, **form.cleaned_data)
            messages.success(request, _("Index saved: %(index)s.") % {"index": index})
            return redirect("administration:price_indices")
        status = 422
    elif request.method == "POST":
        upload = PriceIndexImportForm(request.POST, request.FILES, prefix="import")
        if upload.is_valid():
            try:
                count = import_indices(data=upload.cleaned_data["file"].read(), actor=request.user)
            except ImportRefused as refused:
                messages.error(
                    request,
                    format_html(
                        '{}<ul class="mb-0">{}</ul>',
                        refused.message,
                        format_html_join("", "<li>{}</li>", ((p,) for p in refused.problems[:50])),
                    ),
                )
                status = 422
            else:
                messages.success(
                    request,
                    ngettext("%(n)s month imported.", "%(n)s months imported.", count)
                    % {"n": count},
                )
                return redirect("administration:price_indices")
        else:
            status = 422
    by_year = defaultdict(dict)
    for index in ConsumerPriceIndex.objects.all():
        by_year[index.year][index.month] = index.value
    years = [
        (year, [by_year[year].get(month) for month in MONTHS])
        for year in sorted(by_year, reverse=True)
    ]
    context = {"form": form, "upload": upload, "years": years, "months": MONTHS}
    return render(request, "crm_billing/price_indices.html", context, status=status)
