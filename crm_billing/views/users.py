"""Amministrazione › Gestione Utenti: accounts and the functions granted to each."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.exceptions import DomainError
from core.functions import function_required
from core.lists import list_page
from crm_billing.filters import UserFilter
from crm_billing.forms import UserCreateForm, UserFunctionsForm
from crm_billing.permissions import MANAGE_USERS
from crm_billing.services.users import create_user, set_user_active, update_user
from crm_billing.tables import UserTable


@function_required(MANAGE_USERS)
def user_list(request):
    users = get_user_model().objects.order_by("username").prefetch_related("user_permissions")
    return list_page(
        request,
        filterset=UserFilter(request.GET or None, queryset=users),
        table_class=UserTable,
        template="crm_billing/user_list.html",
        export_name="utenti",
    )


@function_required(MANAGE_USERS)
def user_create(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = create_user(
            username=data["username"],
            password=data["password1"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            functions=data["functions"],
            actor=request.user,
        )
        messages.success(request, _("User %(user)s created.") % {"user": user.username})
        return redirect("administration:user_list")
    return render(request, "crm_billing/user_form.html", {"form": form})


@function_required(MANAGE_USERS)
def user_update(request, pk):
    user = get_object_or_404(get_user_model(), pk=pk)
    form = UserFunctionsForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        update_user(
            user=user,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            functions=data["functions"],
            actor=request.user,
        )
        messages.success(request, _("Functions of %(user)s saved.") % {"user": user.username})
        return redirect("administration:user_list")
    return render(request, "crm_billing/user_form.html", {"form": form, "managed_user": user})


def _confirm_active(request, pk, *, active: bool):
    user = get_object_or_404(get_user_model(), pk=pk)
    if request.method != "POST":
        context = {"managed_user": user, "active": active}
        return render(request, "crm_billing/user_confirm_active.html", context)
    try:
        set_user_active(user=user, active=active, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        message = _("User %(user)s activated.") if active else _("User %(user)s deactivated.")
        messages.success(request, message % {"user": user.username})
    return redirect("administration:user_list")


@function_required(MANAGE_USERS)
def user_deactivate(request, pk):
    return _confirm_active(request, pk, active=False)


@function_required(MANAGE_USERS)
def user_activate(request, pk):
    return _confirm_active(request, pk, active=True)
