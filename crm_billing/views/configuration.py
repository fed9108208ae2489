"""Amministrazione › Configurazione fatturazione: the defaults of the three cases and the
conditions "Da fatturare", saved together with their history."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.functions import function_required
from core.input import record_id
from crm_billing.forms import (
    BillingProfileForm,
    ConditionsToBeBilledForm,
    product_choices,
    share_profile_choices,
)
from crm_billing.models import BillingProfile, BillingProfileChange
from crm_billing.permissions import CONFIGURE_BILLING
from crm_billing.services.configuration import save_billing_configuration


@function_required(CONFIGURE_BILLING)
def billing_configuration(request):
    # In the order of the workflow: new contracts, renewals, activities.
    profiles = sorted(
        BillingProfile.objects.for_all_cases(),
        key=lambda profile: BillingProfile.Case.values.index(profile.case),
    )
    data = request.POST if request.method == "POST" else None
    forms_by_case = [
        (profile, BillingProfileForm(data, instance=profile, prefix=profile.case))
        for profile in profiles
    ]
    share_profile_choices(
        [form for _profile, form in forms_by_case],
        # Without JS every search box goes along with the one typed in: the first not empty.
        product_search=next((q for q in request.GET.getlist("product_q") if q.strip()), ""),
    )
    conditions_form = ConditionsToBeBilledForm(data, prefix="conditions")
    if data is not None:
        valid = [form.is_valid() for _profile, form in forms_by_case] + [conditions_form.is_valid()]
        if all(valid):
            changed = save_billing_configuration(
                values_by_profile={profile: form.cleaned_data for profile, form in forms_by_case},
                conditions=conditions_form.cleaned_data["to_be_billed"],
                actor=request.user,
            )
            messages.success(
                request,
                ngettext(
                    "Billing configuration saved (%(n)s change).",
                    "Billing configuration saved (%(n)s changes).",
                    changed,
                )
                % {"n": changed},
            )
            return redirect("administration:billing_configuration")
        messages.error(request, _("Please correct the errors below."))
    changes = BillingProfileChange.objects.select_related("actor", "profile")[:50]
    return render(
        request,
        "crm_billing/billing_configuration.html",
        {"forms_by_case": forms_by_case, "conditions_form": conditions_form, "changes": changes},
        status=422 if data is not None else 200,
    )


@function_required(CONFIGURE_BILLING)
def product_options(request):
    """The <option>s of one product dropdown of the configuration (htmx): the products matching
    the search box, and the one chosen in that dropdown (`field` names it) kept selected."""
    selected = record_id(request.GET.get(request.GET.get("field", "")))
    return render(
        request,
        "crm_billing/partials/product_options.html",
        {
            "choices": product_choices(selected=[selected], search=request.GET.get("product_q")),
            "selected": selected,
        },
    )
