from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from backoffice.exceptions import DomainError
from backoffice.permissions import function_required
from crm_billing.forms import UserCreateForm, UserFunctionsForm
from crm_billing.functions import MANAGE_USERS
from crm_billing.services import users as user_services


def home(request):
    return render(request, "crm_billing/home.html")


# --- Amministrazione › Gestione Utenti ---------------------------------------------------------


@function_required(MANAGE_USERS)
def user_list(request):
    search = request.GET.get("q", "").strip()[:60]
    users = get_user_model().objects.order_by("username").prefetch_related("user_permissions")
    if search:
        users = users.filter(
            Q(username__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
        )
    page = Paginator(users, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "crm_billing/user_list.html", {"page": page, "search": search})


@function_required(MANAGE_USERS)
def user_create(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = user_services.create_user(
            username=data["username"],
            password=data["password1"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            functions=data["functions"],
        )
        messages.success(request, _("User %(user)s created.") % {"user": user.username})
        return redirect("user_list")
    return render(request, "crm_billing/user_form.html", {"form": form})


@function_required(MANAGE_USERS)
def user_update(request, pk):
    user = get_object_or_404(get_user_model(), pk=pk)
    form = UserFunctionsForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        user_services.set_user_functions(user=user, functions=form.cleaned_data["functions"])
        messages.success(request, _("Functions of %(user)s saved.") % {"user": user.username})
        return redirect("user_list")
    return render(request, "crm_billing/user_form.html", {"form": form, "managed_user": user})


@function_required(MANAGE_USERS)
def user_set_active(request, pk, active):
    user = get_object_or_404(get_user_model(), pk=pk)
    if request.method == "POST":
        try:
            user_services.set_user_active(user=user, active=active, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            message = _("User %(user)s activated.") if active else _("User %(user)s deactivated.")
            messages.success(request, message % {"user": user.username})
        return redirect("user_list")
    return render(
        request, "crm_billing/user_confirm_active.html", {"managed_user": user, "active": active}
    )
